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
use crate::japanese::analyzer::{kana_bigrams, to_katakana, Analysis, KanaRun, PartOfSpeech, MAX_ANALYZED_CHARS};
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
/// The share of a candidate's strength that counts whatever it explains (see [`confidence`]).
const COVERAGE_FLOOR: f32 = 0.3;
/// What is left of the coverage of a candidate that meets the message by coincidence (see
/// [`coverage_and_coincidence`]).
const COINCIDENCE_SHARE: f32 = 0.5;

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

/// What a query term is to the resident's message (parallel to the query's terms), while the
/// query is built.
#[derive(Debug, Clone, PartialEq)]
enum Role {
    /// A place name (it sets the area, and scores only names and keywords).
    Place,
    /// The resident's own word; `unit` is the outermost word of the message holding it (認知 and
    /// 認知症 are one unit; so are 社会, 福祉 and 社会福祉協議会).
    Own { unit: usize },
    /// A word a staff bridge added; `group` indexes the units whose words started it.
    Bridge { group: usize },
}

/// The index of the outermost term of `analysis` whose span holds `span`.
fn unit_of(analysis: &Analysis, span: &std::ops::Range<usize>) -> usize {
    let mut best = usize::MAX;
    let mut best_len = 0;
    for (i, t) in analysis.terms.iter().enumerate() {
        if t.span.start <= span.start && span.end <= t.span.end && t.span.len() > best_len {
            best = i;
            best_len = t.span.len();
        }
    }
    best
}

/// One thing the resident said: a word, or a compound with its parts (認知症 with 認知;
/// 社会福祉協議会 with 社会 and 福祉; ゴルフサロン with ゴルフ and サロン).
struct Unit {
    /// Its query terms.
    terms: Vec<usize>,
    /// The term of the whole word, when the query holds it.
    whole: Option<usize>,
    /// Whether some entry holds the whole word. A compound no entry holds is explained only by
    /// a candidate holding every part: a サロン is not what 「ゴルフサロン」 asks for.
    known: bool,
    /// Whether the word is a verb or an adjective: what happens (干す, しんどい), which tells
    /// the situation rather than the topic.
    predicate: bool,
    /// Whether some entry holds one of its terms (a unit whose whole word is no query term,
    /// 駅前 of 田無駅前, is known only so).
    held: bool,
}

/// The message as what a candidate must explain: its units, the staff bridges with the units
/// whose words started them, and the place names (see [`coverage_and_coincidence`]).
#[derive(Default)]
struct Units {
    units: Vec<Unit>,
    /// A bridged term, and which of `bridge_units` it speaks for.
    bridges: Vec<(usize, usize)>,
    /// Per bridge that fired, the units (indices into `units`) whose words started it.
    bridge_units: Vec<Vec<usize>>,
    /// The place-name terms: a candidate holding one explains where, which counts.
    places: Vec<usize>,
}

/// What the engine reads from the message before searching.
struct Reading {
    query: SearchQuery,
    compounds: Vec<UnknownCompound>,
    units: Units,
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
        let Reading { query, compounds, units } =
            self.read(romaji_read.as_ref().unwrap_or(&analysis), romaji_read.is_some(), &place, &mut explanation);
        let hits = self.hits(&query, &analysis.normalized, &compounds, &mut explanation);
        if let Some(category) = self.broad_category(&query, &explanation) {
            return decision(Kind::Fallback, Vec::new(), false, crisis, explanation, Some(category));
        }
        let empty = query.terms.is_empty() && query.kana_bigrams.is_empty() && explanation.named.is_empty();
        let ranked = self.rank(&hits, &query, &units, &explanation);
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
                windows.push(Scored {
                    entry: index,
                    score: 0.0,
                    confidence: 1.0,
                    coincidence: false,
                    matched: Vec::new(),
                });
            }
        }
        windows
    }

    /// The search query: the resident's words (place names set the area instead), the index's
    /// words their kana spells, the bridges' wordings, and a few kana bigrams.
    fn query(&self, analysis: &Analysis, place: &Place, explanation: &mut Explanation) -> SearchQuery {
        self.read(analysis, false, place, explanation).query
    }

    /// [`Engine::query`], the message's compounds the index does not know, and its units.
    /// `from_romaji`: `analysis` is of the kana a romaji message spells.
    fn read(&self, analysis: &Analysis, from_romaji: bool, place: &Place, explanation: &mut Explanation) -> Reading {
        let overlaps =
            |span: &std::ops::Range<usize>, m: &PlaceMention| m.span.start < span.end && span.start < m.span.end;
        let mut terms: Vec<QueryTerm> = Vec::with_capacity(analysis.terms.len());
        let mut roles: Vec<Role> = Vec::with_capacity(analysis.terms.len());
        // Per bridge that fired, the unit ids of the resident's words that started it.
        let mut bridge_from: Vec<Vec<usize>> = Vec::new();
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
            roles.push(if mention.is_some() { Role::Place } else { Role::Own { unit: unit_of(analysis, &term.span) } });
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
        // The kana stretches that spell a word of the index: the dictionary's cuts of them
        // (ちしょう in にんちしょう) are guesswork, not the resident's words.
        let mut spelled_runs: Vec<std::ops::Range<usize>> = Vec::new();
        if kana_runs.iter().any(|run| run.reading.chars().count() >= MIN_READING_CHARS) {
            let spellings = self.kana_spellings();
            let spelled = kana_runs.iter().flat_map(|run| spellings.terms_in(&run.reading).map(move |t| (run, t)));
            for (run, term) in spelled {
                if spelled_runs.last() != Some(&run.span) {
                    spelled_runs.push(run.span.clone());
                }
                if seen.insert(term) {
                    own_terms.insert(term);
                    explanation.kana_read.push(term.to_string());
                    roles.push(Role::Own { unit: analysis.terms.len() + terms.len() });
                    terms.push(QueryTerm { text: term.to_string(), weight: 1.0, names_only: false });
                }
            }
        }
        // A word the dictionary read whole from kana, conjugated as residents write it
        // (てつだって → てつだう), which no reading of a stretch spells: the index's word of
        // that reading (手伝う) is the same unit of the message, as if written in kanji.
        let kana_words: Vec<(usize, String)> = analysis
            .terms
            .iter()
            .filter(|t| t.text.chars().all(|c| matches!(c, 'ぁ'..='ゖ')) && !self.search.holds(&t.text))
            .filter(|t| !place.mentions.iter().any(|m| overlaps(&t.span, m)))
            .map(|t| (unit_of(analysis, &t.span), to_katakana(&t.text)))
            .filter(|(_, reading)| reading.chars().count() >= MIN_READING_CHARS)
            .collect();
        if !kana_words.is_empty() {
            let spellings = self.kana_spellings();
            for (unit, reading) in &kana_words {
                for term in spellings.spelled_exactly(reading) {
                    if seen.insert(term) {
                        own_terms.insert(term);
                        explanation.kana_read.push(term.to_string());
                        roles.push(Role::Own { unit: *unit });
                        terms.push(QueryTerm { text: term.to_string(), weight: 1.0, names_only: false });
                    }
                }
            }
        }
        for group in &self.bridges {
            let started: Vec<&Vec<String>> =
                group.iter().filter(|phrase| phrase.iter().all(|w| own_terms.contains(w.as_str()))).collect();
            if started.is_empty() {
                continue;
            }
            // The units of the resident's words that started it: what its words explain.
            let mut from: Vec<usize> = started
                .iter()
                .flat_map(|phrase| phrase.iter())
                .filter_map(|w| terms.iter().position(|t| t.text == *w))
                .filter_map(|i| match roles[i] {
                    Role::Own { unit } => Some(unit),
                    _ => None,
                })
                .collect();
            from.sort_unstable();
            from.dedup();
            bridge_from.push(from);
            for word in group.iter().flatten() {
                if seen.insert(word.as_str()) {
                    explanation.bridged.push(word.clone());
                    roles.push(Role::Bridge { group: bridge_from.len() - 1 });
                    terms.push(QueryTerm { text: word.clone(), weight: BRIDGE_WEIGHT, names_only: false });
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
        let units = self.units(analysis, &terms, &roles, &bridge_from, &spelled_runs, from_romaji);
        Reading {
            query: SearchQuery { terms, kana_bigrams: bigrams, municipality: place.area.clone() },
            compounds,
            units,
        }
    }

    /// The message's units from the roles of its query terms. A word no entry holds that is a
    /// piece of a kana stretch spelling a word of the index does not count: it is debris of the
    /// dictionary's cuts (ちしょう in にんちしょう, read as 認知症), not the resident's word; nor,
    /// in romaji, a lone one or two kana.
    fn units(
        &self,
        analysis: &Analysis,
        terms: &[QueryTerm],
        roles: &[Role],
        bridge_from: &[Vec<usize>],
        spelled_runs: &[std::ops::Range<usize>],
        from_romaji: bool,
    ) -> Units {
        let mut units = Units::default();
        // Unit ids (an analysis term's index, or past them for kana-read words) → `units.units`.
        let mut ids: Vec<usize> = Vec::new();
        for (t, role) in roles.iter().enumerate() {
            match role {
                Role::Place => units.places.push(t),
                Role::Own { unit: id } => {
                    let at = match ids.iter().position(|i| i == id) {
                        Some(at) => at,
                        None => {
                            ids.push(*id);
                            units.units.push(Unit {
                                terms: Vec::new(),
                                whole: None,
                                known: true,
                                predicate: false,
                                held: false,
                            });
                            ids.len() - 1
                        }
                    };
                    let unit = &mut units.units[at];
                    unit.terms.push(t);
                    let held = self.search.holds(&terms[t].text);
                    unit.held |= held;
                    if let Some(whole) = analysis.terms.get(*id).filter(|whole| whole.text == terms[t].text) {
                        unit.whole = Some(t);
                        unit.known = held;
                        unit.predicate = analysis.morphemes.iter().any(|m| {
                            whole.span.start <= m.span.start
                                && m.span.end <= whole.span.end
                                && matches!(m.pos, PartOfSpeech::Verb { .. } | PartOfSpeech::Adjective { .. })
                        });
                    }
                }
                Role::Bridge { group } => units.bridges.push((t, *group)),
            }
        }
        let debris = |id: usize, unit: &Unit| {
            let Some(word) = analysis.terms.get(id).filter(|_| !unit.known) else { return false };
            // In romaji read as kana, a lone one or two kana is a particle's spelling (ga, de).
            let particle = from_romaji && word.text.chars().count() <= 2;
            particle || spelled_runs.iter().any(|run| run.start <= word.span.start && word.span.end <= run.end)
        };
        // The units kept, and where each unit id now stands among them.
        let mut kept: Vec<Option<usize>> = Vec::with_capacity(ids.len());
        let mut all = std::mem::take(&mut units.units).into_iter();
        for &id in &ids {
            let unit = all.next().expect("one unit per id");
            if debris(id, &unit) {
                kept.push(None);
            } else {
                kept.push(Some(units.units.len()));
                units.units.push(unit);
            }
        }
        units.bridge_units = bridge_from
            .iter()
            .map(|from| from.iter().filter_map(|id| ids.iter().position(|i| i == id).and_then(|at| kept[at])).collect())
            .collect();
        units
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
    fn rank(&self, hits: &[Hit], query: &SearchQuery, units: &Units, explanation: &Explanation) -> Vec<Scored> {
        let top_score = hits.first().map(|h| h.score).unwrap_or(0.0);
        // (confidence, coincidence, hit): the matched words are written out only for the
        // candidates kept.
        let mut ranked: Vec<(f32, bool, &Hit)> = hits
            .iter()
            .map(|hit| {
                let named = explanation.named.contains(&self.knowledge.entries[hit.entry].title);
                let (share, coincidence) = coverage_and_coincidence(hit, units, named);
                (confidence(hit.score, top_score, discounted(share, coincidence)), coincidence, hit)
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked.truncate(self.settings.max_candidates.max(1 + self.settings.max_alternatives));
        ranked
            .into_iter()
            .map(|(confidence, coincidence, hit)| Scored {
                entry: hit.entry,
                score: hit.score,
                confidence,
                coincidence,
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

/// How much of the message a candidate explains, 0–1: the share of the message's units it
/// holds. A unit counts as explained when the candidate holds its whole word, or a staff bridge
/// that the unit's words started (掃除 → 家事), or, for a known compound, the share of its
/// terms it holds; a compound no entry holds, only with every part. A place name the candidate
/// holds counts as one more unit explained (墨俣 in すのまた支え愛の会). For a service the message
/// names, every unit in which it holds a word is explained whole; a message that is nothing but
/// the name is explained whole.
///
/// Every unit the candidate does not explain counts against it, known to the index or not: a
/// message about ペット and カメラ is not explained by 見守り.
///
/// Also whether the candidate meets the message only by coincidence: it explains at most one
/// of the resident's units (a place name it holds counts as one), while at least two of the
/// units it leaves are words no entry holds at all (a verb or an adjective tells what happens,
/// not another topic, and does not count), and they outnumber the known words it leaves. Such a message is about something the index knows nothing of (電源, Wi-Fi and
/// 古着屋 beside the カフェ of 認知症カフェ; フランチャイズ and 初期費用 beside 宅配弁当), where a
/// resident describing a need in their own words still shares several words with the entry
/// (腰, 掃除, 手伝う) or leaves mostly words the index does know.
fn coverage_and_coincidence(hit: &Hit, units: &Units, named: bool) -> (f32, bool) {
    let matched = |t: &usize| hit.matched.contains(t);
    let mut explained = 0.0;
    let (mut whole_units, mut unknown_left, mut known_left) = (0, 0, 0);
    for (u, unit) in units.units.iter().enumerate() {
        let whole = unit.whole.as_ref().is_some_and(matched)
            || named && unit.terms.iter().any(matched)
            || units.bridges.iter().any(|(t, group)| matched(t) && units.bridge_units[*group].contains(&u));
        let share = if whole {
            1.0
        } else if !unit.known {
            let mut parts = unit.terms.iter().filter(|t| Some(**t) != unit.whole).peekable();
            if parts.peek().is_some() && parts.all(matched) {
                1.0
            } else {
                0.0
            }
        } else {
            unit.terms.iter().filter(|t| matched(t)).count() as f32 / unit.terms.len() as f32
        };
        if share >= 1.0 {
            whole_units += 1;
        } else if share <= 0.0 && unit.known && unit.held {
            known_left += 1;
        } else if share <= 0.0 && !unit.predicate {
            unknown_left += 1;
        }
        explained += share;
    }
    let places = units.places.iter().filter(|t| matched(t)).count();
    // The district a local group is named for is one more thing in common (青墓 and 青墓支え合いの会).
    // Nothing in common is no coincidence to discount: the coverage is 0 already.
    let coincidence = !named
        && explained + places as f32 > 0.0
        && whole_units + places <= 1
        && unknown_left >= 2
        && unknown_left > known_left;
    let count = units.units.len() + places;
    if count == 0 {
        return (if named { 1.0 } else { 0.0 }, false);
    }
    ((explained + places as f32) / count as f32, coincidence)
}

/// The coverage that counts: a coincidence keeps [`COINCIDENCE_SHARE`] of its share.
fn discounted(share: f32, coincidence: bool) -> f32 {
    if coincidence {
        share * COINCIDENCE_SHARE
    } else {
        share
    }
}

/// Confidence in one candidate, 0–1.
///
/// Two signals, both needed: the BM25 score says how strongly the candidate matched (a score
/// near 0 is a coincidence of one common word), and coverage says how much of the message it
/// explains. A candidate far below the best is discounted. The floor (`COVERAGE_FLOOR`) keeps
/// a strong match to part of a long message in the race; above it, what is left unexplained
/// decides.
fn confidence(score: f32, top: f32, coverage: f32) -> f32 {
    if score <= 0.0 {
        return 0.0;
    }
    let strength = score / (score + SCORE_HALF);
    let relative = if top > 0.0 { score / top } else { 0.0 };
    (strength * (COVERAGE_FLOOR + (1.0 - COVERAGE_FLOOR) * coverage) * relative).clamp(0.0, 1.0)
}

#[cfg(test)]
mod coverage_tests {
    use super::{Unit, Units};
    use crate::answer::search::Hit;

    fn hit(matched: &[usize]) -> Hit {
        Hit { entry: 0, score: 10.0, matched: matched.to_vec() }
    }

    /// The coverage that counts.
    fn coverage(hit: &Hit, units: &Units, named: bool) -> f32 {
        let (share, coincidence) = super::coverage_and_coincidence(hit, units, named);
        super::discounted(share, coincidence)
    }

    /// The share explained, before any discount for a coincidence.
    fn share(hit: &Hit, units: &Units, named: bool) -> f32 {
        super::coverage_and_coincidence(hit, units, named).0
    }

    #[test]
    fn every_unit_left_unexplained_counts_against_the_candidate() {
        // 認知 認知症 (one known unit: terms 0 and 1), ペット (2), カメラ (3), and a bridge (4)
        // started by ペット.
        let units = Units {
            units: vec![
                Unit { terms: vec![0, 1], whole: Some(1), known: true, predicate: false, held: true },
                Unit { terms: vec![2], whole: Some(2), known: false, predicate: false, held: false },
                Unit { terms: vec![3], whole: Some(3), known: false, predicate: false, held: false },
            ],
            bridges: vec![(4, 0)],
            bridge_units: vec![vec![1]],
            places: vec![],
        };
        assert_eq!(share(&hit(&[1]), &units, false), 1.0 / 3.0, "the whole word explains its unit");
        assert_eq!(share(&hit(&[0]), &units, false), 0.5 / 3.0, "a part explains its share");
        assert_eq!(share(&hit(&[1, 4]), &units, false), 2.0 / 3.0, "a bridge explains the words that started it");
        assert_eq!(share(&hit(&[]), &units, false), 0.0);
        // Here 見守り alone would meet a message about ペット and カメラ by coincidence: discounted.
        assert_eq!(coverage(&hit(&[1]), &units, false), 1.0 / 3.0 * super::COINCIDENCE_SHARE);
    }

    #[test]
    fn an_unknown_compound_needs_every_part_and_a_bare_name_is_explained() {
        // ゴルフサロン (2), no entry holds it, with its parts ゴルフ (0) and サロン (1).
        let units = Units {
            units: vec![Unit { terms: vec![0, 1, 2], whole: Some(2), known: false, predicate: false, held: false }],
            bridges: vec![],
            bridge_units: vec![],
            places: vec![3],
        };
        assert_eq!(coverage(&hit(&[1]), &units, false), 0.0, "a サロン is not a ゴルフサロン");
        assert_eq!(coverage(&hit(&[0, 1]), &units, false), 1.0);
        assert_eq!(coverage(&hit(&[1, 3]), &units, false), 0.5, "a place the candidate holds counts");
        assert_eq!(coverage(&hit(&[]), &Units::default(), true), 1.0, "「りんくってどこ?」 is the name alone");
    }

    #[test]
    fn one_word_in_common_with_a_message_about_unknown_things_is_a_coincidence() {
        // 電源 (0), wi-fi (1): no entry holds them; カフェ (2) and 寄れる (3) are known; a place
        // name (4).
        let unit =
            |t: usize, known: bool| Unit { terms: vec![t], whole: Some(t), known, predicate: false, held: known };
        let units = Units {
            units: vec![unit(0, false), unit(1, false), unit(2, true), unit(3, true)],
            bridges: vec![],
            bridge_units: vec![],
            places: vec![4],
        };
        // The place counts only where the candidate holds it.
        assert_eq!(coverage(&hit(&[2]), &units, false), 1.0 / 4.0 * super::COINCIDENCE_SHARE, "カフェ alone");
        assert_eq!(coverage(&hit(&[2]), &units, true), 1.0 / 4.0, "a service the message names is no coincidence");
        assert_eq!(coverage(&hit(&[2, 3]), &units, false), 2.0 / 4.0, "two of the resident's words in common");
        assert_eq!(coverage(&hit(&[2, 4]), &units, false), 2.0 / 5.0, "the place counts as one more");
        // Only one unknown word left: a resident's own situation word (庭), not another topic.
        let units = Units { units: vec![unit(0, false), unit(2, true), unit(3, true)], ..Units::default() };
        assert_eq!(coverage(&hit(&[2]), &units, false), 1.0 / 3.0);
        // Two unknown words left, but as many known ones: still the resident's need.
        let units = Units {
            units: vec![unit(0, false), unit(1, false), unit(2, true), unit(3, true), unit(5, true)],
            ..Units::default()
        };
        assert_eq!(coverage(&hit(&[2]), &units, false), 1.0 / 5.0);
        // A verb no entry holds tells what happens (布団を干す): not another topic.
        let units = Units {
            units: vec![unit(0, false), Unit { predicate: true, ..unit(1, false) }, unit(2, true), unit(3, true)],
            ..Units::default()
        };
        assert_eq!(coverage(&hit(&[2]), &units, false), 1.0 / 4.0);
        // A unit whose whole word is no term and whose terms no entry holds is unknown too.
        let units = Units {
            units: vec![
                unit(0, false),
                Unit { whole: None, held: false, ..unit(1, true) },
                unit(2, true),
                unit(3, true),
            ],
            ..Units::default()
        };
        assert_eq!(coverage(&hit(&[2]), &units, false), 1.0 / 4.0 * super::COINCIDENCE_SHARE);
        // Nothing in common: no discount to speak of.
        assert!(!super::coverage_and_coincidence(&hit(&[]), &units, false).1);
    }
}
