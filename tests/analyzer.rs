//! The analyzer on the real IPADIC: expected-token tables and a never-panics property.

mod common;

use madoguchi::analyzer::AnalyzerRules;
use proptest::prelude::*;

fn terms(text: &str) -> Vec<String> {
    common::shared_analyzer().analyze(text).term_texts().into_iter().map(str::to_string).collect()
}

#[test]
fn base_forms_and_content_words() {
    // (text, expected terms): verbs by base form, particles and question frames dropped.
    let table: &[(&str, &[&str])] = &[
        ("子どもを預かってもらえるところってある?", &["子供", "預かる"]),
        ("母のもの忘れがひどくなってきた", &["母", "物忘れ", "ひどい"]),
        ("電球も替えられなくて困ってる", &["電球", "替える"]),
        ("配食サービスはどこですか", &["配", "配食"]),
        ("ヘルパーさんを頼みたい", &["ヘルパ", "頼む"]),
    ];
    for (text, expected) in table {
        assert_eq!(terms(text), *expected, "help: analysis of {text:?}");
    }
}

#[test]
fn spelling_variants_meet() {
    assert_eq!(terms("子ども"), terms("子供"));
    assert_eq!(terms("こども"), terms("子供"));
    assert_eq!(terms("ヘルパー"), terms("ヘルパ"));
    assert_eq!(terms("ＤＶ"), terms("dv"));
}

#[test]
fn hiragana_spelling_meets_kanji_through_kana_bigrams() {
    let analyzer = common::analyzer(AnalyzerRules::default());
    let kanji = analyzer.analyze("認知症");
    let kana = analyzer.analyze("にんちしょう");
    assert!(!kanji.kana_bigrams.is_empty());
    assert_eq!(kanji.kana_bigrams, kana.kana_bigrams, "help: readings should meet");
}

#[test]
fn spans_point_into_the_normalized_text() {
    let analysis = common::shared_analyzer().analyze("ＡＢＣで、母が認知症かも");
    for term in &analysis.terms {
        assert!(analysis.normalized.get(term.span.clone()).is_some(), "{term:?}");
    }
}

#[test]
fn very_long_input_is_bounded() {
    let text = "介護の相談をしたいです。".repeat(2000);
    let analysis = common::shared_analyzer().analyze(&text);
    assert!(analysis.normalized.chars().count() <= madoguchi::analyzer::MAX_ANALYZED_CHARS);
    assert!(analysis.terms.len() <= 4096);
    assert!(analysis.kana_bigrams.len() <= 2 * madoguchi::analyzer::MAX_TERMS);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_unicode(text in any::<String>()) {
        let analysis = common::shared_analyzer().analyze(&text);
        for term in &analysis.terms {
            prop_assert!(analysis.normalized.get(term.span.clone()).is_some());
        }
    }

    #[test]
    fn never_panics_on_japanese_emoji_and_controls(text in "[ぁ-んァ-ン一-龥ー!?、。 \\x00-\\x1f😀-🙏\u{200d}\u{fe0f}]{0,300}") {
        let _ = common::shared_analyzer().analyze(&text);
    }
}

#[test]
fn ten_thousand_characters_of_anything() {
    let text: String = (0..10_000u32).map(|i| char::from_u32(0x20 + (i * 7919) % 0x2FFFF).unwrap_or('?')).collect();
    let _ = common::shared_analyzer().analyze(&text);
}
