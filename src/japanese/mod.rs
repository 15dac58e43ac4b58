//! Japanese analysis: from a resident's or a staff member's text to the words search and the
//! crisis layer read.
//!
//! - [`dictionary`]: IPADIC compiled once from Debian's `mecab-ipadic` sources into a cache,
//!   then memory-mapped; nothing is downloaded.
//! - [`analyzer`]: the pure function text → morphemes and terms (base forms, normalisation,
//!   the staff's spelling variants), and its adapter for tantivy.
//! - [`kana_spellings`]: the index's words as a resident may type them in kana.
//! - [`romaji`]: romaji read as kana, and English told from romaji.
//! - [`repeats`]: a word typed again and again without a break, parted.
//! - [`katakana_writing`]: a message written in katakana throughout, read as hiragana.
//!
//! It knows nothing above it: the content loaders use it only through the rules they hand it
//! (stopwords, variants), and it never reads a staff file itself.

pub mod analyzer;
pub mod dictionary;
pub mod kana_spellings;
pub mod katakana_writing;
pub mod repeats;
pub mod romaji;
