//! The project's own questions (`tests/questions.jsonl`, written apart from the shared dev set)
//! against the real `index/`.

use madoguchi::cli::eval;

use crate::common;

/// The bars `index/README.md` promises: top-1 at least 0.85, top-3 at least 0.95, every
/// crisis caught and every out-of-scope question given the general window (at the
/// calibrated min_confidence 0.38). Measured: top-1 0.851, top-3 0.982, crisis 17/17,
/// fallback 16/16.
#[test]
fn own_question_set_meets_its_bar() {
    let cases = eval::read_cases(&common::repo().join("tests/questions.jsonl")).unwrap();
    assert!(cases.len() >= 120);
    let report = eval::evaluate(&cases, common::engine());
    let summary = format!("{report}");
    println!("{summary}");
    assert!(report.top1 >= 0.85, "help: top-1 fell below 0.85\n{summary}");
    assert!(report.top3 >= 0.95, "help: top-3 fell below 0.95\n{summary}");
    assert_eq!(report.crisis_right, report.crisis_total, "help: every crisis must be caught\n{summary}");
    assert_eq!(
        report.fallback_right, report.fallback_total,
        "help: every out-of-scope question gets the window\n{summary}"
    );
}

/// A question set written on 2026-12-04 by someone who never read `index/`'s example
/// questions, nor the shared dev set (`tests/unseen-questions.jsonl`: 90 answer questions over
/// all 66 services, 30 off-topic messages that share a word with an entry). Measured before
/// this session's changes: top-1 0.833, top-3 0.967, off-topic rejected 15/30; after: the same.
/// A ratchet: it may only rise. Issue 9 asks for off-topic rejection of 9 in 10.
#[test]
fn unseen_question_set_holds_its_measured_figures() {
    let cases = eval::read_cases(&common::repo().join("tests/unseen-questions.jsonl")).unwrap();
    assert_eq!(cases.len(), 120);
    let report = eval::evaluate(&cases, common::engine());
    let summary = format!("{report}");
    println!("{summary}");
    assert!(report.top1 >= 0.83, "help: top-1 fell below its measured 0.833\n{summary}");
    assert!(report.top3 >= 0.96, "help: top-3 fell below its measured 0.967\n{summary}");
    assert!(report.fallback_right >= 15, "help: fewer than the measured 15/30 off-topic rejected\n{summary}");
}
