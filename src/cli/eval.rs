//! `madoguchi eval`: scores a question set in the shared JSON-lines format.
//!
//! A line is `{"q", "area", "kind", "expect"}`. Questions are asked without their area, as the
//! outside checks do: the engine must read the place from the message. An `answer` question is
//! right when the engine answers and one of `expect` stands in the first answer's title (after
//! NFKC, spaces removed), and, when `area` is set, that answer is in that municipality.

use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::answer::decision::{Decision, Kind};
use crate::answer::engine::Engine;

#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    pub q: String,
    #[serde(default)]
    pub area: Option<String>,
    pub kind: Kind,
    #[serde(default)]
    pub expect: Vec<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub questions: usize,
    pub answer_questions: usize,
    pub top1: f64,
    pub top3: f64,
    pub mrr: f64,
    pub fallback_right: usize,
    pub fallback_total: usize,
    pub crisis_right: usize,
    pub crisis_total: usize,
    pub misses: Vec<Miss>,
}

#[derive(Debug, Serialize)]
pub struct Miss {
    pub line: usize,
    pub question: String,
    pub expected_kind: Kind,
    pub expected: Vec<String>,
    pub got_kind: Kind,
    pub got: Vec<String>,
}

pub fn read_cases(path: &Path) -> anyhow::Result<Vec<(usize, Case)>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse_cases(&text).with_context(|| format!("{}", path.display()))
}

pub fn parse_cases(text: &str) -> anyhow::Result<Vec<(usize, Case)>> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| Ok((i + 1, serde_json::from_str(l).with_context(|| format!("line {}", i + 1))?)))
        .collect()
}

fn squash(s: &str) -> String {
    s.nfkc().filter(|c| !c.is_whitespace()).collect()
}

/// Whether `decision`'s candidate at `rank` is a right answer for `case`.
fn is_right(case: &Case, decision: &Decision, engine: &Engine, rank: usize) -> bool {
    let Some(candidate) = decision.candidates.get(rank) else { return false };
    let entry = engine.entry(candidate.entry);
    let title = squash(&entry.title);
    case.expect.iter().any(|name| title.contains(&squash(name)))
        && case.area.as_deref().is_none_or(|a| a == entry.municipality)
}

pub fn evaluate(cases: &[(usize, Case)], engine: &Engine) -> Report {
    let mut report = Report { questions: cases.len(), ..Report::default() };
    let (mut top1, mut top3, mut rr) = (0usize, 0usize, 0f64);
    for (line, case) in cases {
        let decision = engine.decide(&case.q, None);
        let right = match case.kind {
            Kind::Answer => {
                report.answer_questions += 1;
                let first_right = (0..decision.candidates.len()).find(|&r| is_right(case, &decision, engine, r));
                if let Some(rank) = first_right {
                    rr += 1.0 / (rank + 1) as f64;
                    if rank < 3 {
                        top3 += 1;
                    }
                }
                let ok = decision.kind == Kind::Answer && first_right == Some(0);
                top1 += usize::from(ok);
                ok
            }
            Kind::Fallback => {
                report.fallback_total += 1;
                let ok = decision.kind == Kind::Fallback;
                report.fallback_right += usize::from(ok);
                ok
            }
            Kind::Crisis => {
                report.crisis_total += 1;
                let ok = decision.kind == Kind::Crisis;
                report.crisis_right += usize::from(ok);
                ok
            }
        };
        if !right {
            report.misses.push(Miss {
                line: *line,
                question: case.q.clone(),
                expected_kind: case.kind,
                expected: case.expect.clone(),
                got_kind: decision.kind,
                got: decision
                    .candidates
                    .iter()
                    .map(|c| {
                        let e = engine.entry(c.entry);
                        format!("{} ({}) {:.2}", e.title, e.municipality, c.confidence)
                    })
                    .collect(),
            });
        }
    }
    let n = report.answer_questions.max(1) as f64;
    report.top1 = top1 as f64 / n;
    report.top3 = top3 as f64 / n;
    report.mrr = rr / n;
    report
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for miss in &self.misses {
            writeln!(f, "miss line {}: {}", miss.line, miss.question)?;
            writeln!(f, "    expected {:?} {:?}", miss.expected_kind, miss.expected)?;
            writeln!(f, "    got      {:?} {:?}", miss.got_kind, miss.got)?;
        }
        writeln!(
            f,
            "questions: {} ({} answer, {} fallback, {} crisis)",
            self.questions, self.answer_questions, self.fallback_total, self.crisis_total
        )?;
        writeln!(f, "answer: top-1 {:.3}  top-3 {:.3}  MRR {:.3}", self.top1, self.top3, self.mrr)?;
        write!(
            f,
            "fallback {}/{}  crisis {}/{}",
            self.fallback_right, self.fallback_total, self.crisis_right, self.crisis_total
        )
    }
}
