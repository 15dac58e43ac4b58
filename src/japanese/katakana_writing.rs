//! A message written in katakana throughout (モウ シニタイ, ハハガ ウゴカナイ), read as hiragana.
//!
//! Some residents write everything in katakana: a child who has not learnt kanji, an old phone
//! or a habit from telegrams. IPADIC knows katakana as the spelling of loanwords, so シニタイ is
//! one unknown word and no rule can see 死ぬ in it; the same words in hiragana are read as the
//! verbs they are (しに|たい). A pure function of the text; the crisis layer reads the hiragana
//! text as one more reading of the message, beside the one as written.

use super::analyzer::to_hiragana;

/// The fewest katakana letters a message needs to be read so (a word or two of loanwords in a
/// hiragana message are not katakana writing).
const MIN_KATAKANA: usize = 4;

/// `text` with its katakana written in hiragana, when katakana is at least two thirds of its
/// Japanese letters (kana and kanji); `None` otherwise. Runs on every message the crisis layer
/// reads, so it allocates only when it rewrites.
pub fn katakana_as_hiragana(text: &str) -> Option<String> {
    let (mut katakana, mut other) = (0usize, 0usize);
    for c in text.chars() {
        match c {
            'ァ'..='ヺ' => katakana += 1,
            'ぁ'..='ゖ' | '\u{4E00}'..='\u{9FFF}' | '々' => other += 1,
            _ => {}
        }
    }
    (katakana >= MIN_KATAKANA && katakana >= 2 * other).then(|| to_hiragana(text))
}

#[cfg(test)]
mod tests {
    use super::katakana_as_hiragana;

    #[test]
    fn a_message_in_katakana_is_read_in_hiragana() {
        assert_eq!(katakana_as_hiragana("モウ シニタイ").as_deref(), Some("もう しにたい"));
        assert_eq!(katakana_as_hiragana("ハハガ ウゴカナイ!").as_deref(), Some("ははが うごかない!"));
    }

    #[test]
    fn loanwords_in_a_message_of_kanji_and_hiragana_are_left_alone() {
        assert_eq!(katakana_as_hiragana("ヘルパーさんに来てほしい"), None);
        assert_eq!(katakana_as_hiragana("今ベランダにいる"), None);
        assert_eq!(katakana_as_hiragana("ヤバい"), None);
        assert_eq!(katakana_as_hiragana(""), None);
    }
}
