//! Everything staff keep, loaded and checked in one place: `index/` (the answers) and
//! `dialogs/` (every word a resident reads, the menu, the crisis rules and contacts).
//!
//! - [`knowledge`]: `index/` (entries, places, wording) and its loader.
//! - [`dialogs`]: `dialogs/` (texts, menu, `crisis.toml` as written) and its loader.
//! - [`csv`]: the spreadsheet format of entries (pure text in and out; the file work of
//!   import and export is [`crate::staff::csv_import`]).
//! - [`survey`]: every file of both folders read or reported, so nothing is silently ignored.
//! - [`problem`] and [`toml_error`]: what is wrong with a file, on its line, in Japanese.
//!
//! The loaders here are the only way in: serving, reload, `index check` and CSV import call
//! them through [`crate::app`]. Nothing here knows search, a channel or the running bot; the
//! answer layer above compiles what these files say (the crisis rules need the analyzer).

pub mod csv;
pub mod dialogs;
pub mod knowledge;
pub mod problem;
pub mod survey;
pub mod toml_error;

pub use problem::{Problem, Severity};
