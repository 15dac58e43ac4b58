//! The daily summary posted to the staff chat (`[telegram] daily_summary = "08:30"` with
//! `staff_chat`): the last day's `/stats` and how many unsure questions still wait in
//! `/unanswered`, so staff see both without asking.
//!
//! Pure, like the rest of `staff`: [`due`] says when the next summary is owed from the clock and
//! the date of the last one posted (kept in the store, so a restart neither repeats a summary
//! nor skips one), and [`summary`] words it. The Telegram task that sleeps, posts and records
//! the date is `telegram/summary.rs`.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};

use super::{stats, stats_reply, unanswered, Context};
use crate::content::dialogs::template::fill;
use crate::conversation::reply::{Block, Reply};
use crate::serving::store::StoreError;

/// The summary covers the day before it: `/stats 1`.
const SUMMARY_DAYS: u32 = 1;

/// When the next summary is owed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Post the summary of this Japan date now: its time has come (or passed while the bot was
    /// stopped) and it has not been posted.
    Now(NaiveDate),
    /// Nothing is owed before this much time has passed.
    In(std::time::Duration),
}

/// What is owed at `now` for a summary every day at `at` (Japan time), the last one having
/// been posted on `last` (a Japan date). A bot that was stopped over the summary time posts it
/// when it starts again the same day; days it was stopped for entirely get no summary of their
/// own (the next one's `/stats` window shows the day before it, and `/stats N` shows more).
pub fn due(now: DateTime<Utc>, at: NaiveTime, last: Option<NaiveDate>) -> Due {
    let local = stats::jst(now);
    let today = local.date();
    let todays_time = today.and_time(at);
    if local >= todays_time && last.is_none_or(|last| last < today) {
        return Due::Now(today);
    }
    let next = if local < todays_time { todays_time } else { todays_time + Duration::days(1) };
    Due::In((next - local).to_std().unwrap_or_default())
}

/// The summary of `date`: a title, the last day's statistics (as `/stats 1` shows them) and the
/// number of unsure questions not yet marked handled.
pub fn summary(cx: &Context, date: NaiveDate) -> Result<Reply, StoreError> {
    let texts = &cx.engine.dialogs().texts.staff;
    let since = cx.now - Duration::days(i64::from(SUMMARY_DAYS));
    let records = cx.store.records_since(since)?;
    let knowledge = Some(cx.engine.knowledge());
    let stats = stats::compute(records.iter().map(|(_, r)| r), SUMMARY_DAYS, cx.now, knowledge, cx.max_age_months);
    let waiting = unanswered(cx.store, knowledge, &texts.masks)?.len();
    let mut reply = stats_reply(&stats, texts);
    reply.blocks.insert(0, Block::Text(fill(&texts.summary_title, &[("date", &date.format("%Y-%m-%d").to_string())])));
    reply.blocks.push(Block::Text(match waiting {
        0 => texts.unanswered_none.clone(),
        n => fill(&texts.summary_unanswered, &[("count", &n.to_string())]),
    }));
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hour: u32, minute: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(hour, minute, 0).unwrap()
    }

    /// A moment given in Japan time.
    fn jst(date: &str, hour: u32, minute: u32) -> DateTime<Utc> {
        let local = date.parse::<NaiveDate>().unwrap().and_time(at(hour, minute));
        (local - Duration::hours(9)).and_utc()
    }

    fn day(date: &str) -> NaiveDate {
        date.parse().unwrap()
    }

    fn minutes(n: u64) -> Due {
        Due::In(std::time::Duration::from_secs(n * 60))
    }

    #[test]
    fn before_the_time_it_waits_until_the_time() {
        assert_eq!(due(jst("2026-11-23", 8, 0), at(8, 30), Some(day("2026-11-22"))), minutes(30));
        assert_eq!(due(jst("2026-11-23", 8, 0), at(8, 30), None), minutes(30));
    }

    #[test]
    fn at_or_after_the_time_it_is_owed_once_a_day() {
        assert_eq!(due(jst("2026-11-23", 8, 30), at(8, 30), Some(day("2026-11-22"))), Due::Now(day("2026-11-23")));
        // Stopped over 08:30, started at 15:00: posted then.
        assert_eq!(due(jst("2026-11-23", 15, 0), at(8, 30), None), Due::Now(day("2026-11-23")));
        // Posted today: next is tomorrow's.
        assert_eq!(due(jst("2026-11-23", 15, 0), at(8, 30), Some(day("2026-11-23"))), minutes(17 * 60 + 30));
    }

    #[test]
    fn the_day_is_japans_not_utcs() {
        // 2026-11-23 23:30 UTC is already 08:30 on the 24th in Japan.
        let now = jst("2026-11-24", 8, 30);
        assert_eq!(now.date_naive(), day("2026-11-23"));
        assert_eq!(due(now, at(8, 30), Some(day("2026-11-23"))), Due::Now(day("2026-11-24")));
        // Midnight Japan time.
        assert_eq!(due(jst("2026-11-23", 23, 59), at(0, 0), Some(day("2026-11-23"))), minutes(1));
    }

    #[test]
    fn a_clock_set_back_owes_nothing_twice() {
        // The last summary is dated after today (the clock went back): nothing is owed today.
        assert_eq!(due(jst("2026-11-23", 9, 0), at(8, 30), Some(day("2026-11-24"))), minutes(23 * 60 + 30));
    }
}
