//! `madoguchi run`: the Telegram adapter. teloxide long polling in, [`crate::conversation::dialog`] in the
//! middle, HTML messages with inline keyboards out. Nothing here decides what to say.
//!
//! ```text
//! getUpdates ─► inbox on disk (delivery.rs) ─► Dispatcher (one worker per chat)
//!                                                              │
//!   skip if handled before ◄── store ──► chat state ──► dialog::respond ──► records
//!                                                              │
//!   commit: handled + outbox on disk ─► sendMessage (rate-limited per chat and overall;
//!   retried) ─► out of the outbox ◄──────────────────────────────┘
//! ```
//!
//! - Loss-free: an update is on disk before it is confirmed to Telegram and its answer is on
//!   disk before it is sent; a restart sends what was decided, then answers what was fetched
//!   (`delivery.rs` says what is guaranteed and where the one gap is).
//!
//! - The token comes from `TELOXIDE_TOKEN` only, as a [`Token`] that never prints itself.
//! - The Bot API URL: `--api-url` or `TELOXIDE_API_URL`, else `[telegram] api_url`, else Telegram's. A loopback
//!   URL is reached without any proxy.
//! - Telegram's rate limits: [`limits::RateLimiter`] with teloxide's limits (not `Throttle`,
//!   whose 250 ms ticks delay every message; see there). 429 `retry_after` is honoured;
//!   network errors, 5xx and malformed answers are retried here with backoff; getUpdates is
//!   retried by the polling loop with its own backoff.
//! - One update's failure (even a panic) is logged and never stops the others.
//! - SIGTERM or Ctrl-C: fetching stops, the updates already fetched are answered for up to
//!   7 s, then no new send starts and those under way get 2 s more; whatever is left waits on
//!   disk for the next start; sled is flushed.
//! - A token refused while polling (revoked: 401) stops the bot with an error and a non-zero
//!   exit, so that systemd's `Restart=on-failure` and the operator see it.
//! - Every handled update id is kept in sled for three days, so an update Telegram delivers
//!   again after a restart is not answered twice.
//! - Staff commands (`/stats`, `/unanswered`, `/test`, the handled buttons) are gated by the
//!   sender's user id in `staff.rs` before the resident dialog; from anyone else they are
//!   resident input like any other.
//! - The engine is a [`LiveEngine`]: each update answers with the engine current when it
//!   started, while `reload.rs` swaps in a new one when staff save a file, on SIGHUP, or on a
//!   staff member's `/reload` (a broken edit is rejected, reported in the staff chat).
//! - Background tasks beside the dispatcher: the reload task, the upkeep (every 30 s: the data
//!   dir still there, failed `/forget`s retried; hourly: old question text purged, the sent
//!   journal emptied), and with `staff_chat` and `daily_summary` set, the daily summary (`summary.rs`).

mod delivery;
mod incoming;
mod limits;
mod outgoing;
mod reload;
mod staff;
mod summary;
mod token;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use chrono::Utc;
use futures::FutureExt;
use teloxide::adaptors::throttle::Limits;
use teloxide::dispatching::{Dispatcher, UpdateFilterExt};
use teloxide::error_handlers::LoggingErrorHandler;
use teloxide::payloads::SendMessageSetters;
use teloxide::prelude::{dptree, Requester};
use teloxide::requests::Request;
use teloxide::types::{BotCommand, ChatId, InlineKeyboardMarkup, LinkPreviewOptions, ParseMode, Update};
use teloxide::{ApiError, Bot, RequestError};

use crate::answer::engine::Engine;
use crate::channels::turn::take_turn;
use crate::config::Config;
use crate::content::dialogs::texts::Texts;
use crate::conversation::command::Command;
use crate::conversation::reply::Reply;
use crate::serving::live::LiveEngine;
use crate::serving::store::{Outbound, Store};

pub use incoming::{incoming, Identity, Incoming, PressedMessage};
pub use limits::RateLimiter;
pub use outgoing::{keyboard, messages, split_html, Outgoing, MAX_CALLBACK_BYTES, MAX_MESSAGE_UNITS};
pub use staff::StaffOptions;
pub use token::{Token, TokenError, TOKEN_VAR};

/// The variable that overrides the Bot API URL.
pub const API_URL_VAR: &str = "TELOXIDE_API_URL";
const TELEGRAM_API_URL: &str = "https://api.telegram.org";
/// How long a stop may take before the bot gives up waiting for unfinished sends.
const STOP_GRACE: Duration = Duration::from_secs(7);
/// After the grace period no new send starts; the sends under way get this long to hear
/// Telegram's answer, so none is cut off after Telegram has it (it would be sent again).
const IN_FLIGHT_WAIT: Duration = Duration::from_secs(2);

/// How the adapter talks to the Bot API. [`Options::new`] gives the production settings.
#[derive(Debug, Clone)]
pub struct Options {
    pub token: Token,
    pub api_url: reqwest::Url,
    /// Telegram's limits (teloxide's defaults: 1 message/s per chat, 30/s overall).
    pub limits: Limits,
    /// Long-polling timeout of getUpdates.
    pub poll_timeout: Duration,
    pub retry: Retry,
    pub retention_days: u32,
    /// Who may use the staff commands, `/reload` included, and the staff chat (nobody by default).
    pub staff: StaffOptions,
}

/// Retries of a request that failed for a reason that may pass (network, 5xx, bad JSON).
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub attempts: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry { attempts: 5, first_delay: Duration::from_millis(500), max_delay: Duration::from_secs(8) }
    }
}

impl Options {
    pub fn new(token: Token, api_url: reqwest::Url, retention_days: u32) -> Options {
        Options {
            token,
            api_url,
            limits: Limits::default(),
            poll_timeout: Duration::from_secs(10),
            retry: Retry::default(),
            retention_days,
            staff: StaffOptions::default(),
        }
    }
}

/// The Bot API URL: `[telegram] api_url` (which the CLI sets from `--api-url` or
/// `TELOXIDE_API_URL`), else Telegram's.
pub fn api_url(config: &Config) -> anyhow::Result<reqwest::Url> {
    let text = config.telegram.api_url.as_deref().unwrap_or(TELEGRAM_API_URL);
    reqwest::Url::parse(text.trim().trim_end_matches('/')).with_context(|| {
        format!("Bot API の URL「{text}」が読めません(--api-url、{API_URL_VAR}、[telegram] api_url のどれかを確かめてください) / not a valid URL")
    })
}

/// `madoguchi run`: checks the token, opens the engine and the store, serves until SIGTERM or
/// Ctrl-C.
pub fn run(config: &Config, reset_data: bool, today: chrono::NaiveDate) -> anyhow::Result<()> {
    init_logging();
    // Fail fast, before the dictionary is loaded.
    let token = Token::from_env()?;
    let api_url = api_url(config)?;
    let data_dir = config.effective_data_dir();
    let store = Arc::new(if reset_data { Store::open_resetting(&data_dir)? } else { Store::open(&data_dir)? });
    let engine = Arc::new(LiveEngine::open(config, today)?);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let options = Options {
        staff: StaffOptions::from_config(config),
        ..Options::new(token, api_url, config.records.retention_days)
    };
    tracing::info!(data_dir = %data_dir.display(), api = %options.api_url, "starting");
    let web = crate::channels::web::Web::new(engine.clone(), store.clone(), config);
    let result = runtime.block_on(async {
        // The web channel beside the bot, on the same engine and store, when [web] listen is set.
        let web_server = match &config.web.listen {
            Some(listen) => {
                let listener = crate::channels::web::bind(listen).await?;
                tracing::info!(listen, "serving the web chat too");
                Some(tokio::spawn(crate::channels::web::serve(listener, Arc::new(web), shutdown_signal())))
            }
            None => None,
        };
        let result = serve_live(engine, store.clone(), options, shutdown_signal()).await;
        if let Some(server) = web_server {
            match tokio::time::timeout(STOP_GRACE, server).await {
                Ok(Ok(Err(e))) => tracing::error!("the web server failed: {e:#}"),
                Ok(Err(e)) => tracing::error!("the web server panicked: {e}"),
                _ => {}
            }
        }
        result
    });
    store.flush().context("flushing the database")?;
    // Do not wait for blocked tasks (a send still retrying) beyond the grace period.
    runtime.shutdown_timeout(Duration::from_secs(1));
    result
}

pub(crate) fn init_logging() {
    let spec = std::env::var("RUST_LOG").ok().filter(|s| !s.trim().is_empty());
    let mut filter = spec
        .as_deref()
        .and_then(|s| tracing_subscriber::EnvFilter::try_new(s).ok())
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new("info"));
    // notify traces every file event it reads, and the watcher also watches the folder that
    // holds index/ and dialogs/: a log written there at `trace` would log its own writes
    // without end (tens of MB a second). Quiet unless the operator names notify.
    if !spec.as_deref().unwrap_or_default().contains("notify") {
        if let Ok(directive) = "notify=info".parse() {
            filter = filter.add_directive(directive);
        }
    }
    // Colour only for a person at a terminal: a log file or the journal would keep the escapes.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr).try_init();
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("Ctrl-C: stopping"),
        _ = term => tracing::info!("SIGTERM: stopping"),
    }
}

/// The Bot API client for these options (no proxy for a loopback server).
pub fn bot(options: &Options) -> anyhow::Result<Bot> {
    let mut client = teloxide::net::default_reqwest_settings();
    if is_loopback(&options.api_url) {
        client = client.no_proxy();
    }
    let client = client.build().context("building the HTTP client")?;
    Ok(Bot::with_client(options.token.expose(), client).set_api_url(options.api_url.clone()))
}

/// Whether the URL names this machine (`127.0.0.1`, `[::1]`, `localhost`).
fn is_loopback(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Serves one engine, never reloaded, until `shutdown` resolves. The engine and store are
/// shared with the caller (tests and the bench inspect the store afterwards).
pub async fn serve(
    engine: Arc<Engine>,
    store: Arc<Store>,
    options: Options,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    serve_live(Arc::new(LiveEngine::fixed(engine)), store, options, shutdown).await
}

/// Serves until `shutdown` resolves, reloading the engine when staff change its files (if it
/// was opened from files: [`LiveEngine::open`]).
pub async fn serve_live(
    engine: Arc<LiveEngine>,
    store: Arc<Store>,
    options: Options,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let bot = bot(&options)?;
    let me = identify(&bot, &options).await?;
    tracing::info!(username = %me.username, "connected to the Bot API");
    register_commands(&bot, &engine.current(), &options.retry).await;
    staff::register_commands(&bot, &engine.current(), &options.staff, &options.retry).await;

    if let Err(e) = with_retry("deleteWebhook", &options.retry, || bot.delete_webhook().send()).await {
        tracing::warn!("deleteWebhook failed (polling fails too while a webhook is set): {e}");
    }

    let limiter = RateLimiter::new(options.limits);
    let (reloads, reload_requests) = reload::Reloads::channel();
    let triggers = reload::start_triggers(&engine, &reloads);
    let staff_chat = options.staff.staff_chat;
    let daily_summary = options.staff.daily_summary;
    let (drain, draining) = tokio::sync::watch::channel(false);
    let shared = Arc::new(Shared {
        engine,
        store: store.clone(),
        me,
        retry: options.retry,
        limiter,
        staff: options.staff,
        reloads,
        draining,
    });
    let reloader = tokio::spawn(reload::run(reload_requests, shared.clone(), bot.clone(), staff_chat));
    let summaries = match (staff_chat, daily_summary) {
        (Some(chat), Some(at)) => Some(tokio::spawn(summary::run(shared.clone(), bot.clone(), chat, at))),
        (None, Some(_)) => {
            tracing::warn!("[telegram] daily_summary is set but staff_chat is not: no summary is posted");
            None
        }
        _ => None,
    };
    // Before anything new: the answers a crash or a stop left unsent.
    delivery::resend_outbox(&bot, &shared).await;
    let (updates_tx, updates_rx) = tokio::sync::mpsc::channel::<Update>(256);
    let (stop_fetching, stop_rx) = tokio::sync::watch::channel(false);
    let mut fetcher =
        tokio::spawn(delivery::fetch(bot.clone(), store.clone(), updates_tx, stop_rx, options.poll_timeout));
    let handler = dptree::entry()
        .branch(Update::filter_message().endpoint(on_update))
        .branch(Update::filter_edited_message().endpoint(on_update))
        .branch(Update::filter_callback_query().endpoint(on_update));
    let unhandled_store = store.clone();
    let mut dispatcher = Dispatcher::builder(bot, handler)
        .dependencies(dptree::deps![shared])
        // Kinds the handler does not read leave the inbox too.
        .default_handler(move |update| {
            let store = unhandled_store.clone();
            async move {
                if let Err(e) = store.commit_update(update.id.0, &[], Utc::now()).await {
                    tracing::error!(update = update.id.0, "cannot mark the update handled: {e}");
                }
            }
        })
        .build();

    let upkeep_task = tokio::spawn(crate::serving::upkeep::run(store.clone(), options.retention_days));
    let stopper = tokio::spawn(async move {
        shutdown.await;
        let _ = stop_fetching.send(true);
    });

    let listener_errors = LoggingErrorHandler::with_custom_text("update listener");
    let dispatch = dispatcher.try_dispatch_with_listener(delivery::listener(updates_rx), listener_errors);
    tokio::pin!(dispatch);
    // The fetcher ends on a stop (then the dispatcher finishes what it was handed, within the
    // grace period) or on a refused token (then the bot stops with that error).
    let result = tokio::select! {
        // The dispatcher ends when its stream does, that is when the fetcher has ended: its
        // result (a refused token) is the bot's. Both may be ready at once, and select! picks
        // either: without this, a 401 could end the bot with success.
        result = &mut dispatch => {
            let fetched = match tokio::time::timeout(Duration::from_secs(2), &mut fetcher).await {
                Ok(fetched) => fetched.context("the update fetcher panicked").and_then(|r| r),
                Err(_) => {
                    fetcher.abort();
                    Ok(())
                }
            };
            result.context("the Bot API refused to start polling").and(fetched)
        }
        fetched = &mut fetcher => {
            let fetched = fetched.context("the update fetcher panicked").and_then(|r| r);
            match tokio::time::timeout(STOP_GRACE, &mut dispatch).await {
                Ok(result) => result.context("dispatching").and(fetched),
                Err(_) => {
                    tracing::warn!("updates still being answered after {STOP_GRACE:?}; the rest waits on disk for the next start");
                    let _ = drain.send(true);
                    if tokio::time::timeout(IN_FLIGHT_WAIT, &mut dispatch).await.is_err() {
                        tracing::warn!("a send was still under way after {IN_FLIGHT_WAIT:?} more: it may be sent again at the next start");
                    }
                    fetched
                }
            }
        }
    };
    stopper.abort();
    upkeep_task.abort();
    if let Some(summaries) = summaries {
        summaries.abort();
    }
    drop(triggers);
    reloader.abort();
    store.flush().context("flushing the database")?;
    match &result {
        Ok(()) => tracing::info!("stopped"),
        Err(e) => tracing::error!("stopped: {e:#}"),
    }
    result
}

/// `getMe`: proves the token. A rejected token fails at once; an unreachable server is tried
/// a few times first.
async fn identify(bot: &Bot, options: &Options) -> anyhow::Result<Identity> {
    let retry = Retry { attempts: 4, ..options.retry };
    match with_retry("getMe", &retry, || bot.get_me().send()).await {
        Ok(me) => Ok(Identity { id: me.id.0, username: me.username().to_string() }),
        Err(RequestError::Api(ApiError::InvalidToken)) => {
            bail!(
                "the Bot API at {} rejected {TOKEN_VAR} (Unauthorized): check the token BotFather gave",
                options.api_url
            )
        }
        Err(e) => Err(e).with_context(|| format!("cannot reach the Bot API at {}", options.api_url)),
    }
}

/// `setMyCommands` with the descriptions from `dialogs/texts.toml`. A failure is logged: the
/// commands still work, Telegram only shows no list.
async fn register_commands(bot: &Bot, engine: &Engine, retry: &Retry) {
    let commands = bot_commands(Command::RESIDENT.iter(), &engine.dialogs().texts);
    if let Err(e) = with_retry("setMyCommands", retry, || bot.set_my_commands(commands.clone()).send()).await {
        tracing::warn!("setMyCommands failed: {e}");
    }
}

/// Telegram's command list: each command with its description from `dialogs/texts.toml`.
fn bot_commands<'a>(commands: impl Iterator<Item = &'a Command>, texts: &Texts) -> Vec<BotCommand> {
    commands.filter_map(|c| Some(BotCommand::new(c.name(), c.description(texts)?))).collect()
}

struct Shared {
    /// Take `engine.current()` once per update (see `handle`).
    engine: Arc<LiveEngine>,
    store: Arc<Store>,
    me: Identity,
    retry: Retry,
    limiter: RateLimiter,
    staff: StaffOptions,
    reloads: reload::Reloads,
    /// True once the stop's grace period is over: nothing new is decided or sent, what is left
    /// stays in the inbox and the outbox for the next start.
    draining: tokio::sync::watch::Receiver<bool>,
}

type Api = Bot;

/// One update, start to end. Never returns an error: whatever goes wrong is logged here, so
/// the dispatcher's worker for this chat goes on with the next update.
async fn on_update(update: Update, bot: Api, shared: Arc<Shared>) -> Result<(), std::convert::Infallible> {
    let id = update.id.0;
    if *shared.draining.borrow() {
        // Stopping: it stays in the inbox and is answered first at the next start.
        return Ok(());
    }
    let now = Utc::now();
    match shared.store.is_handled(id) {
        Ok(true) => {
            tracing::info!(update = id, "already handled before a restart; skipped");
            if let Err(e) = shared.store.commit_update(id, &[], now).await {
                tracing::error!(update = id, "cannot take the update out of the inbox: {e}");
            }
            return Ok(());
        }
        Ok(false) => {}
        Err(e) => tracing::error!(update = id, "cannot read the handled updates: {e}"),
    }
    let messages = match AssertUnwindSafe(handle(&update, &bot, &shared)).catch_unwind().await {
        Ok(Ok(messages)) => messages,
        Ok(Err(e)) => {
            tracing::error!(update = id, "{e:#}");
            Vec::new()
        }
        Err(_) => {
            tracing::error!(update = id, "the handler panicked");
            Vec::new()
        }
    };
    match shared.store.commit_update(id, &messages, now).await {
        Ok(Some(keys)) => {
            let keyed: Vec<(u64, Outbound)> = keys.into_iter().zip(messages).collect();
            delivery::deliver(&bot, &shared, &keyed).await;
        }
        Ok(None) => tracing::info!(update = id, "answered already by another delivery; skipped"),
        Err(e) => tracing::error!(update = id, "cannot write the answer to disk, so it is not sent: {e}"),
    }
    Ok(())
}

/// Reads the update, updates the chat's state and records, and returns the messages to send
/// (the caller commits them to the outbox before anything is sent).
async fn handle(update: &Update, bot: &Api, shared: &Shared) -> anyhow::Result<Vec<Outbound>> {
    let Some(incoming) = incoming(update, &shared.me) else {
        return Ok(Vec::new());
    };
    // Staff commands (reload.rs), for the ids in [telegram] staff only; from anyone else they
    // go on to the dialog like any unknown command and reveal nothing.
    if reload::is_reload(&incoming) && shared.staff.allows(&incoming) {
        shared.reloads.request(reload::Trigger::Command { chat: incoming.chat_id });
        return Ok(Vec::new());
    }
    if let Some(callback) = &incoming.callback {
        // First, so the button stops spinning whatever happens next.
        with_retry("answerCallbackQuery", &shared.retry, || bot.answer_callback_query(callback.clone()).send())
            .await
            .context("answerCallbackQuery")?;
    }
    // One engine for the whole update: a reload swapping in a new one meanwhile does not
    // change an answer half-way (the old engine lives until its last update is done).
    let engine = shared.engine.current();
    let update_id = update.id.0;
    // Staff commands from staff ids; for anyone else this is `None` and nothing differs.
    // A staff command reads the records (/stats) or builds trial engines (/test's suggestions):
    // blocking work, so this worker's other tasks move elsewhere meanwhile (the runtime is
    // multi-threaded, see `serve`).
    let staff_replies =
        tokio::task::block_in_place(|| staff::replies(&incoming, &shared.staff, &engine, &shared.store));
    if let Some(replies) = staff_replies {
        staff::retire_pressed_button(bot, &incoming, &shared.retry).await;
        return Ok(outbound(&engine, update_id, incoming.chat_id, &replies));
    }
    let (store, engine) = (&shared.store, &*engine);
    let chat = store.chat_key(incoming.chat_id);
    let mut replies = take_turn(store, &chat, incoming.input.clone(), engine);
    if incoming.edited && !replies.is_empty() {
        // After the answer, never before it: crisis contacts always come first.
        replies.push(Reply::text(&engine.dialogs().texts.edited_note));
    }
    Ok(outbound(engine, update_id, incoming.chat_id, &replies))
}

/// Replies as the messages Telegram is sent, in order, each split to fit.
fn outbound(engine: &Engine, update: u32, chat: i64, replies: &[Reply]) -> Vec<Outbound> {
    replies
        .iter()
        .flat_map(|reply| messages(reply, engine.dialogs()))
        .map(|message| Outbound {
            update,
            chat,
            html: message.html,
            keyboard: message.keyboard.and_then(|k| serde_json::to_value(k).ok()),
        })
        .collect()
}

/// One `sendMessage` of Telegram HTML, without a link preview: the one request every message
/// of the bot's goes out by (answers from the outbox, staff reports, summaries).
async fn send_html(
    bot: &Bot,
    chat: i64,
    html: &str,
    keyboard: Option<InlineKeyboardMarkup>,
) -> Result<(), RequestError> {
    let mut request =
        bot.send_message(ChatId(chat), html).parse_mode(ParseMode::Html).link_preview_options(no_preview());
    if let Some(keyboard) = keyboard {
        request = request.reply_markup(keyboard);
    }
    request.send().await.map(|_| ())
}

fn no_preview() -> LinkPreviewOptions {
    LinkPreviewOptions {
        is_disabled: true,
        url: None,
        prefer_small_media: false,
        prefer_large_media: false,
        show_above_text: false,
    }
}

/// Whether a failed request is worth repeating: network trouble, an answer that was not the
/// Bot API's JSON, 429, and errors the Bot API does not name (5xx answers land there; known
/// 4xx errors such as a blocked bot or bad markup do not).
fn retryable(error: &RequestError) -> bool {
    match error {
        RequestError::Network(_) | RequestError::InvalidJson { .. } | RequestError::Io(_) => true,
        RequestError::RetryAfter(_) => true,
        RequestError::Api(ApiError::Unknown(_)) => true,
        RequestError::Api(_) | RequestError::MigrateToChatId(_) => false,
    }
}

async fn with_retry<T, F, Fut>(what: &str, retry: &Retry, mut request: F) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RequestError>>,
{
    let mut delay = retry.first_delay;
    let mut attempt = 1;
    loop {
        match request().await {
            Ok(value) => return Ok(value),
            Err(e) if attempt < retry.attempts && retryable(&e) => {
                let wait = match &e {
                    RequestError::RetryAfter(seconds) => seconds.duration(),
                    _ => delay,
                };
                tracing::warn!("{what} failed (attempt {attempt} of {}), retrying in {wait:?}: {e}", retry.attempts);
                tokio::time::sleep(wait).await;
                delay = (delay * 2).min(retry.max_delay);
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_errors_are_retried() {
        assert!(retryable(&RequestError::Api(ApiError::Unknown("Bad Gateway".into()))));
        assert!(!retryable(&RequestError::Api(ApiError::BotBlocked)));
        assert!(!retryable(&RequestError::Api(ApiError::InvalidToken)));
        let bad_json = serde_json::from_str::<u8>("<html>").unwrap_err();
        assert!(retryable(&RequestError::InvalidJson { source: Arc::new(bad_json), raw: "<html>".into() }));
    }

    #[tokio::test(start_paused = true)]
    async fn retries_back_off_and_stop() {
        let retry = Retry { attempts: 3, first_delay: Duration::from_millis(100), max_delay: Duration::from_secs(1) };
        let mut calls = 0;
        let start = tokio::time::Instant::now();
        let result: Result<(), _> = with_retry("test", &retry, || {
            calls += 1;
            async { Err(RequestError::Api(ApiError::Unknown("Internal Server Error".into()))) }
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls, 3);
        assert_eq!(start.elapsed(), Duration::from_millis(300)); // 100 + 200
        let mut calls = 0;
        let result: Result<(), _> = with_retry("test", &retry, || {
            calls += 1;
            async { Err(RequestError::Api(ApiError::BotBlocked)) }
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls, 1, "a known 4xx is not retried");
    }

    #[test]
    fn loopback_urls_are_recognised() {
        for (url, expected) in [
            ("http://127.0.0.1:8081", true),
            ("http://[::1]:8081", true),
            ("http://localhost", true),
            ("https://api.telegram.org", false),
            ("http://10.0.0.2", false),
        ] {
            assert_eq!(is_loopback(&reqwest::Url::parse(url).unwrap()), expected, "{url}");
        }
    }

    #[test]
    fn the_api_url_comes_from_config_else_it_is_telegrams() {
        // (The flag and TELOXIDE_API_URL set the config in main.rs; the binary tests cover them.)
        let mut config = Config::default();
        assert_eq!(api_url(&config).unwrap().as_str(), "https://api.telegram.org/");
        config.telegram.api_url = Some("http://127.0.0.1:8081/".into());
        assert_eq!(api_url(&config).unwrap().as_str(), "http://127.0.0.1:8081/");
        config.telegram.api_url = Some("not a url".into());
        assert!(api_url(&config).is_err());
    }
}
