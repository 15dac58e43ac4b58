//! Staff commands in Telegram: who may use them and where. What they answer is
//! [`crate::staff`]'s business; this file only gates and delivers.
//!
//! A staff command is answered as one only when both hold:
//! 1. the sender's Telegram **user id** is in `[telegram] staff` (never the chat id: anyone can
//!    be in a group), and
//! 2. it is sent in that staff member's private chat with the bot, or in `[telegram]
//!    staff_chat`, so unanswered questions never show up in a group of residents.
//!
//! Otherwise [`replies`] returns `None` and the update goes to the resident dialog exactly as
//! before: `/stats` from a resident gets the help text any unknown command gets, a forged
//! `st:ok:` button gets "this button expired". Nothing says staff commands exist.
//!
//! A pressed 対応済み button is taken off its `/unanswered` list once answered
//! ([`retire_pressed_button`]), so the list shows what is still open.
//!
//! The command list: the public `setMyCommands` stays the residents' list. Each staff id gets
//! the residents' commands plus the staff commands registered for its private chat only
//! (`BotCommandScope::Chat`), so staff see them in the menu and residents never do. A staff
//! member who has not opened a chat with the bot yet cannot be registered (Telegram answers
//! "chat not found"): that is logged and the commands still work when typed.

use chrono::Utc;
use teloxide::payloads::{EditMessageReplyMarkupSetters, SetMyCommandsSetters};
use teloxide::prelude::Requester;
use teloxide::requests::Request;
use teloxide::types::{BotCommandScope, ChatId, InlineKeyboardButtonKind, InlineKeyboardMarkup, Recipient};
use teloxide::Bot;

use super::{with_retry, Incoming, Retry};
use crate::answer::engine::Engine;
use crate::config::Config;
use crate::conversation::command::{Command, Payload};
use crate::conversation::dialog::Input;
use crate::conversation::reply::Reply;
use crate::serving::store::Store;
use crate::staff::{action, respond, Action, Context};

/// Who the staff are, from `config.toml`.
#[derive(Debug, Clone, Default)]
pub struct StaffOptions {
    /// `[telegram] staff`: Telegram user ids.
    pub ids: Vec<i64>,
    /// `[telegram] staff_chat`: a group where staff commands are answered too.
    pub staff_chat: Option<i64>,
    /// `[freshness] max_age_months`, for the stale entries of `/stats`.
    pub max_age_months: u32,
    /// `[telegram] daily_summary`: when the summary goes to `staff_chat` (Japan time).
    pub daily_summary: Option<chrono::NaiveTime>,
    /// Where the entries' files are, for `/test`'s suggestions.
    pub index_dir: std::path::PathBuf,
}

impl StaffOptions {
    pub fn from_config(config: &Config) -> StaffOptions {
        StaffOptions {
            ids: config.telegram.staff.clone(),
            staff_chat: config.telegram.staff_chat,
            max_age_months: config.freshness.max_age_months,
            daily_summary: config.telegram.daily_summary.map(|time| time.0),
            index_dir: config.index_dir.clone(),
        }
    }

    /// Whether this update comes from a staff member, in a chat where staff data may be shown.
    pub(super) fn allows(&self, incoming: &Incoming) -> bool {
        let Some(user) = incoming.from.and_then(|id| i64::try_from(id).ok()) else {
            return false;
        };
        // In a private chat, Telegram's chat id is the user's id.
        let private = incoming.chat_id == user;
        self.ids.contains(&user) && (private || self.staff_chat == Some(incoming.chat_id))
    }
}

/// The staff replies to this update, or `None` when it is for the resident dialog.
pub(super) fn replies(
    incoming: &Incoming,
    options: &StaffOptions,
    engine: &Engine,
    store: &Store,
) -> Option<Vec<Reply>> {
    if !options.allows(incoming) {
        return None;
    }
    let action = action(&incoming.input)?;
    // The action's name only: a /test question may hold what a resident wrote.
    let name = match &action {
        Action::Stats { .. } => "stats",
        Action::Unanswered { .. } => "unanswered",
        Action::Test { .. } | Action::TestUsage => "test",
        Action::MarkHandled(_) => "mark handled",
        Action::Usage => "usage",
    };
    tracing::info!(staff = ?incoming.from, command = name, "staff command");
    let cx = Context {
        engine,
        store,
        max_age_months: options.max_age_months,
        now: Utc::now(),
        index_dir: &options.index_dir,
    };
    Some(respond(&action, &cx).unwrap_or_else(|e| {
        tracing::error!(command = name, "the staff command failed: {e}");
        vec![Reply::text(&engine.dialogs().texts.internal_error)]
    }))
}

/// After a handled (対応済み) button: the list it was on loses that button, so the list shows
/// what is still open and the same question cannot be pressed twice. Whatever the press said
/// (marked, already marked, gone), the button has done its work. A failed edit is logged only:
/// the reply already told the staff member the outcome.
pub(super) async fn retire_pressed_button(bot: &Bot, incoming: &Incoming, retry: &Retry) {
    let (Input::Button(payload @ Payload::Handled(_)), Some(pressed)) = (&incoming.input, &incoming.pressed_on) else {
        return;
    };
    let Some(keyboard) = pressed.keyboard.as_ref() else {
        return;
    };
    let remaining = without_button(keyboard, &payload.to_string());
    if remaining == *keyboard {
        return;
    }
    let request =
        || bot.edit_message_reply_markup(ChatId(incoming.chat_id), pressed.id).reply_markup(remaining.clone()).send();
    if let Err(e) = with_retry("editMessageReplyMarkup", retry, request).await {
        tracing::warn!(chat = incoming.chat_id, "the handled button was not taken off its list: {e}");
    }
}

/// The keyboard without the buttons whose payload is `data` (and without rows left empty).
fn without_button(keyboard: &InlineKeyboardMarkup, data: &str) -> InlineKeyboardMarkup {
    let rows: Vec<Vec<_>> = keyboard
        .inline_keyboard
        .iter()
        .map(|row| {
            row.iter()
                .filter(|button| !matches!(&button.kind, InlineKeyboardButtonKind::CallbackData(d) if d == data))
                .cloned()
                .collect::<Vec<_>>()
        })
        .filter(|row| !row.is_empty())
        .collect();
    InlineKeyboardMarkup::new(rows)
}

/// The residents' commands plus the staff commands, for each staff member's private chat.
pub(super) async fn register_commands(bot: &Bot, engine: &Engine, options: &StaffOptions, retry: &Retry) {
    let texts = &engine.dialogs().texts;
    let commands = super::bot_commands(Command::RESIDENT.iter().chain(Command::STAFF.iter()), texts);
    for &id in &options.ids {
        let scope = BotCommandScope::Chat { chat_id: Recipient::Id(ChatId(id)) };
        let request = || bot.set_my_commands(commands.clone()).scope(scope.clone()).send();
        if let Err(e) = with_retry("setMyCommands (staff)", retry, request).await {
            tracing::warn!(
                staff = id,
                "the staff command list was not registered (has this staff member opened a chat with the bot?): {e}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use teloxide::types::InlineKeyboardButton;

    #[test]
    fn the_pressed_button_leaves_its_list_and_the_others_stay() {
        let button =
            |n: u32| vec![InlineKeyboardButton::callback(format!("{n} を対応済みに"), format!("st:ok:{n:016x}"))];
        let keyboard = InlineKeyboardMarkup::new([button(1), button(2), button(3)]);
        let left = without_button(&keyboard, &format!("st:ok:{:016x}", 2));
        assert_eq!(left, InlineKeyboardMarkup::new([button(1), button(3)]));
        let last = InlineKeyboardMarkup::new([button(1)]);
        assert!(without_button(&last, &format!("st:ok:{:016x}", 1)).inline_keyboard.is_empty());
        assert_eq!(without_button(&keyboard, "st:ok:unknown"), keyboard);
    }
}
