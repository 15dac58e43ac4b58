//! `madoguchi explain`: the real binary on a copy of index/ and dialogs/.

mod workspace;

use workspace::Workspace;

fn explain(ws: &Workspace, args: &[&str]) -> String {
    let mut all = vec!["explain"];
    all.extend_from_slice(args);
    let out = ws.run(&all);
    assert!(out.ok, "explain failed:\n{}{}", out.stdout, out.stderr);
    out.stdout
}

/// The value after `label: ` on its line.
fn field<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(label).and_then(|rest| rest.strip_prefix(": ")))
        .unwrap_or_else(|| panic!("no line {label:?} in:\n{text}"))
}

#[test]
fn explain_shows_terms_area_candidates_and_decision() {
    let ws = Workspace::new();
    let text = explain(&ws, &["用賀に住んでます。母のもの忘れがひどくなってきた"]);
    assert_eq!(field(&text, "質問"), "用賀に住んでます。母のもの忘れがひどくなってきた");
    assert_eq!(field(&text, "見つかった地名"), "用賀");
    assert_eq!(field(&text, "自治体"), "世田谷区(メッセージの地名から)");
    let terms = field(&text, "検索に使った言葉");
    assert!(terms.split(" / ").count() >= 2, "terms: {terms}");
    let bridged = field(&text, "言い換えで足した言葉(wording.toml の [[bridge]])");
    assert_eq!(field(&text, "判定"), "答え(answer)", "{text}");
    assert!(text.contains("以上なので、1位を答えとして出します"), "{text}");
    // Candidates: title, municipality, id, then confidence, BM25 and the matched words.
    let first = text.lines().position(|l| l.starts_with("  1. ")).unwrap_or_else(|| panic!("no candidate:\n{text}"));
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[first].contains("(世田谷区) setagaya/"), "{}", lines[first]);
    let scores = lines[first + 1];
    assert!(scores.contains("確かさ 0.") && scores.contains("BM25 ") && scores.contains("一致した言葉: "), "{scores}");
    let matched = scores.split("一致した言葉: ").nth(1).unwrap();
    let known: Vec<&str> = terms.split(" / ").chain(bridged.split(" / ")).collect();
    assert!(matched.split(" / ").all(|w| known.contains(&w)), "matched {matched} ⊄ terms {terms} + bridged {bridged}");
}

#[test]
fn explain_shows_bridges_the_given_area_and_a_fallback() {
    let ws = Workspace::new();
    let text = explain(&ws, &["--area", "世田谷区", "子どもをちょっと預かってほしい"]);
    assert_eq!(field(&text, "自治体"), "世田谷区(指定された自治体)");
    assert_ne!(field(&text, "言い換えで足した言葉(wording.toml の [[bridge]])"), "(なし)", "{text}");

    let text = explain(&ws, &["明日の天気は?"]);
    assert_eq!(field(&text, "判定"), "答えなし(fallback)", "{text}");
    assert_eq!(field(&text, "自治体"), "わからない(すべての自治体から探しました)");
    let windows = field(&text, "総合相談窓口");
    for municipality in ["世田谷区", "西東京市", "大垣市"] {
        assert!(windows.contains(municipality), "{windows}");
    }
}

#[test]
fn explain_shows_crisis_signals() {
    let ws = Workspace::new();
    let text = explain(&ws, &["もう生きていたくない"]);
    assert_eq!(field(&text, "判定"), "危険のサイン(crisis)", "{text}");
    assert_ne!(field(&text, "危険のサイン(dialogs/crisis.toml)"), "(なし)", "{text}");
}
