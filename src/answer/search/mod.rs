//! Full-text search over the entries with tantivy.
//!
//! Each entry becomes one document with fields of different weight: what a service *is called*
//! (title, aliases) counts most, then the everyday wording staff wrote for it (keywords), then
//! example questions, then the descriptive text. A katakana-bigram field catches spellings the
//! dictionary splits differently (にんちしょう). Queries are built in code from analyzed terms,
//! never through tantivy's query parser, so `"`, `:`, `(` or `AND` in a message are just text.
//!
//! **Scoring.** tantivy's BM25 (same idf and length normalisation, statistics over the whole
//! index), and per term its best field plus a small share of the others (a disjunction-max), so
//! an entry that repeats a word in every field does not beat one whose name *is* that word.
//! Terms add up. The per-term loop runs here, on tantivy's term dictionaries, postings and field
//! norms read into plain tables when the index is opened (11,562 postings, about 100 kB, for
//! the 66 entries; roughly 1.5 MB per thousand entries): tantivy's generic query tree (a
//! weight, a boxed scorer and a buffered union per word and field) cost several times the whole
//! rest of an answer on an index this small, and it could not tell which words each candidate
//! matched without a second pass. tantivy still builds, stores and caches the index.
//!
//! The loop earns its place: [`SearchIndex::search_with_tantivy_queries`] runs the same queries
//! through tantivy's `BooleanQuery` of `DisjunctionMaxQuery`s (a test checks that both rank the
//! same entries with the same scores), and `cargo bench --bench answer` group `search` measured,
//! medians on this 2-core machine (2026-12-03), for the six questions of the benchmark: on the
//! 66 entries 0.3–3.9 µs here against 4.0–87 µs through tantivy's queries (13 to 45 times
//! faster, and with the matched words); on 10,000 synthetic entries 3.3–347 µs against
//! 3.8–511 µs (1.1 to 2.4 times).
//!
//! **Cache.** Building the index means analysing every field of every entry: most of a cold
//! start. [`SearchIndex::open_or_build`] keeps the built index under the cache directory, in a
//! folder named by a hash of everything it depends on (the analysed text, the wording rules,
//! this program's build), written to a temporary folder and renamed, like the dictionary.

mod cache;

use std::path::Path;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::index::InvertedIndexReader;
use tantivy::postings::TermInfo;
use tantivy::schema::{Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{PreTokenizedString, TextAnalyzer};
use tantivy::{Index, Searcher, TantivyDocument};

use crate::content::knowledge::Entry;
use crate::japanese::analyzer::{
    kana_tokens, term_tokens, Analysis, Analyzer, KanaTokenizer, TermTokenizer, KANA_TOKENIZER, TERM_TOKENIZER,
};

/// The weighted text fields, heaviest first.
const TEXT_FIELDS: [(&str, f32); 4] = [("name", 4.0), ("keywords", 2.5), ("questions", 1.5), ("body", 1.0)];
/// Fields a place-name term is scored in (name and keywords): where local groups differ.
const NAME_FIELDS: usize = 2;
/// The kana field holds the readings of the first fields (name and keywords): what a service
/// is called, not every word of its description.
const KANA_SOURCE_FIELDS: usize = 2;
const KANA_FIELD: &str = "kana";
const ORD_FIELD: &str = "ord";
/// Weight of one katakana bigram: small, since a message yields many of them.
const KANA_WEIGHT: f32 = 0.25;
/// How much the second-best field of a term still counts.
const TIE_BREAKER: f32 = 0.15;
/// tantivy's BM25 constants.
const K1: f32 = 1.2;
const B: f32 = 0.75;

/// One term of a query with its weight (1.0 for a word of the message, less for a bridge).
#[derive(Debug, Clone, PartialEq)]
pub struct QueryTerm {
    pub text: String,
    pub weight: f32,
    /// Only score the name and keyword fields (place names such as 墨俣).
    pub names_only: bool,
}

#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub terms: Vec<QueryTerm>,
    pub kana_bigrams: Vec<String>,
    /// Restrict to the entries of this municipality.
    pub municipality: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Index into the entries the search index was built from.
    pub entry: usize,
    pub score: f32,
    /// Indexes into [`SearchQuery::terms`] of the terms this entry holds (in any text field).
    pub matched: Vec<usize>,
}

/// One text field as scored: its weight and BM25 length normalisation.
struct ScoredField {
    weight: f32,
    /// `K1 * (1 - B + B * length / average length)` per field-norm id, as tantivy caches it.
    norm: Box<[f32; 256]>,
}

/// One term's postings in one field of a segment: a range of [`SegmentTables::postings`].
#[derive(Debug, Clone, Copy)]
struct TermPostings {
    field: u8,
    start: u32,
    /// The document frequency.
    len: u32,
}

impl TermPostings {
    fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..(self.start + self.len) as usize
    }
}

/// What scoring needs of one segment, opened once.
struct SegmentTables {
    /// Document id → entry index.
    entries: Vec<u32>,
    /// Every term of the segment → its postings in each field holding it. Read from tantivy's
    /// term dictionaries and postings once, when the index is opened, so a query word costs one
    /// hash lookup instead of a dictionary walk per field, and no block is decoded per query
    /// (opening a term's postings cost more than scoring them on a small index).
    terms: FxHashMap<Box<str>, Vec<TermPostings>>,
    /// (document, term frequency) of every term and field, in document order per term:
    /// [`TermPostings`] are ranges of it.
    postings: Vec<(u32, u32)>,
    /// Per field of [`SearchIndex::fields`], then the kana field.
    inverted: Vec<Arc<InvertedIndexReader>>,
    /// Per field, per document: its BM25 length normalisation ([`ScoredField::norm`] of the
    /// document's field norm), looked up once per posting.
    doc_norms: Vec<Vec<f32>>,
}

pub struct SearchIndex {
    /// Keeps the segments (and a cached index's memory map) alive.
    _searcher: Searcher,
    /// The text fields, then the kana field last.
    fields: Vec<ScoredField>,
    segments: Vec<SegmentTables>,
    total_docs: u64,
    /// Per entry, its municipality.
    municipalities: Vec<String>,
    /// Per entry, its index in `municipalities` (compared per matching document).
    entry_municipality: Vec<u16>,
}

/// Why the search index could not be built or opened.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    Tantivy(#[from] tantivy::TantivyError),
    /// Reading a term dictionary of the index.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A stored document names an entry the knowledge does not have (an index built for other
    /// entries).
    #[error("document {doc} names entry {entry} of {entries}")]
    UnknownEntry { doc: u32, entry: u64, entries: usize },
    #[error("more postings than 2^32")]
    TooManyPostings,
}

impl SearchIndex {
    /// Indexes `entries` with `analyzer`, in memory.
    pub fn build(entries: &[Entry], analyzer: Arc<Analyzer>) -> Result<SearchIndex, SearchError> {
        let index = Index::create_in_ram(schema());
        write_entries(&index, entries, &analyzer)?;
        SearchIndex::open(index, entries, &analyzer)
    }

    /// The index for `entries` from the cache under `cache_dir`, built and stored there first
    /// when it is not (yet) there. `rules_key` names everything besides the entries' text that
    /// shapes the analysis (the wording rules). Any trouble with the cache falls back to
    /// building in memory: the cache only saves time.
    pub fn open_or_build(
        entries: &[Entry],
        analyzer: Arc<Analyzer>,
        cache_dir: &Path,
        rules_key: &str,
    ) -> Result<SearchIndex, SearchError> {
        let key = cache::key(entries.iter().map(|e| (field_texts(e), e.municipality.as_str())), rules_key);
        match cache::open_or_create(cache_dir, &key, |dir| {
            let index = Index::create_in_dir(dir, schema())?;
            write_entries(&index, entries, &analyzer)
        }) {
            Ok(index) => match SearchIndex::open(index, entries, &analyzer) {
                Ok(search) => return Ok(search),
                Err(e) => tracing::warn!("the cached search index cannot be used ({e}); building it in memory"),
            },
            Err(e) => tracing::warn!("no search index cache ({e:#}); building it in memory"),
        }
        SearchIndex::build(entries, analyzer)
    }

    fn open(index: Index, entries: &[Entry], analyzer: &Arc<Analyzer>) -> Result<SearchIndex, SearchError> {
        register_tokenizers(&index, analyzer);
        let schema = index.schema();
        let mut fields: Vec<(Field, f32)> = Vec::new();
        for (name, weight) in TEXT_FIELDS {
            fields.push((schema.get_field(name)?, weight));
        }
        fields.push((schema.get_field(KANA_FIELD)?, KANA_WEIGHT));
        // Manual reloads: the index never changes once built, and no file watcher is wanted.
        let reader = index.reader_builder().reload_policy(tantivy::ReloadPolicy::Manual).try_into()?;
        let searcher = reader.searcher();
        let total_docs: u64 = searcher.segment_readers().iter().map(|s| u64::from(s.max_doc())).sum();
        let mut segments = Vec::new();
        for segment in searcher.segment_readers() {
            let ords = segment.fast_fields().u64(ORD_FIELD)?;
            let mut doc_entries = Vec::with_capacity(segment.max_doc() as usize);
            for doc in 0..segment.max_doc() {
                let entry = ords.first(doc).unwrap_or(u64::MAX);
                if entry >= entries.len() as u64 {
                    return Err(SearchError::UnknownEntry { doc, entry, entries: entries.len() });
                }
                doc_entries.push(entry as u32);
            }
            let inverted: Vec<Arc<InvertedIndexReader>> =
                fields.iter().map(|(f, _)| segment.inverted_index(*f)).collect::<tantivy::Result<_>>()?;
            let fieldnorms: Vec<FieldNormReader> =
                fields.iter().map(|(f, _)| segment.get_fieldnorms_reader(*f)).collect::<tantivy::Result<_>>()?;
            let mut terms: FxHashMap<Box<str>, Vec<TermPostings>> = FxHashMap::default();
            let mut postings: Vec<(u32, u32)> = Vec::new();
            for (field, reader) in inverted.iter().enumerate() {
                let mut stream = reader.terms().stream()?;
                while let Some((key, info)) = stream.next() {
                    // Our fields only ever hold text; anything else cannot match a query word.
                    let Ok(text) = std::str::from_utf8(key) else { continue };
                    let start = postings.len();
                    read_postings(reader, info, &mut postings)?;
                    let (Ok(start), Ok(len)) = (u32::try_from(start), u32::try_from(postings.len() - start)) else {
                        return Err(SearchError::TooManyPostings);
                    };
                    terms.entry(text.into()).or_default().push(TermPostings { field: field as u8, start, len });
                }
            }
            postings.shrink_to_fit();
            let tables = SegmentTables { entries: doc_entries, terms, postings, inverted, doc_norms: Vec::new() };
            segments.push((tables, fieldnorms));
        }
        let fields: Vec<ScoredField> = fields
            .into_iter()
            .enumerate()
            .map(|(i, (_, weight))| {
                let tokens: u64 = segments.iter().map(|(s, _)| s.inverted[i].total_num_tokens()).sum();
                let average =
                    if total_docs == 0 { 1.0 } else { (tokens as f32 / total_docs as f32).max(f32::MIN_POSITIVE) };
                let mut norm = Box::new([0.0f32; 256]);
                for (id, slot) in norm.iter_mut().enumerate() {
                    let length = FieldNormReader::id_to_fieldnorm(id as u8) as f32;
                    *slot = K1 * (1.0 - B + B * length / average);
                }
                ScoredField { weight, norm }
            })
            .collect();
        let segments: Vec<SegmentTables> = segments
            .into_iter()
            .map(|(mut tables, fieldnorms)| {
                let docs = tables.entries.len() as u32;
                tables.doc_norms = fields
                    .iter()
                    .zip(&fieldnorms)
                    .map(|(field, norms)| (0..docs).map(|doc| field.norm[norms.fieldnorm_id(doc) as usize]).collect())
                    .collect();
                tables
            })
            .collect();
        let mut municipalities: Vec<String> = Vec::new();
        let mut entry_municipality = Vec::with_capacity(entries.len());
        for entry in entries {
            let id = match municipalities.iter().position(|m| *m == entry.municipality) {
                Some(id) => id,
                None => {
                    municipalities.push(entry.municipality.clone());
                    municipalities.len() - 1
                }
            };
            entry_municipality.push(u16::try_from(id).unwrap_or(u16::MAX));
        }
        Ok(SearchIndex { _searcher: searcher, fields, segments, total_docs, municipalities, entry_municipality })
    }

    /// Every distinct term of the name and keyword fields (titles, aliases, keywords): what a
    /// service is called and the staff's everyday wording for it.
    pub fn name_terms(&self) -> Vec<&str> {
        let mut terms: Vec<&str> = self
            .segments
            .iter()
            .flat_map(|segment| &segment.terms)
            .filter(|(_, postings)| postings.iter().any(|p| usize::from(p.field) < NAME_FIELDS))
            .map(|(term, _)| &**term)
            .collect();
        terms.sort_unstable();
        terms.dedup();
        terms
    }

    /// Whether any entry holds `term` in one of the text fields.
    pub fn holds(&self, term: &str) -> bool {
        let kana = (self.fields.len() - 1) as u8;
        self.segments.iter().any(|s| s.terms.get(term).is_some_and(|p| p.iter().any(|p| p.field != kana)))
    }

    /// The best `limit` entries for `query`, best first (on equal scores, the earlier entry).
    /// Empty when nothing matches.
    pub fn search(&self, query: &SearchQuery, limit: usize) -> Vec<Hit> {
        // (score, entry, segment, doc), and per segment which terms each document holds.
        // 16 bytes each: on a large index nearly every document is found by some common word.
        let mut found: Vec<(f32, u32, u32, u32)> = Vec::new();
        let mut matched_per_segment = Vec::with_capacity(self.segments.len());
        let kana = self.fields.len() - 1;
        // The area as a municipality id; `Some(None)` (an area no entry has) matches nothing.
        let area: Option<Option<u16>> = query
            .municipality
            .as_ref()
            .map(|name| self.municipalities.iter().position(|m| m == name).and_then(|id| u16::try_from(id).ok()));
        for (segment_ord, segment) in self.segments.iter().enumerate() {
            let mut pass = SegmentPass::new(segment.entries.len());
            for (index, term) in query.terms.iter().enumerate() {
                for postings in segment.terms.get(term.text.as_str()).into_iter().flatten() {
                    let field = postings.field as usize;
                    if field == kana {
                        continue;
                    }
                    // A place name still tells which entries hold it, but scores only in names.
                    let weight = if term.names_only && field >= NAME_FIELDS { 0.0 } else { term.weight };
                    self.score_postings(segment_ord, &term.text, postings, weight, &mut pass);
                }
                pass.end_term(Some(index), TIE_BREAKER);
            }
            for bigram in &query.kana_bigrams {
                for postings in segment.terms.get(bigram.as_str()).into_iter().flatten() {
                    if postings.field as usize == kana {
                        self.score_postings(segment_ord, bigram, postings, 1.0, &mut pass);
                    }
                }
                pass.end_term(None, 0.0);
            }
            found.reserve(pass.touched.len());
            for &doc in &pass.touched {
                let entry = segment.entries[doc as usize];
                let score = pass.total[doc as usize];
                let in_area = area.is_none_or(|a| Some(self.entry_municipality[entry as usize]) == a);
                if score > 0.0 && in_area {
                    found.push((score, entry, segment_ord as u32, doc));
                }
            }
            matched_per_segment.push((pass.term_mask, pass.overflow));
        }
        // Only the best `limit` are wanted: select them before sorting (on a large index most
        // documents match some common word).
        let order = |a: &(f32, u32, u32, u32), b: &(f32, u32, u32, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        let limit = limit.max(1);
        if found.len() > limit {
            found.select_nth_unstable_by(limit - 1, order);
            found.truncate(limit);
        }
        found.sort_by(order);
        let mut hits: Vec<Hit> = found
            .iter()
            .map(|&(score, entry, _, _)| Hit { entry: entry as usize, score, matched: Vec::new() })
            .collect();
        // Which terms each kept document holds: the bits of its mask, then any term past the
        // mask's width.
        for (hit, &(_, _, segment, doc)) in hits.iter_mut().zip(&found) {
            let (masks, overflow) = &matched_per_segment[segment as usize];
            let mut mask = masks[doc as usize];
            while mask != 0 {
                hit.matched.push(mask.trailing_zeros() as usize);
                mask &= mask - 1;
            }
            hit.matched.extend(overflow.iter().filter(|(d, _)| *d == doc).map(|&(_, term)| term as usize));
        }
        hits
    }

    /// The same query through tantivy's own query tree, for the benchmark that keeps the loop
    /// of [`SearchIndex::search`] honest (`cargo bench --bench answer`, group `search`): per
    /// term a `DisjunctionMaxQuery` (tie breaker `TIE_BREAKER`) of a boosted `TermQuery` per
    /// field, per kana bigram a boosted `TermQuery`, all `Should` in one `BooleanQuery`, the
    /// best `limit` by `TopDocs`. Entries and scores only: which words each matched would take
    /// a second pass. The municipality is not applied (the benchmark asks without an area).
    pub fn search_with_tantivy_queries(&self, query: &SearchQuery, limit: usize) -> tantivy::Result<Vec<(usize, f32)>> {
        use tantivy::collector::TopDocs;
        use tantivy::query::{BooleanQuery, BoostQuery, DisjunctionMaxQuery, Occur, Query, TermQuery};
        use tantivy::Term;
        let schema = self._searcher.schema();
        let text_fields: Vec<Field> =
            TEXT_FIELDS.iter().map(|(name, _)| schema.get_field(name)).collect::<tantivy::Result<_>>()?;
        let kana = schema.get_field(KANA_FIELD)?;
        let term_query = |field: Field, text: &str, boost: f32| -> Box<dyn Query> {
            let term = TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::WithFreqs);
            Box::new(BoostQuery::new(Box::new(term), boost))
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for term in &query.terms {
            let per_field: Vec<Box<dyn Query>> = text_fields
                .iter()
                .zip(TEXT_FIELDS)
                .enumerate()
                .filter(|(i, _)| !term.names_only || *i < NAME_FIELDS)
                .map(|(_, (&field, (_, weight)))| term_query(field, &term.text, term.weight * weight))
                .collect();
            clauses.push((Occur::Should, Box::new(DisjunctionMaxQuery::with_tie_breaker(per_field, TIE_BREAKER))));
        }
        for bigram in &query.kana_bigrams {
            clauses.push((Occur::Should, term_query(kana, bigram, KANA_WEIGHT)));
        }
        let top =
            self._searcher.search(&BooleanQuery::new(clauses), &TopDocs::with_limit(limit.max(1)).order_by_score())?;
        Ok(top
            .into_iter()
            .map(|(score, address)| {
                let entry = self.segments[address.segment_ord as usize].entries[address.doc_id as usize];
                (entry as usize, score)
            })
            .collect())
    }

    /// Adds the BM25 scores of `text`'s `postings` (in this segment, in their field), times
    /// `weight`, to `pass`.
    fn score_postings(
        &self,
        segment_ord: usize,
        text: &str,
        postings: &TermPostings,
        weight: f32,
        pass: &mut SegmentPass,
    ) {
        let field = postings.field as usize;
        let scored = &self.fields[field];
        // Document frequency over the whole index, as tantivy's own statistics count it.
        let doc_freq: u64 = if self.segments.len() == 1 {
            u64::from(postings.len)
        } else {
            self.segments
                .iter()
                .filter_map(|s| s.terms.get(text))
                .flatten()
                .filter(|p| p.field == postings.field)
                .map(|p| u64::from(p.len))
                .sum()
        };
        let segment = &self.segments[segment_ord];
        let idf = idf(doc_freq, self.total_docs);
        let term_weight = weight * scored.weight * idf * (1.0 + K1);
        let norms = &segment.doc_norms[field];
        for &(doc, tf) in &segment.postings[postings.range()] {
            let tf = tf as f32;
            let Some(&norm) = norms.get(doc as usize) else { continue };
            pass.add(doc, term_weight * tf / (tf + norm));
        }
    }
}

/// Appends the (document, term frequency) pairs of one term's postings to `out`, block by block
/// (128 documents each).
fn read_postings(reader: &InvertedIndexReader, info: &TermInfo, out: &mut Vec<(u32, u32)>) -> tantivy::Result<()> {
    let mut block = reader.read_block_postings_from_terminfo(info, IndexRecordOption::WithFreqs)?;
    let mut remaining = info.doc_freq as usize;
    while remaining > 0 {
        let (docs, freqs) = (block.docs(), block.freqs());
        if docs.is_empty() {
            break;
        }
        out.extend(docs.iter().zip(freqs).map(|(&doc, &tf)| (doc, tf)));
        remaining = remaining.saturating_sub(docs.len());
        if remaining > 0 {
            block.advance();
        }
    }
    Ok(())
}

/// tantivy's BM25 idf.
fn idf(doc_freq: u64, docs: u64) -> f32 {
    let doc_freq = doc_freq.min(docs);
    let x = ((docs - doc_freq) as f32 + 0.5) / (doc_freq as f32 + 0.5);
    (1.0 + x).ln()
}

/// Scratch for scoring one segment: running totals, and the current term's fields.
struct SegmentPass {
    total: Vec<f32>,
    /// Documents with any match, in order of first match.
    touched: Vec<u32>,
    is_touched: Vec<bool>,
    /// The current term: best field score and sum of field scores per document.
    term_best: Vec<f32>,
    term_sum: Vec<f32>,
    term_docs: Vec<u32>,
    in_term: Vec<bool>,
    /// Per document, bit `t` for each term `t` < 64 it holds (a mask per document instead of
    /// a (document, term) list: on a large index common words match most documents).
    term_mask: Vec<u64>,
    /// (document, term index) for terms past the mask's width (a very long message).
    overflow: Vec<(u32, u32)>,
}

impl SegmentPass {
    fn new(docs: usize) -> SegmentPass {
        SegmentPass {
            total: vec![0.0; docs],
            touched: Vec::new(),
            is_touched: vec![false; docs],
            term_best: vec![0.0; docs],
            term_sum: vec![0.0; docs],
            term_docs: Vec::new(),
            in_term: vec![false; docs],
            term_mask: vec![0; docs],
            overflow: Vec::new(),
        }
    }

    fn add(&mut self, doc: u32, score: f32) {
        let d = doc as usize;
        if d >= self.total.len() {
            return;
        }
        if !self.in_term[d] {
            self.in_term[d] = true;
            self.term_docs.push(doc);
        }
        self.term_best[d] = self.term_best[d].max(score);
        self.term_sum[d] += score;
    }

    /// Folds the current term into the totals: its best field plus `tie` times the others.
    fn end_term(&mut self, term: Option<usize>, tie: f32) {
        for doc in self.term_docs.drain(..) {
            let d = doc as usize;
            let (best, sum) = (self.term_best[d], self.term_sum[d]);
            self.total[d] += best + (sum - best) * tie;
            (self.term_best[d], self.term_sum[d], self.in_term[d]) = (0.0, 0.0, false);
            match term {
                Some(term) if term < u64::BITS as usize => self.term_mask[d] |= 1 << term,
                Some(term) => self.overflow.push((doc, term as u32)),
                None => {}
            }
            if !self.is_touched[d] {
                self.is_touched[d] = true;
                self.touched.push(doc);
            }
        }
    }
}

fn schema() -> Schema {
    let mut builder = Schema::builder();
    let indexing = |tokenizer| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default().set_tokenizer(tokenizer).set_index_option(IndexRecordOption::WithFreqs),
        )
    };
    for (name, _) in TEXT_FIELDS {
        builder.add_text_field(name, indexing(TERM_TOKENIZER));
    }
    builder.add_text_field(KANA_FIELD, indexing(KANA_TOKENIZER));
    builder.add_u64_field(ORD_FIELD, NumericOptions::default().set_fast());
    builder.build()
}

/// Custom tokenizers are not stored in the index: register them on every index we open, so
/// any text that reaches those fields is analysed the same way.
fn register_tokenizers(index: &Index, analyzer: &Arc<Analyzer>) {
    index.tokenizers().register(TERM_TOKENIZER, TextAnalyzer::builder(TermTokenizer(analyzer.clone())).build());
    index.tokenizers().register(KANA_TOKENIZER, TextAnalyzer::builder(KanaTokenizer(analyzer.clone())).build());
}

/// Analyses the entries and writes them to `index` as one commit.
fn write_entries(index: &Index, entries: &[Entry], analyzer: &Arc<Analyzer>) -> tantivy::Result<()> {
    register_tokenizers(index, analyzer);
    let schema = index.schema();
    let text_fields =
        TEXT_FIELDS.iter().map(|(name, _)| schema.get_field(name)).collect::<tantivy::Result<Vec<_>>>()?;
    let kana = schema.get_field(KANA_FIELD)?;
    let ord = schema.get_field(ORD_FIELD)?;
    let mut writer = index.writer_with_num_threads(1, 50_000_000)?;
    for (i, analyses) in analyse_all(entries, analyzer).into_iter().enumerate() {
        let mut doc = TantivyDocument::default();
        let mut kana_bigrams = Vec::new();
        for (f, (field, analysis)) in text_fields.iter().zip(&analyses).enumerate() {
            doc.add_pre_tokenized_text(*field, term_tokens(analysis));
            if f < KANA_SOURCE_FIELDS {
                kana_bigrams.extend(kana_tokens(analysis).tokens);
            }
        }
        doc.add_pre_tokenized_text(kana, PreTokenizedString { text: String::new(), tokens: kana_bigrams });
        doc.add_u64(ord, i as u64);
        writer.add_document(doc)?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok(())
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

/// The text of each of [`TEXT_FIELDS`] for an entry: its searched items, one per line, in the
/// field their key belongs to.
fn field_texts(entry: &Entry) -> [String; 4] {
    let mut fields: [Vec<&str>; 4] = Default::default();
    for (key, item) in entry.searched_items() {
        let field = match key {
            "title" | "aliases" => 0,
            "keywords" => 1,
            "questions" => 2,
            _ => 3,
        };
        fields[field].push(item);
    }
    fields.map(|items| items.join("\n"))
}
