//! The bot token as a secret: it can be passed around and logged by accident without being
//! shown. Only [`Token::expose`] gives the text, and only the Bot API client calls it.

use std::fmt;

/// The environment variable the token is read from (and from nowhere else).
pub const TOKEN_VAR: &str = "TELOXIDE_TOKEN";

#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("{TOKEN_VAR} is not set: create a bot with @BotFather and export its token as {TOKEN_VAR}")]
    Missing,
    #[error("{TOKEN_VAR} does not look like a bot token (expected digits, a colon, then letters; got {0} characters)")]
    Malformed(usize),
}

impl Token {
    /// Reads `TELOXIDE_TOKEN`.
    pub fn from_env() -> Result<Token, TokenError> {
        match std::env::var(TOKEN_VAR) {
            Ok(value) => Token::parse(&value),
            Err(_) => Err(TokenError::Missing),
        }
    }

    /// Checks the shape `<bot id>:<secret>` (what BotFather gives), trimming stray whitespace.
    pub fn parse(value: &str) -> Result<Token, TokenError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(TokenError::Missing);
        }
        let well_formed = value.split_once(':').is_some_and(|(id, secret)| {
            !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_digit())
                && !secret.is_empty()
                && secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
        if well_formed {
            Ok(Token(value.to_string()))
        } else {
            Err(TokenError::Malformed(value.chars().count()))
        }
    }

    /// The token itself, for the Bot API client only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<secret>)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<secret>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_never_shown() {
        let token = Token::parse("123456:AAH-secret_value").unwrap();
        assert_eq!(format!("{token}"), "<secret>");
        assert_eq!(format!("{token:?}"), "Token(<secret>)");
        assert_eq!(format!("{:?}", Some(&token)), "Some(Token(<secret>))");
        assert_eq!(token.expose(), "123456:AAH-secret_value");
    }

    #[test]
    fn shapes_are_checked_without_echoing_the_value() {
        assert_eq!(Token::parse("  "), Err(TokenError::Missing));
        let err = Token::parse("not a token").unwrap_err();
        assert!(!err.to_string().contains("not a token"), "{err}");
        assert!(Token::parse(":abc").is_err());
        assert!(Token::parse("12:").is_err());
        assert!(Token::parse("123:test\n").is_ok());
    }
}
