//! Entries as a spreadsheet: `madoguchi export --csv` and `madoguchi import --csv`.
//!
//! Everything here is pure text in, text out:
//! - [`export`]: entries → CSV text (UTF-8 with a BOM so Excel opens it, CRLF between rows,
//!   one row per entry, the header row holding the TOML key names of [`COLUMNS`]).
//! - [`read`]: CSV bytes → [`Row`]s plus every problem with the CSV itself (encoding, header,
//!   cell count), each naming its row and column.
//! - [`Row::to_toml`]: a row → the TOML text of an entry file, so that rows are checked by
//!   [`Entry::parse`] and the loader exactly like files are (no second copy of the rules), with a
//!   map from TOML lines back to columns for the messages.
//! - [`entry_toml`]: an entry → its file in the canonical layout of `index/` (the key order of the
//!   template, basic strings, `details` as `"""` … `"""`, the date unquoted).
//! - [`updated_entry_toml`]: an existing file changed to hold an entry, value by value, so the
//!   staff's `#` notes and layout around the values that did not change stay as they were.
//!
//! List fields (`categories`, `aliases`, `keywords`, `questions`) hold one item per line inside
//! their cell ([`LIST_SEPARATOR`]; Alt+Enter in Excel). On reading, items are trimmed and empty
//! lines dropped. Row numbers are the spreadsheet's: the header is row 1.

use std::fmt;

use chrono::NaiveDate;

use crate::content::knowledge::entry::Entry;
use crate::content::problem::Severity;

/// The columns, in the order of the entry template (and of the TOML keys).
pub const COLUMNS: [&str; 19] = [
    "id",
    "title",
    "municipality",
    "categories",
    "summary",
    "for_whom",
    "provider",
    "details",
    "aliases",
    "keywords",
    "questions",
    "hours",
    "phone",
    "fax",
    "email",
    "address",
    "url",
    "source",
    "verified",
];

/// Between the items of a list inside one cell: a line break.
pub const LIST_SEPARATOR: &str = "\n";

const LIST_COLUMNS: [&str; 4] = ["categories", "aliases", "keywords", "questions"];
/// Written even when empty, so that an empty cell is reported by the same check as an empty
/// value in a file ("title が空です") and on the right column.
const REQUIRED: [&str; 8] = ["id", "title", "municipality", "categories", "summary", "for_whom", "source", "verified"];
/// A list is written on one line when that line is at most this many characters.
const INLINE_LIST_CHARS: usize = 100;
const BOM: char = '\u{feff}';

fn column_index(name: &str) -> usize {
    COLUMNS.iter().position(|c| *c == name).expect("a known column")
}

/// The cells of an entry, in [`COLUMNS`] order.
pub fn entry_cells(entry: &Entry) -> [String; 19] {
    let list = |items: &[String]| items.join(LIST_SEPARATOR);
    let opt = |value: &Option<String>| value.clone().unwrap_or_default();
    let c = &entry.contact;
    [
        entry.id.clone(),
        entry.title.clone(),
        entry.municipality.clone(),
        list(&entry.categories),
        entry.summary.clone(),
        entry.for_whom.clone(),
        opt(&entry.provider),
        opt(&entry.details),
        list(&entry.aliases),
        list(&entry.keywords),
        list(&entry.questions),
        opt(&c.hours),
        opt(&c.phone),
        opt(&c.fax),
        opt(&c.email),
        opt(&c.address),
        opt(&c.url),
        entry.source.clone(),
        entry.verified.format("%Y-%m-%d").to_string(),
    ]
}

/// The columns whose cells differ between two entries (what an import changes).
pub fn differing_columns(old: &Entry, new: &Entry) -> Vec<&'static str> {
    let (a, b) = (entry_cells(old), entry_cells(new));
    COLUMNS.iter().zip(a.iter().zip(&b)).filter(|(_, (x, y))| x != y).map(|(c, _)| *c).collect()
}

/// Every entry as one CSV row, with a BOM and the header row.
pub fn export(entries: &[Entry]) -> String {
    export_cells(entries.iter().map(entry_cells))
}

/// Rows of cells (in [`COLUMNS`] order) as a CSV like [`export`]'s: the staff console's form
/// is one such row.
pub fn export_cells(rows: impl IntoIterator<Item = [String; 19]>) -> String {
    let mut writer = ::csv::WriterBuilder::new().terminator(::csv::Terminator::CRLF).from_writer(Vec::new());
    // Writing into a Vec cannot fail.
    writer.write_record(COLUMNS).expect("writing to memory");
    for cells in rows {
        writer.write_record(cells.iter().map(|c| guard_formula(c))).expect("writing to memory");
    }
    let bytes = writer.into_inner().expect("writing to memory");
    let mut text = String::from(BOM);
    text.push_str(&String::from_utf8(bytes).expect("the cells are UTF-8"));
    text
}

/// The characters that make a spreadsheet read a cell as a formula (`=HYPERLINK(…)` in a
/// resident's question turned example would run in Excel).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell as the export writes it: one that a spreadsheet would take for a formula gets a
/// leading `'`, which spreadsheets show as text and [`read`] takes off again.
fn guard_formula(cell: &str) -> String {
    if cell.starts_with(FORMULA_STARTS) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// A cell as the import reads it: the `'` of [`guard_formula`] taken off.
fn unguard_formula(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => cell,
    }
}

/// A problem with the CSV, tied to a row and column where it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellProblem {
    pub severity: Severity,
    /// The spreadsheet row (the header is row 1).
    pub row: Option<usize>,
    pub column: Option<String>,
    pub message: String,
    pub hint: Option<String>,
}

impl CellProblem {
    pub fn error(row: Option<usize>, column: Option<&str>, message: impl Into<String>) -> CellProblem {
        CellProblem {
            severity: Severity::Error,
            row,
            column: column.map(str::to_string),
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> CellProblem {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for CellProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.row, &self.column) {
            (Some(row), Some(column)) => write!(f, "{row} 行目・列「{column}」")?,
            (Some(row), None) => write!(f, "{row} 行目")?,
            (None, Some(column)) => write!(f, "列「{column}」")?,
            (None, None) => write!(f, "CSV")?,
        }
        let label = if self.is_error() { "エラー" } else { "注意" };
        write!(f, ": {label}: {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n    → {hint}")?;
        }
        Ok(())
    }
}

/// One data row of the CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The spreadsheet row (the header is row 1, the first entry row 2).
    pub number: usize,
    /// In [`COLUMNS`] order, line breaks as `\n`.
    cells: Vec<String>,
}

impl Row {
    pub fn cell(&self, column: &str) -> &str {
        &self.cells[column_index(column)]
    }

    pub fn id(&self) -> &str {
        self.cell("id").trim()
    }

    /// The entry file this row stands for, to be checked by the loader.
    pub fn to_toml(&self) -> Toml {
        let mut toml = Toml::default();
        for column in COLUMNS {
            let cell = self.cell(column);
            let required = REQUIRED.contains(&column);
            if LIST_COLUMNS.contains(&column) {
                let items = split_list(cell);
                if required || !items.is_empty() {
                    toml.list(column, &items);
                }
            } else if column == "verified" {
                match date_cell(cell) {
                    Some(date) => toml.line(column, date.format("%Y-%m-%d").to_string()),
                    // Left to the loader, which reports a value that is not a date.
                    None => toml.line(column, basic_string(cell.trim())),
                }
            } else if column == "details" && !cell.trim().is_empty() {
                toml.multiline(column, cell);
            } else if required || !cell.trim().is_empty() {
                toml.line(column, basic_string(cell));
            }
        }
        toml
    }
}

/// An entry file's text with the line each key starts on.
#[derive(Debug, Clone, Default)]
pub struct Toml {
    pub text: String,
    starts: Vec<(usize, &'static str)>,
}

impl Toml {
    /// The column (key) a 1-based line of [`Toml::text`] belongs to.
    pub fn column_at(&self, line: Option<usize>) -> Option<&'static str> {
        let line = line?;
        self.starts.iter().rev().find(|(start, _)| *start <= line).map(|(_, key)| *key)
    }

    fn next_line(&self) -> usize {
        self.text.matches('\n').count() + 1
    }

    fn line(&mut self, key: &'static str, value: String) {
        self.starts.push((self.next_line(), key));
        self.text.push_str(&format!("{key} = {value}\n"));
    }

    fn multiline(&mut self, key: &'static str, value: &str) {
        self.starts.push((self.next_line(), key));
        self.text.push_str(&format!("{key} = \"\"\"\n{}\n\"\"\"\n", multiline_string(value.trim())));
    }

    fn list(&mut self, key: &'static str, items: &[String]) {
        let quoted: Vec<String> = items.iter().map(|i| basic_string(i)).collect();
        let inline = format!("{key} = [{}]", quoted.join(", "));
        if items.is_empty() || inline.chars().count() <= INLINE_LIST_CHARS {
            self.line(key, format!("[{}]", quoted.join(", ")));
        } else {
            self.starts.push((self.next_line(), key));
            self.text.push_str(&format!("{key} = [\n"));
            for item in quoted {
                self.text.push_str(&format!("  {item},\n"));
            }
            self.text.push_str("]\n");
        }
    }
}

/// An entry's file in the canonical layout (what `import` writes).
pub fn entry_toml(entry: &Entry) -> String {
    let cells = entry_cells(entry);
    let row = Row { number: 0, cells: cells.to_vec() };
    row.to_toml().text
}

/// `old_text` (an entry file as staff left it) changed to hold `new`: each key whose value
/// differs gets the value [`entry_toml`] writes, keys `new` no longer has are removed (with the
/// notes just above them), new keys go at the end; every other line, `#` notes included, stays.
/// When the old text cannot be parsed as TOML, or the result would not hold exactly what the
/// canonical file holds, the canonical file is returned: the content always wins over the layout.
pub fn updated_entry_toml(old_text: &str, new: &Entry) -> String {
    let canonical = entry_toml(new);
    let parse = |text: &str| text.parse::<toml::Table>().ok();
    let (Ok(mut document), Ok(fresh), Some(old_values), Some(new_values)) = (
        old_text.parse::<toml_edit::DocumentMut>(),
        canonical.parse::<toml_edit::DocumentMut>(),
        parse(old_text),
        parse(&canonical),
    ) else {
        return canonical;
    };
    let gone: Vec<String> = old_values.keys().filter(|key| !new_values.contains_key(*key)).cloned().collect();
    for key in gone {
        document.remove(&key);
    }
    for (key, item) in fresh.iter() {
        if old_values.get(key) == new_values.get(key) {
            continue;
        }
        match document.get_mut(key) {
            Some(old) => {
                // A note at the end of the value's line stays with the new value.
                let suffix = old.as_value().and_then(|v| v.decor().suffix().cloned());
                *old = item.clone();
                if let (Some(suffix), Some(value)) = (suffix, old.as_value_mut()) {
                    value.decor_mut().set_suffix(suffix);
                }
            }
            None => {
                document.insert(key, item.clone());
            }
        }
    }
    let text = document.to_string();
    if parse(&text).is_some_and(|values| values == new_values) {
        text
    } else {
        canonical
    }
}

/// Reads a CSV file: its rows and every problem with the CSV as such. Rows whose cells are all
/// empty (as spreadsheets leave them) are skipped.
pub fn read(bytes: &[u8]) -> (Vec<Row>, Vec<CellProblem>) {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
            let problem =
                CellProblem::error(None, None, format!("文字コードが UTF-8 ではありません(ファイルの {line} 行目)"))
                    .hint("Excel では「名前を付けて保存」で「CSV UTF-8 (コンマ区切り)」を選んで保存し直してください");
            return (Vec::new(), vec![problem]);
        }
    };
    let text = text.strip_prefix(BOM).unwrap_or(text);
    let mut reader = ::csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let mut problems = Vec::new();

    let header: Vec<String> = match records.next() {
        Some(Ok(record)) => record.iter().map(|h| h.trim().to_string()).collect(),
        Some(Err(e)) => return (Vec::new(), vec![csv_error(&e)]),
        None => {
            let problem = CellProblem::error(None, None, "CSV が空です")
                .hint("madoguchi export --csv で書き出したファイルを編集して使ってください");
            return (Vec::new(), vec![problem]);
        }
    };
    // Columns may come in any order; each one exactly once.
    let mut positions: Vec<Option<usize>> = vec![None; COLUMNS.len()];
    for (at, name) in header.iter().enumerate() {
        match COLUMNS.iter().position(|c| c == name) {
            Some(i) if positions[i].is_some() => problems.push(
                CellProblem::error(Some(1), Some(name), format!("見出し「{name}」が2回あります"))
                    .hint("同じ見出しの列は1つにしてください"),
            ),
            Some(i) => positions[i] = Some(at),
            None if name.is_empty() => problems.push(
                CellProblem::error(Some(1), None, format!("{} 列目の見出しが空です", at + 1))
                    .hint("余分な列なら削除してください"),
            ),
            None => {
                problems.push(CellProblem::error(Some(1), Some(name), format!("見出し「{name}」は使えません")).hint(
                    format!("見出しは書き出したときのまま変えないでください。使える見出し: {}", COLUMNS.join(", ")),
                ))
            }
        }
    }
    for (i, position) in positions.iter().enumerate() {
        if position.is_none() {
            problems.push(
                CellProblem::error(Some(1), Some(COLUMNS[i]), format!("列「{}」がありません", COLUMNS[i]))
                    .hint("見出しの行(1 行目)は書き出したときのまま変えないでください"),
            );
        }
    }
    if !problems.is_empty() {
        return (Vec::new(), problems);
    }

    let mut rows = Vec::new();
    for (i, record) in records.enumerate() {
        let number = i + 2;
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                problems.push(csv_error(&e));
                continue;
            }
        };
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if record.len() > header.len() && record.iter().skip(header.len()).any(|c| !c.trim().is_empty()) {
            problems.push(
                CellProblem::error(Some(number), None, format!("見出しのない {} 列目に値があります", header.len() + 1))
                    .hint("見出しのある列だけに書いてください"),
            );
            continue;
        }
        let cells = positions
            .iter()
            .map(|at| {
                let cell = unguard_formula(at.and_then(|at| record.get(at)).unwrap_or(""));
                cell.replace("\r\n", "\n").replace('\r', "\n")
            })
            .collect();
        rows.push(Row { number, cells });
    }
    (rows, problems)
}

fn csv_error(e: &::csv::Error) -> CellProblem {
    let row = e.position().map(|p| p.record() as usize + 1);
    CellProblem::error(row, None, format!("CSV として読めません ({e})"))
        .hint("セルの中の引用符 \" が閉じているか確かめてください。Excel で開いて保存し直すと直ることがあります")
}

/// The items of a list cell: one per line, trimmed, empty lines dropped.
fn split_list(cell: &str) -> Vec<String> {
    cell.split(LIST_SEPARATOR).map(str::trim).filter(|item| !item.is_empty()).map(str::to_string).collect()
}

/// `2026-11-23` as written, or `2026/11/23` and `2026/1/5` as Excel saves a date it recognised.
fn date_cell(cell: &str) -> Option<NaiveDate> {
    let cell = cell.trim();
    NaiveDate::parse_from_str(cell, "%Y-%m-%d").or_else(|_| NaiveDate::parse_from_str(cell, "%Y/%m/%d")).ok()
}

/// A TOML basic string: `"…"` with `"`, `\` and control characters escaped.
fn basic_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The inside of a TOML multi-line basic string: line breaks and tabs kept, `\`, control
/// characters and every third `"` in a row escaped.
fn multiline_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut quotes = 0;
    for c in value.chars() {
        match c {
            '"' => {
                quotes += 1;
                if quotes == 3 {
                    out.push_str("\\\"");
                    quotes = 0;
                    continue;
                }
                out.push('"');
                continue;
            }
            '\\' => out.push_str("\\\\"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
        quotes = 0;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[(&str, &str)]) -> Row {
        let mut all = vec![String::new(); COLUMNS.len()];
        for (column, value) in cells {
            all[column_index(column)] = value.to_string();
        }
        Row { number: 2, cells: all }
    }

    #[test]
    fn a_cell_a_spreadsheet_would_run_goes_out_as_text_and_comes_back_as_written() {
        let mut cells: [String; 19] = Default::default();
        cells[0] = "setagaya/x".into();
        cells[10] = "=HYPERLINK(\"https://evil.example\",\"ここ\")\n2つ目の質問".into();
        cells[12] = "-".into();
        let text = export_cells([cells.clone()]);
        assert!(text.contains("\"'=HYPERLINK(") && text.contains(",'-,"), "{text}");
        let (rows, problems) = read(text.as_bytes());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(rows[0].cells, cells.to_vec());
    }

    #[test]
    fn strings_survive_toml_escaping() {
        let tricky = "a \"quoted\" \\ back\tslash \u{1} end\"";
        let text = format!(
            "x = {}\ny = \"\"\"\n{}\n\"\"\"\n",
            basic_string(tricky),
            multiline_string("1 \"\"\"\" 2\n\\n\nlast\"")
        );
        let value: toml::Table = toml::from_str(&text).expect(&text);
        assert_eq!(value["x"].as_str(), Some(tricky));
        assert_eq!(value["y"].as_str(), Some("1 \"\"\"\" 2\n\\n\nlast\"\n"));
    }

    #[test]
    fn lines_map_back_to_columns() {
        let r = row(&[("id", "a/b"), ("details", "one\ntwo\nthree"), ("keywords", "x\n y \n\n")]);
        let toml = r.to_toml();
        let line_of = |needle: &str| toml.text.lines().position(|l| l.contains(needle)).map(|i| i + 1);
        assert_eq!(toml.column_at(line_of("two")), Some("details"));
        assert_eq!(toml.column_at(line_of("keywords")), Some("keywords"));
        assert_eq!(toml.column_at(Some(1)), Some("id"));
        assert!(toml.text.contains("keywords = [\"x\", \"y\"]\n"), "{}", toml.text);
        // Optional empty cells are left out, required ones are written empty.
        assert!(!toml.text.contains("phone"), "{}", toml.text);
        assert!(toml.text.contains("title = \"\"\n"), "{}", toml.text);
    }

    #[test]
    fn excel_dates_are_read() {
        let toml = row(&[("verified", "2026/1/5")]).to_toml();
        assert!(toml.text.contains("verified = 2026-01-05\n"), "{}", toml.text);
        let toml = row(&[("verified", "きのう")]).to_toml();
        assert!(toml.text.contains("verified = \"きのう\"\n"), "{}", toml.text);
    }

    #[test]
    fn header_problems_name_the_column() {
        let mut header = COLUMNS.join(",").replace("for_whom", "for_who");
        header.push_str("\r\n");
        let (rows, problems) = read(header.as_bytes());
        assert!(rows.is_empty());
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(text.iter().any(|p| p.contains("列「for_who」") && p.contains("使えません")), "{text:?}");
        assert!(text.iter().any(|p| p.contains("列「for_whom」がありません")), "{text:?}");
    }

    fn entry() -> Entry {
        Entry {
            id: "setagaya/a".into(),
            title: "見守りサービス".into(),
            municipality: "世田谷区".into(),
            categories: vec!["高齢".into()],
            summary: "見守ります。".into(),
            for_whom: "65歳以上の方".into(),
            provider: None,
            details: None,
            aliases: vec![],
            keywords: vec!["見守り".into()],
            questions: vec![],
            contact: crate::content::knowledge::entry::Contact {
                phone: Some("03-0000-0000".into()),
                ..Default::default()
            },
            source: "区のしおり".into(),
            verified: NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
        }
    }

    #[test]
    fn an_updated_file_keeps_the_staff_notes_and_layout() {
        let old = entry();
        let text = entry_toml(&old)
            .replacen("id = ", "# 2026-04 に地域包括と確認(山田)\nid = ", 1)
            .replace("keywords = ", "\n# 住民がよく使う言い方\nkeywords = ")
            .replace("phone = \"03-0000-0000\"", "phone = \"03-0000-0000\"  # 平日のみ")
            .replace("source = ", "# 出典は毎年4月に更新\nsource = ");
        let mut new = old.clone();
        new.keywords.push("安否確認".into());
        new.contact.phone = Some("03-1111-1111".into());
        new.contact.hours = Some("平日 9時〜17時".into());
        let updated = updated_entry_toml(&text, &new);
        for note in [
            "# 2026-04 に地域包括と確認(山田)\nid = ",
            "\n# 住民がよく使う言い方\nkeywords = ",
            "  # 平日のみ",
            "# 出典は毎年4月に更新\nsource = ",
        ] {
            assert!(updated.contains(note), "{note:?} lost:\n{updated}");
        }
        assert!(updated.contains("keywords = [\"見守り\", \"安否確認\"]"), "{updated}");
        assert!(updated.contains("phone = \"03-1111-1111\"  # 平日のみ"), "{updated}");
        assert!(updated.trim_end().ends_with("hours = \"平日 9時〜17時\""), "a new key goes at the end:\n{updated}");
        assert_eq!(updated.parse::<toml::Table>().unwrap(), entry_toml(&new).parse::<toml::Table>().unwrap());

        // A value taken away goes with its line; the other notes stay.
        new.contact.phone = None;
        let updated = updated_entry_toml(&text, &new);
        assert!(!updated.contains("phone") && updated.contains("# 住民がよく使う言い方"), "{updated}");
        // Nothing changed: the text is the same, byte for byte.
        assert_eq!(updated_entry_toml(&text, &old), text);
        // Not TOML at all: the canonical file.
        assert_eq!(updated_entry_toml("id = [", &old), entry_toml(&old));
    }

    #[test]
    fn shift_jis_is_refused() {
        let (_, problems) = read(b"id,title\r\n\x82\xa0");
        assert!(problems[0].message.contains("UTF-8"), "{problems:?}");
    }

    #[test]
    fn columns_may_be_reordered_and_blank_rows_skipped() {
        let mut columns = COLUMNS.to_vec();
        columns.swap(0, 1);
        let text = format!("\u{feff}{}\r\nタイトル,town/a\r\n{}\r\n", columns.join(","), ",".repeat(18));
        let (rows, problems) = read(text.as_bytes());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].id(), "town/a");
        assert_eq!(rows[0].cell("title"), "タイトル");
    }
}
