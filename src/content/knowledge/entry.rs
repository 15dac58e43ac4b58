//! One service, as staff write it in `index/<自治体>/<名前>.toml`.
//!
//! [`Entry::parse`] is pure (the path is used only in messages and to check the `id`); the
//! loader in [`super`] reads the files and calls it, and `index check` uses that same loader.

use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::content::problem::{line_of_key, Problem};
use crate::content::toml_error::parse as parse_toml;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// `<folder>/<file stem>`, e.g. `setagaya/kosodate-coordinator`.
    pub id: String,
    /// The official name exactly as the source writes it.
    pub title: String,
    pub municipality: String,
    pub categories: Vec<String>,
    pub summary: String,
    pub for_whom: String,
    pub provider: Option<String>,
    pub details: Option<String>,
    pub aliases: Vec<String>,
    pub keywords: Vec<String>,
    pub questions: Vec<String>,
    pub contact: Contact,
    pub source: String,
    pub verified: NaiveDate,
}

/// How to reach the service; every field only where a source gives it.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Contact {
    pub hours: Option<String>,
    pub phone: Option<String>,
    pub fax: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub url: Option<String>,
}

impl Contact {
    pub fn is_empty(&self) -> bool {
        *self == Contact::default()
    }
}

/// The file's shape. `deny_unknown_fields` turns a misspelt key into an error with its line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    id: String,
    title: String,
    municipality: String,
    categories: Vec<String>,
    summary: String,
    for_whom: String,
    provider: Option<String>,
    details: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    questions: Vec<String>,
    hours: Option<String>,
    phone: Option<String>,
    fax: Option<String>,
    email: Option<String>,
    address: Option<String>,
    url: Option<String>,
    source: String,
    verified: RawDate,
}

/// `verified` as staff write it: a TOML date (`2026-11-30`), or text in a form people use for
/// dates (`"2026/11/30"`, `"2026年11月30日"`, `"令和8年11月30日"`); see [`staff_date`].
#[derive(Deserialize)]
#[serde(untagged)]
enum RawDate {
    Date(toml::value::Datetime),
    Text(String),
}

/// What an entry is checked against: the names the rest of the staff files define.
pub struct EntryRules<'a> {
    pub municipalities: &'a [String],
    /// `None` when `dialogs/menu.toml` could not be read.
    pub categories: Option<&'a [String]>,
    pub today: NaiveDate,
    pub max_age_months: u32,
    /// The template's example values, which a new entry must not keep.
    pub placeholders: &'a Placeholders,
}

/// The example values of `index/_template.toml` that stand for what staff write (`source =
/// "資料の題名(発行元、掲載日)"`): an entry still holding one was copied and not rewritten, and
/// residents would read the example as a fact.
#[derive(Debug, Clone, Default)]
pub struct Placeholders {
    values: Vec<(&'static str, String)>,
}

impl Placeholders {
    /// The keys whose template value can only be an example (the source's title, the note on
    /// details, the contacts). The name, summary, for whom, categories and wording are not
    /// among them: the template shows a real service there, and a real entry may rightly say
    /// the same (子育て中の家庭).
    const KEYS: [&'static str; 8] = ["details", "source", "hours", "phone", "fax", "email", "address", "url"];

    /// The example values of a template file; its own syntax errors are the caller's to report.
    pub fn from_template(text: &str) -> Result<Placeholders, toml::de::Error> {
        let table: toml::Table = toml::from_str(text)?;
        let values = Self::KEYS
            .iter()
            .filter_map(|key| Some((*key, table.get(*key)?.as_str()?.trim().to_string())))
            .filter(|(_, value)| !value.is_empty())
            .collect();
        Ok(Placeholders { values })
    }

    /// The template value `value` of `key` is, if it is one.
    fn example(&self, key: &str, value: &str) -> Option<&str> {
        self.values.iter().find(|(k, v)| *k == key && v == value.trim()).map(|(_, v)| v.as_str())
    }
}

/// A value no real entry holds, whatever the template says: only dots (`...`), an address that
/// ends in them (`https://...`), a number of zeros (`03-0000-0000`), an example domain.
fn is_placeholder(key: &str, value: &str) -> bool {
    let value = half_width_number(value.trim());
    let value = value.as_str();
    let only_dots = !value.is_empty() && value.chars().all(|c| matches!(c, '.' | '…' | '．' | '・' | ' '));
    let zeros = matches!(key, "phone" | "fax") && value.contains("0000-0000");
    let example = matches!(key, "email" | "url")
        && (value.contains("example.") || value.ends_with("...") || value.ends_with('…'));
    only_dots || zeros || example
}

impl Entry {
    /// Parses and checks one entry. `expected_id` is `<folder>/<stem>` of its path.
    /// Returns the entry (if it could be read at all) and every problem found.
    pub fn parse(path: &Path, expected_id: &str, text: &str, rules: &EntryRules) -> (Option<Entry>, Vec<Problem>) {
        // A date written without quotes in a form TOML has no syntax for (2026/11/30) is read
        // as the text it is, so it gets a message about dates, not about quotes.
        let quoted = quote_bare_date(text);
        let raw: EntryFile = match parse_toml(path, &quoted) {
            Ok(raw) => raw,
            Err(problem) => return (None, vec![problem]),
        };
        let mut problems = Vec::new();
        let at = |key: &str| line_of_key(text, key);
        let mut error = |key: &str, message: String, hint: &str| {
            problems.push(Problem::error(path, at(key), message).hint(hint));
        };

        if raw.id != expected_id {
            error(
                "id",
                format!("id が「{}」ですが、ファイルの場所からは「{expected_id}」のはずです", raw.id),
                "id は「フォルダ名/ファイル名(.toml を除く)」と同じにしてください",
            );
        }
        if !rules.municipalities.contains(&raw.municipality) {
            error(
                "municipality",
                format!("自治体「{}」は index/places.toml にありません", raw.municipality),
                &format!("次のどれかにしてください: {}", rules.municipalities.join(" / ")),
            );
        }
        if raw.categories.is_empty() {
            error("categories", "categories が空です".into(), "分野を1つ以上書いてください");
        }
        // Without a readable menu there is nothing to check against (that file's error is reported).
        let known = rules.categories.unwrap_or_default();
        for category in raw.categories.iter().filter(|_| rules.categories.is_some()) {
            if !known.contains(category) {
                error(
                    "categories",
                    format!("分野「{category}」は dialogs/menu.toml にありません"),
                    &format!("次のどれかにしてください: {}", known.join(" / ")),
                );
            }
        }
        for (key, value) in
            [("title", &raw.title), ("summary", &raw.summary), ("for_whom", &raw.for_whom), ("source", &raw.source)]
        {
            if value.trim().is_empty() {
                error(key, format!("{key} が空です"), "内容を書いてください");
            }
        }
        let optional = [
            ("provider", &raw.provider),
            ("details", &raw.details),
            ("hours", &raw.hours),
            ("phone", &raw.phone),
            ("fax", &raw.fax),
            ("email", &raw.email),
            ("address", &raw.address),
            ("url", &raw.url),
        ];
        for (key, value) in optional {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                error(key, format!("{key} が空です"), "書くことがなければ、その行ごと削除してください");
            }
        }
        let written =
            [("summary", Some(&raw.summary)), ("for_whom", Some(&raw.for_whom)), ("source", Some(&raw.source))]
                .into_iter()
                .chain(optional.iter().map(|(key, value)| (*key, value.as_ref())));
        for (key, value) in written {
            let Some(value) = value.filter(|v| !v.trim().is_empty()) else { continue };
            if let Some(example) = rules.placeholders.example(key, value) {
                let shown: String = example.chars().take(30).collect();
                error(
                    key,
                    format!("{key} がひな形の例「{shown}」のままです"),
                    "この項目の内容に書き換えてください。資料に書かれていなければ、その行ごと削除してください",
                );
            } else if is_placeholder(key, value) {
                error(
                    key,
                    format!("{key}「{}」は書きかけ(ひな形の例)のようです", value.trim()),
                    "資料に書かれているとおりに書き換えてください。書かれていなければ、その行ごと削除してください",
                );
            }
        }
        // Full-width digits and dashes (０３－１２３４) can only mean the number: normalised.
        let (phone, fax) = (raw.phone.as_deref().map(half_width_number), raw.fax.as_deref().map(half_width_number));
        for (key, value) in [("phone", &phone), ("fax", &fax)] {
            if let Some(number) = value.as_deref().filter(|v| !v.trim().is_empty()) {
                if !looks_like_phone(number) {
                    error(
                        key,
                        format!("{key}「{number}」は電話番号の形ではありません"),
                        "03-1234-5678 のように数字とハイフンで書いてください",
                    );
                } else if number.trim().len() >= 9
                    && number.trim().bytes().all(|b| b.is_ascii_digit())
                    && !number.trim().starts_with('0')
                {
                    // A number with an area code starts with 0; Excel, reading one as a number,
                    // drops the 0 and the hyphens (a local number as a source writes it, 78-8182,
                    // keeps its hyphen).
                    error(key, format!("{key}「{number}」の先頭が 0 ではありません"),
                          "Excel などで開くと先頭の 0 が消えることがあります。資料のとおり 03-1234-5678 の形で書き直してください");
                }
            }
        }
        if let Some(url) = raw.url.as_deref().filter(|v| !v.trim().is_empty()) {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                error(
                    "url",
                    format!("url「{url}」が https:// で始まっていません"),
                    "ページのアドレスをそのまま貼り付けてください",
                );
            }
        }
        if let Some(email) = raw.email.as_deref().filter(|v| !v.trim().is_empty()) {
            if !email.contains('@') {
                error("email", format!("email「{email}」に @ がありません"), "メールアドレスをそのまま書いてください");
            }
        }
        let (verified_date, verified_text) = match &raw.verified {
            RawDate::Date(date) => (date_of(date), date.to_string()),
            RawDate::Text(text) => (staff_date(text), text.clone()),
        };
        let verified = match verified_date {
            Some(date) => date,
            None => {
                error(
                    "verified",
                    format!(
                        "verified「{verified_text}」は日付として読めません。日付は 2026-11-30 の形で書いてください"
                    ),
                    "2026-01-31 のように 年-月-日 で書いてください(引用符なし)",
                );
                rules.today
            }
        };
        if verified > rules.today {
            error("verified", format!("verified {verified} は未来の日付です"), "内容を確かめた日を書いてください");
        } else if months_between(verified, rules.today) >= rules.max_age_months {
            problems.push(
                Problem::warning(
                    path,
                    at("verified"),
                    format!("{verified} から {} か月以上確認されていません", rules.max_age_months),
                )
                .hint("出典と照らし合わせて内容を確かめ、verified を確認した日に更新してください"),
            );
        }
        if raw.keywords.is_empty() && raw.questions.is_empty() {
            problems.push(
                Problem::warning(path, None, "keywords と questions がどちらも空です")
                    .hint("住民がふだん使う言葉や質問の例を書くと、見つかりやすくなります"),
            );
        }
        let entry = Entry {
            id: raw.id,
            title: raw.title.trim().to_string(),
            municipality: raw.municipality,
            categories: raw.categories,
            summary: raw.summary.trim().to_string(),
            for_whom: raw.for_whom.trim().to_string(),
            provider: clean(raw.provider),
            details: clean(raw.details),
            aliases: raw.aliases,
            keywords: raw.keywords,
            questions: raw.questions,
            contact: Contact {
                hours: clean(raw.hours),
                phone: clean(phone),
                fax: clean(fax),
                email: clean(raw.email),
                address: clean(raw.address),
                url: clean(raw.url),
            },
            source: raw.source.trim().to_string(),
            verified,
        };
        (Some(entry), problems)
    }

    /// Every text search reads, as (TOML key, item), in the order search indexes them: what a
    /// service is called (title, aliases), the staff's wording (keywords), the example questions,
    /// then the description. Search builds its fields from this list and explain names the keys
    /// from it, so the two cannot disagree.
    pub fn searched_items(&self) -> Vec<(&'static str, &str)> {
        let mut items: Vec<(&'static str, &str)> = vec![("title", &self.title)];
        items.extend(self.aliases.iter().map(|a| ("aliases", a.as_str())));
        items.extend(self.keywords.iter().map(|k| ("keywords", k.as_str())));
        items.extend(self.questions.iter().map(|q| ("questions", q.as_str())));
        items.push(("summary", &self.summary));
        items.push(("for_whom", &self.for_whom));
        items.extend(self.categories.iter().map(|c| ("categories", c.as_str())));
        items.extend(self.details.as_deref().map(|d| ("details", d)));
        items.extend(self.provider.as_deref().map(|p| ("provider", p)));
        items
    }

    /// Whether the facts are older than `max_age_months` on `today`.
    pub fn is_stale(&self, today: NaiveDate, max_age_months: u32) -> bool {
        months_between(self.verified, today) >= max_age_months
    }
}

fn clean(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

fn date_of(value: &toml::value::Datetime) -> Option<NaiveDate> {
    match (value.date, value.time) {
        (Some(d), None) => NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into()),
        _ => None,
    }
}

/// A date as people write it: `2026-11-30`, `2026/11/30`, `2026/1/5`, `2026年11月30日`,
/// `令和8年11月30日` (令和元年 is 2019), with full-width digits too. Each can mean one day only;
/// anything else (`2026-13-30`, `11/30`) is `None`.
pub fn staff_date(text: &str) -> Option<NaiveDate> {
    let text: String = half_width_number(text).chars().filter(|c| !c.is_whitespace()).collect();
    let (year_offset, rest) = match text.strip_prefix("令和") {
        Some(rest) => (2018, rest.replacen("元年", "1年", 1)),
        None => (0, text.clone()),
    };
    let numbers: Vec<&str> = rest.trim_end_matches('日').split(['-', '/', '年', '月']).collect();
    let [year, month, day] = numbers.as_slice() else { return None };
    let year: i32 = year.parse().ok()?;
    if year_offset > 0 && !(1..=99).contains(&year) || year_offset == 0 && year < 1900 {
        return None;
    }
    NaiveDate::from_ymd_opt(year + year_offset, month.parse().ok()?, day.parse().ok()?)
}

/// Full-width digits, dashes and brackets as their ASCII (ー and － in a number are dashes).
fn half_width_number(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '－' | 'ー' | '‐' | '−' | '―' | '—' | '–' => '-',
            '（' => '(',
            '）' => ')',
            '／' => '/',
            '　' => ' ',
            c => c,
        })
        .collect()
}

/// `verified = 2026/11/30` (no quotes, not a TOML date) → `verified = "2026/11/30"`.
fn quote_bare_date(text: &str) -> std::borrow::Cow<'_, str> {
    let Some(line) = line_of_key(text, "verified") else { return text.into() };
    let lines: Vec<&str> = text.split('\n').collect();
    let Some(original) = lines.get(line - 1) else { return text.into() };
    let Some((key, value)) = original.split_once('=') else { return text.into() };
    let value = value.split('#').next().unwrap_or_default().trim();
    let is_toml_date = value.len() == 10 && NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok();
    if value.is_empty() || value.starts_with(['"', '\'']) || is_toml_date || value.contains('"') {
        return text.into();
    }
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    out[line - 1] = format!("{key}= \"{value}\"");
    out.join("\n").into()
}

/// Whole months from `from` to `to` (0 when `to` is earlier).
pub fn months_between(from: NaiveDate, to: NaiveDate) -> u32 {
    use chrono::Datelike;
    let months =
        (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32 - i32::from(to.day() < from.day());
    months.max(0) as u32
}

fn looks_like_phone(number: &str) -> bool {
    let digits = number.chars().filter(char::is_ascii_digit).count();
    (6..=15).contains(&digits) && number.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '(' | ')' | ' ' | '+'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> (Vec<String>, Vec<String>) {
        (vec!["世田谷区".into()], vec!["子育て".into()])
    }

    const GOOD: &str = r#"id = "setagaya/a"
title = "地域子育て支援コーディネーター"
municipality = "世田谷区"
categories = ["子育て"]
summary = "子育ての相談"
for_whom = "子育て中の家庭"
source = "資料"
verified = 2026-01-10
keywords = ["預け先"]
"#;

    fn parse(text: &str) -> (Option<Entry>, Vec<Problem>) {
        let (m, c) = rules();
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let placeholders = Placeholders::from_template(TEMPLATE).unwrap();
        let rules = EntryRules {
            municipalities: &m,
            categories: Some(&c),
            today,
            max_age_months: 12,
            placeholders: &placeholders,
        };
        Entry::parse(Path::new("index/setagaya/a.toml"), "setagaya/a", text, &rules)
    }

    const TEMPLATE: &str =
        "summary = \"何をしてくれるところか\"\nsource = \"資料の題名(発行元、掲載日)\"\n# phone = \"03-0000-0000\"\n";

    #[test]
    fn values_left_as_the_template_wrote_them_are_errors_on_their_line() {
        let text = GOOD.replace("source = \"資料\"", "source = \"資料の題名(発行元、掲載日)\"");
        let (_, problems) = parse(&text);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].line, Some(7));
        assert!(problems[0].message.contains("ひな形の例「資料の題名(発行元、掲載日)」のまま"), "{}", problems[0]);
        for (line, key) in
            [("phone = \"03-0000-0000\"", "phone"), ("url = \"https://...\"", "url"), ("address = \"...\"", "address")]
        {
            let (_, problems) = parse(&GOOD.replace("keywords", &format!("{line}\nkeywords")));
            assert_eq!(problems.len(), 1, "{line}: {problems:?}");
            assert!(
                problems[0].message.starts_with(key) && problems[0].message.contains("書きかけ"),
                "{}",
                problems[0]
            );
        }
        // A real value that happens to hold dots is not an example.
        let (_, problems) = parse(&GOOD.replace("子育ての相談", "子育ての相談…など"));
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn a_good_entry_has_no_problems() {
        let (entry, problems) = parse(GOOD);
        assert!(problems.iter().all(|p| !p.is_error()), "{problems:?}");
        assert_eq!(entry.unwrap().verified, NaiveDate::from_ymd_opt(2026, 1, 10).unwrap());
    }

    #[test]
    fn a_misspelt_key_is_an_error_on_its_line() {
        let text = GOOD.replace("for_whom", "for_who");
        let (_, problems) = parse(&text);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].line, Some(6));
        assert!(problems[0].message.contains("for_who"), "{}", problems[0]);
    }

    #[test]
    fn dates_in_the_forms_people_write_are_read_and_others_say_how_to_write_them() {
        let day = NaiveDate::from_ymd_opt(2026, 1, 10).unwrap();
        for written in ["2026/01/10", "\"2026/1/10\"", "\"2026年1月10日\"", "令和8年1月10日", "\"２０２６/１/１０\""]
        {
            let (entry, problems) = parse(&GOOD.replace("verified = 2026-01-10", &format!("verified = {written}")));
            assert!(problems.is_empty(), "{written}: {problems:?}");
            assert_eq!(entry.unwrap().verified, day, "{written}");
        }
        for wrong in ["2026-13-30", "\"11/30\"", "令和8年13月1日"] {
            let (_, problems) = parse(&GOOD.replace("verified = 2026-01-10", &format!("verified = {wrong}")));
            assert_eq!(problems.len(), 1, "{wrong}: {problems:?}");
            assert!(
                problems[0].message.contains("日付は 2026-11-30 の形で書いてください"),
                "{wrong}: {}",
                problems[0].message
            );
            assert!(
                !problems[0].message.contains("quoted") && !problems[0].message.contains("expected"),
                "{}",
                problems[0].message
            );
            assert_eq!(problems[0].line, Some(8));
        }
    }

    #[test]
    fn a_phone_number_without_its_leading_zero_is_an_error() {
        let (_, problems) = parse(&GOOD.replace("keywords", "phone = \"312345678\"\nkeywords"));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].message.contains("先頭が 0 ではありません")
                && problems[0].hint.as_deref().unwrap().contains("Excel")
        );
        // A local number as a source writes it, without the area code.
        let (_, problems) = parse(&GOOD.replace("keywords", "phone = \"78-8182\"\nkeywords"));
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn full_width_phone_numbers_are_read_as_the_number() {
        let (entry, problems) = parse(&GOOD.replace("keywords", "phone = \"０３－１２３４－５６７８\"\nkeywords"));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(entry.unwrap().contact.phone.as_deref(), Some("03-1234-5678"));
    }

    #[test]
    fn an_invented_looking_phone_and_unknown_category_are_reported() {
        let text = GOOD.replace("categories = [\"子育て\"]", "categories = [\"こそだて\"]\nphone = \"電話してね\"");
        let (_, problems) = parse(&text);
        let lines: Vec<_> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![Some(4), Some(5)], "{problems:?}");
    }

    #[test]
    fn old_facts_are_a_warning() {
        let text = GOOD.replace("2026-01-10", "2025-01-10");
        let (_, problems) = parse(&text);
        assert_eq!(problems.len(), 1);
        assert!(!problems[0].is_error());
        assert_eq!(problems[0].line, Some(8));
    }

    #[test]
    fn months_are_counted_by_calendar() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(months_between(d(2025, 11, 23), d(2026, 11, 23)), 12);
        assert_eq!(months_between(d(2025, 11, 24), d(2026, 11, 23)), 11);
    }
}
