//! The web channel: one small axum server in the bot's own runtime, on the same engine
//! ([`LiveEngine`]), dialog and store as Telegram.
//!
//! ```text
//! browser ─► (city's reverse proxy) ─► client.rs: who is asking, rate limits
//!    GET  /               chat.rs + page.rs: the chat page (assets/ embedded in the binary)
//!    POST /chat           chat.rs: cookie id ─► turn::take_turn ─► replies as HTML fragments
//!    GET  /assets/…       the page's CSS and JavaScript
//!    /staff/…             console/: the staff console (its own sessions, CSRF, pages)
//! ```
//!
//! - Nothing here decides what to say: the conversation is [`crate::conversation::dialog`]'s,
//!   rendered by [`crate::conversation::reply::render_html`], every value escaped; the page's
//!   own labels are `dialogs/texts.toml` `[web]`.
//! - A web chat is known by a random id in a cookie, stored as a keyed hash like a Telegram
//!   chat: the same retention and `/forget` (after which the cookie gets a new id).
//! - Every response carries a Content-Security-Policy without `unsafe-inline` (no inline
//!   script or style), `nosniff` and no referrer; framing only from `[web] frame_ancestors`.
//! - A POST must come from the page itself: JSON, with the page's own header and, when the
//!   browser sends an Origin, the same origin. Another site's form is refused.

mod chat;
pub(crate) mod client;
pub mod console;
mod page;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::http::{header, HeaderValue};
use axum::routing::{get, post};
use axum::Router;
use tower_http::limit::RequestBodyLimitLayer;

use crate::config::{Config, WebConfig};
use crate::serving::live::LiveEngine;
use crate::serving::store::Store;

pub use client::RateLimiter;

/// The longest message the page takes, in characters (Telegram's own limit): the text box
/// stops there, and the server refuses more with `[web] too_long`.
pub const MAX_MESSAGE_CHARS: usize = 4096;
/// A request body beyond this is refused before it is read (a 4,096-character message in
/// JSON is at most about 25 kB).
const MAX_BODY_BYTES: usize = 64 * 1024;
/// A request that takes longer than this (a client that stops sending) is dropped.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// What every request handler shares.
pub struct Web {
    pub engine: Arc<LiveEngine>,
    pub store: Arc<Store>,
    pub settings: WebConfig,
    /// `[records] retention_days`: how long the chat cookie is kept.
    pub retention_days: u32,
    /// Where `index/` is and how it is checked, for the console's saves.
    pub config: Config,
    pub(crate) messages: RateLimiter,
    pub(crate) logins: RateLimiter,
    /// Login attempts per account name, from any address: guessing one account's password
    /// from many addresses is slowed too.
    pub(crate) logins_per_account: RateLimiter<String>,
    pub(crate) sessions: console::session::Sessions,
    /// Held while the console writes `index/`: one save at a time.
    pub(crate) edits: std::sync::Mutex<()>,
}

impl Web {
    pub fn new(engine: Arc<LiveEngine>, store: Arc<Store>, config: &Config) -> Web {
        let settings = config.web.clone();
        Web {
            engine,
            store,
            messages: RateLimiter::per_minute(settings.messages_per_minute),
            logins: RateLimiter::per_minute(settings.logins_per_minute),
            logins_per_account: RateLimiter::per_minute(settings.logins_per_minute.saturating_mul(2)),
            settings,
            retention_days: config.records.retention_days,
            config: config.clone(),
            sessions: Default::default(),
            edits: std::sync::Mutex::new(()),
        }
    }
}

/// The routes of the chat page, with the security headers on every response.
pub fn router(web: Arc<Web>) -> Router {
    let csp = content_security_policy(&web.settings.frame_ancestors);
    Router::new()
        .route("/", get(chat::page))
        .route("/chat", post(chat::message))
        .route("/assets/chat.js", get(chat::script))
        .route("/assets/chat.css", get(chat::style))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        // The console has its own limits and timeout (a save reloads the engine).
        .merge(console::routes())
        .with_state(web)
        .layer(axum::middleware::map_response(move |mut response: axum::response::Response| {
            let csp = csp.clone();
            async move {
                let headers = response.headers_mut();
                headers.insert(header::CONTENT_SECURITY_POLICY, csp);
                headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
                headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
                response
            }
        }))
}

/// No inline script or style anywhere, nothing from other hosts; frames only from the city's
/// configured pages.
fn content_security_policy(frame_ancestors: &[String]) -> HeaderValue {
    let mut ancestors = vec!["'self'".to_string()];
    // A value with a space or a quote would break out of the directive: left out (config
    // check refuses such values before this).
    // Config::parse refused anything else; the filter keeps a hand-built Config safe too.
    ancestors.extend(frame_ancestors.iter().filter(|a| crate::config::is_origin(a)).cloned());
    let policy = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; \
         form-action 'self'; base-uri 'none'; frame-ancestors {}",
        ancestors.join(" ")
    );
    HeaderValue::from_str(&policy).unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
}

/// Serves on `listener` until `shutdown` resolves; requests under way are finished.
pub async fn serve(
    listener: tokio::net::TcpListener,
    web: Arc<Web>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = router(web).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await.context("the web server stopped")
}

/// Binds `[web] listen` (or `listen`), saying in Japanese what is wrong when it cannot.
pub async fn bind(listen: &str) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(listen).await.with_context(|| {
        format!("ウェブの待ち受け {listen} を開けません(使用中か、書き方の誤り: 例 127.0.0.1:8080) / cannot listen on {listen}")
    })
}

/// `madoguchi web`: the chat page alone, no Telegram token needed; SIGTERM or Ctrl-C stops it.
pub fn run(config: &Config, listen: Option<&str>, today: chrono::NaiveDate) -> anyhow::Result<()> {
    crate::channels::telegram::init_logging();
    let Some(listen) = listen.or(config.web.listen.as_deref()) else {
        anyhow::bail!(
            "ウェブの待ち受け先がありません。config.toml の [web] listen か --listen で指定してください(例 127.0.0.1:8080) / no listen address"
        );
    };
    let data_dir = config.effective_data_dir();
    let store = Arc::new(Store::open(&data_dir)?);
    let engine = Arc::new(LiveEngine::open(config, today)?);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let web = Arc::new(Web::new(engine, store.clone(), config));
    let _watching = watch_staff_files(&web.engine);
    let result = runtime.block_on(async {
        let listener = bind(listen).await?;
        tracing::info!(listen, data_dir = %data_dir.display(), "serving the web chat");
        tokio::spawn(crate::serving::upkeep::run(store.clone(), config.records.retention_days));
        serve(listener, web, crate::channels::telegram::shutdown_signal()).await
    });
    store.flush().context("flushing the database")?;
    runtime.shutdown_timeout(Duration::from_secs(1));
    result
}

/// `madoguchi web` alone (no Telegram side to do it): a staff file saved by hand is reloaded as
/// in `madoguchi run`, checked first, the old answers serving on when the edit is broken. The
/// console's own saves reload at once and are seen here once more, which costs a build and
/// changes nothing. Failing to watch is logged; the console's saves still reload.
fn watch_staff_files(engine: &Arc<LiveEngine>) -> Option<crate::serving::watch::Watch> {
    if !engine.reloadable() {
        return None;
    }
    let dirs = engine.watched_dirs();
    let live = engine.clone();
    let on_change = move |paths: Vec<std::path::PathBuf>| {
        let report = live.reload();
        let saved = paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
        match &report.outcome {
            crate::serving::live::Outcome::Swapped { .. } => tracing::info!("[saved {saved}] {report}"),
            _ => tracing::error!("[saved {saved}] {report}"),
        }
    };
    match crate::serving::watch::watch(&dirs, on_change) {
        Ok(watch) => {
            tracing::info!(dirs = ?dirs, "watching the staff files; a saved change is reloaded");
            Some(watch)
        }
        Err(e) => {
            tracing::warn!("not watching the staff files ({e:#}); the console's saves still reload");
            None
        }
    }
}
