//! Replies as plain data, and their rendering for each channel.
//!
//! The dialog layer ([`crate::conversation::dialog`]) says *what* to tell the resident as a list of
//! [`Block`]s and buttons; [`render_plain`] (terminal) and [`render_html`] (Telegram, every field
//! escaped) say *how*. All words come from `dialogs/` or from the entries themselves.

use serde::Serialize;

use crate::conversation::command::Payload;

use crate::answer::crisis::Contact as EmergencyContact;
use crate::content::dialogs::template::fill;
use crate::content::dialogs::Dialogs;
use crate::content::knowledge::{Entry, Knowledge};

// A reply holds a handful of blocks for the moment it is rendered: boxing the card would only
// add an allocation per answer.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Block {
    /// A paragraph of dialog text.
    Text(String),
    /// The emergency contacts, always first in a crisis reply.
    Emergency(Vec<EmergencyContact>),
    /// A full answer card.
    Card(Card),
    /// A short list of entries (title and municipality), introduced by a text.
    List { intro: String, items: Vec<ListItem> },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Card {
    pub id: String,
    pub title: String,
    pub municipality: String,
    pub summary: String,
    pub for_whom: String,
    pub provider: Option<String>,
    pub contact: crate::content::knowledge::Contact,
    /// Whom to ask when `contact` is empty.
    pub reach_via: Option<ReachVia>,
    pub verified: String,
}

/// The body a card without a contact of its own points to, with its contact.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReachVia {
    pub title: String,
    pub contact: crate::content::knowledge::Contact,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListItem {
    pub id: String,
    pub title: String,
    pub municipality: String,
}

/// A button under a reply, and what pressing it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Button {
    pub label: String,
    pub payload: Payload,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Reply {
    pub blocks: Vec<Block>,
    /// Rows of buttons.
    pub buttons: Vec<Vec<Button>>,
}

impl Reply {
    pub fn text(text: impl Into<String>) -> Reply {
        Reply { blocks: vec![Block::Text(text.into())], buttons: Vec::new() }
    }
}

impl Card {
    /// The card of `entry`; `knowledge` tells whom to ask when it has no contact.
    pub fn of(entry: &Entry, knowledge: &Knowledge) -> Card {
        Card {
            id: entry.id.clone(),
            title: entry.title.clone(),
            municipality: entry.municipality.clone(),
            summary: entry.summary.clone(),
            for_whom: entry.for_whom.clone(),
            provider: entry.provider.clone(),
            contact: entry.contact.clone(),
            reach_via: knowledge
                .reach_via(entry)
                .map(|via| ReachVia { title: via.title.clone(), contact: via.contact.clone() }),
            verified: entry.verified.format("%Y-%m-%d").to_string(),
        }
    }
}

impl ListItem {
    pub fn of(entry: &Entry) -> ListItem {
        ListItem { id: entry.id.clone(), title: entry.title.clone(), municipality: entry.municipality.clone() }
    }
}

/// Renders for a terminal.
pub fn render_plain(reply: &Reply, dialogs: &Dialogs) -> String {
    render(reply, dialogs, &|s: &str| s.to_string(), &Plain)
}

/// Renders Telegram HTML: every value escaped, links only to http(s) pages (Telegram takes no tel:).
pub fn render_html(reply: &Reply, dialogs: &Dialogs) -> String {
    render(reply, dialogs, &escape_html, &Html)
}

/// The few places plain text and HTML differ.
trait Markup {
    fn bold(&self, s: &str) -> String;
    fn phone(&self, escaped: &str, raw: &str) -> String;
    fn link(&self, escaped: &str) -> String;
}

struct Plain;
struct Html;

impl Markup for Plain {
    fn bold(&self, s: &str) -> String {
        format!("■ {s}")
    }
    fn phone(&self, escaped: &str, _raw: &str) -> String {
        escaped.to_string()
    }
    fn link(&self, escaped: &str) -> String {
        escaped.to_string()
    }
}

impl Markup for Html {
    fn bold(&self, s: &str) -> String {
        format!("<b>{s}</b>")
    }
    fn phone(&self, escaped: &str, _raw: &str) -> String {
        // Telegram takes no tel: links (only http, https and tg); the apps make a number they
        // see in the text dialable themselves.
        escaped.to_string()
    }
    fn link(&self, escaped: &str) -> String {
        format!("<a href=\"{escaped}\">{escaped}</a>")
    }
}

fn render(reply: &Reply, dialogs: &Dialogs, esc: &dyn Fn(&str) -> String, markup: &dyn Markup) -> String {
    let labels = &dialogs.texts.card;
    let mut paragraphs: Vec<String> = Vec::new();
    for block in &reply.blocks {
        match block {
            Block::Text(text) => paragraphs.push(esc(text)),
            Block::Emergency(contacts) => {
                let lines: Vec<String> = contacts
                    .iter()
                    .map(|c| {
                        let mut line = markup.bold(&esc(&c.name));
                        if let Some(number) = &c.number {
                            line.push(' ');
                            line.push_str(&markup.phone(&esc(number), number));
                        }
                        let when = match &c.hours {
                            Some(hours) => format!("{}・{}", c.when, hours),
                            None => c.when.clone(),
                        };
                        line.push_str(&format!(" ({})", esc(&when)));
                        if let Some(url) = &c.url {
                            line.push(' ');
                            line.push_str(&markup.link(&esc(url)));
                        }
                        line
                    })
                    .collect();
                paragraphs.push(lines.join("\n"));
            }
            Block::Card(card) => {
                let mut lines = vec![markup.bold(&format!("{}({})", esc(&card.title), esc(&card.municipality)))];
                lines.push(format!("{}: {}", esc(&labels.summary), esc(&card.summary)));
                lines.push(format!("{}: {}", esc(&labels.for_whom), esc(&card.for_whom)));
                if let Some(provider) = &card.provider {
                    lines.push(format!("{}: {}", esc(&labels.provider), esc(provider)));
                }
                if !card.contact.is_empty() {
                    lines.extend(contact_lines(&card.contact, labels, esc, markup));
                } else if let Some(via) = &card.reach_via {
                    // The body that runs it, never this card again (nor a window without a contact).
                    lines.push(esc(&fill(&labels.reach_via, &[("title", &via.title)])));
                    lines.extend(contact_lines(&via.contact, labels, esc, markup));
                } else {
                    lines.push(esc(&fill(&labels.no_contact, &[("area", &card.municipality)])));
                }
                lines.push(format!("{}: {}", esc(&labels.verified), esc(&card.verified)));
                paragraphs.push(lines.join("\n"));
            }
            Block::List { intro, items } => {
                let mut lines = vec![esc(intro)];
                lines.extend(items.iter().map(|i| format!("・{}({})", esc(&i.title), esc(&i.municipality))));
                paragraphs.push(lines.join("\n"));
            }
        }
    }
    paragraphs.join("\n\n")
}

/// The lines of a contact that has something to show, each labelled.
fn contact_lines(
    c: &crate::content::knowledge::Contact,
    labels: &crate::content::dialogs::texts::CardLabels,
    esc: &dyn Fn(&str) -> String,
    markup: &dyn Markup,
) -> Vec<String> {
    let mut lines = Vec::new();
    let mut field = |label: &str, value: &Option<String>, shown: &dyn Fn(&str, &str) -> String| {
        if let Some(v) = value {
            lines.push(format!("{}: {}", esc(label), shown(&esc(v), v)));
        }
    };
    let as_is = |e: &str, _: &str| e.to_string();
    let phone = |e: &str, raw: &str| {
        let mut shown = markup.phone(e, raw);
        // A number the source wrote without its area code (78-8182) reaches nobody from a mobile;
        // the code is not invented, but the resident is told one is needed.
        if is_local_number(raw) {
            shown.push_str(&esc(&labels.local_number_note));
        }
        shown
    };
    field(&labels.hours, &c.hours, &as_is);
    field(&labels.phone, &c.phone, &phone);
    field(&labels.fax, &c.fax, &as_is);
    field(&labels.email, &c.email, &as_is);
    field(&labels.address, &c.address, &as_is);
    field(&labels.url, &c.url, &|e, _| markup.link(e));
    lines
}

/// A phone number written without its area code: digits and hyphens, not starting with 0 (nor
/// a short code like #7119 or 189).
fn is_local_number(number: &str) -> bool {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    number.chars().all(|c| c.is_ascii_digit() || c == '-')
        && number.contains('-')
        && !digits.starts_with('0')
        && digits.len() >= 6
}

/// Escapes text for Telegram's HTML parse mode.
pub fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Fills a dialog text that names an area.
pub fn with_area(template: &str, area: &str) -> String {
    fill(template, &[("area", area)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(escape_html("<b>&\""), "&lt;b&gt;&amp;&quot;");
    }

    #[test]
    fn local_numbers_are_told_from_whole_ones_and_short_codes() {
        assert!(is_local_number("78-8182"));
        for whole in ["0584-78-8182", "03-1234-5678", "#7119", "189", "0120-279-338", "110"] {
            assert!(!is_local_number(whole), "{whole}");
        }
    }
}
