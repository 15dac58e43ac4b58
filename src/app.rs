//! Opening the whole application from a config: the one path every command takes, so `ask`,
//! `chat`, `eval`, the bot and `index check` load exactly the same way.

use std::path::PathBuf;

use anyhow::{bail, Context};
use chrono::NaiveDate;
use lindera::dictionary::Dictionary;

use crate::answer::engine::Engine;
use crate::config::Config;
use crate::content::dialogs::{self, Dialogs};
use crate::content::knowledge::{self, Knowledge, LoadOptions};
use crate::content::{survey, Problem};
use crate::japanese::dictionary;

/// Everything `index check` reports, and what serving would run with when there is no error.
pub struct Checked {
    pub knowledge: Option<Knowledge>,
    pub dialogs: Option<Dialogs>,
    pub problems: Vec<Problem>,
    pub entry_files: usize,
}

impl Checked {
    pub fn error_count(&self) -> usize {
        self.problems.iter().filter(|p| p.is_error()).count()
    }
}

/// Loads and checks `dialogs/` and `index/` (no dictionary needed).
pub fn check(config: &Config, today: NaiveDate) -> Checked {
    let (dialogs, mut problems) = dialogs::load(&config.dialogs_dir);
    let categories = dialogs.as_ref().map(|d| d.menu.labels());
    let report = knowledge::load(
        &config.index_dir,
        &LoadOptions { categories: categories.as_deref(), today, max_age_months: config.freshness.max_age_months },
    );
    problems.extend(report.problems);
    // What the loaders did not read is reported, never silently left out.
    problems.extend(survey::survey(
        &config.index_dir,
        &config.dialogs_dir,
        &survey::Known {
            index_files: &[knowledge::PLACES_FILE, knowledge::WORDING_FILE],
            municipality_folders: &report.municipality_folders,
            dialogs_files: &[dialogs::TEXTS_FILE, dialogs::CRISIS_FILE, dialogs::MENU_FILE],
        },
    ));
    if let (Some(knowledge), Some(dialogs)) = (&report.knowledge, &dialogs) {
        problems.extend(check_references(knowledge, dialogs, config));
    }
    let has_error = problems.iter().any(Problem::is_error);
    Checked {
        knowledge: report.knowledge.filter(|_| !has_error),
        dialogs: dialogs.filter(|_| !has_error),
        problems,
        entry_files: report.files,
    }
}

/// Checks that span both folders: crisis windows must name real entries, ids must fit buttons.
fn check_references(knowledge: &Knowledge, dialogs: &Dialogs, config: &Config) -> Vec<Problem> {
    let mut problems = Vec::new();
    let crisis_path = config.dialogs_dir.join(dialogs::CRISIS_FILE);
    for kind in &dialogs.crisis.kind {
        for id in &kind.get_ref().windows {
            if knowledge.entry(id).is_none() {
                problems.push(
                    Problem::error(&crisis_path, None, format!("windows の「{id}」という項目が index/ にありません"))
                        .hint("index/ にある項目の id を書いてください"),
                );
            }
        }
    }
    for entry in &knowledge.entries {
        // Button payloads carry the id with a short prefix; Telegram allows 64 bytes.
        if entry.id.len() > 56 {
            let path = config.index_dir.join(format!("{}.toml", entry.id));
            problems.push(
                Problem::error(&path, Some(1), format!("id「{}」が長すぎます({} バイト)", entry.id, entry.id.len()))
                    .hint("ファイル名を短くして、id もそれに合わせてください(56 バイトまで)"),
            );
        }
    }
    problems
}

/// The problems of `dialogs/crisis.toml`'s rules, compiled against the analyzer as serving
/// compiles them (with the dictionary and the wording rules of `index/`): what [`check`], which
/// needs no dictionary, cannot see. Empty when the files themselves did not load.
pub fn check_crisis_rules(checked: &Checked, dictionary: Dictionary) -> Vec<Problem> {
    let (Some(knowledge), Some(dialogs)) = (&checked.knowledge, &checked.dialogs) else { return Vec::new() };
    let analyzer = crate::japanese::analyzer::Analyzer::new(dictionary, knowledge.analyzer_rules());
    let source = &dialogs.crisis_source;
    match crate::answer::crisis::CrisisLayer::compile(&dialogs.crisis, &source.text, &source.path, &analyzer) {
        Ok(layer) => layer.warnings,
        Err(problems) => problems,
    }
}

/// Builds the dictionary if needed and returns its directory.
pub fn dictionary_dir(config: &Config) -> anyhow::Result<PathBuf> {
    let cache = config.effective_cache_dir();
    let dir = dictionary::ensure_built(&config.ipadic_source, &cache, |target| {
        eprintln!(
            "日本語辞書を準備しています(初回のみ、数秒かかります)… / building the Japanese dictionary once into {}",
            target.display()
        );
    })?;
    Ok(dir)
}

/// Opens the engine: dictionary, `dialogs/`, `index/`, search index.
pub fn open(config: &Config, today: NaiveDate) -> anyhow::Result<Engine> {
    let checked = check(config, today);
    // Errors in the staff files first: they are what staff can fix.
    refuse_errors(&checked)?;
    let dir = dictionary_dir(config)?;
    let dictionary = dictionary::load(&dir)?;
    build_checked(config, checked, dictionary)
}

/// What [`open`] does once the dictionary is loaded, for a caller that keeps one: the running
/// bot's reload (`src/live.rs`) clones its dictionary rather than reading it again. Fails, with
/// every error, when the check found any. The search index comes from the cache directory when
/// these staff files were indexed before (see `search::cache`).
pub fn build_checked(config: &Config, checked: Checked, dictionary: Dictionary) -> anyhow::Result<Engine> {
    refuse_errors(&checked)?;
    let (Some(knowledge), Some(dialogs)) = (checked.knowledge, checked.dialogs) else {
        bail!("職員のファイルを読み込めませんでした。madoguchi index check でくわしく見てください / the staff files could not be loaded; run `madoguchi index check` for details");
    };
    let cache = config.effective_cache_dir();
    Engine::build_cached(dictionary, knowledge, dialogs, config.engine.clone(), Some(&cache))
        .context("回答の準備ができませんでした / building the engine")
}

fn refuse_errors(checked: &Checked) -> anyhow::Result<()> {
    let errors: Vec<String> = checked.problems.iter().filter(|p| p.is_error()).map(ToString::to_string).collect();
    if !errors.is_empty() {
        bail!(
            "職員のファイルにエラーが {} 件あります。madoguchi index check で直してください / the staff files have {} error(s):\n{}",
            errors.len(),
            errors.len(),
            errors.join("\n")
        );
    }
    Ok(())
}

/// Today in Japan (the date the staff and residents live by).
pub fn today() -> NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(9)).date_naive()
}
