//! Staff commands: `/stats`, `/unanswered`, `/test` in Telegram, and `madoguchi stats` /
//! `madoguchi unanswered` in the terminal. No teloxide here.
//!
//! ```text
//! Input (from a staff id) ─► action ─► respond(action, Context) ─► Vec<Reply>
//!                                        │   store: records, reviewed marks
//!                                        │   engine: /test (explain::render), stale entries
//!                                        ▼
//!                stats::compute · unanswered (mask::mask) · explain::render
//! ```
//!
//! Who counts as staff is the adapter's business (`telegram/staff.rs` checks the sender's
//! user id against `[telegram] staff`): this module only says what a staff input means and
//! what to answer. An input that is not a staff command gives `None` from [`action`], so the
//! adapter goes on with the resident dialog. Every word comes from `dialogs/texts.toml`
//! `[staff]`; replies are plain [`Reply`] data, HTML-escaped by the Telegram renderer and
//! printed as is in the terminal.

pub mod csv_import;
pub mod mask;
pub mod stats;
pub mod summary;

use chrono::{DateTime, Utc};
use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use crate::answer::engine::Engine;
use crate::content::dialogs::template::fill;
use crate::content::dialogs::texts::StaffTexts;
use crate::content::knowledge::Knowledge;
use crate::conversation::command::{Command, Payload};
use crate::conversation::dialog::Input;
use crate::conversation::reply::{Block, Button, Reply};
use crate::serving::store::{RecordRef, Review, Store, StoreError};

pub use stats::Stats;

/// `/stats` without a number of days.
pub const DEFAULT_STATS_DAYS: u32 = 7;
/// A year and a day: more is refused with the usage text (records hold little older anyway).
pub const MAX_STATS_DAYS: u32 = 366;
/// `/unanswered` without a count.
pub const DEFAULT_UNANSWERED: usize = 10;
/// One message, one button per question: keeps the reply readable and the keyboard small.
pub const MAX_UNANSWERED: usize = 30;

/// What a staff member asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Stats {
        days: u32,
    },
    Unanswered {
        limit: usize,
    },
    Test {
        question: String,
    },
    /// A handled button; `None` when its reference does not parse (a forged or broken payload).
    MarkHandled(Option<RecordRef>),
    /// A staff command with an argument it cannot use: the usage text.
    Usage,
    /// `/test` without a question.
    TestUsage,
}

/// The staff action an input names, or `None` when it is not a staff command (the resident
/// dialog answers it then). `/stats@BotName 7` arrives here as `Command { "stats", "7" }`:
/// the adapter has already dropped the bot's name and ignored commands for other bots.
pub fn action(input: &Input) -> Option<Action> {
    match input {
        Input::Command { command, arg } => match command {
            Command::Stats => Some(match number(arg, DEFAULT_STATS_DAYS as usize, MAX_STATS_DAYS as usize) {
                Some(days) => Action::Stats { days: days as u32 },
                None => Action::Usage,
            }),
            Command::Unanswered => Some(match number(arg, DEFAULT_UNANSWERED, MAX_UNANSWERED) {
                Some(limit) => Action::Unanswered { limit },
                None => Action::Usage,
            }),
            Command::Test if arg.trim().is_empty() => Some(Action::TestUsage),
            Command::Test => Some(Action::Test { question: arg.trim().to_string() }),
            // `/reload` is the serving side's (the adapter runs it); the rest are residents'.
            Command::Reload | Command::Start | Command::Menu | Command::Area | Command::Help | Command::Forget => None,
        },
        Input::Button(Payload::Handled(reference)) => Some(Action::MarkHandled(reference.parse().ok())),
        Input::Button(_) | Input::UnknownButton | Input::UnknownCommand(_) | Input::Text(_) | Input::NotText => None,
    }
}

/// An optional count argument: empty gives the default; full-width digits are fine (７);
/// anything else, zero or more than `max` is `None`.
fn number(arg: &str, default: usize, max: usize) -> Option<usize> {
    let arg: String = arg.nfkc().collect();
    let arg = arg.trim();
    if arg.is_empty() {
        return Some(default);
    }
    arg.parse::<usize>().ok().filter(|n| (1..=max).contains(n))
}

/// What a staff reply needs besides the action.
pub struct Context<'a> {
    pub engine: &'a Engine,
    pub store: &'a Store,
    /// `[freshness] max_age_months`.
    pub max_age_months: u32,
    pub now: DateTime<Utc>,
    /// Where the entries' files are, to name the file a `/test` suggestion changes.
    pub index_dir: &'a std::path::Path,
}

/// The replies to a staff action.
pub fn respond(action: &Action, cx: &Context) -> Result<Vec<Reply>, StoreError> {
    let texts = &cx.engine.dialogs().texts.staff;
    Ok(match action {
        Action::Usage => vec![Reply::text(texts.usage.trim_start())],
        Action::TestUsage => vec![Reply::text(&texts.test_usage)],
        Action::Test { question } => {
            // `/test setagaya/haishoku-service 質問`: the entry that should answer, then the question.
            let (want, question) = match question.split_once(char::is_whitespace) {
                Some((first, rest)) if first.contains('/') && !rest.trim().is_empty() => {
                    match cx.engine.knowledge().entry_named(first) {
                        Some(want) => (Some(want), rest.trim()),
                        // A mistyped id must not quietly become part of the question.
                        None => {
                            return Ok(vec![Reply::text(format!(
                                "「{first}」という項目はありません。id(例: setagaya/haishoku-service)を確かめてください"
                            ))])
                        }
                    }
                }
                _ => (None, question.as_str()),
            };
            let decision = cx.engine.decide(question, None);
            let request = crate::answer::explain::Request {
                area: None,
                want,
                index_dir: cx.index_dir,
                want_usage: "/test 正しい項目の id 質問 と送ると",
            };
            vec![Reply::text(crate::answer::explain::render(&decision, cx.engine, &request))]
        }
        Action::Stats { days } => {
            let since = cx.now - chrono::Duration::days(i64::from(*days));
            let records = cx.store.records_since(since)?;
            let stats = stats::compute(
                records.iter().map(|(_, r)| r),
                *days,
                cx.now,
                Some(cx.engine.knowledge()),
                cx.max_age_months,
            );
            vec![stats_reply(&stats, texts)]
        }
        Action::Unanswered { limit } => {
            let all = unanswered(cx.store, Some(cx.engine.knowledge()), &texts.masks)?;
            vec![unanswered_reply(&all, *limit, texts, Keys::Buttons)]
        }
        Action::MarkHandled(reference) => {
            let review = match reference {
                Some(reference) => cx.store.mark_reviewed(*reference, cx.now)?,
                None => Review::NotFound,
            };
            vec![Reply::text(review_text(review, texts))]
        }
    })
}

/// What staff read after marking a question handled.
pub fn review_text(review: Review, texts: &StaffTexts) -> &str {
    match review {
        Review::Marked => &texts.handled_done,
        Review::AlreadyMarked => &texts.handled_already,
        Review::NotFound => &texts.handled_missing,
    }
}

/// The words of [`Stats`].
pub fn stats_reply(stats: &Stats, texts: &StaffTexts) -> Reply {
    let date = |t: DateTime<Utc>| stats::jst(t).format("%Y-%m-%d").to_string();
    let count = |n: usize| n.to_string();
    let mut blocks = vec![Block::Text(
        [
            fill(
                &texts.stats_title,
                &[("days", &stats.days.to_string()), ("from", &date(stats.from)), ("to", &date(stats.to))],
            ),
            fill(&texts.stats_questions, &[("count", &count(stats.questions))]),
            fill(
                &texts.stats_shares,
                &[
                    ("answer", &stats.percent(stats.answered).to_string()),
                    ("fallback", &stats.percent(stats.unsure).to_string()),
                    ("crisis", &stats.percent(stats.crisis).to_string()),
                ],
            ),
        ]
        .join("\n"),
    )];
    if !stats.busiest_hours.is_empty() {
        let mut lines = vec![texts.stats_hours_title.clone()];
        lines.extend(
            stats.busiest_hours.iter().map(|h| {
                fill(&texts.stats_hours_line, &[("hour", &h.hour.to_string()), ("count", &count(h.questions))])
            }),
        );
        blocks.push(Block::Text(lines.join("\n")));
    }
    if stats.feedback.is_empty() {
        blocks.push(Block::Text(texts.stats_no_feedback.clone()));
    } else {
        let mut lines = vec![texts.stats_feedback_title.clone()];
        lines.extend(stats.feedback.iter().map(|f| {
            fill(
                &texts.stats_feedback_line,
                &[
                    ("title", f.title.as_deref().unwrap_or("-")),
                    ("id", &f.id),
                    ("helpful", &count(f.helpful)),
                    ("not_helpful", &count(f.not_helpful)),
                ],
            )
        }));
        blocks.push(Block::Text(lines.join("\n")));
    }
    let months = stats.max_age_months.to_string();
    if stats.stale.is_empty() {
        blocks.push(Block::Text(fill(&texts.stale_none, &[("months", &months)])));
    } else {
        let mut lines = vec![fill(&texts.stale_title, &[("months", &months), ("count", &count(stats.stale.len()))])];
        lines.extend(stats.stale.iter().map(|e| {
            fill(
                &texts.stale_line,
                &[("title", &e.title), ("id", &e.id), ("verified", &e.verified.format("%Y-%m-%d").to_string())],
            )
        }));
        blocks.push(Block::Text(lines.join("\n")));
    }
    Reply { blocks, buttons: Vec::new() }
}

/// A question the bot was unsure about and no staff member has marked handled, as staff see
/// it: personal data masked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unanswered {
    /// What the handled button and `madoguchi unanswered --handled` name it by.
    pub reference: String,
    pub time: DateTime<Utc>,
    pub area: Option<String>,
    /// Masked.
    pub question: String,
    /// The best candidate the engine had (id), and its title when still in `index/`.
    pub entry: Option<String>,
    pub entry_title: Option<String>,
    /// Answered with confidence, and the resident pressed 違った: `entry` is the answer given.
    pub marked_wrong: bool,
}

/// Every unanswered question still holding its text, newest first.
pub fn unanswered(
    store: &Store,
    knowledge: Option<&Knowledge>,
    masks: &crate::content::dialogs::texts::MaskLabels,
) -> Result<Vec<Unanswered>, StoreError> {
    let mut out = Vec::new();
    for (reference, record) in store.records_since(DateTime::<Utc>::MIN_UTC)? {
        // Unsure answers, and confident ones a resident marked 違った: staff see both.
        let marked_wrong = record.helpful == Some(false) && record.kind == "answer";
        let Some(question) = record.question.as_deref().filter(|_| record.kind == "fallback" || marked_wrong) else {
            continue;
        };
        if store.is_reviewed(reference)? {
            continue;
        }
        out.push(Unanswered {
            reference: reference.to_string(),
            time: record.time,
            area: record.area.clone(),
            question: mask::mask(question, masks),
            marked_wrong,
            entry_title: record.entry.as_deref().and_then(|id| knowledge?.entry(id)).map(|e| e.title.clone()),
            entry: record.entry,
        });
    }
    out.sort_by(|a, b| b.time.cmp(&a.time).then(b.reference.cmp(&a.reference)));
    Ok(out)
}

/// How a listing offers to mark a question handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// One button per question (Telegram).
    Buttons,
    /// The reference printed under each question, for `madoguchi unanswered --handled KEY`.
    Printed,
}

/// The first `limit` of `all` (newest first), numbered, with a way to mark each handled.
pub fn unanswered_reply(all: &[Unanswered], limit: usize, texts: &StaffTexts, keys: Keys) -> Reply {
    if all.is_empty() {
        return Reply::text(&texts.unanswered_none);
    }
    let shown = &all[..limit.min(all.len())];
    let mut blocks = vec![Block::Text(fill(&texts.unanswered_title, &[("count", &shown.len().to_string())]))];
    let mut buttons = Vec::new();
    for (i, item) in shown.iter().enumerate() {
        let n = (i + 1).to_string();
        let entry = match (&item.entry, &item.entry_title) {
            (Some(id), Some(title)) => format!("{title}({id})"),
            (Some(id), None) => id.clone(),
            (None, _) => texts.unanswered_no_entry.clone(),
        };
        let mut text = fill(
            &texts.unanswered_line,
            &[
                ("n", &n),
                ("time", &stats::jst(item.time).format("%Y-%m-%d %H:%M").to_string()),
                ("area", item.area.as_deref().unwrap_or(&texts.unanswered_no_area)),
                ("question", &item.question),
                ("entry", &entry),
            ],
        );
        if item.marked_wrong {
            text.push('\n');
            text.push_str(&texts.unanswered_marked_wrong);
        }
        match keys {
            Keys::Buttons => buttons.push(vec![Button {
                label: fill(&texts.handled_button, &[("n", &n)]),
                payload: Payload::Handled(item.reference.to_string()),
            }]),
            Keys::Printed => {
                text.push('\n');
                text.push_str(&fill(&texts.unanswered_key, &[("key", &item.reference)]));
            }
        }
        blocks.push(Block::Text(text));
    }
    if all.len() > shown.len() {
        blocks.push(Block::Text(fill(&texts.unanswered_more, &[("count", &(all.len() - shown.len()).to_string())])));
    }
    Reply { blocks, buttons }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(name: &str, arg: &str) -> Input {
        Input::Command { command: name.parse().expect("a command"), arg: arg.into() }
    }

    #[test]
    fn staff_commands_and_their_arguments() {
        assert_eq!(action(&command("stats", "")), Some(Action::Stats { days: DEFAULT_STATS_DAYS }));
        assert_eq!(action(&command("stats", "30")), Some(Action::Stats { days: 30 }));
        assert_eq!(action(&command("stats", "３０")), Some(Action::Stats { days: 30 }), "full-width digits");
        for bad in ["0", "-1", "abc", "9999"] {
            assert_eq!(action(&command("stats", bad)), Some(Action::Usage), "{bad}");
        }
        assert_eq!(action(&command("unanswered", "5")), Some(Action::Unanswered { limit: 5 }));
        assert_eq!(action(&command("unanswered", "")), Some(Action::Unanswered { limit: DEFAULT_UNANSWERED }));
        assert_eq!(action(&command("unanswered", "31")), Some(Action::Usage));
        assert_eq!(action(&command("test", " 母のもの忘れ ")), Some(Action::Test { question: "母のもの忘れ".into() }));
        assert_eq!(action(&command("test", "")), Some(Action::TestUsage));
        // Resident commands, text and resident buttons are not staff business.
        for input in [
            command("help", ""),
            command("start", ""),
            Input::Text("/stats".into()),
            Input::NotText,
            Input::Button(Payload::Helpful("a/b".into())),
        ] {
            assert_eq!(action(&input), None, "{input:?}");
        }
    }

    #[test]
    fn handled_buttons_carry_a_reference_that_fits_telegram() {
        let reference = RecordRef(u64::MAX);
        let data = Payload::Handled(reference.to_string()).to_string();
        assert!(data.len() <= 64, "{data}");
        let pressed = Payload::parse(&data).expect("a payload");
        assert_eq!(action(&Input::Button(pressed)), Some(Action::MarkHandled(Some(reference))));
        assert_eq!(action(&Input::Button(Payload::Handled("zz".into()))), Some(Action::MarkHandled(None)));
    }
}
