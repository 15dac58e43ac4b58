//! Where in an entry a word of the question stands: which field (`title`, `aliases`, `keywords`,
//! `questions`, `summary`, …) and which item of it, so staff see what to edit, not a score.
//!
//! The search index only knows its four weighted fields (name, keywords, questions, body); a
//! staff member edits the keys of the TOML file. Each item is analysed again here with the
//! engine's own analyzer, so a word is found exactly where search would find it.

use crate::content::knowledge::Entry;
use crate::japanese::analyzer::Analyzer;

/// One place a word was found: the entry's key and the item's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub key: &'static str,
    pub item: String,
}

/// Where each of `words` stands in `entry`: per word, the items holding it (empty when none).
pub fn find(analyzer: &Analyzer, entry: &Entry, words: &[String]) -> Vec<Vec<Found>> {
    let analysed: Vec<(&'static str, &str, Vec<String>)> = entry
        .searched_items()
        .into_iter()
        .map(|(key, item)| (key, item, analyzer.analyze(item).term_texts().into_iter().map(str::to_string).collect()))
        .collect();
    words
        .iter()
        .map(|word| {
            analysed
                .iter()
                .filter(|(_, _, terms)| terms.iter().any(|t| t == word))
                .map(|(key, item, _)| Found { key, item: short(item) })
                .collect()
        })
        .collect()
}

/// An item as shown in a list: its first line, at most 24 characters.
fn short(item: &str) -> String {
    const MAX: usize = 24;
    let line = item.trim().lines().next().unwrap_or_default().trim();
    if line.chars().count() > MAX || item.trim().lines().nth(1).is_some() {
        let cut: String = line.chars().take(MAX).collect();
        format!("{cut}…")
    } else {
        line.to_string()
    }
}

/// `Found`s of one word as staff read them: the first item, then the other keys that hold the
/// word, with how many of their items do: `title「子ども食堂」、ほかに keywords(2)・summary`.
pub fn describe(found: &[Found]) -> String {
    let Some(first) = found.first() else { return String::new() };
    let mut keys: Vec<(&str, usize)> = Vec::new();
    for f in &found[1..] {
        match keys.last_mut() {
            Some((key, count)) if *key == f.key => *count += 1,
            _ => keys.push((f.key, 1)),
        }
    }
    let mut out = format!("{}「{}」", first.key, first.item);
    if let Some((key, count)) = keys.first_mut().filter(|(key, _)| *key == first.key) {
        out.push_str(&format!("ほか{count}件"));
        *key = "";
    }
    let rest: Vec<String> = keys
        .iter()
        .filter(|(key, _)| !key.is_empty())
        .map(|(key, count)| if *count > 1 { format!("{key}({count})") } else { key.to_string() })
        .collect();
    if !rest.is_empty() {
        out.push_str(&format!("、ほかに {}", rest.join("・")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_items_are_cut_and_keys_named_once() {
        assert_eq!(short("一行目\n二行目"), "一行目…");
        assert_eq!(short(&"あ".repeat(30)).chars().count(), 25);
        let found = vec![
            Found { key: "keywords", item: "a".into() },
            Found { key: "keywords", item: "b".into() },
            Found { key: "keywords", item: "c".into() },
            Found { key: "summary", item: "d".into() },
        ];
        assert_eq!(describe(&found), "keywords「a」ほか2件、ほかに summary");
        let found = vec![
            Found { key: "title", item: "子ども食堂".into() },
            Found { key: "keywords", item: "b".into() },
            Found { key: "keywords", item: "c".into() },
            Found { key: "summary", item: "d".into() },
        ];
        assert_eq!(describe(&found), "title「子ども食堂」、ほかに keywords(2)・summary");
    }
}
