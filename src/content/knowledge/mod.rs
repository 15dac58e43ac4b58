//! The knowledge base: everything staff keep in `index/`, loaded and checked in one place.
//!
//! ```text
//! index/
//!   places.toml            municipalities, districts, general windows   → places.rs
//!   wording.toml           stopwords, spelling variants, wording bridges → wording.rs
//!   <folder>/<name>.toml   one service each                             → entry.rs
//! ```
//!
//! [`load`] is the only way in: serving, `ask`, `chat` and `madoguchi index check` all call it,
//! so a check can never pass on files that serving would reject. It never stops at the first
//! problem; it returns every one it finds, and a [`Knowledge`] only when there is no error.

pub mod entry;
pub mod places;
pub mod wording;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::content::problem::{self, Problem};
use crate::content::toml_error;
pub use entry::{Contact, Entry};
pub use places::{Municipality, PlaceMention, Places};
pub use wording::{Bridge, Wording};

use entry::EntryRules;

pub const PLACES_FILE: &str = "places.toml";
pub const WORDING_FILE: &str = "wording.toml";
/// The entry template staff copy; not an entry, but its example values are checked for.
pub const TEMPLATE_FILE: &str = "_template.toml";

/// A loaded, consistent knowledge base.
#[derive(Debug, Clone)]
pub struct Knowledge {
    pub entries: Vec<Entry>,
    pub places: Places,
    pub wording: Wording,
    /// For each entry without a contact (by id), the index of the entry to ask instead
    /// ([`find_reach_via`]): found across entries, so never part of an entry's own content.
    reach_via: HashMap<String, usize>,
}

/// What loading found: the knowledge (when there was no error) and every problem.
#[derive(Debug)]
pub struct LoadReport {
    pub knowledge: Option<Knowledge>,
    pub problems: Vec<Problem>,
    /// How many entry files were read.
    pub files: usize,
    /// The municipality folders `places.toml` names (also when it has errors elsewhere), for
    /// [`crate::content::survey::survey`].
    pub municipality_folders: Vec<String>,
}

impl LoadReport {
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| p.is_error())
    }
}

/// What loading checks against besides the files themselves.
pub struct LoadOptions<'a> {
    /// The category names `dialogs/menu.toml` offers (`None` when it could not be read).
    pub categories: Option<&'a [String]>,
    pub today: NaiveDate,
    pub max_age_months: u32,
}

impl Knowledge {
    /// The entry with this id, by a scan: for the checks of loading. What serves residents
    /// looks entries up in the engine's map ([`crate::answer::engine::Engine::entry_by_id`]).
    pub fn entry(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// The entry whose contact a card shows for `entry` when it has none of its own: the body
    /// that runs it, else its municipality's general window (see [`find_reach_via`]).
    pub fn reach_via(&self, entry: &Entry) -> Option<&Entry> {
        self.reach_via.get(&entry.id).map(|&index| &self.entries[index])
    }

    /// The analyzer rules staff keep in `wording.toml` (stopwords, spelling variants).
    pub fn analyzer_rules(&self) -> crate::japanese::analyzer::AnalyzerRules {
        crate::japanese::analyzer::AnalyzerRules {
            stopwords: self.wording.stopwords.iter().cloned().collect(),
            variants: self.wording.variants.clone(),
        }
    }

    /// The position of an entry in `entries`, by id (a scan, as [`Knowledge::entry`]).
    pub fn entry_index(&self, id: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.id == id)
    }

    /// The entry staff mean by `name`: its id (`setagaya/haishoku-service`, `.toml` and a
    /// leading `index/` allowed, as a path is often pasted), or its title when only one entry
    /// bears it.
    pub fn entry_named(&self, name: &str) -> Option<usize> {
        let name = name.trim();
        let id = name.strip_prefix("index/").unwrap_or(name);
        let id = id.strip_suffix(".toml").unwrap_or(id);
        if let Some(index) = self.entry_index(id) {
            return Some(index);
        }
        let mut titled = self.entries.iter().enumerate().filter(|(_, e)| e.title == name).map(|(i, _)| i);
        match (titled.next(), titled.next()) {
            (Some(index), None) => Some(index),
            _ => None,
        }
    }
}

/// Loads and checks `index_dir`.
pub fn load(index_dir: &Path, options: &LoadOptions) -> LoadReport {
    let mut problems = Vec::new();
    let normalize_place = |s: &str| crate::japanese::analyzer::normalize(s);

    let places_path = index_dir.join(PLACES_FILE);
    let places = match read(&places_path) {
        Ok(text) => {
            let (places, found) = Places::parse(&places_path, &text, normalize_place);
            problems.extend(found);
            places
        }
        Err(p) => {
            problems.push(p);
            Places::default()
        }
    };
    let wording_path = index_dir.join(WORDING_FILE);
    let wording = match read(&wording_path) {
        Ok(text) => {
            let (wording, found) = Wording::parse(&wording_path, &text);
            problems.extend(found);
            wording
        }
        Err(p) => {
            problems.push(p);
            Wording::default()
        }
    };

    let template_path = index_dir.join(TEMPLATE_FILE);
    let placeholders = match std::fs::read_to_string(&template_path) {
        Ok(text) => entry::Placeholders::from_template(&text).unwrap_or_else(|e| {
            let mut problem = toml_error::explain::<toml::Table>(&template_path, &text, &e);
            problem.severity = problem::Severity::Warning;
            problem.message = format!("ひな形の書き方に誤りがあります: {}", problem.message);
            problems.push(problem);
            entry::Placeholders::default()
        }),
        // No template: only the examples no real entry holds are recognised.
        Err(_) => entry::Placeholders::default(),
    };
    let municipality_names = places.names();
    let municipality_folders: Vec<String> = places.municipalities.iter().map(|m| m.folder.clone()).collect();
    let rules = EntryRules {
        municipalities: &municipality_names,
        categories: options.categories,
        today: options.today,
        max_age_months: options.max_age_months,
        placeholders: &placeholders,
    };
    let mut entries: Vec<(PathBuf, Entry)> = Vec::new();
    let mut files = 0;
    for municipality in &places.municipalities {
        let folder = index_dir.join(&municipality.folder);
        let paths = match toml_files(&folder) {
            Ok(paths) => paths,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        for path in paths {
            files += 1;
            let stem = path.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
            let expected_id = format!("{}/{stem}", municipality.folder);
            let text = match read(&path) {
                Ok(text) => text,
                Err(p) => {
                    problems.push(p);
                    continue;
                }
            };
            let (entry, found) = Entry::parse(&path, &expected_id, &text, &rules);
            problems.extend(found);
            if let Some(entry) = entry {
                if entry.municipality != municipality.name && municipality_names.contains(&entry.municipality) {
                    problems.push(
                        Problem::error(
                            &path,
                            problem::line_of_key(&text, "municipality"),
                            format!(
                                "{} のフォルダにありますが、municipality が「{}」です",
                                municipality.name, entry.municipality
                            ),
                        )
                        .hint("ファイルを正しい自治体のフォルダに移すか、municipality を直してください"),
                    );
                }
                entries.push((path, entry));
            }
        }
    }
    check_across_entries(&entries, &places, &mut problems);
    let entries: Vec<Entry> = entries.into_iter().map(|(_, e)| e).collect();

    let has_error = problems.iter().any(Problem::is_error);
    let knowledge = (!has_error).then(|| {
        let reach_via = find_reach_via(&entries, &places);
        Knowledge { entries, places, wording, reach_via }
    });
    problems.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    LoadReport { knowledge, problems, files, municipality_folders }
}

/// For every entry without a contact, the entry to ask instead ([`Knowledge::reach_via`]): the
/// body its `provider` names (the longest title of an entry of the same municipality with a
/// contact that the provider text contains: 「大垣市社会福祉協議会(案内)」 → 大垣市社会福祉協議会),
/// else the municipality's general window when that has a contact. Never itself.
fn find_reach_via(entries: &[Entry], places: &Places) -> HashMap<String, usize> {
    let reachable: Vec<(usize, &Entry)> = entries.iter().enumerate().filter(|(_, e)| !e.contact.is_empty()).collect();
    let mut found = HashMap::new();
    for entry in entries.iter().filter(|e| e.contact.is_empty()) {
        let provider = entry.provider.as_deref().unwrap_or("");
        let by_provider = reachable
            .iter()
            .filter(|(_, e)| e.municipality == entry.municipality && provider.contains(e.title.as_str()))
            .max_by_key(|(_, e)| e.title.chars().count());
        let general = places.get(&entry.municipality).map(|m| m.general_window.as_str());
        let by_general = reachable.iter().find(|(_, e)| Some(e.id.as_str()) == general);
        // Both are entries with a contact, so never `entry` itself, which has none.
        if let Some(&(index, _)) = by_provider.or(by_general) {
            found.insert(entry.id.clone(), index);
        }
    }
    found
}

fn check_across_entries(entries: &[(PathBuf, Entry)], places: &Places, problems: &mut Vec<Problem>) {
    let mut titles: HashMap<(&str, &str), &Path> = HashMap::new();
    for (path, entry) in entries {
        if let Some(first) = titles.insert((&entry.municipality, &entry.title), path) {
            let line = std::fs::read_to_string(path).ok().and_then(|text| problem::line_of_key(&text, "title"));
            problems.push(
                Problem::error(path, line, format!("「{}」は {} にもあります", entry.title, first.display()))
                    .hint("同じサービスは1つのファイルにまとめてください"),
            );
        }
    }
    for m in &places.municipalities {
        if !entries.iter().any(|(_, e)| e.id == m.general_window) {
            problems.push(
                Problem::error(
                    Path::new(PLACES_FILE),
                    None,
                    format!("{} の general_window「{}」という項目が見つかりません", m.name, m.general_window),
                )
                .hint("index/ にある項目の id を書いてください"),
            );
        }
    }
}

fn read(path: &Path) -> Result<String, Problem> {
    let bytes = std::fs::read(path).map_err(|e| {
        Problem::error(path, None, format!("ファイルを読めません ({e})"))
            .hint("ファイルがあるか、名前が正しいか確かめてください")
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let text = String::from_utf8_lossy(e.as_bytes()).to_string();
        let line = problem::line_of_offset(&text, e.utf8_error().valid_up_to());
        Problem::error(path, Some(line), "文字コードが UTF-8 ではありません")
            .hint("エディタで「UTF-8」を選んで保存し直してください")
    })
}

fn toml_files(folder: &Path) -> Result<Vec<PathBuf>, Problem> {
    let read = std::fs::read_dir(folder).map_err(|e| {
        Problem::error(folder, None, format!("フォルダを読めません ({e})"))
            .hint("index/places.toml の folder と、index/ の中のフォルダ名が合っているか確かめてください")
    })?;
    let mut paths: Vec<PathBuf> = read
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    paths.sort();
    Ok(paths)
}
