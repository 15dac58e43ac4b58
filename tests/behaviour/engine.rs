//! The answer engine and the dialog on the fixture knowledge base (`tests/fixtures/town`): the
//! behaviours residents rely on, whatever staff write in the real `index/`. The crisis rules
//! are content and are tested with it (`tests/content/crisis.rs`).

use crate::common;

use madoguchi::answer::decision::Kind;
use madoguchi::answer::search::SearchQuery;
use madoguchi::conversation::command::{Command, Payload};
use madoguchi::conversation::dialog::{respond, ChatState, Event, Input};

#[test]
fn area_is_read_from_a_district_name_and_restricts_answers() {
    let engine = common::fixture_engine();
    let decision = engine.decide("北川に住む母の見守りをお願いしたい", None);
    assert_eq!(decision.area.as_deref(), Some("川辺市"));
    assert!(decision.area_from_message);
    assert!(!decision.candidates.is_empty());
    for c in &decision.candidates {
        assert_eq!(engine.entry(c.entry).municipality, "川辺市");
    }
    // The district still tells local groups apart: it counts against names and keywords.
    assert_eq!(decision.kind, Kind::Answer, "{:?}", decision.explanation);
    assert_eq!(engine.entry(decision.candidates[0].entry).id, "kawabe/kitagawa-mimamori");
}

#[test]
fn the_municipality_name_does_not_count_as_a_search_term() {
    let engine = common::fixture_engine();
    let decision = engine.decide("川辺市のことを教えて", None);
    assert_eq!(decision.area.as_deref(), Some("川辺市"));
    assert!(!decision.explanation.terms.iter().any(|t| t.contains("川辺")), "{:?}", decision.explanation.terms);
    // Nothing but the place: unsure, with that municipality's general window only.
    assert_eq!(decision.kind, Kind::Fallback);
    let windows: Vec<_> = decision.general_windows.iter().map(|&i| engine.entry(i).id.as_str()).collect();
    assert_eq!(windows, ["kawabe/sodan-madoguchi"]);
}

#[test]
fn a_set_area_is_used_when_the_message_names_none() {
    let engine = common::fixture_engine();
    let decision = engine.decide("お弁当を届けてほしい", Some("山里町"));
    assert_eq!(decision.area.as_deref(), Some("山里町"));
    assert!(!decision.area_from_message);
    assert_eq!(engine.entry(decision.candidates[0].entry).id, "yamazato/haishoku");
}

#[test]
fn wording_bridges_reach_the_official_name() {
    let engine = common::fixture_engine();
    let decision = engine.decide("ちょっと子どもを預かってもらえるところってある?", None);
    assert_eq!(decision.kind, Kind::Answer, "{:?}", decision.explanation);
    assert_eq!(engine.entry(decision.candidates[0].entry).title, "一時預かり");
    assert!(decision.explanation.bridged.iter().any(|w| w == "預ける"), "{:?}", decision.explanation);
}

#[test]
fn a_question_written_in_hiragana_finds_the_kanji_words_it_spells() {
    let engine = common::fixture_engine();
    let decision = engine.decide("はいしょく を おねがい したい", Some("川辺市"));
    assert!(decision.explanation.kana_read.iter().any(|w| w == "配食"), "{:?}", decision.explanation);
    assert_eq!(engine.entry(decision.candidates[0].entry).id, "kawabe/haishoku", "{:?}", decision.explanation);
    // A question frame in kana spells nothing.
    let decision = engine.decide("どうしたらいいですか", None);
    assert_eq!(decision.explanation.kana_read, Vec::<String>::new());
}

#[test]
fn out_of_scope_is_honest_and_never_a_dead_end() {
    let engine = common::fixture_engine();
    let municipalities = engine.knowledge().places.municipalities.len();
    for question in ["明日の天気を教えて", "おすすめのラーメン屋さん", "株の配当にかかる税金", "あ"]
    {
        let decision = engine.decide(question, None);
        assert_eq!(decision.kind, Kind::Fallback, "{question}");
        assert_eq!(decision.general_windows.len(), municipalities, "every general window when the area is unknown");
    }
}

/// Each question (area not given) is a fallback: no service is what it asks for.
fn assert_fallbacks(engine: &madoguchi::answer::engine::Engine, questions: &[&str]) {
    for question in questions {
        let decision = engine.decide(question, None);
        assert_eq!(decision.kind, Kind::Fallback, "{question}: {:?}", decision.candidates.first().map(|c| c.entry));
    }
}

/// Each question (area not given) is answered, with the service of that title first.
fn assert_answers(engine: &madoguchi::answer::engine::Engine, cases: &[(&str, &str)]) {
    for (question, title) in cases {
        let decision = engine.decide(question, None);
        assert_eq!(decision.kind, Kind::Answer, "{question}");
        assert_eq!(engine.entry(decision.candidates[0].entry).title, *title, "{question}");
    }
}

#[test]
fn a_compound_is_the_unit_the_resident_means() {
    let engine = common::engine();
    // A compound no entry holds, whose part is an entry's name or word: another thing.
    assert_fallbacks(
        engine,
        &["ドッグサロンでトリミングを頼みたい", "家族会議で実家の片付けを話し合いたい", "料理ガイドブックを探してる"],
    );
    // The same words standing alone are the service.
    assert_answers(
        engine,
        &[
            ("世田谷で、近所のサロンに参加してみたい", "サロン・ミニデイ"),
            ("世田谷の家族会に入りたいです。母が認知症です", "家族会"),
            ("認知症のガイドブックがほしい。世田谷区です", "あんしんガイドブック"),
        ],
    );
}

#[test]
fn what_the_candidate_leaves_unexplained_counts_against_it() {
    let engine = common::engine();
    // One word shared with an entry, the rest about something else: not that service.
    assert_fallbacks(
        engine,
        &["おしゃれで静かなカフェで読書したい", "引っ越しの見積もりで、ポイントが貯まる業者はどこ？"],
    );
    // A situation the staff's wording connects to a service (掃除 → 家事) is explained by it,
    // and a long message whose words the service holds is answered.
    assert_answers(
        engine,
        &[
            ("布団を干すのも掃除もしんどくなってきた。世田谷", "ふれあいサービス"),
            ("ひとりで晩ごはんを食べてる小学生が安く食べられる場所、西東京市にありますか", "子ども食堂"),
        ],
    );
}

#[test]
fn one_word_in_common_with_a_message_about_other_things_is_a_coincidence_explain_names() {
    let engine = common::engine();
    // 緊急連絡先 alone meets 緊急連絡のてびき; android and 手順 are words no entry holds.
    let question = "Androidで緊急連絡先を登録する手順を知りたい";
    let decision = engine.decide(question, None);
    assert_eq!(decision.kind, Kind::Fallback, "{question}");
    let first = &decision.candidates[0];
    assert_eq!(engine.entry(first.entry).title, "緊急連絡のてびき");
    assert!(first.coincidence, "{first:?}");
    let request = madoguchi::answer::explain::Request {
        area: None,
        want: None,
        index_dir: std::path::Path::new("index"),
        want_usage: "--want 正しい項目の id を付けると",
    };
    let shown = madoguchi::answer::explain::render(&decision, engine, &request);
    assert!(shown.contains("偶然の一致とみて確かさを下げました"), "{shown}");
    // A resident's own situation in words no entry holds (布団, 干す) is no coincidence.
    let decision = engine.decide("布団を干すのも掃除もしんどくなってきた。世田谷", None);
    assert!(!decision.candidates[0].coincidence, "{:?}", decision.candidates[0]);
}

#[test]
fn a_verb_written_in_kana_is_read_as_the_indexs_word_of_its_reading() {
    let engine = common::engine();
    // てつだって: the dictionary reads the verb てつだう, which no entry holds; its reading is
    // 手伝う's, so the question is answered as the one written in kanji.
    let kana = engine.decide("せたがやです。かいものを てつだってくれる ひとは いますか", None);
    assert!(kana.explanation.kana_read.iter().any(|w| w == "手伝う"), "{:?}", kana.explanation);
    let kanji = engine.decide("世田谷です。買い物を手伝ってくれる人はいますか", None);
    assert_eq!(kana.kind, Kind::Answer, "{:?}", kana.explanation);
    assert_eq!(kana.candidates[0].entry, kanji.candidates[0].entry);
}

#[test]
fn the_dictionarys_cuts_of_a_kana_word_are_not_words_left_unexplained() {
    let engine = common::engine();
    // ちいきほうかつしえんせんたー is cut into pieces no entry holds; the word the kana spells
    // explains them, so the answer is as sure as a kanji spelling's is, well above the bar
    // (0.38); and romaji's particles (ga, de) are no words of their own.
    for (question, title) in [
        ("ちいきほうかつしえんせんたー", "地域包括支援センター"),
        ("haha ga ninchishou de komatte imasu", "認知症初期集中支援チーム"),
    ] {
        let decision = engine.decide(question, None);
        assert_eq!(decision.kind, Kind::Answer, "{question}");
        let first = &decision.candidates[0];
        assert_eq!(engine.entry(first.entry).title, title, "{question}");
        assert!(first.confidence >= 0.45, "{question}: {}", first.confidence);
    }
}

#[test]
fn query_syntax_is_just_text() {
    let engine = common::fixture_engine();
    for question in ["\"配食\" AND title:認知症", "(((", "配食 OR -*", "field:value^10 ~2"] {
        let _ = engine.decide(question, None);
    }
    let decision = engine.decide("配食サービス AND OR NOT", Some("山里町"));
    assert_eq!(engine.entry(decision.candidates[0].entry).id, "yamazato/haishoku");
}

#[test]
fn dialog_remembers_the_area_and_forgets_on_request() {
    let engine = common::fixture_engine();
    let state = ChatState::default();
    let (state, _, _) = respond(&state, Input::Button(Payload::Area("山里町".into())), engine);
    assert_eq!(state.area.as_deref(), Some("山里町"));
    let (state, replies, events) = respond(&state, Input::Text("祖母の物忘れが心配".into()), engine);
    assert!(matches!(&events[0], Event::Asked { area: Some(a), .. } if a == "山里町"));
    assert!(!replies[0].buttons.is_empty());
    let (state, _, events) = respond(&state, Input::Command { command: Command::Forget, arg: String::new() }, engine);
    assert_eq!(state, ChatState::default());
    assert_eq!(events, vec![Event::Forget]);
}

#[test]
fn buttons_fit_telegram_and_old_ones_expire_politely() {
    let engine = common::fixture_engine();
    for entry in &engine.knowledge().entries {
        let decision = engine.decide(&entry.title, Some(&entry.municipality));
        let reply = madoguchi::conversation::dialog::decision_reply(&decision, engine);
        for button in reply.buttons.iter().flatten() {
            let data = button.payload.to_string();
            assert!(data.len() <= 64, "{data} is {} bytes", data.len());
        }
    }
    let (_, replies, _) =
        respond(&ChatState::default(), Input::Button(Payload::Entry("gone/removed-entry".into())), engine);
    let text = madoguchi::conversation::reply::render_plain(&replies[0], engine.dialogs());
    assert_eq!(text, engine.dialogs().texts.expired);
}

#[test]
fn non_text_messages_get_a_polite_reply() {
    let engine = common::fixture_engine();
    let (_, replies, events) = respond(&ChatState::default(), Input::NotText, engine);
    assert_eq!(
        madoguchi::conversation::reply::render_plain(&replies[0], engine.dialogs()),
        engine.dialogs().texts.ask_in_words
    );
    assert!(events.is_empty());
}

#[test]
fn the_menu_lists_entries_of_the_area() {
    let engine = common::fixture_engine();
    let state = ChatState { area: Some("山里町".into()), ..ChatState::default() };
    let (_, replies, _) = respond(&state, Input::Button(Payload::Category("koureisha".into())), engine);
    let text = madoguchi::conversation::reply::render_plain(&replies[0], engine.dialogs());
    assert!(text.contains("配食サービス(山里町)") && !text.contains("(川辺市)"), "{text}");
}

/// The scoring loop of `answer/search` is tantivy's BM25 with a disjunction-max per word, run on
/// tantivy's postings: the same queries through tantivy's own query tree rank the same entries
/// with the same scores (the benchmark `search` compares their speed).
#[test]
fn the_scoring_loop_scores_as_tantivys_own_queries() {
    let engine = common::engine();
    for question in [
        "子どもをちょっと預かってもらえるところってある?",
        "母のもの忘れがひどくなってきた",
        "電球も替えられなくて困ってる。墨俣に住んでます",
        "ひきこもりの息子のことを相談したい",
        "一人暮らしの父の見守りをお願いしたいのですが、どこに相談すればよいでしょうか",
        "はいしょく",
    ] {
        // All areas: tantivy's version does not restrict to one.
        let query = SearchQuery { municipality: None, ..engine.search_query(question, None) };
        assert!(!query.terms.is_empty(), "{question}");
        let ours: Vec<(usize, f32)> =
            engine.search_index().search(&query, 5).into_iter().map(|hit| (hit.entry, hit.score)).collect();
        let theirs = engine.search_index().search_with_tantivy_queries(&query, 5).unwrap();
        assert_eq!(ours.len(), theirs.len(), "{question}: {ours:?} / {theirs:?}");
        for ((entry, score), (their_entry, their_score)) in ours.iter().zip(&theirs) {
            assert!((score - their_score).abs() <= 1e-3 * score.max(1.0), "{question}: {ours:?} / {theirs:?}");
            // Equal scores may come in either order; different ones may not.
            if entry != their_entry {
                assert!(ours.iter().any(|(e, s)| e == their_entry && (s - their_score).abs() <= 1e-3), "{question}");
            }
        }
    }
}
