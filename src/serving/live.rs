//! The running bot's answers, swapped in while it serves: live reload of `index/` and `dialogs/`.
//!
//! ```text
//!  staff save a file ─► watch (notify, debounced) ─┐
//!  SIGHUP, /reload (src/telegram/reload.rs) ───────┴─► LiveEngine::reload (one at a time)
//!                                                        │ app::check (as `index check`)
//!                                                        │ app::build_checked (kept dictionary)
//!                                       errors? ─ yes ─► Rejected: the old engine keeps serving
//!                                                 no ──► Swapped: one atomic pointer store
//!  each update: LiveEngine::current() ─► Arc<Engine> snapshot for its whole life
//! ```
//!
//! - **Never a broken bot**: a new engine is built beside the old one from the same loader as
//!   `madoguchi index check` ([`crate::app::check`]); only a clean check whose engine was built
//!   completely is swapped in. Any error (a TOML typo, a missing key, a crisis window naming
//!   no entry…) rejects the whole edit, and the report carries every problem with file:line.
//! - **No dropped answer**: [`LiveEngine::current`] hands out an `Arc<Engine>`. An update takes
//!   one at its start and answers with it to the end, so a swap in the middle changes nothing
//!   for it; the old engine is freed when its last in-flight answer is done.
//! - **One reload at a time**: [`LiveEngine::reload`] holds a lock for its whole run, so two
//!   triggers at once rebuild one after the other (the caller in `telegram/reload.rs`
//!   also coalesces triggers that queue up meanwhile into one rebuild).
//! - `reload` blocks for as long as a build takes (parsing every file and indexing every entry):
//!   call it from `spawn_blocking` or a thread of its own, never on a tokio worker.
//! - The lindera dictionary is loaded once, at [`LiveEngine::open`]; reloads clone it (a handful
//!   of `Arc`s), so only the staff files are read again.
//!
//! The trigger is [`crate::serving::watch`], which knows nothing of engines.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;

use crate::answer::engine::Engine;
use crate::app;
use crate::config::Config;
use crate::content::Problem;

/// The engine that is serving now, and how to build the next one.
pub struct LiveEngine {
    current: ArcSwap<Engine>,
    /// `None` for an engine handed over ready-made ([`LiveEngine::fixed`]): nothing to reload.
    source: Option<Source>,
    /// Held for a whole reload, so two never interleave (and never race to swap).
    reloading: Mutex<()>,
}

/// What a reload reads: the config (paths, engine settings) and the dictionary already loaded.
struct Source {
    config: Config,
    dictionary: lindera::dictionary::Dictionary,
}

/// What one reload did.
#[derive(Debug)]
pub struct ReloadReport {
    pub outcome: Outcome,
    /// From the first file read to the swap (or the rejection).
    pub took: Duration,
}

#[derive(Debug)]
pub enum Outcome {
    /// The new answers serve from now on. Warnings (entries not verified lately) do not stop
    /// a reload, as they do not stop `index check`.
    Swapped { entries: usize, warnings: Vec<Problem> },
    /// The staff files have errors: every one is here, and the old answers keep serving.
    Rejected { errors: Vec<Problem> },
    /// The files were fine but no engine came of them (or there are no files to reload from);
    /// the old answers keep serving. The reason is for the log, in English.
    Failed { reason: String },
}

impl ReloadReport {
    pub fn swapped(&self) -> bool {
        matches!(self.outcome, Outcome::Swapped { .. })
    }
}

/// For the log: one line, then every problem (in Japanese, with file:line) on its own line.
impl std::fmt::Display for ReloadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let took = self.took.as_secs_f64();
        match &self.outcome {
            Outcome::Swapped { entries, warnings } => {
                write!(f, "reloaded: {entries} entries in {took:.2} s, {} warning(s)", warnings.len())
            }
            Outcome::Rejected { errors } => {
                write!(
                    f,
                    "reload rejected after {took:.2} s, the previous answers keep serving; {} error(s):",
                    errors.len()
                )?;
                for problem in errors {
                    write!(f, "\n{problem}")?;
                }
                Ok(())
            }
            Outcome::Failed { reason } => {
                write!(f, "reload failed after {took:.2} s, the previous answers keep serving: {reason}")
            }
        }
    }
}

impl LiveEngine {
    /// Loads the dictionary, `index/` and `dialogs/` as `app::open` does, keeping the dictionary
    /// and the config for later reloads.
    pub fn open(config: &Config, today: chrono::NaiveDate) -> anyhow::Result<LiveEngine> {
        let checked = app::check(config, today);
        let dir = app::dictionary_dir(config)?;
        let dictionary = crate::japanese::dictionary::load(&dir)?;
        let engine = app::build_checked(config, checked, dictionary.clone())?;
        Ok(LiveEngine {
            current: ArcSwap::from_pointee(engine),
            source: Some(Source { config: config.clone(), dictionary }),
            reloading: Mutex::new(()),
        })
    }

    /// An engine built elsewhere (tests, benches): it serves, and a reload reports `Failed`.
    pub fn fixed(engine: Arc<Engine>) -> LiveEngine {
        LiveEngine { current: ArcSwap::new(engine), source: None, reloading: Mutex::new(()) }
    }

    /// The engine serving now. Take it once per update and keep it to the end of the update.
    pub fn current(&self) -> Arc<Engine> {
        self.current.load_full()
    }

    /// Whether [`reload`](Self::reload) can do anything (the engine was opened from files).
    pub fn reloadable(&self) -> bool {
        self.source.is_some()
    }

    /// The folders a reload reads: what [`crate::serving::watch`] should watch.
    pub fn watched_dirs(&self) -> Vec<PathBuf> {
        match &self.source {
            Some(source) => vec![source.config.index_dir.clone(), source.config.dialogs_dir.clone()],
            None => Vec::new(),
        }
    }

    /// A staff file's path as staff know it: `index/setagaya/foo.toml` rather than the full
    /// path of the server (the folders' names are kept, the folder above them dropped).
    pub fn shown_path(&self, path: &Path) -> String {
        let Some(source) = &self.source else {
            return path.display().to_string();
        };
        [&source.config.index_dir, &source.config.dialogs_dir]
            .into_iter()
            .filter_map(|dir| path.strip_prefix(dir.parent()?).ok())
            .find(|relative| !relative.as_os_str().is_empty())
            .map_or_else(|| path.display().to_string(), |relative| relative.display().to_string())
    }

    /// Reads and checks the staff files again and swaps in the new engine if, and only if,
    /// there is no error. Blocks for the whole build; a second call waits for the first.
    pub fn reload(&self) -> ReloadReport {
        // A panic in an earlier reload poisons nothing worth protecting: the lock guards no data.
        let _one_at_a_time = self.reloading.lock().unwrap_or_else(PoisonError::into_inner);
        let start = Instant::now();
        let outcome = match &self.source {
            None => Outcome::Failed { reason: "this engine was not opened from files".into() },
            Some(source) => {
                // The build runs code we do not control on staff data (lindera, tantivy): a
                // panic there must reject the edit, not take down the reload trigger with it.
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.rebuild(source)))
                    .unwrap_or_else(|_| Outcome::Failed { reason: "building the engine panicked".into() })
            }
        };
        ReloadReport { outcome, took: start.elapsed() }
    }

    fn rebuild(&self, source: &Source) -> Outcome {
        let checked = app::check(&source.config, app::today());
        let (errors, warnings): (Vec<Problem>, Vec<Problem>) =
            checked.problems.iter().cloned().partition(Problem::is_error);
        if !errors.is_empty() {
            return Outcome::Rejected { errors };
        }
        match app::build_checked(&source.config, checked, source.dictionary.clone()) {
            Ok(engine) => {
                let entries = engine.knowledge().entries.len();
                self.current.store(Arc::new(engine));
                Outcome::Swapped { entries, warnings }
            }
            // Crisis rules that do not compile are the staff's to fix, like any other error.
            Err(e) => match e.downcast_ref::<crate::answer::engine::CrisisProblems>() {
                Some(problems) => Outcome::Rejected { errors: problems.0.clone() },
                None => Outcome::Failed { reason: format!("{e:#}") },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A throwaway copy of the repository's staff files and config, with the dictionary in the
    /// usual cache (built once, atomically, so parallel tests are safe).
    fn workspace() -> (tempfile::TempDir, Config) {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = tempfile::tempdir().expect("temp dir");
        for folder in ["index", "dialogs"] {
            copy_dir(&repo.join(folder), &dir.path().join(folder));
        }
        let mut config = Config::load(&repo.join("config.toml"), true).expect("config.toml loads");
        config.index_dir = dir.path().join("index");
        config.dialogs_dir = dir.path().join("dialogs");
        (dir, config)
    }

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let path = entry.unwrap().path();
            let target = to.join(path.file_name().unwrap());
            if path.is_dir() {
                copy_dir(&path, &target);
            } else {
                std::fs::copy(&path, &target).unwrap();
            }
        }
    }

    const QUESTION: &str = "子どもをちょっと預かってもらえるところってある?世田谷です";

    fn answer_title(engine: &Engine) -> String {
        let decision = engine.decide(QUESTION, None);
        let best = decision.candidates.first().expect("the question finds an entry");
        engine.entry(best.entry).title.clone()
    }

    /// The entry file of the answer to [`QUESTION`], and its `title = …` line.
    fn answer_file(engine: &Engine, config: &Config) -> (PathBuf, String) {
        let decision = engine.decide(QUESTION, None);
        let id = &engine.entry(decision.candidates[0].entry).id;
        let path = config.index_dir.join(format!("{id}.toml"));
        let text = std::fs::read_to_string(&path).expect("the entry file is index/<id>.toml");
        let line = text.lines().find(|l| l.starts_with("title")).expect("a title line").to_string();
        (path, line)
    }

    #[test]
    fn a_snapshot_taken_before_a_swap_keeps_answering_after_it() {
        let (_dir, config) = workspace();
        let live = LiveEngine::open(&config, app::today()).expect("opens");
        let in_flight = live.current();
        let old_title = answer_title(&in_flight);
        let (path, title_line) = answer_file(&in_flight, &config);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replacen(&title_line, "title = \"ちょっと預かり(改)\"", 1)).unwrap();

        let report = live.reload();
        assert!(report.swapped(), "{report}");
        // The update that started before the swap finishes on its own engine, whole.
        assert_eq!(answer_title(&in_flight), old_title);
        assert_eq!(in_flight.decide(QUESTION, None).kind, crate::answer::decision::Kind::Answer);
        // Everything after the swap sees the edit.
        assert_eq!(answer_title(&live.current()), "ちょっと預かり(改)");
        assert!(!Arc::ptr_eq(&in_flight, &live.current()));
    }

    #[test]
    fn a_broken_edit_is_rejected_with_file_and_line_and_changes_nothing() {
        let (_dir, config) = workspace();
        let live = LiveEngine::open(&config, app::today()).expect("opens");
        let before = live.current();
        let (path, title_line) = answer_file(&before, &config);
        let text = std::fs::read_to_string(&path).unwrap();
        let line = text.lines().position(|l| l == title_line).unwrap() + 1;
        // An unclosed string: a TOML syntax error on the title's line.
        std::fs::write(&path, text.replacen(&title_line, "title = \"ちょっと預かり", 1)).unwrap();

        let report = live.reload();
        let Outcome::Rejected { errors } = &report.outcome else { panic!("not rejected: {report}") };
        assert!(
            errors.iter().any(|p| p.file == path && p.line == Some(line)),
            "help: expected {}:{line} in\n{report}",
            path.display()
        );
        assert!(Arc::ptr_eq(&before, &live.current()), "the old engine keeps serving");
        let shown = live.shown_path(&path);
        assert!(shown.starts_with("index/") && shown.ends_with(".toml"), "{shown}");
        assert!(report.to_string().contains(&format!("{}:{line}", path.display())), "{report}");

        // Fixed, it is taken at once.
        std::fs::write(&path, &text).unwrap();
        assert!(live.reload().swapped());
    }

    #[test]
    fn reloads_at_once_all_succeed_one_after_the_other() {
        let (_dir, config) = workspace();
        let live = Arc::new(LiveEngine::open(&config, app::today()).expect("opens"));
        let engine_before = live.current();
        let threads: Vec<_> = (0..3)
            .map(|_| {
                let live = live.clone();
                std::thread::spawn(move || live.reload())
            })
            .collect();
        for thread in threads {
            let report = thread.join().expect("no panic");
            assert!(report.swapped(), "{report}");
        }
        assert_eq!(answer_title(&live.current()), answer_title(&engine_before));
    }

    #[test]
    fn a_fixed_engine_keeps_serving_and_says_it_cannot_reload() {
        let (_dir, config) = workspace();
        let engine = Arc::new(app::open(&config, app::today()).expect("opens"));
        let live = LiveEngine::fixed(engine.clone());
        assert!(!live.reloadable() && live.watched_dirs().is_empty());
        let report = live.reload();
        assert!(matches!(report.outcome, Outcome::Failed { .. }), "{report}");
        assert!(Arc::ptr_eq(&engine, &live.current()));
    }
}
