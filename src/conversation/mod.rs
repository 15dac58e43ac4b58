//! The conversation as plain data: `(chat state, input, engine) → (state, replies, events)`.
//!
//! - [`dialog`]: what to say to each input (a question, a button, a command).
//! - [`command`]: the commands and button payloads every channel shares, typed.
//! - [`small_talk`]: messages that are not questions (greetings, thanks, emoji, English).
//! - [`reply`]: replies as blocks and buttons, and their rendering as plain text or HTML.
//!
//! It asks [`crate::answer`] and reads every word from `dialogs/`; the channels above deliver
//! what it returns and keep the state it hands back.

pub mod command;
pub mod dialog;
pub mod reply;
pub mod small_talk;
