//! The analyzer on the real IPADIC: expected-token tables and a never-panics property.

use crate::common;

use madoguchi::japanese::analyzer::AnalyzerRules;
use madoguchi::japanese::kana_spellings::KanaSpellings;
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
fn staff_variants_replace_whole_words_only() {
    // index/wording.toml: 「ヘルパ」→「ヘルパー」, 「社協」→「社会福祉協議会」, 「にんちしょう」→「認知症」,
    // 「子ども」→「子供」, 「しゃきょう」→「社会福祉協議会」.
    let analyzer = common::shared_analyzer();
    let normalized = |text: &str| analyzer.analyze(text).normalized;
    assert_eq!(normalized("ヘルパーさんに来てほしい"), "ヘルパーさんに来てほしい", "help: ヘルパ is inside ヘルパー");
    assert_eq!(normalized("ヘルパさんに来てほしい"), "ヘルパーさんに来てほしい");
    assert_eq!(terms("ヘルパーさんに来てほしい"), terms("ヘルパさんに来てほしい"));
    assert_eq!(normalized("社協ってなにするところ"), "社会福祉協議会ってなにするところ", "help: って begins with っ");
    // Kana the dictionary cannot place is what kana variants are for: its guesses do not block them.
    assert_eq!(normalized("にんちしょうのはは"), "認知症のはは");
    assert_eq!(normalized("しゃきょうにききたい"), "社会福祉協議会にききたい");
    assert_eq!(normalized("あんすこの人から"), "あんしんすこやかセンターの人から", "help: あん/す/この is a guess");
    assert_eq!(normalized("子ども食堂"), "子供食堂");
    // A word the dictionary knows, running across the spelling's edge, keeps it.
    let rules = AnalyzerRules { variants: vec![("中".into(), "なか".into())], ..AnalyzerRules::default() };
    let own = common::analyzer(rules);
    assert_eq!(own.analyze("中学生の娘").normalized, "中学生の娘");
    assert_eq!(own.analyze("家の中で").normalized, "家のなかで");
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
fn reading_of_a_whole_text() {
    let analyzer = common::shared_analyzer();
    assert_eq!(analyzer.reading("配食サービス"), "ハイショクサビス");
    assert_eq!(analyzer.reading("家族会、です"), "カゾクカイデス", "help: symbols are left out");
    assert_eq!(analyzer.reading(""), "");
}

#[test]
fn every_kana_stretch_is_kept_with_or_without_a_content_word() {
    let analysis = common::shared_analyzer().analyze_question("認知症のかぞくかい");
    let readings: Vec<&str> = analysis.kana_spelled_runs.iter().map(|r| r.reading.as_str()).collect();
    assert!(readings.iter().any(|r| r.ends_with("カゾクカイ")), "{readings:?}");
    for run in &analysis.kana_spelled_runs {
        assert!(analysis.normalized.get(run.span.clone()).is_some(), "{run:?}");
    }
}

#[test]
fn kana_spellings_read_the_index_words_a_kana_stretch_spells() {
    let analyzer = common::shared_analyzer();
    // Words as the search index holds them (terms of titles, aliases and keywords).
    let terms = ["配食", "サビス", "家族", "家族会", "たらい", "回す", "同士"];
    let spellings = KanaSpellings::build(&analyzer, terms.into_iter());
    let spelled = |run: &str| spellings.terms_in(run).map(str::to_string).collect::<Vec<_>>();
    assert!(spelled("ハイショクセタガヤ").contains(&"配食".to_string()), "{:?}", spelled("ハイショクセタガヤ"));
    assert!(spelled("カゾクカイ").contains(&"家族会".to_string()), "{:?}", spelled("カゾクカイ"));
    // A kana word of the index (たらい) is not read out of a stretch that merely holds it, and
    // readings under four kana (ドウシ) are too often pieces of other words.
    assert_eq!(spelled("シタライイ"), Vec::<String>::new());
    assert_eq!(spelled("ドウシタライイ"), Vec::<String>::new());
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
    let kept = analysis.normalized.chars().count();
    assert!(kept <= madoguchi::japanese::analyzer::MAX_ANALYZED_CHARS && kept > 1000, "{kept} characters analysed");
    assert!(analysis.kana_bigrams.len() <= 2 * madoguchi::japanese::analyzer::MAX_TERMS);
}

/// Many different words: the first MAX_TERMS distinct ones are searched, every occurrence of
/// them kept, and nothing after.
#[test]
fn many_different_words_are_cut_to_the_first_ones() {
    use madoguchi::japanese::analyzer::MAX_TERMS;
    let syllables = ["カ", "キ", "ク", "ケ", "コ", "サ", "シ", "ス", "セ", "ソ", "タ", "チ", "ツ", "テ", "ト"];
    // Katakana words the dictionary does not know are kept whole, each its own term.
    let words: Vec<String> =
        (0..3 * MAX_TERMS).map(|i| format!("ド{}{}ム", syllables[i % 15], syllables[(i / 15) % 15])).collect();
    let analysis = common::shared_analyzer().analyze(&format!("{}。{}", words.join("と"), words[0]));
    let mut distinct: Vec<&str> = Vec::new();
    for term in &analysis.terms {
        if !distinct.contains(&term.text.as_str()) {
            distinct.push(&term.text);
        }
    }
    assert_eq!(distinct.len(), MAX_TERMS, "{distinct:?}");
    assert_eq!(distinct[0], words[0].replace('ー', ""), "{distinct:?}");
    // The first word, said again at the end, is still counted.
    assert_eq!(analysis.terms.iter().filter(|t| t.text == distinct[0]).count(), 2, "{:?}", analysis.terms);
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
