//! Fixes that are tried, not guessed: "add this wording to that entry's `questions`, and it is
//! the answer". Each change is applied to a copy of the knowledge, an engine is built on the
//! copy with the same analyzer, texts and settings, and the same question is asked again; only
//! a change after which the entry is the answer is offered.
//!
//! The smallest change comes first: the resident's wording as an example question, then that
//! plus the question's words the entry lacks as keywords. Nothing is written: staff apply the
//! change to the file themselves (the suggestion names the file and the key) and `index check`
//! and `eval` follow as for any edit.

use crate::answer::decision::{Decision, Kind};
use crate::answer::engine::Engine;

/// A wording longer than this is not offered as an example question (a whole letter is not
/// how residents are expected to ask; staff pick the telling sentence themselves).
const MAX_QUESTION_CHARS: usize = 120;

/// One change to one entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Lines to add to `questions`.
    pub questions: Vec<String>,
    /// Words to add to `keywords`.
    pub keywords: Vec<String>,
}

/// A change after which the entry is the answer, with the confidence before and after.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub entry: usize,
    pub change: Change,
    /// The entry's confidence as a candidate before the change, when it was one.
    pub before: Option<f32>,
    pub after: f32,
}

/// Why no change is offered for an entry.
#[derive(Debug, Clone, PartialEq)]
pub enum NoSuggestion {
    /// A danger sign leads the reply; search does not decide it.
    Crisis,
    /// The entry belongs to another municipality than the one the question was answered for.
    OtherArea { entry_area: String, question_area: String },
    /// It is the answer already.
    AlreadyAnswer,
    /// Nothing was found to say: the message had no words to search with.
    NoWords,
    /// The wording is too long to be an example question.
    TooLong,
    /// The changes tried did not make it the answer; the confidence the best try reached.
    NotEnough { best: Option<f32> },
    /// The copy could not be built (a bug; the detail for an administrator).
    Failed(String),
}

/// The words of the question an entry could take as keywords: the resident's own words that
/// are not place names.
pub fn own_words(decision: &Decision) -> Vec<String> {
    let places = &decision.explanation.places;
    decision.explanation.terms.iter().filter(|t| !places.iter().any(|p| p.contains(t.as_str()))).cloned().collect()
}

/// Tries the changes that could make entry `want` the answer to `question` (asked with `area`,
/// as `decision` was), smallest first, and returns the first that works.
pub fn suggest(
    engine: &Engine,
    decision: &Decision,
    area: Option<&str>,
    want: usize,
    missing: &[String],
) -> Result<Suggestion, NoSuggestion> {
    let entry = engine.entry(want);
    if decision.kind == Kind::Crisis {
        return Err(NoSuggestion::Crisis);
    }
    if decision.empty {
        return Err(NoSuggestion::NoWords);
    }
    if let Some(question_area) = decision.area.as_deref().filter(|a| *a != entry.municipality) {
        return Err(NoSuggestion::OtherArea {
            entry_area: entry.municipality.clone(),
            question_area: question_area.to_string(),
        });
    }
    if decision.kind == Kind::Answer && decision.candidates.first().is_some_and(|c| c.entry == want) {
        return Err(NoSuggestion::AlreadyAnswer);
    }
    let wording = decision.question.trim();
    if wording.chars().count() > MAX_QUESTION_CHARS {
        return Err(NoSuggestion::TooLong);
    }
    let before = decision.candidates.iter().find(|c| c.entry == want).map(|c| c.confidence);
    let mut tries = vec![Change { questions: vec![wording.to_string()], keywords: Vec::new() }];
    if !missing.is_empty() {
        tries.push(Change { questions: vec![wording.to_string()], keywords: missing.to_vec() });
    }
    let mut best: Option<f32> = None;
    for change in tries {
        let after = ask_with(engine, want, &change, &decision.question, area).map_err(NoSuggestion::Failed)?;
        match after.candidates.iter().position(|c| c.entry == want) {
            Some(0) if after.kind == Kind::Answer => {
                return Ok(Suggestion { entry: want, change, before, after: after.candidates[0].confidence });
            }
            Some(rank) => {
                best = Some(
                    best.map_or(after.candidates[rank].confidence, |b: f32| b.max(after.candidates[rank].confidence)),
                )
            }
            None => {}
        }
    }
    Err(NoSuggestion::NotEnough { best })
}

/// The decision on `question` of an engine whose knowledge has `change` applied to entry `want`.
pub fn ask_with(
    engine: &Engine,
    want: usize,
    change: &Change,
    question: &str,
    area: Option<&str>,
) -> Result<Decision, String> {
    let mut knowledge = engine.knowledge().clone();
    let entry = &mut knowledge.entries[want];
    entry.questions.extend(change.questions.iter().cloned());
    entry.keywords.extend(change.keywords.iter().cloned());
    let copy = Engine::with_analyzer(
        engine.analyzer().clone(),
        knowledge,
        engine.dialogs().clone(),
        engine.settings().clone(),
    )
    .map_err(|e| format!("{e:#}"))?;
    Ok(copy.decide(question, area))
}
