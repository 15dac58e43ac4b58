//! `madoguchi export --csv` and `madoguchi import --csv`: `index/` to and from a spreadsheet.
//!
//! The CSV format itself is [`crate::content::csv`] (pure). This module does the file work:
//!
//! Import never writes before everything is known to be good:
//! 1. the CSV is read ([`csv::read`]); a problem with the file as such stops here;
//! 2. every row becomes an entry file in a staging copy of `index/` (places.toml and wording.toml
//!    copied, entry folders holding only the rows), and [`app::check`] — the loader `index check`
//!    and serving use — checks that copy, so rows meet every rule files meet, including the rules
//!    across entries (duplicate titles, general windows, crisis windows);
//! 3. each problem is mapped back to its row and column;
//! 4. rows are compared with the current files as parsed [`Entry`] values: only entries whose
//!    content changed are rewritten, so export → import changes no byte; a rewritten file keeps
//!    its `#` notes and layout, only the changed values are replaced
//!    ([`csv::updated_entry_toml`]);
//! 5. entries missing from the CSV are removed only with `allow_remove`, else reported as errors;
//! 6. when there is no error, new files are written next to their targets and renamed over them.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use chrono::NaiveDate;

use crate::app;
use crate::config::Config;
use crate::content::csv::{self, CellProblem, Row, Toml};
use crate::content::knowledge::entry::EntryRules;
use crate::content::knowledge::{Entry, Places, PLACES_FILE};
use crate::content::Problem;

/// Writes every entry of `index/` to `file`. Refuses when `index/` has errors (fix them first:
/// the CSV would not import back).
pub fn export(config: &Config, file: &Path, today: NaiveDate) -> anyhow::Result<usize> {
    let checked = app::check(config, today);
    let Some(knowledge) = checked.knowledge else {
        bail!(
            "index/ または dialogs/ にエラーが {} 件あります。madoguchi index check で直してから書き出してください",
            checked.error_count()
        );
    };
    std::fs::write(file, csv::export(&knowledge.entries))
        .with_context(|| format!("{} に書き込めません", file.display()))?;
    Ok(knowledge.entries.len())
}

/// What to do with entries the CSV does not have, and whether to write at all.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    pub allow_remove: bool,
    /// Check and report, write nothing.
    pub dry_run: bool,
}

/// One entry that an import adds, changes or removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub id: String,
    pub title: String,
    /// The CSV row (none for a removal).
    pub row: Option<usize>,
    /// The columns that differ (changes only).
    pub columns: Vec<&'static str>,
}

#[derive(Debug, Default)]
pub struct ImportReport {
    /// Problems of rows, in row order.
    pub cells: Vec<CellProblem>,
    /// Problems outside the rows (places.toml, dialogs/), as `index check` prints them.
    pub files: Vec<Problem>,
    pub added: Vec<Change>,
    pub changed: Vec<Change>,
    pub removed: Vec<Change>,
    pub rows: usize,
    /// Whether `index/` was written.
    pub written: bool,
}

impl ImportReport {
    pub fn error_count(&self) -> usize {
        self.cells.iter().filter(|p| p.is_error()).count() + self.files.iter().filter(|p| p.is_error()).count()
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in &self.cells {
            writeln!(f, "{problem}")?;
        }
        for problem in &self.files {
            writeln!(f, "{problem}")?;
        }
        let row = |c: &Change| c.row.map(|r| format!("{r} 行目 ")).unwrap_or_default();
        for c in &self.added {
            writeln!(f, "追加: {}{} 「{}」", row(c), c.id, c.title)?;
        }
        for c in &self.changed {
            writeln!(f, "変更: {}{} 「{}」 (変わった列: {})", row(c), c.id, c.title, c.columns.join(", "))?;
        }
        for c in &self.removed {
            writeln!(f, "削除: {} 「{}」", c.id, c.title)?;
        }
        let errors = self.error_count();
        let warnings = self.cells.len() + self.files.len() - errors;
        writeln!(
            f,
            "{} 行を確認しました: エラー {errors} 件、注意 {warnings} 件 / 追加 {} 件、変更 {} 件、削除 {} 件",
            self.rows,
            self.added.len(),
            self.changed.len(),
            self.removed.len()
        )?;
        if errors > 0 {
            write!(f, "エラーがあるため、index/ は何も変えていません。CSV を直して、もう一度読み込んでください。")
        } else if self.written {
            write!(f, "index/ に書き込みました。職員用の画面の「答えを試す」(コマンドでは madoguchi ask)で答えを確かめてください。")
        } else if self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty() {
            write!(f, "変更はありません。index/ は何も変えていません。")
        } else {
            write!(f, "確認だけのため(画面の「確認だけ」、コマンドの --dry-run)、index/ は何も変えていません。")
        }
    }
}

/// Checks `file` against every rule of `index check` and, when all rows are good, writes the
/// entries that changed. `Err` only for trouble outside the CSV (unreadable files, disk errors).
pub fn import(config: &Config, file: &Path, options: ImportOptions, today: NaiveDate) -> anyhow::Result<ImportReport> {
    let bytes = std::fs::read(file).with_context(|| format!("{} を読めません", file.display()))?;
    import_bytes(config, &bytes, options, today)
}

/// [`import`] of a CSV already read (an upload on the staff console).
pub fn import_bytes(
    config: &Config,
    bytes: &[u8],
    options: ImportOptions,
    today: NaiveDate,
) -> anyhow::Result<ImportReport> {
    let (rows, csv_problems) = csv::read(bytes);
    let mut report = ImportReport { rows: rows.len(), cells: csv_problems, ..ImportReport::default() };
    if report.error_count() > 0 {
        return Ok(report);
    }

    let places = read_places(&config.index_dir)?;
    let folders: HashMap<&str, &str> =
        places.municipalities.iter().map(|m| (m.folder.as_str(), m.name.as_str())).collect();

    // Which file each row becomes.
    let mut targets: Vec<(&Row, String, String)> = Vec::new();
    let mut first_row: HashMap<String, usize> = HashMap::new();
    for row in &rows {
        match file_of(row.id(), &folders) {
            Ok((folder, stem)) => {
                if let Some(first) = first_row.insert(row.id().to_string(), row.number) {
                    report.cells.push(
                        CellProblem::error(
                            Some(row.number),
                            Some("id"),
                            format!("id「{}」は {first} 行目にもあります", row.id()),
                        )
                        .hint("1つの項目は1行にしてください。別の項目なら id を変えてください"),
                    );
                } else {
                    targets.push((row, folder, stem));
                }
            }
            Err(problem) => report.cells.push(CellProblem { row: Some(row.number), ..problem }),
        }
    }

    // Check every row as a file, in a staging copy of index/, with the loader itself.
    let staging = Staging::new(&config.index_dir)?;
    let mut tomls: HashMap<PathBuf, (&Row, Toml)> = HashMap::new();
    for (row, folder, stem) in &targets {
        let toml = row.to_toml();
        let path = staging.dir.join(folder).join(format!("{stem}.toml"));
        std::fs::write(&path, &toml.text).with_context(|| {
            format!("確認用のコピー {} を書けません(index/ は変えていません) / cannot stage it", path.display())
        })?;
        tomls.insert(path, (*row, toml));
    }
    let mut staged = config.clone();
    staged.index_dir = staging.dir.clone();
    let checked = app::check(&staged, today);
    // Messages that name another file ("… は <file> にもあります") name the real one.
    let (staged_text, real_text) = (staging.dir.display().to_string(), config.index_dir.display().to_string());
    let unstaged = |message: &str| message.replace(&staged_text, &real_text);
    let mut warnings_by_row: BTreeMap<usize, Vec<CellProblem>> = BTreeMap::new();
    for problem in &checked.problems {
        match tomls.get(&problem.file) {
            Some((row, toml)) => {
                let cell = CellProblem {
                    severity: problem.severity,
                    row: Some(row.number),
                    column: toml.column_at(problem.line).map(str::to_string),
                    message: unstaged(&problem.message),
                    hint: problem.hint.clone(),
                };
                if cell.is_error() {
                    report.cells.push(cell);
                } else {
                    warnings_by_row.entry(row.number).or_default().push(cell);
                }
            }
            None => {
                let mut problem = problem.clone();
                if let Ok(rest) = problem.file.strip_prefix(&staging.dir) {
                    problem.file = config.index_dir.join(rest);
                }
                problem.message = unstaged(&problem.message);
                report.files.push(problem);
            }
        }
    }

    // Compare with what is there now.
    let new_entries: HashMap<&str, &Entry> =
        checked.knowledge.iter().flat_map(|k| &k.entries).map(|e| (e.id.as_str(), e)).collect();
    let menu = checked.dialogs.as_ref().map(|d| d.menu.labels());
    let names = places.names();
    // The files as they are, only to compare: their problems are index check's to report.
    let placeholders = crate::content::knowledge::entry::Placeholders::default();
    let rules = EntryRules {
        municipalities: &names,
        categories: menu.as_deref(),
        today,
        max_age_months: config.freshness.max_age_months,
        placeholders: &placeholders,
    };
    let current = current_entries(&config.index_dir, &places, &rules)?;
    let mut writes: Vec<(PathBuf, String)> = Vec::new();
    for (row, folder, stem) in &targets {
        let Some(new) = new_entries.get(row.id()) else { continue };
        let path = config.index_dir.join(folder).join(format!("{stem}.toml"));
        let change = |columns| Change { id: new.id.clone(), title: new.title.clone(), row: Some(row.number), columns };
        match current.get(row.id()) {
            None => report.added.push(change(Vec::new())),
            Some(Current { entry: Some(old), clean: true, .. }) if old == *new => continue,
            Some(Current { entry: Some(old), .. }) => {
                let mut columns = csv::differing_columns(old, new);
                if columns.is_empty() {
                    // Same content, but the file itself had an error (e.g. `phone = ""`).
                    columns.push("(ファイルの書き方)");
                }
                report.changed.push(change(columns));
            }
            Some(Current { entry: None, .. }) => report.changed.push(change(vec!["(読めなかったファイル)"])),
        }
        warnings_by_row.remove(&row.number).into_iter().flatten().for_each(|w| report.cells.push(w));
        // A changed file keeps the staff's notes and layout; a new one is written in the template's.
        let text = match current.get(row.id()).and_then(|c| c.text.as_deref()) {
            Some(old_text) => csv::updated_entry_toml(old_text, new),
            None => csv::entry_toml(new),
        };
        writes.push((path, text));
    }
    for (id, current) in &current {
        if first_row.contains_key(id.as_str()) {
            continue;
        }
        let title = current.entry.as_ref().map(|e| e.title.clone()).unwrap_or_default();
        if !options.allow_remove {
            report.files.push(
                Problem::error(&current.path, None, format!("項目「{title}」({id})が CSV にありません"))
                    .hint("消すつもりなら「CSV にない項目を削除する」(コマンドでは --allow-remove)をつけて読み込み直してください。消さないなら、その行を CSV に戻してください"),
            );
        }
        report.removed.push(Change { id: id.clone(), title, row: None, columns: Vec::new() });
    }
    report.cells.sort_by_key(|p| p.row);
    if report.error_count() > 0 || options.dry_run {
        return Ok(report);
    }
    let removals: Vec<PathBuf> =
        report.removed.iter().filter_map(|c| current.get(&c.id)).map(|c| c.path.clone()).collect();
    write_all(&writes, &removals)?;
    report.written = !(writes.is_empty() && removals.is_empty());
    Ok(report)
}

/// What a save from the staff console does to one entry, decided against `index/` as it is on
/// disk when the save runs (under the console's one-save-at-a-time lock), never against what a
/// page showed earlier: a page can be old, and so can the live engine after a failed reload.
pub enum FormSave {
    /// The form's cells (in [`csv::COLUMNS`] order) for an entry that exists; `seen` is the
    /// [`fingerprint`] of the entry the form was opened on.
    Edit { cells: [String; 19], seen: String },
    /// The form's cells for an entry whose id no entry has.
    New { cells: [String; 19] },
    /// One more example question for entry `id`, added to its questions as they are now.
    AddQuestion { id: String, question: String },
}

/// One entry saved from the staff console: checked with every other entry as an import of the
/// whole of `index/` with that one row changed (or added), so a form meets exactly the rules a
/// CSV and a file meet. The edited row is row 2 of that CSV ([`FORM_ROW`]): its problems are the
/// form's, by column. An edit of an entry someone saved since the form was opened, a new entry
/// whose id was taken meanwhile, or an entry removed meanwhile is refused, nothing written.
pub fn save_entry(config: &Config, save: FormSave, dry_run: bool, today: NaiveDate) -> anyhow::Result<ImportReport> {
    let checked = app::check(config, today);
    let Some(knowledge) = checked.knowledge else {
        bail!(
            "index/ または dialogs/ にエラーが {} 件あります。先に index check のエラーを直してください",
            checked.error_count()
        );
    };
    let on_disk = |id: &str| knowledge.entries.iter().find(|e| e.id == id);
    let cells = match save {
        FormSave::New { cells } => {
            let id = cells[0].trim();
            if on_disk(id).is_some() {
                bail!("id「{id}」の項目はもうあります(ほかの人が先に作ったのかもしれません)。別の id にしてください");
            }
            cells
        }
        FormSave::Edit { cells, seen } => {
            let id = cells[0].trim();
            let Some(entry) = on_disk(id) else {
                bail!("「{id}」という項目はありません(ほかの人が削除したのかもしれません)。何も変えていません");
            };
            if fingerprint(&csv::entry_cells(entry)) != seen {
                bail!(
                    "この項目は、この画面を開いたあとに、ほかの人(または別の画面)が保存しています。上書きしないよう、何も変えていません。項目を開き直して、変更をもう一度入れてください"
                );
            }
            cells
        }
        FormSave::AddQuestion { id, question } => {
            let Some(entry) = on_disk(&id) else {
                bail!("「{id}」という項目はありません(ほかの人が削除したのかもしれません)。何も変えていません");
            };
            let mut cells = csv::entry_cells(entry);
            if !entry.questions.contains(&question) {
                let column = csv::COLUMNS.iter().position(|c| *c == "questions").expect("a questions column");
                let questions = &mut cells[column];
                if !questions.is_empty() {
                    questions.push('\n');
                }
                questions.push_str(&question);
            }
            cells
        }
    };
    let id = cells[0].trim().to_string();
    let others = knowledge.entries.iter().filter(|e| e.id != id).map(csv::entry_cells);
    let text = csv::export_cells(std::iter::once(cells).chain(others));
    import_bytes(config, text.as_bytes(), ImportOptions { allow_remove: false, dry_run }, today)
}

/// A short digest of an entry's cells: whether the entry is still the one a form was opened on.
pub fn fingerprint(cells: &[String]) -> String {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    for cell in cells {
        context.update(cell.as_bytes());
        context.update(&[0]);
    }
    context.finish().as_ref()[..12].iter().map(|b| format!("{b:02x}")).collect()
}

/// The spreadsheet row [`save_entry`] puts the form on.
pub const FORM_ROW: usize = 2;

/// An entry file as it is now.
struct Current {
    path: PathBuf,
    entry: Option<Entry>,
    /// Parsed without an error.
    clean: bool,
    /// The file's text, when it could be read.
    text: Option<String>,
}

fn read_places(index_dir: &Path) -> anyhow::Result<Places> {
    let path = index_dir.join(PLACES_FILE);
    let text = std::fs::read_to_string(&path).with_context(|| format!("{} を読めません", path.display()))?;
    let (places, problems) = Places::parse(&path, &text, crate::japanese::analyzer::normalize);
    if problems.iter().any(Problem::is_error) {
        bail!("{} にエラーがあります。madoguchi index check で直してから読み込んでください", path.display());
    }
    Ok(places)
}

/// The entry files of `index/` now, by id, parsed as the loader parses them.
fn current_entries(index_dir: &Path, places: &Places, rules: &EntryRules) -> anyhow::Result<BTreeMap<String, Current>> {
    let mut current = BTreeMap::new();
    for m in &places.municipalities {
        let folder = index_dir.join(&m.folder);
        let Ok(read) = std::fs::read_dir(&folder) else { continue };
        for path in read.filter_map(|e| e.ok().map(|e| e.path())) {
            if !(path.extension().is_some_and(|x| x == "toml") && path.is_file()) {
                continue;
            }
            let stem = path.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
            let id = format!("{}/{stem}", m.folder);
            let text = std::fs::read_to_string(&path).ok();
            let (entry, problems) = match &text {
                Some(text) => Entry::parse(&path, &id, text, rules),
                None => (None, Vec::new()),
            };
            let clean = entry.is_some() && !problems.iter().any(Problem::is_error);
            current.insert(id, Current { path, entry, clean, text });
        }
    }
    Ok(current)
}

/// `<folder>/<stem>` → the folder and file stem, when the folder is a municipality's and the
/// stem a plain file name (the path is built from it).
fn file_of(id: &str, folders: &HashMap<&str, &str>) -> Result<(String, String), CellProblem> {
    let bad = |message: String| {
        CellProblem::error(None, Some("id"), message)
            .hint("id は「フォルダ名/ファイル名」で、ファイル名は半角の小文字ローマ字・数字・ハイフン(-)・下線(_)です(例: setagaya/kosodate-hiroba)")
    };
    if id.is_empty() {
        return Err(bad("id が空です".into()));
    }
    let Some((folder, stem)) = id.split_once('/') else {
        return Err(bad(format!("id「{id}」に「/」がありません")));
    };
    if !folders.contains_key(folder) {
        let mut known: Vec<&str> = folders.keys().copied().collect();
        known.sort_unstable();
        return Err(bad(format!(
            "id「{id}」のフォルダ「{folder}」は index/places.toml にありません(使えるフォルダ: {})",
            known.join(" / ")
        )));
    }
    let plain = !stem.is_empty()
        && stem.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && !stem.starts_with('-');
    if !plain {
        return Err(bad(format!("id「{id}」のファイル名「{stem}」に使えない文字があります")));
    }
    Ok((folder.to_string(), stem.to_string()))
}

/// Writes every file next to its target first, then renames them over the targets, then
/// removes; a failed write leaves `index/` as it was.
fn write_all(writes: &[(PathBuf, String)], removals: &[PathBuf]) -> anyhow::Result<()> {
    let temp_of = |path: &Path| {
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        path.with_file_name(format!(".{name}.import-{}.tmp", std::process::id()))
    };
    let mut written = Vec::new();
    for (path, text) in writes {
        let temp = temp_of(path);
        if let Err(e) = std::fs::write(&temp, text) {
            for temp in &written {
                let _ = std::fs::remove_file(temp);
            }
            let _ = std::fs::remove_file(&temp);
            return Err(e).with_context(|| format!("{} に書き込めません(index/ は変えていません)", temp.display()));
        }
        written.push(temp);
    }
    for ((path, _), temp) in writes.iter().zip(&written) {
        std::fs::rename(temp, path).with_context(|| format!("{} を置き換えられません", path.display()))?;
    }
    for path in removals {
        std::fs::remove_file(path).with_context(|| format!("{} を削除できません", path.display()))?;
    }
    Ok(())
}

/// A copy of `index/` without its entry files, removed when dropped. A new private folder
/// (tempfile: a random name, made only if it did not exist, readable by this user alone).
struct Staging {
    _folder: tempfile::TempDir,
    dir: PathBuf,
}

impl Staging {
    fn new(index_dir: &Path) -> anyhow::Result<Staging> {
        let folder = tempfile::Builder::new()
            .prefix("madoguchi-import-")
            .tempdir()
            .context("確認用のフォルダを作れません(index/ は変えていません) / cannot create the staging folder")?;
        let staging = Staging { dir: folder.path().to_path_buf(), _folder: folder };
        let places = read_places(index_dir)?;
        let unreadable = || format!("{} を読めません(index/ は変えていません)", index_dir.display());
        for entry in std::fs::read_dir(index_dir).with_context(unreadable)? {
            let path = entry.with_context(unreadable)?.path();
            if path.is_file() {
                let target = staging.dir.join(path.file_name().expect("a file name"));
                std::fs::copy(&path, &target).with_context(|| {
                    format!("{} を確認用のフォルダに写せません(index/ は変えていません)", path.display())
                })?;
            }
        }
        for m in &places.municipalities {
            std::fs::create_dir_all(staging.dir.join(&m.folder))
                .context("確認用のフォルダを作れません(index/ は変えていません)")?;
        }
        Ok(staging)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_must_name_a_known_folder_and_a_plain_file() {
        let folders: HashMap<&str, &str> = [("setagaya", "世田谷区")].into_iter().collect();
        assert_eq!(
            file_of("setagaya/kosodate-hiroba", &folders).unwrap(),
            ("setagaya".into(), "kosodate-hiroba".into())
        );
        for bad in ["", "setagaya", "tokyo/a", "setagaya/../x", "setagaya/a/b", "setagaya/子育て", "setagaya/"] {
            let problem = file_of(bad, &folders).expect_err(bad);
            assert_eq!(problem.column.as_deref(), Some("id"));
        }
    }
}
