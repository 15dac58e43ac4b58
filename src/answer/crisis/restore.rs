//! Crisis verbs written in kana, given back their kanji so the dictionary can read them.
//!
//! IPADIC segments a verb written in hiragana by guesswork: しぬしかない is し|ぬ|しか|ない,
//! くすりいっぱいのんだ ends の|ん|だ, おかあさんが かえってこない reads かえって as an adverb.
//! A child, a resident in a hurry or on a phone without conversion writes exactly so. The rules'
//! own verbs and adjectives are known, and so are their readings; from a reading, the kana forms
//! of every conjugation follow (し|な, し|に, し|ぬ, し|ね, し|の, し|ん for 死ぬ). Where a kana
//! stretch spells one of them, at a place the dictionary put a word boundary and followed by what
//! that form is followed by in Japanese (しに before た, ま, そ; しん before だ, で), it is
//! written with the kanji (死に, 死ん) and the text is analysed again. The crisis layer reads both
//! analyses; a restoration that makes no sense to the dictionary simply matches no rule.

use rustc_hash::FxHashMap;

use crate::japanese::analyzer::{Analysis, Analyzer, PartOfSpeech};

/// What may follow one form of a conjugation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    /// 未然形: ない, れる, せる, ず (死なない, 殴られる).
    Irrealis,
    /// 連用形: たい, ます, そう, ながら, に (死にたい, 飲みました).
    Continuative,
    /// 終止形・連体形: the end of the text or of the kana, or a particle (死ぬしかない).
    Terminal,
    /// 仮定形・命令形: ば, る, or the end (死ねば, しね!).
    Hypothetical,
    /// 意志形: う (死のう).
    Volitional,
    /// 音便: the て or た it stands before (死んで, 飲んだ, 帰って).
    Euphonic { voiced: bool },
    /// A noun: a particle or the end (おっとが → 夫が, しょうがくせいです → 小学生です).
    Noun,
}

impl Next {
    fn allows(self, after: Option<char>) -> bool {
        let hiragana = |c: char| matches!(c, 'ぁ'..='ゖ');
        match (self, after) {
            (Next::Terminal | Next::Hypothetical, None) => true,
            (Next::Terminal | Next::Hypothetical, Some(c)) if !hiragana(c) => true,
            (Next::Irrealis, Some(c)) => matches!(c, 'な' | 'れ' | 'せ' | 'ず'),
            (Next::Continuative, Some(c)) => matches!(c, 'た' | 'ま' | 'そ' | 'な' | 'に' | 'つ' | 'て'),
            (Next::Terminal, Some(c)) => {
                matches!(
                    c,
                    'し' | 'か'
                        | 'こ'
                        | 'の'
                        | 'ほ'
                        | 'よ'
                        | 'っ'
                        | 'と'
                        | 'な'
                        | 'べ'
                        | 'ま'
                        | 'ら'
                        | 'ぞ'
                        | 'わ'
                        | 'ね'
                        | 'ん'
                )
            }
            (Next::Hypothetical, Some(c)) => matches!(c, 'ば' | 'る' | 'っ' | 'と' | 'よ'),
            (Next::Volitional, Some(c)) => c == 'う',
            (Next::Noun, None) => true,
            (Next::Noun, Some(c)) => {
                !hiragana(c) || matches!(c, 'が' | 'に' | 'を' | 'は' | 'も' | 'の' | 'と' | 'で' | 'へ' | 'や' | 'か')
            }
            (Next::Euphonic { voiced: true }, Some(c)) => matches!(c, 'だ' | 'で'),
            (Next::Euphonic { voiced: false }, Some(c)) => matches!(c, 'た' | 'て'),
            _ => false,
        }
    }
}

/// One kana form of a crisis word and its kanji spelling.
#[derive(Debug, Clone)]
struct Form {
    kana: String,
    kanji: String,
    next: Next,
}

/// Every kana form of the crisis verbs and adjectives, in a trie of their kana: a message is
/// read once from each word start, and only as far as some form goes (a list per first kana
/// compared every form of し with every し of a message).
#[derive(Debug)]
pub struct Restorer {
    /// The forms whose kana ends at each node; node 0 is the root.
    forms: Vec<Vec<Form>>,
    /// (node, next kana) → the node it leads to.
    edges: FxHashMap<(u32, char), u32>,
}

impl Default for Restorer {
    fn default() -> Restorer {
        Restorer { forms: vec![Vec::new()], edges: FxHashMap::default() }
    }
}

/// The godan row of a dictionary-form ending: its a, i, u, e, o kana and its euphonic form.
fn godan_row(last: char) -> Option<([char; 5], char, bool)> {
    Some(match last {
        'う' => (['わ', 'い', 'う', 'え', 'お'], 'っ', false),
        'く' => (['か', 'き', 'く', 'け', 'こ'], 'い', false),
        'ぐ' => (['が', 'ぎ', 'ぐ', 'げ', 'ご'], 'い', true),
        'す' => (['さ', 'し', 'す', 'せ', 'そ'], 'し', false),
        'つ' => (['た', 'ち', 'つ', 'て', 'と'], 'っ', false),
        'ぬ' => (['な', 'に', 'ぬ', 'ね', 'の'], 'ん', true),
        'ぶ' => (['ば', 'び', 'ぶ', 'べ', 'ぼ'], 'ん', true),
        'む' => (['ま', 'み', 'む', 'め', 'も'], 'ん', true),
        'る' => (['ら', 'り', 'る', 'れ', 'ろ'], 'っ', false),
        _ => return None,
    })
}

impl Restorer {
    /// The forms of `words` (dictionary forms, as the rules write them) that have kanji.
    pub fn new<'a>(words: impl Iterator<Item = &'a str>, analyzer: &Analyzer) -> Restorer {
        let mut restorer = Restorer::default();
        for word in words {
            let analysis = analyzer.analyze_question(word);
            if word.chars().all(|c| matches!(c, 'ぁ'..='ゖ' | 'ァ'..='ヺ' | 'ー')) {
                continue;
            }
            let reading = crate::japanese::analyzer::to_hiragana(&analyzer.reading(word));
            let nouns =
                analysis.morphemes.iter().all(|m| matches!(m.pos, PartOfSpeech::Noun { .. } | PartOfSpeech::Prefix));
            // A noun is written in kana whole (おっと, しょうがくせい, おにいちゃん); one of fewer
            // than three kana (ち, はは) is in too many other words.
            if nouns && reading.chars().count() >= 3 && reading.chars().all(|c| matches!(c, 'ぁ'..='ゖ')) {
                restorer.insert(Form { kana: reading.clone(), kanji: word.to_string(), next: Next::Noun });
                continue;
            }
            let [morpheme] = analysis.morphemes.as_slice() else { continue };
            let verb = matches!(morpheme.pos, PartOfSpeech::Verb { .. });
            let adjective = matches!(morpheme.pos, PartOfSpeech::Adjective { .. });
            if !(verb || adjective) || morpheme.base != word {
                continue;
            }
            // The okurigana the kanji spelling and the reading share: 死|ぬ and し|ぬ.
            let shared = word.chars().rev().zip(reading.chars().rev()).take_while(|(a, b)| a == b).count();
            let (kanji_stem, kana_stem): (String, String) = (
                word.chars().take(word.chars().count() - shared).collect(),
                reading.chars().take(reading.chars().count() - shared).collect(),
            );
            let okurigana: String = word.chars().skip(word.chars().count() - shared).collect();
            if kanji_stem.is_empty() || kana_stem.is_empty() || okurigana.is_empty() {
                continue;
            }
            let mut add = |kana_tail: String, next: Next| {
                restorer.insert(Form {
                    kana: format!("{kana_stem}{kana_tail}"),
                    kanji: format!("{kanji_stem}{kana_tail}"),
                    next,
                })
            };
            let head: String = okurigana.chars().take(okurigana.chars().count() - 1).collect();
            let last = okurigana.chars().last().unwrap_or(' ');
            // Adjectives written in kana the dictionary reads well (こわい, くるしい), and a
            // stem alone is in too many words (くら of くらい, かた of やりかた).
            if adjective {
                continue;
            }
            // A verb: godan forms, and for one in る after an i or e sound the ichidan ones
            // too (the reading cannot tell 帰る from 変える; the dictionary reads the result).
            if let Some((row, euphonic, voiced)) = godan_row(last) {
                let nexts = [Next::Irrealis, Next::Continuative, Next::Terminal, Next::Hypothetical, Next::Volitional];
                for (kana, next) in row.iter().zip(nexts) {
                    add(format!("{head}{kana}"), next);
                }
                add(format!("{head}{euphonic}"), Next::Euphonic { voiced });
            }
            let stem = format!("{kana_stem}{head}");
            // A one-kana ichidan stem (き of 着る) is in too many other words (してきた).
            let ichidan = last == 'る'
                && stem.chars().count() >= 2
                && stem
                    .chars()
                    .last()
                    .is_some_and(|c| "いきぎしじちぢにひびぴみりえけげせぜてでねへべぺめれ".contains(c));
            if ichidan {
                add(head.clone(), Next::Continuative);
                add(head.clone(), Next::Irrealis);
                add(format!("{head}る"), Next::Terminal);
                add(format!("{head}れ"), Next::Hypothetical);
                add(format!("{head}ろ"), Next::Terminal);
                add(format!("{head}よ"), Next::Volitional);
            }
        }
        restorer
    }

    /// Adds `form` at the node its kana leads to (once for each kind of what may follow).
    fn insert(&mut self, form: Form) {
        let mut node = 0u32;
        for c in form.kana.chars() {
            node = match self.edges.get(&(node, c)) {
                Some(&next) => next,
                None => {
                    let next = self.forms.len() as u32;
                    self.forms.push(Vec::new());
                    self.edges.insert((node, c), next);
                    next
                }
            };
        }
        let forms = &mut self.forms[node as usize];
        if !forms.iter().any(|f| f.next == form.next) {
            forms.push(form);
        }
    }

    /// The forms whose kana `text` starts with, longest first.
    fn prefixes<'a>(&'a self, text: &str) -> impl Iterator<Item = &'a Form> {
        let mut path = Vec::new();
        let mut node = 0u32;
        for c in text.chars() {
            let Some(&next) = self.edges.get(&(node, c)) else { break };
            node = next;
            if !self.forms[node as usize].is_empty() {
                path.push(node);
            }
        }
        path.into_iter().rev().flat_map(|node| self.forms[node as usize].iter())
    }

    /// The text of `analysis` with the crisis words written in kana given their kanji, or `None`
    /// when it holds none.
    pub fn restore(&self, analysis: &Analysis) -> Option<String> {
        if self.edges.is_empty() {
            return None;
        }
        let text = &analysis.normalized;
        let mut out = String::with_capacity(text.len() + 16);
        let mut copied = 0;
        let morphemes = &analysis.morphemes;
        // A form must end where the dictionary ended a word, or with what follows it make up
        // the whole word (かえっ|て is the adverb かえって): inside a longer word (とん of
        // とんでもない) it is no verb.
        // The morphemes are in text order, so their ends are sorted.
        let ends_well = |word: &crate::japanese::analyzer::Morpheme, end: usize, next: Option<char>| {
            morphemes.binary_search_by_key(&end, |m| m.span.end).is_ok()
                || Some(word.span.end) == next.map(|c| end + c.len_utf8())
        };
        for morpheme in morphemes {
            let at = morpheme.span.start;
            if at < copied {
                continue;
            }
            let Some(rest) = text.get(at..) else { continue };
            let fitting = self.prefixes(rest).find(|f| {
                let next = rest.get(f.kana.len()..).and_then(|r| r.chars().next());
                f.next.allows(next) && ends_well(morpheme, at + f.kana.len(), next)
            });
            if let Some(form) = fitting {
                out.push_str(&text[copied..at]);
                out.push_str(&form.kanji);
                copied = at + form.kana.len();
            }
        }
        if copied == 0 {
            return None;
        }
        out.push_str(&text[copied..]);
        Some(out)
    }
}
