//! The entries: a list with search, municipality and category filters and freshness; one form
//! per entry (and one for a new entry), saved through [`save_entry`], the path `madoguchi
//! import --csv` takes: every rule of `index check` applies before anything is written, the
//! problems are shown beside their fields, a changed file keeps the staff's `#` notes and
//! layout, the live engine reloads, and the change goes into the history (who, when, fields).

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{self, Notice};
use super::{csrf_ok, forbidden, Session, StaffSession};
use crate::app;
use crate::channels::web::Web;
use crate::content::csv::{entry_cells, CellProblem, COLUMNS};
use crate::content::knowledge::Entry;
use crate::serving::live::Outcome;
use crate::serving::store::StaffChange;
use crate::staff::csv_import::{fingerprint, save_entry, FormSave, ImportReport, FORM_ROW};

/// How a field is typed in the form.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Line,
    Text,
    /// One item per line.
    List,
    Municipality,
    Date,
}

/// Every field of an entry, in the template's order: (TOML key, label, kind, hint).
const FIELDS: [(&str, &str, Kind, &str); 19] = [
    (
        "id",
        "id",
        Kind::Line,
        "「フォルダ名/ファイル名」。ファイル名は半角の小文字ローマ字・数字・ハイフン(-)・下線(_)(例: setagaya/kosodate-hiroba)",
    ),
    ("title", "正式な名前", Kind::Line, "出典に書かれているとおりに"),
    ("municipality", "自治体", Kind::Municipality, ""),
    ("categories", "分類", Kind::List, "1行に1つ。使える分類は下の一覧のとおり"),
    ("summary", "どんなサービスか", Kind::Text, "住民に見せる短い説明"),
    ("for_whom", "対象", Kind::Text, "だれが使えるか"),
    ("provider", "運営", Kind::Line, "運営する団体や課(出典にあれば)"),
    ("details", "くわしい内容", Kind::Text, ""),
    ("aliases", "別の呼び方", Kind::List, "1行に1つ"),
    ("keywords", "キーワード", Kind::List, "1行に1つ"),
    ("questions", "質問の例", Kind::List, "1行に1つ。住民が書きそうな、実際の困りごとの言い方で"),
    ("hours", "受付時間", Kind::Line, "出典にあるときだけ"),
    ("phone", "電話", Kind::Line, "出典にあるときだけ。市外局番から"),
    ("fax", "FAX", Kind::Line, "出典にあるときだけ"),
    ("email", "メール", Kind::Line, "出典にあるときだけ"),
    ("address", "住所", Kind::Line, "出典にあるときだけ"),
    ("url", "ホームページ", Kind::Line, "出典にあるときだけ"),
    ("source", "出典", Kind::Line, "この内容を確かめた資料やページ"),
    ("verified", "確認日", Kind::Date, "出典で内容を確かめた日(例: 2026-12-05)"),
];

/// How many changes the history under a form shows.
const HISTORY: usize = 30;

#[derive(Deserialize, Default)]
pub struct Filters {
    #[serde(default)]
    q: String,
    #[serde(default)]
    area: String,
    #[serde(default)]
    category: String,
}

pub async fn list(
    State(web): State<Arc<Web>>,
    StaffSession(session): StaffSession,
    Query(f): Query<Filters>,
) -> Markup {
    let engine = web.engine.current();
    let knowledge = engine.knowledge();
    let today = app::today();
    let max_age = web.config.freshness.max_age_months;
    let q = f.q.trim();
    let shown: Vec<&Entry> = knowledge
        .entries
        .iter()
        .filter(|e| f.area.is_empty() || e.municipality == f.area)
        .filter(|e| f.category.is_empty() || e.categories.contains(&f.category))
        .filter(|e| q.is_empty() || entry_cells(e).iter().any(|cell| cell.contains(q)))
        .collect();
    let stale = shown.iter().filter(|e| e.is_stale(today, max_age)).count();
    let categories = engine.dialogs().menu.labels();
    let body = html! {
        form method="get" action="/staff" class="filters" role="search" {
            p {
                label for="q" { "さがす" }
                input id="q" name="q" type="search" value=(f.q);
            }
            p {
                label for="area" { "自治体" }
                select id="area" name="area" {
                    option value="" { "すべて" }
                    @for name in knowledge.places.names() {
                        option value=(name) selected[name == f.area] { (name) }
                    }
                }
            }
            p {
                label for="category" { "分類" }
                select id="category" name="category" {
                    option value="" { "すべて" }
                    @for label in &categories {
                        option value=(label) selected[*label == f.category] { (label) }
                    }
                }
            }
            p { button type="submit" { "絞り込む" } }
        }
        p {
            (shown.len()) " 件"
            @if stale > 0 { "(うち " (stale) " 件は " (max_age) " か月より前の確認で、見直しが必要です)" }
            " ・ " a href="/staff/entry/new" { "新しい項目を作る" }
        }
        table class="entries" {
            thead { tr { th scope="col" { "名前" } th scope="col" { "自治体" } th scope="col" { "分類" } th scope="col" { "確認日" } } }
            tbody {
                @for e in &shown {
                    tr {
                        td { a href=(entry_link(&e.id)) { (e.title) } br; small { (e.id) } }
                        td { (e.municipality) }
                        td { (e.categories.join("、")) }
                        td {
                            (e.verified.format("%Y-%m-%d"))
                            @if e.is_stale(today, max_age) { " " span class="stale" { "要確認" } }
                        }
                    }
                }
            }
        }
    };
    layout::page("項目", "/staff", &session, body)
}

pub fn entry_link(id: &str) -> String {
    format!("/staff/entry?id={}", query_value(id))
}

/// `id` as a query value: ids are plain ASCII but for their `/`.
fn query_value(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[derive(Deserialize)]
pub struct Which {
    #[serde(default)]
    id: String,
    #[serde(default)]
    done: String,
}

pub async fn edit(
    State(web): State<Arc<Web>>,
    StaffSession(session): StaffSession,
    Query(which): Query<Which>,
) -> Response {
    let engine = web.engine.current();
    let Some(entry) = engine.entry_by_id(&which.id) else {
        let body = layout::notice(Notice::Problem, &format!("「{}」という項目はありません。", which.id));
        return layout::page("項目", "/staff", &session, body).into_response();
    };
    let notice = match which.done.as_str() {
        "saved" => Some((Notice::Done, "保存しました。住民への答えにも反映されています。")),
        "unchanged" => Some((Notice::Done, "変更はありませんでした。")),
        "stale" => Some((
            Notice::Problem,
            "保存しましたが、答えの読み込み直しに失敗したため、住民にはまだ前の内容が表示されています。管理者に連絡してください。",
        )),
        _ => None,
    };
    let values = entry_cells(entry).to_vec();
    let seen = fingerprint(&values);
    let history = web.store.changes(Some(&entry.id), HISTORY).unwrap_or_default();
    let body = html! {
        @if let Some((kind, text)) = notice { (layout::notice(kind, text)) }
        (entry_form(&web, &session, Mode::Edit, &seen, &values, &[], &[]))
        p { a href=(format!("/staff/test?q={}", query_value(entry.questions.first().map_or(entry.title.as_str(), String::as_str)))) { "この項目の質問の例で答えを試す" } }
        (history_table(&history))
    };
    layout::page(&entry.title, "/staff", &session, body).into_response()
}

pub async fn new(State(web): State<Arc<Web>>, StaffSession(session): StaffSession) -> Markup {
    let mut values = vec![String::new(); COLUMNS.len()];
    values[COLUMNS.len() - 1] = app::today().format("%Y-%m-%d").to_string();
    layout::page("新しい項目", "/staff", &session, entry_form(&web, &session, Mode::New, "", &values, &[], &[]))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Edit,
    New,
}

pub async fn save(
    State(web): State<Arc<Web>>,
    StaffSession(session): StaffSession,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    if !csrf_ok(&session, &field("csrf"), &headers) {
        return forbidden();
    }
    let mode = if field("mode") == "new" { Mode::New } else { Mode::Edit };
    // Carried through a refused save, so that a second try is still checked against the entry
    // as it was first opened.
    let seen = field("seen");
    // Browsers send line breaks in a textarea as CRLF: the files hold LF.
    let values: Vec<String> = COLUMNS.iter().map(|c| field(c).replace("\r\n", "\n")).collect();
    let id = values[0].trim().to_string();
    let engine = web.engine.current();
    let title = if mode == Mode::New {
        "新しい項目"
    } else {
        engine.entry_by_id(&id).map_or("項目", |e| e.title.as_str())
    };
    let refuse = |cells: Vec<CellProblem>, others: Vec<String>| {
        let body = html! {
            (layout::notice(Notice::Problem, "保存していません。赤く示したところを直して、もう一度保存してください。"))
            (entry_form(&web, &session, mode, &seen, &values, &cells, &others))
        };
        layout::page(title, "/staff", &session, body).into_response()
    };
    match mode {
        Mode::New if engine.entry_by_id(&id).is_some() => {
            let problem = CellProblem::error(Some(FORM_ROW), Some("id"), format!("id「{id}」の項目はもうあります"))
                .hint("別の id にするか、その項目を一覧から開いて編集してください");
            return refuse(vec![problem], Vec::new());
        }
        Mode::Edit if engine.entry_by_id(&id).is_none() => {
            return refuse(Vec::new(), vec![format!("「{id}」という項目はありません")])
        }
        _ => {}
    }
    let cells: [String; 19] = match values.clone().try_into() {
        Ok(cells) => cells,
        Err(_) => return forbidden(),
    };
    let save = match mode {
        Mode::New => FormSave::New { cells },
        Mode::Edit => FormSave::Edit { cells, seen: seen.clone() },
    };
    let saver = web.clone();
    let who = session.name.clone();
    let outcome = tokio::task::spawn_blocking(move || saver.save_and_reload(save, &who)).await;
    match outcome {
        Ok(Ok(Saved::Written { reloaded })) => {
            let done = if reloaded { "saved" } else { "stale" };
            Redirect::to(&format!("{}&done={done}", entry_link(&id))).into_response()
        }
        Ok(Ok(Saved::Unchanged)) => Redirect::to(&format!("{}&done=unchanged", entry_link(&id))).into_response(),
        Ok(Ok(Saved::Refused { cells, others })) => refuse(cells, others),
        Ok(Err(e)) => refuse(Vec::new(), vec![format!("{e:#}")]),
        Err(_) => refuse(Vec::new(), vec!["保存の途中で問題が起きました。index/ は変えていません。".into()]),
    }
}

/// What saving one entry did.
pub enum Saved {
    Written {
        reloaded: bool,
    },
    Unchanged,
    /// Problems of the form's fields, and others (files beside it).
    Refused {
        cells: Vec<CellProblem>,
        others: Vec<String>,
    },
}

impl Web {
    /// Checks and writes one entry (cells in [`COLUMNS`] order), records who changed what, and
    /// reloads the live engine. One save at a time: two staff saving at once are served in turn.
    pub fn save_and_reload(&self, save: FormSave, who: &str) -> anyhow::Result<Saved> {
        let _one_at_a_time = self.edits.lock().unwrap_or_else(|e| e.into_inner());
        let report = save_entry(&self.config, save, false, app::today())?;
        if report.error_count() > 0 {
            // A problem of another row (a title this one now shares, say) is told in words:
            // the form has no field to mark for it.
            let (cells, elsewhere): (Vec<CellProblem>, Vec<CellProblem>) =
                report.cells.into_iter().partition(|p| p.row.is_none_or(|r| r == FORM_ROW));
            let others = elsewhere
                .iter()
                .filter(|p| p.is_error())
                .map(ToString::to_string)
                .chain(report.files.iter().filter(|p| p.is_error()).map(ToString::to_string))
                .collect();
            return Ok(Saved::Refused { cells, others });
        }
        if !report.written {
            return Ok(Saved::Unchanged);
        }
        let reloaded = self.record_and_reload(&report, who);
        Ok(Saved::Written { reloaded })
    }
}

impl Web {
    /// After `index/` was written: the history (who, which entries, which fields) and the
    /// live engine reloaded. Whether the new answers serve now.
    pub fn record_and_reload(&self, report: &ImportReport, who: &str) -> bool {
        let changes = report.added.iter().map(|c| (c, true)).chain(report.changed.iter().map(|c| (c, false)));
        for (change, added) in changes {
            let record = StaffChange {
                time: chrono::Utc::now(),
                who: who.to_string(),
                entry: change.id.clone(),
                title: change.title.clone(),
                added,
                fields: change.columns.iter().map(|c| c.to_string()).collect(),
            };
            tracing::info!(who, entry = %change.id, added, fields = ?record.fields, "entry saved from the staff console");
            if let Err(e) = self.store.record_change(&record) {
                tracing::error!("cannot record the change in the history: {e}");
            }
        }
        for removed in &report.removed {
            tracing::info!(who, entry = %removed.id, "entry removed from the staff console");
            let record = StaffChange {
                time: chrono::Utc::now(),
                who: who.to_string(),
                entry: removed.id.clone(),
                title: removed.title.clone(),
                added: false,
                fields: vec!["(削除)".to_string()],
            };
            if let Err(e) = self.store.record_change(&record) {
                tracing::error!("cannot record the change in the history: {e}");
            }
        }
        let reload = self.engine.reload();
        match &reload.outcome {
            Outcome::Swapped { .. } => true,
            other => {
                tracing::error!(?other, "index/ was written but the engine did not reload");
                false
            }
        }
    }
}

/// The form of one entry: every field with its label and hint, and its problems beside it.
fn entry_form(
    web: &Web,
    session: &Session,
    mode: Mode,
    seen: &str,
    values: &[String],
    cells: &[CellProblem],
    others: &[String],
) -> Markup {
    let engine = web.engine.current();
    let municipalities = engine.knowledge().places.names();
    let categories = engine.dialogs().menu.labels();
    html! {
        @if !others.is_empty() {
            ul class="problems" role="alert" { @for o in others { li { (o) } } }
        }
        form method="post" action="/staff/entry" class="entry" novalidate {
            (layout::csrf_field(session))
            input type="hidden" name="mode" value=(if mode == Mode::New { "new" } else { "edit" });
            input type="hidden" name="seen" value=(seen);
            @for (i, (key, label, kind, hint)) in FIELDS.iter().enumerate() {
                @let value = values.get(i).map_or("", String::as_str);
                @let problems: Vec<&CellProblem> = cells.iter().filter(|p| p.column.as_deref() == Some(*key)).collect();
                @let described = format!("{key}-hint");
                div class=(if problems.iter().any(|p| p.is_error()) { "field invalid" } else { "field" }) {
                    label for=(key) { (label) }
                    @match kind {
                        Kind::Line if *key == "id" && mode == Mode::Edit => {
                            input id=(key) name=(key) type="text" value=(value) readonly aria-describedby=(described);
                        }
                        Kind::Line | Kind::Date => {
                            input id=(key) name=(key) type="text" value=(value) aria-describedby=(described)
                                aria-invalid=(if problems.is_empty() { "false" } else { "true" });
                        }
                        Kind::Text | Kind::List => {
                            textarea id=(key) name=(key) rows=(if *kind == Kind::List { 4 } else { 3 }) aria-describedby=(described)
                                aria-invalid=(if problems.is_empty() { "false" } else { "true" }) { (value) }
                        }
                        Kind::Municipality => {
                            select id=(key) name=(key) aria-describedby=(described) {
                                @if !municipalities.iter().any(|m| m == value) { option value=(value) selected { (value) } }
                                @for m in &municipalities { option value=(m) selected[m == value] { (m) } }
                            }
                        }
                    }
                    p id=(described) class="hint" {
                        (hint)
                        @if *key == "categories" { " — " (categories.join("、")) }
                    }
                    @for p in &problems {
                        p class=(if p.is_error() { "error" } else { "warning" }) {
                            (p.message)
                            @if let Some(h) = &p.hint { " — " (h) }
                        }
                    }
                }
            }
            @let unplaced: Vec<&CellProblem> = cells.iter().filter(|p| p.column.as_deref().is_none_or(|c| !COLUMNS.contains(&c))).collect();
            @if !unplaced.is_empty() {
                ul class="problems" { @for p in unplaced { li { (p.message) @if let Some(h) = &p.hint { " — " (h) } } } }
            }
            p { button type="submit" id="save" { "保存する" } }
        }
    }
}

fn history_table(history: &[StaffChange]) -> Markup {
    html! {
        h2 { "変更の記録" }
        @if history.is_empty() {
            p { "この画面からの変更はまだありません。" }
        } @else {
            table class="history" {
                thead { tr { th scope="col" { "日時" } th scope="col" { "だれが" } th scope="col" { "変えたところ" } } }
                tbody {
                    @for c in history {
                        tr {
                            td { (crate::staff::stats::jst(c.time).format("%Y-%m-%d %H:%M")) }
                            td { (c.who) }
                            td {
                                @if c.added { "新しく作成" } @else if c.fields.iter().any(|f| f == "(削除)") { "削除" } @else {
                                    (c.fields.iter().map(|f| label_of(f)).collect::<Vec<_>>().join("、"))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The form's label of a field, for the history.
fn label_of(key: &str) -> &str {
    FIELDS.iter().find(|(k, ..)| *k == key).map_or(key, |(_, label, ..)| label)
}
