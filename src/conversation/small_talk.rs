//! Messages that are not questions: a greeting, thanks, emoji or marks only, a bare number, a
//! message in English. Each gets a short reply of its own from `dialogs/texts.toml`
//! (`[small_talk]`) instead of "nothing found" and three cards. The dialog asks only after the
//! crisis layer has found no danger in the message.

use crate::content::dialogs::texts::SmallTalk as Phrases;
use crate::japanese::analyzer::{fold_long_vowels, normalize};
use crate::japanese::romaji::{latin, Latin};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmallTalk {
    Greeting,
    Thanks,
    /// Emoji, marks or punctuation only.
    NoWords,
    /// Digits only.
    Number,
    English,
}

/// What kind of small talk `text` is, or `None` for a question.
pub fn classify(text: &str, phrases: &Phrases) -> Option<SmallTalk> {
    let normalized = normalize(text).to_lowercase();
    let pieces: Vec<String> = normalized
        .split(|c: char| !c.is_alphanumeric())
        .map(|piece| fold_long_vowels(piece).trim_end_matches(['ー', '〜']).to_string())
        .filter(|piece| !piece.is_empty())
        .collect();
    if pieces.is_empty() {
        return (!text.trim().is_empty()).then_some(SmallTalk::NoWords);
    }
    if pieces.iter().all(|p| p.chars().all(|c| c.is_ascii_digit())) {
        return Some(SmallTalk::Number);
    }
    // Each phrase read the way the message was (width, case, long vowels), once per message.
    let read = |list: &[String]| -> Vec<String> {
        list.iter().map(|phrase| fold_long_vowels(&normalize(phrase).to_lowercase())).collect()
    };
    let (greetings, thanks) = (read(&phrases.greetings), read(&phrases.thanks));
    let is = |list: &[String], piece: &String| list.contains(piece);
    if pieces.iter().all(|p| is(&greetings, p) || is(&thanks, p)) {
        let thanked = pieces.iter().any(|p| is(&thanks, p));
        return Some(if thanked { SmallTalk::Thanks } else { SmallTalk::Greeting });
    }
    (latin(text) == Some(Latin::English)).then_some(SmallTalk::English)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phrases() -> Phrases {
        Phrases {
            greetings: vec!["こんにちは".into(), "よろしくお願いします".into(), "hello".into()],
            greeting_reply: String::new(),
            thanks: vec!["ありがとう".into(), "ありがとうございました".into()],
            thanks_reply: String::new(),
            no_words_reply: String::new(),
            number_reply: String::new(),
            english_reply: String::new(),
        }
    }

    #[test]
    fn whole_messages_of_small_talk_are_told_apart_from_questions() {
        let p = phrases();
        assert_eq!(classify("こんにちは！", &p), Some(SmallTalk::Greeting));
        assert_eq!(classify("こんにちはー。よろしくお願いします🙇", &p), Some(SmallTalk::Greeting));
        assert_eq!(classify("ありがとうございました!!", &p), Some(SmallTalk::Thanks));
        assert_eq!(classify("😭", &p), Some(SmallTalk::NoWords));
        assert_eq!(classify("🙏🙏🙏", &p), Some(SmallTalk::NoWords));
        assert_eq!(classify("？？？", &p), Some(SmallTalk::NoWords));
        assert_eq!(classify("7", &p), Some(SmallTalk::Number));
        assert_eq!(classify("１２", &p), Some(SmallTalk::Number));
        assert_eq!(classify("Hello, my mother has dementia. Where can I get help?", &p), Some(SmallTalk::English));
        assert_eq!(classify("こんにちは、母の介護のことで相談したいです", &p), None);
        assert_eq!(classify("haha ga ninchisho desu", &p), None);
        assert_eq!(classify("2歳の子を預けたい", &p), None);
        assert_eq!(classify("   ", &p), None);
    }
}
