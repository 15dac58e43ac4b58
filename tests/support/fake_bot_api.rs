//! A fake Telegram Bot API on 127.0.0.1, enough for the bot to run against: getMe,
//! getWebhookInfo, deleteWebhook, getUpdates (long polling, offsets confirm as Telegram does),
//! sendMessage, editMessageText, answerCallbackQuery, setMyCommands. Plain HTTP/1.1 with
//! keep-alive on a tokio `TcpListener`; method names are matched case-insensitively (teloxide
//! sends `GetUpdates`, Telegram accepts any case). Failures can be injected per method.
//!
//! As strict as Telegram where the bot could go wrong: sendMessage and editMessageText are
//! refused (400, as Telegram answers) for a text over 4,096 UTF-16 units once the HTML is parsed,
//! for HTML Telegram cannot parse (a tag it does not know, unbalanced tags, a bare `&` or `<`),
//! and for a link Telegram would drop or show as plain text (any scheme but http, https, tg).
//! Every refusal is recorded, and dropping the fake fails the test that caused one.
//!
//! Tests talk to it synchronously: push updates, then wait (with a deadline) until the bot
//! has made the calls they expect, and read what a resident would see.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const TOKEN: &str = "123:test";
pub const BOT_ID: u64 = 4242;
pub const BOT_USERNAME: &str = "madoguchi_test_bot";

/// One request the bot made.
#[derive(Debug, Clone)]
pub struct Call {
    /// Lower case (`sendmessage`).
    pub method: String,
    pub body: Value,
    pub status: u16,
    /// Answered with an injected failure (or a wrong token), whatever the status.
    pub failed: bool,
    pub at: Instant,
}

struct Failure {
    method: String,
    /// Only calls for this chat fail (any chat when `None`).
    chat: Option<i64>,
    times: usize,
    status: u16,
    body: String,
}

#[derive(Default)]
pub struct State {
    /// Every update ever pushed, with when it was pushed.
    updates: Vec<(u32, Value, Instant)>,
    /// Updates below this id are confirmed (Telegram forgets them).
    confirmed_below: u32,
    next_update_id: u32,
    next_message_id: i64,
    pub calls: Vec<Call>,
    /// The update kinds the bot asked for (getUpdates' `allowed_updates`), once it has.
    pub allowed_updates: Option<Vec<String>>,
    /// sendMessage calls answered with success.
    pub sent_count: usize,
    failures: VecDeque<Failure>,
    /// What was refused as Telegram would refuse it, and why.
    pub refused: Vec<String>,
}

impl State {
    pub fn calls_to(&self, method: &str) -> Vec<&Call> {
        let method = method.to_ascii_lowercase();
        self.calls.iter().filter(|c| c.method == method).collect()
    }

    /// The messages the bot sent successfully to a chat, in order.
    pub fn sent_to(&self, chat_id: i64) -> Vec<&Value> {
        self.calls
            .iter()
            .filter(|c| c.method == "sendmessage" && !c.failed && c.body["chat_id"].as_i64() == Some(chat_id))
            .map(|c| &c.body)
            .collect()
    }

    pub fn pushed_at(&self, update_id: u32) -> Option<Instant> {
        self.updates.iter().find(|(id, _, _)| *id == update_id).map(|(_, _, at)| *at)
    }
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    new_update: tokio::sync::Notify,
}

pub struct FakeBotApi {
    pub url: String,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeBotApi {
    /// Starts the server on a free loopback port, on a thread of its own.
    pub fn start() -> FakeBotApi {
        let shared = Arc::new(Shared {
            state: Mutex::new(State { next_update_id: 1, next_message_id: 1000, ..State::default() }),
            changed: Condvar::new(),
            new_update: tokio::sync::Notify::new(),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = shared.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            runtime.block_on(async move {
                let listener = TcpListener::from_std(listener).unwrap();
                let accept = async {
                    loop {
                        let Ok((stream, _)) = listener.accept().await else { continue };
                        let _ = stream.set_nodelay(true);
                        tokio::spawn(serve_connection(stream, server.clone()));
                    }
                };
                tokio::select! {
                    _ = accept => {}
                    _ = stopped => {}
                }
            });
            runtime.shutdown_timeout(Duration::from_millis(100));
        });
        FakeBotApi { url, shared, stop: Some(stop), thread: Some(thread) }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.shared.state.lock().unwrap()
    }

    /// Waits until `done` holds, at most `timeout`; returns whether it did.
    pub fn wait_for(&self, timeout: Duration, mut done: impl FnMut(&State) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.state();
        loop {
            if done(&state) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            state = self.shared.changed.wait_timeout(state, deadline - now).unwrap().0;
        }
    }

    /// Makes the next `times` calls of `method` fail with this status and body.
    pub fn fail(&self, method: &str, times: usize, status: u16, body: &str) {
        self.state().failures.push_back(Failure {
            method: method.to_ascii_lowercase(),
            chat: None,
            times,
            status,
            body: body.to_string(),
        });
    }

    /// Like [`FakeBotApi::fail`], for the calls addressed to one chat only.
    pub fn fail_in_chat(&self, method: &str, chat: i64, times: usize, status: u16, body: &str) {
        self.state().failures.push_back(Failure {
            method: method.to_ascii_lowercase(),
            chat: Some(chat),
            times,
            status,
            body: body.to_string(),
        });
    }

    /// Forgets that updates from `id` on were confirmed, as if the bot's last getUpdates
    /// never reached Telegram: they are delivered again.
    pub fn unconfirm_from(&self, id: u32) {
        let mut state = self.state();
        state.confirmed_below = state.confirmed_below.min(id);
        drop(state);
        self.shared.new_update.notify_waiters();
    }

    /// Queues an update (`{"message": …}` or `{"callback_query": …}`); returns its id.
    pub fn push(&self, mut update: Value) -> u32 {
        let mut state = self.state();
        let id = state.next_update_id;
        state.next_update_id += 1;
        update["update_id"] = json!(id);
        state.updates.push((id, update, Instant::now()));
        drop(state);
        self.shared.new_update.notify_waiters();
        self.shared.changed.notify_all();
        id
    }

    pub fn text(&self, chat_id: i64, text: &str) -> u32 {
        self.push(json!({"message": message(chat_private(chat_id), chat_id, json!({"text": text}))}))
    }

    pub fn group_text(&self, chat_id: i64, user_id: i64, text: &str) -> u32 {
        let chat = json!({"id": chat_id, "type": "group", "title": "町内会"});
        self.push(json!({"message": message(chat, user_id, json!({"text": text}))}))
    }

    /// The resident edits an earlier message to say `text`.
    pub fn edited_text(&self, chat_id: i64, text: &str) -> u32 {
        let mut edited = message(chat_private(chat_id), chat_id, json!({"text": text}));
        edited["edit_date"] = json!(1_700_000_100);
        self.push(json!({"edited_message": edited}))
    }

    /// A photo with a caption, from a private chat.
    pub fn photo_with_caption(&self, chat_id: i64, caption: &str) -> u32 {
        let photo = json!({"photo": [{"file_id": "AgAC", "file_unique_id": "AQAD", "width": 800, "height": 600}], "caption": caption});
        self.push(json!({"message": message(chat_private(chat_id), chat_id, photo)}))
    }

    /// A message an anonymous admin writes in a group (Telegram: from GroupAnonymousBot, on
    /// behalf of the group).
    pub fn anonymous_admin_text(&self, chat_id: i64, text: &str) -> u32 {
        let chat = json!({"id": chat_id, "type": "supergroup", "title": "町内会"});
        let mut m = message(chat.clone(), 0, json!({"text": text, "sender_chat": chat}));
        m["from"] =
            json!({"id": 1_087_968_824u64, "is_bot": true, "first_name": "Group", "username": "GroupAnonymousBot"});
        self.push(json!({"message": m}))
    }

    pub fn sticker(&self, chat_id: i64) -> u32 {
        let sticker = json!({"sticker": {"file_id": "CAAC", "file_unique_id": "AgAD", "type": "regular",
            "width": 512, "height": 512, "is_animated": false, "is_video": false, "emoji": "👍"}});
        self.push(json!({"message": message(chat_private(chat_id), chat_id, sticker)}))
    }

    /// A press on an inline button with this callback data, on a message in a private chat.
    pub fn press(&self, chat_id: i64, data: &str) -> (u32, String) {
        let callback_id = format!("cb-{chat_id}-{}", self.state().next_update_id);
        let id = self.push(json!({"callback_query": {
            "id": callback_id, "chat_instance": "ci", "data": data,
            "from": {"id": chat_id, "is_bot": false, "first_name": "住民"},
            "message": {"message_id": 1, "date": 1_700_000_000, "chat": chat_private(chat_id),
                "from": {"id": BOT_ID, "is_bot": true, "first_name": "まどぐち", "username": BOT_USERNAME},
                "text": "…"}}}));
        (id, callback_id)
    }

    /// A press of a button on a message the bot sent: `sent` is that sendMessage's body (its
    /// keyboard comes along, as Telegram sends it), `message_id` the id it is known by.
    pub fn press_on(&self, chat_id: i64, data: &str, sent: &Value, message_id: i64) -> (u32, String) {
        let callback_id = format!("cb-{chat_id}-{}", self.state().next_update_id);
        let id = self.push(json!({"callback_query": {
            "id": callback_id, "chat_instance": "ci", "data": data,
            "from": {"id": chat_id, "is_bot": false, "first_name": "職員"},
            "message": {"message_id": message_id, "date": 1_700_000_000, "chat": chat_private(chat_id),
                "from": {"id": BOT_ID, "is_bot": true, "first_name": "まどぐち", "username": BOT_USERNAME},
                "text": sent["text"], "reply_markup": sent["reply_markup"]}}}));
        (id, callback_id)
    }

    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for FakeBotApi {
    fn drop(&mut self) {
        self.shutdown();
        if !std::thread::panicking() {
            let refused = &self.shared.state.lock().unwrap().refused;
            assert!(refused.is_empty(), "Telegram would have refused {} message(s): {refused:#?}", refused.len());
        }
    }
}

/// Why Telegram would refuse this message's text, if it would.
fn refusal(body: &Value) -> Option<String> {
    let text = body["text"].as_str().unwrap_or_default();
    let html = body["parse_mode"].as_str().is_some_and(|m| m.eq_ignore_ascii_case("html"));
    let visible = if html { parse_html(text)? } else { Ok(text.to_string()) };
    let visible = match visible {
        Ok(visible) => visible,
        Err(reason) => return Some(reason),
    };
    let units = visible.encode_utf16().count();
    if units == 0 {
        return Some("Bad Request: message text is empty".into());
    }
    (units > 4096).then(|| format!("Bad Request: message is too long ({units} UTF-16 units)"))
}

/// The visible text of Telegram HTML, or why Telegram cannot parse it.
fn parse_html(text: &str) -> Option<Result<String, String>> {
    const TAGS: [&str; 14] =
        ["b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote", "tg-spoiler"];
    let mut visible = String::new();
    let mut open: Vec<String> = Vec::new();
    let mut rest = text;
    let fail = |why: String| Some(Err(format!("Bad Request: can't parse entities: {why}")));
    while let Some(at) = rest.find(['<', '>', '&']) {
        visible.push_str(&rest[..at]);
        let tail = &rest[at..];
        if tail.starts_with('&') {
            let Some((entity, after)) = [("&amp;", '&'), ("&lt;", '<'), ("&gt;", '>'), ("&quot;", '"')]
                .into_iter()
                .find(|(e, _)| tail.starts_with(e))
            else {
                return fail(format!("a bare & at byte {at}"));
            };
            visible.push(after);
            rest = &tail[entity.len()..];
            continue;
        }
        if tail.starts_with('>') {
            return fail(format!("a bare > at byte {at}"));
        }
        let Some(end) = tail.find('>') else { return fail("an unclosed tag".into()) };
        let tag = &tail[1..end];
        if let Some(name) = tag.strip_prefix('/') {
            if open.pop().as_deref() != Some(name) {
                return fail(format!("unexpected end tag </{name}>"));
            }
        } else {
            let name = tag.split_whitespace().next().unwrap_or_default();
            if !TAGS.contains(&name) {
                return fail(format!("unsupported start tag \"{name}\""));
            }
            if name == "a" {
                let href = tag.strip_prefix("a href=\"").and_then(|h| h.strip_suffix('"'));
                let Some(href) = href else { return fail(format!("a link without href: <{tag}>")) };
                let scheme = href.split(':').next().unwrap_or_default().to_ascii_lowercase();
                if !["http", "https", "tg"].contains(&scheme.as_str()) || !href.contains(':') {
                    return Some(Err(format!("a link Telegram does not take (scheme {scheme:?}): {href}")));
                }
            }
            open.push(name.to_string());
        }
        rest = &tail[end + 1..];
    }
    visible.push_str(rest);
    if let Some(name) = open.last() {
        return fail(format!("unclosed tag <{name}>"));
    }
    Some(Ok(visible))
}

fn chat_private(chat_id: i64) -> Value {
    json!({"id": chat_id, "type": "private", "first_name": "住民"})
}

fn message(chat: Value, from: i64, content: Value) -> Value {
    let mut m = json!({"message_id": 1, "date": 1_700_000_000, "chat": chat,
        "from": {"id": from, "is_bot": false, "first_name": "住民", "language_code": "ja"}});
    m.as_object_mut().unwrap().extend(content.as_object().unwrap().clone());
    m
}

async fn serve_connection(mut stream: TcpStream, shared: Arc<Shared>) {
    let mut buffer = Vec::new();
    loop {
        let Some((head_len, method_path, content_length)) = read_head(&mut stream, &mut buffer).await else {
            return;
        };
        while buffer.len() < head_len + content_length {
            let mut chunk = [0u8; 8192];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }
        let body: Vec<u8> = buffer[head_len..head_len + content_length].to_vec();
        buffer.drain(..head_len + content_length);
        let (status, response) = handle(&shared, &method_path, &body).await;
        let reason = match status {
            200 => "OK",
            401 => "Unauthorized",
            404 => "Not Found",
            429 => "Too Many Requests",
            _ => "Error",
        };
        let head = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: keep-alive\r\n\r\n",
            response.len()
        );
        if stream.write_all(head.as_bytes()).await.is_err() || stream.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// Reads a request head: (its length, the request path, Content-Length).
async fn read_head(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<(usize, String, usize)> {
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_string();
            let path = head.lines().next()?.split_whitespace().nth(1)?.to_string();
            let length = head
                .lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.trim().parse().ok())
                .unwrap_or(0);
            return Some((end + 4, path, length));
        }
        let mut chunk = [0u8; 8192];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

fn ok(result: Value) -> (u16, String) {
    (200, json!({"ok": true, "result": result}).to_string())
}

fn error(status: u16, description: &str) -> (u16, String) {
    (status, json!({"ok": false, "error_code": status, "description": description}).to_string())
}

async fn handle(shared: &Shared, path: &str, body: &[u8]) -> (u16, String) {
    // /bot<token>/<Method>
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let token = parts.next().unwrap_or_default().strip_prefix("bot").unwrap_or_default();
    let method = parts.next().unwrap_or_default().to_ascii_lowercase();
    let body: Value = serde_json::from_slice(body).unwrap_or_else(|_| json!({}));
    let refusal = matches!(method.as_str(), "sendmessage" | "editmessagetext").then(|| refusal(&body)).flatten();
    let ((status, response), failed) = if token != TOKEN {
        (error(401, "Unauthorized"), true)
    } else if let Some(reason) = &refusal {
        shared.state.lock().unwrap().refused.push(format!("{reason}: {}", body["text"]));
        (error(400, reason), true)
    } else if let Some(failure) = take_failure(shared, &method, body["chat_id"].as_i64()) {
        (failure, true)
    } else {
        (answer(shared, &method, &body).await, false)
    };
    let mut state = shared.state.lock().unwrap();
    if method == "sendmessage" && !failed {
        state.sent_count += 1;
    }
    state.calls.push(Call { method, body, status, failed, at: Instant::now() });
    drop(state);
    shared.changed.notify_all();
    (status, response)
}

fn take_failure(shared: &Shared, method: &str, chat: Option<i64>) -> Option<(u16, String)> {
    let mut state = shared.state.lock().unwrap();
    let index = state
        .failures
        .iter()
        .position(|f| f.method == method && f.times > 0 && (f.chat.is_none() || f.chat == chat))?;
    let failure = &mut state.failures[index];
    failure.times -= 1;
    Some((failure.status, failure.body.clone()))
}

async fn answer(shared: &Shared, method: &str, body: &Value) -> (u16, String) {
    match method {
        "getme" => ok(json!({"id": BOT_ID, "is_bot": true, "first_name": "まどぐち", "username": BOT_USERNAME,
            "can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false,
            "can_connect_to_business": false, "has_main_web_app": false})),
        "getwebhookinfo" => ok(json!({"url": "", "has_custom_certificate": false, "pending_update_count": 0})),
        "deletewebhook" | "setmycommands" | "answercallbackquery" => ok(json!(true)),
        "sendmessage" | "editmessagetext" | "editmessagereplymarkup" => {
            let chat_id = body["chat_id"].as_i64().unwrap_or_default();
            let mut state = shared.state.lock().unwrap();
            state.next_message_id += 1;
            let chat = if chat_id < 0 {
                json!({"id": chat_id, "type": "group", "title": "町内会"})
            } else {
                chat_private(chat_id)
            };
            ok(json!({"message_id": state.next_message_id, "date": 1_700_000_000, "chat": chat,
                "from": {"id": BOT_ID, "is_bot": true, "first_name": "まどぐち", "username": BOT_USERNAME},
                "text": body["text"]}))
        }
        "getupdates" => get_updates(shared, body).await,
        _ => error(404, "Not Found: method not found"),
    }
}

/// Telegram's getUpdates: `offset` confirms every update below it; waits up to `timeout`
/// seconds for one to arrive.
async fn get_updates(shared: &Shared, body: &Value) -> (u16, String) {
    let offset = body["offset"].as_i64().unwrap_or(0);
    let limit = body["limit"].as_u64().unwrap_or(100).clamp(1, 100) as usize;
    let timeout = Duration::from_secs(body["timeout"].as_u64().unwrap_or(0));
    let deadline = tokio::time::Instant::now() + timeout;
    // The offset confirms when the request arrives, as at Telegram (not when it is answered:
    // a long poll the bot has given up on must not confirm anything later).
    {
        let mut state = shared.state.lock().unwrap();
        if offset > 0 {
            state.confirmed_below = state.confirmed_below.max(offset as u32);
        }
        // As at Telegram: a list given is kept for the next calls; the kinds left out are
        // never delivered.
        if let Some(kinds) = body["allowed_updates"].as_array().filter(|k| !k.is_empty()) {
            state.allowed_updates = Some(kinds.iter().filter_map(|k| k.as_str().map(str::to_string)).collect());
        }
    }
    loop {
        let notified = shared.new_update.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let state = shared.state.lock().unwrap();
            let from = state.confirmed_below;
            let allowed = |update: &Value| {
                state.allowed_updates.as_ref().is_none_or(|kinds| {
                    update.as_object().is_some_and(|o| o.keys().any(|k| k != "update_id" && kinds.contains(k)))
                })
            };
            let pending: Vec<Value> = state
                .updates
                .iter()
                .filter(|(id, u, _)| *id >= from && allowed(u))
                .take(limit)
                .map(|(_, u, _)| u.clone())
                .collect();
            if !pending.is_empty() || tokio::time::Instant::now() >= deadline {
                return ok(Value::Array(pending));
            }
        }
        let _ = tokio::time::timeout_at(deadline, notified).await;
    }
}
