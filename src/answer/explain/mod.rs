//! `madoguchi explain 質問` and the staff `/test`: what the engine would answer, why, and what
//! to change, for staff, in Japanese.
//!
//! [`render`] formats a [`Decision`] (its [`crate::answer::decision::Explanation`] and candidates), names
//! per candidate the field of the entry each word was found in ([`fields`]), and offers the
//! changes that were tried on a copy of the knowledge and make the right entry the answer
//! ([`suggest`]). The terminal command prints the text; the staff `/test` sends the same.

pub mod fields;
pub mod suggest;

use std::fmt::Write;
use std::path::Path;

use crate::answer::decision::{Decision, Kind, Scored};
use crate::answer::engine::Engine;

use suggest::{NoSuggestion, Suggestion};

/// Fallback candidates a fix is tried for when no entry is named as the right one.
const TRIED_CANDIDATES: usize = 3;

/// What the explanation is asked for besides the decision.
pub struct Request<'a> {
    /// The area the question was asked with (as given to [`Engine::decide`]).
    pub area: Option<&'a str>,
    /// The entry staff say is the right answer, if they named one.
    pub want: Option<usize>,
    /// Where the entries' files are, to name the file to edit.
    pub index_dir: &'a Path,
    /// How staff name the right entry in this channel, as a clause ending in と (「/test 正しい項目の
    /// id 質問 と送ると」).
    pub want_usage: &'a str,
}

/// The explanation of one decision as plain text (several lines, no trailing newline).
pub fn render(decision: &Decision, engine: &Engine, request: &Request) -> String {
    let e = &decision.explanation;
    let list = |items: &[String]| if items.is_empty() { "(なし)".to_string() } else { items.join(" / ") };
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = writeln!(out, "質問: {}", decision.question);
    let _ = writeln!(out, "正規化した文: {}", e.normalized);
    if decision.cut {
        let _ = writeln!(out, "  (長いため、はじめの部分だけを読みました)");
    }
    // A word no entry holds cannot find anything: staff see which words the index lacks.
    let unknown: Vec<bool> = e.terms.iter().map(|t| !engine.knows_term(t)).collect();
    let terms: Vec<String> =
        e.terms.iter().zip(&unknown).map(|(t, &unknown)| if unknown { format!("{t}＊") } else { t.clone() }).collect();
    let _ = writeln!(out, "検索に使った言葉: {}", list(&terms));
    if unknown.contains(&true) {
        let _ = writeln!(out, "  (＊はどの項目にもない言葉です。住民の言い方なら、合う項目の keywords に足せます)");
    }
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
        Kind::Fallback if decision.empty => {
            ("答えなし(fallback)", "探す手がかりになる言葉がありませんでした".to_string())
        }
        Kind::Fallback => (
            "答えなし(fallback)",
            match top {
                Some(top) => {
                    format!("1位の確かさ {top:.2} が基準 {threshold:.2} より低いので、近い候補と総合相談窓口を出します")
                }
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
            let _ = writeln!(out, "     確かさ {:.2}  (BM25 {:.2})", candidate.confidence, candidate.score);
            if candidate.coincidence {
                let _ = writeln!(
                    out,
                    "     (この項目と重なる質問の言葉が1語ほどしかなく、どの項目にもない言葉のほうが多いため、偶然の一致とみて確かさを下げました)"
                );
            }
            write_matches(&mut out, engine, decision, candidate);
        }
    }
    let windows: Vec<String> = decision
        .general_windows
        .iter()
        .map(|&i| engine.entry(i))
        .map(|entry| format!("{}({})", entry.title, entry.municipality))
        .collect();
    let _ = writeln!(out, "総合相談窓口: {}", list(&windows));
    let wanted_lacks = request.want.map(|want| write_wanted(&mut out, engine, decision, want));
    write_suggestions(&mut out, engine, decision, request, wanted_lacks.as_deref());
    out.truncate(out.trim_end().len());
    out
}

/// Per matched word of a candidate, where in the entry it stands.
fn write_matches(out: &mut String, engine: &Engine, decision: &Decision, candidate: &Scored) {
    let entry = engine.entry(candidate.entry);
    if candidate.matched.is_empty() {
        let how = if decision.explanation.named.contains(&entry.title) {
            "(名前がメッセージに書かれていました)"
        } else {
            "(かなの読みが似ていました)"
        };
        let _ = writeln!(out, "     一致した言葉: なし {how}");
        return;
    }
    let _ = writeln!(out, "     一致した言葉:");
    for (word, found) in candidate.matched.iter().zip(fields::find(engine.analyzer(), entry, &candidate.matched)) {
        let bridged = if decision.explanation.bridged.contains(word) { "(言い換えで足した言葉)" } else { "" };
        let place = if found.is_empty() {
            "(この項目の欄には見当たりません)".to_string()
        } else {
            fields::describe(&found)
        };
        let _ = writeln!(out, "       {word}{bridged} … {place}");
    }
}

/// What kept the entry staff named from being the answer; returns the question's words it lacks.
fn write_wanted(out: &mut String, engine: &Engine, decision: &Decision, want: usize) -> Vec<String> {
    let entry = engine.entry(want);
    let threshold = engine.settings().min_confidence;
    let _ = writeln!(out, "正しい答えとして指定された項目: {}({}) {}", entry.title, entry.municipality, entry.id);
    let rank = decision.candidates.iter().position(|c| c.entry == want);
    let standing = match rank {
        Some(0) if decision.kind == Kind::Answer => "いまも1位の答えです".to_string(),
        Some(rank) => format!(
            "候補の {}位(確かさ {:.2}、答えにする基準 {threshold:.2})",
            rank + 1,
            decision.candidates[rank].confidence
        ),
        None => "候補に入っていません".to_string(),
    };
    let _ = writeln!(out, "  いま: {standing}");
    let words = suggest::own_words(decision);
    let found = fields::find(engine.analyzer(), entry, &words);
    let (held, missing): (Vec<_>, Vec<_>) = words.iter().zip(&found).partition(|(_, f)| !f.is_empty());
    let held: Vec<String> = held.iter().map(|(w, f)| format!("{w}({})", fields::describe(f))).collect();
    let missing: Vec<&str> = missing.iter().map(|(w, _)| w.as_str()).collect();
    let _ = writeln!(
        out,
        "  この項目にある質問の言葉: {}",
        if held.is_empty() { "(なし)".to_string() } else { held.join(" / ") }
    );
    let _ = writeln!(
        out,
        "  この項目にない質問の言葉: {}",
        if missing.is_empty() { "(なし)".to_string() } else { missing.join("、") }
    );
    if let Some(winner) = decision.candidates.first().filter(|c| c.entry != want) {
        let lacking: Vec<&str> =
            winner.matched.iter().filter(|w| missing.contains(&w.as_str())).map(String::as_str).collect();
        if !lacking.is_empty() {
            let _ = writeln!(
                out,
                "  1位の「{}」は、この項目にない言葉 {} で一致しています",
                engine.entry(winner.entry).title,
                lacking.join("、")
            );
        }
    }
    missing.into_iter().map(str::to_string).collect()
}

/// The fixes tried: for the entry staff named (`wanted_lacks`: the question's words it lacks, as
/// [`write_wanted`] found them), or else for the closest candidates of an unsure answer.
fn write_suggestions(
    out: &mut String,
    engine: &Engine,
    decision: &Decision,
    request: &Request,
    wanted_lacks: Option<&[String]>,
) {
    let missing_for = |entry: usize| -> Vec<String> {
        let words = suggest::own_words(decision);
        let found = fields::find(engine.analyzer(), engine.entry(entry), &words);
        words.into_iter().zip(found).filter(|(_, f)| f.is_empty()).map(|(w, _)| w).collect()
    };
    let threshold = engine.settings().min_confidence;
    let _ = writeln!(out, "直し方の提案(項目のコピーに足して、同じ質問で試した結果):");
    if let Some(want) = request.want {
        let lacks = wanted_lacks.map_or_else(|| missing_for(want), <[String]>::to_vec);
        match suggest::suggest(engine, decision, request.area, want, &lacks) {
            Ok(suggestion) => write_suggestion(out, engine, &suggestion, request.index_dir, threshold),
            Err(why) => {
                let _ = writeln!(out, "  {}", no_suggestion(&why, threshold));
            }
        }
        return;
    }
    if decision.kind != Kind::Fallback || decision.empty {
        let _ = writeln!(out, "  (答えが違うときは、{}、その項目を答えにする直し方を試します)", request.want_usage);
        return;
    }
    let _ = writeln!(out, "  近い候補のどれかが正しい答えなら:");
    let mut offered = 0;
    // Only a candidate already holding some of the resident's own words is a plausible answer
    // (adding the wording alone would make almost any entry win).
    let own = suggest::own_words(decision);
    for candidate in
        decision.candidates.iter().filter(|c| c.matched.iter().any(|w| own.contains(w))).take(TRIED_CANDIDATES)
    {
        if let Ok(suggestion) =
            suggest::suggest(engine, decision, request.area, candidate.entry, &missing_for(candidate.entry))
        {
            write_suggestion(out, engine, &suggestion, request.index_dir, threshold);
            offered += 1;
        }
    }
    if offered == 0 {
        let _ = writeln!(out, "  近い候補のどれも、言い方を足すだけでは答えになりませんでした。");
    }
    let _ = writeln!(out, "  (ほかの項目が正しいときは、{}、その項目で試します)", request.want_usage);
}

fn write_suggestion(out: &mut String, engine: &Engine, suggestion: &Suggestion, index_dir: &Path, threshold: f32) {
    let entry = engine.entry(suggestion.entry);
    let file = index_dir.join(format!("{}.toml", entry.id));
    let before = suggestion.before.map_or("候補外".to_string(), |c| format!("{c:.2}"));
    let _ = writeln!(
        out,
        "  {} に次を足すと、答えが「{}」になります(確かさ {before} → {:.2}、基準 {threshold:.2}):",
        file.display(),
        entry.title,
        suggestion.after
    );
    let quoted = |items: &[String]| items.iter().map(|i| toml_string(i)).collect::<Vec<_>>().join(", ");
    if !suggestion.change.questions.is_empty() {
        let _ = writeln!(out, "    questions に: {}", quoted(&suggestion.change.questions));
    }
    if !suggestion.change.keywords.is_empty() {
        let _ = writeln!(out, "    keywords に: {}", quoted(&suggestion.change.keywords));
    }
}

/// A text as a TOML string, ready to paste into a list.
fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

fn no_suggestion(why: &NoSuggestion, threshold: f32) -> String {
    match why {
        NoSuggestion::Crisis => "危険のサインがあるため、緊急連絡先を先に出します(検索の答えでは決まりません)".into(),
        NoSuggestion::OtherArea { entry_area, question_area } => {
            format!("この項目は{entry_area}のものですが、質問は{question_area}として探しました(自治体が違うため答えになりません)")
        }
        NoSuggestion::AlreadyAnswer => "すでにこの項目が答えです(直すところはありません)".into(),
        NoSuggestion::NoWords => "質問に探す手がかりになる言葉がありません".into(),
        NoSuggestion::TooLong => "質問が長いため、例として足す文を選んでから試してください(1文ずつ試せます)".into(),
        NoSuggestion::NotEnough { best } => {
            let reached = best.map_or("候補に入りませんでした".to_string(), |b| {
                format!("確かさは {b:.2} まで上がりました")
            });
            format!(
                "questions と keywords に足しても答えになりませんでした({reached}、基準 {threshold:.2})。ほかの項目が強く一致しているか、言葉が足りません。wording.toml の言い換えも検討してください"
            )
        }
        NoSuggestion::Failed(detail) => format!("試すことができませんでした(管理者向けの詳細: {detail})"),
    }
}
