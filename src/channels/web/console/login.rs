//! Signing in and out. The login form has a token of its own (matched against a cookie, as no
//! session exists yet), attempts are limited per address (`[web] logins_per_minute`) and every
//! attempt is logged with the name and address, never the password.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{self, Notice};
use super::session::{self, LOGIN_COOKIE, SESSION_COOKIE};
use super::{forbidden, StaffSession};
use crate::channels::web::client::token_cookie;
use crate::channels::web::client::Client;
use crate::channels::web::Web;

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

pub async fn page(
    State(web): State<Arc<Web>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if web.sessions.of(&headers).is_some() {
        return Redirect::to("/staff").into_response();
    }
    let client = Client::of(peer, &headers, &web.settings.trusted_proxies);
    login_page(&web, client, StatusCode::OK, None)
}

pub async fn submit(
    State(web): State<Arc<Web>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let client = Client::of(peer, &headers, &web.settings.trusted_proxies);
    let expected = token_cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if !session::same_token(&expected, &form.csrf) || !super::same_origin(&headers) {
        tracing::warn!(ip = %client.ip, "staff login refused: the form's token does not match");
        return forbidden();
    }
    if !web.logins.allow(client.ip) || !web.logins_per_account.allow_key(form.name.trim().to_string()) {
        tracing::warn!(ip = %client.ip, name = %form.name, "staff login refused: too many attempts");
        let text = "ログインの試行が多すぎます。1分ほど待ってから、もう一度お試しください。";
        return login_page(&web, client, StatusCode::TOO_MANY_REQUESTS, Some(text));
    }
    let accounts = web.settings.staff.clone();
    let name = form.name.trim().to_string();
    let password = form.password;
    let checked_name = name.clone();
    let ok = tokio::task::spawn_blocking(move || session::verify(&accounts, &checked_name, &password))
        .await
        .unwrap_or(false);
    if !ok {
        tracing::warn!(ip = %client.ip, name = %name, "staff login failed");
        return login_page(&web, client, StatusCode::UNAUTHORIZED, Some("名前かパスワードが違います。"));
    }
    let Some(session) = web.sessions.start(&name) else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "乱数を得られません / no randomness").into_response();
    };
    tracing::info!(ip = %client.ip, name = %name, "staff signed in");
    let mut response = Redirect::to("/staff").into_response();
    set_cookie(&mut response, &session::staff_cookie(SESSION_COOKIE, &session.token, client.https));
    set_cookie(&mut response, &session::staff_cookie(LOGIN_COOKIE, "", client.https));
    response
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(web): State<Arc<Web>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    StaffSession(session): StaffSession,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    if !super::csrf_ok(&session, &form.csrf, &headers) {
        return forbidden();
    }
    web.sessions.end(&session.token);
    tracing::info!(name = %session.name, "staff signed out");
    let client = Client::of(peer, &headers, &web.settings.trusted_proxies);
    let mut response = Redirect::to("/staff/login").into_response();
    set_cookie(&mut response, &session::staff_cookie(SESSION_COOKIE, "", client.https));
    response
}

fn login_page(web: &Web, client: Client, status: StatusCode, problem: Option<&str>) -> Response {
    let Some(token) = session::random_token() else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "乱数を得られません / no randomness").into_response();
    };
    let mut response = (status, form(&token, problem, web.settings.staff.is_empty())).into_response();
    set_cookie(&mut response, &session::staff_cookie(LOGIN_COOKIE, &token, client.https));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn form(token: &str, problem: Option<&str>, no_accounts: bool) -> Markup {
    html! {
        (maud::DOCTYPE)
        html lang="ja" {
            (super::layout::head("ログイン"))
            body {
                main class="login" {
                    h1 { "madoguchi 職員用 ログイン" }
                    @if let Some(problem) = problem { (layout::notice(Notice::Problem, problem)) }
                    @if no_accounts {
                        p class="notice problem" {
                            "職員のアカウントがまだありません。サーバーで madoguchi staff add 名前 を実行して作ってください。"
                        }
                    }
                    form method="post" action="/staff/login" {
                        input type="hidden" name="csrf" value=(token);
                        p {
                            label for="name" { "名前" }
                            input id="name" name="name" type="text" autocomplete="username" required;
                        }
                        p {
                            label for="password" { "パスワード" }
                            input id="password" name="password" type="password" autocomplete="current-password" required;
                        }
                        p { button type="submit" id="login" { "ログイン" } }
                    }
                }
            }
        }
    }
}

pub fn set_cookie(response: &mut Response, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}
