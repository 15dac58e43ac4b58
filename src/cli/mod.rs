//! What the printing commands print: the JSON of `ask --json` (the machine interface of
//! `../shared/eval/README.md`) and the scoring of a question set (`madoguchi eval`).
//!
//! `main.rs` holds the command-line definition and glue; this holds what the commands compute
//! and print, so tests and benchmarks use the same code.

pub mod eval;
pub mod output;
