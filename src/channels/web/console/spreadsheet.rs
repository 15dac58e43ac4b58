//! The CSV round trip in the browser: download `index/` as a spreadsheet, upload an edited one.
//! An upload is checked as `madoguchi import --csv` checks it (the same function): a dry run
//! first by default, nothing written while any row has an error, entries missing from the CSV
//! removed only when staff tick that box.

use std::sync::Arc;

use axum::extract::{Multipart, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};

use super::layout::{self, Notice};
use super::{csrf_ok, forbidden, Session, StaffSession};
use crate::app;
use crate::channels::web::Web;
use crate::content::csv;
use crate::staff::csv_import::{import_bytes, ImportOptions, ImportReport};

/// The largest CSV the console takes (index/ as CSV is about 150 kB today).
pub const MAX_UPLOAD_BYTES: usize = 5 * 1024 * 1024;

pub async fn page(StaffSession(session): StaffSession) -> Markup {
    layout::page("CSV", "/staff/csv", &session, form(&session))
}

fn form(session: &Session) -> Markup {
    html! {
        section {
            h2 { "書き出す" }
            p { a href="/staff/csv/export" download="madoguchi-index.csv" id="export" { "すべての項目を CSV で保存する" }
                "(Excel で開けます。1つの項目が1行です)" }
        }
        section {
            h2 { "読み込む" }
            p { "編集した CSV を読み込みます。まず「確認だけ」で何が変わるかを見てから、読み込んでください。エラーが1つでもあれば、何も変えません。" }
            form method="post" action="/staff/csv/import" enctype="multipart/form-data" {
                (layout::csrf_field(session))
                p { label for="file" { "CSV ファイル(CSV UTF-8)" } input id="file" name="file" type="file" accept=".csv,text/csv" required; }
                p { input id="dry_run" name="dry_run" type="checkbox" value="1" checked; label for="dry_run" class="inline" { "確認だけ(書き込まない)" } }
                p { input id="allow_remove" name="allow_remove" type="checkbox" value="1"; label for="allow_remove" class="inline" { "CSV にない項目を削除する" } }
                p { button type="submit" id="import" { "読み込む" } }
            }
        }
    }
}

pub async fn export(State(web): State<Arc<Web>>, StaffSession(_session): StaffSession) -> Response {
    let engine = web.engine.current();
    let text = csv::export(&engine.knowledge().entries);
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"madoguchi-index.csv\""),
            (header::CACHE_CONTROL, "no-store"),
        ],
        text,
    )
        .into_response()
}

pub async fn import(
    State(web): State<Arc<Web>>,
    StaffSession(session): StaffSession,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Response {
    let (mut csrf, mut bytes, mut options) = (String::new(), None, ImportOptions::default());
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                match name.as_str() {
                    "csrf" => csrf = field.text().await.unwrap_or_default(),
                    "dry_run" => options.dry_run = true,
                    "allow_remove" => options.allow_remove = true,
                    "file" => match field.bytes().await {
                        Ok(b) => bytes = Some(b),
                        Err(_) => return too_large(&session),
                    },
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(_) => return too_large(&session),
        }
    }
    if !csrf_ok(&session, &csrf, &headers) {
        return forbidden();
    }
    let Some(bytes) = bytes.filter(|b| !b.is_empty()) else {
        let body = html! { (layout::notice(Notice::Problem, "ファイルが選ばれていないか、空です。")) (form(&session)) };
        return layout::page("CSV", "/staff/csv", &session, body).into_response();
    };
    let worker = web.clone();
    let who = session.name.clone();
    let result = tokio::task::spawn_blocking(move || {
        let _one_at_a_time = worker.edits.lock().unwrap_or_else(|e| e.into_inner());
        let report = import_bytes(&worker.config, &bytes, options, app::today())?;
        let reloaded = report.written.then(|| worker.record_and_reload(&report, &who));
        anyhow::Ok((report, reloaded))
    })
    .await;
    let body = match result {
        Ok(Ok((report, reloaded))) => report_markup(&report, reloaded),
        Ok(Err(e)) => layout::notice(Notice::Problem, &format!("読み込めませんでした(何も変えていません): {e:#}")),
        Err(_) => layout::notice(Notice::Problem, "読み込みの途中で問題が起きました。何も変えていません。"),
    };
    layout::page("CSV", "/staff/csv", &session, html! { (body) (form(&session)) }).into_response()
}

fn too_large(session: &Session) -> Response {
    let text = format!(
        "ファイルが大きすぎるか、途中で切れました({} MB まで)。何も変えていません。",
        MAX_UPLOAD_BYTES / 1024 / 1024
    );
    (StatusCode::PAYLOAD_TOO_LARGE, layout::page("CSV", "/staff/csv", session, layout::notice(Notice::Problem, &text)))
        .into_response()
}

/// The import's report as `madoguchi import --csv` prints it, one line each.
fn report_markup(report: &ImportReport, reloaded: Option<bool>) -> Markup {
    let kind = if report.error_count() > 0 { Notice::Problem } else { Notice::Done };
    let text = report.to_string();
    html! {
        (layout::notice(kind, text.lines().last().unwrap_or_default()))
        @if reloaded == Some(false) {
            (layout::notice(Notice::Problem, "書き込みましたが、答えの読み込み直しに失敗しました。管理者に連絡してください。"))
        }
        ul class="report" id="report" { @for line in text.lines() { li { (line) } } }
    }
}
