//! The resident's conversation through `dialog::respond` on the made-up town (川辺市 with 桜台
//! and 北川, 山里町 with 東谷) and the real `dialogs/`: the municipality, messages that are not
//! questions, broad words, and the general window.

use madoguchi::conversation::command::{Command, Payload};
use madoguchi::conversation::dialog::{respond, respond_in, ChatState, Event, Input, Records};
use madoguchi::conversation::reply::{render_plain, Block, Reply};

use crate::common;

fn say(state: &ChatState, text: &str) -> (ChatState, Vec<Reply>, Vec<Event>) {
    respond(state, Input::Text(text.into()), common::fixture_engine())
}

fn plain(replies: &[Reply]) -> String {
    let dialogs = common::fixture_engine().dialogs();
    replies.iter().map(|r| render_plain(r, dialogs)).collect::<Vec<_>>().join("\n---\n")
}

fn payloads(replies: &[Reply]) -> Vec<Payload> {
    replies.iter().flat_map(|r| r.buttons.iter().flatten().map(|b| b.payload.clone())).collect()
}

fn texts() -> &'static madoguchi::content::dialogs::texts::Texts {
    &common::fixture_engine().dialogs().texts
}

#[test]
fn a_place_in_the_message_beats_the_stored_area_and_is_kept_for_the_chat() {
    let state = ChatState { area: Some("山里町".into()), ..ChatState::default() };
    let (state, replies, events) = say(&state, "桜台に住む母に、お弁当を届けてもらえますか");
    let text = plain(&replies);
    assert!(text.starts_with(&texts().area_from_message.replace("{area}", "川辺市")), "{text}");
    assert!(text.contains("配食サービス(川辺市)"), "{text}");
    assert_eq!(state.area.as_deref(), Some("川辺市"));
    assert!(matches!(&events[0], Event::Asked { area: Some(a), .. } if a == "川辺市"));
    // The next message names no place: still 川辺市, and the area is not announced again.
    let (state, replies, _) = say(&state, "食事の配達をお願いしたい");
    let text = plain(&replies);
    assert!(text.contains("配食サービス(川辺市)") && !text.contains("山里町"), "{text}");
    assert!(!text.contains(&texts().area_from_message.replace("{area}", "川辺市")), "{text}");
    assert_eq!(state.area.as_deref(), Some("川辺市"));
}

#[test]
fn with_no_area_an_answer_says_whose_it_is_and_offers_the_areas() {
    let (state, replies, _) = say(&ChatState::default(), "認知症の家族の集まりに出たい");
    let text = plain(&replies);
    assert!(text.contains("認知症カフェ(山里町)"), "{text}");
    assert!(text.contains(&texts().other_area_note.replace("{area}", "山里町")), "{text}");
    let buttons = payloads(&replies);
    assert!(buttons.contains(&Payload::Area("川辺市".into())) && buttons.contains(&Payload::Area("山里町".into())));
    assert_eq!(state.area, None, "an answer from one town does not choose the resident's town");
}

#[test]
fn with_no_area_nothing_found_offers_one_window_button_per_town_not_every_card() {
    let (_, replies, _) = say(&ChatState::default(), "駅前の駐輪場の場所");
    let text = plain(&replies);
    assert!(text.contains(&texts().general_which_area), "{text}");
    assert!(!text.contains("福祉総合相談窓口(川辺市)") && !text.contains("■"), "no full card: {text}");
    let buttons = payloads(&replies);
    assert!(buttons.contains(&Payload::GeneralIn("川辺市".into())), "{buttons:?}");
    // Pressing one shows that town's window and keeps the town.
    let (state, replies, _) =
        respond(&ChatState::default(), Input::Button(Payload::GeneralIn("川辺市".into())), common::fixture_engine());
    assert!(plain(&replies).contains("福祉総合相談窓口(川辺市)"));
    assert_eq!(state.area.as_deref(), Some("川辺市"));
    // The 相談窓口 button with no area asks which town first.
    let (_, replies, _) = respond(&ChatState::default(), Input::Button(Payload::General), common::fixture_engine());
    assert!(plain(&replies).contains(&texts().general_which_area));
    let (_, replies, _) = respond(&state, Input::Button(Payload::General), common::fixture_engine());
    let text = plain(&replies);
    assert!(text.contains("福祉総合相談窓口(川辺市)") && !text.contains("山里町"), "{text}");
}

#[test]
fn greetings_thanks_emoji_numbers_and_english_get_short_replies_of_their_own() {
    let small = &texts().small_talk;
    for (message, expected) in [
        ("こんにちは", &small.greeting_reply),
        ("こんにちは!よろしくお願いします", &small.greeting_reply),
        ("ありがとうございました🙏", &small.thanks_reply),
        ("😭", &small.no_words_reply),
        ("🙏🙏🙏", &small.no_words_reply),
        ("？？？", &small.no_words_reply),
        ("9", &small.number_reply),
        ("Hello, my mother has dementia. Where can I get help?", &small.english_reply),
    ] {
        let (_, replies, events) = say(&ChatState::default(), message);
        assert_eq!(replies.len(), 1, "{message}: {replies:?}");
        assert_eq!(replies[0].blocks, vec![Block::Text(expected.clone())], "{message}");
        assert!(events.is_empty(), "{message}: small talk is not a question for staff to review");
        assert!(!plain(&replies).contains(&texts().empty_message), "{message}");
    }
}

#[test]
fn danger_comes_before_small_talk() {
    for message in ["😭😭 もう死にたい", "I want to die", "mou shinitai"] {
        let (_, replies, _) = say(&ChatState::default(), message);
        assert!(replies[0].blocks.iter().any(|b| matches!(b, Block::Emergency(_))), "{message}: {replies:?}");
        assert!(!plain(&replies).contains(&texts().small_talk.english_reply), "{message}");
    }
}

#[test]
fn one_broad_word_gets_that_fields_choices_in_the_area() {
    let state = ChatState { area: Some("川辺市".into()), ..ChatState::default() };
    for message in ["介護", "介護のことで相談したい", "高齢者"] {
        let (_, replies, _) = say(&state, message);
        let text = plain(&replies);
        assert!(text.starts_with("高齢・介護"), "{message}: {text}");
        assert!(text.contains("配食サービス(川辺市)") && text.contains("見守りネットワーク(川辺市)"), "{text}");
        assert!(!text.contains("山里町"), "{message}: {text}");
    }
    // Anything more specific is searched as usual.
    let (_, replies, _) = say(&state, "介護している母にお弁当を届けてほしい");
    assert!(plain(&replies).contains(&texts().answer_intro));
    // No area yet: which town first.
    let (_, replies, _) = say(&ChatState::default(), "介護");
    assert!(plain(&replies).contains(&texts().choose_area_for_choices));
}

#[test]
fn romaji_is_read_as_kana() {
    let (_, replies, _) = say(&ChatState::default(), "bentou wo todokete hoshii. sakuradai");
    let text = plain(&replies);
    assert!(text.contains("配食サービス(川辺市)"), "{text}");
}

#[test]
fn the_terminal_says_it_keeps_no_records() {
    let engine = common::fixture_engine();
    let (_, replies, _) = respond_in(
        &ChatState::default(),
        Input::Command { command: Command::Forget, arg: String::new() },
        engine,
        Records::NotKept,
    );
    assert_eq!(plain(&replies), texts().forgotten_unrecorded);
    let state = ChatState { rateable: vec!["kawabe/haishoku".into()], ..ChatState::default() };
    let (_, replies, _) =
        respond_in(&state, Input::Button(Payload::NotHelpful("kawabe/haishoku".into())), engine, Records::NotKept);
    assert!(plain(&replies).starts_with(&texts().feedback_sorry_unrecorded));
}

#[test]
fn a_card_without_a_contact_points_to_the_body_that_runs_it_never_to_itself() {
    let engine = common::engine();
    let dialogs = engine.dialogs();
    let card = |id: &str| {
        let entry = engine.entry_by_id(id).unwrap_or_else(|| panic!("{id} in index/"));
        render_plain(
            &Reply {
                blocks: vec![Block::Card(madoguchi::conversation::reply::Card::of(entry, engine.knowledge()))],
                buttons: vec![],
            },
            dialogs,
        )
    };
    // 大垣市社会福祉協議会 runs it and has a phone number: its contact is on the card.
    let text = card("ogaki/aono-fukushimura");
    assert!(text.contains(&dialogs.texts.card.reach_via.replace("{title}", "大垣市社会福祉協議会")), "{text}");
    assert!(text.contains("78-8182") && text.contains(&dialogs.texts.card.local_number_note), "{text}");
    // No general window sends the resident to a general window.
    for id in ["setagaya/fukushi-soudan-madoguchi", "nishitokyo/marugoto-soudan", "ogaki/ogaki-shakyo"] {
        let text = card(id);
        assert!(!text.contains("総合相談窓口でおたずねください") && !text.contains("相談窓口へ"), "{id}: {text}");
    }
    // Where nobody in index/ can be reached, the card says so and names the municipality.
    let text = card("setagaya/fukushi-soudan-madoguchi");
    assert!(text.contains(&dialogs.texts.card.no_contact.replace("{area}", "世田谷区")), "{text}");
}
