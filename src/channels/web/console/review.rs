//! The test pane and the review inbox.
//!
//! - Test: a question typed by staff gets the reply a resident would see (the same
//!   [`respond_in`], nothing recorded) and the engine's explanation ([`explain::render`]).
//! - Inbox: the questions the bot was unsure about and the answers residents marked 違った,
//!   masked as `/unanswered` masks them ([`staff::unanswered`]). "This question belongs to …"
//!   adds it (as staff edited it) to that entry's example questions through the same checked
//!   save as the entry form, shows the answer it gets now, and marks it handled.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;

use super::entries::{entry_link, Saved};
use super::layout::{self, Notice};
use super::{csrf_ok, forbidden, StaffSession};
use crate::answer::decision::{Decision, Kind};
use crate::answer::engine::Engine;
use crate::answer::explain;
use crate::channels::web::{page, Web};
use crate::conversation::dialog::{respond_in, ChatState, Input, Records};
use crate::serving::store::RecordRef;
use crate::staff;
use crate::staff::csv_import::FormSave;

/// How many inbox items one page shows (the oldest wait for the next page view).
const INBOX_PAGE: usize = 50;

#[derive(Deserialize, Default)]
pub struct TestQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    area: String,
}

pub async fn test(
    State(web): State<Arc<Web>>,
    StaffSession(session): StaffSession,
    Query(t): Query<TestQuery>,
) -> Markup {
    let engine = web.engine.current();
    let area = Some(t.area.as_str()).filter(|a| !a.is_empty());
    let body = html! {
        form method="get" action="/staff/test" class="test" {
            p {
                label for="q" { "住民の質問" }
                textarea id="q" name="q" rows="3" { (t.q) }
            }
            p {
                label for="area" { "住民が選んだ自治体" }
                select id="area" name="area" {
                    option value="" { "選んでいない" }
                    @for name in engine.knowledge().places.names() { option value=(name) selected[Some(name.as_str()) == area] { (name) } }
                }
            }
            p { button type="submit" id="try" { "答えを見る" } }
        }
        @if !t.q.trim().is_empty() {
            (answer_and_explanation(&engine, &web, t.q.trim(), area, &engine.decide(t.q.trim(), area)))
        }
    };
    layout::page("答えを試す", "/staff/test", &session, body)
}

/// What a resident asking `question` gets, and why.
/// The reply a resident would get to `question`, and the explanation of `decision` (the
/// engine's decision on it, which the caller may have read already).
fn answer_and_explanation(
    engine: &Engine,
    web: &Web,
    question: &str,
    area: Option<&str>,
    decision: &Decision,
) -> Markup {
    let state = ChatState { area: area.map(str::to_string), ..ChatState::default() };
    let (_, replies, _) = respond_in(&state, Input::Text(question.to_string()), engine, Records::NotKept);
    let request = explain::Request {
        area,
        want: None,
        index_dir: &web.config.index_dir,
        want_usage: "madoguchi explain --want 正しい項目の id 質問 と実行すると",
    };
    html! {
        h2 { "住民に届く答え" }
        div class="resident" id="resident-reply" { (page::replies(&replies, engine.dialogs())) }
        h2 { "答えの理由(くわしい説明)" }
        pre class="explain" id="explain" { (explain::render(decision, engine, &request)) }
    }
}

pub async fn inbox(State(web): State<Arc<Web>>, StaffSession(session): StaffSession) -> Markup {
    let engine = web.engine.current();
    let masks = &engine.dialogs().texts.staff.masks;
    let items = staff::unanswered(&web.store, Some(engine.knowledge()), masks);
    let entries = &engine.knowledge().entries;
    let body = html! {
        @match &items {
            Err(e) => { (layout::notice(Notice::Problem, &format!("記録を読めません: {e}"))) }
            Ok(items) if items.is_empty() => { p { "見直しの必要な質問はありません。" } }
            Ok(items) => {
                p { (items.len()) " 件。名前や電話番号などは伏せてあります。" }
                @if items.len() > INBOX_PAGE { p { "新しい " (INBOX_PAGE) " 件を表示しています。" } }
                ol class="inbox" {
                    @for item in items.iter().take(INBOX_PAGE) {
                        li {
                            p class="meta" {
                                (staff::stats::jst(item.time).format("%Y-%m-%d %H:%M"))
                                " ・ " (item.area.as_deref().unwrap_or("自治体なし"))
                                " ・ " @if item.marked_wrong { "住民が「違った」と答えた" } @else { "自信のない答え" }
                            }
                            blockquote { (item.question) }
                            @if let Some(title) = &item.entry_title {
                                p { @if item.marked_wrong { "出した答え: " } @else { "いちばん近かった項目: " } (title) }
                            }
                            @let field = format!("q-{}", item.reference);
                            @let select = format!("e-{}", item.reference);
                            form method="post" action="/staff/inbox/assign" class="assign" {
                                (layout::csrf_field(&session))
                                input type="hidden" name="reference" value=(item.reference);
                                input type="hidden" name="area" value=(item.area.as_deref().unwrap_or(""));
                                p {
                                    label for=(field) { "例として加える文(直してかまいません)" }
                                    textarea id=(field) name="question" rows="2" { (item.question) }
                                }
                                p {
                                    label for=(select) { "この質問の答えになる項目" }
                                    select id=(select) name="entry" {
                                        @for e in entries {
                                            option value=(e.id) selected[item.entry.as_deref() == Some(e.id.as_str()) && !item.marked_wrong] {
                                                (e.title) "(" (e.municipality) ")"
                                            }
                                        }
                                    }
                                }
                                p { button type="submit" class="assign" { "この項目の質問の例に加える" } }
                            }
                            form method="post" action="/staff/inbox/handled" class="handled" {
                                (layout::csrf_field(&session))
                                input type="hidden" name="reference" value=(item.reference);
                                button type="submit" class="quiet" { "何もせず対応済みにする" }
                            }
                        }
                    }
                }
            }
        }
    };
    layout::page("見直し", "/staff/inbox", &session, body)
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    entry: String,
    #[serde(default)]
    question: String,
    #[serde(default)]
    area: String,
}

pub async fn assign(
    State(web): State<Arc<Web>>,
    StaffSession(session): StaffSession,
    headers: HeaderMap,
    Form(form): Form<AssignForm>,
) -> Response {
    if !csrf_ok(&session, &form.csrf, &headers) {
        return forbidden();
    }
    let Ok(reference) = form.reference.parse::<RecordRef>() else { return forbidden() };
    let engine = web.engine.current();
    let question = form.question.replace("\r\n", " ").replace('\n', " ").trim().to_string();
    let problem = |text: &str| {
        let body = html! { (layout::notice(Notice::Problem, text)) p { a href="/staff/inbox" { "見直しに戻る" } } };
        layout::page("見直し", "/staff/inbox", &session, body).into_response()
    };
    if question.is_empty() {
        return problem("加える文が空です。何も変えていません。");
    }
    let Some(entry) = engine.entry_by_id(&form.entry) else {
        return problem(&format!("「{}」という項目はありません。何も変えていません。", form.entry));
    };
    let (id, title) = (entry.id.clone(), entry.title.clone());
    // Added to the entry as it is on disk when the save runs, not as this page's engine has it.
    let save = FormSave::AddQuestion { id: id.clone(), question: question.clone() };
    let saver = web.clone();
    let who = session.name.clone();
    let saved = tokio::task::spawn_blocking(move || saver.save_and_reload(save, &who)).await;
    let notice = match saved {
        Ok(Ok(Saved::Written { reloaded: true })) => (Notice::Done, format!("「{title}」の質問の例に加えました。")),
        Ok(Ok(Saved::Written { reloaded: false })) => (
            Notice::Problem,
            format!("「{title}」に加えましたが、答えの読み込み直しに失敗しました。管理者に連絡してください。"),
        ),
        Ok(Ok(Saved::Unchanged)) => (Notice::Done, format!("この文はもう「{title}」の質問の例にあります。")),
        Ok(Ok(Saved::Refused { cells, others })) => {
            let why: Vec<String> = cells.iter().map(|c| c.message.clone()).chain(others).collect();
            return problem(&format!("加えられませんでした(何も変えていません): {}", why.join(" / ")));
        }
        Ok(Err(e)) => return problem(&format!("加えられませんでした(何も変えていません): {e:#}")),
        Err(_) => return problem("加える途中で問題が起きました。何も変えていません。"),
    };
    if let Err(e) = web.store.mark_reviewed(reference, chrono::Utc::now()) {
        tracing::error!("cannot mark the question handled: {e}");
    }
    let engine = web.engine.current();
    let area = Some(form.area.as_str()).filter(|a| !a.is_empty());
    let decision = engine.decide(&question, area);
    let now_answers =
        decision.kind == Kind::Answer && decision.candidates.first().is_some_and(|c| engine.entry(c.entry).id == id);
    let body = html! {
        (layout::notice(notice.0, &notice.1))
        @if now_answers {
            p class="notice done" { "この質問には、いま「" (title) "」が答えます。" }
        } @else {
            p class="notice problem" {
                "この質問には、まだ「" (title) "」がいちばんの答えになりません。下の説明を見て、項目の言葉(キーワードや別の呼び方)を見直してください。"
            }
        }
        (answer_and_explanation(&engine, &web, &question, area, &decision))
        p { a href=(entry_link(&id)) { "この項目を開く" } " ・ " a href="/staff/inbox" { "見直しに戻る" } }
    };
    layout::page("見直し", "/staff/inbox", &session, body).into_response()
}

#[derive(Deserialize)]
pub struct HandledForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reference: String,
}

pub async fn handled(
    State(web): State<Arc<Web>>,
    StaffSession(session): StaffSession,
    headers: HeaderMap,
    Form(form): Form<HandledForm>,
) -> Response {
    if !csrf_ok(&session, &form.csrf, &headers) {
        return forbidden();
    }
    let Ok(reference) = form.reference.parse::<RecordRef>() else { return forbidden() };
    if let Err(e) = web.store.mark_reviewed(reference, chrono::Utc::now()) {
        tracing::error!("cannot mark the question handled: {e}");
        let body = layout::notice(
            Notice::Problem,
            "対応済みにできませんでした(記録の保存に失敗しました)。しばらくしてから、もう一度お試しください。",
        );
        return layout::page("見直し", "/staff/inbox", &session, body).into_response();
    }
    Redirect::to("/staff/inbox").into_response()
}
