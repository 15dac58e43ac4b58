//! The thin adapter between our analyzer and tantivy.
//!
//! [`crate::answer::search`] analyses each entry field once and hands tantivy the result as a
//! [`PreTokenizedString`] ([`term_tokens`], [`kana_tokens`]), so building the index costs one
//! analysis per field. The fields still name [`TermTokenizer`] / [`KanaTokenizer`], registered
//! after every index we create (tantivy does not store custom tokenizers), so any plain text that
//! reaches those fields is analysed exactly the same way. Everything here runs the whole
//! [`Analyzer`] and hands tantivy a finished list: nothing can panic on any input. Offsets are
//! byte offsets into the normalized text, clamped to the input's length (we index frequencies
//! only, never positions or highlights).

use std::sync::Arc;

use tantivy::tokenizer::{PreTokenizedString, Token, TokenStream, Tokenizer};

use super::{Analysis, Analyzer};

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

/// The content terms of an analysis, ready for a term field.
pub fn term_tokens(analysis: &Analysis) -> PreTokenizedString {
    let items = analysis.terms.iter().map(|t| (t.text.clone(), t.span.start, t.span.end));
    PreTokenizedString { text: analysis.normalized.clone(), tokens: tokens(items, analysis.normalized.len()) }
}

/// The katakana bigrams of an analysis, ready for the kana field.
pub fn kana_tokens(analysis: &Analysis) -> PreTokenizedString {
    let items = analysis.kana_bigrams.iter().map(|b| (b.clone(), 0, 0));
    PreTokenizedString { text: analysis.normalized.clone(), tokens: tokens(items, analysis.normalized.len()) }
}

impl Tokenizer for TermTokenizer {
    type TokenStream<'a> = ListStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ListStream {
        ListStream::new(term_tokens(&self.0.analyze(text)).tokens, text.len())
    }
}

impl Tokenizer for KanaTokenizer {
    type TokenStream<'a> = ListStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ListStream {
        ListStream::new(kana_tokens(&self.0.analyze(text)).tokens, text.len())
    }
}

fn tokens(items: impl Iterator<Item = (String, usize, usize)>, len: usize) -> Vec<Token> {
    items
        .enumerate()
        .map(|(position, (text, from, to))| Token {
            offset_from: from.min(len),
            offset_to: to.min(len).max(from.min(len)),
            position,
            text,
            position_length: 1,
        })
        .collect()
}

/// A token stream over a list computed up front.
pub struct ListStream {
    tokens: std::vec::IntoIter<Token>,
    current: Token,
}

impl ListStream {
    fn new(tokens: Vec<Token>, len: usize) -> ListStream {
        // Offsets are clamped to the text tantivy holds, whatever the analysis did.
        let tokens: Vec<Token> = tokens
            .into_iter()
            .map(|mut t| {
                t.offset_from = t.offset_from.min(len);
                t.offset_to = t.offset_to.min(len).max(t.offset_from);
                t
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
