//! `index/places.toml`: the municipalities, the names residents call them by, the districts
//! and towns in them, and each one's general consultation window.
//!
//! [`Places::find_area`] reads the area from a message in one pass over it (Aho-Corasick,
//! leftmost-longest): the longest name wins, so 西東京市 is never mistaken for 東京. The names it found are returned with their byte spans, so the engine
//! can keep them from counting as search terms.

use std::path::Path;

use aho_corasick::{AhoCorasick, MatchKind};
use serde::Deserialize;

use super::wording::nth_table_line;
use crate::content::problem::Problem;
use crate::content::toml_error::parse as parse_toml;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Municipality {
    /// Official name, e.g. 世田谷区. Entries' `municipality` must be one of these.
    pub name: String,
    /// The folder under `index/` that holds its entries.
    pub folder: String,
    /// Other ways residents write the municipality itself (世田谷, せたがや).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Districts, towns and neighbourhoods in it (砧, 用賀, 田無, 墨俣…).
    #[serde(default)]
    pub places: Vec<String>,
    /// The entry id of the general consultation window, offered whenever the bot is unsure.
    pub general_window: String,
}

#[derive(Debug, Clone, Default)]
pub struct Places {
    pub municipalities: Vec<Municipality>,
    /// (normalized name, municipality index, is a district rather than the municipality itself),
    /// longest name first.
    names: Vec<(String, usize, bool)>,
    /// Finds all of `names` in one pass, leftmost-longest, never overlapping.
    matcher: Option<AhoCorasick>,
}

/// A place name found in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceMention {
    pub municipality: String,
    pub name: String,
    /// Byte range in the normalized text.
    pub span: std::ops::Range<usize>,
    /// A district or town (砧), not the municipality's own name (世田谷区).
    pub is_district: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlacesFile {
    municipality: Vec<Municipality>,
}

impl Places {
    /// Parses the file; names are normalized with `normalize` so they meet normalized messages.
    pub fn parse(path: &Path, text: &str, normalize: impl Fn(&str) -> String) -> (Places, Vec<Problem>) {
        let raw: PlacesFile = match parse_toml(path, text) {
            Ok(raw) => raw,
            Err(problem) => return (Places::default(), vec![problem]),
        };
        let mut problems = Vec::new();
        let mut names: Vec<(String, usize, bool)> = Vec::new();
        for (i, m) in raw.municipality.iter().enumerate() {
            let line = nth_table_line(text, "[[municipality]]", i);
            let own = std::iter::once(&m.name).chain(&m.aliases).map(|n| (n, false));
            for (name, is_district) in own.chain(m.places.iter().map(|n| (n, true))) {
                let key = normalize(name.trim());
                // One kanji can be a real district (砧); one kana or letter is part of everything.
                let too_short = match key.chars().collect::<Vec<_>>()[..] {
                    [] => true,
                    [c] => !('\u{4e00}'..='\u{9fff}').contains(&c),
                    _ => false,
                };
                if too_short {
                    problems.push(
                        Problem::error(path, line, format!("地名「{name}」が短すぎます"))
                            .hint("かな1文字の地名は別の言葉の一部と区別できません。漢字で書くか、「西地区」のように書いてください"),
                    );
                    continue;
                }
                if let Some((_, other, _)) = names.iter().find(|(n, o, _)| *n == key && *o != i) {
                    problems.push(
                        Problem::error(
                            path,
                            line,
                            format!(
                                "地名「{name}」が {} と {} の両方にあります",
                                raw.municipality[*other].name, m.name
                            ),
                        )
                        .hint("どちらか一方から削除してください"),
                    );
                    continue;
                }
                names.push((key, i, is_district));
            }
        }
        names.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        names.dedup_by(|a, b| a.0 == b.0);
        let matcher =
            AhoCorasick::builder().match_kind(MatchKind::LeftmostLongest).build(names.iter().map(|(n, _, _)| n)).ok();
        (Places { municipalities: raw.municipality, names, matcher }, problems)
    }

    pub fn names(&self) -> Vec<String> {
        self.municipalities.iter().map(|m| m.name.clone()).collect()
    }

    pub fn get(&self, name: &str) -> Option<&Municipality> {
        self.municipalities.iter().find(|m| m.name == name)
    }

    /// Every place name in `normalized`, longest match first, without overlaps, in text order.
    pub fn mentions(&self, normalized: &str) -> Vec<PlaceMention> {
        let Some(matcher) = &self.matcher else { return Vec::new() };
        matcher
            .find_iter(normalized)
            .map(|m| {
                let (name, index, is_district) = &self.names[m.pattern().as_usize()];
                PlaceMention {
                    municipality: self.municipalities[*index].name.clone(),
                    name: name.clone(),
                    span: m.range(),
                    is_district: *is_district,
                }
            })
            .collect()
    }

    /// The municipality a message is about: the first one it names.
    pub fn find_area(&self, normalized: &str) -> Option<String> {
        self.mentions(normalized).into_iter().next().map(|m| m.municipality)
    }
}
