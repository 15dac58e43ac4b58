//! The answer engine and the dialog on the real index: the behaviours residents rely on.

use crate::common;

use madoguchi::answer::decision::Kind;
use madoguchi::conversation::command::{Command, Payload};
use madoguchi::conversation::dialog::{respond, ChatState, Event, Input};

#[test]
fn area_is_read_from_a_district_name_and_restricts_answers() {
    let engine = common::engine();
    let decision = engine.decide("用賀に住んでます。一人暮らしの父の見守りをお願いしたい", None);
    assert_eq!(decision.area.as_deref(), Some("世田谷区"));
    assert!(decision.area_from_message);
    for c in &decision.candidates {
        assert_eq!(engine.entry(c.entry).municipality, "世田谷区");
    }
}

#[test]
fn the_municipality_name_does_not_count_as_a_search_term() {
    let engine = common::engine();
    let decision = engine.decide("大垣市のことを教えて", None);
    assert_eq!(decision.area.as_deref(), Some("大垣市"));
    assert!(!decision.explanation.terms.iter().any(|t| t.contains("大垣")), "{:?}", decision.explanation.terms);
    // Nothing but the place: unsure, with the 大垣市 general window.
    assert_eq!(decision.kind, Kind::Fallback);
    let windows: Vec<_> = decision.general_windows.iter().map(|&i| engine.entry(i).title.as_str()).collect();
    assert_eq!(windows, ["大垣市社会福祉協議会"]);
}

#[test]
fn a_set_area_is_used_when_the_message_names_none() {
    let engine = common::engine();
    let decision = engine.decide("お弁当を届けてほしい", Some("西東京市"));
    assert_eq!(decision.area.as_deref(), Some("西東京市"));
    assert!(!decision.area_from_message);
}

#[test]
fn wording_bridges_reach_the_official_name() {
    let engine = common::engine();
    let decision = engine.decide("子どもをちょっと預かってもらえるところってある?世田谷", None);
    assert_eq!(decision.kind, Kind::Answer);
    assert_eq!(engine.entry(decision.candidates[0].entry).title, "地域子育て支援コーディネーター");
    assert!(decision.explanation.bridged.iter().any(|w| w == "預ける"), "{:?}", decision.explanation);
}

#[test]
fn a_question_written_in_hiragana_finds_the_kanji_words_it_spells() {
    let engine = common::engine();
    let decision = engine.decide("はいしょく　せたがやく", None);
    assert!(decision.explanation.kana_read.iter().any(|w| w == "配食"), "{:?}", decision.explanation);
    assert_eq!(decision.kind, Kind::Answer, "{:?}", decision.explanation);
    assert_eq!(engine.entry(decision.candidates[0].entry).title, "配食サービス");
    // IPADIC finds no content word in かぞくかい at all: the spelling is all there is.
    let decision = engine.decide("かぞくかい", Some("世田谷区"));
    assert!(!decision.empty);
    assert_eq!(engine.entry(decision.candidates[0].entry).title, "家族会");
    // A question frame in kana spells nothing.
    let decision = engine.decide("どうしたらいいですか", None);
    assert_eq!(decision.explanation.kana_read, Vec::<String>::new());
}

#[test]
fn out_of_scope_is_honest_and_never_a_dead_end() {
    let engine = common::engine();
    for question in ["明日の天気を教えて", "おすすめのラーメン屋さん", "株の配当にかかる税金", "あ"]
    {
        let decision = engine.decide(question, None);
        assert_eq!(decision.kind, Kind::Fallback, "{question}");
        assert_eq!(decision.general_windows.len(), 3, "all three general windows when the area is unknown");
    }
}

/// Each kind of danger leads with its own contacts, right after the first words.
#[test]
fn crisis_replies_lead_with_the_contacts_of_their_kind() {
    let engine = common::engine();
    for (question, first) in [
        ("もう死にたい", "0120-279-338"),
        ("夫に殴られている", "110"),
        ("父が倒れて息をしていない", "119"),
        ("隣の子が毎晩叩かれて泣き叫んでいる", "189"),
        ("睡眠薬をたくさん飲んだ", "119"),
    ] {
        let (_, replies, _) = respond(&ChatState::default(), Input::Text(question.into()), engine);
        let text = madoguchi::conversation::reply::render_plain(&replies[0], engine.dialogs());
        let first_contact = text.find('■').expect("a contact line");
        let at = first_contact
            + text[first_contact..].find(first).unwrap_or_else(|| panic!("{first} for {question}:\n{text}"));
        assert!(
            first_contact < at && text[first_contact..at].lines().count() == 1,
            "{first} leads for {question}:\n{text}"
        );
        assert!(text[..first_contact].chars().count() < 120, "contacts come first for {question}:\n{text}");
    }
}

#[test]
fn a_worry_about_the_future_is_not_an_emergency() {
    let engine = common::engine();
    let decision = engine.decide("一人暮らしの母が家で倒れたらどうしようと心配です", Some("大垣市"));
    assert_ne!(decision.kind, Kind::Crisis);
    // …but a real emergency in the same message still is.
    let decision = engine.decide("倒れたらと心配していたら、本当に倒れて息をしていない", None);
    assert_eq!(decision.kind, Kind::Crisis);
}

#[test]
fn query_syntax_is_just_text() {
    let engine = common::engine();
    for question in ["\"配食\" AND title:認知症", "(((", "配食 OR -*", "field:value^10 ~2"] {
        let _ = engine.decide(question, None);
    }
    let decision = engine.decide("配食サービス AND OR NOT", Some("世田谷区"));
    assert_eq!(engine.entry(decision.candidates[0].entry).title, "配食サービス");
}

#[test]
fn dialog_remembers_the_area_and_forgets_on_request() {
    let engine = common::engine();
    let state = ChatState::default();
    let (state, _, _) = respond(&state, Input::Button(Payload::Area("西東京市".into())), engine);
    assert_eq!(state.area.as_deref(), Some("西東京市"));
    let (state, replies, events) = respond(&state, Input::Text("ひきこもりの息子のこと".into()), engine);
    assert!(matches!(&events[0], Event::Asked { area: Some(a), .. } if a == "西東京市"));
    assert!(!replies[0].buttons.is_empty());
    let (state, _, events) = respond(&state, Input::Command { command: Command::Forget, arg: String::new() }, engine);
    assert_eq!(state, ChatState::default());
    assert_eq!(events, vec![Event::Forget]);
}

#[test]
fn buttons_fit_telegram_and_old_ones_expire_politely() {
    let engine = common::engine();
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
    let engine = common::engine();
    let (_, replies, events) = respond(&ChatState::default(), Input::NotText, engine);
    assert_eq!(
        madoguchi::conversation::reply::render_plain(&replies[0], engine.dialogs()),
        engine.dialogs().texts.ask_in_words
    );
    assert!(events.is_empty());
}

#[test]
fn the_menu_lists_entries_of_the_area() {
    let engine = common::engine();
    let state = ChatState { area: Some("大垣市".into()), ..ChatState::default() };
    let (_, replies, _) = respond(&state, Input::Button(Payload::Category("koureisha".into())), engine);
    let text = madoguchi::conversation::reply::render_plain(&replies[0], engine.dialogs());
    assert!(text.contains("(大垣市)") && !text.contains("(世田谷区)"), "{text}");
}

/// The messages of issue 8: danger in the resident's own words, and words that only look like it.
#[test]
fn danger_is_read_from_words_not_substrings() {
    let engine = common::engine();
    let lead = |q: &str| {
        let d = engine.decide(q, None);
        (d.kind, engine.crisis().lead(&d.crisis).map(|k| k.id.clone()))
    };
    for (question, kind) in [
        ("薬を50錠飲んだ", "suicide_act"),
        ("もう死んでしまおうか", "suicidal"),
        ("もう母を道連れにして死んでしまおうかと考えてしまいます", "suicidal"),
        ("祖父がお餅をのどにつまらせたみたいで苦しそう！", "emergency"),
        ("ママがずっとかえってこない。ごはんない。ひとりでこわい", "child"),
        ("夫から毎日どなられて怖い。逃げたい", "violence"),
        ("マンションの5階から飛ぼうと思う", "suicidal"),
        ("おばあちゃんがお風呂で動かない", "emergency"),
        ("隣の家から子どもの悲鳴が毎晩聞こえる", "child"),
        ("もう限界、楽になりたい", "suicidal"),
        ("生まれてこなければよかった", "suicidal"),
        ("しにたーい", "suicidal"),
        ("友達が死にたいと言っている", "suicidal_helper"),
    ] {
        assert_eq!(lead(question), (Kind::Crisis, Some(kind.to_string())), "{question}");
    }
    for question in [
        "受けられていない",
        "子どもを預けられている",
        "相談できるところ",
        "父が脳梗塞で倒れて、退院後の介護が心配",
        "申請したのに返事がない",
        "死ぬほど忙しい",
    ] {
        assert_eq!(lead(question).1, None, "{question}");
    }
    // Denied or past: a gentle reply that leads the answer, never nothing.
    for question in ["死にたいわけじゃないけど、介護がつらい", "昔は死にたいと思っていた"]
    {
        let (kind, lead) = lead(question);
        assert_ne!(kind, Kind::Crisis, "{question}");
        assert_eq!(lead.as_deref(), Some("gentle"), "{question}");
    }
}
