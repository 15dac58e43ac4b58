//! A term's best field: the score of a term is its best field's score plus a small share of the
//! others (what tantivy's `DisjunctionMaxQuery` computes).
//!
//! tantivy builds a buffered union (tens of kilobytes of scratch) for every `DisjunctionMaxQuery`,
//! and a question has one per word: that scratch cost more than the whole search. A term has at
//! most a handful of fields, so here the fields' postings are merged directly, doc by doc.

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TantivyError, Term, TERMINATED};

/// The best of `clauses` (each usually a boosted term query on one field), plus `tie` times
/// the rest.
#[derive(Debug)]
pub struct BestFieldQuery {
    clauses: Vec<Box<dyn Query>>,
    tie: Score,
}

impl BestFieldQuery {
    pub fn new(clauses: Vec<Box<dyn Query>>, tie: Score) -> BestFieldQuery {
        BestFieldQuery { clauses, tie }
    }
}

impl Clone for BestFieldQuery {
    fn clone(&self) -> Self {
        BestFieldQuery { clauses: self.clauses.iter().map(|c| c.box_clone()).collect(), tie: self.tie }
    }
}

impl Query for BestFieldQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let weights = self.clauses.iter().map(|c| c.weight(enable_scoring)).collect::<tantivy::Result<_>>()?;
        Ok(Box::new(BestFieldWeight { weights, tie: self.tie }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for clause in &self.clauses {
            clause.query_terms(visitor);
        }
    }
}

struct BestFieldWeight {
    weights: Vec<Box<dyn Weight>>,
    tie: Score,
}

impl Weight for BestFieldWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut children = Vec::with_capacity(self.weights.len());
        for weight in &self.weights {
            let child = weight.scorer(reader, boost)?;
            if child.doc() != TERMINATED {
                children.push(child);
            }
        }
        let doc = children.iter().map(|c| c.doc()).min().unwrap_or(TERMINATED);
        Ok(Box::new(BestFieldScorer { children, doc, tie: self.tie }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!("document {doc} does not match")));
        }
        Ok(Explanation::new("best field of a term", scorer.score()))
    }
}

struct BestFieldScorer {
    /// Each positioned on its next candidate document.
    children: Vec<Box<dyn Scorer>>,
    doc: DocId,
    tie: Score,
}

impl DocSet for BestFieldScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        let current = self.doc;
        let mut next = TERMINATED;
        for child in &mut self.children {
            if child.doc() == current {
                child.advance();
            }
            next = next.min(child.doc());
        }
        self.doc = next;
        next
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.children.iter().map(|c| c.size_hint()).max().unwrap_or(0)
    }
}

impl Scorer for BestFieldScorer {
    fn score(&mut self) -> Score {
        let (mut max, mut sum) = (0.0, 0.0);
        for child in &mut self.children {
            if child.doc() == self.doc {
                let score = child.score();
                max = Score::max(max, score);
                sum += score;
            }
        }
        max + (sum - max) * self.tie
    }
}
