//! The resident's chat: the page, and `POST /chat`, one message or button press a request.
//!
//! The request is JSON (`{"text": …}`, `{"button": payload}` or `{"command": "forget"}`) with
//! the page's own `X-Madoguchi` header: a form on another site can send neither without the
//! browser asking first (which this server never allows), so no CSRF token is needed here. The
//! answer is `{"html": …}`, the replies as HTML the page appends, or `{"error": …}` with a
//! status the page shows while the resident's text stays in the box.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use ring::rand::SecureRandom;
use serde::Deserialize;

use super::client::Client;
use super::{page, Web, MAX_MESSAGE_CHARS};
use crate::channels::terminal::parse_line;
use crate::channels::turn::take_turn;
use crate::content::dialogs::template::fill;
use crate::conversation::command::{Command, Payload};
use crate::conversation::dialog::Input;

/// The cookie a web chat is known by: 64 hex digits, random.
pub const CHAT_COOKIE: &str = "madoguchi_chat";
/// The header the page's script sends with every message (see the module doc).
pub const PAGE_HEADER: &str = "x-madoguchi";

/// What the resident did on the page.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Said {
    /// Typed and sent (a `/command` typed works as in Telegram).
    Text(String),
    /// A button under a reply: its payload.
    Button(String),
    /// One of the page's own buttons (`forget`).
    Command(String),
}

pub async fn page(State(web): State<Arc<Web>>) -> Response {
    let engine = web.engine.current();
    let html = page::chat_page(&engine.dialogs().texts.web);
    ([(header::CACHE_CONTROL, "no-cache")], html).into_response()
}

pub async fn script() -> Response {
    asset("text/javascript; charset=utf-8", include_str!("assets/chat.js"))
}

pub async fn style() -> Response {
    asset("text/css; charset=utf-8", include_str!("assets/chat.css"))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "max-age=3600")], body).into_response()
}

pub async fn message(
    State(web): State<Arc<Web>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<Said>, JsonRejection>,
) -> Response {
    let engine = web.engine.current();
    let texts = &engine.dialogs().texts.web;
    let client = Client::of(peer, &headers, &web.settings.trusted_proxies);
    if !from_the_page(&headers, client) {
        return refuse(StatusCode::FORBIDDEN, &texts.refused);
    }
    let said = match body {
        Ok(Json(said)) => said,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return refuse(StatusCode::PAYLOAD_TOO_LARGE, &too_long(texts));
        }
        Err(_) => return refuse(StatusCode::BAD_REQUEST, &texts.refused),
    };
    if !web.messages.allow(client.ip) {
        return refuse(StatusCode::TOO_MANY_REQUESTS, &texts.too_many);
    }
    if let Said::Text(text) = &said {
        if text.chars().count() > MAX_MESSAGE_CHARS {
            return refuse(StatusCode::PAYLOAD_TOO_LARGE, &too_long(texts));
        }
    }
    let input = match said {
        Said::Text(text) => parse_line(&text, &[]),
        Said::Button(data) => Payload::parse(&data).map(Input::Button).unwrap_or(Input::UnknownButton),
        Said::Command(name) => match name.parse::<Command>() {
            Ok(command) if !command.is_staff() => Input::Command { command, arg: String::new() },
            _ => return refuse(StatusCode::BAD_REQUEST, &texts.refused),
        },
    };
    let forgets = matches!(input, Input::Command { command: Command::Forget, .. });
    let existing = chat_id(&headers);
    // After /forget the chat starts over under a new id: nothing links it to the one erased.
    let id = match existing.clone().filter(|_| !forgets) {
        Some(id) => id,
        None => match new_chat_id() {
            Some(id) => id,
            None => return refuse(StatusCode::INTERNAL_SERVER_ERROR, &engine.dialogs().texts.internal_error),
        },
    };
    let chat = web.store.web_chat_key(existing.as_deref().unwrap_or(&id));
    let store = web.store.clone();
    let turn_engine = engine.clone();
    // The answer takes microseconds, but sled may touch the disk: off the async workers.
    let replies = match tokio::task::spawn_blocking(move || take_turn(&store, &chat, input, &turn_engine)).await {
        Ok(replies) => replies,
        Err(_) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, &engine.dialogs().texts.internal_error),
    };
    let html = page::replies(&replies, engine.dialogs()).into_string();
    let mut response =
        ([(header::CACHE_CONTROL, "no-store")], Json(serde_json::json!({ "html": html }))).into_response();
    let cookie = chat_cookie(&id, web.retention_days, client.https);
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// The page's own request: its header, and the same origin when the browser names one.
fn from_the_page(headers: &HeaderMap, client: Client) -> bool {
    if !headers.contains_key(PAGE_HEADER) {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let bare = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://")).unwrap_or_default();
    // Behind the proxy the Host may be rewritten; its own forwarded host is believed then.
    let forwarded_host = client
        .https
        .then(|| headers.get("x-forwarded-host").and_then(|v| v.to_str().ok()))
        .flatten()
        .unwrap_or_default();
    !bare.is_empty() && (bare.eq_ignore_ascii_case(host) || bare.eq_ignore_ascii_case(forwarded_host))
}

fn too_long(texts: &crate::content::dialogs::texts::WebTexts) -> String {
    fill(&texts.too_long, &[("limit", &MAX_MESSAGE_CHARS.to_string())])
}

fn refuse(status: StatusCode, text: &str) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], Json(serde_json::json!({ "error": text }))).into_response()
}

/// The chat id of the request's cookie, when it is one madoguchi could have made.
fn chat_id(headers: &HeaderMap) -> Option<String> {
    super::client::token_cookie(headers, CHAT_COOKIE)
}

fn new_chat_id() -> Option<String> {
    let mut bytes = [0u8; 32];
    ring::rand::SystemRandom::new().fill(&mut bytes).ok()?;
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The chat cookie: kept as long as the records are, never readable by script, sent only to
/// this site, and only over TLS when the page came over TLS.
fn chat_cookie(id: &str, retention_days: u32, https: bool) -> String {
    let max_age = u64::from(retention_days) * 24 * 60 * 60;
    let secure = if https { "; Secure" } else { "" };
    format!("{CHAT_COOKIE}={id}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_cookies_madoguchi_could_have_made_are_read() {
        let mut headers = HeaderMap::new();
        let id = "ab".repeat(32);
        headers.insert(header::COOKIE, format!("other=1; {CHAT_COOKIE}={id}").parse().unwrap());
        assert_eq!(chat_id(&headers), Some(id));
        headers.insert(header::COOKIE, format!("{CHAT_COOKIE}=../../etc").parse().unwrap());
        assert_eq!(chat_id(&headers), None);
    }

    #[test]
    fn a_chat_id_is_new_each_time() {
        let (a, b) = (new_chat_id().unwrap(), new_chat_id().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn the_cookie_is_secure_over_tls() {
        let cookie = chat_cookie("x", 90, true);
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.ends_with("; Secure"));
        assert!(!chat_cookie("x", 90, false).contains("Secure"));
    }
}
