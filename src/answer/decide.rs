//! How the engine answers one question: a question (and maybe an area) in, a [`Decision`] out.
//!
//! It knows nothing of Telegram or terminals. The order of work is the order of priority, one
//! step per function:
//! 1. **Area** (`place`): the first municipality or district the message names
//!    (`index/places.toml`), else the one given (the resident's setting).
//! 2. **Crisis**: the crisis layer ([`crate::answer::crisis`]) reads the question's morphemes with
//!    the rules of `dialogs/crisis.toml` before any search, so a failure in search can never hide
//!    the contacts; an urgent reply skips search altogether (`crisis_windows`), a
//!    gentle one leads the answer.
//! 3. **Query** (`query`): the resident's words. Municipality names stop counting as
//!    search terms (otherwise 「大垣」 pulls up everything named 大垣市…); district names count
//!    only against names and keywords, where they tell local groups apart (墨俣 →
//!    すのまた支え愛の会). Kana-written stretches add the index's words they **spell**
//!    ([`KanaSpellings`](crate::japanese::kana_spellings::KanaSpellings): はいしょく → 配食, where
//!    IPADIC cut は/いしょく), then staff **bridges** add the other wordings of a need
//!    (ちょっと預かる → 一時預かり).
//! 4. **Search** within the area (all areas when unknown), with a bonus for a service the
//!    message names outright (`hits`).
//! 5. **Rank** (`rank`) and **choose** (`choose`): `answer` when the best
//!    candidate is confident, else `fallback` with the closest candidates and the general
//!    window. Confidence combines the score with how much of the message the candidate
//!    explains; the threshold is calibrated on `tests/questions.jsonl` (see README).

use rustc_hash::FxHashSet as HashSet;

use crate::answer::crisis::{CrisisKind, Level};
use crate::answer::decision::{Decision, Explanation, Kind, Scored};
use crate::answer::engine::{BroadWords, Engine};
use crate::answer::search::{Hit, QueryTerm, SearchQuery};
use crate::content::knowledge::PlaceMention;
use crate::japanese::analyzer::{kana_bigrams, Analysis, KanaRun, MAX_ANALYZED_CHARS};
use crate::japanese::kana_spellings::MIN_READING_CHARS;
use crate::japanese::romaji;

/// Weight of a word added by a bridge, relative to the resident's own words.
const BRIDGE_WEIGHT: f32 = 0.7;
/// Katakana bigrams searched per question at most.
const MAX_QUERY_BIGRAMS: usize = 24;
/// Added to the score of an entry whose name the message contains.
const NAME_BONUS: f32 = 8.0;
/// How many hits the decision looks at.
const SEARCH_DEPTH: usize = 10;
/// A message of more resident's words than this says something specific, never broad.
const MAX_BROAD_TERMS: usize = 3;
/// The score at which a candidate's `strength` is one half (see [`confidence`]).
const SCORE_HALF: f32 = 8.0;

/// A compound of the message that no entry holds, and its parts (indices into the query's
/// terms).
pub(super) struct UnknownCompound {
    text: String,
    span: std::ops::Range<usize>,
    parts: Vec<usize>,
}

impl UnknownCompound {
    /// Whether a term at `span` is this compound or one of its parts.
    fn holds(&self, span: &std::ops::Range<usize>) -> bool {
        span.start >= self.span.start && span.end <= self.span.end
    }
}

/// Where the question is about.
struct Place {
    /// The area used: given, or read from the message.
    area: Option<String>,
    from_message: bool,
    /// The place names the message holds, first first.
    mentions: Vec<PlaceMention>,
}

impl Engine {
    /// Answers one question. `area` is the resident's setting, if any (an official name).
    pub fn decide(&self, question: &str, area: Option<&str>) -> Decision {
        let analysis = self.analyzer.analyze_question(question);
        let cut = question.chars().count() > MAX_ANALYZED_CHARS;
        let place = self.place(&analysis.normalized, area);
        let mut explanation = Explanation {
            normalized: analysis.normalized.clone(),
            places: place.mentions.iter().map(|m| m.name.clone()).collect(),
            ..Explanation::default()
        };
        // Danger first, on the same analysis: nothing below can hide it.
        let crisis = self.crisis.assess_with(&analysis, &self.analyzer);
        let general_windows = self.general_windows(place.area.as_deref());
        let decision = |kind, candidates, empty, crisis, explanation, choices| Decision {
            question: question.to_string(),
            kind,
            area: place.area.clone(),
            area_from_message: place.from_message,
            candidates,
            general_windows: general_windows.clone(),
            choices,
            empty,
            cut,
            crisis,
            explanation,
        };
        if let Some(lead) = self.crisis.lead(&crisis).filter(|k| k.level == Level::Urgent) {
            let windows = self.crisis_windows(lead, place.area.as_deref());
            return decision(Kind::Crisis, windows, false, crisis, explanation, None);
        }
        // A message in romaji (haha ga ninchisho desu) is searched as the kana it spells. The
        // crisis layer above read the message as written (it reads romaji itself, and English).
        let romaji_read = match romaji::latin(question) {
            Some(romaji::Latin::Romaji(kana)) => Some(self.analyzer.analyze_question(&kana)),
            _ => None,
        };
        let (query, compounds) =
            self.query_and_compounds(romaji_read.as_ref().unwrap_or(&analysis), &place, &mut explanation);
        let hits = self.hits(&query, &analysis.normalized, &compounds, &mut explanation);
        if let Some(category) = self.broad_category(&query, &explanation) {
            return decision(Kind::Fallback, Vec::new(), false, crisis, explanation, Some(category));
        }
        let empty = query.terms.is_empty() && query.kana_bigrams.is_empty() && explanation.named.is_empty();
        let ranked = self.rank(&hits, &query, &compounds, &explanation);
        let (kind, candidates) = self.choose(ranked, empty);
        decision(kind, candidates, empty, crisis, explanation, None)
    }

    /// The menu category a message of broad words only calls for (「介護」, 「お金がない」,
    /// 「介護のことで相談したい」): every word of the resident's is a broad word of a category,
    /// and one category remains once the general category's words (なんでも相談: 相談) yield to
    /// a field's (alone, they are answered by the general window). A message that
    /// names a service, or says anything more specific, is searched as usual.
    fn broad_category(&self, query: &SearchQuery, explanation: &Explanation) -> Option<String> {
        let own: Vec<&str> =
            query.terms.iter().filter(|t| t.weight >= 1.0 && !t.names_only).map(|t| t.text.as_str()).collect();
        if own.is_empty() || own.len() > MAX_BROAD_TERMS || !explanation.named.is_empty() {
            return None;
        }
        let mut categories: Vec<&BroadWords> = Vec::new();
        for term in own {
            let mut found = false;
            for broad in self.broad_words.iter().filter(|b| b.terms.contains(term)) {
                found = true;
                if !categories.iter().any(|c| c.category == broad.category) {
                    categories.push(broad);
                }
            }
            if !found {
                return None;
            }
        }
        // The general category's words alone (相談したい) are answered by its general window.
        categories.retain(|c| !c.general);
        (categories.len() == 1).then(|| categories[0].category.clone())
    }

    /// The search query [`Engine::decide`] runs for this question, when no danger stops it
    /// first (for the search benchmark and its check against tantivy's own queries).
    pub fn search_query(&self, question: &str, area: Option<&str>) -> SearchQuery {
        let analysis = self.analyzer.analyze_question(question);
        let place = self.place(&analysis.normalized, area);
        self.query(&analysis, &place, &mut Explanation::default())
    }

    /// The area: the first place the message names, else the one given (if the engine knows
    /// it). The message wins because it says what this question is about: 「田無に住む母のことで」
    /// from a resident whose setting is 大垣市 is a question about 西東京市.
    fn place(&self, normalized: &str, given: Option<&str>) -> Place {
        let mentions = self.knowledge.places.mentions(normalized);
        match mentions.first() {
            Some(first) => Place { area: Some(first.municipality.clone()), from_message: true, mentions },
            None => Place { area: given.and_then(|a| self.resolve_area(a)), from_message: false, mentions },
        }
    }

    /// The windows an urgent reply shows after its contacts: those its kind names, of the area.
    fn crisis_windows(&self, lead: &CrisisKind, area: Option<&str>) -> Vec<Scored> {
        let mut windows: Vec<Scored> = Vec::new();
        for index in lead.windows.iter().filter_map(|id| self.entry_index(id)) {
            let entry = &self.knowledge.entries[index];
            if area.is_none_or(|a| entry.municipality == a) && !windows.iter().any(|w| w.entry == index) {
                windows.push(Scored { entry: index, score: 0.0, confidence: 1.0, matched: Vec::new() });
            }
        }
        windows
    }

    /// The search query: the resident's words (place names set the area instead), the index's
    /// words their kana spells, the bridges' wordings, and a few kana bigrams.
    fn query(&self, analysis: &Analysis, place: &Place, explanation: &mut Explanation) -> SearchQuery {
        self.query_and_compounds(analysis, place, explanation).0
    }

    /// [`Engine::query`], and the message's compounds the index does not know.
    fn query_and_compounds(
        &self,
        analysis: &Analysis,
        place: &Place,
        explanation: &mut Explanation,
    ) -> (SearchQuery, Vec<UnknownCompound>) {
        let overlaps =
            |span: &std::ops::Range<usize>, m: &PlaceMention| m.span.start < span.end && span.start < m.span.end;
        let mut terms: Vec<QueryTerm> = Vec::with_capacity(analysis.terms.len());
        let mut seen: HashSet<&str> = HashSet::default();
        // The resident's words that are not place names: what bridges start from.
        let mut own_terms: HashSet<&str> = HashSet::default();
        for term in &analysis.terms {
            let mention = place.mentions.iter().find(|m| overlaps(&term.span, m));
            if matches!(mention, Some(p) if !p.is_district) || !seen.insert(term.text.as_str()) {
                continue;
            }
            if mention.is_none() {
                own_terms.insert(term.text.as_str());
            }
            terms.push(QueryTerm { text: term.text.clone(), weight: 1.0, names_only: mention.is_some() });
        }
        explanation.terms = terms.iter().map(|t| t.text.clone()).collect();
        let compounds = self.unknown_compounds(analysis, &terms);
        // A part of such a compound is not the resident's word on its own: it starts no bridge
        // (ゴルフサロン is no サロン, so no おしゃべりの場), unless it also stands alone.
        for part in compounds.iter().flat_map(|c| &c.parts) {
            let text = terms[*part].text.as_str();
            let alone = analysis.terms.iter().any(|t| t.text == text && !compounds.iter().any(|c| c.holds(&t.span)));
            if !alone {
                own_terms.remove(text);
            }
        }
        // Kana-written stretches, but not a place name's: its kana would pull toward entries
        // that merely mention the place.
        let kana_runs: Vec<&KanaRun> = analysis
            .kana_spelled_runs
            .iter()
            .filter(|run| !place.mentions.iter().any(|m| overlaps(&run.span, m)))
            .collect();
        if kana_runs.iter().any(|run| run.reading.chars().count() >= MIN_READING_CHARS) {
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
        let mut bigrams = if place.mentions.is_empty() {
            analysis.kana_spelled_bigrams.clone()
        } else {
            kana_bigrams(kana_runs.iter().filter(|run| run.has_content).map(|run| run.reading.as_str()))
        };
        bigrams.truncate(MAX_QUERY_BIGRAMS);
        (SearchQuery { terms, kana_bigrams: bigrams, municipality: place.area.clone() }, compounds)
    }

    /// The compounds of the message that no entry holds (ゴルフサロン, 家族会議, 包括契約), with
    /// their parts among `terms`: the units a resident means, which a candidate explains only
    /// with all their parts.
    fn unknown_compounds(&self, analysis: &Analysis, terms: &[QueryTerm]) -> Vec<UnknownCompound> {
        let mut compounds = Vec::new();
        for compound in &analysis.terms {
            let inside = |t: &&crate::japanese::analyzer::Term| {
                t.span.start >= compound.span.start && t.span.end <= compound.span.end && t.span != compound.span
            };
            let parts: Vec<usize> = analysis
                .terms
                .iter()
                .filter(inside)
                .filter_map(|p| terms.iter().position(|q| q.text == p.text))
                .collect();
            if parts.len() >= 2 && !self.search.holds(&compound.text) {
                compounds.push(UnknownCompound { text: compound.text.clone(), span: compound.span.clone(), parts });
            }
        }
        compounds
    }

    /// The search's hits, best first, with a bonus for each service the message names: a
    /// resident who writes a service's name (りんく, 社協, 家族会) means that service.
    fn hits(
        &self,
        query: &SearchQuery,
        normalized: &str,
        compounds: &[UnknownCompound],
        explanation: &mut Explanation,
    ) -> Vec<Hit> {
        let mut hits = self.search.search(query, SEARCH_DEPTH);
        let compound_texts: Vec<&str> = compounds.iter().map(|c| c.text.as_str()).collect();
        for entry in self.named_entries(normalized, query.municipality.as_deref(), &compound_texts) {
            match hits.iter_mut().find(|h| h.entry == entry) {
                Some(hit) => hit.score += NAME_BONUS,
                None => hits.push(Hit { entry, score: NAME_BONUS, matched: Vec::new() }),
            }
            explanation.named.push(self.knowledge.entries[entry].title.clone());
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        hits
    }

    /// The candidates by confidence, as many as an answer or a fallback may show.
    fn rank(
        &self,
        hits: &[Hit],
        query: &SearchQuery,
        compounds: &[UnknownCompound],
        explanation: &Explanation,
    ) -> Vec<Scored> {
        let own_weight: f32 = query.terms.iter().filter(|t| t.weight >= 1.0).count().max(1) as f32;
        let top_score = hits.first().map(|h| h.score).unwrap_or(0.0);
        // (confidence, hit): the matched words are written out only for the candidates kept.
        let mut ranked: Vec<(f32, &Hit)> = hits
            .iter()
            .map(|hit| {
                let named = explanation.named.contains(&self.knowledge.entries[hit.entry].title);
                // A part of an unknown compound explains nothing unless the candidate holds
                // every part: a サロン is not what 「ゴルフサロン」 asks for. (Counting such a
                // part as half a word kept fewer off-topic messages out and no more answers.)
                let whole = |t: usize| {
                    compounds
                        .iter()
                        .filter(|c| c.parts.contains(&t))
                        .all(|c| c.parts.iter().all(|p| hit.matched.contains(p)))
                };
                let own = hit
                    .matched
                    .iter()
                    .filter(|&&t| whole(t) && query.terms.get(t).is_some_and(|q| q.weight >= 1.0))
                    .count();
                let coverage = if named { 1.0 } else { own as f32 / own_weight };
                let bridged = matched_terms(hit, query).any(|t| t.weight < 1.0);
                (confidence(hit.score, top_score, coverage, bridged), hit)
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked.truncate(self.settings.max_candidates.max(1 + self.settings.max_alternatives));
        ranked
            .into_iter()
            .map(|(confidence, hit)| Scored {
                entry: hit.entry,
                score: hit.score,
                confidence,
                matched: matched_terms(hit, query).map(|t| t.text.clone()).collect(),
            })
            .collect()
    }

    /// An answer (with its alternatives) when the best candidate is confident enough, else a
    /// fallback with the candidates that matched at all.
    fn choose(&self, candidates: Vec<Scored>, empty: bool) -> (Kind, Vec<Scored>) {
        if !empty && candidates.first().is_some_and(|c| c.confidence >= self.settings.min_confidence) {
            let mut shown = candidates;
            shown.truncate(1 + self.settings.max_alternatives);
            (Kind::Answer, shown)
        } else {
            let mut shown: Vec<Scored> = candidates.into_iter().filter(|c| c.confidence > 0.0).collect();
            shown.truncate(self.settings.max_candidates);
            (Kind::Fallback, shown)
        }
    }
}

/// The query terms a hit holds, without collecting them: ranking reads them per hit.
fn matched_terms<'q>(hit: &'q Hit, query: &'q SearchQuery) -> impl Iterator<Item = &'q QueryTerm> {
    hit.matched.iter().filter_map(|&t| query.terms.get(t))
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
