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
/// none.
pub fn part_repeats(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let is_kana = |c: char| matches!(c, 'ぁ'..='ゖ' | 'ァ'..='ヺ' | 'ー');
    let mut out = String::with_capacity(text.len() + 8);
    let mut parted = false;
    let mut i = 0;
    while i < chars.len() {
        let period = (MIN_PERIOD..=MAX_PERIOD).find(|&p| {
            i + 2 * p <= chars.len()
                && chars[i..i + p].iter().all(|&c| is_kana(c))
                && chars[i..i + p] == chars[i + p..i + 2 * p]
        });
        match period {
            Some(p) => {
                out.extend(&chars[i..i + p]);
                out.push('、');
                parted = true;
                i += p;
            }
            None => {
                out.push(chars[i]);
                i += 1;
            }
        }
    }
    parted.then_some(out)
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
