//! `index/wording.toml`: the staff's words about words.
//!
//! - `stopwords`: question-frame words that carry no need (どこ, ところ, ある, 教える…).
//! - `[variants]`: spellings folded into one before analysis (子ども → 子供, あんすこ → …).
//! - `[[bridge]]`: groups of wordings that mean the same need (ちょっと預かる ↔ 一時預かり).
//!   When a question contains every word of one wording, the other wordings of its group are
//!   searched too. Bridges are applied at question time, so an edit needs no re-indexing.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::content::problem::{line_of_key, Problem};
use crate::content::toml_error::parse as parse_toml;

#[derive(Debug, Clone, Default)]
pub struct Wording {
    pub stopwords: Vec<String>,
    pub variants: Vec<(String, String)>,
    pub bridges: Vec<Bridge>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bridge {
    pub words: Vec<String>,
    /// A note for staff (why this bridge exists); not shown to residents.
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WordingFile {
    #[serde(default)]
    stopwords: Vec<String>,
    #[serde(default)]
    variants: BTreeMap<String, String>,
    #[serde(default)]
    bridge: Vec<Bridge>,
}

impl Wording {
    pub fn parse(path: &Path, text: &str) -> (Wording, Vec<Problem>) {
        let raw: WordingFile = match parse_toml(path, text) {
            Ok(raw) => raw,
            Err(problem) => return (Wording::default(), vec![problem]),
        };
        let mut problems = Vec::new();
        for (i, bridge) in raw.bridge.iter().enumerate() {
            let words: Vec<_> = bridge.words.iter().filter(|w| !w.trim().is_empty()).collect();
            if words.len() < 2 {
                problems.push(
                    Problem::error(path, nth_table_line(text, "[[bridge]]", i), "言い換えの組に言葉が2つ以上ありません")
                        .hint("words = [\"ちょっと預かる\", \"一時預かり\"] のように、同じ意味の言い方を2つ以上並べてください"),
                );
            }
        }
        for (from, to) in &raw.variants {
            if from.trim().is_empty() || to.trim().is_empty() {
                problems.push(
                    Problem::error(path, line_of_key(text, &format!("\"{from}\"")), "表記ゆれの左右どちらかが空です")
                        .hint("\"子ども\" = \"子供\" のように書いてください"),
                );
            }
        }
        let wording = Wording {
            stopwords: raw.stopwords.into_iter().map(|w| w.trim().to_string()).filter(|w| !w.is_empty()).collect(),
            variants: raw.variants.into_iter().filter(|(f, t)| !f.trim().is_empty() && !t.trim().is_empty()).collect(),
            bridges: raw.bridge,
        };
        (wording, problems)
    }
}

/// The line of the `n`-th (0-based) occurrence of an array-of-tables header.
pub fn nth_table_line(text: &str, header: &str, n: usize) -> Option<usize> {
    text.lines().enumerate().filter(|(_, l)| l.trim() == header).nth(n).map(|(i, _)| i + 1)
}
