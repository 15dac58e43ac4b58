//! The content regression: the project's question set and the crisis corpus against the real
//! `index/` and `dialogs/`. A staff edit that breaks other answers, or lets a danger through,
//! fails here before it ships; code behaviour is tested in `tests/behaviour/`.
//!
//! `cargo test --test content -- --nocapture` prints the figures.

#[path = "../support/common.rs"]
mod common;

mod crisis;
mod questions;
