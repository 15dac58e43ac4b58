//! Loss-free delivery: an update is on disk before Telegram forgets it, and an answer is on
//! disk before it is sent.
//!
//! ```text
//! getUpdates ─► inbox (flushed) ─► next getUpdates confirms them ─► dispatcher ─► handler
//! handler: decide ─► commit: handled mark + out of the inbox + into the outbox (one
//!          transaction, flushed) ─► sendMessage each ─► out of the outbox (flushed)
//! start:   the outbox first (answers decided before a crash), then the inbox, then Telegram
//! ```
//!
//! What this gives, across kill -9, SIGTERM and power loss (every step is fsynced by sled's
//! flush before the next one):
//! - No update is lost: until it is confirmed to Telegram it is at Telegram, and it is confirmed
//!   only once it is in the inbox; it leaves the inbox in the commit that puts its answer in the
//!   outbox; an answer leaves the outbox once Telegram accepted it.
//! - No update is decided twice: the commit marks it handled (a compare of the handled mark in
//!   the same transaction), and a second delivery of a handled or queued update is dropped.
//! - A message can be sent twice only if the process dies between Telegram accepting it and
//!   the `write` that journals it as sent (the round trip's last microseconds): then that one
//!   message is sent again at the next start. The crash test measures it.
//!
//! SIGTERM stops fetching at once; what was fetched is answered while the stop's grace period
//! lasts; then no new send starts, the ones under way are waited for (so none is cut off after
//! Telegram has it), and whatever is left waits in the inbox or the outbox for the next start.
//!
//! A kill -9 leaves one gap: a message Telegram accepted in the instant before the kill,
//! before its key reached the `sent` journal (one `write` after the answer, see
//! [`Store::sent`]), is sent again at the next start. Telegram offers no way to ask whether a
//! message arrived, so no design closes it; the journal makes it as narrow as the round trip.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use chrono::Utc;
use teloxide::payloads::GetUpdatesSetters;
use teloxide::prelude::Requester;
use teloxide::requests::Request;
use teloxide::stop::{mk_stop_token, StopToken};
use teloxide::types::{AllowedUpdate, InlineKeyboardMarkup, Update};
use teloxide::update_listeners::{StatefulListener, UpdateListener};
use teloxide::{ApiError, Bot, RequestError};
use tokio::sync::{mpsc, watch};

use super::{retryable, send_html, with_retry, Shared};
use crate::serving::store::{Outbound, Store};

/// What getUpdates asks for: the kinds the handler reads.
const ALLOWED: [AllowedUpdate; 3] =
    [AllowedUpdate::Message, AllowedUpdate::EditedMessage, AllowedUpdate::CallbackQuery];

/// Fetches updates into the inbox and hands them to the dispatcher, until `stop` turns true
/// or the token is refused (the error). Updates queued by an earlier run go first.
pub async fn fetch(
    bot: Bot,
    store: Arc<Store>,
    updates: mpsc::Sender<Update>,
    mut stop: watch::Receiver<bool>,
    poll_timeout: Duration,
) -> anyhow::Result<()> {
    let queued = store.queued_updates()?;
    if !queued.is_empty() {
        tracing::info!("answering {} update(s) fetched before the last stop", queued.len());
    }
    for (id, json) in queued {
        let Some(json) = json else {
            tracing::info!(update = id, "a queued update of a chat forgotten since is dropped");
            store.commit_update(id, &[], Utc::now()).await?;
            continue;
        };
        match serde_json::from_slice::<Update>(&json) {
            Ok(update) => {
                if !hand_over(&updates, update, &mut stop).await {
                    return Ok(());
                }
            }
            Err(e) => {
                tracing::error!(update = id, "a queued update cannot be read and is dropped: {e}");
                store.commit_update(id, &[], Utc::now()).await?;
            }
        }
    }
    let mut offset: Option<i32> = None;
    let mut failures = 0u32;
    loop {
        if *stop.borrow() {
            break;
        }
        let mut request =
            bot.get_updates().timeout(poll_timeout.as_secs().try_into().unwrap_or(u32::MAX)).allowed_updates(ALLOWED);
        if let Some(offset) = offset {
            request = request.offset(offset);
        }
        let result = tokio::select! {
            _ = stop.changed() => break,
            result = request.send() => result,
        };
        let error = match result {
            Ok(batch) if batch.is_empty() => {
                failures = 0;
                continue;
            }
            Ok(batch) => {
                failures = 0;
                let encoded: Result<Vec<(u32, i64, Vec<u8>)>, _> =
                    batch.iter().map(|u| serde_json::to_vec(u).map(|json| (u.id.0, sealed_for(u), json))).collect();
                let queued = match encoded {
                    Ok(encoded) => store.queue_updates(&encoded, Utc::now()).await.map_err(anyhow::Error::from),
                    Err(e) => Err(e.into()),
                };
                match queued {
                    Ok(queued) => {
                        // On disk: the next getUpdates may confirm them.
                        offset = batch.last().map(|u| u.id.as_offset());
                        for update in batch.iter().filter(|u| !queued.contains(&u.id.0)) {
                            // Sent again by Telegram after a restart that could not confirm it.
                            tracing::info!(update = update.id.0, "already handled or queued before a restart; skipped");
                        }
                        let mut handed_over = true;
                        for update in batch.into_iter().filter(|u| queued.contains(&u.id.0)) {
                            if !hand_over(&updates, update, &mut stop).await {
                                handed_over = false;
                                break;
                            }
                        }
                        if handed_over {
                            continue;
                        }
                        break;
                    }
                    // Not confirmed: Telegram sends them again.
                    Err(e) => format!("cannot queue the fetched updates on disk, they stay at Telegram: {e:#}"),
                }
            }
            Err(RequestError::Api(ApiError::InvalidToken)) => {
                bail!("Telegram がトークンを受け付けなくなりました(取り消されたか、作り直されています)。BotFather で今のトークンを確かめ、TELOXIDE_TOKEN に設定して起動し直してください。 / Telegram refused the token while polling (401 Unauthorized): it was revoked or changed")
            }
            Err(e) => format!("getUpdates failed: {e}"),
        };
        failures += 1;
        let wait = Duration::from_millis(500u64 << failures.min(6)).min(Duration::from_secs(30));
        tracing::warn!("{error} (retrying in {wait:?})");
        tokio::select! {
            _ = stop.changed() => break,
            _ = tokio::time::sleep(wait) => {}
        }
    }
    // Confirm what is in the inbox now, so that the next start is not sent it again (it would
    // be dropped as queued, but only after the round trip).
    if let Some(offset) = offset {
        let confirm = bot.get_updates().offset(offset).timeout(0).limit(1).allowed_updates(ALLOWED).send();
        let _ = tokio::time::timeout(Duration::from_secs(2), confirm).await;
    }
    Ok(())
}

/// The chat an update is sealed for in the inbox: its chat, else its sender (a button on an
/// inline message), else 0 (kinds the bot does not read).
fn sealed_for(update: &Update) -> i64 {
    update
        .chat()
        .map(|chat| chat.id.0)
        .or_else(|| update.from().and_then(|user| i64::try_from(user.id.0).ok()))
        .unwrap_or_default()
}

/// Hands an update to the dispatcher, waiting while its queue is full; false when the bot is
/// stopping (the update stays in the inbox for the next start) or the dispatcher is gone.
async fn hand_over(updates: &mpsc::Sender<Update>, update: Update, stop: &mut watch::Receiver<bool>) -> bool {
    if *stop.borrow() {
        return false;
    }
    tokio::select! {
        sent = updates.send(update) => sent.is_ok(),
        _ = stop.changed() => false,
    }
}

struct ListenerState {
    updates: Option<mpsc::Receiver<Update>>,
    stop: StopToken,
}

/// The dispatcher's update listener: the updates [`fetch`] hands over. Its stop token does
/// nothing (the stop is [`fetch`]'s): the stream ends when the fetcher does.
pub fn listener(updates: mpsc::Receiver<Update>) -> impl UpdateListener<Err = Infallible> {
    let (stop, _flag) = mk_stop_token();
    StatefulListener::new(ListenerState { updates: Some(updates), stop }, stream_of, stop_token_of)
}

fn stream_of(state: &mut ListenerState) -> impl futures::Stream<Item = Result<Update, Infallible>> + Send {
    futures::stream::unfold(state.updates.take(), |updates| async move {
        let mut updates = updates?;
        let update = updates.recv().await?;
        Some((Ok(update), Some(updates)))
    })
}

fn stop_token_of(state: &mut ListenerState) -> StopToken {
    state.stop.clone()
}

/// Sends outbox messages (each with its outbox key) in order, each taken out of the outbox once
/// Telegram has it. A message Telegram refuses for good (the resident blocked the bot, say) is
/// dropped with an error in the log; one that still fails after the retries stays, with the
/// rest of its chat's (kept in order), for the next start; other chats' messages go on.
pub async fn deliver(bot: &Bot, shared: &Shared, messages: &[(u64, Outbound)]) {
    let mut failed_chats: Vec<i64> = Vec::new();
    for (key, message) in messages {
        if failed_chats.contains(&message.chat) {
            continue;
        }
        let mut draining = shared.draining.clone();
        tokio::select! {
            _ = shared.limiter.acquire(message.chat) => {}
            // Stopping: the rest of this update's messages wait in the outbox.
            _ = draining.wait_for(|stop| *stop) => return,
        }
        if *draining.borrow() {
            return;
        }
        if let Err(e) = shared.store.sending(*key) {
            tracing::error!(update = message.update, "cannot journal a send: {e}");
        }
        match with_retry("sendMessage", &shared.retry, || send(bot, message)).await {
            Ok(()) => {}
            Err(e) if !retryable(&e) => {
                tracing::error!(update = message.update, "Telegram refused a message, which is dropped: {e}");
            }
            Err(e) => {
                tracing::error!(
                    update = message.update,
                    "sendMessage failed; the answer waits in the outbox for the next start: {e}"
                );
                failed_chats.push(message.chat);
                continue;
            }
        }
        if let Err(e) = shared.store.sent(*key) {
            tracing::error!(
                update = message.update,
                "cannot take a sent message out of the outbox (it may be sent again): {e}"
            );
        }
    }
}

/// Sends what a crash or a stop left in the outbox, before anything new is answered.
pub async fn resend_outbox(bot: &Bot, shared: &Shared) {
    let uncertain = shared.store.uncertain_at_open();
    if uncertain > 0 {
        tracing::warn!("{uncertain} message(s) were being sent when the last run was killed: they are sent again and may be seen twice");
    }
    match shared.store.outbox() {
        Ok(left) if left.is_empty() => {}
        Ok(left) => {
            tracing::info!("sending {} message(s) decided before the last stop", left.len());
            deliver(bot, shared, &left).await;
        }
        Err(e) => tracing::error!("cannot read the outbox: {e}"),
    }
}

async fn send(bot: &Bot, message: &Outbound) -> Result<(), RequestError> {
    let keyboard = message.keyboard.as_ref().and_then(|keyboard| {
        serde_json::from_value::<InlineKeyboardMarkup>(keyboard.clone())
            .map_err(|e| {
                tracing::error!(update = message.update, "a stored keyboard cannot be read, sent without it: {e}")
            })
            .ok()
    });
    send_html(bot, message.chat, &message.html, keyboard).await
}
