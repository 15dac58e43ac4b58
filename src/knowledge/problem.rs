//! Problems found while loading staff files, each tied to a file and line, in Japanese.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One thing wrong (or worth a look) in a staff-edited file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub severity: Severity,
    pub file: PathBuf,
    /// 1-based; `None` when the problem concerns the file as a whole.
    pub line: Option<usize>,
    pub message: String,
    /// How to fix it, for a person who is not a programmer.
    pub hint: Option<String>,
}

impl Problem {
    pub fn error(file: &Path, line: Option<usize>, message: impl Into<String>) -> Problem {
        Problem { severity: Severity::Error, file: file.to_path_buf(), line, message: message.into(), hint: None }
    }

    pub fn warning(file: &Path, line: Option<usize>, message: impl Into<String>) -> Problem {
        Problem { severity: Severity::Warning, ..Problem::error(file, line, message) }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Problem {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "エラー",
            Severity::Warning => "注意",
        };
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {label}: {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n    → {hint}")?;
        }
        Ok(())
    }
}

/// The 1-based line of a byte offset.
pub fn line_of_offset(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset].iter().filter(|b| **b == b'\n').count() + 1
}

/// The line where `key = …` is written at the top level of a TOML text, if it is.
pub fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines().position(|line| {
        let line = line.trim_start();
        line.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('='))
    })
    .map(|i| i + 1)
}

/// Turns a TOML/serde error into a problem with its line and a hint in Japanese.
pub fn from_toml_error(file: &Path, text: &str, err: &toml::de::Error) -> Problem {
    let line = err.span().map(|s| line_of_offset(text, s.start));
    let raw = err.message().trim().to_string();
    let written = line.and_then(|l| text.lines().nth(l - 1)).unwrap_or_default();
    // Full-width marks look right to the eye and are the commonest mistake of a Japanese
    // keyboard left in 全角 mode: named, with the line.
    let full_width: Vec<&str> = [("＝", "＝"), ("“", "“ ”"), ("”", "“ ”"), ("［", "［ ］"), ("，", "，")]
        .iter()
        .filter(|(mark, _)| written.contains(mark))
        .map(|(_, shown)| *shown)
        .collect();
    let (message, hint) = if !full_width.is_empty() {
        let mut shown = full_width.clone();
        shown.dedup();
        (
            format!("全角の記号 {} が使われています(この行の記号は半角で書きます)", shown.join(" ")),
            "日本語入力を切って(半角で)、= \" [ ] , を打ち直してください。値の中の文字は全角のままでかまいません".to_string(),
        )
    } else if let Some(rest) = raw.strip_prefix("unknown field `") {
        let name = rest.split('`').next().unwrap_or("");
        // toml lists them as "one of `id`, `title`, …": shown as a plain list.
        let expected: Vec<&str> = rest
            .split("expected")
            .nth(1)
            .unwrap_or_default()
            .split('`')
            .skip(1)
            .step_by(2)
            .collect();
        (
            format!("「{name}」という項目名は使えません"),
            format!("つづりを確かめてください。使える項目名: {}", expected.join("、")),
        )
    } else if let Some(rest) = raw.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or("");
        (format!("必須の項目「{name}」がありません"), format!("{name} = \"...\" の行を書き足してください"))
    } else if raw.contains("invalid type") {
        (
            format!("値の形が違います ({raw})"),
            "文字列は \"...\" で、リストは [\"...\", \"...\"] で、日付は 2026-01-31 のように書きます".to_string(),
        )
    } else {
        (
            format!("書き方に誤りがあります ({raw})"),
            "引用符 \" や括弧 [ ] の閉じ忘れ、= の書き忘れがないか確かめてください".to_string(),
        )
    };
    Problem::error(file, line, message).hint(hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_marks_and_unknown_keys_are_told_in_japanese() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct T {
            title: String,
            summary: Option<String>,
        }
        for text in ["title ＝ \"a\"\n", "title = “おでかけひろば”\n"] {
            let err = toml::from_str::<T>(text).unwrap_err();
            let problem = from_toml_error(Path::new("a.toml"), text, &err);
            assert!(problem.message.contains("全角の記号"), "{text}: {problem}");
            assert_eq!(problem.line, Some(1));
        }
        let text = "title = \"a\"\ntitel = \"b\"\n";
        let problem = from_toml_error(Path::new("a.toml"), text, &toml::from_str::<T>(text).unwrap_err());
        assert_eq!(problem.hint.as_deref(), Some("つづりを確かめてください。使える項目名: title、summary"), "{problem}");
    }

    #[test]
    fn lines_are_one_based() {
        assert_eq!(line_of_offset("a\nb\nc", 0), 1);
        assert_eq!(line_of_offset("a\nb\nc", 2), 2);
        assert_eq!(line_of_key("x = 1\n  title = \"a\"\n", "title"), Some(2));
        assert_eq!(line_of_key("titles = 1\n", "title"), None);
    }
}
