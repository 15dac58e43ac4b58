//! `/stats` and `madoguchi stats`: how the bot served over a window of days, from the store's
//! records, plus the entries whose facts are due for a check.
//!
//! Pure: [`compute`] takes the records and the knowledge base and returns [`Stats`] as plain
//! data (serialised as is by `madoguchi stats --json`); [`super::stats_reply`] words it.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use serde::Serialize;

use crate::content::knowledge::Knowledge;
use crate::serving::store::Record;

/// Japan Standard Time: staff and residents live by it, the store keeps UTC.
pub fn jst(time: DateTime<Utc>) -> chrono::NaiveDateTime {
    (time + Duration::hours(9)).naive_utc()
}

/// How many of the busiest hours `/stats` shows.
const BUSIEST_HOURS: usize = 3;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub days: u32,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Questions asked (answers, fallbacks and crises; not feedback on menu cards).
    pub questions: usize,
    pub answered: usize,
    /// The engine was unsure and offered candidates and the general windows (`fallback`).
    pub unsure: usize,
    pub crisis: usize,
    /// 👍/👎 per entry, the most 👎 first: what needs a look.
    pub feedback: Vec<EntryFeedback>,
    /// The busiest hours of the day in JST, the busiest first.
    pub busiest_hours: Vec<HourCount>,
    pub max_age_months: u32,
    /// Entries not verified within `max_age_months`, the oldest first.
    pub stale: Vec<StaleEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryFeedback {
    pub id: String,
    /// `None` when the entry is no longer in `index/`.
    pub title: Option<String>,
    pub helpful: usize,
    pub not_helpful: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HourCount {
    /// 0–23, JST.
    pub hour: u32,
    pub questions: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StaleEntry {
    pub id: String,
    pub title: String,
    pub municipality: String,
    pub verified: NaiveDate,
}

impl Stats {
    /// A share of the questions in whole percent (0 when there were none).
    pub fn percent(&self, part: usize) -> u32 {
        if self.questions == 0 {
            return 0;
        }
        // At most 100: the cast cannot truncate.
        ((part as f64 * 100.0 / self.questions as f64).round()) as u32
    }
}

/// The statistics of the records within `days` before `now`, and the stale entries of
/// `knowledge` (none when it could not be loaded).
pub fn compute<'a>(
    records: impl IntoIterator<Item = &'a Record>,
    days: u32,
    now: DateTime<Utc>,
    knowledge: Option<&Knowledge>,
    max_age_months: u32,
) -> Stats {
    let from = now - Duration::days(i64::from(days));
    let (mut questions, mut answered, mut unsure, mut crisis) = (0, 0, 0, 0);
    let mut by_hour = [0usize; 24];
    let mut feedback: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for record in records.into_iter().filter(|r| r.time >= from && r.time <= now) {
        let is_question = match record.kind.as_str() {
            "answer" => {
                answered += 1;
                true
            }
            "fallback" => {
                unsure += 1;
                true
            }
            "crisis" => {
                crisis += 1;
                true
            }
            _ => false,
        };
        if is_question {
            questions += 1;
            by_hour[jst(record.time).hour() as usize] += 1;
        }
        if let (Some(helpful), Some(entry)) = (record.helpful, &record.entry) {
            let counts = feedback.entry(entry.clone()).or_default();
            if helpful {
                counts.0 += 1;
            } else {
                counts.1 += 1;
            }
        }
    }
    let title = |id: &str| knowledge.and_then(|k| k.entry(id)).map(|e| e.title.clone());
    let mut feedback: Vec<EntryFeedback> = feedback
        .into_iter()
        .map(|(id, (helpful, not_helpful))| EntryFeedback { title: title(&id), id, helpful, not_helpful })
        .collect();
    feedback.sort_by(|a, b| b.not_helpful.cmp(&a.not_helpful).then(b.helpful.cmp(&a.helpful)).then(a.id.cmp(&b.id)));
    let mut busiest_hours: Vec<HourCount> = (0u32..24)
        .zip(by_hour)
        .filter(|&(_, n)| n > 0)
        .map(|(hour, questions)| HourCount { hour, questions })
        .collect();
    busiest_hours.sort_by(|a, b| b.questions.cmp(&a.questions).then(a.hour.cmp(&b.hour)));
    busiest_hours.truncate(BUSIEST_HOURS);
    Stats {
        days,
        from,
        to: now,
        questions,
        answered,
        unsure,
        crisis,
        feedback,
        busiest_hours,
        max_age_months,
        stale: stale_entries(knowledge, jst(now).date(), max_age_months),
    }
}

/// The entries `index check` warns about, the oldest first.
pub fn stale_entries(knowledge: Option<&Knowledge>, today: NaiveDate, max_age_months: u32) -> Vec<StaleEntry> {
    let Some(knowledge) = knowledge else {
        return Vec::new();
    };
    let mut stale: Vec<StaleEntry> = knowledge
        .entries
        .iter()
        .filter(|e| e.is_stale(today, max_age_months))
        .map(|e| StaleEntry {
            id: e.id.clone(),
            title: e.title.clone(),
            municipality: e.municipality.clone(),
            verified: e.verified,
        })
        .collect();
    stale.sort_by(|a, b| a.verified.cmp(&b.verified).then(a.id.cmp(&b.id)));
    stale
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn record(time: DateTime<Utc>, kind: &str, entry: Option<&str>, helpful: Option<bool>) -> Record {
        Record {
            time,
            kind: kind.into(),
            entry: entry.map(Into::into),
            score: Some(0.5),
            area: None,
            question: Some("質問".into()),
            helpful,
        }
    }

    #[test]
    fn shares_feedback_and_busiest_hours_within_the_window() {
        // 2026-11-23 12:00 UTC = 21:00 JST.
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        let at = |hours_ago: i64| now - Duration::hours(hours_ago);
        let records = vec![
            record(at(0), "answer", Some("a/one"), Some(true)),       // 21 JST
            record(at(1), "answer", Some("a/one"), Some(false)),      // 20 JST
            record(at(1), "answer", Some("a/two"), Some(false)),      // 20 JST
            record(at(1), "fallback", Some("a/two"), None),           // 20 JST
            record(at(12), "crisis", None, None),                     // 09 JST
            record(at(2), "feedback", Some("a/menu"), Some(true)),    // not a question
            record(at(24 * 8), "answer", Some("a/old"), Some(false)), // outside 7 days
        ];
        let stats = compute(&records, 7, now, None, 12);
        assert_eq!((stats.questions, stats.answered, stats.unsure, stats.crisis), (5, 3, 1, 1));
        assert_eq!(
            (stats.percent(stats.answered), stats.percent(stats.unsure), stats.percent(stats.crisis)),
            (60, 20, 20)
        );
        let feedback: Vec<(&str, usize, usize)> =
            stats.feedback.iter().map(|f| (f.id.as_str(), f.helpful, f.not_helpful)).collect();
        assert_eq!(feedback, [("a/one", 1, 1), ("a/two", 0, 1), ("a/menu", 1, 0)]);
        assert_eq!(
            stats.busiest_hours,
            [
                HourCount { hour: 20, questions: 3 },
                HourCount { hour: 9, questions: 1 },
                HourCount { hour: 21, questions: 1 }
            ]
        );
        // A longer window takes the old record in.
        assert_eq!(compute(&records, 30, now, None, 12).questions, 6);
    }

    #[test]
    fn no_records_no_division_by_zero() {
        let stats = compute(&[], 7, Utc::now(), None, 12);
        assert_eq!(stats.questions, 0);
        assert_eq!(stats.percent(stats.answered), 0);
        assert!(stats.feedback.is_empty() && stats.busiest_hours.is_empty() && stats.stale.is_empty());
    }
}
