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
