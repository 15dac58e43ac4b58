//! What the engine decided about one question, as data: the kind of reply, the candidates with
//! their confidence, what the crisis layer found, and why (for `explain` and `/test`). The
//! conversation layer renders it; `ask --json` prints it.

use serde::{Deserialize, Serialize};

use crate::answer::crisis::Assessment;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Answer,
    Fallback,
    Crisis,
}

/// One candidate entry with its scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scored {
    pub entry: usize,
    /// tantivy's BM25 score.
    pub score: f32,
    /// 0–1: how sure the engine is that this entry answers the question.
    pub confidence: f32,
    /// Whether the confidence was discounted because the entry meets the question only by
    /// coincidence (one word in common, the rest words no entry holds): for `explain`, not
    /// part of `ask --json`.
    #[serde(skip)]
    pub coincidence: bool,
    /// The words of the question this entry was found by.
    pub matched: Vec<String>,
}

/// Why the engine decided as it did (for `explain` and staff `/test`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Explanation {
    pub normalized: String,
    pub terms: Vec<String>,
    pub bridged: Vec<String>,
    pub places: Vec<String>,
    /// Services the message names outright.
    pub named: Vec<String>,
    /// Words of the index that kana-written stretches of the message spell (はいしょく → 配食).
    pub kana_read: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub question: String,
    pub kind: Kind,
    /// The area used: read from the message, else the one given.
    pub area: Option<String>,
    /// Whether `area` was read from the message (then it may differ from the one given).
    pub area_from_message: bool,
    /// Best first. For `answer` the first is the answer and the rest alternatives; for
    /// `fallback` the closest candidates; for `crisis` windows worth showing after the contacts.
    pub candidates: Vec<Scored>,
    /// Entry indexes of the general consultation windows to offer.
    pub general_windows: Vec<usize>,
    /// A message of broad words only (「介護」, 「お金がない」): the menu category (key) whose
    /// choices the reply lists instead of one pick. The kind is then `fallback`.
    pub choices: Option<String>,
    /// The message had nothing to analyse (empty, only emoji or symbols).
    pub empty: bool,
    /// Only the first part of a very long message was read.
    pub cut: bool,
    /// What the crisis layer found: mentions of danger and the reply they call for.
    pub crisis: Assessment,
    pub explanation: Explanation,
}
