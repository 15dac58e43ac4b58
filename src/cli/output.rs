//! The machine interface of `madoguchi ask --json` (see `../shared/eval/README.md`): one JSON
//! object per question, `{"question", "area", "kind", "answers": [{"id", "title",
//! "municipality", "score"}]}`, plus a few extra fields for people reading it.

use serde::Serialize;

use crate::answer::decision::{Decision, Kind};
use crate::answer::engine::Engine;

#[derive(Debug, Serialize)]
pub struct JsonAnswer<'a> {
    pub question: &'a str,
    pub area: Option<&'a str>,
    pub kind: Kind,
    pub answers: Vec<JsonEntry<'a>>,
    /// Extra: the general consultation windows offered.
    pub general_windows: Vec<JsonEntry<'a>>,
    /// Extra: emergency numbers, leading a crisis reply.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub emergency: Vec<&'a str>,
    /// Extra: whether the area was read from the message.
    pub area_from_message: bool,
    /// Extra: the crisis reply's kind and level (`urgent`, or `gentle` leading an answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crisis: Option<JsonCrisis<'a>>,
}

#[derive(Debug, Serialize)]
pub struct JsonCrisis<'a> {
    pub kind: &'a str,
    pub level: crate::answer::crisis::Level,
}

#[derive(Debug, Serialize)]
pub struct JsonEntry<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub municipality: &'a str,
    /// Confidence, 0–1.
    pub score: f32,
    /// Extra: the raw BM25 score.
    pub bm25: f32,
}

pub fn json_answer<'a>(decision: &'a Decision, engine: &'a Engine) -> JsonAnswer<'a> {
    let entry = |index: usize, score: f32, bm25: f32| {
        let e = engine.entry(index);
        JsonEntry { id: &e.id, title: &e.title, municipality: &e.municipality, score: round(score), bm25: round(bm25) }
    };
    JsonAnswer {
        question: &decision.question,
        area: decision.area.as_deref(),
        kind: decision.kind,
        answers: decision.candidates.iter().map(|c| entry(c.entry, c.confidence, c.score)).collect(),
        general_windows: decision.general_windows.iter().map(|&i| entry(i, 0.0, 0.0)).collect(),
        emergency: match decision.kind {
            Kind::Crisis => engine
                .crisis()
                .contacts_for(&decision.crisis, decision.area.as_deref())
                .into_iter()
                .filter_map(|c| c.number.as_deref())
                .collect(),
            _ => Vec::new(),
        },
        area_from_message: decision.area_from_message,
        crisis: engine.crisis().lead(&decision.crisis).map(|k| JsonCrisis { kind: &k.id, level: k.level }),
    }
}

fn round(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}
