//! The daily summary task: with `[telegram] staff_chat` and `daily_summary = "HH:MM"` set, it
//! posts [`crate::staff::summary`] to the staff chat once a day at that time (Japan time).
//!
//! The store remembers the date of the last summary posted ([`Store::mark_summary`]): a bot
//! restarted after the time posts that day's summary at once, and one restarted after posting
//! does not post it again. The task never sleeps more than [`RECHECK`] at a time, so a clock
//! that jumps (NTP, a suspended VM) is noticed within the hour. A summary that cannot be sent
//! is tried again after [`RETRY_AFTER`]; it is marked posted only once Telegram took it.
//!
//! [`Store::mark_summary`]: crate::serving::store::Store::mark_summary

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{NaiveTime, Utc};
use teloxide::Bot;

use super::reload::send_reply;
use super::Shared;
use crate::staff::summary::{due, summary, Due};
use crate::staff::Context;

/// The longest sleep between two looks at the clock.
const RECHECK: Duration = Duration::from_secs(3600);
/// The wait after a summary could not be made or sent.
const RETRY_AFTER: Duration = Duration::from_secs(300);

/// Runs until aborted at shutdown.
pub(super) async fn run(shared: Arc<Shared>, bot: Bot, chat: i64, at: NaiveTime) {
    tracing::info!(chat, at = %at.format("%H:%M"), "a daily summary goes to the staff chat (Japan time)");
    loop {
        let wait = match post_if_due(&shared, &bot, chat, at).await {
            Ok(wait) => wait,
            Err(e) => {
                tracing::error!(
                    chat,
                    "the daily summary was not posted (tried again in {} minutes): {e:#}",
                    RETRY_AFTER.as_secs() / 60
                );
                RETRY_AFTER
            }
        };
        tokio::time::sleep(wait.min(RECHECK)).await;
    }
}

/// Posts the summary if one is owed now; says how long to wait before looking again.
async fn post_if_due(shared: &Arc<Shared>, bot: &Bot, chat: i64, at: NaiveTime) -> anyhow::Result<Duration> {
    let last = shared.store.last_summary().context("reading the date of the last summary")?;
    let date = match due(Utc::now(), at, last) {
        Due::In(wait) => return Ok(wait),
        Due::Now(date) => date,
    };
    let engine = shared.engine.current();
    // Reading every record of the retention period is disk work: off the async workers.
    let reply = {
        let (engine, shared) = (engine.clone(), shared.clone());
        tokio::task::spawn_blocking(move || {
            let cx = Context {
                engine: &engine,
                store: &shared.store,
                max_age_months: shared.staff.max_age_months,
                now: Utc::now(),
                index_dir: &shared.staff.index_dir,
            };
            summary(&cx, date)
        })
        .await
        .context("the summary task failed")?
        .context("reading the records")?
    };
    send_reply(bot, shared, &engine, chat, &reply).await?;
    shared.store.mark_summary(date).context("recording the summary as posted")?;
    tracing::info!(chat, %date, "posted the daily summary");
    Ok(Duration::ZERO)
}
