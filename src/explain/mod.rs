//! `madoguchi explain 質問`: what the engine would answer and why, for staff, in Japanese.
//!
//! Pure formatting of a [`Decision`] (its [`crate::engine::Explanation`] and candidates); the
//! terminal command prints it, and a staff `/test` command can send the same text.

use std::fmt::Write;

use crate::engine::{Decision, Engine, Kind};

/// The explanation of one decision as plain text (several lines, no trailing newline).
pub fn render(decision: &Decision, engine: &Engine) -> String {
    let e = &decision.explanation;
    let list = |items: &[String]| if items.is_empty() { "(なし)".to_string() } else { items.join(" / ") };
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = writeln!(out, "質問: {}", decision.question);
    let _ = writeln!(out, "正規化した文: {}", e.normalized);
    if decision.cut {
        let _ = writeln!(out, "  (長いため、はじめの部分だけを読みました)");
    }
    let _ = writeln!(out, "検索に使った言葉: {}", list(&e.terms));
    let _ = writeln!(out, "かな書きから読んだ言葉: {}", list(&e.kana_read));
    let _ = writeln!(out, "言い換えで足した言葉(wording.toml の [[bridge]]): {}", list(&e.bridged));
    let _ = writeln!(out, "見つかった地名: {}", list(&e.places));
    let area = match (&decision.area, decision.area_from_message) {
        (Some(area), true) => format!("{area}(メッセージの地名から)"),
        (Some(area), false) => format!("{area}(指定された自治体)"),
        (None, _) => "わからない(すべての自治体から探しました)".to_string(),
    };
    let _ = writeln!(out, "自治体: {area}");
    let _ = writeln!(out, "名前が書かれていたサービス: {}", list(&e.named));
    let mentions: Vec<String> = decision
        .crisis
        .mentions
        .iter()
        .map(|m| {
            let reply = m.kind.as_deref().unwrap_or("返信なし(福祉の質問として答えます)");
            format!("{}行目の {}「{}」: {} → {reply}", m.line, m.rule_kind, m.words.join("・"), m.modality.label())
        })
        .collect();
    let _ = writeln!(out, "危険のサイン(dialogs/crisis.toml): {}", list(&mentions));

    let threshold = engine.settings().min_confidence;
    let top = decision.candidates.first().map(|c| c.confidence);
    let (kind, why) = match decision.kind {
        Kind::Crisis => ("危険のサイン(crisis)", "緊急連絡先を最初に出し、そのあとに相談窓口を出します".to_string()),
        Kind::Answer => (
            "答え(answer)",
            format!("1位の確かさ {:.2} が基準 {threshold:.2} 以上なので、1位を答えとして出します", top.unwrap_or(0.0)),
        ),
        Kind::Fallback if decision.empty => ("答えなし(fallback)", "探す手がかりになる言葉がありませんでした".to_string()),
        Kind::Fallback => (
            "答えなし(fallback)",
            match top {
                Some(top) => format!("1位の確かさ {top:.2} が基準 {threshold:.2} より低いので、近い候補と総合相談窓口を出します"),
                None => "合う項目が見つからないので、総合相談窓口を出します".to_string(),
            },
        ),
    };
    let _ = writeln!(out, "判定: {kind}");
    let _ = writeln!(out, "  理由: {why}");

    let heading = match decision.kind {
        Kind::Crisis => "緊急連絡先のあとに出す窓口",
        Kind::Answer => "答えと、ほかの候補",
        Kind::Fallback => "近い候補",
    };
    let _ = writeln!(out, "{heading}:");
    if decision.candidates.is_empty() {
        let _ = writeln!(out, "  (なし)");
    }
    for (rank, candidate) in decision.candidates.iter().enumerate() {
        let entry = engine.entry(candidate.entry);
        let _ = writeln!(out, "  {}. {}({}) {}", rank + 1, entry.title, entry.municipality, entry.id);
        if decision.kind != Kind::Crisis {
            let _ = writeln!(
                out,
                "     確かさ {:.2}  BM25 {:.2}  一致した言葉: {}",
                candidate.confidence,
                candidate.score,
                list(&candidate.matched)
            );
        }
    }
    let windows: Vec<String> = decision
        .general_windows
        .iter()
        .map(|&i| engine.entry(i))
        .map(|entry| format!("{}({})", entry.title, entry.municipality))
        .collect();
    let _ = write!(out, "総合相談窓口: {}", list(&windows));
    out
}
