//! The crisis layer: danger recognised in the resident's own words, before anything else.
//!
//! It owns `dialogs/crisis.toml` once loaded: the contacts (each with its official source), the
//! kinds of danger with their replies, and the rules. [`CrisisLayer::compile`] turns the file
//! into matchers over the analyzer's morphemes ([`rules`]), and [`CrisisLayer::assess`] reads a
//! question's [`Analysis`] (the same one search uses) into an [`Assessment`]: every mention of
//! danger, how it stands ([`modality`]: now, someone else's, denied, past, a worry, a figure of
//! speech), and the reply it calls for. The engine asks it first and skips search for an urgent
//! reply; the dialog layer renders the reply; `index check` reports the compile's problems.
//! Nothing here knows a channel.

pub mod modality;
pub mod restore;
pub mod rules;

use std::ops::Range;
use std::path::Path;

use chrono::NaiveDate;
use serde::Serialize;

use crate::content::dialogs::crisis_file::{CrisisFile, ModalityWords};
use crate::content::Problem;
use crate::japanese::analyzer::{normalize, Analysis, Analyzer, Morpheme, PartOfSpeech, ParticleKind};
pub use modality::Modality;
use modality::{Context, ModalityLexicon};
use rules::{phrase_at, Condition, Item, Lexicon, Rule, Scope, WordProblem};

/// A contact as the resident reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contact {
    pub id: String,
    pub name: String,
    pub number: Option<String>,
    pub url: Option<String>,
    pub when: String,
    pub hours: Option<String>,
    pub source: String,
    pub verified: NaiveDate,
    /// Only for these municipalities; all when empty.
    pub areas: Vec<String>,
}

/// How a reply stands to the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The contacts are the reply: no search, windows after them.
    Urgent,
    /// The contacts lead, gently; the answer to the question follows.
    Gentle,
}

/// A kind of danger and its reply.
#[derive(Debug, Clone)]
pub struct CrisisKind {
    pub id: String,
    pub label: String,
    pub intro: String,
    pub outro: Option<String>,
    pub contacts: Vec<usize>,
    pub windows: Vec<String>,
    pub level: Level,
    /// The kind a mention becomes under each modality; `None` for no reply.
    third_person: Option<usize>,
    denied: Option<usize>,
    past: Option<usize>,
    worry: Option<usize>,
}

/// One mention of danger in a message.
#[derive(Debug, Clone, Serialize)]
pub struct Mention {
    /// The rule's line in `dialogs/crisis.toml`.
    pub line: usize,
    /// The kind the rule names.
    pub rule_kind: String,
    /// The message's words the rule matched, as written.
    pub words: Vec<String>,
    pub modality: Modality,
    /// The reply it calls for after modality (`None`: answered as a welfare question).
    pub kind: Option<String>,
    /// Which sentence of the message its predicate stands in (0-based).
    #[serde(skip)]
    pub sentence: usize,
}

/// What the crisis layer makes of one message.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Assessment {
    pub mentions: Vec<Mention>,
    /// Indexes of the kinds to reply with, the leading one first (urgent before gentle, then
    /// file order).
    #[serde(skip)]
    pub kinds: Vec<usize>,
}

/// `dialogs/crisis.toml`, compiled.
#[derive(Debug)]
pub struct CrisisLayer {
    pub contacts: Vec<Contact>,
    pub kinds: Vec<CrisisKind>,
    rules: Vec<Rule>,
    /// Per word of the lexicon, the rules (by index, ascending) whose first condition can
    /// begin with it: a message is checked against the rules its words can start, not all
    /// of them.
    rules_by_first_word: Vec<Vec<usize>>,
    lexicon: Lexicon,
    modality: ModalityLexicon,
    /// The rules' verbs and adjectives as they are written in kana.
    restorer: restore::Restorer,
    /// What staff wrote that no rule reads (a group no rule names): `index check` shows these.
    pub warnings: Vec<Problem>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(1, |before| before.matches('\n').count() + 1)
}

impl CrisisLayer {
    /// Compiles the file against the analyzer; every problem with its line.
    pub fn compile(
        file: &CrisisFile,
        text: &str,
        path: &Path,
        analyzer: &Analyzer,
    ) -> Result<CrisisLayer, Vec<Problem>> {
        let mut problems = Vec::new();
        let at = |offset: usize| Some(line_of(text, offset));
        let mut contacts = Vec::new();
        for spanned in &file.contact {
            let c = spanned.get_ref();
            let line = at(spanned.span().start);
            let mut missing = |what: &str, hint: &str| {
                problems.push(
                    Problem::error(path, line, format!("連絡先「{}」に {what} がありません", c.name))
                        .hint(hint.to_string()),
                );
            };
            if c.source.as_deref().is_none_or(|s| !s.starts_with("https://") && !s.starts_with("http://")) {
                missing("source(公式ページの URL)", "番号を確かめた公式ページの URL を source = \"https://…\" と書いてください。出典のない番号は載せません");
            }
            let verified = c
                .verified
                .as_ref()
                .and_then(|d| d.date)
                .and_then(|d| NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into()));
            if verified.is_none() {
                missing(
                    "verified(確認した日)",
                    "verified = 2026-12-02 のように、公式ページで確かめた日を書いてください",
                );
            }
            if c.number.is_none() && c.url.is_none() {
                missing("number か url", "電話番号 (number) か、相談できるページ (url) を書いてください");
            }
            if contacts.iter().any(|o: &Contact| o.id == c.id) {
                problems.push(
                    Problem::error(path, line, format!("連絡先の id「{}」が2回あります", c.id))
                        .hint("id はそれぞれ別の名前にしてください"),
                );
            }
            contacts.push(Contact {
                id: c.id.clone(),
                name: c.name.clone(),
                number: c.number.clone(),
                url: c.url.clone(),
                when: c.when.clone(),
                hours: c.hours.clone(),
                source: c.source.clone().unwrap_or_default(),
                verified: verified.unwrap_or_default(),
                areas: c.areas.clone(),
            });
        }
        let kind_ids: Vec<&str> = file.kind.iter().map(|k| k.get_ref().id.as_str()).collect();
        let mut kinds = Vec::new();
        for spanned in &file.kind {
            let k = spanned.get_ref();
            let line = at(spanned.span().start);
            let mut target = |value: &Option<String>, key: &str, default: Option<usize>| -> Option<usize> {
                match value.as_deref() {
                    None => default,
                    Some("none") => None,
                    Some(id) => {
                        let found = kind_ids.iter().position(|k| *k == id);
                        if found.is_none() {
                            problems.push(
                                Problem::error(
                                    path,
                                    line,
                                    format!("{key} の「{id}」という種類 ([[kind]]) がありません"),
                                )
                                .hint(format!(
                                    "[[kind]] の id のどれか ({}) か \"none\" を書いてください",
                                    kind_ids.join(", ")
                                )),
                            );
                        }
                        found
                    }
                }
            };
            let me = kinds.len();
            let third_person = target(&k.third_person, "third_person", Some(me));
            let denied = target(&k.denied, "denied", Some(me));
            let past = target(&k.past, "past", None);
            let worry = target(&k.worry, "worry", None);
            let level = match k.level.as_deref() {
                None | Some("urgent") => Level::Urgent,
                Some("gentle") => Level::Gentle,
                Some(other) => {
                    problems.push(Problem::error(path, line, format!("level「{other}」は使えません")).hint(
                        "level = \"urgent\"(緊急連絡先だけを出す)か \"gentle\"(連絡先のあとに答えも出す)にしてください",
                    ));
                    Level::Urgent
                }
            };
            let mut ids = Vec::new();
            for id in &k.contacts {
                match contacts.iter().position(|c| c.id == *id) {
                    Some(i) => ids.push(i),
                    None => problems.push(
                        Problem::error(
                            path,
                            line,
                            format!("contacts の「{id}」という連絡先 ([[contact]]) がありません"),
                        )
                        .hint("[[contact]] の id を書いてください"),
                    ),
                }
            }
            if ids.is_empty() {
                problems.push(
                    Problem::error(path, line, format!("種類「{}」に連絡先がありません", k.id))
                        .hint("contacts = [\"119\"] のように1つ以上書いてください"),
                );
            }
            kinds.push(CrisisKind {
                id: k.id.clone(),
                label: k.label.clone(),
                intro: k.intro.clone(),
                outro: k.outro.clone(),
                contacts: ids,
                windows: k.windows.clone(),
                level,
                third_person,
                denied,
                past,
                worry,
            });
        }

        let mut lexicon = Lexicon::default();
        let variants = &analyzer.rules().variants;
        let word = |text: &str, offset: usize, lexicon: &mut Lexicon, problems: &mut Vec<Problem>| -> Option<usize> {
            let line = at(offset);
            // A staff spelling variant must not rewrite a danger word: the rule would then
            // read something else than staff wrote.
            // (The analyzer folds a variant only as a whole word: ヘルパ leaves ヘルパー alone.)
            let plain = normalize(text);
            let rewritten = analyzer.normalize(text) != plain;
            if let Some((from, to)) = variants.iter().find(|(from, _)| rewritten && plain.contains(from.as_str())) {
                problems.push(Problem::error(path, line, format!("表記ゆれ「{from}」→「{to}」(index/wording.toml) が危険の言葉「{text}」を書き換えてしまいます"))
                    .hint("wording.toml の表記ゆれを、危険の言葉にかからない形にしてください"));
                return None;
            }
            match lexicon.intern(text, analyzer) {
                Ok(id) => Some(id),
                Err(problem) => {
                    let (message, hint) = match problem {
                        WordProblem::Empty => {
                            ("空の言葉があります".to_string(), "言葉を書くか、その行を消してください".to_string())
                        }
                        WordProblem::NoWord => (
                            format!("「{text}」は言葉として読めません(記号だけです)"),
                            "ことばで書いてください".to_string(),
                        ),
                        WordProblem::Conjugated { base } => (
                            format!("「{text}」は活用した形なので、どの文にも当てはまりません"),
                            format!("辞書の形「{base}」で書き、続く形は :たい のように書いてください(例: 死ぬ:たい)"),
                        ),
                    };
                    problems.push(Problem::error(path, line, message).hint(hint));
                    None
                }
            }
        };
        let mut groups: rustc_hash::FxHashMap<&str, Vec<usize>> = rustc_hash::FxHashMap::default();
        for (name, words) in &file.groups {
            let ids: Vec<usize> = words
                .get_ref()
                .iter()
                .filter_map(|w| word(w.get_ref(), w.span().start, &mut lexicon, &mut problems))
                .collect();
            groups.insert(name.as_str(), ids);
        }
        let modality = {
            let ModalityWords {
                others,
                reporting,
                past,
                aftermath,
                now,
                worry,
                denial,
                degree,
                wish,
                hypothetical,
                topic,
                resolved,
                story,
                characters,
                laughter,
            } = &file.modality;
            let mut list = |words: &Vec<toml::Spanned<String>>| -> Vec<usize> {
                words.iter().filter_map(|w| word(w.get_ref(), w.span().start, &mut lexicon, &mut problems)).collect()
            };
            ModalityLexicon {
                others: list(others),
                reporting: list(reporting),
                past: list(past),
                aftermath: list(aftermath),
                now: list(now),
                worry: list(worry),
                denial: list(denial),
                degree: list(degree),
                wish: list(wish),
                hypothetical: list(hypothetical),
                topic: list(topic),
                resolved: list(resolved),
                story: list(story),
                characters: list(characters),
                laughter: list(laughter),
            }
        };
        let mut rules = Vec::new();
        let mut spoken_used: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        let mut groups_used: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
        for spanned in &file.rule {
            let r = spanned.get_ref();
            let line = line_of(text, spanned.span().start);
            let Some(kind) = kind_ids.iter().position(|k| *k == r.kind) else {
                problems.push(
                    Problem::error(path, Some(line), format!("kind「{}」という種類 ([[kind]]) がありません", r.kind))
                        .hint(format!("kind は {} のどれかにしてください", kind_ids.join(", "))),
                );
                continue;
            };
            let scope = match r.scope.as_deref() {
                None | Some("sentence") => Scope::Sentence,
                Some("message") => Scope::Message,
                Some(other) => {
                    problems.push(
                        Problem::error(path, Some(line), format!("scope「{other}」は使えません"))
                            .hint("scope = \"sentence\"(1つの文の中)か \"message\"(メッセージ全体)にしてください"),
                    );
                    continue;
                }
            };
            if r.when.is_empty() {
                problems.push(
                    Problem::error(path, Some(line), "when が空です")
                        .hint("when = [\"死ぬ:たい\"] のように条件を1つ以上書いてください"),
                );
                continue;
            }
            let mut conditions = Vec::new();
            let mut ok = true;
            for condition in &r.when {
                let offset = condition.span().start;
                let mut alternatives = Vec::new();
                for alternative in condition.get_ref().split('|') {
                    let mut items = Vec::new();
                    for item in alternative.split_whitespace() {
                        let (words_text, ending) = match item.split_once(':') {
                            Some((w, e)) => (w, Some(e)),
                            None => (item, None),
                        };
                        let words = if let Some(name) = words_text.strip_prefix('@') {
                            match groups.get_key_value(name) {
                                Some((&key, ids)) => {
                                    groups_used.insert(key);
                                    ids.clone()
                                }
                                None => {
                                    problems.push(
                                        Problem::error(
                                            path,
                                            at(offset),
                                            format!("@{name} というグループ ([groups]) がありません"),
                                        )
                                        .hint("[groups] に 名前 = [\"言葉\", …] を書くか、グループ名を直してください"),
                                    );
                                    ok = false;
                                    continue;
                                }
                            }
                        } else {
                            match word(words_text, offset, &mut lexicon, &mut problems) {
                                Some(id) => vec![id],
                                None => {
                                    ok = false;
                                    continue;
                                }
                            }
                        };
                        let plain = ending == Some(rules::PLAIN_ENDING);
                        let ending = ending.filter(|_| !plain);
                        let ending_bases = match ending {
                            None => None,
                            Some(e) => {
                                // Each : starts one more ending (入れる:てもらえる:ない); the colon
                                // itself is no morpheme (IPADIC reads an ASCII : as a noun).
                                let bases: Vec<String> = e
                                    .split(':')
                                    .flat_map(|part| analyzer.analyze_question(part).morphemes)
                                    .filter(|m| m.pos != PartOfSpeech::Symbol)
                                    .map(|m| m.base)
                                    .collect();
                                if bases.is_empty() {
                                    problems.push(
                                        Problem::error(path, at(offset), format!("「{item}」の : のあとが空です"))
                                            .hint("死ぬ:たい のように、続く形を書いてください"),
                                    );
                                    ok = false;
                                    continue;
                                }
                                Some(bases)
                            }
                        };
                        let spoken = match ending.and_then(|e| file.spoken.get(e).map(|s| (e, s))) {
                            Some((e, spellings)) => {
                                spoken_used.insert(e.to_string());
                                spellings.iter().map(|s| normalize(s)).filter(|s| !s.is_empty()).collect()
                            }
                            None => Vec::new(),
                        };
                        items.push(Item { words, ending: ending_bases, spoken, plain });
                    }
                    if !items.is_empty() {
                        alternatives.push(items);
                    }
                }
                if alternatives.is_empty() && ok {
                    problems.push(Problem::error(path, at(offset), "条件が空です").hint("言葉を書いてください"));
                    ok = false;
                }
                conditions.push(Condition { text: condition.get_ref().clone(), alternatives });
            }
            if ok {
                rules.push(Rule { kind, conditions, scope, line });
            }
        }
        for ending in file.spoken.keys().filter(|e| !spoken_used.contains(*e)) {
            let line = text
                .lines()
                .position(|l| l.trim_start().trim_start_matches('"').starts_with(ending.as_str()))
                .map(|i| i + 1);
            problems.push(
                Problem::error(
                    path,
                    line,
                    format!("[spoken] の「{ending}」は、どのルールの :{ending} にも使われていません"),
                )
                .hint("ルールで :たい のように書く続く形と同じ名前にしてください"),
            );
        }
        for (name, words) in file.groups.iter().filter(|(name, _)| !groups_used.contains(name.as_str())) {
            problems.push(
                Problem::warning(
                    path,
                    at(words.span().start),
                    format!("[groups] の「{name}」は、どのルールにも @{name} と書かれていません"),
                )
                .hint(format!("ルールの条件に @{name} と書くか、使わないグループなら消してください")),
            );
        }
        if problems.iter().any(Problem::is_error) {
            return Err(problems);
        }
        let warnings = problems;
        let restorer = restore::Restorer::new(lexicon.words.iter().map(|w| w.text.as_str()), analyzer);
        let mut rules_by_first_word = vec![Vec::new(); lexicon.words.len()];
        for (index, rule) in rules.iter().enumerate() {
            let first = rule.conditions.first().map_or(&[][..], |c| c.alternatives.as_slice());
            for &word in first.iter().filter_map(|items| items.first()).flat_map(|item| &item.words) {
                if rules_by_first_word[word].last() != Some(&index) {
                    rules_by_first_word[word].push(index);
                }
            }
        }
        Ok(CrisisLayer { contacts, kinds, rules, rules_by_first_word, lexicon, modality, restorer, warnings })
    }

    /// [`CrisisLayer::assess`] on the message, and again on it with the crisis words written
    /// in kana given their kanji ([`restore`]), with its romaji read as kana, and with katakana
    /// writing read as hiragana: a danger written all in hiragana or katakana, or typed as
    /// shinitai, is read as one written with kanji. A rule
    /// the message meets as written keeps that reading (its modality too); the other readings
    /// only add what the spelling hid.
    pub fn assess_with(&self, analysis: &Analysis, analyzer: &Analyzer) -> Assessment {
        let mut assessment = self.assess(analysis);
        let romaji =
            crate::japanese::romaji::romaji_as_kana(&analysis.normalized).map(|text| analyzer.analyze_question(&text));
        if let Some(romaji) = &romaji {
            self.add_new(&mut assessment, self.assess(romaji));
        }
        // しにたいしにたい: each repetition read as the word it is.
        let parted =
            crate::japanese::repeats::part_repeats(&analysis.normalized).map(|text| analyzer.analyze_question(&text));
        if let Some(parted) = &parted {
            self.add_new(&mut assessment, self.assess(parted));
        }
        // モウ シニタイ: katakana throughout, read as the hiragana it spells.
        let katakana = crate::japanese::katakana_writing::katakana_as_hiragana(&analysis.normalized)
            .map(|text| analyzer.analyze_question(&text));
        if let Some(katakana) = &katakana {
            self.add_new(&mut assessment, self.assess(katakana));
        }
        for start in std::iter::once(analysis).chain(romaji.as_ref()).chain(parted.as_ref()).chain(katakana.as_ref()) {
            // A restored text can hold more kana the dictionary now segments differently
            // (しにたいしにたい): a second round reads those too.
            let mut current: Option<Analysis> = None;
            for _ in 0..2 {
                let Some(text) = self.restorer.restore(current.as_ref().unwrap_or(start)) else { break };
                let restored = analyzer.analyze_question(&text);
                self.add_new(&mut assessment, self.assess(&restored));
                current = Some(restored);
            }
        }
        assessment.kinds.sort_by_key(|&k| (self.kinds[k].level, k));
        assessment
    }

    /// The message as the crisis check reads it again with its kana verbs given kanji, if it
    /// holds any (for explain and tests).
    pub fn restored(&self, analysis: &Analysis) -> Option<String> {
        self.restorer.restore(analysis)
    }

    /// The mentions of `more` that `assessment` does not hold (by rule and sentence), with their kinds.
    fn add_new(&self, assessment: &mut Assessment, more: Assessment) {
        for mention in more.mentions {
            // The same rule in the same sentence is the same mention (the kana reading changes
            // neither the sentences nor their order); in another sentence it is another.
            if assessment.mentions.iter().any(|m| m.line == mention.line && m.sentence == mention.sentence) {
                continue;
            }
            if let Some(kind) = mention.kind.as_deref().and_then(|id| self.kinds.iter().position(|k| k.id == id)) {
                if !assessment.kinds.contains(&kind) {
                    assessment.kinds.push(kind);
                }
            }
            assessment.mentions.push(mention);
        }
    }

    /// Every mention of danger in an analysed message, and the reply it calls for.
    pub fn assess(&self, analysis: &Analysis) -> Assessment {
        let morphemes = &analysis.morphemes;
        let found = self.lexicon.find(morphemes);
        let mut assessment = Assessment::default();
        // Nearly every message holds no rule word at all.
        if found.is_empty() {
            return assessment;
        }
        let sentences = sentences(morphemes, &analysis.normalized);
        // Each sentence, and each of its clauses to the end: a rule meets the first match of
        // its range, and a danger told after an earlier mention of the same words (前にも倒れた
        // ことがあるけど、今また父が倒れた) must be met too.
        let clauses = clause_ranges(morphemes, &analysis.normalized, &sentences);
        let whole = 0..morphemes.len();
        // (rule line, anchor start) of the mentions made, so a clause does not repeat one.
        let mut made: Vec<(usize, usize)> = Vec::new();
        let mut present = vec![false; self.lexicon.words.len()];
        for f in &found {
            present[f.word] = true;
        }
        let mut candidates: Vec<usize> =
            found.iter().flat_map(|f| self.rules_by_first_word[f.word].iter().copied()).collect();
        candidates.sort_unstable();
        candidates.dedup();
        for rule in candidates.into_iter().map(|index| &self.rules[index]) {
            // The first condition may hold: one of its first words is why the rule is here.
            if !rule.conditions.iter().skip(1).all(|c| c.may_hold(&present)) {
                continue;
            }
            let ranges: &[Range<usize>] = match rule.scope {
                Scope::Sentence => &clauses,
                Scope::Message => std::slice::from_ref(&whole),
            };
            for range in ranges {
                let mut matches = Vec::with_capacity(rule.conditions.len());
                // Only the words of this range can make a phrase in it (found is in text order).
                let words = &found[found.partition_point(|f| f.range.start < range.start)
                    ..found.partition_point(|f| f.range.start < range.end)];
                for condition in &rule.conditions {
                    match condition.alternatives.iter().find_map(|items| {
                        phrase_at(items, words, &analysis.normalized, morphemes, range).map(|m| (m, items))
                    }) {
                        Some(m) => matches.push(m),
                        None => break,
                    }
                }
                if matches.len() < rule.conditions.len() {
                    continue;
                }
                // The predicate is the first condition's with an ending, else the last one that
                // ends in a verb or an adjective (のど…詰まらせ: the tense and the worry are read
                // after 詰まらせ, not after のど), else the first's.
                let predicate = |m: &rules::PhraseMatch| {
                    m.anchor.end > m.anchor.start
                        && matches!(
                            morphemes[m.anchor.end - 1].pos,
                            PartOfSpeech::Verb { .. } | PartOfSpeech::Adjective { .. }
                        )
                };
                let (lead, _) = matches
                    .iter()
                    .find(|(_, items)| items.iter().any(|i| i.ending.is_some()))
                    .or_else(|| matches.iter().rev().find(|(m, _)| predicate(m)))
                    .unwrap_or(&matches[0]);
                if made.contains(&(rule.line, lead.anchor.start)) {
                    continue;
                }
                made.push((rule.line, lead.anchor.start));
                let sentence_index = sentences.iter().position(|s| s.contains(&lead.anchor.start));
                let sentence = sentence_index.map_or(whole.clone(), |i| sentences[i].clone());
                let cx = Context {
                    text: &analysis.normalized,
                    morphemes,
                    found: &found,
                    sentence,
                    anchor: lead.anchor.clone(),
                    start: lead.range.start,
                };
                let modality = self.modality.of(&cx);
                let own = &self.kinds[rule.kind];
                let kind = match modality {
                    Modality::Now => Some(rule.kind),
                    Modality::ThirdPerson => own.third_person,
                    // Said as a joke: the lead a denial gets (a gentle word where it is a
                    // feeling), never nothing where the kind has no gentler reply.
                    Modality::Denied | Modality::Joke => own.denied,
                    Modality::Past => own.past,
                    Modality::Worry => own.worry,
                    Modality::Degree | Modality::Story | Modality::NotDone => None,
                };
                let words = matches.iter().map(|(m, _)| surface(&analysis.normalized, morphemes, &m.range)).collect();
                assessment.mentions.push(Mention {
                    line: rule.line,
                    rule_kind: own.id.clone(),
                    words,
                    modality,
                    kind: kind.map(|k| self.kinds[k].id.clone()),
                    sentence: sentence_index.unwrap_or(0),
                });
                if let Some(kind) = kind {
                    if !assessment.kinds.contains(&kind) {
                        assessment.kinds.push(kind);
                    }
                }
            }
        }
        assessment.kinds.sort_by_key(|&k| (self.kinds[k].level, k));
        assessment
    }

    /// The leading kind of an assessment, if it calls for a reply.
    pub fn lead<'a>(&'a self, assessment: &Assessment) -> Option<&'a CrisisKind> {
        assessment.kinds.first().map(|&k| &self.kinds[k])
    }

    /// The contacts of the assessment's kinds for an area (the leading kind's first, then the
    /// others of the same level not yet listed).
    pub fn contacts_for(&self, assessment: &Assessment, area: Option<&str>) -> Vec<&Contact> {
        let Some(lead) = self.lead(assessment) else { return Vec::new() };
        let mut out: Vec<&Contact> = Vec::new();
        for &k in &assessment.kinds {
            let kind = &self.kinds[k];
            if kind.level != lead.level {
                continue;
            }
            for &c in &kind.contacts {
                let contact = &self.contacts[c];
                let here = contact.areas.is_empty() || area.is_none_or(|a| contact.areas.iter().any(|x| x == a));
                if here && !out.iter().any(|o| o.id == contact.id) {
                    out.push(contact);
                }
            }
        }
        out
    }
}

/// The sentences of a message as morpheme ranges: 。, !, ? and the like end one.
fn sentences(morphemes: &[Morpheme], text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, m) in morphemes.iter().enumerate() {
        // By surface alone (IPADIC does not tag a half-width ! or ? as a symbol), and any run
        // of them (?。, !!, …).
        let surface = m.surface(text);
        if !surface.is_empty()
            && surface.chars().all(|c| matches!(c, '。' | '.' | '!' | '?' | '．' | '！' | '？' | '…'))
        {
            if i > start {
                out.push(start..i);
            }
            start = i + 1;
        }
    }
    if start < morphemes.len() {
        out.push(start..morphemes.len());
    }
    out
}

/// The sentences, each followed by its clauses to the sentence's end: from after each comma or
/// conjunctive けど, けれど, が (前にも倒れたことがあるけど|、今また父が倒れた).
fn clause_ranges(morphemes: &[Morpheme], text: &str, sentences: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut out = Vec::with_capacity(sentences.len());
    for sentence in sentences {
        out.push(sentence.clone());
        for i in sentence.clone() {
            let m = &morphemes[i];
            let comma = m.pos == PartOfSpeech::Symbol && matches!(m.surface(text), "、" | "," | "，");
            let but = m.pos == PartOfSpeech::Particle(ParticleKind::Conjunctive)
                && matches!(m.base.as_str(), "けど" | "けれど" | "けれども" | "が");
            if (comma || but) && i + 1 < sentence.end {
                out.push(i + 1..sentence.end);
            }
        }
    }
    out
}

fn surface(text: &str, morphemes: &[Morpheme], range: &Range<usize>) -> String {
    match (morphemes.get(range.start), range.end.checked_sub(1).and_then(|e| morphemes.get(e))) {
        (Some(first), Some(last)) => text.get(first.span.start..last.span.end).unwrap_or_default().to_string(),
        _ => String::new(),
    }
}
