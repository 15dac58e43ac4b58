//! Replies as Telegram messages: HTML (escaped by [`render_html`]), split at 4,096 characters,
//! the buttons as an inline keyboard under the last piece. Pure, so it is tested without a
//! server.

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::dialogs::Dialogs;
use crate::reply::{render_html, split_message, Reply};

/// Telegram's limit on a message's text.
pub const MAX_MESSAGE_CHARS: usize = 4096;
/// Telegram's limit on a button's callback data.
pub const MAX_CALLBACK_BYTES: usize = 64;

/// One `sendMessage`.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub html: String,
    pub keyboard: Option<InlineKeyboardMarkup>,
}

/// The messages for one reply, in order.
pub fn messages(reply: &Reply, dialogs: &Dialogs) -> Vec<Outgoing> {
    let html = render_html(reply, dialogs);
    let mut pieces: Vec<Outgoing> = split_message(&html, MAX_MESSAGE_CHARS)
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .map(|html| Outgoing { html, keyboard: None })
        .collect();
    if let Some(last) = pieces.last_mut() {
        last.keyboard = keyboard(reply);
    }
    pieces
}

/// The inline keyboard, or `None` when the reply has no buttons. A button whose payload would
/// break Telegram's 64-byte limit is left out (and logged) rather than losing the whole
/// message; `index check` keeps entry ids short enough that this does not happen.
pub fn keyboard(reply: &Reply) -> Option<InlineKeyboardMarkup> {
    let rows: Vec<Vec<InlineKeyboardButton>> = reply
        .buttons
        .iter()
        .map(|row| {
            row.iter()
                .filter(|b| {
                    let fits = b.payload.len() <= MAX_CALLBACK_BYTES;
                    if !fits {
                        tracing::warn!(payload = %b.payload, "button left out: callback data over 64 bytes");
                    }
                    fits
                })
                .map(|b| InlineKeyboardButton::callback(b.label.clone(), b.payload.clone()))
                .collect::<Vec<_>>()
        })
        .filter(|row| !row.is_empty())
        .collect();
    (!rows.is_empty()).then(|| InlineKeyboardMarkup::new(rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::{Block, Button};
    use teloxide::types::InlineKeyboardButtonKind;

    fn dialogs() -> Dialogs {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("dialogs");
        crate::dialogs::load(&dir).0.expect("dialogs/ loads")
    }

    fn payloads(markup: &InlineKeyboardMarkup) -> Vec<String> {
        markup
            .inline_keyboard
            .iter()
            .flatten()
            .map(|b| match &b.kind {
                InlineKeyboardButtonKind::CallbackData(data) => data.clone(),
                other => panic!("unexpected button {other:?}"),
            })
            .collect()
    }

    #[test]
    fn long_replies_are_split_and_the_keyboard_goes_last() {
        let paragraphs: Vec<Block> = (0..12).map(|i| Block::Text(format!("{i}{}", "あ".repeat(900)))).collect();
        let reply = Reply {
            blocks: paragraphs,
            buttons: vec![vec![Button { label: "相談窓口".into(), payload: "gw".into() }]],
        };
        let out = messages(&reply, &dialogs());
        assert!(out.len() >= 3, "{}", out.len());
        assert!(out.iter().all(|m| m.html.chars().count() <= MAX_MESSAGE_CHARS));
        assert!(out[..out.len() - 1].iter().all(|m| m.keyboard.is_none()));
        assert_eq!(payloads(out.last().unwrap().keyboard.as_ref().unwrap()), ["gw"]);
        // Nothing lost, in order.
        let joined: String = out.iter().map(|m| m.html.as_str()).collect::<Vec<_>>().join("\n\n");
        assert_eq!(joined, render_html(&reply, &dialogs()));
    }

    #[test]
    fn over_long_payloads_are_left_out_not_sent() {
        let reply = Reply {
            blocks: vec![Block::Text("t".into())],
            buttons: vec![
                vec![Button { label: "ok".into(), payload: format!("e:{}", "a".repeat(62)) }],
                vec![Button { label: "too long".into(), payload: format!("e:{}", "a".repeat(63)) }],
            ],
        };
        let markup = keyboard(&reply).unwrap();
        assert_eq!(payloads(&markup), [format!("e:{}", "a".repeat(62))]);
        assert!(keyboard(&Reply::text("no buttons")).is_none());
    }

    #[test]
    fn text_is_escaped_for_html() {
        let out = messages(&Reply::text("<script>&"), &dialogs());
        assert_eq!(out[0].html, "&lt;script&gt;&amp;");
    }
}
