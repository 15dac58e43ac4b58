//! What residents and staff read, as snapshots a reviewer reads instead of assertions: cards,
//! an unsure reply, the HTML Telegram gets, and the explain output, on the fixture knowledge
//! base (`tests/fixtures/town`). A change to the rendering shows up as a diff of
//! `tests/behaviour/snapshots/`; accept it with `INSTA_UPDATE=always cargo test` after reading it.

use madoguchi::answer::explain;
use madoguchi::conversation::dialog::decision_reply;
use madoguchi::conversation::reply::{render_html, render_plain};

use crate::common;

fn plain(question: &str, area: Option<&str>) -> String {
    let engine = common::fixture_engine();
    render_plain(&decision_reply(&engine.decide(question, area), engine), engine.dialogs())
}

#[test]
fn an_answer_card() {
    insta::assert_snapshot!(plain("料理ができない父にお弁当を届けてほしい", Some("川辺市")));
}

#[test]
fn an_answer_card_in_telegram_html() {
    let engine = common::fixture_engine();
    let reply = decision_reply(&engine.decide("ちょっと子どもを預かってもらえる?", None), engine);
    insta::assert_snapshot!(render_html(&reply, engine.dialogs()));
}

#[test]
fn an_unsure_reply_offers_candidates_and_the_window() {
    insta::assert_snapshot!(plain("おべんとう かわべ", None));
}

/// One broad word (issue 9 asks for the choices of that field instead of one pick).
#[test]
fn a_single_word_of_a_need() {
    insta::assert_snapshot!(plain("見守り", None));
}

#[test]
fn out_of_scope_with_no_area_asks_whose_general_window() {
    insta::assert_snapshot!(plain("明日の天気を教えて", None));
}

#[test]
fn explain_for_staff() {
    let engine = common::fixture_engine();
    let question = "北川に住む母の見守りをお願いしたい";
    let decision = engine.decide(question, None);
    let want = engine.knowledge().entry_named("kawabe/mimamori-network");
    assert!(want.is_some());
    // The index folder named relatively, so the snapshot does not hold this machine's path.
    let request = explain::Request {
        area: None,
        want,
        index_dir: std::path::Path::new("index"),
        want_usage: "--want 正しい項目の id を付けると",
    };
    insta::assert_snapshot!(explain::render(&decision, engine, &request));
}

#[test]
fn out_of_scope_in_a_known_town_gets_its_general_window() {
    insta::assert_snapshot!(plain("明日の天気を教えて", Some("川辺市")));
}
