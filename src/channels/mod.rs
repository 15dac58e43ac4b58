//! How residents (and staff) reach madoguchi: each channel turns what people do into a
//! conversation input, calls [`crate::conversation::dialog::respond`], and delivers the replies.
//!
//! - [`terminal`]: `madoguchi chat`.
//! - [`telegram`]: `madoguchi run`, the Telegram bot (loss-free delivery, staff commands, reload).
//! - [`web`]: `madoguchi web` (and `run` with `[web] listen`): the chat page residents open from
//!   the city's site, and the staff console.
//! - [`turn`]: one resident turn against the store, shared by the channels that keep records.
//!
//! Nothing here decides what to say. A channel knows the conversation, serving and the staff
//! tools below it; nothing below knows a channel.

pub mod telegram;
pub mod terminal;
pub mod turn;
pub mod web;
