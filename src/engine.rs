//! The answer engine: a question (and maybe an area) in, a [`Decision`] out.
//!
//! It knows nothing of Telegram or terminals. The order of work is the order of priority:
//! 1. **Crisis**: the crisis layer ([`crate::crisis`]) reads the question's morphemes with the
//!    rules of `dialogs/crisis.toml` before any search, so a failure in search can never hide
//!    the contacts; an urgent reply skips search altogether, a gentle one leads the answer.
//! 2. The **area** is the one given, else the first municipality or district the message names
//!    (`index/places.toml`). Municipality names then stop counting as search terms (otherwise
//!    「大垣」 pulls up everything named 大垣市…); district names count only against names and
//!    keywords, where they tell local groups apart (墨俣 → すのまた支え愛の会).
//! 3. Kana-written stretches add the index's words they **spell** ([`KanaSpellings`]:
//!    はいしょく → 配食, where IPADIC cut は/いしょく), then staff **bridges** add the other
//!    wordings of a need (ちょっと預かる → 一時預かり).
//! 4. **Search** within the area (all areas when unknown), then **decide**: `answer` when the
//!    best candidate is confident, else `fallback` with the closest candidates and the general
//!    window. Confidence combines the score with how much of the message the candidate explains;
//!    the threshold is calibrated on `tests/questions.jsonl` (see README).

use rustc_hash::{FxHashMap, FxHashSet as HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::analyzer::{normalize, Analyzer};
use anyhow::Context as _;

use crate::config::EngineConfig;
use crate::crisis::{Assessment, CrisisLayer, Level};
use crate::dialogs::Dialogs;
use crate::kana_spellings::KanaSpellings;
use crate::knowledge::{Entry, Knowledge};
use crate::search::{QueryTerm, SearchIndex, SearchQuery};

/// Weight of a word added by a bridge, relative to the resident's own words.
const BRIDGE_WEIGHT: f32 = 0.7;
/// Katakana bigrams searched per question at most.
const MAX_QUERY_BIGRAMS: usize = 24;
/// Added to the score of an entry whose name the message contains.
const NAME_BONUS: f32 = 8.0;
/// How many hits the decision looks at.
const SEARCH_DEPTH: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Answer,
    Fallback,
    Crisis,
}

/// One candidate entry with its scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scored {
    pub entry: usize,
    /// tantivy's BM25 score.
    pub score: f32,
    /// 0–1: how sure the engine is that this entry answers the question.
    pub confidence: f32,
    /// The words of the question this entry was found by.
    pub matched: Vec<String>,
}

/// Why the engine decided as it did (for `explain` and staff `/test`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Explanation {
    pub normalized: String,
    pub terms: Vec<String>,
    pub bridged: Vec<String>,
    pub places: Vec<String>,
    /// Services the message names outright.
    pub named: Vec<String>,
    /// Words of the index that kana-written stretches of the message spell (はいしょく → 配食).
    pub kana_read: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub question: String,
    pub kind: Kind,
    /// The area used: given, or read from the message.
    pub area: Option<String>,
    pub area_from_message: bool,
    /// Best first. For `answer` the first is the answer and the rest alternatives; for
    /// `fallback` the closest candidates; for `crisis` windows worth showing after the contacts.
    pub candidates: Vec<Scored>,
    /// Entry indexes of the general consultation windows to offer.
    pub general_windows: Vec<usize>,
    /// The message had nothing to analyse (empty, only emoji or symbols).
    pub empty: bool,
    /// Only the first part of a very long message was read.
    pub cut: bool,
    /// What the crisis layer found: mentions of danger and the reply they call for.
    pub crisis: Assessment,
    pub explanation: Explanation,
}

/// Rules of `dialogs/crisis.toml` that do not compile: their words and endings are read by the
/// dictionary, so only a build finds these. `index check` and a live reload show them to staff
/// like any other problem (they reach callers through `anyhow`, by `downcast_ref`).
#[derive(Debug, Clone)]
pub struct CrisisProblems(pub Vec<crate::knowledge::Problem>);

impl std::fmt::Display for CrisisProblems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "dialogs/crisis.toml のルールにエラーが {} 件あります / the crisis rules do not compile:", self.0.len())?;
        for problem in &self.0 {
            write!(f, "\n{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CrisisProblems {}

/// The knowledge, the texts and the search index, built once and shared read-only.
pub struct Engine {
    analyzer: Arc<Analyzer>,
    knowledge: Knowledge,
    dialogs: Dialogs,
    /// `dialogs/crisis.toml`, compiled against the analyzer.
    crisis: CrisisLayer,
    /// Each distinct normalized title or alias, with the entries that bear it, for spotting a
    /// service named in a message (one pattern per name: copies of a name in many entries
    /// must not multiply the matches).
    names: Vec<(String, Vec<usize>)>,
    name_matcher: aho_corasick::AhoCorasick,
    search: SearchIndex,
    bridges: Vec<Vec<Vec<String>>>,
    /// Built on the first question with a kana-written stretch (see [`KanaSpellings`]).
    kana_spellings: std::sync::OnceLock<KanaSpellings>,
    settings: EngineConfig,
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
        let source = &dialogs.crisis_source;
        let crisis = CrisisLayer::compile(&dialogs.crisis, &source.text, &source.path, &analyzer)
            .map_err(|problems| CrisisProblems(problems.into_iter().filter(|p| p.is_error()).collect()))?;
        let variants = &knowledge.wording.variants;
        let mut by_name: FxHashMap<String, Vec<usize>> = FxHashMap::default();
        for (i, entry) in knowledge.entries.iter().enumerate() {
            for name in std::iter::once(&entry.title).chain(&entry.aliases) {
                let name: String = normalize(name, variants).chars().filter(|c| !c.is_whitespace()).collect();
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
        let name_matcher = aho_corasick::AhoCorasick::new(names.iter().map(|(n, _)| n)).context("matching service names")?;
        Ok(Engine {
            analyzer,
            knowledge,
            dialogs,
            crisis,
            names,
            name_matcher,
            search,
            bridges,
            kana_spellings: std::sync::OnceLock::new(),
            settings,
        })
    }

    /// The kana spellings of the index's names and keywords, built on first use.
    fn kana_spellings(&self) -> &KanaSpellings {
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

    /// Resolves what a resident or operator typed as an area (世田谷, せたがや, 用賀) to the
    /// municipality's official name.
    pub fn resolve_area(&self, area: &str) -> Option<String> {
        let normalized = normalize(area.trim(), &[]);
        if let Some(m) = self.knowledge.places.get(&normalized) {
            return Some(m.name.clone());
        }
        self.knowledge.places.find_area(&normalized)
    }

    /// Answers one question. `area` is the resident's setting, if any (an official name).
    pub fn decide(&self, question: &str, area: Option<&str>) -> Decision {
        let analysis = self.analyzer.analyze_question(question);
        let normalized = analysis.normalized.clone();
        let cut = question.chars().count() > crate::analyzer::MAX_ANALYZED_CHARS;
        let mentions = self.knowledge.places.mentions(&normalized);
        let given_area = area.and_then(|a| self.resolve_area(a));
        let area_from_message = given_area.is_none() && !mentions.is_empty();
        let area = given_area.or_else(|| mentions.first().map(|m| m.municipality.clone()));

        let mut explanation = Explanation {
            normalized: normalized.clone(),
            places: mentions.iter().map(|m| m.name.clone()).collect(),
            ..Explanation::default()
        };
        // Danger first, on the same analysis: nothing below can hide it.
        let crisis = self.crisis.assess_with(&analysis, &self.analyzer);
        let general_windows = self.general_windows(area.as_deref());
        if let Some(lead) = self.crisis.lead(&crisis).filter(|k| k.level == Level::Urgent) {
            let mut windows: Vec<Scored> = Vec::new();
            for id in &lead.windows {
                let Some(index) = self.knowledge.entry_index(id) else { continue };
                let entry = &self.knowledge.entries[index];
                if area.as_deref().is_none_or(|a| entry.municipality == a) && !windows.iter().any(|w| w.entry == index) {
                    windows.push(Scored { entry: index, score: 0.0, confidence: 1.0, matched: Vec::new() });
                }
            }
            return Decision {
                question: question.to_string(),
                kind: Kind::Crisis,
                area,
                area_from_message,
                candidates: windows,
                general_windows,
                empty: false,
                cut,
                crisis,
                explanation,
            };
        }

        // Terms: place names set the area; municipality names then stop counting as search terms.
        let mut terms: Vec<QueryTerm> = Vec::with_capacity(analysis.terms.len());
        let mut seen: HashSet<&str> = HashSet::default();
        // The resident's words that are not place names: what bridges start from.
        let mut own_terms: HashSet<&str> = HashSet::default();
        for term in &analysis.terms {
            let place = mentions.iter().find(|m| m.span.start < term.span.end && term.span.start < m.span.end);
            if matches!(place, Some(p) if !p.is_district) || !seen.insert(term.text.as_str()) {
                continue;
            }
            if place.is_none() {
                own_terms.insert(term.text.as_str());
            }
            terms.push(QueryTerm { text: term.text.clone(), weight: 1.0, names_only: place.is_some() });
        }
        explanation.terms = terms.iter().map(|t| t.text.clone()).collect();
        // Kana-written stretches, but not a place name's: its kana would pull toward entries
        // that merely mention the place.
        let kana_runs: Vec<&crate::analyzer::KanaRun> = analysis
            .kana_spelled_runs
            .iter()
            .filter(|run| !mentions.iter().any(|m| m.span.start < run.span.end && run.span.start < m.span.end))
            .collect();
        if kana_runs.iter().any(|run| run.reading.chars().count() >= crate::kana_spellings::MIN_READING_CHARS) {
            let spellings = self.kana_spellings();
            for term in kana_runs.iter().flat_map(|run| spellings.terms_in(&run.reading)) {
                if seen.insert(term) {
                    own_terms.insert(term);
                    explanation.kana_read.push(term.to_string());
                    terms.push(QueryTerm { text: term.to_string(), weight: 1.0, names_only: false });
                }
            }
        }
        for group in &self.bridges {
            if group.iter().any(|phrase| phrase.iter().all(|w| own_terms.contains(w.as_str()))) {
                for word in group.iter().flatten() {
                    if seen.insert(word.as_str()) {
                        explanation.bridged.push(word.clone());
                        terms.push(QueryTerm { text: word.clone(), weight: BRIDGE_WEIGHT, names_only: false });
                    }
                }
            }
        }
        // Bigrams rescue kana spellings; a few dozen are plenty, and each costs a term lookup.
        let mut kana_bigrams = if mentions.is_empty() {
            analysis.kana_spelled_bigrams.clone()
        } else {
            crate::analyzer::kana_bigrams(kana_runs.iter().filter(|run| run.has_content).map(|run| run.reading.as_str()))
        };
        kana_bigrams.truncate(MAX_QUERY_BIGRAMS);
        let query = SearchQuery { terms, kana_bigrams, municipality: area.clone() };
        let mut hits = self.search.search(&query, SEARCH_DEPTH);
        // A resident who writes a service's name (りんく, 社協, 家族会) means that service.
        for entry in self.named_entries(&normalized, area.as_deref()) {
            match hits.iter_mut().find(|h| h.entry == entry) {
                Some(hit) => hit.score += NAME_BONUS,
                None => hits.push(crate::search::Hit { entry, score: NAME_BONUS, matched: Vec::new() }),
            }
            explanation.named.push(self.knowledge.entries[entry].title.clone());
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        let empty = query.terms.is_empty() && query.kana_bigrams.is_empty() && explanation.named.is_empty();
        let own_weight: f32 = query.terms.iter().filter(|t| t.weight >= 1.0).count().max(1) as f32;
        let top_score = hits.first().map(|h| h.score).unwrap_or(0.0);
        fn matched_terms<'q>(hit: &'q crate::search::Hit, terms: &'q [QueryTerm]) -> impl Iterator<Item = &'q QueryTerm> {
            hit.matched.iter().filter_map(|&t| terms.get(t))
        }
        // (confidence, hit): the matched words are written out only for the candidates kept.
        let mut ranked: Vec<(f32, &crate::search::Hit)> = hits
            .iter()
            .map(|hit| {
                let named = explanation.named.contains(&self.knowledge.entries[hit.entry].title);
                let own = matched_terms(hit, &query.terms).filter(|t| t.weight >= 1.0).count();
                let coverage = if named { 1.0 } else { own as f32 / own_weight };
                let bridged = matched_terms(hit, &query.terms).any(|t| t.weight < 1.0);
                (confidence(hit.score, top_score, coverage, bridged), hit)
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked.truncate(self.settings.max_candidates.max(1 + self.settings.max_alternatives));
        let candidates: Vec<Scored> = ranked
            .into_iter()
            .map(|(confidence, hit)| Scored {
                entry: hit.entry,
                score: hit.score,
                confidence,
                matched: matched_terms(hit, &query.terms).map(|t| t.text.clone()).collect(),
            })
            .collect();

        let (kind, candidates) = if !empty && candidates.first().is_some_and(|c| c.confidence >= self.settings.min_confidence) {
            let mut shown = candidates;
            shown.truncate(1 + self.settings.max_alternatives);
            (Kind::Answer, shown)
        } else {
            let mut shown: Vec<Scored> = candidates.into_iter().filter(|c| c.confidence > 0.0).collect();
            shown.truncate(self.settings.max_candidates);
            (Kind::Fallback, shown)
        };
        Decision {
            question: question.to_string(),
            kind,
            area,
            area_from_message,
            candidates,
            general_windows,
            empty,
            cut,
            crisis,
            explanation,
        }
    }

    /// Entries (of the area, if known) whose title or an alias stands in the message. A name
    /// inside a longer name that also stands there does not count (社会福祉協議会 inside
    /// 西東京市社会福祉協議会).
    fn named_entries(&self, normalized: &str, area: Option<&str>) -> Vec<usize> {
        let squashed: String = normalized.chars().filter(|c| !c.is_whitespace()).collect();
        let in_area = |entry: &usize| area.is_none_or(|a| self.knowledge.entries[*entry].municipality == a);
        // The names standing in the message that some entry of the area bears.
        let found: Vec<&(String, Vec<usize>)> = self
            .name_matcher
            .find_overlapping_iter(&squashed)
            .map(|m| &self.names[m.pattern().as_usize()])
            .filter(|(_, entries)| entries.iter().any(in_area))
            .collect();
        let mut entries: Vec<usize> = found
            .iter()
            .filter(|(name, _)| !found.iter().any(|(other, _)| other.len() > name.len() && other.contains(name.as_str())))
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
            .filter_map(|m| self.knowledge.entry_index(&m.general_window))
            .collect()
    }
}

/// Confidence in one candidate, 0–1.
///
/// Two signals, both needed: the BM25 score says how strongly the candidate matched (a score
/// near 0 is a coincidence of one common word), and coverage says how much of the message it
/// explains. A candidate far below the best is discounted.
fn confidence(score: f32, top: f32, coverage: f32, bridged: bool) -> f32 {
    if score <= 0.0 {
        return 0.0;
    }
    let strength = score / (score + SCORE_HALF);
    let explained = if bridged { coverage.max(0.5) } else { coverage };
    let relative = if top > 0.0 { score / top } else { 0.0 };
    (strength * (0.4 + 0.6 * explained) * relative).clamp(0.0, 1.0)
}

/// The score at which `strength` is one half.
const SCORE_HALF: f32 = 8.0;
