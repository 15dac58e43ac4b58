//! The rule language of `dialogs/crisis.toml`, compiled against the analyzer.
//!
//! A rule is a list of conditions that must all hold in one sentence (or the whole message with
//! `scope = "message"`). A condition is one or more alternatives separated by `|`; an
//! alternative is one item, or several separated by spaces that must stand in that order with at
//! most [`PHRASE_GAP`] words between them (`息 する:ない` in 息をしていない). An item is a word
//! in its dictionary form (`死ぬ`), or `@group`, optionally with `:ending`, the ending the word
//! must be followed by (`死ぬ:たい` for 死にたい, 死んでしまいたい, しにたい; `殴る:れる` for
//! 殴られた). Words are compared by base form on the analyzer's morphemes, so one rule covers
//! every conjugation, and a word written in kana matches its kanji spelling by reading.

use std::ops::Range;

use rustc_hash::FxHashMap;

use crate::japanese::analyzer::{
    is_kana_word, to_hiragana, to_katakana, Analyzer, ConjugatedForm, Morpheme, PartOfSpeech,
};

/// Words allowed between two items of a phrase.
pub const PHRASE_GAP: usize = 3;
/// How far after a word its ending is looked for, in morphemes.
const ENDING_REACH: usize = 10;

/// A word of the rules: a sequence of base forms (one for most words; 熱中症 is 熱中 + 症).
#[derive(Debug, Clone)]
pub struct Word {
    pub text: String,
    /// Per morpheme: the base forms that match it (the written one, and its kana readings).
    pub parts: Vec<Vec<String>>,
}

/// One item of a phrase: any of `words`, followed by `ending` when given.
#[derive(Debug, Clone)]
pub struct Item {
    pub words: Vec<usize>,
    /// The base forms of the ending (たい → \[たい\]; なければよかった → \[ない, ば, よい, た\]).
    pub ending: Option<Vec<String>>,
    /// Spoken and regional spellings of the ending, as written right after the word's stem
    /// (`[spoken]` of crisis.toml: たい as たか, てえ), which the dictionary splits otherwise.
    pub spoken: Vec<String>,
    /// `:言い切り`: the word in its dictionary form itself (死ぬ in 「死ぬ」と言う, not 死んだ).
    pub plain: bool,
}

/// The ending written for a word in its dictionary form (言い切りの形).
pub const PLAIN_ENDING: &str = "言い切り";

#[derive(Debug, Clone)]
pub struct Condition {
    pub text: String,
    pub alternatives: Vec<Vec<Item>>,
}

impl Condition {
    /// Whether some alternative's first word is among the words found (`found[word]`): a
    /// condition can hold only then, and most do not for a given message, so a rule is passed
    /// over without a phrase search.
    pub fn may_hold(&self, found: &[bool]) -> bool {
        self.alternatives.iter().any(|items| {
            items.first().is_some_and(|item| item.words.iter().any(|&w| found.get(w).copied().unwrap_or(false)))
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Sentence,
    Message,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub kind: usize,
    pub conditions: Vec<Condition>,
    pub scope: Scope,
    /// Line in `crisis.toml`, for explain.
    pub line: usize,
}

/// Every word the rules and the modality lists use, indexed by the base form of its first
/// morpheme, so a message is scanned once.
#[derive(Debug, Default)]
pub struct Lexicon {
    pub words: Vec<Word>,
    by_text: FxHashMap<String, usize>,
    by_first_base: FxHashMap<String, Vec<usize>>,
}

/// Where a word stands in a message: morphemes `range`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub word: usize,
    pub range: Range<usize>,
}

/// Why a word cannot be used in a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WordProblem {
    Empty,
    /// The analyzer reads it as symbols only.
    NoWord,
    /// A conjugated form where the dictionary form is meant (死に → 死ぬ).
    Conjugated {
        base: String,
    },
}

impl Lexicon {
    /// The id of `text` as a word, compiled on first use.
    pub fn intern(&mut self, text: &str, analyzer: &Analyzer) -> Result<usize, WordProblem> {
        let text = text.trim();
        if let Some(&id) = self.by_text.get(text) {
            return Ok(id);
        }
        if text.is_empty() {
            return Err(WordProblem::Empty);
        }
        let analysis = analyzer.analyze_question(text);
        let morphemes: Vec<&Morpheme> = analysis.morphemes.iter().filter(|m| m.pos != PartOfSpeech::Symbol).collect();
        if morphemes.is_empty() {
            return Err(WordProblem::NoWord);
        }
        if let Some(last) = morphemes.last() {
            let surface = last.surface(&analysis.normalized);
            let conjugates = matches!(last.pos, PartOfSpeech::Verb { .. } | PartOfSpeech::Adjective { .. });
            if conjugates && surface != last.base {
                let mut base = analysis.normalized[..last.span.start].to_string();
                base.push_str(&last.base);
                return Err(WordProblem::Conjugated { base });
            }
        }
        let parts: Vec<Vec<String>> = morphemes.iter().map(|m| spellings_of(&m.base, analyzer)).collect();
        let id = self.words.len();
        for first in &parts[0] {
            let ids = self.by_first_base.entry(first.clone()).or_default();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        self.words.push(Word { text: text.to_string(), parts });
        self.by_text.insert(text.to_string(), id);
        Ok(id)
    }

    /// Every place a word of the lexicon stands in `morphemes`.
    pub fn find(&self, morphemes: &[Morpheme]) -> Vec<Found> {
        let mut found = Vec::new();
        for (i, m) in morphemes.iter().enumerate() {
            if is_aspect_auxiliary(m) {
                continue;
            }
            let Some(ids) = self.by_first_base.get(m.base.as_str()) else { continue };
            for &id in ids {
                let parts = &self.words[id].parts;
                let fits = parts.len() <= morphemes.len() - i
                    && parts
                        .iter()
                        .zip(&morphemes[i..])
                        .all(|(bases, m)| bases.contains(&m.base) && !grammar_as_kanji(bases, m))
                    && !stranded_irrealis(morphemes, i + parts.len() - 1);
                if fits {
                    found.push(Found { word: id, range: i..i + parts.len() });
                }
            }
        }
        found
    }
}

/// Whether `m` meets a kanji word only through a one-kana reading while being grammar: the
/// particle て is no 手, the auxiliary よう no 酔う's reading, ち after a verb no 血. A noun
/// (or a word the dictionary does not know) written in kana still is: ちがとまらん.
fn grammar_as_kanji(bases: &[String], m: &Morpheme) -> bool {
    let by_reading = bases.first().is_some_and(|written| *written != m.base);
    let short = m.base.chars().count() <= 1 || m.base == "よう";
    by_reading
        && short
        && !matches!(m.pos, PartOfSpeech::Noun { dependent: false, suffix: false, .. } | PartOfSpeech::Unknown)
}

/// The base forms that spell a dictionary word: as written, and, for a word with kanji, its
/// reading in hiragana and katakana (死ぬ: しぬ, シヌ), which is what IPADIC gives as the base
/// of a kana-written verb (しにたい → しぬ).
fn spellings_of(base: &str, analyzer: &Analyzer) -> Vec<String> {
    let mut spellings = vec![base.to_string()];
    if !is_kana_word(base) {
        let reading = analyzer.reading(base);
        if !reading.is_empty() && is_kana_word(&reading) {
            let hiragana = to_hiragana(&reading);
            for spelling in [hiragana, reading] {
                if !spellings.contains(&spelling) {
                    spellings.push(spelling);
                }
            }
        }
    } else {
        for spelling in [to_hiragana(base), to_katakana(base)] {
            if !spellings.contains(&spelling) {
                spellings.push(spelling);
            }
        }
    }
    spellings
}

/// A verb after て that only says how an action runs (探して|いる, 持って|くる, 食べて|しまう):
/// an ending, never the word いる or くる of a rule, for 「人を探している」 is not 「屋上にいる」.
/// The verbs of giving and receiving (替えて|もらう, 来て|くれる) are left words: whether
/// someone does a thing for a child is what a rule may ask.
/// A verb in its 未然形 with nothing after it that takes one (ない, れる, せる, ん): no verb at
/// all, but the dictionary's guess at kana it does not know (the dialect けん, "because", read as
/// 蹴る).
fn stranded_irrealis(morphemes: &[Morpheme], last: usize) -> bool {
    let m = &morphemes[last];
    matches!(m.pos, PartOfSpeech::Verb { .. })
        && m.form == ConjugatedForm::Irrealis
        && !morphemes
            .get(last + 1)
            .is_some_and(|n| matches!(n.pos, PartOfSpeech::Auxiliary | PartOfSpeech::Verb { .. }))
}

fn is_aspect_auxiliary(m: &Morpheme) -> bool {
    matches!(m.pos, PartOfSpeech::Verb { dependent: true })
        && matches!(
            m.base.as_str(),
            "いる" | "おる" | "ある" | "くる" | "来る" | "いく" | "行く" | "しまう" | "おく" | "みる"
        )
}

/// A morpheme that only carries grammar: what may stand between a word and its ending.
pub fn is_function(m: &Morpheme) -> bool {
    match m.pos {
        PartOfSpeech::Particle(_) | PartOfSpeech::Auxiliary => true,
        // まう, ちまう, じまう: しまう as Nagoya, Kansai and Tokyo speech say it (死んでまいたい,
        // 死んじまいたい), which IPADIC takes for a verb of its own.
        PartOfSpeech::Verb { dependent } => dependent || matches!(m.base.as_str(), "まう" | "ちまう" | "じまう"),
        PartOfSpeech::Adjective { dependent } => dependent,
        PartOfSpeech::Noun { dependent, suffix, .. } => dependent || suffix,
        _ => false,
    }
}

/// Same ending, another spelling: the conjunctive て is で after some verbs (死んで); the
/// passive れる is られる after a verb of the ichidan class (殴られる, 閉じ込められる); ほう is
/// also written 方 (死んだ方がいい).
pub fn same_base(a: &str, b: &str) -> bool {
    a == b
        || matches!(
            (a, b),
            ("て", "で")
                | ("で", "て")
                | ("た", "だ")
                | ("だ", "た")
                | ("れる", "られる")
                | ("られる", "れる")
                | ("ほう", "方")
                | ("方", "ほう")
        )
}

/// Whether `m`, after `before`, is the negation an ending's ない stands for: ない itself, or
/// the negative auxiliaries of older and regional speech after a verb's irrealis form (動かん,
/// 目を開けず, 起きぬ) and Kansai's へん/ひん (返事せえへん).
fn negates(m: &Morpheme, before: Option<&Morpheme>) -> bool {
    let after_irrealis =
        before.is_some_and(|b| b.form == ConjugatedForm::Irrealis || matches!(b.pos, PartOfSpeech::Verb { .. }));
    match m.base.as_str() {
        "ない" => true,
        "ん" | "ぬ" | "ず" => m.pos == PartOfSpeech::Auxiliary && after_irrealis,
        "へん" | "ひん" => after_irrealis,
        _ => false,
    }
}

/// Where `ending` ends when it follows the morphemes before `start` (index after its last
/// morpheme), or `None`. Only grammar may stand between (死んでしまいたい: で, しまう).
pub fn ending_end(morphemes: &[Morpheme], start: usize, ending: &[String]) -> Option<usize> {
    let mut next = 0;
    // 息ができん, 起き上がれん: the negative in the verb itself (not できんの, できるの said fast).
    let contracted_negative = start > 0
        && morphemes[start - 1].form == ConjugatedForm::Contracted
        && !morphemes.get(start).is_some_and(|m| matches!(m.base.as_str(), "の" | "ん" | "だ" | "です"));
    if ending[0] == "ない" && contracted_negative {
        next = 1;
        if ending.len() == 1 {
            return Some(start);
        }
    }
    for i in start..morphemes.len().min(start + ENDING_REACH) {
        let m = &morphemes[i];
        let volitional = matches!(ending[next].as_str(), "う" | "よう");
        let before = i.checked_sub(1).map(|b| &morphemes[b]);
        // The volitional う follows a verb (死のう, しまおう), not だ (死ぬだろう).
        let fits = if ending[next] == "ない" {
            negates(m, before)
        } else {
            same_base(&m.base, &ending[next])
                && (!volitional || before.is_some_and(|b| matches!(b.pos, PartOfSpeech::Verb { .. })))
        };
        if fits {
            next += 1;
            if next == ending.len() {
                return Some(i + 1);
            }
        } else if ending[next] == "て" && is_contracted_te_iru(m, before) {
            // 倒れてる, 死んでる: て and いる in one word.
            next += if ending.get(next + 1).is_some_and(|e| e == "いる") { 2 } else { 1 };
            if next >= ending.len() {
                return Some(i + 1);
            }
        } else if !is_function(m) {
            return None;
        }
    }
    None
}

/// てる, でる: ている said as one word after a verb's continuative (倒れ|てる, 死ん|でる). IPADIC
/// tags them as dependent verbs. Western Japan's ておる said the same way (倒れ|とる, 死ん|どる,
/// 殴られ|とる) IPADIC reads as the verb とる; after a continuative it is ている too.
fn is_contracted_te_iru(m: &Morpheme, before: Option<&Morpheme>) -> bool {
    let after_continuative =
        before.is_some_and(|b| matches!(b.pos, PartOfSpeech::Verb { .. }) && b.form == ConjugatedForm::Continuative);
    let standard =
        matches!(m.base.as_str(), "てる" | "でる") && matches!(m.pos, PartOfSpeech::Verb { dependent: true });
    let western = matches!(m.base.as_str(), "とる" | "どる") && matches!(m.pos, PartOfSpeech::Verb { .. });
    (standard || western) && after_continuative
}

/// Where a spoken spelling of an ending ends when it is written right after the word that ends
/// at morpheme `start` (index after its last morpheme), or `None`. The word must be in its
/// continuative form (死に|たか, 死に|てえ): the spellings stand for endings that follow it.
///
/// A spelling may be drawn out (死にてゃあ, 死にてえええ) but not run on into another word
/// (死に|たかった). The bare spelling て stands for たい only after a godan verb whose て-form is
/// another (死に|て, where standard Japanese writes 死んで), and at the end of what is said:
/// after 消え or 起き it is the ordinary て-form.
pub fn spoken_end(text: &str, morphemes: &[Morpheme], start: usize, spoken: &[String]) -> Option<usize> {
    let word = morphemes.get(start.checked_sub(1)?)?;
    if word.form != ConjugatedForm::Continuative {
        return None;
    }
    let rest = text.get(word.span.end..)?;
    let mut spellings: Vec<&String> = spoken.iter().filter(|s| rest.starts_with(s.as_str())).collect();
    spellings.sort_by_key(|s| std::cmp::Reverse(s.len()));
    spellings.into_iter().find_map(|spelling| {
        let end = word.span.end + spelling.len();
        let last = (start..morphemes.len()).find(|&i| morphemes[i].span.end >= end)?;
        let drawn_out = text.get(end..morphemes[last].span.end)?.chars().all(is_drawn_out);
        if !drawn_out {
            return None;
        }
        if spelling == "て" {
            // 死に, 帰り, 飲み: the plain continuative of a godan verb, not its euphonic form
            // (なっ, 死ん, 書い), nor an ichidan stem (消え), nor す's し, all of which take て.
            let surface = word.surface(text);
            let plain_godan = surface.ends_with(['き', 'ぎ', 'ち', 'に', 'ひ', 'び', 'み', 'り'])
                && format!("{surface}る") != word.base;
            let goes_on = morphemes
                .get(last + 1)
                .is_some_and(|m| matches!(m.pos, PartOfSpeech::Verb { .. } | PartOfSpeech::Auxiliary));
            if !plain_godan || goes_on {
                return None;
            }
        }
        Some(last + 1)
    })
}

/// A letter that only draws a word out or stresses it (てえええ, てゃあ, たーい, たいっ).
fn is_drawn_out(c: char) -> bool {
    matches!(c, 'ー' | '〜' | '~' | 'あ' | 'ぁ' | 'え' | 'ぇ' | 'っ')
}

/// Quotation marks, which stand inside a sentence.
fn is_quote_mark(surface: &str) -> bool {
    matches!(surface, "「" | "」" | "『" | "』" | "\"" | "“" | "”")
}

/// Where one phrase (items in order) stands among the words `found` within `sentence`.
pub fn phrase_at(
    items: &[Item],
    found: &[Found],
    text: &str,
    morphemes: &[Morpheme],
    sentence: &Range<usize>,
) -> Option<PhraseMatch> {
    struct Search<'a> {
        items: &'a [Item],
        found: &'a [Found],
        text: &'a str,
        morphemes: &'a [Morpheme],
        sentence: &'a Range<usize>,
    }
    impl Search<'_> {
        /// Item `k` onward, after morpheme `after` (the previous item's end), the phrase having
        /// begun at `start`; `anchor` is the last item with an ending so far.
        fn from(
            &self,
            k: usize,
            after: Option<usize>,
            start: usize,
            anchor: Option<Range<usize>>,
        ) -> Option<PhraseMatch> {
            let item = &self.items[k];
            for f in self.found {
                if !item.words.contains(&f.word)
                    || f.range.start < self.sentence.start
                    || f.range.end > self.sentence.end
                {
                    continue;
                }
                if let Some(after) = after {
                    let near = f.range.start >= after && f.range.start <= after + PHRASE_GAP;
                    // A quotation mark does not part a phrase (「もう死ぬ」と言って); other marks do.
                    let parted = || {
                        self.morphemes[after..f.range.start]
                            .iter()
                            .any(|m| m.pos == PartOfSpeech::Symbol && !is_quote_mark(m.surface(self.text)))
                    };
                    if !near || parted() {
                        continue;
                    }
                }
                if item.plain && self.morphemes[f.range.end - 1].form != ConjugatedForm::Plain {
                    continue;
                }
                let end = match &item.ending {
                    Some(ending) => match ending_end(self.morphemes, f.range.end, ending)
                        .or_else(|| spoken_end(self.text, self.morphemes, f.range.end, &item.spoken))
                    {
                        Some(end) if end <= self.sentence.end => end,
                        _ => continue,
                    },
                    None => f.range.end,
                };
                let start = if after.is_none() { f.range.start } else { start };
                let anchor = if item.ending.is_some() { Some(f.range.start..end) } else { anchor.clone() };
                if k + 1 == self.items.len() {
                    // Without an ending anywhere, the last word is the predicate.
                    let anchor = anchor.unwrap_or(f.range.start..end);
                    return Some(PhraseMatch { range: start..end, anchor });
                }
                if let Some(found) = self.from(k + 1, Some(end), start, anchor) {
                    return Some(found);
                }
            }
            None
        }
    }
    if items.is_empty() {
        return None;
    }
    Search { items, found, text, morphemes, sentence }.from(0, None, 0, None)
}

/// A phrase found in a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhraseMatch {
    pub range: Range<usize>,
    /// The predicate the modality is read from: the word with its ending.
    pub anchor: Range<usize>,
}
