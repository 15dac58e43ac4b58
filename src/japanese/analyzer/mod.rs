//! Japanese analysis: one pure function from text to search terms, shared by indexing and by
//! questions, by `ask`, `chat`, `run` and `index check` alike.
//!
//! The pipeline, in order:
//! 1. [`normalize`]: NFKC (full/half width, ㈱-style symbols), line breaks, ! and ? to 。, control
//!    characters to spaces, ASCII lower case; then the staff's orthographic variants (子ども → 子供),
//!    longest first, where each is a whole word (ヘルパ → ヘルパー leaves ヘルパー alone).
//! 2. lindera with IPADIC segments the normalized text into morphemes.
//! 3. [`Analyzer::analyze`] keeps content words (nouns, independent verbs and adjectives,
//!    unknown words) by their base form (預かって → 預かる), drops particles, auxiliaries,
//!    symbols, numbers and the staff's question-frame words (どこ, ところ, ある, …), and folds
//!    long-vowel marks (ヘルパー → ヘルパ).
//! 4. Alongside, it writes the katakana reading of every morpheme and cuts it into bigrams.
//!    Those meet spellings the dictionary does not: にんちしょう and 認知症 share ニン·ンチ·チシ….
//!
//! Offsets in [`Term::span`] are byte offsets into [`Analysis::normalized`]. The analyzer never
//! panics: a segmentation failure of lindera yields no terms, never an error for the resident.

mod tantivy_adapter;

use rustc_hash::FxHashSet as HashSet;
use std::borrow::Cow;
use std::ops::Range;

use lindera::dictionary::{Dictionary, Lattice};
use lindera::mode::Mode;
use lindera::segmenter::Segmenter;
use unicode_normalization::UnicodeNormalization;

pub use tantivy_adapter::{kana_tokens, term_tokens, KanaTokenizer, TermTokenizer, KANA_TOKENIZER, TERM_TOKENIZER};

/// Characters analysed at most; longer messages are cut here (the rest cannot change the need
/// much, and the bound keeps one message from costing more than a few milliseconds).
pub const MAX_ANALYZED_CHARS: usize = 4096;

/// Distinct terms and kana bigrams kept per text, so a pasted essay cannot blow up a query.
pub const MAX_TERMS: usize = 48;

/// Staff-maintained wording that shapes analysis (from `index/wording.toml`).
#[derive(Debug, Clone, Default)]
pub struct AnalyzerRules {
    /// Base forms that carry no need of their own (どこ, ある, 教える…).
    pub stopwords: HashSet<String>,
    /// Spellings folded into one before segmentation: (variant, canonical).
    pub variants: Vec<(String, String)>,
}

/// One content word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The normalized base form, as indexed and searched.
    pub text: String,
    /// Byte range of the surface form in [`Analysis::normalized`].
    pub span: Range<usize>,
}

/// What the analyzer makes of one text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Analysis {
    pub normalized: String,
    pub terms: Vec<Term>,
    /// Katakana bigrams of the whole text's reading, deduplicated, in order (what an entry is
    /// indexed with).
    pub kana_bigrams: Vec<String>,
    /// Bigrams of just the stretches written in kana that hold a content word (にんちしょう,
    /// はいしょく): where the dictionary may have cut a word wrongly, so a question searches
    /// these. Kanji words are already found by their terms.
    pub kana_spelled_bigrams: Vec<String>,
    /// Every kana-written stretch, with or without a content word the dictionary saw in it
    /// (かぞくかい is か/ぞく/かい to IPADIC, none of them a content word).
    pub kana_spelled_runs: Vec<KanaRun>,
    /// Every morpheme of the normalized text, in order (symbols too: they end sentences). Only
    /// [`Analyzer::analyze_question`] fills it: the crisis layer reads questions, not entries.
    pub morphemes: Vec<Morpheme>,
}

/// One stretch of a text written in kana only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KanaRun {
    /// Byte range in [`Analysis::normalized`] (to leave out a place name's).
    pub span: Range<usize>,
    /// Its katakana reading, long vowels folded.
    pub reading: String,
    /// The dictionary found a content word in it (the runs [`Analysis::kana_spelled_bigrams`]
    /// come from).
    pub has_content: bool,
}

/// One morpheme as the crisis rules see it (`src/crisis/`): the word's base form, its part of
/// speech and conjugation, with the surface kept by its span for explain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Morpheme {
    /// Byte range of the surface in [`Analysis::normalized`].
    pub span: Range<usize>,
    /// The dictionary form (死に → 死ぬ), long vowels not folded; the surface where IPADIC has
    /// none.
    pub base: String,
    pub pos: PartOfSpeech,
    /// 活用形, for verbs, adjectives and auxiliaries.
    pub form: ConjugatedForm,
}

/// IPADIC's part of speech, with the subclasses the crisis rules and modality read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartOfSpeech {
    /// 名詞; `dependent` for 非自立 (わけ, ほう, こと), `suffix` for 接尾 (錠, 階, さん), `number`
    /// for 数.
    Noun {
        dependent: bool,
        suffix: bool,
        number: bool,
        pronoun: bool,
    },
    /// 動詞; `dependent` for 非自立 (しまう, いる, くる after て) and 接尾 (れる, られる, せる).
    Verb {
        dependent: bool,
    },
    /// 形容詞; `dependent` for 非自立 (ない after て).
    Adjective {
        dependent: bool,
    },
    /// 助動詞 (たい, う, ない, た, だ).
    Auxiliary,
    Particle(ParticleKind),
    /// 副詞, 連体詞, 接続詞, 感動詞, フィラー.
    Adverb,
    /// 接頭詞.
    Prefix,
    /// 記号 and white space.
    Symbol,
    /// Not in the dictionary.
    Unknown,
}

/// IPADIC's classes of 助詞.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParticleKind {
    /// 格助詞 (が, を, に, から); the quoting と and って are [`ParticleKind::Quote`].
    Case,
    Quote,
    /// 接続助詞 (て, で, ば, たら is an auxiliary, けど, ても, のに).
    Conjunctive,
    /// 副助詞 (ほど, くらい, しか, まで) and 係助詞 (は, も).
    Adverbial,
    /// 終助詞 (か, よ, ね) and 並立助詞, 連体化 (の).
    Other,
}

/// IPADIC's 活用形, the ones that carry meaning for modality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConjugatedForm {
    /// 基本形: 死ぬ, 動く.
    Plain,
    /// 連用形 (and its タ接続, テ接続): 死に, 死ん.
    Continuative,
    /// 未然形: 動か (before ない), 殴ら (before れる).
    Irrealis,
    /// 未然ウ接続: 死の (before う).
    Volitional,
    /// 仮定形 (and its 縮約): 倒れれ (before ば), なけれ.
    Conditional,
    /// 命令形.
    Imperative,
    /// 体言接続特殊 of an ichidan verb: できん, 起き上がれん. Before の it is できるの said fast
    /// (できんの?); before anything else it is the negative of western Japan (息ができん).
    Contracted,
    /// Not conjugated, or another form.
    Other,
}

impl Morpheme {
    pub fn surface<'a>(&self, normalized: &'a str) -> &'a str {
        normalized.get(self.span.clone()).unwrap_or_default()
    }

    /// A content word: a noun that is not dependent, a verb or adjective that is independent.
    pub fn is_content(&self) -> bool {
        match self.pos {
            PartOfSpeech::Noun { dependent, suffix, number, pronoun } => !(dependent || suffix || number || pronoun),
            PartOfSpeech::Verb { dependent } | PartOfSpeech::Adjective { dependent } => !dependent,
            PartOfSpeech::Unknown => true,
            _ => false,
        }
    }
}

impl PartOfSpeech {
    fn of(features: &Features<'_>) -> PartOfSpeech {
        match features.pos {
            "名詞" => PartOfSpeech::Noun {
                dependent: features.sub1 == "非自立",
                suffix: features.sub1 == "接尾",
                number: features.sub1 == "数",
                pronoun: features.sub1 == "代名詞",
            },
            "動詞" => PartOfSpeech::Verb { dependent: features.sub1 != "自立" },
            "形容詞" => PartOfSpeech::Adjective { dependent: features.sub1 != "自立" },
            "助動詞" => PartOfSpeech::Auxiliary,
            "助詞" => PartOfSpeech::Particle(match features.sub1 {
                "格助詞" if features.sub2 == "引用" => ParticleKind::Quote,
                "格助詞" => ParticleKind::Case,
                "接続助詞" => ParticleKind::Conjunctive,
                "副助詞" | "係助詞" | "副助詞／並立助詞／終助詞" => ParticleKind::Adverbial,
                _ => ParticleKind::Other,
            }),
            "副詞" | "連体詞" | "接続詞" | "感動詞" | "フィラー" => PartOfSpeech::Adverb,
            "接頭詞" => PartOfSpeech::Prefix,
            "記号" => PartOfSpeech::Symbol,
            "UNK" => PartOfSpeech::Unknown,
            _ => PartOfSpeech::Adverb,
        }
    }
}

impl ConjugatedForm {
    fn of(form: &str) -> ConjugatedForm {
        match form {
            "基本形" => ConjugatedForm::Plain,
            "未然ウ接続" => ConjugatedForm::Volitional,
            f if f.starts_with("連用") => ConjugatedForm::Continuative,
            f if f.starts_with("未然") => ConjugatedForm::Irrealis,
            f if f.starts_with("仮定") => ConjugatedForm::Conditional,
            f if f.starts_with("命令") => ConjugatedForm::Imperative,
            "体言接続特殊" => ConjugatedForm::Contracted,
            _ => ConjugatedForm::Other,
        }
    }
}

impl Analysis {
    /// The distinct term texts, in order of first appearance.
    pub fn term_texts(&self) -> Vec<&str> {
        let mut seen = HashSet::default();
        self.terms.iter().map(|t| t.text.as_str()).filter(|t| seen.insert(*t)).collect()
    }
}

pub struct Analyzer {
    segmenter: Segmenter,
    rules: AnalyzerRules,
    /// The variants' spellings, to fold them in one pass over a message.
    variant_matcher: Option<aho_corasick::AhoCorasick>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer").field("rules", &self.rules).finish_non_exhaustive()
    }
}

impl Analyzer {
    pub fn new(dictionary: Dictionary, mut rules: AnalyzerRules) -> Self {
        // Longest variant first, so 子ども食堂 can be folded before 子ども would be.
        rules.variants.sort_by_key(|(from, _)| std::cmp::Reverse(from.chars().count()));
        rules.variants.retain(|(from, _)| !from.is_empty());
        // Terms are compared folded (ヘルパ), so the stopwords must be too (サービス → サビス).
        rules.stopwords = rules.stopwords.iter().map(|w| fold_long_vowels(w)).collect();
        // Leftmost-longest, so 子ども食堂 is folded before 子ども would be.
        let variant_matcher = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(rules.variants.iter().map(|(from, _)| from))
            .ok();
        Analyzer { segmenter: Segmenter::new(Mode::Normal, dictionary, None), rules, variant_matcher }
    }

    pub fn rules(&self) -> &AnalyzerRules {
        &self.rules
    }

    /// Normalizes and analyses `text`.
    pub fn analyze(&self, text: &str) -> Analysis {
        self.analyze_for(text, true)
    }

    /// [`Analyzer::analyze`] for a question: the same terms and kana-spelled bigrams, but no
    /// [`Analysis::kana_bigrams`] of the whole reading (only indexing uses those, and for a
    /// question they were a fifth of the work).
    pub fn analyze_question(&self, text: &str) -> Analysis {
        self.analyze_for(text, false)
    }

    /// lindera's segmentation of `normalized`. The lattice is scratch space; reusing it per
    /// thread saves its allocations (most of the cost of a short text).
    fn segment<'a>(&'a self, normalized: &'a str) -> lindera::LinderaResult<Vec<lindera::token::Token<'a>>> {
        thread_local! {
            static LATTICE: std::cell::RefCell<Lattice> = std::cell::RefCell::new(Lattice::default());
        }
        LATTICE.with(|lattice| match lattice.try_borrow_mut() {
            Ok(mut lattice) => self.segmenter.segment_with_lattice(normalized.into(), &mut lattice),
            Err(_) => self.segmenter.segment(normalized.into()),
        })
    }

    /// The katakana reading of `text` as one string (long vowels folded, symbols and spaces
    /// left out): 配食サービス → ハイショクサビス. What a resident writing in kana would type.
    pub fn reading(&self, text: &str) -> String {
        let normalized = self.normalize(text);
        let mut reading = String::new();
        if let Ok(tokens) = self.segment(&normalized) {
            for token in &tokens {
                let surface = normalized.get(token.byte_start..token.byte_end).unwrap_or_default();
                let details = details_of(token);
                let morpheme = Features::new(surface, &details);
                if !morpheme.is_symbol() {
                    reading.push_str(&morpheme.reading);
                }
            }
        }
        reading
    }

    /// [`normalize`], then the staff's variants, folded in one pass where each stands as a
    /// whole word (see [`Analyzer::fold_variants`]).
    pub fn normalize(&self, text: &str) -> String {
        let plain = normalize(text);
        match &self.variant_matcher {
            Some(matcher) if matcher.is_match(&plain) => self.fold_variants(matcher, plain),
            _ => plain,
        }
    }

    /// The staff's variants replaced where the spelling is a whole word of the text: no word
    /// the dictionary knows runs across its start or its end. A spelling inside a longer word is
    /// that word's, not the variant's: 「ヘルパ」→「ヘルパー」 leaves ヘルパー alone (it would
    /// become ヘルパーー). Nor may the text go on with a character nothing begins with (ー, a
    /// small vowel or ゃ), where the dictionary may have cut unknown katakana; っ begins って, so
    /// 社協って is 社協's.
    ///
    /// The dictionary's guesses do not count against a variant: kana it cannot place (にんちしょう
    /// is に/ん/ち/し and an unknown ょうの…) and its cuts of running hiragana (あんすこの is
    /// あん/す/この) are what most kana variants are for.
    fn fold_variants(&self, matcher: &aho_corasick::AhoCorasick, plain: String) -> String {
        // The known words that are more than one character long and not all hiragana, as byte
        // spans: IPADIC's cuts of running hiragana are guesses (あんすこの is あん/す/この).
        let words: Vec<Range<usize>> = match self.segment(&plain) {
            Ok(tokens) => tokens
                .iter()
                .filter(|t| !t.word_id.is_unknown())
                .map(|t| t.byte_start..t.byte_end)
                .filter(|span| {
                    plain
                        .get(span.clone())
                        .is_some_and(|w| w.chars().nth(1).is_some() && !w.chars().all(|c| matches!(c, 'ぁ'..='ゖ')))
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        let across = |at: usize| words.iter().any(|w| w.start < at && at < w.end);
        let continues = |at: usize| plain[at..].chars().next().is_some_and(begins_no_word);
        let mut out = String::with_capacity(plain.len() + 16);
        let mut copied = 0;
        for found in matcher.find_iter(&plain) {
            if !across(found.start()) && !across(found.end()) && !continues(found.end()) {
                out.push_str(&plain[copied..found.start()]);
                out.push_str(&self.rules.variants[found.pattern().as_usize()].1);
                copied = found.end();
            }
        }
        out.push_str(&plain[copied..]);
        out
    }

    fn analyze_for(&self, text: &str, whole_reading: bool) -> Analysis {
        let normalized = self.normalize(text);
        let mut terms = Vec::new();
        let mut reading = String::new();
        let mut readings: Vec<String> = Vec::new();
        let (mut kana_run, mut run_has_content, mut kana_span) = (String::new(), false, 0..0);
        let mut kana_runs: Vec<KanaRun> = Vec::new();
        let mut morphemes: Vec<Morpheme> = Vec::new();
        let close_kana_run =
            |run: &mut String, has_content: &mut bool, span: &Range<usize>, runs: &mut Vec<KanaRun>| {
                if !run.is_empty() {
                    runs.push(KanaRun { span: span.clone(), reading: std::mem::take(run), has_content: *has_content });
                }
                *has_content = false;
            };
        // A run of nouns (配/食, 認知/症) also counts as one compound term (配食, 認知症), since
        // IPADIC splits many service words that residents and staff write as one.
        let mut run: Vec<(String, Range<usize>)> = Vec::new();
        let close_run = |run: &mut Vec<(String, Range<usize>)>, terms: &mut Vec<Term>| {
            if run.len() >= 2 {
                let text = fold_long_vowels(&run.iter().map(|(s, _)| s.as_str()).collect::<String>());
                terms.push(Term { text, span: run[0].1.start..run[run.len() - 1].1.end });
            }
            run.clear();
        };
        if let Ok(mut tokens) = self.segment(&normalized) {
            let mut last_end = 0;
            for token in tokens.iter_mut() {
                let span = token.byte_start..token.byte_end;
                // lindera emits no token for white space: a gap breaks readings and compounds
                // just as a symbol does (はいしょく せたがや is two words, not クセ).
                if span.start > last_end {
                    readings.push(std::mem::take(&mut reading));
                    close_run(&mut run, &mut terms);
                    close_kana_run(&mut kana_run, &mut run_has_content, &kana_span, &mut kana_runs);
                }
                last_end = span.end;
                let owned_surface;
                let surface = match normalized.get(span.clone()) {
                    Some(surface) => surface,
                    None => {
                        owned_surface = token.surface.to_string();
                        &owned_surface
                    }
                };
                let details = details_of(token);
                let morpheme = Features::new(surface, &details);
                // Only a question is read for danger; indexing an entry has no use for these.
                if !whole_reading {
                    let base = details.get(6).copied().filter(|b| *b != "*");
                    morphemes.push(Morpheme {
                        span: span.clone(),
                        base: base.unwrap_or(surface).to_string(),
                        pos: PartOfSpeech::of(&morpheme),
                        form: ConjugatedForm::of(morpheme.form),
                    });
                }
                let is_stopword = self.rules.stopwords.contains(morpheme.base.as_ref());
                if morpheme.is_symbol() {
                    // A symbol or space breaks the reading, so bigrams never straddle it.
                    readings.push(std::mem::take(&mut reading));
                } else {
                    if whole_reading {
                        reading.push_str(&morpheme.reading);
                    }
                }
                // Stopwords end a compound: ヘルパーさん → ヘルパ, 配食サービス → 配食.
                if morpheme.joins_compound() && !is_stopword {
                    run.push((surface.to_string(), span.clone()));
                } else {
                    close_run(&mut run, &mut terms);
                }
                if !morpheme.is_symbol() && is_kana_word(surface) {
                    if kana_run.is_empty() {
                        kana_span.start = span.start;
                    }
                    kana_span.end = span.end;
                    kana_run.push_str(&morpheme.reading);
                    run_has_content |= morpheme.is_content() && !is_stopword;
                } else {
                    close_kana_run(&mut kana_run, &mut run_has_content, &kana_span, &mut kana_runs);
                }
                // Punctuation the dictionary files as a noun (?, ・) is no word.
                if morpheme.is_content() && !is_stopword && morpheme.base.chars().any(char::is_alphanumeric) {
                    terms.push(Term { text: morpheme.base.into_owned(), span });
                }
            }
        }
        close_run(&mut run, &mut terms);
        close_kana_run(&mut kana_run, &mut run_has_content, &kana_span, &mut kana_runs);
        readings.push(reading);
        // Keep every occurrence of the first MAX_TERMS distinct terms.
        let mut distinct: HashSet<String> = HashSet::default();
        terms.retain(|t| distinct.contains(&t.text) || (distinct.len() < MAX_TERMS && distinct.insert(t.text.clone())));
        let kana_bigrams = if whole_reading { kana_bigrams(readings.iter().map(String::as_str)) } else { Vec::new() };
        let kana_spelled_bigrams =
            self::kana_bigrams(kana_runs.iter().filter(|run| run.has_content).map(|run| run.reading.as_str()));
        Analysis { normalized, terms, kana_bigrams, kana_spelled_bigrams, kana_spelled_runs: kana_runs, morphemes }
    }
}

/// IPADIC's feature columns of a token, read straight from the dictionary: lindera's own
/// `Token::details` allocates a vector per token, which was a fifth of a question's analysis.
fn details_of<'a>(token: &lindera::token::Token<'a>) -> [&'a str; 9] {
    let dictionary: &'a Dictionary = token.dictionary;
    let id = token.word_id.id() as usize;
    let fields = if token.word_id.is_unknown() {
        Some(dictionary.unknown_word_details_iter(id))
    } else if token.word_id.is_system() {
        Some(dictionary.word_details_iter(id))
    } else {
        None // no user dictionary here
    };
    let mut details = ["*"; 9];
    for (slot, field) in details.iter_mut().zip(fields.into_iter().flatten()) {
        *slot = field;
    }
    details
}

/// The morphological facts we use about one token, read from IPADIC's feature columns:
/// `品詞,細分類1,細分類2,細分類3,活用型,活用形,原形,読み,発音`.
struct Features<'a> {
    pos: &'a str,
    sub1: &'a str,
    sub2: &'a str,
    /// 活用形: 連用形, 未然ウ接続, 仮定形…
    form: &'a str,
    /// The base form, long vowels folded (the term text).
    base: Cow<'a, str>,
    /// The katakana reading, long vowels folded.
    reading: Cow<'a, str>,
}

impl<'a> Features<'a> {
    fn new(surface: &'a str, details: &[&'a str]) -> Features<'a> {
        let field = |i: usize| details.get(i).copied().filter(|s| *s != "*");
        let base = fold_cow(Cow::Borrowed(field(6).unwrap_or(surface)));
        // Unknown words have no reading; a kana surface is its own reading.
        let reading = match field(7) {
            Some(reading) => fold_cow(Cow::Borrowed(reading)),
            None => fold_cow(Cow::Owned(to_katakana(surface))),
        };
        Features {
            pos: field(0).unwrap_or("UNK"),
            sub1: field(1).unwrap_or(""),
            sub2: field(2).unwrap_or(""),
            form: field(5).unwrap_or(""),
            base,
            reading,
        }
    }

    fn is_symbol(&self) -> bool {
        self.pos == "記号" || self.base.trim().is_empty()
    }

    fn joins_compound(&self) -> bool {
        match self.pos {
            "名詞" => !matches!(self.sub1, "非自立" | "代名詞" | "数" | "副詞可能"),
            "接頭詞" => true,
            _ => false,
        }
    }

    fn is_content(&self) -> bool {
        match self.pos {
            "名詞" => !matches!(self.sub1, "非自立" | "代名詞" | "数" | "接尾" | "副詞可能"),
            "動詞" | "形容詞" => self.sub1 == "自立",
            // Unknown to the dictionary: often exactly the word that matters (あんすこ).
            "UNK" => !self.base.chars().all(|c| c.is_ascii_punctuation() || c.is_whitespace()),
            _ => false,
        }
    }
}

/// NFKC, line breaks, ! and ? to 。, other control characters to spaces, ASCII lower case, drawn-out
/// and small vowels typed casually. Cut at [`MAX_ANALYZED_CHARS`] characters. The staff's
/// variants are folded after this, by the [`Analyzer`], which knows where words start and end.
pub fn normalize(text: &str) -> String {
    // A resident who writes one thought per line ends a sentence with the line (the crisis
    // layer reads sentences); 。 is punctuation to search, like the line break was. ! and ? end
    // a sentence too, and IPADIC segments the kana after them differently from the kana after 。
    // (?!しにたくて is し/に/たく/て, 。しにたくて is しに/たく/て), so they become 。 as well.
    let fold = |c: char| match c {
        '\n' | '\u{2028}' | '\u{2029}' | '!' | '?' => '。',
        c if c.is_control() => ' ',
        c => c.to_ascii_lowercase(),
    };
    // Most messages are already NFKC (the quick check is much cheaper than normalizing).
    let mut out: String =
        if unicode_normalization::is_nfkc_quick(text.chars()) == unicode_normalization::IsNormalized::Yes {
            text.chars().take(MAX_ANALYZED_CHARS).map(fold).collect()
        } else {
            text.nfkc().take(MAX_ANALYZED_CHARS).map(fold).collect()
        };
    // A long vowel drawn out in hiragana (しにたーい, たすけてー) is no spelling IPADIC knows;
    // dropped, the word is its own again. Katakana keeps its marks (ヘルパー).
    if out.contains(['ー', '〜', '~']) {
        let mut previous = ' ';
        out = out
            .chars()
            .filter(|&c| {
                let keep = !(matches!(c, 'ー' | '〜' | '~') && matches!(previous, 'ぁ'..='ゖ'));
                if keep {
                    previous = c;
                }
                keep
            })
            .collect();
    }
    // A small vowel after a kana it does not combine with (しにたぃ, くれなぃ, すごぉい) is
    // casual typing of the vowel itself: written full size, the word is its own again. The
    // pairs that spell one sound (てぃ, ふぁ, うぇ, しぇ, つぁ) keep theirs. After a kanji
    // (手ぇあげる, 目ぇ覚めん, 気ぃつけて) it draws out a one-kanji word in speech: dropped, or
    // IPADIC reads the kana after it as one unknown word.
    if out.contains(['ぁ', 'ぃ', 'ぅ', 'ぇ', 'ぉ']) {
        let mut previous = ' ';
        out = out
            .chars()
            .filter_map(|c| {
                let small = matches!(c, 'ぁ' | 'ぃ' | 'ぅ' | 'ぇ' | 'ぉ');
                let full = if small && is_kanji(previous) {
                    None
                } else if small && matches!(previous, 'ぁ'..='ゖ') && !combines(previous, c) {
                    char::from_u32(c as u32 + 1)
                } else {
                    Some(c)
                };
                previous = c;
                full
            })
            .collect();
    }
    out
}

/// A character that only continues a word: a long-vowel mark, a small kana (ゃ, ァ…; not っ,
/// which begins the particle って), an iteration mark.
fn begins_no_word(c: char) -> bool {
    matches!(
        c,
        'ー' | 'ぁ'
            | 'ぃ'
            | 'ぅ'
            | 'ぇ'
            | 'ぉ'
            | 'ゃ'
            | 'ゅ'
            | 'ょ'
            | 'ゎ'
            | 'ァ'
            | 'ィ'
            | 'ゥ'
            | 'ェ'
            | 'ォ'
            | 'ャ'
            | 'ュ'
            | 'ョ'
            | 'ヮ'
            | 'ゝ'
            | 'ゞ'
            | 'ヽ'
            | 'ヾ'
            | '々'
    )
}

/// A kanji (CJK unified ideographs and their extension A, and 々).
fn is_kanji(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '々')
}

/// Whether a small vowel after `kana` spells one sound with it (てぃ, ふぁ, しぇ), as in loan
/// words written in hiragana.
fn combines(kana: char, small: char) -> bool {
    match kana {
        'ふ' | 'ゔ' | 'つ' | 'く' | 'ぐ' => true,
        'て' | 'で' => small == 'ぃ',
        'と' | 'ど' => small == 'ぅ',
        'う' => matches!(small, 'ぃ' | 'ぇ' | 'ぉ'),
        'し' | 'じ' | 'ち' | 'い' => small == 'ぇ',
        _ => false,
    }
}

/// Hiragana to katakana; everything else unchanged.
pub fn to_katakana(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'ぁ'..='ゖ' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Katakana to hiragana; everything else unchanged (the inverse of [`to_katakana`]).
pub fn to_hiragana(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'ァ'..='ヶ' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Drops long-vowel marks and wave dashes, so ヘルパー and ヘルパ meet.
pub fn fold_long_vowels(text: &str) -> String {
    fold_cow(Cow::Borrowed(text)).into_owned()
}

fn is_long_vowel_mark(c: char) -> bool {
    matches!(c, 'ー' | '〜' | '~' | '～')
}

/// [`fold_long_vowels`] that allocates only when there is something to fold.
fn fold_cow(text: Cow<'_, str>) -> Cow<'_, str> {
    if text.chars().any(is_long_vowel_mark) {
        Cow::Owned(text.chars().filter(|c| !is_long_vowel_mark(*c)).collect())
    } else {
        text
    }
}

/// Written in kana only (ひらがな, カタカナ, ー).
pub fn is_kana_word(surface: &str) -> bool {
    !surface.is_empty() && surface.chars().all(|c| matches!(c, 'ぁ'..='ゖ' | 'ァ'..='ヺ' | 'ー'))
}

/// A katakana letter (not the long-vowel mark).
pub fn is_katakana(c: char) -> bool {
    matches!(c, 'ァ'..='ヺ')
}

/// The distinct katakana bigrams of `readings` (none straddles two readings), at most
/// `2 × MAX_TERMS`.
pub fn kana_bigrams<'a>(readings: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut seen: HashSet<(char, char)> = HashSet::default();
    let mut out = Vec::new();
    for reading in readings {
        let mut chars = reading.chars().peekable();
        while let (Some(a), Some(&b)) = (chars.next(), chars.peek()) {
            if out.len() >= MAX_TERMS * 2 {
                return out;
            }
            if is_katakana(a) && is_katakana(b) && seen.insert((a, b)) {
                let mut bigram = String::with_capacity(a.len_utf8() + b.len_utf8());
                bigram.push(a);
                bigram.push(b);
                out.push(bigram);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_folds_width_and_symbols_and_controls() {
        assert_eq!(normalize("ＡＢＣ１２３ｶﾀｶﾅ"), "abc123カタカナ");
        assert_eq!(normalize("㈱\u{0007}x"), "(株) x");
        assert_eq!(normalize("つらい\r\nたすけて"), "つらい 。たすけて");
    }

    #[test]
    fn hiragana_long_vowels_are_dropped() {
        assert_eq!(normalize("しにたーーい"), "しにたい");
        assert_eq!(normalize("たすけて〜"), "たすけて");
        assert_eq!(normalize("ヘルパーさん"), "ヘルパーさん");
    }

    #[test]
    fn small_vowels_typed_casually_are_full_size_but_not_in_the_sounds_they_spell() {
        assert_eq!(normalize("しにたぃ。わかってくれなぃ"), "しにたい。わかってくれない");
        assert_eq!(normalize("すごぉい、ねぇ"), "すごおい、ねえ");
        assert_eq!(normalize("ふぁいる、でぃすく、うぇぶ、しぇあ"), "ふぁいる、でぃすく、うぇぶ、しぇあ");
        assert_eq!(normalize("ファイル"), "ファイル");
    }

    #[test]
    fn katakana_and_long_vowels() {
        assert_eq!(to_katakana("にんちしょう"), "ニンチショウ");
        assert_eq!(fold_long_vowels("ヘルパー"), "ヘルパ");
    }

    #[test]
    fn long_input_is_cut() {
        let long = "あ".repeat(10_000);
        assert_eq!(normalize(&long).chars().count(), MAX_ANALYZED_CHARS);
    }
}
