//! A word typed again and again without a break (しにたいしにたいしにたい, たすけてたすけて), parted
//! so the dictionary reads each repetition as the word it is.
//!
//! IPADIC segments a kana run by the likeliest path through the whole run, and a run of
//! repetitions has none: しにたいしにたい comes out し|に|たいし|に|たい, and no repetition is
//! 死にたい any more. Parting them (しにたい、しにたい) gives each its own boundaries. A pure
//! function of the text; the crisis layer reads the parted text as one more reading of the
//! message.

/// The shortest and longest repeated stretch looked for, in characters.
const MIN_PERIOD: usize = 2;
const MAX_PERIOD: usize = 8;

/// `text` with 「、」 between consecutive repetitions of a kana stretch, or `None` when it holds
/// none. Runs on every message the crisis layer reads, so it allocates only when it parts.
pub fn part_repeats(text: &str) -> Option<String> {
    let mut out: Option<String> = None;
    // Where the text not yet copied to `out` starts.
    let mut copied = 0;
    let mut i = 0;
    while i < text.len() {
        match repeat_at(&text[i..]) {
            Some(len) => {
                let out = out.get_or_insert_with(|| String::with_capacity(text.len() + 16));
                out.push_str(&text[copied..i + len]);
                out.push('、');
                copied = i + len;
                i += len;
            }
            None => i += text[i..].chars().next().map_or(1, char::len_utf8),
        }
    }
    out.map(|mut out| {
        out.push_str(&text[copied..]);
        out
    })
}

/// The byte length of a kana stretch of `MIN_PERIOD`..=`MAX_PERIOD` letters at the start of
/// `text` that is written again right after it, the shortest such.
fn repeat_at(text: &str) -> Option<usize> {
    let is_kana = |c: char| matches!(c, 'ぁ'..='ゖ' | 'ァ'..='ヺ' | 'ー');
    let mut end = 0;
    for (count, c) in text.chars().take(MAX_PERIOD).enumerate() {
        if !is_kana(c) {
            return None;
        }
        end += c.len_utf8();
        if count + 1 >= MIN_PERIOD && text[end..].starts_with(&text[..end]) {
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::part_repeats;

    #[test]
    fn repetitions_are_parted_and_other_text_is_left_alone() {
        assert_eq!(part_repeats("しにたいしにたいしにたい").as_deref(), Some("しにたい、しにたい、しにたい"));
        assert_eq!(part_repeats("もうやだしにたいしにたい").as_deref(), Some("もうやだしにたい、しにたい"));
        assert_eq!(part_repeats("たすけてたすけて!").as_deref(), Some("たすけて、たすけて!"));
        assert_eq!(part_repeats("母の物忘れがひどい"), None);
        assert_eq!(part_repeats("ははは"), None, "one letter again is no word");
        assert_eq!(part_repeats("死にたい死にたい"), None, "kanji part words already");
    }
}
