//! The answer engine: built once from the content (the analyzer, the search index, the compiled
//! crisis rules, the service names and the staff's wording bridges), then shared read-only by
//! every question. How it answers one is [`crate::answer::decide`]; what it answers is a
//! [`Decision`].

use std::sync::Arc;

use anyhow::Context as _;
use rustc_hash::FxHashMap;

use crate::answer::crisis::CrisisLayer;
#[cfg(doc)]
use crate::answer::decision::Decision;
use crate::answer::search::SearchIndex;
use crate::config::EngineConfig;
use crate::content::dialogs::Dialogs;
use crate::content::knowledge::{Entry, Knowledge};
use crate::japanese::analyzer::{normalize, Analyzer};
use crate::japanese::kana_spellings::KanaSpellings;

/// Rules of `dialogs/crisis.toml` that do not compile: their words and endings are read by the
/// dictionary, so only a build finds these. `index check` and a live reload show them to staff
/// like any other problem (they reach callers through `anyhow`, by `downcast_ref`).
#[derive(Debug, Clone)]
pub struct CrisisProblems(pub Vec<crate::content::Problem>);

impl std::fmt::Display for CrisisProblems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "dialogs/crisis.toml のルールにエラーが {} 件あります / the crisis rules do not compile:",
            self.0.len()
        )?;
        for problem in &self.0 {
            write!(f, "\n{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CrisisProblems {}

/// One menu category's broad words, as the analyzer's terms (see `Engine::broad_category`).
pub(super) struct BroadWords {
    pub category: String,
    /// なんでも相談: yields to a field's category.
    pub general: bool,
    pub terms: rustc_hash::FxHashSet<String>,
}

/// The knowledge, the texts and the search index, built once and shared read-only.
pub struct Engine {
    pub(super) analyzer: Arc<Analyzer>,
    pub(super) knowledge: Knowledge,
    dialogs: Dialogs,
    /// `dialogs/crisis.toml`, compiled against the analyzer.
    pub(super) crisis: CrisisLayer,
    /// Entry ids to their position in `knowledge.entries` (buttons and crisis windows name
    /// entries by id).
    by_id: FxHashMap<String, usize>,
    /// Each distinct normalized title or alias, with the entries that bear it, for spotting a
    /// service named in a message (one pattern per name: copies of a name in many entries
    /// must not multiply the matches).
    names: Vec<(String, Vec<usize>)>,
    name_matcher: aho_corasick::AhoCorasick,
    pub(super) search: SearchIndex,
    /// Each bridge of `wording.toml`: its wordings, each as the analysed words it takes.
    pub(super) bridges: Vec<Vec<Vec<String>>>,
    /// Per menu category (key), the terms of its broad words (`dialogs/menu.toml` `words`).
    pub(super) broad_words: Vec<BroadWords>,
    /// Built on the first question with a kana-written stretch (see [`KanaSpellings`]).
    kana_spellings: std::sync::OnceLock<KanaSpellings>,
    pub(super) settings: EngineConfig,
}

impl Engine {
    /// Builds the engine, with the search index in memory. `dictionary` is a loaded lindera
    /// dictionary.
    pub fn build(
        dictionary: lindera::dictionary::Dictionary,
        knowledge: Knowledge,
        dialogs: Dialogs,
        settings: EngineConfig,
    ) -> anyhow::Result<Engine> {
        Self::build_cached(dictionary, knowledge, dialogs, settings, None)
    }

    /// Builds the engine; with `cache_dir`, the search index is reused from (or stored in) the
    /// cache there, which makes a start with unchanged staff files almost free.
    pub fn build_cached(
        dictionary: lindera::dictionary::Dictionary,
        knowledge: Knowledge,
        dialogs: Dialogs,
        settings: EngineConfig,
        cache_dir: Option<&std::path::Path>,
    ) -> anyhow::Result<Engine> {
        let analyzer = Arc::new(Analyzer::new(dictionary, knowledge.analyzer_rules()));
        Self::assemble(analyzer, knowledge, dialogs, settings, cache_dir)
    }

    /// Builds the engine around an existing analyzer (its rules must come from `knowledge`).
    pub fn with_analyzer(
        analyzer: Arc<Analyzer>,
        knowledge: Knowledge,
        dialogs: Dialogs,
        settings: EngineConfig,
    ) -> anyhow::Result<Engine> {
        Self::assemble(analyzer, knowledge, dialogs, settings, None)
    }

    fn assemble(
        analyzer: Arc<Analyzer>,
        knowledge: Knowledge,
        dialogs: Dialogs,
        settings: EngineConfig,
        cache_dir: Option<&std::path::Path>,
    ) -> anyhow::Result<Engine> {
        let search = match cache_dir {
            Some(dir) => {
                let rules = analyzer.rules();
                let mut stopwords: Vec<&str> = rules.stopwords.iter().map(String::as_str).collect();
                stopwords.sort_unstable();
                let rules_key = format!("{stopwords:?}{:?}", rules.variants);
                SearchIndex::open_or_build(&knowledge.entries, analyzer.clone(), dir, &rules_key)?
            }
            None => SearchIndex::build(&knowledge.entries, analyzer.clone())?,
        };
        let bridges = knowledge
            .wording
            .bridges
            .iter()
            .map(|b| {
                b.words
                    .iter()
                    .map(|w| analyzer.analyze(w).term_texts().into_iter().map(str::to_string).collect::<Vec<_>>())
                    .filter(|terms| !terms.is_empty())
                    .collect()
            })
            .collect();
        let broad_words = dialogs
            .menu
            .category
            .iter()
            .map(|c| {
                let terms = c
                    .words
                    .iter()
                    .flat_map(|w| analyzer.analyze(w).term_texts().into_iter().map(str::to_string).collect::<Vec<_>>());
                BroadWords { category: c.key.clone(), general: c.general, terms: terms.collect() }
            })
            .collect();
        let source = &dialogs.crisis_source;
        let crisis = CrisisLayer::compile(&dialogs.crisis, &source.text, &source.path, &analyzer)
            .map_err(|problems| CrisisProblems(problems.into_iter().filter(|p| p.is_error()).collect()))?;
        let mut by_name: FxHashMap<String, Vec<usize>> = FxHashMap::default();
        for (i, entry) in knowledge.entries.iter().enumerate() {
            for name in std::iter::once(&entry.title).chain(&entry.aliases) {
                let name: String = analyzer.normalize(name).chars().filter(|c| !c.is_whitespace()).collect();
                if name.chars().count() >= 2 {
                    let entries = by_name.entry(name).or_default();
                    if entries.last() != Some(&i) {
                        entries.push(i);
                    }
                }
            }
        }
        let mut names: Vec<(String, Vec<usize>)> = by_name.into_iter().collect();
        names.sort_unstable();
        let name_matcher =
            aho_corasick::AhoCorasick::new(names.iter().map(|(n, _)| n)).context("matching service names")?;
        let by_id = knowledge.entries.iter().enumerate().map(|(i, entry)| (entry.id.clone(), i)).collect();
        Ok(Engine {
            analyzer,
            knowledge,
            dialogs,
            crisis,
            by_id,
            names,
            name_matcher,
            search,
            bridges,
            broad_words,
            kana_spellings: std::sync::OnceLock::new(),
            settings,
        })
    }

    /// The kana spellings of the index's names and keywords, built on first use.
    pub(super) fn kana_spellings(&self) -> &KanaSpellings {
        self.kana_spellings.get_or_init(|| KanaSpellings::build(&self.analyzer, self.search.name_terms().into_iter()))
    }

    pub fn knowledge(&self) -> &Knowledge {
        &self.knowledge
    }

    pub fn dialogs(&self) -> &Dialogs {
        &self.dialogs
    }

    pub fn crisis(&self) -> &CrisisLayer {
        &self.crisis
    }

    pub fn analyzer(&self) -> &Arc<Analyzer> {
        &self.analyzer
    }

    pub fn search_index(&self) -> &SearchIndex {
        &self.search
    }

    pub fn settings(&self) -> &EngineConfig {
        &self.settings
    }

    /// Whether some entry holds the search term `term` (a word of the analysed question).
    pub fn knows_term(&self, term: &str) -> bool {
        self.search.holds(term)
    }

    pub fn entry(&self, index: usize) -> &Entry {
        &self.knowledge.entries[index]
    }

    /// The position of the entry with this id, if the index holds it.
    pub fn entry_index(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The entry with this id, if the index holds it (a button may name one since removed).
    pub fn entry_by_id(&self, id: &str) -> Option<&Entry> {
        self.entry_index(id).map(|i| &self.knowledge.entries[i])
    }

    /// Resolves what a resident or operator typed as an area (世田谷, せたがや, 用賀) to the
    /// municipality's official name.
    pub fn resolve_area(&self, area: &str) -> Option<String> {
        let normalized = normalize(area.trim());
        if let Some(m) = self.knowledge.places.get(&normalized) {
            return Some(m.name.clone());
        }
        self.knowledge.places.find_area(&normalized)
    }

    /// Entries (of the area, if known) whose title or an alias stands in the message. A name
    /// inside a longer name that also stands there does not count (社会福祉協議会 inside
    /// 西東京市社会福祉協議会).
    /// `compounds`: the message's compounds that no entry holds; a name inside one (ガイドブック
    /// in 旅行ガイドブック) is part of another thing, not named.
    pub(super) fn named_entries(&self, normalized: &str, area: Option<&str>, compounds: &[&str]) -> Vec<usize> {
        let squashed: String = normalized.chars().filter(|c| !c.is_whitespace()).collect();
        let within_compound = |start: usize, end: usize| {
            compounds.iter().any(|c| {
                c.len() > end - start && squashed.match_indices(c).any(|(at, _)| at <= start && end <= at + c.len())
            })
        };
        let in_area = |entry: &usize| area.is_none_or(|a| self.knowledge.entries[*entry].municipality == a);
        // The names standing in the message that some entry of the area bears.
        let found: Vec<&(String, Vec<usize>)> = self
            .name_matcher
            .find_overlapping_iter(&squashed)
            .filter(|m| stands_alone(&squashed, m.start(), m.end()) && !within_compound(m.start(), m.end()))
            .map(|m| &self.names[m.pattern().as_usize()])
            .filter(|(_, entries)| entries.iter().any(in_area))
            .collect();
        let mut entries: Vec<usize> = found
            .iter()
            .filter(|(name, _)| {
                !found.iter().any(|(other, _)| other.len() > name.len() && other.contains(name.as_str()))
            })
            .flat_map(|(_, entries)| entries.iter().copied().filter(in_area))
            .collect();
        entries.sort_unstable();
        entries.dedup();
        entries
    }

    /// The general windows: the area's, or every municipality's when the area is unknown.
    pub fn general_windows(&self, area: Option<&str>) -> Vec<usize> {
        self.knowledge
            .places
            .municipalities
            .iter()
            .filter(|m| area.is_none_or(|a| a == m.name))
            .filter_map(|m| self.entry_index(&m.general_window))
            .collect()
    }
}

/// Whether the name found at `start..end` of `text` is a word of its own there, not part of a
/// longer compound: the letter before it and its first letter, and its last letter and the
/// letter after it, are not of the same kind (kanji, katakana, Latin). 「家族会に」 names 家族会;
/// 「家族会議」, 「スケートリンク」 and 「ネイルサロン」 name nothing. Hiragana and marks part
/// words; a longer name that holds the compound (大垣社協) is a name of its own.
fn stands_alone(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let first = text[start..end].chars().next();
    let last = text[start..end].chars().next_back();
    let after = text[end..].chars().next();
    !same_letters(before, first) && !same_letters(last, after)
}

#[derive(PartialEq, Eq)]
enum Letters {
    Kanji,
    Katakana,
    Latin,
}

fn letters(c: char) -> Option<Letters> {
    match c {
        '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '々' | '〆' => Some(Letters::Kanji),
        '\u{30A1}'..='\u{30FA}' | 'ー' | '\u{FF66}'..='\u{FF9F}' => Some(Letters::Katakana),
        c if c.is_ascii_alphanumeric() => Some(Letters::Latin),
        _ => None,
    }
}

fn same_letters(a: Option<char>, b: Option<char>) -> bool {
    match (a.and_then(letters), b.and_then(letters)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod name_tests {
    use super::stands_alone;

    fn named(text: &str, name: &str) -> bool {
        let start = text.find(name).expect("the name is in the text");
        stands_alone(text, start, start + name.len())
    }

    #[test]
    fn a_name_inside_a_longer_compound_names_nothing() {
        assert!(named("家族会に入りたい", "家族会"));
        assert!(named("りんくに相談したい", "りんく"));
        assert!(named("認知症ガイドブックがほしい", "ガイドブック"), "kanji before katakana parts words");
        assert!(named("サロン", "サロン"), "the whole message");
        assert!(!named("家族会議の進め方", "家族会"));
        assert!(!named("スケートリンクの営業時間", "リンク"));
        assert!(!named("ネイルサロンの予約", "サロン"));
        assert!(!named("包括契約と個別契約", "包括"));
        assert!(named("WiFiルーター", "WiFi") && !named("LINKS", "LINK"), "Latin letters run on");
    }
}
