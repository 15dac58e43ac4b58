//! Who is signed in to the console: accounts from `[web] staff` (argon2 PHC hashes), sessions
//! kept in memory (a restart signs everyone out, which is the safe side), and the CSRF token
//! every form of a session carries.
//!
//! The session cookie is HttpOnly, SameSite=Strict, limited to `/staff`, and Secure when the
//! console was reached over TLS; a session ends after [`IDLE`] without a request, or at sign-out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::http::HeaderMap;

use crate::channels::web::client::token_cookie;
use ring::rand::SecureRandom;

use crate::config::StaffAccount;

/// The console's session cookie.
pub const SESSION_COOKIE: &str = "madoguchi_staff";
/// The cookie the login form's token is checked against (before there is a session).
pub const LOGIN_COOKIE: &str = "madoguchi_login";
/// A session unused this long is over.
pub const IDLE: Duration = Duration::from_secs(8 * 60 * 60);

/// Checked when the name is unknown: a well-formed hash that no account holds.
const DECOY: &str = "$argon2id$v=19$m=19456,t=2,p=1$bWFkb2d1Y2hpZGVjb3k$2Q7cN9J1hO7dZ6x0o0m3pW2i6T9QkzvF4Yk7dFqQvGQ";

/// A signed-in staff member, as a handler sees them.
#[derive(Debug, Clone)]
pub struct Session {
    pub name: String,
    /// The token every form of this session must send back.
    pub csrf: String,
    /// The cookie's value (to end the session).
    pub token: String,
}

#[derive(Default)]
pub struct Sessions {
    open: Mutex<HashMap<String, (Session, Instant)>>,
}

impl Sessions {
    /// A new session for `name`, with its own CSRF token; `None` only when the system has no
    /// randomness to give.
    pub fn start(&self, name: &str) -> Option<Session> {
        let session = Session { name: name.to_string(), csrf: random_token()?, token: random_token()? };
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        open.retain(|_, (_, used)| now.duration_since(*used) < IDLE);
        open.insert(session.token.clone(), (session.clone(), now));
        Some(session)
    }

    /// The session of the request's cookie, when it is open and not idle too long.
    pub fn of(&self, headers: &HeaderMap) -> Option<Session> {
        let token = token_cookie(headers, SESSION_COOKIE)?;
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        match open.get_mut(&token) {
            Some((session, used)) if now.duration_since(*used) < IDLE => {
                *used = now;
                Some(session.clone())
            }
            Some(_) => {
                open.remove(&token);
                None
            }
            None => None,
        }
    }

    pub fn end(&self, token: &str) {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).remove(token);
    }
}

/// Whether `password` is the password of the account `name`. An unknown name costs the same
/// hashing as a known one, so timing does not tell which names exist.
pub fn verify(accounts: &[StaffAccount], name: &str, password: &str) -> bool {
    let account = accounts.iter().find(|a| a.name == name);
    let hash = account.map_or(DECOY, |a| a.password_hash.as_str());
    let Ok(parsed) = PasswordHash::new(hash) else {
        tracing::error!(name, "the password hash of this staff account in config.toml cannot be read");
        return false;
    };
    Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok() && account.is_some()
}

/// The PHC string stored for a new password (`madoguchi staff add`).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    ring::rand::SystemRandom::new().fill(&mut salt).map_err(|_| anyhow::anyhow!("no randomness for a salt"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("{e}"))?;
    let hash = Argon2::default().hash_password(password.as_bytes(), &salt).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(hash.to_string())
}

/// 32 random bytes as 64 hex digits.
pub fn random_token() -> Option<String> {
    let mut bytes = [0u8; 32];
    ring::rand::SystemRandom::new().fill(&mut bytes).ok()?;
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A console cookie: script cannot read it, other sites never send it, only `/staff` gets it.
/// `value` empty ends it.
pub fn staff_cookie(name: &str, value: &str, https: bool) -> String {
    let secure = if https { "; Secure" } else { "" };
    let expiry = if value.is_empty() { "; Max-Age=0" } else { "" };
    format!("{name}={value}; Path=/staff; HttpOnly; SameSite=Strict{expiry}{secure}")
}

/// Two tokens compared in time that does not depend on where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    !a.is_empty() && a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_checks_only_against_its_own_account() {
        let hash = hash_password("正しい馬のホチキス").unwrap();
        assert!(crate::config::is_password_hash(&hash));
        let accounts = vec![StaffAccount { name: "sato".into(), password_hash: hash }];
        assert!(verify(&accounts, "sato", "正しい馬のホチキス"));
        assert!(!verify(&accounts, "sato", "ちがう"));
        assert!(!verify(&accounts, "suzuki", "正しい馬のホチキス"));
        assert!(crate::config::is_password_hash(DECOY), "the decoy must cost a real check");
    }

    #[test]
    fn sessions_are_found_by_their_cookie_and_end() {
        let sessions = Sessions::default();
        let session = sessions.start("sato").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(axum::http::header::COOKIE, format!("{SESSION_COOKIE}={}", session.token).parse().unwrap());
        assert_eq!(sessions.of(&headers).unwrap().name, "sato");
        sessions.end(&session.token);
        assert!(sessions.of(&headers).is_none());
    }

    #[test]
    fn cookies_are_strict_and_secure_over_tls() {
        let c = staff_cookie(SESSION_COOKIE, "ab", true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Path=/staff"));
        assert!(c.ends_with("; Secure"));
        assert!(!staff_cookie(SESSION_COOKIE, "ab", false).contains("Secure"));
        assert!(staff_cookie(SESSION_COOKIE, "", false).contains("Max-Age=0"));
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd") && !same_token("", "") && !same_token("ab", "abc"));
    }
}
