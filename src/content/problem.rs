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
    text.lines()
        .position(|line| {
            let line = line.trim_start();
            line.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_one_based() {
        assert_eq!(line_of_offset("a\nb\nc", 0), 1);
        assert_eq!(line_of_offset("a\nb\nc", 2), 2);
        assert_eq!(line_of_key("x = 1\n  title = \"a\"\n", "title"), Some(2));
        assert_eq!(line_of_key("titles = 1\n", "title"), None);
    }
}
