//! `dialogs/`: every word a resident reads, kept by staff in TOML.
//!
//! - `texts.toml`: greetings, notices and the labels of an answer card.
//! - `crisis.toml`: the emergency contacts, the kinds of danger and the rules that recognise
//!   them (compiled by [`crate::answer::crisis`]).
//! - `menu.toml`: the categories of the menu (and of entries' `categories`).
//!
//! Rust code never holds resident-facing Japanese; it picks a text from here by its key. The
//! structs deny unknown keys and every key is required, so a missing or misspelt text is an
//! `index check` error with its line, not a blank message in production.

use std::path::Path;

use crate::content::dialogs::crisis_file::CrisisFile;
use crate::content::knowledge::wording::nth_table_line;
use crate::content::problem::Problem;
use crate::content::toml_error::parse as parse_toml;

pub mod crisis_file;
pub mod template;
pub mod texts;

use texts::{Menu, Texts};

pub const TEXTS_FILE: &str = "texts.toml";
pub const CRISIS_FILE: &str = "crisis.toml";
pub const MENU_FILE: &str = "menu.toml";

#[derive(Debug, Clone)]
pub struct Dialogs {
    pub texts: Texts,
    /// `crisis.toml` as written; [`crate::answer::crisis::CrisisLayer::compile`] needs the analyzer.
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

/// Loads and checks `dialogs/`. `None` when any file has an error.
pub fn load(dir: &Path) -> (Option<Dialogs>, Vec<Problem>) {
    let mut problems = Vec::new();
    let texts: Option<Texts> = parse_file(&dir.join(TEXTS_FILE), &mut problems);
    let crisis_path = dir.join(CRISIS_FILE);
    let (crisis, crisis_text): (Option<CrisisFile>, String) = parse_file_and_text(&crisis_path, &mut problems);
    let menu: Option<Menu> = parse_file(&dir.join(MENU_FILE), &mut problems);
    if let Some(crisis) = &crisis {
        if crisis.contact.is_empty() {
            problems.push(
                Problem::error(&crisis_path, None, "緊急連絡先 ([[contact]]) が1つもありません")
                    .hint("119・110・189 を必ず載せてください"),
            );
        }
        if crisis.rule.is_empty() {
            problems.push(
                Problem::error(&crisis_path, None, "危険のサインのルール ([[rule]]) が1つもありません")
                    .hint("index/README.md の「危険のサイン」の章の例を写してください"),
            );
        }
    }
    if let Some(menu) = &menu {
        let path = dir.join(MENU_FILE);
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for (i, c) in menu.category.iter().enumerate() {
            if c.key.is_empty()
                || c.key.len() > 24
                || !c.key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                problems.push(
                    Problem::error(
                        &path,
                        nth_table_line(&text, "[[category]]", i),
                        format!("key「{}」は半角英数字 24 文字以内にしてください", c.key),
                    )
                    .hint("例: key = \"kosodate\""),
                );
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
fn parse_file_and_text<T: serde::de::DeserializeOwned>(
    path: &Path,
    problems: &mut Vec<Problem>,
) -> (Option<T>, String) {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            problems.push(
                Problem::error(path, None, format!("ファイルを読めません ({e})"))
                    .hint("dialogs/ にこのファイルがあるか確かめてください"),
            );
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
