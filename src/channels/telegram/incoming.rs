//! What a Telegram update means for the dialog: pure, so it is tested without a server.
//!
//! Private chats: every message counts; text is a question or a command, anything else
//! (stickers, photos, voice, locations, files) is [`Input::NotText`]. Group chats: only
//! commands (for this bot or for no bot in particular) and messages that mention the bot or
//! reply to it; the rest is ignored, as residents in a group expect.
//!
//! A caption (a photo of a letter from the city with 「これは何の手続き?」) is read as the text
//! it is. An anonymous group admin (Telegram sends them as the bot `GroupAnonymousBot`) is a
//! person and is answered like anyone in the group; other bots are not. An edited message is
//! answered again, as [`Incoming::edited`], so the reply can say it answers the new wording.

use teloxide::types::{
    CallbackQueryId, InlineKeyboardMarkup, MediaKind, Message, MessageId, MessageKind, Update, UpdateKind,
};

use crate::conversation::command::{Command, Payload, UnknownCommand};
use crate::conversation::dialog::Input;

/// Who the bot is (from `getMe`), to tell what is addressed to it.
#[derive(Debug, Clone)]
pub struct Identity {
    pub id: u64,
    /// Without the `@`.
    pub username: String,
}

/// An update the dialog should answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    pub chat_id: i64,
    /// The Telegram user who sent it (`None` for channel posts and anonymous group admins):
    /// staff commands are allowed by this id, never by the chat.
    pub from: Option<u64>,
    pub input: Input,
    /// Set for button presses: every one gets `answerCallbackQuery`.
    pub callback: Option<CallbackQueryId>,
    /// For a button press, the message the button is on (when Telegram still has it).
    pub pressed_on: Option<PressedMessage>,
    /// A message the resident edited after sending it: answered again.
    pub edited: bool,
}

/// The message a pressed button is on, and its buttons as they are now.
#[derive(Debug, Clone, PartialEq)]
pub struct PressedMessage {
    pub id: MessageId,
    pub keyboard: Option<InlineKeyboardMarkup>,
}

/// The dialog input for an update, or `None` when it is not for the bot.
pub fn incoming(update: &Update, me: &Identity) -> Option<Incoming> {
    match &update.kind {
        UpdateKind::Message(message) | UpdateKind::EditedMessage(message) => {
            message_input(message, me).map(|input| Incoming {
                chat_id: message.chat.id.0,
                // An anonymous admin has no user id of their own: never a staff member.
                from: message.from.as_ref().filter(|u| !u.is_anonymous()).map(|u| u.id.0),
                input,
                callback: None,
                pressed_on: None,
                edited: matches!(update.kind, UpdateKind::EditedMessage(_)),
            })
        }
        UpdateKind::CallbackQuery(query) => {
            let chat_id = match &query.message {
                Some(message) => message.chat().id.0,
                // A button on an inline message: answer in the private chat with the presser.
                None => i64::try_from(query.from.id.0).ok()?,
            };
            Some(Incoming {
                chat_id,
                from: Some(query.from.id.0),
                input: query.data.as_deref().and_then(Payload::parse).map_or(Input::UnknownButton, Input::Button),
                callback: Some(query.id.clone()),
                pressed_on: query.message.as_ref().map(|message| PressedMessage {
                    id: message.id(),
                    keyboard: message.regular_message().and_then(|m| m.reply_markup()).cloned(),
                }),
                edited: false,
            })
        }
        _ => None,
    }
}

fn message_input(message: &Message, me: &Identity) -> Option<Input> {
    let MessageKind::Common(common) = &message.kind else {
        return None; // service messages: members joining, pins, …
    };
    if message.from.as_ref().is_some_and(|u| u.is_bot && !u.is_anonymous()) {
        return None;
    }
    let private = message.chat.is_private();
    let replies_to_me = common.reply_to_message.as_ref().and_then(|m| m.from.as_ref()).is_some_and(|u| u.id.0 == me.id);
    let words = match &common.media_kind {
        MediaKind::Text(text) => Some(text.text.as_str()),
        MediaKind::Migration(_) => return None,
        // A photo, a document or a video with words under it: the words are the question.
        _ => message.caption().filter(|caption| !caption.trim().is_empty()),
    };
    match words {
        Some(text) => {
            if let Some(command) = parse_command(text, &me.username) {
                return command;
            }
            if private {
                return Some(Input::Text(text.to_string()));
            }
            let (stripped, mentioned) = strip_mention(text, &me.username);
            (mentioned || replies_to_me).then_some(Input::Text(stripped))
        }
        None => (private || replies_to_me).then_some(Input::NotText),
    }
}

/// `/name[@bot] [arg]`: `Some(Some(command))` for this bot, `Some(None)` for another bot,
/// `None` when the text is not a command at all.
fn parse_command(text: &str, username: &str) -> Option<Option<Input>> {
    let rest = text.trim_start().strip_prefix('/')?;
    let (head, arg) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let (name, target) = head.split_once('@').unwrap_or((head, ""));
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    if !target.is_empty() && !target.eq_ignore_ascii_case(username) {
        return Some(None);
    }
    Some(Some(match name.parse::<Command>() {
        Ok(command) => Input::Command { command, arg: arg.trim().to_string() },
        Err(UnknownCommand(name)) => Input::UnknownCommand(name),
    }))
}

/// Removes every `@username` (any case) and says whether there was one.
fn strip_mention(text: &str, username: &str) -> (String, bool) {
    let mention = format!("@{}", username.to_ascii_lowercase());
    let lower = text.to_ascii_lowercase(); // ASCII-only lowering keeps byte offsets
    let mut out = String::with_capacity(text.len());
    let mut found = false;
    let mut last = 0;
    for (at, _) in lower.match_indices(&mention) {
        let end = at + mention.len();
        // `@madoguchi_bot2` is another bot.
        if lower[end..].chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        out.push_str(&text[last..at]);
        last = end;
        found = true;
    }
    out.push_str(&text[last..]);
    (out.trim().to_string(), found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> Identity {
        Identity { id: 4242, username: "madoguchi_bot".into() }
    }

    /// Parsed from text as the Bot API client does (teloxide's `Update` does not parse from a
    /// `serde_json::Value`).
    fn update(json: serde_json::Value) -> Update {
        let update: Update = serde_json::from_str(&json.to_string()).expect("a valid update");
        assert!(!matches!(update.kind, UpdateKind::Error(_)), "help: the test update does not parse: {json}");
        update
    }

    fn message(chat: serde_json::Value, extra: serde_json::Value) -> Update {
        let mut m = serde_json::json!({
            "message_id": 5, "date": 1_700_000_000, "chat": chat,
            "from": {"id": 77, "is_bot": false, "first_name": "住民"},
        });
        m.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        update(serde_json::json!({"update_id": 1, "message": m}))
    }

    fn private() -> serde_json::Value {
        serde_json::json!({"id": 77, "type": "private", "first_name": "住民"})
    }

    fn group() -> serde_json::Value {
        serde_json::json!({"id": -100, "type": "group", "title": "町内会"})
    }

    fn input(u: &Update) -> Option<Input> {
        incoming(u, &me()).map(|i| i.input)
    }

    #[test]
    fn captions_are_read_as_text() {
        let photo = serde_json::json!({"photo": [{"file_id": "f", "file_unique_id": "u", "width": 90, "height": 90}],
            "caption": "市から届いたこの手紙は何の手続き?"});
        let u = message(private(), photo.clone());
        assert_eq!(input(&u), Some(Input::Text("市から届いたこの手紙は何の手続き?".into())));
        let mut in_group = photo;
        in_group["caption"] = "@madoguchi_bot 介護の書類です".into();
        assert_eq!(input(&message(group(), in_group)), Some(Input::Text("介護の書類です".into())));
        // A photo with no words stays something the bot cannot read.
        let bare = serde_json::json!({"photo": [{"file_id": "f", "file_unique_id": "u", "width": 9, "height": 9}], "caption": "  "});
        assert_eq!(input(&message(private(), bare)), Some(Input::NotText));
    }

    #[test]
    fn an_anonymous_group_admin_is_answered_but_never_counts_as_staff() {
        let anonymous = serde_json::json!({"text": "@madoguchi_bot 子育ての相談", "sender_chat": group(),
            "from": {"id": 1_087_968_824u64, "is_bot": true, "first_name": "Group", "username": "GroupAnonymousBot"}});
        let incoming = incoming(&message(group(), anonymous), &me()).expect("answered");
        assert_eq!(incoming.input, Input::Text("子育ての相談".into()));
        assert_eq!(incoming.from, None);
        let other_bot = serde_json::json!({"text": "@madoguchi_bot こんにちは",
            "from": {"id": 999, "is_bot": true, "first_name": "他のボット"}});
        assert_eq!(input(&message(group(), other_bot)), None);
    }

    #[test]
    fn an_edited_message_is_answered_again_and_marked() {
        let edited = update(serde_json::json!({"update_id": 2, "edited_message": {
            "message_id": 5, "date": 1_700_000_000, "edit_date": 1_700_000_060, "chat": private(),
            "from": {"id": 77, "is_bot": false, "first_name": "住民"}, "text": "父の介護の相談"}}));
        let incoming = incoming(&edited, &me()).expect("answered");
        assert!(incoming.edited);
        assert_eq!(incoming.input, Input::Text("父の介護の相談".into()));
        assert!(!super::incoming(&message(private(), serde_json::json!({"text": "a"})), &me()).unwrap().edited);
    }

    #[test]
    fn private_text_and_commands() {
        let u = message(private(), serde_json::json!({"text": "母のもの忘れが心配"}));
        assert_eq!(input(&u), Some(Input::Text("母のもの忘れが心配".into())));
        let u = message(private(), serde_json::json!({"text": "/start kosodate"}));
        assert_eq!(input(&u), Some(Input::Command { command: Command::Start, arg: "kosodate".into() }));
        let u = message(private(), serde_json::json!({"text": "/Help@Madoguchi_Bot"}));
        assert_eq!(input(&u), Some(Input::Command { command: Command::Help, arg: String::new() }));
    }

    #[test]
    fn stickers_and_locations_are_not_text() {
        let sticker = serde_json::json!({"sticker": {
            "file_id": "s", "file_unique_id": "u", "type": "regular", "width": 512, "height": 512,
            "is_animated": false, "is_video": false}});
        assert_eq!(input(&message(private(), sticker)), Some(Input::NotText));
        let location = serde_json::json!({"location": {"latitude": 35.6, "longitude": 139.6}});
        assert_eq!(input(&message(private(), location)), Some(Input::NotText));
    }

    #[test]
    fn groups_only_hear_commands_and_mentions() {
        let plain = message(group(), serde_json::json!({"text": "今日は暑いね"}));
        assert_eq!(input(&plain), None);
        let other_bot = message(group(), serde_json::json!({"text": "/help@other_bot"}));
        assert_eq!(input(&other_bot), None);
        let command = message(group(), serde_json::json!({"text": "/menu"}));
        assert_eq!(input(&command), Some(Input::Command { command: Command::Menu, arg: String::new() }));
        let mention = message(group(), serde_json::json!({"text": "@MADOGUCHI_BOT 介護の相談はどこ?"}));
        assert_eq!(input(&mention), Some(Input::Text("介護の相談はどこ?".into())));
        let similar = message(group(), serde_json::json!({"text": "@madoguchi_bot2 介護"}));
        assert_eq!(input(&similar), None);
        let sticker_in_group = message(
            group(),
            serde_json::json!({"sticker": {
            "file_id": "s", "file_unique_id": "u", "type": "regular", "width": 1, "height": 1,
            "is_animated": false, "is_video": false}}),
        );
        assert_eq!(input(&sticker_in_group), None);
    }

    #[test]
    fn a_reply_to_the_bot_counts_in_a_group() {
        let reply = message(
            group(),
            serde_json::json!({"text": "西東京市です", "reply_to_message": {
            "message_id": 4, "date": 1_700_000_000, "chat": group(),
            "from": {"id": 4242, "is_bot": true, "first_name": "まどぐち", "username": "madoguchi_bot"},
            "text": "…"}}),
        );
        assert_eq!(input(&reply), Some(Input::Text("西東京市です".into())));
    }

    #[test]
    fn button_presses_carry_their_callback_id() {
        let u = update(serde_json::json!({"update_id": 3, "callback_query": {
            "id": "cb-1", "chat_instance": "ci", "data": "fb+:setagaya/x",
            "from": {"id": 77, "is_bot": false, "first_name": "住民"},
            "message": {"message_id": 9, "date": 1_700_000_000, "chat": private(), "text": "カード",
                "reply_markup": {"inline_keyboard": [[{"text": "役に立った", "callback_data": "fb+:setagaya/x"}]]}}}}));
        let got = incoming(&u, &me()).unwrap();
        assert_eq!(got.chat_id, 77);
        assert_eq!(got.from, Some(77));
        assert_eq!(got.input, Input::Button(Payload::Helpful("setagaya/x".into())));
        assert_eq!(got.callback, Some(CallbackQueryId("cb-1".into())));
        let pressed = got.pressed_on.expect("the message the button is on");
        assert_eq!(pressed.id, MessageId(9));
        let keyboard = pressed.keyboard.expect("its buttons");
        assert_eq!(keyboard.inline_keyboard[0][0].text, "役に立った");
    }

    #[test]
    fn messages_from_bots_and_service_messages_are_ignored() {
        let from_bot = update(serde_json::json!({"update_id": 1, "message": {
            "message_id": 5, "date": 1_700_000_000, "chat": private(),
            "from": {"id": 9, "is_bot": true, "first_name": "bot"}, "text": "hi"}}));
        assert_eq!(input(&from_bot), None);
        let joined = message(
            group(),
            serde_json::json!({"new_chat_members": [
            {"id": 78, "is_bot": false, "first_name": "新"}]}),
        );
        assert_eq!(input(&joined), None);
    }
}
