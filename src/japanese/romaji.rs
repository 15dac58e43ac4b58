//! Messages typed in Latin letters: romaji read as kana (shinitai → しにたい), and English told
//! from romaji, for a resident on a phone without Japanese input or a foreign resident. Pure
//! text work with `wana_kana`; the crisis layer and the engine read romaji through it, and the
//! conversation answers English in English.

use wana_kana::ConvertJapanese;

/// Romaji words of `text` in hiragana (shinitai → しにたい), or `None` when it holds none: a
/// resident on a phone without Japanese input, or a foreign resident, types the sounds. Only a
/// word of three letters or more that converts whole is taken (help stays help).
pub fn romaji_as_kana(text: &str) -> Option<String> {
    if !text.bytes().any(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let mut out = String::with_capacity(text.len() * 2);
    let mut changed = false;
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_alphabetic()) {
        out.push_str(&rest[..start]);
        let word_len = rest[start..].find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len() - start);
        let word = &rest[start..start + word_len];
        let kana = word.to_hiragana();
        if word.len() >= 3 && !kana.chars().any(|c| c.is_ascii_alphabetic()) {
            out.push_str(&kana);
            changed = true;
        } else {
            out.push_str(word);
        }
        rest = &rest[start + word_len..];
    }
    out.push_str(rest);
    changed.then_some(out)
}

/// How a message with no Japanese characters is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Latin {
    /// Mostly romaji words: the message read as kana.
    Romaji(String),
    /// Mostly words that are not romaji (English, most likely).
    English,
}

/// How `text` is written when it holds Latin letters and no kana or kanji; `None` otherwise.
/// Romaji when at least half of its words of three letters or more read whole as kana
/// (haha ga ninchisho desu → romaji; my mother has dementia → English).
pub fn latin(text: &str) -> Option<Latin> {
    if text.chars().any(is_japanese) || !text.bytes().any(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let words: Vec<&str> = text.split(|c: char| !c.is_ascii_alphabetic()).filter(|w| w.len() >= 3).collect();
    let romaji =
        words.iter().filter(|w| !w.to_lowercase().to_hiragana().chars().any(|c| c.is_ascii_alphabetic())).count();
    if !words.is_empty() && romaji * 2 >= words.len() {
        romaji_as_kana(&text.to_lowercase()).map(Latin::Romaji)
    } else {
        Some(Latin::English)
    }
}

fn is_japanese(c: char) -> bool {
    matches!(c, '\u{3040}'..='\u{30ff}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{ff66}'..='\u{ff9f}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn romaji_words_are_read_as_kana_and_english_is_left() {
        assert_eq!(romaji_as_kana("mou shinitai").as_deref(), Some("もう しにたい"));
        assert_eq!(romaji_as_kana("help me"), None);
        assert_eq!(romaji_as_kana("母がtaoreta、help").as_deref(), Some("母がたおれた、help"));
        assert_eq!(romaji_as_kana("日本語だけ"), None);
    }

    #[test]
    fn english_is_told_from_romaji() {
        assert_eq!(latin("Hello, my mother has dementia. Where can I get help in Setagaya?"), Some(Latin::English));
        assert_eq!(
            latin("haha ga ninchisho desu. setagaya"),
            Some(Latin::Romaji("はは ga にんちしょ です. せたがや".into()))
        );
        assert_eq!(latin("母が認知症です"), None);
        assert_eq!(latin("123"), None);
    }
}
