//! From a question to a decision: the crisis check first, then the area, the staff's wording
//! bridges, search and ranking, and why, for staff.
//!
//! - [`engine`]: the [`engine::Engine`] built once from the content and shared read-only.
//! - [`decide`]: how it answers one question, step by step, into a [`decision::Decision`].
//! - [`crisis`]: danger recognised on the analyzer's morphemes, before any search.
//! - [`search`]: tantivy, its cache, and the scoring loop.
//! - [`explain`]: `madoguchi explain` and `/test`: what the engine answered, why, and what to
//!   change.
//!
//! It reads [`crate::content`] and [`crate::japanese`] and knows no channel: a decision is data
//! that the conversation layer above turns into replies.

pub mod crisis;
pub mod decide;
pub mod decision;
pub mod engine;
pub mod explain;
pub mod search;
