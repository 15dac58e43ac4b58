//! `dialogs/texts.toml` and `dialogs/menu.toml` as typed structs: every text a resident or a
//! staff member reads, by key. Every key is required and unknown keys are refused, so a
//! misspelt or missing text is an `index check` error on its line, never a blank message.
//! Texts hold `{name}` placeholders that [`crate::content::dialogs::template::fill`] fills.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Texts {
    pub greeting: String,
    pub help: String,
    pub choose_area: String,
    /// A broad word (介護) while the municipality is unknown: its choices come once one is chosen.
    pub choose_area_for_choices: String,
    pub area_set: String,
    /// Said once when a place in the message sets (or changes) the chat's municipality.
    pub area_from_message: String,
    pub area_unknown_button: String,
    pub area_cleared: String,
    pub ask_in_words: String,
    /// After the answer to a message the resident edited (Telegram: answered again).
    pub edited_note: String,
    pub empty_message: String,
    pub cut_notice: String,
    pub answer_intro: String,
    pub unsure_intro: String,
    pub nothing_found: String,
    pub general_window_intro: String,
    pub alternatives_intro: String,
    pub candidates_intro: String,
    /// Under an answer when the resident's municipality is unknown: whose service this is.
    pub other_area_note: String,
    /// The 相談窓口 button pressed, or nothing fits, while the municipality is unknown.
    pub general_which_area: String,
    pub internal_error: String,
    pub forgotten: String,
    /// `/forget` could not be written to disk: said instead of `forgotten`.
    pub forget_failed: String,
    pub feedback_thanks: String,
    pub feedback_sorry: String,
    /// `/forget` and 違った in `madoguchi chat`, which records nothing.
    pub forgotten_unrecorded: String,
    pub feedback_sorry_unrecorded: String,
    pub expired: String,
    pub menu_intro: String,
    pub menu_empty: String,
    pub chat_welcome: String,
    pub chat_goodbye: String,
    pub card: CardLabels,
    pub buttons: ButtonLabels,
    /// Messages that are not questions: greetings, thanks, emoji, numbers, English.
    pub small_talk: SmallTalk,
    pub commands: CommandDescriptions,
    /// Read only by the staff ids of `[telegram] staff` (see `crate::staff`).
    pub staff: StaffTexts,
    /// What staff read after a reload (`/reload`, and in the staff chat).
    pub reload: ReloadTexts,
    /// The chat page of the web channel (its labels and its own few messages).
    pub web: WebTexts,
}

/// The words of the web chat page around the conversation (which is the same as Telegram's):
/// the page's labels, and what the page says when a message could not be taken.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebTexts {
    pub page_title: String,
    pub heading: String,
    /// Under the heading: what the page is for, and that an emergency is 119/110.
    pub intro: String,
    pub input_label: String,
    pub placeholder: String,
    pub send: String,
    /// Announced while a message is on its way.
    pub sending: String,
    pub larger_text: String,
    pub high_contrast: String,
    pub forget: String,
    /// How the resident's and madoguchi's messages are named to a screen reader.
    pub you: String,
    pub bot: String,
    /// Shown when the browser runs no JavaScript.
    pub noscript: String,
    /// The same address sent too many messages in a minute (the text stays in the box).
    pub too_many: String,
    /// A message larger than the page takes (`{limit}` characters).
    pub too_long: String,
    /// The message could not reach madoguchi (network): the text stays in the box.
    pub network_error: String,
    /// A request the page did not make (another site's form, a stale page): reload the page.
    pub refused: String,
}

/// The words of the staff commands (`/stats`, `/unanswered`, `/test`) and of `madoguchi stats`
/// / `madoguchi unanswered`. `{name}` placeholders are filled by [`crate::staff`].
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StaffTexts {
    pub usage: String,
    pub test_usage: String,
    pub stats_title: String,
    pub stats_questions: String,
    pub stats_shares: String,
    pub stats_feedback_title: String,
    pub stats_feedback_line: String,
    pub stats_no_feedback: String,
    pub stats_hours_title: String,
    pub stats_hours_line: String,
    pub stale_title: String,
    pub stale_line: String,
    pub stale_none: String,
    pub unanswered_title: String,
    pub unanswered_none: String,
    pub unanswered_line: String,
    pub unanswered_key: String,
    pub unanswered_no_area: String,
    pub unanswered_no_entry: String,
    /// Under a question answered with confidence that the resident marked 違った.
    pub unanswered_marked_wrong: String,
    pub unanswered_more: String,
    pub handled_button: String,
    pub handled_done: String,
    pub handled_already: String,
    pub handled_missing: String,
    /// The daily summary in the staff chat: its first line, and the unanswered count.
    pub summary_title: String,
    pub summary_unanswered: String,
    pub masks: MaskLabels,
    pub commands: StaffCommandDescriptions,
}

/// What personal data is replaced with in the questions staff read.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MaskLabels {
    pub phone: String,
    /// Long digit runs: マイナンバー (12 digits), card and account numbers.
    pub number: String,
    pub email: String,
    pub postal: String,
    /// 丁目・番地・号 and 1-2-3 style house numbers.
    pub address: String,
}

/// The staff commands as registered for the staff's own chats only.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StaffCommandDescriptions {
    pub stats: String,
    pub unanswered: String,
    pub test: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CardLabels {
    pub municipality: String,
    pub summary: String,
    pub for_whom: String,
    pub provider: String,
    pub hours: String,
    pub phone: String,
    pub fax: String,
    pub email: String,
    pub address: String,
    pub url: String,
    pub verified: String,
    /// Before the contact of the body that runs a service without its own (`{title}`).
    pub reach_via: String,
    /// A service nobody in `index/` can be reached for (`{area}`: its municipality).
    pub no_contact: String,
    /// After a phone number written without its area code.
    pub local_number_note: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ButtonLabels {
    pub alternatives: String,
    pub helpful: String,
    pub not_helpful: String,
    pub general_window: String,
    /// `{area}`の相談窓口: one per municipality while the resident's is unknown.
    pub general_window_in: String,
    pub menu: String,
}

/// Messages that are not questions, and their short replies. The phrase lists are compared
/// with the whole message (its punctuation, emoji and spaces aside), so 「こんにちは」 is a
/// greeting and 「こんにちは、母の介護のことで」 a question.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SmallTalk {
    pub greetings: Vec<String>,
    pub greeting_reply: String,
    pub thanks: Vec<String>,
    pub thanks_reply: String,
    /// Emoji, marks or punctuation only (😭, 🙏🙏🙏, ？？？).
    pub no_words_reply: String,
    /// Digits only: a button number typed, or one that does not exist.
    pub number_reply: String,
    /// A message in English (no Japanese, not romaji): what the bot can do, then the menu.
    pub english_reply: String,
}

/// What staff read after a reload (`/reload`, and in the staff chat): see `src/telegram/reload.rs`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReloadTexts {
    /// The new answers serve: `{entries}` entries, built in `{seconds}` seconds.
    pub done: String,
    /// Added after `done` when entries are due for a check: `{count}` warnings.
    pub warnings: String,
    /// The edit has `{count}` errors and was not taken; the errors follow, one per line.
    pub rejected: String,
    /// After the errors listed, when there were more: `{count}` not shown.
    pub more: String,
    /// The files were fine but the reload failed anyway (the log says why).
    pub failed: String,
}

/// The command list Telegram shows next to the message box (`setMyCommands`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CommandDescriptions {
    pub start: String,
    pub menu: String,
    pub area: String,
    pub help: String,
    pub forget: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Menu {
    pub category: Vec<Category>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Short ASCII key, used in deep links (`/start kosodate`) and button payloads.
    pub key: String,
    pub label: String,
    /// Broad words a resident may send alone (介護, お金): the reply is this category's
    /// choices, not one pick.
    #[serde(default)]
    pub words: Vec<String>,
    /// The category of the general windows (なんでも相談): its broad words (相談) give way to a
    /// field's (介護のことで相談したい → 高齢・介護).
    #[serde(default)]
    pub general: bool,
}

impl Menu {
    pub fn labels(&self) -> Vec<String> {
        self.category.iter().map(|c| c.label.clone()).collect()
    }
}
