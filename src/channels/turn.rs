//! One resident turn, the same for every channel that keeps records: the chat's state read
//! from the store, [`respond`] (a panic becomes the apology text, never a dropped message),
//! the events recorded and the new state saved. The channel delivers the replies.

use std::panic::AssertUnwindSafe;

use chrono::Utc;

use crate::answer::engine::Engine;
use crate::conversation::dialog::{respond, Event, Input};
use crate::conversation::reply::Reply;
use crate::serving::store::{ChatKey, Store};

/// Answers `input` in the chat `chat`, keeping what the dialog reports.
pub fn take_turn(store: &Store, chat: &ChatKey, input: Input, engine: &Engine) -> Vec<Reply> {
    let state = store.state(chat).unwrap_or_else(|e| {
        tracing::error!(?chat, "cannot read the chat state, starting afresh: {e}");
        Default::default()
    });
    // Named before the input moves: a resident's words never go to the log.
    let what = describe(&input);
    let (next, replies, events) = std::panic::catch_unwind(AssertUnwindSafe(|| respond(&state, input, engine)))
        .unwrap_or_else(|_| {
            tracing::error!(?chat, "the dialog panicked on {what}");
            (state.clone(), vec![Reply::text(&engine.dialogs().texts.internal_error)], Vec::new())
        });
    let mut replies = replies;
    if let Err(e) = store.apply(chat, &events, Utc::now()) {
        tracing::error!(?chat, "cannot store the records: {e}");
        if events.contains(&Event::Forget) {
            // Never 「消しました」 for an erasure not made: the store retries it, and says so.
            replies = vec![Reply::text(&engine.dialogs().texts.forget_failed)];
        }
    }
    if !events.contains(&Event::Forget) {
        if let Err(e) = store.save_state(chat, &next) {
            tracing::error!(?chat, "cannot store the chat state: {e}");
        }
    }
    replies
}

/// What kind of input it was, for the log (never its words).
fn describe(input: &Input) -> String {
    match input {
        Input::Text(text) => format!("a text of {} characters", text.chars().count()),
        Input::Command { command, .. } => format!("the command /{command}"),
        Input::UnknownCommand(_) => "an unknown command".to_string(),
        Input::Button(payload) => format!("the button {payload}"),
        Input::UnknownButton => "a button madoguchi did not make".to_string(),
        Input::NotText => "a message without text".to_string(),
    }
}
