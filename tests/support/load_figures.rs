//! What the load benchmarks (`benches/bot.rs`, `benches/web.rs`) share: the messages they send
//! and how they sum up what they measured.
#![allow(dead_code)]

use std::time::Duration;

use super::common;

/// The first 60 questions of the project's question set: what residents send in a run.
pub fn questions() -> Vec<String> {
    let text = std::fs::read_to_string(common::repo().join("tests/questions.jsonl")).unwrap();
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["q"].as_str().map(str::to_string))
        .take(60)
        .collect()
}

/// The `p` quantile (0–1) of latencies sorted in ascending order.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// The median of the rounds' figures.
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
