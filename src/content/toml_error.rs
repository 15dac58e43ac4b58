//! Why a staff TOML file could not be read, in Japanese, from what toml's API gives (the
//! error's span, the parsed table) and from typed errors, never from toml's English wording,
//! which changes between releases.
//!
//! [`parse`] reads a file with `toml`. When that fails, the text is parsed again as a plain
//! table. If that fails too, the mistake is in the syntax, and the line at the error's span is
//! looked at (full-width marks, a value without quotes, an unclosed quote, a missing `=`, a key
//! written twice). If the table parses, its shape is wrong: it is deserialized again through
//! `Typed`, a deserializer whose error is an enum (an unknown key with the allowed ones, a
//! missing key, a wrong form, a value not among the choices) and which records the path of keys
//! to the mistake, so the message names the key and its line. toml's own text follows only as
//! detail for an administrator, where nothing better could be said.

use std::fmt;
use std::path::Path;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use toml::Value;

use super::problem::{line_of_offset, Problem};

/// Reads `text` (the file `file`) as a `T`; a mistake is a problem with its line, in Japanese.
pub fn parse<T: DeserializeOwned>(file: &Path, text: &str) -> Result<T, Problem> {
    toml::from_str(text).map_err(|e| explain::<T>(file, text, &e))
}

/// The problem for `err`, an error reading `text` as a `T`.
pub fn explain<T: DeserializeOwned>(file: &Path, text: &str, err: &toml::de::Error) -> Problem {
    let detail = err.message().trim().to_string();
    match text.parse::<toml::Table>() {
        Err(syntax) => {
            let span = syntax.span().or(err.span());
            let line = span.map(|s| line_of_offset(text, s.start));
            let (message, hint) = syntax_mistake(text, line, &detail);
            Problem::error(file, line, message).hint(hint)
        }
        Ok(table) => match T::deserialize(Typed { value: &Value::Table(table) }) {
            Err(shape) => shape_mistake(file, text, &shape),
            // toml refused what the typed reading accepts: say what toml said, with its line.
            Ok(_) => Problem::error(
                file,
                err.span().map(|s| line_of_offset(text, s.start)),
                format!("読み込めませんでした(管理者向けの詳細: {detail})"),
            )
            .hint("書き方を見直してください。わからなければ、直前の変更を元に戻してください"),
        },
    }
}

/// Full-width marks look right to the eye and are the commonest mistake of a Japanese keyboard
/// left in 全角 mode.
const FULL_WIDTH_MARKS: [(&str, &str); 5] = [("＝", "＝"), ("“", "“ ”"), ("”", "“ ”"), ("［", "［ ］"), ("，", "，")];

/// (message, hint) for a syntax error on `line`, from what is written there.
fn syntax_mistake(text: &str, line: Option<usize>, detail: &str) -> (String, String) {
    let written = line.and_then(|l| text.lines().nth(l - 1)).unwrap_or_default();
    let mut marks: Vec<&str> = FULL_WIDTH_MARKS.iter().filter(|(m, _)| written.contains(m)).map(|(_, s)| *s).collect();
    marks.dedup();
    if !marks.is_empty() {
        return (
            format!("全角の記号 {} が使われています(この行の記号は半角で書きます)", marks.join(" ")),
            "日本語入力を切って(半角で)、= \" [ ] , を打ち直してください。値の中の文字は全角のままでかまいません"
                .into(),
        );
    }
    let trimmed = written.trim();
    let is_line = !trimmed.is_empty() && !trimmed.starts_with('#') && !trimmed.starts_with('[');
    let Some((key, value)) = trimmed.split_once('=').filter(|_| is_line) else {
        if is_line && !trimmed.starts_with(['"', '\'', ']']) {
            return (
                "「項目名 = 値」の = がありません".into(),
                "title = \"地域子育て支援コーディネーター\" のように、項目名と値のあいだに半角の = を書いてください"
                    .into(),
            );
        }
        return generic(detail);
    };
    let (key, value) = (key.trim(), value.trim());
    if value.is_empty() || value.starts_with('#') {
        return (
            format!("{key} の = のあとに値がありません"),
            "値を書くか、書くことがなければ行ごと削除してください".into(),
        );
    }
    let starts_as_value = value.starts_with(['"', '\'', '[', '{', '+', '-'])
        || value.starts_with(|c: char| c.is_ascii_digit())
        || ["true", "false", "inf", "nan"].iter().any(|w| value.starts_with(w));
    if !starts_as_value {
        return (
            format!("{key} の値「{value}」が \" で囲まれていません"),
            format!("{key} = \"{value}\" のように、文字は半角の \" で囲んでください"),
        );
    }
    if value.starts_with('"') && !value.starts_with("\"\"\"") && unescaped_quotes(value) % 2 == 1 {
        return (format!("{key} の値の \" が閉じていません"), "値の終わりにも半角の \" を書いてください".into());
    }
    if written_before_in_table(text, line.unwrap_or(1), key) {
        return (
            format!("「{key}」が同じところに2回書かれています"),
            "1つの項目名は1回だけ書きます。どちらかを消すか、1つにまとめてください".into(),
        );
    }
    generic(detail)
}

fn generic(detail: &str) -> (String, String) {
    (
        format!("書き方に誤りがあります(管理者向けの詳細: {detail})"),
        "引用符 \" や括弧 [ ] の閉じ忘れ、= の書き忘れがないか確かめてください".into(),
    )
}

fn unescaped_quotes(value: &str) -> usize {
    let mut count = 0;
    let mut escaped = false;
    for c in value.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => count += 1,
            _ => escaped = false,
        }
        if c != '\\' {
            escaped = false;
        }
    }
    count
}

/// Whether `key =` stands on an earlier line of the same table as `line` (1-based).
fn written_before_in_table(text: &str, line: usize, key: &str) -> bool {
    let lines: Vec<&str> = text.lines().take(line.saturating_sub(1)).collect();
    lines
        .iter()
        .rev()
        .take_while(|l| !l.trim_start().starts_with('['))
        .any(|l| l.split_once('=').is_some_and(|(k, _)| k.trim() == key && !l.trim_start().starts_with('#')))
}

/// What a shape error says, as an enum: made by serde's derived code through [`de::Error`].
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    UnknownKey { key: String, allowed: &'static [&'static str] },
    MissingKey(&'static str),
    WrongForm { found: Form },
    NotAChoice { value: String, allowed: &'static [&'static str] },
    Other(String),
}

/// The form of a value as staff see it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Form {
    Text,
    Number,
    YesNo,
    List,
    Table,
    Other,
}

impl Form {
    fn of(unexpected: &de::Unexpected) -> Form {
        use de::Unexpected::*;
        match unexpected {
            Str(_) | Char(_) => Form::Text,
            Signed(_) | Unsigned(_) | Float(_) => Form::Number,
            Bool(_) => Form::YesNo,
            Seq => Form::List,
            Map => Form::Table,
            _ => Form::Other,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Form::Text => "文字",
            Form::Number => "数",
            Form::YesNo => "true/false",
            Form::List => "リスト [ ]",
            Form::Table => "表",
            Form::Other => "ほかの形",
        }
    }
}

/// One step of the way to a value: a key, or a position in a list.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone, PartialEq)]
struct ShapeError {
    shape: Shape,
    /// From the file's top to the value (for an unknown key, to the key itself).
    path: Vec<Step>,
}

impl ShapeError {
    fn within(mut self, step: Step) -> ShapeError {
        self.path.insert(0, step);
        self
    }
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} at {:?}", self.shape, self.path)
    }
}

impl std::error::Error for ShapeError {}

impl de::Error for ShapeError {
    fn custom<M: fmt::Display>(message: M) -> Self {
        ShapeError { shape: Shape::Other(message.to_string()), path: Vec::new() }
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        ShapeError { shape: Shape::UnknownKey { key: field.to_string(), allowed: expected }, path: Vec::new() }
    }

    fn missing_field(field: &'static str) -> Self {
        ShapeError { shape: Shape::MissingKey(field), path: Vec::new() }
    }

    fn invalid_type(unexpected: de::Unexpected, _: &dyn de::Expected) -> Self {
        ShapeError { shape: Shape::WrongForm { found: Form::of(&unexpected) }, path: Vec::new() }
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        ShapeError { shape: Shape::NotAChoice { value: variant.to_string(), allowed: expected }, path: Vec::new() }
    }
}

/// The problem for a shape error, on the line of the key it concerns.
fn shape_mistake(file: &Path, text: &str, error: &ShapeError) -> Problem {
    let key = error.path.iter().rev().find_map(|s| match s {
        Step::Key(k) => Some(k.as_str()),
        Step::Index(_) => None,
    });
    let line = line_of_path(text, &error.path);
    let (message, hint) = match &error.shape {
        Shape::UnknownKey { key, allowed } => (
            format!("「{key}」という項目名は使えません"),
            format!("つづりを確かめてください。使える項目名: {}", allowed.join("、")),
        ),
        Shape::MissingKey(name) => (format!("必須の項目「{name}」がありません"), format!("{name} = \"...\" の行を書き足してください")),
        Shape::WrongForm { found } => (
            format!("{} の値の形が違います({}が書かれています)", key.unwrap_or("この行"), found.label()),
            "文字は \"...\" で、リストは [\"...\", \"...\"] で、日付は 2026-01-31 のように書きます(index/README.md の項目の表を参照)".into(),
        ),
        Shape::NotAChoice { value, allowed } => (
            format!("{} の「{value}」は使えません", key.unwrap_or("この行")),
            format!("次のどれかにしてください: {}", allowed.join("、")),
        ),
        Shape::Other(detail) => (
            format!("{} の値が正しくありません(管理者向けの詳細: {detail})", key.unwrap_or("この行")),
            "index/README.md の書き方と見比べてください".into(),
        ),
    };
    Problem::error(file, line, message).hint(hint)
}

/// The line of the key at the end of `path` (a missing key: of the table it is missing from;
/// `None` for the file's top level).
fn line_of_path(text: &str, path: &[Step]) -> Option<usize> {
    let document = toml::de::DeTable::parse(text).ok()?;
    let mut span: Option<std::ops::Range<usize>> = None;
    let mut table = Some(document.get_ref());
    let mut value: Option<&toml::de::DeValue> = None;
    for step in path {
        match step {
            Step::Key(key) => {
                let (k, v) = table?.iter().find(|(k, _)| k.get_ref().as_ref() == key.as_str())?;
                span = Some(k.span());
                value = Some(v.get_ref());
                table = v.get_ref().as_table();
            }
            Step::Index(i) => {
                let item = value?.as_array()?.get(*i)?;
                // An [[array]] table's item starts at its header.
                span = Some(item.span());
                value = Some(item.get_ref());
                table = item.get_ref().as_table();
            }
        }
    }
    span.map(|s| line_of_offset(text, s.start))
}

/// A deserializer over a parsed value whose errors are [`ShapeError`]s with their path.
struct Typed<'a> {
    value: &'a Value,
}

impl<'de, 'a> de::Deserializer<'de> for Typed<'a> {
    type Error = ShapeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ShapeError> {
        match self.value {
            Value::String(s) => visitor.visit_str(s),
            Value::Integer(i) => visitor.visit_i64(*i),
            Value::Float(x) => visitor.visit_f64(*x),
            Value::Boolean(b) => visitor.visit_bool(*b),
            Value::Datetime(d) => visitor.visit_map(toml_datetime::de::DatetimeDeserializer::new(*d)),
            Value::Array(items) => visitor.visit_seq(Items { items: items.iter(), index: 0 }),
            Value::Table(table) => visitor.visit_map(Entries { entries: table.iter(), key: None }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ShapeError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, ShapeError> {
        visitor.visit_newtype_struct(self)
    }

    /// `toml::Spanned` (crisis.toml keeps positions) asks for its private fields: given, with
    /// no position (only the error is wanted here).
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ShapeError> {
        if serde_spanned::de::is_spanned(name) {
            return visitor.visit_map(serde_spanned::de::SpannedDeserializer::new(self, 0..0));
        }
        self.deserialize_any(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ShapeError> {
        match self.value {
            Value::String(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            _ => self.deserialize_any(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit unit_struct
        seq tuple tuple_struct map identifier ignored_any
    }
}

impl<'de, 'a> IntoDeserializer<'de, ShapeError> for Typed<'a> {
    type Deserializer = Typed<'a>;

    fn into_deserializer(self) -> Typed<'a> {
        self
    }
}

struct Items<'a> {
    items: std::slice::Iter<'a, Value>,
    index: usize,
}

impl<'de, 'a> SeqAccess<'de> for Items<'a> {
    type Error = ShapeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, ShapeError> {
        let Some(value) = self.items.next() else { return Ok(None) };
        let index = self.index;
        self.index += 1;
        seed.deserialize(Typed { value }).map(Some).map_err(|e| e.within(Step::Index(index)))
    }
}

struct Entries<'a> {
    entries: toml::map::Iter<'a, String, Value>,
    key: Option<(&'a String, &'a Value)>,
}

impl<'de, 'a> MapAccess<'de> for Entries<'a> {
    type Error = ShapeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, ShapeError> {
        let Some((key, value)) = self.entries.next() else { return Ok(None) };
        self.key = Some((key, value));
        seed.deserialize(key.as_str().into_deserializer())
            .map(Some)
            .map_err(|e: ShapeError| e.within(Step::Key(key.clone())))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, ShapeError> {
        let Some((key, value)) = self.key.take() else {
            return Err(de::Error::custom("a value was asked for before its key"));
        };
        seed.deserialize(Typed { value }).map_err(|e| e.within(Step::Key(key.clone())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Rule {
        kind: Kind,
        words: Vec<toml::Spanned<String>>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "lowercase")]
    enum Kind {
        Urgent,
        Gentle,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct File {
        title: String,
        summary: Option<String>,
        verified: Option<toml::value::Datetime>,
        #[serde(default)]
        rule: Vec<toml::Spanned<Rule>>,
    }

    fn problem(text: &str) -> Problem {
        parse::<File>(Path::new("a.toml"), text).unwrap_err()
    }

    #[test]
    fn shape_mistakes_name_the_key_and_its_line_from_typed_errors() {
        let p = problem("title = \"a\"\ntitel = \"b\"\n");
        assert_eq!((p.line, p.message.as_str()), (Some(2), "「titel」という項目名は使えません"));
        assert_eq!(p.hint.as_deref(), Some("つづりを確かめてください。使える項目名: title、summary、verified、rule"));
        let p = problem("summary = \"a\"\n");
        assert_eq!((p.line, p.message.as_str()), (None, "必須の項目「title」がありません"));
        let p = problem("title = [\"a\"]\n");
        assert_eq!((p.line, p.message.as_str()), (Some(1), "title の値の形が違います(リスト [ ]が書かれています)"));
        let text = "title = \"a\"\n\n[[rule]]\nkind = \"urgent\"\nwords = [\"x\"]\n\n[[rule]]\nkind = \"soon\"\nwords = [\"y\"]\n";
        let p = problem(text);
        assert_eq!((p.line, p.message.as_str()), (Some(8), "kind の「soon」は使えません"), "{p}");
        assert_eq!(p.hint.as_deref(), Some("次のどれかにしてください: urgent、gentle"));
        let p = problem("title = \"a\"\n[[rule]]\nkind = \"urgent\"\nword = [\"x\"]\n");
        assert_eq!((p.line, p.message.as_str()), (Some(4), "「word」という項目名は使えません"), "{p}");
        let p = problem("title = \"a\"\n[[rule]]\nkind = \"urgent\"\n");
        assert_eq!((p.line, p.message.as_str()), (Some(2), "必須の項目「words」がありません"), "{p}");
        // A date still reads as a date through the typed deserializer.
        let p = problem("title = \"a\"\nverified = 2026-01-31\ntitel = 1\n");
        assert_eq!(p.line, Some(3), "{p}");
    }

    #[test]
    fn syntax_mistakes_are_read_off_the_line() {
        for (text, line, message) in [
            ("title = あいう\n", 1, "title の値「あいう」が \" で囲まれていません"),
            ("summary = \"a\"\ntitle = \"あいう\n", 2, "title の値の \" が閉じていません"),
            ("title = \"a\"\nsummary\n", 2, "「項目名 = 値」の = がありません"),
            ("title =\n", 1, "title の = のあとに値がありません"),
            ("title = \"a\"\ntitle = \"b\"\n", 2, "「title」が同じところに2回書かれています"),
            ("title ＝ \"a\"\n", 1, "全角の記号 ＝ が使われています(この行の記号は半角で書きます)"),
            ("title = “a”\n", 1, "全角の記号 “ ” が使われています(この行の記号は半角で書きます)"),
        ] {
            let p = problem(text);
            assert_eq!((p.line, p.message.as_str()), (Some(line), message), "{text:?}: {p}");
            assert!(!p.message.is_ascii() && !p.hint.as_deref().unwrap_or("").contains("expected"), "{p}");
        }
    }
}
