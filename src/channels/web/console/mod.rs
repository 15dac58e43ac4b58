//! The staff console (`/staff`): the entries, a test pane, the review inbox, use charts and the
//! CSV round trip, in a browser, for staff who are not programmers.
//!
//! ```text
//! /staff/login ── session.rs (argon2 accounts of [web] staff, sessions, CSRF tokens)
//! /staff       ── entries.rs: list, edit, new ─► staff::csv_import::save_entry (the loader of
//!                 `index check`) ─► index/ written keeping comments ─► LiveEngine::reload
//! /staff/test  ── review.rs: the resident's reply (dialog::respond_in) + explain::render
//! /staff/inbox ── review.rs: staff::unanswered (masked) ─► an example question of an entry
//! /staff/usage ── usage.rs + charts.rs (server-drawn SVG): records of the store
//! /staff/csv   ── spreadsheet.rs: staff::csv_import export / import (dry run first)
//! ```
//!
//! - Nothing of `/staff` but the login page answers without a session: a page redirects to the
//!   login ([`StaffSession`] is the extractor every handler takes), a form is refused.
//! - Every form carries the session's CSRF token ([`csrf_ok`]); one without it, or from another
//!   origin, gets 403 and changes nothing.
//! - Pages are maud markup, every value escaped, no inline script or style (the same CSP as the
//!   chat page). The console's words are staff wording, in Japanese, here in the templates.
//! - What the console changes is what the CLI changes: entries through the same checked path
//!   as `madoguchi import --csv`, records through the same store calls as `/unanswered`.

pub mod accounts;
pub mod charts;
mod entries;
mod layout;
mod login;
mod review;
pub mod session;
mod spreadsheet;
mod usage;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_http::limit::RequestBodyLimitLayer;

use super::Web;
pub use session::Session;

/// The console's routes (mounted beside the chat page's).
pub fn routes() -> Router<Arc<Web>> {
    Router::new()
        .route("/staff", get(entries::list))
        .route("/staff/login", get(login::page).post(login::submit))
        .route("/staff/logout", post(login::logout))
        .route("/staff/entry", get(entries::edit).post(entries::save))
        .route("/staff/entry/new", get(entries::new))
        .route("/staff/test", get(review::test))
        .route("/staff/inbox", get(review::inbox))
        .route("/staff/inbox/assign", post(review::assign))
        .route("/staff/inbox/handled", post(review::handled))
        .route("/staff/usage", get(usage::page))
        .route("/staff/csv", get(spreadsheet::page))
        .route("/staff/csv/export", get(spreadsheet::export))
        .route("/assets/console.css", get(style))
        .layer(RequestBodyLimitLayer::new(MAX_FORM_BYTES))
        // A router of its own, so only its own (larger) limit applies.
        .merge(
            Router::new()
                .route("/staff/csv/import", post(spreadsheet::import))
                .layer(RequestBodyLimitLayer::new(spreadsheet::MAX_UPLOAD_BYTES))
                .layer(DefaultBodyLimit::max(spreadsheet::MAX_UPLOAD_BYTES)),
        )
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, SAVE_TIMEOUT))
        .layer(axum::middleware::map_response(in_japanese))
}

/// A save checks all of `index/` and reloads the engine: seconds at most, far more on a slow disk.
const SAVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// The refusals axum and tower-http write themselves (a body over the limit, a form or query
/// that does not parse, a timeout) are plain English text: staff get a page in Japanese
/// instead, with the same status. The console's own pages are HTML and pass unchanged.
async fn in_japanese(response: Response) -> Response {
    let status = response.status();
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let text = match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            "送られた内容が大きすぎます(画面の入力は 256 KB、CSV のファイルは 5 MB まで)。何も変えていません。"
        }
        StatusCode::REQUEST_TIMEOUT => {
            "時間がかかりすぎたため、途中で打ち切りました。保存の途中だった場合は、項目を開き直して、保存されたかどうか確かめてください。"
        }
        StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => "このページはありません。上のメニューから選んでください。",
        _ if status.is_client_error() => {
            "送られた内容を読み取れませんでした。ページを開き直してから、もう一度お試しください(何も変えていません)。"
        }
        _ => "問題が起きました。しばらくしてから、もう一度お試しください。続くときは管理者に連絡してください。",
    };
    tracing::warn!(%status, "a console request was refused before its page");
    (status, layout::bare("受け付けられません", text)).into_response()
}

/// A console form (an entry with long details) is far below this.
const MAX_FORM_BYTES: usize = 256 * 1024;

async fn style() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")],
        include_str!("../assets/console.css"),
    )
        .into_response()
}

/// The signed-in staff member of a request; without one, a page goes to the login.
pub struct StaffSession(pub Session);

impl FromRequestParts<Arc<Web>> for StaffSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, web: &Arc<Web>) -> Result<Self, Self::Rejection> {
        match web.sessions.of(&parts.headers) {
            Some(session) => Ok(StaffSession(session)),
            None if parts.method == axum::http::Method::GET => Err(Redirect::to("/staff/login").into_response()),
            None => Err(forbidden()),
        }
    }
}

/// Whether a form of `session` is genuine: its token, and no other site's Origin.
pub fn csrf_ok(session: &Session, token: &str, headers: &HeaderMap) -> bool {
    session::same_token(&session.csrf, token) && same_origin(headers)
}

/// Whether the browser says the form was sent from a page of this server. A browser of today
/// says so in Sec-Fetch-Site, which no page can set; one without it, in Origin. Neither
/// (an old browser), or Origin `null` (sent when the page's referrer policy is no-referrer, as
/// every page of this server has it): the token decides alone.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return site.as_bytes() == b"same-origin";
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    if origin == "null" {
        return true;
    }
    let bare = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://")).unwrap_or_default();
    let hosts = [header::HOST.as_str(), "x-forwarded-host"];
    hosts.iter().filter_map(|h| headers.get(*h).and_then(|v| v.to_str().ok())).any(|h| h.eq_ignore_ascii_case(bare))
}

/// A refused form: nothing was changed.
pub fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        layout::bare(
            "受け付けられません",
            "この操作は受け付けられませんでした。ページを開き直してから、もう一度お試しください(何も変更していません)。",
        ),
    )
        .into_response()
}
