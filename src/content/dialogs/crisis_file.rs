//! `dialogs/crisis.toml` as staff write it: contacts, the kinds of danger and their replies,
//! word groups, the words that set a mention's modality, and the rules. Plain serde types; what
//! the words mean is [`crate::answer::crisis::rules`]' business.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrisisFile {
    /// Emergency and consultation lines, each with its official source.
    pub contact: Vec<Spanned<ContactSpec>>,
    /// The kinds of danger: what each reply says and which contacts it leads with.
    pub kind: Vec<Spanned<KindSpec>>,
    /// Named groups of words, written `@name` in a rule.
    #[serde(default)]
    pub groups: BTreeMap<String, Spanned<Vec<Spanned<String>>>>,
    pub modality: ModalityWords,
    /// Spoken and regional spellings of the endings rules write after `:` (たい → たか, てえ).
    #[serde(default)]
    pub spoken: BTreeMap<String, Vec<String>>,
    pub rule: Vec<Spanned<RuleSpec>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactSpec {
    /// What kinds name it by (`contacts = ["119"]`).
    pub id: String,
    pub name: String,
    /// The number to dial; a web-only line has none and a `url` instead.
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    /// When to call it, in the resident's words.
    pub when: String,
    /// When it answers (24時間, 平日…), as its source says.
    #[serde(default)]
    pub hours: Option<String>,
    /// The official page the number and hours come from.
    #[serde(default)]
    pub source: Option<String>,
    /// The day someone checked it against `source`.
    #[serde(default)]
    pub verified: Option<toml::value::Datetime>,
    /// Only for these municipalities (official names); every municipality when empty.
    #[serde(default)]
    pub areas: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindSpec {
    pub id: String,
    /// What staff read in explain and /stats.
    pub label: String,
    /// The first words of the reply.
    pub intro: String,
    /// Ids of [`ContactSpec`]s, in the order shown.
    pub contacts: Vec<String>,
    /// Said after the contacts.
    #[serde(default)]
    pub outro: Option<String>,
    /// Entry ids shown after the contacts (only the resident's municipality's).
    #[serde(default)]
    pub windows: Vec<String>,
    /// `urgent` (the reply replaces the answer) or `gentle` (it leads, the answer follows).
    #[serde(default)]
    pub level: Option<String>,
    /// The kind a mention becomes when it is about someone else (友達が死にたいと言っている).
    #[serde(default)]
    pub third_person: Option<String>,
    /// …when the resident denies it (死にたいわけじゃない).
    #[serde(default)]
    pub denied: Option<String>,
    /// …when it lies in the past (昔は死にたいと思っていた, 去年倒れて今は退院).
    #[serde(default)]
    pub past: Option<String>,
    /// …when it is a worry about what may happen (倒れたらどうしよう).
    #[serde(default)]
    pub worry: Option<String>,
}

/// The words the modality of a mention is read from. Grammar (conditional forms, ば, たら, the
/// quoting と) is the code's; these lists are the words.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModalityWords {
    /// People other than the writer: a mention with one of them as its subject is a third
    /// person's.
    pub others: Vec<Spanned<String>>,
    /// Verbs of reporting after a quote (と言う, って書いてきた).
    pub reporting: Vec<Spanned<String>>,
    /// Time words that put a mention in the past (昔, 去年).
    pub past: Vec<Spanned<String>>,
    /// Words that say an emergency is over (退院, リハビリ).
    pub aftermath: Vec<Spanned<String>>,
    /// Time words that bring it back to now (今, さっき).
    pub now: Vec<Spanned<String>>,
    /// Worry words after a mention (心配, 不安).
    pub worry: Vec<Spanned<String>>,
    /// Nouns of a denial before ない (わけ, つもり).
    pub denial: Vec<Spanned<String>>,
    /// Degree particles and nouns right after a mention (ほど, くらい).
    pub degree: Vec<Spanned<String>>,
    /// Words after a condition that make it a wish, not a worry (死ねたら楽, 死ねばいい).
    pub wish: Vec<Spanned<String>>,
    /// Words before a mention that make it a supposition (もし, 万が一, いつか).
    pub hypothetical: Vec<Spanned<String>>,
    /// Words that make the whole sentence talk about a topic, not an event (研修, ドラマ).
    pub topic: Vec<Spanned<String>>,
    /// Words after a long-past mention that say it is over now (乗り越える, 離婚, 自立).
    pub resolved: Vec<Spanned<String>>,
    /// Stories and reports: a mention told as happening in one (映画で倒れた人, ドラマの中で
    /// 死にたいと言う) is not the writer's.
    #[serde(default)]
    pub story: Vec<Spanned<String>>,
    /// People of a story (主人公, キャラ, ボス): a story word, の and one of them as the one who
    /// acts or suffers (アニメのキャラが「死にたい」って言う, ゲームのボスに殴られる) is the story's.
    #[serde(default)]
    pub characters: Vec<Spanned<String>>,
    /// Laughter after a mention (笑, w, 草): said as a joke.
    #[serde(default)]
    pub laughter: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub kind: String,
    /// Every condition must hold in one sentence (or in the message, with `scope`).
    pub when: Vec<Spanned<String>>,
    /// `sentence` (default) or `message`.
    #[serde(default)]
    pub scope: Option<String>,
}
