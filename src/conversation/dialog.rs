//! The conversation: `(chat state, input, engine) → (new state, replies, events)`.
//!
//! No teloxide here and no terminal either: [`crate::channels::terminal`] (terminal) and the Telegram adapter
//! turn what residents do into an [`Input`], call [`respond`], deliver the [`Reply`]s and store
//! the [`ChatState`] and [`Event`]s as they see fit. Button payloads are short ASCII strings
//! (Telegram allows 64 bytes) that name what they act on, so a button on an old message still
//! works after a restart, or says politely that it expired.

use serde::{Deserialize, Serialize};

use crate::answer::decision::{Decision, Kind};
use crate::answer::engine::Engine;
use crate::conversation::command::{Command, Payload};
use crate::conversation::reply::{with_area, Block, Button, Card, ListItem, Reply};
use crate::conversation::small_talk::{self, SmallTalk};

/// What is remembered about one chat.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatState {
    /// The resident's municipality (official name), once chosen.
    pub area: Option<String>,
    /// Entry ids of the alternatives to the last answer.
    pub alternatives: Vec<String>,
    /// Entry ids of the cards shown in this chat with 役に立った / 違った buttons and not rated
    /// yet, newest last (at most [`RATEABLE_KEPT`]). A press counts only for one of these, and
    /// once: a forged payload or the tenth press of one button is thanked, never counted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rateable: Vec<String>,
}

/// How many unrated cards a chat keeps rateable: more than anyone scrolls back to.
pub const RATEABLE_KEPT: usize = 20;

/// What a resident did.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Text(String),
    /// A command and its argument (`/start kosodate`).
    Command {
        command: Command,
        arg: String,
    },
    /// `/something` madoguchi has no command for: the help text.
    UnknownCommand(String),
    /// A pressed button.
    Button(Payload),
    /// A button whose data madoguchi never made (forged, or from a version long gone).
    UnknownButton,
    /// A sticker, photo, voice message, location, file…
    NotText,
}

/// Something worth recording for staff.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Event {
    Asked { question: String, kind: Kind, entry: Option<String>, score: Option<f32>, area: Option<String> },
    Feedback { entry: String, helpful: bool },
    Forget,
}

/// Whether the channel keeps the [`Event`]s: the Telegram bot does; `madoguchi chat` keeps
/// nothing, and its replies to /forget and 違った say so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Records {
    Kept,
    NotKept,
}

/// Handles one input, for a channel that keeps the events.
pub fn respond(state: &ChatState, input: Input, engine: &Engine) -> (ChatState, Vec<Reply>, Vec<Event>) {
    respond_in(state, input, engine, Records::Kept)
}

/// Handles one input, saying only what is true of the channel's records.
pub fn respond_in(
    state: &ChatState,
    input: Input,
    engine: &Engine,
    records: Records,
) -> (ChatState, Vec<Reply>, Vec<Event>) {
    let texts = &engine.dialogs().texts;
    let mut state = state.clone();
    let mut events = Vec::new();
    let replies = match input {
        Input::NotText => vec![Reply::text(&texts.ask_in_words)],
        Input::Text(text) if text.trim().is_empty() => vec![Reply::text(&texts.empty_message)],
        Input::Text(text) => {
            let decision = engine.decide(&text, state.area.as_deref());
            // Danger first, even in a message that looks like small talk.
            let small_talk = engine
                .crisis()
                .lead(&decision.crisis)
                .is_none()
                .then(|| small_talk::classify(&text, &texts.small_talk))
                .flatten();
            if let Some(talk) = small_talk {
                vec![small_talk_reply(talk, engine)]
            } else {
                let top = decision.candidates.first();
                events.push(Event::Asked {
                    question: text,
                    kind: decision.kind,
                    entry: top.map(|c| engine.entry(c.entry).id.clone()),
                    score: top.map(|c| c.confidence),
                    area: decision.area.clone(),
                });
                state.alternatives = match decision.kind {
                    Kind::Answer => {
                        decision.candidates.iter().skip(1).map(|c| engine.entry(c.entry).id.clone()).collect()
                    }
                    _ => Vec::new(),
                };
                let mut reply = match &decision.choices {
                    Some(category) => {
                        // A field's choices are those of one municipality: ask which one first.
                        let mut reply = match &state.area {
                            Some(_) => category_reply(category, &state, engine),
                            None => {
                                let mut choice = area_choice(engine);
                                choice.blocks = vec![Block::Text(texts.choose_area_for_choices.clone())];
                                choice
                            }
                        };
                        reply.blocks.splice(0..0, crisis_lead(&decision, engine));
                        reply
                    }
                    None => decision_reply(&decision, engine),
                };
                // A place the message names is kept for the chat until the resident changes it,
                // and the reply says so (after any crisis contacts, which always come first).
                if decision.area_from_message && decision.area != state.area {
                    state.area = decision.area.clone();
                    if let Some(area) = &decision.area {
                        let at = crisis_lead(&decision, engine).len();
                        reply.blocks.insert(at, Block::Text(with_area(&texts.area_from_message, area)));
                    }
                }
                vec![reply]
            }
        }
        Input::Command { command: which, arg } => command(&mut state, which, &arg, engine, records, &mut events),
        Input::UnknownCommand(_) => vec![Reply::text(&texts.help)],
        Input::Button(payload) => button(&mut state, payload, engine, records, &mut events),
        Input::UnknownButton => vec![Reply::text(&texts.expired)],
    };
    // Every card that offers feedback buttons may now be rated, once.
    for button in replies.iter().flat_map(|r| r.buttons.iter().flatten()) {
        if let Payload::Helpful(id) = &button.payload {
            state.rateable.retain(|kept| kept != id);
            state.rateable.push(id.clone());
        }
    }
    let excess = state.rateable.len().saturating_sub(RATEABLE_KEPT);
    state.rateable.drain(..excess);
    (state, replies, events)
}

/// Whether a press of a feedback button for `id` counts: the card was shown here and not rated.
fn take_rating(state: &mut ChatState, id: &str) -> bool {
    let before = state.rateable.len();
    state.rateable.retain(|kept| kept != id);
    state.rateable.len() < before
}

fn command(
    state: &mut ChatState,
    command: Command,
    arg: &str,
    engine: &Engine,
    records: Records,
    events: &mut Vec<Event>,
) -> Vec<Reply> {
    let texts = &engine.dialogs().texts;
    match command {
        Command::Start => {
            let mut replies = vec![Reply::text(&texts.greeting)];
            if let Some(category) = engine.dialogs().menu.category.iter().find(|c| c.key == arg.trim()) {
                replies.push(category_reply(&category.key, state, engine));
            } else {
                replies.push(area_choice(engine));
            }
            replies
        }
        Command::Area => {
            let arg = arg.trim();
            match (!arg.is_empty()).then(|| engine.resolve_area(arg)).flatten() {
                Some(area) => {
                    state.area = Some(area.clone());
                    vec![Reply::text(with_area(&texts.area_set, &area))]
                }
                None => vec![area_choice(engine)],
            }
        }
        Command::Menu => vec![menu_reply(engine)],
        Command::Forget => {
            *state = ChatState::default();
            events.push(Event::Forget);
            vec![Reply::text(match records {
                Records::Kept => &texts.forgotten,
                Records::NotKept => &texts.forgotten_unrecorded,
            })]
        }
        // Staff commands from anyone not on the staff list are met like any unknown one.
        Command::Help | Command::Stats | Command::Unanswered | Command::Test | Command::Reload => {
            vec![Reply::text(&texts.help)]
        }
    }
}

fn button(
    state: &mut ChatState,
    payload: Payload,
    engine: &Engine,
    records: Records,
    events: &mut Vec<Event>,
) -> Vec<Reply> {
    let texts = &engine.dialogs().texts;
    let knowledge = engine.knowledge();
    let found: Option<Vec<Reply>> = match payload {
        Payload::AreaNone => {
            state.area = None;
            Some(vec![Reply::text(&texts.area_cleared)])
        }
        Payload::Area(name) => knowledge.places.get(&name).map(|m| {
            state.area = Some(m.name.clone());
            let mut reply = Reply::text(with_area(&texts.area_set, &m.name));
            reply.buttons = menu_reply(engine).buttons;
            vec![reply]
        }),
        Payload::Entry(id) => engine.entry_by_id(&id).map(|entry| vec![card_reply(entry, engine)]),
        Payload::Alternatives => {
            let items: Vec<ListItem> =
                state.alternatives.iter().filter_map(|id| engine.entry_by_id(id)).map(ListItem::of).collect();
            (!items.is_empty()).then(|| {
                let buttons = entry_buttons(&items);
                vec![Reply { blocks: vec![Block::List { intro: texts.alternatives_intro.clone(), items }], buttons }]
            })
        }
        Payload::Helpful(id) => engine.entry_by_id(&id).is_some().then(|| {
            if take_rating(state, &id) {
                events.push(Event::Feedback { entry: id, helpful: true });
            }
            vec![Reply::text(&texts.feedback_thanks)]
        }),
        Payload::NotHelpful(id) => engine.entry_by_id(&id).is_some().then(|| {
            if take_rating(state, &id) {
                events.push(Event::Feedback { entry: id, helpful: false });
            }
            let mut reply = Reply::text(match records {
                Records::Kept => &texts.feedback_sorry,
                Records::NotKept => &texts.feedback_sorry_unrecorded,
            });
            reply.buttons = vec![vec![general_button(engine)]];
            vec![reply]
        }),
        Payload::General => Some(match state.area.as_deref() {
            Some(area) => general_window_cards(area, engine),
            None => vec![general_area_choice(engine)],
        }),
        Payload::GeneralIn(name) => knowledge.places.get(&name).map(|m| {
            state.area = Some(m.name.clone());
            general_window_cards(&m.name, engine)
        }),
        Payload::Category(key) => engine
            .dialogs()
            .menu
            .category
            .iter()
            .any(|c| c.key == key)
            .then(|| vec![category_reply(&key, state, engine)]),
        Payload::Menu => Some(vec![menu_reply(engine)]),
        // A staff button pressed by someone who is not staff (or no longer): nothing to do.
        Payload::Handled(_) => None,
    };
    found.unwrap_or_else(|| vec![Reply::text(&texts.expired)])
}

/// The reply to a question.
pub fn decision_reply(decision: &Decision, engine: &Engine) -> Reply {
    let texts = &engine.dialogs().texts;
    let mut blocks = Vec::new();
    let mut buttons = Vec::new();
    if decision.cut {
        blocks.push(Block::Text(texts.cut_notice.clone()));
    }
    match decision.kind {
        Kind::Crisis => {
            for c in &decision.candidates {
                blocks.push(Block::Card(Card::of(engine.entry(c.entry), engine.knowledge())));
            }
            buttons.push(vec![general_button(engine)]);
        }
        Kind::Answer => {
            let best = engine.entry(decision.candidates[0].entry);
            blocks.push(Block::Text(texts.answer_intro.clone()));
            blocks.push(Block::Card(Card::of(best, engine.knowledge())));
            let alternatives: Vec<ListItem> =
                decision.candidates.iter().skip(1).map(|c| ListItem::of(engine.entry(c.entry))).collect();
            if !alternatives.is_empty() {
                blocks.push(Block::List { intro: texts.alternatives_intro.clone(), items: alternatives });
            }
            let labels = &texts.buttons;
            let mut row = Vec::new();
            if decision.candidates.len() > 1 {
                row.push(Button { label: labels.alternatives.clone(), payload: Payload::Alternatives });
            }
            row.push(Button { label: labels.helpful.clone(), payload: Payload::Helpful(best.id.clone()) });
            row.push(Button { label: labels.not_helpful.clone(), payload: Payload::NotHelpful(best.id.clone()) });
            buttons.push(row);
            if decision.area.is_none() {
                // Whose service this is, and a way to say where the resident lives.
                blocks.push(Block::Text(with_area(&texts.other_area_note, &best.municipality)));
                buttons.extend(area_buttons(engine));
            } else {
                buttons.push(vec![general_button(engine)]);
            }
        }
        Kind::Fallback => {
            let intro = if decision.empty {
                &texts.empty_message
            } else if decision.candidates.is_empty() {
                &texts.nothing_found
            } else {
                &texts.unsure_intro
            };
            blocks.push(Block::Text(intro.clone()));
            let items: Vec<ListItem> =
                decision.candidates.iter().map(|c| ListItem::of(engine.entry(c.entry))).collect();
            if !items.is_empty() {
                buttons.extend(entry_buttons(&items));
                blocks.push(Block::List { intro: texts.candidates_intro.clone(), items });
            }
            if decision.area.is_some() {
                blocks.push(Block::Text(texts.general_window_intro.clone()));
                for &index in &decision.general_windows {
                    blocks.push(Block::Card(Card::of(engine.entry(index), engine.knowledge())));
                }
            } else {
                // Not every municipality's window at once (30 lines on a phone): one button each.
                let choice = general_area_choice(engine);
                blocks.extend(choice.blocks);
                buttons.extend(choice.buttons);
            }
        }
    }
    // The crisis reply comes before everything else: alone when urgent, before the answer when
    // gentle (死にたいわけじゃないけど…).
    blocks.splice(0..0, crisis_lead(decision, engine));
    Reply { blocks, buttons }
}

/// The first words, contacts and closing words of the crisis reply a decision calls for.
fn crisis_lead(decision: &Decision, engine: &Engine) -> Vec<Block> {
    let crisis = engine.crisis();
    let Some(lead) = crisis.lead(&decision.crisis) else { return Vec::new() };
    let contacts = crisis.contacts_for(&decision.crisis, decision.area.as_deref()).into_iter().cloned().collect();
    let mut blocks = vec![Block::Text(lead.intro.clone()), Block::Emergency(contacts)];
    blocks.extend(lead.outro.iter().map(|outro| Block::Text(outro.clone())));
    blocks
}

fn card_reply(entry: &crate::content::knowledge::Entry, engine: &Engine) -> Reply {
    let labels = &engine.dialogs().texts.buttons;
    Reply {
        blocks: vec![Block::Card(Card::of(entry, engine.knowledge()))],
        buttons: vec![vec![
            Button { label: labels.helpful.clone(), payload: Payload::Helpful(entry.id.clone()) },
            Button { label: labels.not_helpful.clone(), payload: Payload::NotHelpful(entry.id.clone()) },
        ]],
    }
}

fn area_choice(engine: &Engine) -> Reply {
    let texts = &engine.dialogs().texts;
    let mut row: Vec<Button> = area_buttons(engine).into_iter().flatten().collect();
    row.push(Button { label: texts.area_unknown_button.clone(), payload: Payload::AreaNone });
    Reply {
        blocks: vec![Block::Text(texts.choose_area.clone())],
        buttons: row.chunks(2).map(<[Button]>::to_vec).collect(),
    }
}

/// One button per municipality, two to a row.
fn area_buttons(engine: &Engine) -> Vec<Vec<Button>> {
    let row: Vec<Button> = engine
        .knowledge()
        .places
        .municipalities
        .iter()
        .map(|m| Button { label: m.name.clone(), payload: Payload::Area(m.name.clone()) })
        .collect();
    row.chunks(2).map(<[Button]>::to_vec).collect()
}

/// The municipality is unknown: which one's general window?
fn general_area_choice(engine: &Engine) -> Reply {
    let texts = &engine.dialogs().texts;
    let row: Vec<Button> = engine
        .knowledge()
        .places
        .municipalities
        .iter()
        .map(|m| Button {
            label: with_area(&texts.buttons.general_window_in, &m.name),
            payload: Payload::GeneralIn(m.name.clone()),
        })
        .collect();
    Reply { blocks: vec![Block::Text(texts.general_which_area.clone())], buttons: vec![row] }
}

/// The general window of one municipality, as a card with feedback buttons.
fn general_window_cards(area: &str, engine: &Engine) -> Vec<Reply> {
    engine.general_windows(Some(area)).into_iter().map(|i| card_reply(engine.entry(i), engine)).collect()
}

/// The short reply to a message that is not a question.
fn small_talk_reply(talk: SmallTalk, engine: &Engine) -> Reply {
    let texts = &engine.dialogs().texts.small_talk;
    let (text, with_menu) = match talk {
        SmallTalk::Greeting => (&texts.greeting_reply, true),
        SmallTalk::Thanks => (&texts.thanks_reply, false),
        SmallTalk::NoWords => (&texts.no_words_reply, true),
        SmallTalk::Number => (&texts.number_reply, false),
        SmallTalk::English => (&texts.english_reply, true),
    };
    let mut reply = Reply::text(text);
    if with_menu {
        reply.buttons = menu_reply(engine).buttons;
    }
    reply
}

fn menu_reply(engine: &Engine) -> Reply {
    let menu = &engine.dialogs().menu;
    let buttons: Vec<Button> = menu
        .category
        .iter()
        .map(|c| Button { label: c.label.clone(), payload: Payload::Category(c.key.clone()) })
        .collect();
    Reply {
        blocks: vec![Block::Text(engine.dialogs().texts.menu_intro.clone())],
        buttons: buttons.chunks(2).map(<[Button]>::to_vec).collect(),
    }
}

fn category_reply(key: &str, state: &ChatState, engine: &Engine) -> Reply {
    let texts = &engine.dialogs().texts;
    let Some(category) = engine.dialogs().menu.category.iter().find(|c| c.key == key) else {
        return Reply::text(&texts.expired);
    };
    let items: Vec<ListItem> = engine
        .knowledge()
        .entries
        .iter()
        .filter(|e| e.categories.contains(&category.label))
        .filter(|e| state.area.as_deref().is_none_or(|a| e.municipality == a))
        .map(ListItem::of)
        .collect();
    if items.is_empty() {
        return Reply::text(&texts.menu_empty);
    }
    let buttons = entry_buttons(&items);
    Reply { blocks: vec![Block::List { intro: category.label.clone(), items }], buttons }
}

fn entry_buttons(items: &[ListItem]) -> Vec<Vec<Button>> {
    items
        .iter()
        .map(|i| {
            vec![Button { label: format!("{}({})", i.title, i.municipality), payload: Payload::Entry(i.id.clone()) }]
        })
        .collect()
}

fn general_button(engine: &Engine) -> Button {
    Button { label: engine.dialogs().texts.buttons.general_window.clone(), payload: Payload::General }
}
