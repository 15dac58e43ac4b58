//! Use: questions per day, the answered / unsure / crisis shares, 👍/👎 per entry and the
//! hours of the day (JST), as charts with the numbers beside them, from the records of the
//! store ([`stats::compute`] for the totals, the same counting as `/stats`).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use chrono::Timelike;
use maud::{html, Markup};
use serde::Deserialize;

use super::charts;
use super::layout::{self, Notice};
use super::StaffSession;
use crate::channels::web::Web;
use crate::staff::{self, stats};

/// The windows the page offers, in days.
const WINDOWS: [u32; 4] = [7, 30, 90, 365];

#[derive(Deserialize)]
pub struct Window {
    #[serde(default = "default_days")]
    days: u32,
}

fn default_days() -> u32 {
    30
}

/// Record kinds that are a resident's question (feedback on a menu card is not).
fn is_question(kind: &str) -> bool {
    matches!(kind, "answer" | "fallback" | "crisis")
}

pub async fn page(State(web): State<Arc<Web>>, StaffSession(session): StaffSession, Query(w): Query<Window>) -> Markup {
    let days = w.days.clamp(1, staff::MAX_STATS_DAYS);
    let now = chrono::Utc::now();
    let engine = web.engine.current();
    let records = match web.store.records_since(now - chrono::Duration::days(i64::from(days))) {
        Ok(records) => records,
        Err(e) => {
            return layout::page(
                "利用状況",
                "/staff/usage",
                &session,
                layout::notice(Notice::Problem, &format!("記録を読めません: {e}")),
            )
        }
    };
    let s = stats::compute(
        records.iter().map(|(_, r)| r),
        days,
        now,
        Some(engine.knowledge()),
        web.config.freshness.max_age_months,
    );
    let questions: Vec<_> = records.iter().map(|(_, r)| r).filter(|r| is_question(&r.kind)).collect();
    let mut per_day: BTreeMap<chrono::NaiveDate, usize> = BTreeMap::new();
    let mut per_hour = [0usize; 24];
    for r in &questions {
        let local = stats::jst(r.time);
        *per_day.entry(local.date()).or_default() += 1;
        per_hour[local.hour() as usize] += 1;
    }
    let day_rows: Vec<(String, usize)> = per_day.iter().map(|(d, n)| (d.format("%m/%d").to_string(), *n)).collect();
    let hour_rows: Vec<(String, usize)> = per_hour.iter().enumerate().map(|(h, n)| (format!("{h} 時"), *n)).collect();
    let shares = [("答えた", s.answered), ("自信がなかった", s.unsure), ("危険のサイン", s.crisis)];
    let share_rows: Vec<(String, usize)> = shares.iter().map(|(l, n)| (l.to_string(), *n)).collect();
    let body = html! {
        nav aria-label="期間" class="windows" {
            @for d in WINDOWS {
                @if d == days { strong { "直近 " (d) " 日" } } @else { a href=(format!("/staff/usage?days={d}")) { "直近 " (d) " 日" } }
                " "
            }
        }
        p { "直近 " (days) " 日の質問: " strong id="questions" { (s.questions) } " 件" }
        section {
            h2 { "答え方の内訳" }
            div class="chart-and-numbers" {
                (charts::bars("答え方の内訳", &share_rows))
                table { tbody { @for (label, n) in &shares { tr { th scope="row" { (label) } td { (n) " 件" } td { (s.percent(*n)) "%" } } } } }
            }
        }
        section {
            h2 { "日ごとの質問" }
            @if day_rows.is_empty() { p { "この期間の質問はありません。" } } @else {
                div class="chart-and-numbers" {
                    (charts::bars("日ごとの質問の数", &day_rows))
                    table { tbody { @for (d, n) in &day_rows { tr { th scope="row" { (d) } td { (n) " 件" } } } } }
                }
            }
        }
        section {
            h2 { "時間帯(日本時間)" }
            div class="chart-and-numbers" {
                (charts::bars("時間帯ごとの質問の数", &hour_rows))
            }
        }
        section {
            h2 { "項目ごとの 👍 / 👎" }
            @if s.feedback.is_empty() { p { "この期間の評価はありません。" } } @else {
                table class="feedback" {
                    thead { tr { th scope="col" { "項目" } th scope="col" { "役に立った" } th scope="col" { "違った" } } }
                    tbody {
                        @for f in &s.feedback {
                            tr { td { (f.title.as_deref().unwrap_or(&f.id)) } td { (f.helpful) } td { (f.not_helpful) } }
                        }
                    }
                }
            }
        }
        @if !s.stale.is_empty() {
            section {
                h2 { "見直しが必要な項目(" (s.max_age_months) " か月より前の確認)" }
                ul { @for e in &s.stale { li { a href=(super::entries::entry_link(&e.id)) { (e.title) } " — " (e.verified.format("%Y-%m-%d")) } } }
            }
        }
    };
    layout::page("利用状況", "/staff/usage", &session, body)
}
