//! The thin adapter that lets tantivy index with our analyzer.
//!
//! tantivy does not store custom tokenizers in the index: [`crate::search`] registers these after
//! every index it creates. Both run the whole [`Analyzer`] and then hand tantivy a finished list,
//! so nothing here can panic on any input. Offsets are byte offsets into the normalized text,
//! clamped to the input's length (we index frequencies only, never positions or highlights).

use std::sync::Arc;

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use super::Analyzer;

/// Name under which [`TermTokenizer`] is registered.
pub const TERM_TOKENIZER: &str = "madoguchi_terms";
/// Name under which [`KanaTokenizer`] is registered.
pub const KANA_TOKENIZER: &str = "madoguchi_kana";

/// Emits the content terms (base forms).
#[derive(Clone)]
pub struct TermTokenizer(pub Arc<Analyzer>);

/// Emits the katakana reading bigrams.
#[derive(Clone)]
pub struct KanaTokenizer(pub Arc<Analyzer>);

impl Tokenizer for TermTokenizer {
    type TokenStream<'a> = ListStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ListStream {
        let analysis = self.0.analyze(text);
        let tokens = analysis.terms.into_iter().map(|t| (t.text, t.span.start, t.span.end));
        ListStream::new(tokens, text.len())
    }
}

impl Tokenizer for KanaTokenizer {
    type TokenStream<'a> = ListStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ListStream {
        let analysis = self.0.analyze(text);
        ListStream::new(analysis.kana_bigrams.into_iter().map(|b| (b, 0, 0)), text.len())
    }
}

/// A token stream over a list computed up front.
pub struct ListStream {
    tokens: std::vec::IntoIter<Token>,
    current: Token,
}

impl ListStream {
    fn new(items: impl Iterator<Item = (String, usize, usize)>, len: usize) -> ListStream {
        let tokens: Vec<Token> = items
            .enumerate()
            .map(|(position, (text, from, to))| Token {
                offset_from: from.min(len),
                offset_to: to.min(len).max(from.min(len)),
                position,
                text,
                position_length: 1,
            })
            .collect();
        ListStream { tokens: tokens.into_iter(), current: Token::default() }
    }
}

impl TokenStream for ListStream {
    fn advance(&mut self) -> bool {
        match self.tokens.next() {
            Some(token) => {
                self.current = token;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}
