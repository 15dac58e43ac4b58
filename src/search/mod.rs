//! Full-text search over the entries with tantivy, in memory.
//!
//! Each entry becomes one document with fields of different weight: what a service *is called*
//! (title, aliases) counts most, then the everyday wording staff wrote for it (keywords), then
//! example questions, then the descriptive text. A katakana-bigram field catches spellings the
//! dictionary splits differently (にんちしょう). Queries are built in code from analyzed terms,
//! never through tantivy's query parser, so `"`, `:`, `(` or `AND` in a message are just text.
//!
//! Per term we take the best field ([`best_field`], a disjunction-max with a small tie-breaker), so an entry
//! that repeats a word in every field does not beat one whose name *is* that word.

mod best_field;

use std::collections::HashSet;
use std::sync::Arc;

use tantivy::collector::TopDocs;
use tantivy::columnar::Column;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery};

use best_field::BestFieldQuery;
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, STRING,
};
use tantivy::tokenizer::{PreTokenizedString, TextAnalyzer};
use tantivy::{Index, IndexReader, TantivyDocument, Term};

use crate::analyzer::{
    kana_tokens, term_tokens, Analysis, Analyzer, KanaTokenizer, TermTokenizer, KANA_TOKENIZER, TERM_TOKENIZER,
};
use crate::knowledge::Entry;

/// The weighted text fields, heaviest first.
const TEXT_FIELDS: [(&str, f32); 4] = [("name", 4.0), ("keywords", 2.5), ("questions", 1.5), ("body", 1.0)];
/// The kana field holds the readings of the first fields (name and keywords): what a service
/// is called, not every word of its description.
const KANA_SOURCE_FIELDS: usize = 2;
/// Weight of one katakana bigram: small, since a message yields many of them.
const KANA_WEIGHT: f32 = 0.25;
/// How much the second-best field of a term still counts.
const TIE_BREAKER: f32 = 0.15;

/// One term of a query with its weight (1.0 for a word of the message, less for a bridge).
#[derive(Debug, Clone, PartialEq)]
pub struct QueryTerm {
    pub text: String,
    pub weight: f32,
    /// Only search the name and keyword fields (place names such as 墨俣).
    pub names_only: bool,
}

#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub terms: Vec<QueryTerm>,
    pub kana_bigrams: Vec<String>,
    /// Restrict to the entries of this municipality.
    pub municipality: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// Index into the entries the search index was built from.
    pub entry: usize,
    pub score: f32,
}

pub struct SearchIndex {
    reader: IndexReader,
    text_fields: Vec<(Field, f32)>,
    kana: Field,
    municipality: Field,
    /// Per segment, the entry index of each document.
    ords: Vec<Column<u64>>,
    /// Per entry, every term it was indexed with: to tell which words of a question it explains.
    entry_terms: Vec<HashSet<String>>,
    /// Per text field (in `text_fields` order), every term it holds; and the kana field's.
    vocabulary: Vec<HashSet<String>>,
    kana_vocabulary: HashSet<String>,
}

impl SearchIndex {
    /// Indexes `entries` with `analyzer`.
    pub fn build(entries: &[Entry], analyzer: Arc<Analyzer>) -> tantivy::Result<SearchIndex> {
        let mut builder = Schema::builder();
        let text_options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TERM_TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let kana_options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(KANA_TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let text_fields: Vec<(Field, f32)> = TEXT_FIELDS
            .iter()
            .map(|(name, weight)| (builder.add_text_field(name, text_options.clone()), *weight))
            .collect();
        let kana = builder.add_text_field("kana", kana_options);
        let municipality = builder.add_text_field("municipality", STRING);
        let ord = builder.add_u64_field("ord", NumericOptions::default().set_fast());
        let index = Index::create_in_ram(builder.build());
        // Custom tokenizers are not stored in the index: register them on every index we make.
        index.tokenizers().register(TERM_TOKENIZER, TextAnalyzer::builder(TermTokenizer(analyzer.clone())).build());
        index.tokenizers().register(KANA_TOKENIZER, TextAnalyzer::builder(KanaTokenizer(analyzer.clone())).build());

        let mut writer = index.writer_with_num_threads(1, 50_000_000)?;
        let mut entry_terms = Vec::with_capacity(entries.len());
        let mut vocabulary: Vec<HashSet<String>> = vec![HashSet::new(); text_fields.len()];
        let mut kana_vocabulary = HashSet::new();
        for (i, (entry, analyses)) in entries.iter().zip(analyse_all(entries, &analyzer)).enumerate() {
            let mut doc = TantivyDocument::default();
            let mut terms = HashSet::new();
            let mut kana_bigrams = Vec::new();
            // One analysis per field feeds the term field, the kana field and `entry_terms`.
            for (f, ((field, _), analysis)) in text_fields.iter().zip(analyses).enumerate() {
                doc.add_pre_tokenized_text(*field, term_tokens(&analysis));
                if f < KANA_SOURCE_FIELDS {
                    kana_bigrams.extend(kana_tokens(&analysis).tokens);
                }
                vocabulary[f].extend(analysis.terms.iter().map(|t| t.text.clone()));
                terms.extend(analysis.terms.into_iter().map(|t| t.text));
            }
            kana_vocabulary.extend(kana_bigrams.iter().map(|t| t.text.clone()));
            doc.add_pre_tokenized_text(kana, PreTokenizedString { text: String::new(), tokens: kana_bigrams });
            doc.add_text(municipality, &entry.municipality);
            doc.add_u64(ord, i as u64);
            writer.add_document(doc)?;
            entry_terms.push(terms);
        }
        writer.commit()?;
        let reader = index.reader()?;
        let searcher = reader.searcher();
        let ords = searcher
            .segment_readers()
            .iter()
            .map(|segment| segment.fast_fields().u64("ord"))
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(SearchIndex { reader, text_fields, kana, municipality, ords, entry_terms, vocabulary, kana_vocabulary })
    }

    /// The best `limit` entries for `query`, best first. Empty when nothing matches.
    pub fn search(&self, query: &SearchQuery, limit: usize) -> Vec<Hit> {
        let Some(tantivy_query) = self.build_query(query) else { return Vec::new() };
        let searcher = self.reader.searcher();
        let Ok(found) = searcher.search(&tantivy_query, &TopDocs::with_limit(limit.max(1)).order_by_score()) else {
            return Vec::new();
        };
        found
            .into_iter()
            .filter_map(|(score, address)| {
                let column = self.ords.get(address.segment_ord as usize)?;
                let entry = column.first(address.doc_id)? as usize;
                Some(Hit { entry, score })
            })
            .collect()
    }

    /// Which of `terms` entry `entry` was indexed with.
    pub fn matched_terms<'a>(&self, entry: usize, terms: &'a [QueryTerm]) -> Vec<&'a QueryTerm> {
        let Some(indexed) = self.entry_terms.get(entry) else { return Vec::new() };
        terms.iter().filter(|t| indexed.contains(&t.text)).collect()
    }

    fn build_query(&self, query: &SearchQuery) -> Option<Box<dyn Query>> {
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for term in &query.terms {
            let fields = if term.names_only { &self.text_fields[..2] } else { &self.text_fields[..] };
            // A term absent from a field can score nothing there: skip building its weight.
            let per_field: Vec<Box<dyn Query>> = fields
                .iter()
                .zip(&self.vocabulary)
                .filter(|(_, vocabulary)| vocabulary.contains(&term.text))
                .map(|((field, weight), _)| boosted(Term::from_field_text(*field, &term.text), *weight))
                .collect();
            if per_field.is_empty() {
                continue;
            }
            let best_field = BestFieldQuery::new(per_field, TIE_BREAKER);
            should.push((Occur::Should, Box::new(BoostQuery::new(Box::new(best_field), term.weight))));
        }
        for bigram in query.kana_bigrams.iter().filter(|b| self.kana_vocabulary.contains(*b)) {
            should.push((Occur::Should, boosted(Term::from_field_text(self.kana, bigram), KANA_WEIGHT)));
        }
        if should.is_empty() {
            return None;
        }
        let matches = Box::new(BooleanQuery::new(should));
        Some(match &query.municipality {
            Some(name) => {
                let only: Box<dyn Query> =
                    Box::new(TermQuery::new(Term::from_field_text(self.municipality, name), IndexRecordOption::Basic));
                Box::new(BooleanQuery::new(vec![(Occur::Must, matches), (Occur::Must, Box::new(ConstScoreQuery::new(only, 0.0)))]))
            }
            None => matches,
        })
    }
}

fn boosted(term: Term, weight: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)), weight))
}

/// Analyses every entry's fields, on all cores: analysis is most of the start-up time.
fn analyse_all(entries: &[Entry], analyzer: &Analyzer) -> Vec<Vec<Analysis>> {
    let analyse = |chunk: &[Entry]| -> Vec<Vec<Analysis>> {
        chunk.iter().map(|e| field_texts(e).iter().map(|t| analyzer.analyze(t)).collect()).collect()
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    if threads == 1 || entries.len() < 16 {
        return analyse(entries);
    }
    let chunk_size = entries.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = entries.chunks(chunk_size).map(|chunk| scope.spawn(move || analyse(chunk))).collect();
        // A panicking analysis would be a bug in the analyzer; fall back to doing that chunk here.
        handles
            .into_iter()
            .zip(entries.chunks(chunk_size))
            .flat_map(|(handle, chunk)| handle.join().unwrap_or_else(|_| analyse(chunk)))
            .collect()
    })
}

/// The text of each of [`TEXT_FIELDS`] for an entry.
fn field_texts(entry: &Entry) -> [String; 4] {
    let name = std::iter::once(entry.title.as_str()).chain(entry.aliases.iter().map(String::as_str));
    let mut body = vec![entry.summary.as_str(), entry.for_whom.as_str()];
    body.extend(entry.categories.iter().map(String::as_str));
    body.extend(entry.details.as_deref());
    body.extend(entry.provider.as_deref());
    [
        name.collect::<Vec<_>>().join("\n"),
        entry.keywords.join("\n"),
        entry.questions.join("\n"),
        body.join("\n"),
    ]
}
