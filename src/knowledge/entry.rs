//! One service, as staff write it in `index/<自治体>/<名前>.toml`.
//!
//! [`Entry::parse`] is pure (the path is used only in messages and to check the `id`); the
//! loader in [`super`] reads the files and calls it, and `index check` uses that same loader.

use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::problem::{from_toml_error, line_of_key, Problem};

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
    verified: toml::value::Datetime,
}

/// What an entry is checked against: the names the rest of the staff files define.
pub struct EntryRules<'a> {
    pub municipalities: &'a [String],
    /// `None` when `dialogs/menu.toml` could not be read.
    pub categories: Option<&'a [String]>,
    pub today: NaiveDate,
    pub max_age_months: u32,
}

impl Entry {
    /// Parses and checks one entry. `expected_id` is `<folder>/<stem>` of its path.
    /// Returns the entry (if it could be read at all) and every problem found.
    pub fn parse(
        path: &Path,
        expected_id: &str,
        text: &str,
        rules: &EntryRules,
    ) -> (Option<Entry>, Vec<Problem>) {
        let raw: EntryFile = match toml::from_str(text) {
            Ok(raw) => raw,
            Err(e) => return (None, vec![from_toml_error(path, text, &e)]),
        };
        let mut problems = Vec::new();
        let at = |key: &str| line_of_key(text, key);
        let mut error = |key: &str, message: String, hint: &str| {
            problems.push(Problem::error(path, at(key), message).hint(hint));
        };

        if raw.id != expected_id {
            error("id", format!("id が「{}」ですが、ファイルの場所からは「{expected_id}」のはずです", raw.id),
                  "id は「フォルダ名/ファイル名(.toml を除く)」と同じにしてください");
        }
        if !rules.municipalities.contains(&raw.municipality) {
            error("municipality", format!("自治体「{}」は index/places.toml にありません", raw.municipality),
                  &format!("次のどれかにしてください: {}", rules.municipalities.join(" / ")));
        }
        if raw.categories.is_empty() {
            error("categories", "categories が空です".into(), "分野を1つ以上書いてください");
        }
        // Without a readable menu there is nothing to check against (that file's error is reported).
        let known = rules.categories.unwrap_or_default();
        for category in raw.categories.iter().filter(|_| rules.categories.is_some()) {
            if !known.contains(category) {
                error("categories", format!("分野「{category}」は dialogs/menu.toml にありません"),
                      &format!("次のどれかにしてください: {}", known.join(" / ")));
            }
        }
        for (key, value) in [("title", &raw.title), ("summary", &raw.summary), ("for_whom", &raw.for_whom), ("source", &raw.source)] {
            if value.trim().is_empty() {
                error(key, format!("{key} が空です"), "内容を書いてください");
            }
        }
        let optional = [
            ("provider", &raw.provider), ("details", &raw.details), ("hours", &raw.hours), ("phone", &raw.phone),
            ("fax", &raw.fax), ("email", &raw.email), ("address", &raw.address), ("url", &raw.url),
        ];
        for (key, value) in optional {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                error(key, format!("{key} が空です"), "書くことがなければ、その行ごと削除してください");
            }
        }
        for (key, value) in [("phone", &raw.phone), ("fax", &raw.fax)] {
            if let Some(number) = value.as_deref().filter(|v| !v.trim().is_empty()) {
                if !looks_like_phone(number) {
                    error(key, format!("{key}「{number}」は電話番号の形ではありません"),
                          "03-1234-5678 のように数字とハイフンで書いてください");
                }
            }
        }
        if let Some(url) = raw.url.as_deref().filter(|v| !v.trim().is_empty()) {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                error("url", format!("url「{url}」が https:// で始まっていません"), "ページのアドレスをそのまま貼り付けてください");
            }
        }
        if let Some(email) = raw.email.as_deref().filter(|v| !v.trim().is_empty()) {
            if !email.contains('@') {
                error("email", format!("email「{email}」に @ がありません"), "メールアドレスをそのまま書いてください");
            }
        }
        let verified = match date_of(&raw.verified) {
            Some(date) => date,
            None => {
                error("verified", format!("verified「{}」は日付ではありません", raw.verified),
                      "2026-01-31 のように 年-月-日 で書いてください(引用符なし)");
                rules.today
            }
        };
        if verified > rules.today {
            error("verified", format!("verified {verified} は未来の日付です"), "内容を確かめた日を書いてください");
        } else if months_between(verified, rules.today) >= rules.max_age_months {
            problems.push(
                Problem::warning(path, at("verified"), format!("{verified} から {} か月以上確認されていません", rules.max_age_months))
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
                phone: clean(raw.phone),
                fax: clean(raw.fax),
                email: clean(raw.email),
                address: clean(raw.address),
                url: clean(raw.url),
            },
            source: raw.source.trim().to_string(),
            verified,
        };
        (Some(entry), problems)
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

/// Whole months from `from` to `to` (0 when `to` is earlier).
pub fn months_between(from: NaiveDate, to: NaiveDate) -> u32 {
    use chrono::Datelike;
    let months = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32
        - i32::from(to.day() < from.day());
    months.max(0) as u32
}

fn looks_like_phone(number: &str) -> bool {
    let digits = number.chars().filter(char::is_ascii_digit).count();
    (6..=15).contains(&digits)
        && number.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '(' | ')' | ' ' | '+'))
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
        let rules = EntryRules { municipalities: &m, categories: Some(&c), today, max_age_months: 12 };
        Entry::parse(Path::new("index/setagaya/a.toml"), "setagaya/a", text, &rules)
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
