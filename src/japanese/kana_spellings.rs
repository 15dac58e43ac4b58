//! The index's words as a resident may write them in kana.
//!
//! A message written in hiragana (「はいしょく せたがやく」, 「こそだてのそうだんしたい」) reaches
//! lindera as kana that IPADIC often cuts wrongly (は/いしょく), so its terms miss the entries'
//! kanji words and only the small weight of the kana bigrams is left: the right entry comes
//! first but too weakly to be an answer. This table maps the katakana reading of every word of
//! the titles, aliases and keywords (as the search index holds them) to that word. A
//! kana-written stretch of a message that spells one of those readings then searches for the
//! word, as if the resident had written it in kanji (はいしょく → 配食).
//!
//! The engine builds it from the index's distinct words (10,000 entries that repeat 66 cost the
//! same), on the first question that has a kana-written stretch, so `ask` for a kanji question
//! does not pay for it.

use rustc_hash::FxHashMap;

use crate::japanese::analyzer::{is_kana_word, is_katakana, Analyzer};

/// Readings shorter than this are too often pieces of other words: どうしたら spells ドウシ
/// (同士) and させたい セタイ (世帯), on the project's own questions. From four kana on
/// (ソウダン, コソダテ, ハイショク) a stretch means what it spells.
pub const MIN_READING_CHARS: usize = 4;

pub struct KanaSpellings {
    /// Leftmost-longest over the readings, so カゾクカイ (家族会) is read before カゾク (家族).
    matcher: Option<aho_corasick::AhoCorasick>,
    /// Per pattern of `matcher`: the terms its reading stands for.
    terms: Vec<Vec<String>>,
    /// Each reading's index in `terms`, for a whole word read in kana.
    by_reading: FxHashMap<String, usize>,
}

impl KanaSpellings {
    /// The table for `terms` (the index's words: [`crate::answer::search::SearchIndex::name_terms`]).
    /// Only words written otherwise than in kana: a kana word (たらい) is found by its own
    /// spelling already, and as a piece of a longer kana stretch it is more often a coincidence
    /// (したらいい) than the word.
    pub fn build<'a>(analyzer: &Analyzer, terms: impl Iterator<Item = &'a str>) -> KanaSpellings {
        let mut by_reading: FxHashMap<String, Vec<String>> = FxHashMap::default();
        for term in terms.filter(|t| !is_kana_word(t)) {
            let reading = analyzer.reading(term);
            if reading.chars().count() >= MIN_READING_CHARS && reading.chars().all(is_katakana) {
                let known = by_reading.entry(reading).or_default();
                if !known.iter().any(|k| k == term) {
                    known.push(term.to_string());
                }
            }
        }
        let mut readings: Vec<(String, Vec<String>)> = by_reading.into_iter().collect();
        readings.sort_unstable();
        let matcher = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(readings.iter().map(|(reading, _)| reading))
            .ok();
        let by_reading = readings.iter().enumerate().map(|(i, (reading, _))| (reading.clone(), i)).collect();
        KanaSpellings { matcher, terms: readings.into_iter().map(|(_, terms)| terms).collect(), by_reading }
    }

    /// The terms whose reading is exactly `reading` (katakana): what a word the dictionary
    /// read whole from kana stands for (てつだう, the base form of てつだって, is 手伝う).
    pub fn spelled_exactly(&self, reading: &str) -> &[String] {
        self.by_reading.get(reading).map_or(&[], |&i| self.terms[i].as_slice())
    }

    /// The terms that `run` (a katakana reading) spells, in order, leftmost-longest.
    pub fn terms_in<'s>(&'s self, run: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.matcher
            .iter()
            .flat_map(move |m| m.find_iter(run))
            .flat_map(|found| &self.terms[found.pattern().as_usize()])
            .map(String::as_str)
    }
}
