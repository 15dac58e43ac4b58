//! Personal data out of the questions staff read (`/unanswered`, `madoguchi unanswered`).
//!
//! Residents write phone numbers, e-mail addresses, マイナンバー and home addresses into their
//! questions. Staff need the question, not the person, so these are replaced by the labels of
//! `dialogs/texts.toml` `[staff.masks]` before anything is shown. The store keeps the original
//! (purged after `records.retention_days`); only what is displayed is masked.
//!
//! The rules err on the side of masking: a date written `2026-11-23` is masked like a phone
//! number, which costs staff nothing, while a missed phone number would leak.
//!
//! Order matters: e-mail addresses first (they contain digits), then 丁目・番地・号 addresses,
//! then runs of digits, classified by their shape (see `classify_digits`).

use std::sync::OnceLock;

use regex::{Captures, Regex};

use crate::content::dialogs::texts::MaskLabels;

/// Digits as residents type them: ASCII and full-width.
const DIGIT: &str = "[0-9０-９]";
/// What residents put between groups of digits: hyphens and dashes of every width, the
/// katakana long-vowel mark typed by IMEs (０９０ー１２３４), brackets and spaces.
const SEPARATOR: &str = r"[-‐‑‒–—―−ー－ｰ()（）\x20\u{3000}.．]";

fn email() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"[A-Za-z0-9Ａ-Ｚａ-ｚ０-９._%+\-]+[@＠][A-Za-z0-9Ａ-Ｚａ-ｚ０-９\-]+(?:[.．][A-Za-z0-9Ａ-Ｚａ-ｚ０-９\-]+)+")
            .expect("the e-mail pattern is valid")
    })
}

fn postal() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(&format!(r"〒[\x20\u{{3000}}]*{DIGIT}{{3}}{SEPARATOR}?{DIGIT}{{4}}"))
            .expect("the postal pattern is valid")
    })
}

/// `3丁目4番5号`, `三丁目4-5`, `12番地`, `4番5号`: from the first number on (the town name
/// before it stays: it tells staff the area, not the household).
fn address() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let number = format!("(?:{DIGIT}+|[一二三四五六七八九十〇]+)");
        let joiner = "[-‐‑‒–—―−ー－ｰの]";
        let tail = format!("(?:{joiner}?{DIGIT}+(?:番地|番|号|{joiner})?)*");
        Regex::new(&format!("{number}丁目{tail}|{DIGIT}+番地{tail}|{DIGIT}+番{DIGIT}+号?{tail}|{DIGIT}+号室"))
            .expect("the address pattern is valid")
    })
}

/// A run of digits with separators inside (never at the ends), and the character before it.
fn digits() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(&format!(r"(?P<before>[^0-9０-９+＋]?)(?P<run>[+＋]?{DIGIT}(?:{SEPARATOR}*{DIGIT})*)"))
            .expect("the digits pattern is valid")
    })
}

/// What a run of digits is taken for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DigitRun {
    Phone,
    Number,
    Postal,
    Address,
    /// Ages, counts, years: kept.
    Harmless,
}

/// Decides by shape: the count of digits, the groups and the character before the run.
fn classify_digits(run: &str, before: &str) -> DigitRun {
    let groups: Vec<&str> =
        run.split(|c: char| !(c.is_ascii_digit() || ('０'..='９').contains(&c))).filter(|g| !g.is_empty()).collect();
    let count = |g: &str| g.chars().filter(|c| c.is_ascii_digit() || ('０'..='９').contains(c)).count();
    let total: usize = groups.iter().map(|g| count(g)).sum();
    let international = run.starts_with(['+', '＋']);
    let starts_like_a_phone = international || run.starts_with(['0', '０']);
    let after_a_place =
        before.chars().last().is_some_and(|c| matches!(c, '町' | '村' | '丁' | '字' | '区' | '市' | '目'));
    if international && total >= 9 {
        return DigitRun::Phone; // +81 90 …
    }
    match (groups.len(), total) {
        (2, 7) if count(groups[0]) == 3 => DigitRun::Postal,
        // 0X-XXXX-XXXX, 090-1234-5678, 03(1234)5678
        (_, 10..=11) if starts_like_a_phone => DigitRun::Phone,
        (_, 10..) => DigitRun::Number,
        // 田無町4-5-6, 2-3-4: house numbers.
        (3.., _) if !starts_like_a_phone || total < 9 => DigitRun::Address,
        (3.., _) => DigitRun::Phone,
        (2, _) if after_a_place => DigitRun::Address,
        // 78-8182: a number without its area code.
        (2, 6..) => DigitRun::Phone,
        _ => DigitRun::Harmless,
    }
}

/// The text with phone numbers, long numbers, e-mail and postal addresses replaced.
pub fn mask(text: &str, labels: &MaskLabels) -> String {
    let text = email().replace_all(text, labels.email.as_str());
    let text = postal().replace_all(&text, labels.postal.as_str());
    let text = address().replace_all(&text, labels.address.as_str());
    let text = digits().replace_all(&text, |caps: &Captures| {
        let before = caps.name("before").map_or("", |m| m.as_str());
        let run = caps.name("run").map_or("", |m| m.as_str());
        let label = match classify_digits(run, before) {
            DigitRun::Phone => &labels.phone,
            DigitRun::Number => &labels.number,
            DigitRun::Postal => &labels.postal,
            DigitRun::Address => &labels.address,
            DigitRun::Harmless => return format!("{before}{run}"),
        };
        format!("{before}{label}")
    });
    text.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> MaskLabels {
        MaskLabels {
            phone: "[電話]".into(),
            number: "[番号]".into(),
            email: "[メール]".into(),
            postal: "[〒]".into(),
            address: "[番地]".into(),
        }
    }

    fn m(text: &str) -> String {
        mask(text, &labels())
    }

    #[test]
    fn phone_numbers_in_every_width_and_shape() {
        assert_eq!(m("電話は090-1234-5678です"), "電話は[電話]です");
        assert_eq!(m("03-1234-5678にかけてください"), "[電話]にかけてください");
        assert_eq!(m("携帯０９０ー１２３４ー５６７８まで"), "携帯[電話]まで");
        assert_eq!(m("０３－１２３４－５６７８"), "[電話]");
        assert_eq!(m("09012345678に折り返して"), "[電話]に折り返して");
        assert_eq!(m("03(1234)5678"), "[電話]");
        assert_eq!(m("090 1234 5678"), "[電話]");
        assert_eq!(m("+81-90-1234-5678"), "[電話]");
        assert_eq!(m("家は78-8182です"), "家は[電話]です", "a number without its area code");
    }

    #[test]
    fn twelve_digit_numbers_such_as_my_number() {
        assert_eq!(m("マイナンバーは123456789012です"), "マイナンバーは[番号]です");
        assert_eq!(m("マイナンバー１２３４ ５６７８ ９０１２"), "マイナンバー[番号]");
        assert_eq!(m("口座1234-5678-9012-3456"), "口座[番号]");
    }

    #[test]
    fn email_addresses() {
        assert_eq!(m("taro.yamada+1@example.co.jpに返事を"), "[メール]に返事を");
        assert_eq!(m("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ"), "[メール]");
        assert_eq!(m("メールはhanako_99@mail.example.comです"), "メールは[メール]です");
    }

    #[test]
    fn postal_codes_and_house_numbers() {
        assert_eq!(m("〒154-0001 世田谷区池尻"), "[〒] 世田谷区池尻");
        assert_eq!(m("〒１５４００１７"), "[〒]");
        assert_eq!(m("住所は154-0017です"), "住所は[〒]です");
        assert_eq!(m("用賀1丁目2番3号に住んでます"), "用賀[番地]に住んでます");
        assert_eq!(m("田無町三丁目4-5"), "田無町[番地]");
        assert_eq!(m("太子堂2-3-4の者です"), "太子堂[番地]の者です");
        assert_eq!(m("田無町4-5に住む母"), "田無町[番地]に住む母");
        assert_eq!(m("墨俣町上宿12番地の1"), "墨俣町上宿[番地]");
        assert_eq!(m("4番5号"), "[番地]");
        assert_eq!(m("コーポ1203号室"), "コーポ[番地]");
    }

    #[test]
    fn ordinary_numbers_stay() {
        for text in [
            "90歳の母のもの忘れがひどい",
            "子どもが2人、3歳と5歳です",
            "2026年11月23日に申請しました",
            "月3万円の年金で暮らしています",
            "3番目の子が生まれます",
            "要介護2です",
            "1日3回の訪問",
        ] {
            assert_eq!(m(text), text);
        }
    }

    #[test]
    fn several_kinds_in_one_question() {
        assert_eq!(
            m("西東京市田無町4-5-6の山田です。090-1111-2222かtaro@example.jpに連絡ください"),
            "西東京市田無町[番地]の山田です。[電話]か[メール]に連絡ください"
        );
    }
}
