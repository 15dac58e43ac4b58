//! `dialogs/`: every word a resident reads, kept by staff in TOML.
//!
//! - `texts.toml`: greetings, notices and the labels of an answer card.
//! - `crisis.toml`: the emergency contacts, the kinds of danger and the rules that recognise
//!   them (compiled by [`crate::crisis`]).
//! - `menu.toml`: the categories of the menu (and of entries' `categories`).
//!
//! Rust code never holds resident-facing Japanese; it picks a text from here by its key. The
//! structs deny unknown keys and every key is required, so a missing or misspelt text is an
//! `index check` error with its line, not a blank message in production.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::crisis::file::CrisisFile;
use crate::knowledge::problem::Problem;
use crate::knowledge::toml_error::parse as parse_toml;
use crate::knowledge::wording::nth_table_line;

pub const TEXTS_FILE: &str = "texts.toml";
pub const CRISIS_FILE: &str = "crisis.toml";
pub const MENU_FILE: &str = "menu.toml";

#[derive(Debug, Clone)]
pub struct Dialogs {
    pub texts: Texts,
    /// `crisis.toml` as written; [`crate::crisis::CrisisLayer::compile`] needs the analyzer.
    pub crisis: CrisisFile,
    /// Its text and path, for the compile's line numbers.
    pub crisis_source: CrisisSource,
    pub menu: Menu,
}

#[derive(Debug, Clone)]
pub struct CrisisSource {
    pub path: std::path::PathBuf,
    pub text: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Texts {
    pub greeting: String,
    pub help: String,
    pub choose_area: String,
    pub area_set: String,
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
    pub other_area_note: String,
    pub internal_error: String,
    pub forgotten: String,
    /// `/forget` could not be written to disk: said instead of `forgotten`.
    pub forget_failed: String,
    pub feedback_thanks: String,
    pub feedback_sorry: String,
    pub expired: String,
    pub menu_intro: String,
    pub menu_empty: String,
    pub chat_welcome: String,
    pub chat_goodbye: String,
    pub card: CardLabels,
    pub buttons: ButtonLabels,
    pub commands: CommandDescriptions,
    /// Read only by the staff ids of `[telegram] staff` (see `crate::staff`).
    pub staff: StaffTexts,
    /// What staff read after a reload (`/reload`, and in the staff chat).
    pub reload: ReloadTexts,
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

impl StaffCommandDescriptions {
    pub fn list(&self) -> [(&'static str, &str); 3] {
        [("stats", &self.stats), ("unanswered", &self.unanswered), ("test", &self.test)]
    }
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
    pub no_contact: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ButtonLabels {
    pub alternatives: String,
    pub helpful: String,
    pub not_helpful: String,
    pub general_window: String,
    pub menu: String,
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

impl CommandDescriptions {
    /// `(command, description)` in the order residents see them.
    pub fn list(&self) -> [(&'static str, &str); 5] {
        [
            ("start", &self.start),
            ("menu", &self.menu),
            ("area", &self.area),
            ("help", &self.help),
            ("forget", &self.forget),
        ]
    }
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
}

impl Menu {
    pub fn labels(&self) -> Vec<String> {
        self.category.iter().map(|c| c.label.clone()).collect()
    }
}

/// Loads and checks `dialogs/`. `None` when any file has an error.
pub fn load(dir: &Path) -> (Option<Dialogs>, Vec<Problem>) {
    let mut problems = Vec::new();
    let texts: Option<Texts> = parse_file(&dir.join(TEXTS_FILE), &mut problems);
    let crisis_path = dir.join(CRISIS_FILE);
    let (crisis, crisis_text): (Option<CrisisFile>, String) = parse_file_and_text(&crisis_path, &mut problems);
    let menu: Option<Menu> = parse_file(&dir.join(MENU_FILE), &mut problems);
    if let Some(crisis) = &crisis {
        if crisis.contact.is_empty() {
            problems.push(Problem::error(&crisis_path, None, "緊急連絡先 ([[contact]]) が1つもありません")
                .hint("119・110・189 を必ず載せてください"));
        }
        if crisis.rule.is_empty() {
            problems.push(Problem::error(&crisis_path, None, "危険のサインのルール ([[rule]]) が1つもありません")
                .hint("index/README.md の「危険のサイン」の章の例を写してください"));
        }
    }
    if let Some(menu) = &menu {
        let path = dir.join(MENU_FILE);
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for (i, c) in menu.category.iter().enumerate() {
            if c.key.is_empty() || c.key.len() > 24 || !c.key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                problems.push(Problem::error(&path, nth_table_line(&text, "[[category]]", i),
                    format!("key「{}」は半角英数字 24 文字以内にしてください", c.key))
                    .hint("例: key = \"kosodate\""));
            }
        }
    }
    let has_error = problems.iter().any(Problem::is_error);
    let dialogs = match (texts, crisis, menu) {
        (Some(texts), Some(crisis), Some(menu)) if !has_error => {
            Some(Dialogs { texts, crisis, crisis_source: CrisisSource { path: crisis_path, text: crisis_text }, menu })
        }
        _ => None,
    };
    (dialogs, problems)
}

fn parse_file<T: serde::de::DeserializeOwned>(path: &Path, problems: &mut Vec<Problem>) -> Option<T> {
    parse_file_and_text(path, problems).0
}

/// [`parse_file`], keeping the text read (for line numbers taken later).
fn parse_file_and_text<T: serde::de::DeserializeOwned>(path: &Path, problems: &mut Vec<Problem>) -> (Option<T>, String) {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            problems.push(Problem::error(path, None, format!("ファイルを読めません ({e})"))
                .hint("dialogs/ にこのファイルがあるか確かめてください"));
            return (None, String::new());
        }
    };
    match parse_toml(path, &text) {
        Ok(value) => (Some(value), text),
        Err(problem) => {
            problems.push(problem);
            (None, text)
        }
    }
}

/// Fills `{name}` placeholders in a dialog text.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}
