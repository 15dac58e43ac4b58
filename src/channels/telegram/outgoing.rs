//! Replies as Telegram messages: HTML (escaped by [`render_html`]), split at Telegram's 4,096
//! UTF-16 units, the buttons as an inline keyboard under the last piece. Pure, so it is tested
//! without a server.

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::content::dialogs::Dialogs;
use crate::conversation::reply::{render_html, Reply};

/// Telegram's limit on a message's text, in UTF-16 code units (an emoji outside the BMP is two).
pub const MAX_MESSAGE_UNITS: usize = 4096;
/// Telegram's limit on a button's callback data.
pub const MAX_CALLBACK_BYTES: usize = 64;

/// One `sendMessage`.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub html: String,
    pub keyboard: Option<InlineKeyboardMarkup>,
}

/// The messages for one reply, in order.
pub fn messages(reply: &Reply, dialogs: &Dialogs) -> Vec<Outgoing> {
    let html = render_html(reply, dialogs);
    let mut pieces: Vec<Outgoing> = split_html(&html, MAX_MESSAGE_UNITS)
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .map(|html| Outgoing { html, keyboard: None })
        .collect();
    if let Some(last) = pieces.last_mut() {
        last.keyboard = keyboard(reply);
    }
    pieces
}

/// Splits HTML into pieces of at most `limit` UTF-16 units: at a paragraph break where one is
/// near enough, else at a line break, else between two characters, never inside a tag or an
/// entity (`&amp;`). A tag still open at a cut is closed there and opened again at the start of
/// the next piece, so every piece is balanced HTML on its own. Nothing is lost: the pieces are
/// the text in order, less the line breaks at the cuts.
///
/// The markup counts towards the limit although Telegram counts only the visible text: a piece
/// is never over, at the price of cutting a little early.
pub fn split_html(html: &str, limit: usize) -> Vec<String> {
    let atoms = atoms(html);
    let units = |range: std::ops::Range<usize>| html[range].encode_utf16().count();
    let mut pieces = Vec::new();
    let mut open: Vec<Tag> = Vec::new();
    let mut i = 0;
    while i < atoms.len() {
        // Line breaks at the start of a piece would show as an empty first line.
        while i < atoms.len() && &html[atoms[i].clone()] == "\n" {
            i += 1;
        }
        if i == atoms.len() {
            break;
        }
        let reopen: String = open.iter().map(|t| &html[t.opening.clone()]).collect();
        let mut length = reopen.encode_utf16().count();
        let mut stack = open.clone();
        // The latest cut that fits, by kind: (atom index, the open tags there).
        let mut at_paragraph = None;
        let mut at_line = None;
        let mut anywhere = None;
        let closing = |stack: &[Tag]| stack.iter().map(|t| t.name.len() + 3).sum::<usize>();
        let mut j = i;
        while j < atoms.len() {
            let atom = atoms[j].clone();
            if j > i {
                // A cut before atom j: everything so far fits, closing tags included.
                if &html[atom.clone()] == "\n" {
                    let slot = if html[..atom.start].ends_with('\n') { &mut at_paragraph } else { &mut at_line };
                    *slot = Some((j, stack.clone()));
                }
                anywhere = Some((j, stack.clone()));
            }
            let mut after = stack.clone();
            match Tag::parse(html, &atom) {
                Some(tag) if tag.closing => {
                    if let Some(at) = after.iter().rposition(|t| t.name == tag.name) {
                        after.truncate(at);
                    }
                }
                Some(tag) => after.push(tag),
                None => {}
            }
            let next = length + units(atom);
            if next + closing(&after) > limit && j > i {
                break;
            }
            length = next;
            stack = after;
            j += 1;
        }
        let (end, stack_at_end) = if j == atoms.len() {
            (j, stack)
        } else {
            // A paragraph break in the last half of the piece, else a line break in its last
            // half, else wherever the limit fell.
            let half = i + (j - i) / 2;
            at_paragraph
                .filter(|(k, _)| *k > half)
                .or(at_line.filter(|(k, _)| *k > half))
                .or(anywhere)
                .unwrap_or((j, stack))
        };
        let end = end.max(i + 1);
        let mut piece = reopen;
        piece.push_str(html[atoms[i].start..atoms[end - 1].end].trim_end_matches('\n'));
        for tag in stack_at_end.iter().rev() {
            piece.push_str(&format!("</{}>", tag.name));
        }
        pieces.push(piece);
        open = stack_at_end;
        i = end;
    }
    if pieces.is_empty() {
        pieces.push(String::new());
    }
    pieces
}

/// An HTML tag of a rendered reply.
#[derive(Debug, Clone)]
struct Tag {
    name: String,
    closing: bool,
    /// Where the whole opening tag stands in the text (to open it again after a cut).
    opening: std::ops::Range<usize>,
}

impl Tag {
    fn parse(html: &str, atom: &std::ops::Range<usize>) -> Option<Tag> {
        let text = html[atom.clone()].strip_prefix('<')?.strip_suffix('>')?;
        let (closing, text) = match text.strip_prefix('/') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let name = text.split(|c: char| c.is_whitespace()).next().unwrap_or_default().to_string();
        Some(Tag { name, closing, opening: atom.clone() })
    }
}

/// The text cut into what may not be cut further: a tag, an entity, or one character.
fn atoms(html: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < html.len() {
        let rest = &html[at..];
        let len = if rest.starts_with('<') {
            rest.find('>').map_or(1, |e| e + 1)
        } else if rest.starts_with('&') {
            // Bytes, not a str slice: the 12th byte may fall inside a character.
            rest.bytes().take(12).position(|b| b == b';').map_or(1, |e| e + 1)
        } else {
            rest.chars().next().map_or(1, char::len_utf8)
        };
        out.push(at..at + len);
        at += len;
    }
    out
}

/// The inline keyboard, or `None` when the reply has no buttons. A button whose payload would
/// break Telegram's 64-byte limit is left out (and logged) rather than losing the whole
/// message; `index check` keeps entry ids short enough that this does not happen.
pub fn keyboard(reply: &Reply) -> Option<InlineKeyboardMarkup> {
    let rows: Vec<Vec<InlineKeyboardButton>> = reply
        .buttons
        .iter()
        .map(|row| {
            row.iter()
                .map(|b| (b, b.payload.to_string()))
                .filter(|(_, data)| {
                    let fits = data.len() <= MAX_CALLBACK_BYTES;
                    if !fits {
                        tracing::warn!(payload = %data, "button left out: callback data over 64 bytes");
                    }
                    fits
                })
                .map(|(b, data)| InlineKeyboardButton::callback(b.label.clone(), data))
                .collect::<Vec<_>>()
        })
        .filter(|row| !row.is_empty())
        .collect();
    (!rows.is_empty()).then(|| InlineKeyboardMarkup::new(rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::command::Payload;
    use crate::conversation::reply::{Block, Button};
    use teloxide::types::InlineKeyboardButtonKind;

    fn dialogs() -> Dialogs {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("dialogs");
        crate::content::dialogs::load(&dir).0.expect("dialogs/ loads")
    }

    fn payloads(markup: &InlineKeyboardMarkup) -> Vec<String> {
        markup
            .inline_keyboard
            .iter()
            .flatten()
            .map(|b| match &b.kind {
                InlineKeyboardButtonKind::CallbackData(data) => data.clone(),
                other => panic!("unexpected button {other:?}"),
            })
            .collect()
    }

    #[test]
    fn long_replies_are_split_and_the_keyboard_goes_last() {
        let paragraphs: Vec<Block> = (0..12).map(|i| Block::Text(format!("{i}{}", "あ".repeat(900)))).collect();
        let reply = Reply {
            blocks: paragraphs,
            buttons: vec![vec![Button { label: "相談窓口".into(), payload: Payload::General }]],
        };
        let out = messages(&reply, &dialogs());
        assert!(out.len() >= 3, "{}", out.len());
        assert!(out.iter().all(|m| m.html.encode_utf16().count() <= MAX_MESSAGE_UNITS));
        assert!(out[..out.len() - 1].iter().all(|m| m.keyboard.is_none()));
        assert_eq!(payloads(out.last().unwrap().keyboard.as_ref().unwrap()), ["gw"]);
        // Nothing lost, in order.
        let joined: String = out.iter().map(|m| m.html.as_str()).collect::<Vec<_>>().join("\n\n");
        assert_eq!(joined, render_html(&reply, &dialogs()));
    }

    /// Tags balanced, entities whole (what Telegram's HTML parser insists on).
    fn assert_balanced(piece: &str) {
        let mut open = Vec::new();
        for atom in atoms(piece) {
            let text = &piece[atom.clone()];
            if text.starts_with('&') {
                assert!(text.ends_with(';'), "a cut entity in {piece:?}");
            }
            match Tag::parse(piece, &atom) {
                Some(tag) if tag.closing => assert_eq!(open.pop(), Some(tag.name), "{piece:?}"),
                Some(tag) => open.push(tag.name),
                None => {}
            }
        }
        assert!(open.is_empty(), "unclosed {open:?} in {piece:?}");
    }

    /// The text a resident sees, tags and line breaks aside.
    fn visible(html: &str) -> String {
        atoms(html).into_iter().map(|a| &html[a]).filter(|t| !t.starts_with('<') && *t != "\n").collect()
    }

    #[test]
    fn pieces_are_counted_in_utf16_and_never_cut_inside_a_tag_or_an_entity() {
        // Emoji are two UTF-16 units each: 2,030 of them are 4,060 units on one line.
        let emoji = "😭".repeat(2_030);
        let bold = format!("<b>{}</b>", "&amp;あ".repeat(1_500));
        let link = "<a href=\"https://example.jp/\">https://example.jp/</a>".repeat(200);
        for html in [
            emoji.clone(),
            format!("{emoji}\n{emoji}"),
            bold.clone(),
            format!("{bold}\n\n{link}\n{emoji}"),
            link.clone(),
        ] {
            let pieces = split_html(&html, MAX_MESSAGE_UNITS);
            for piece in &pieces {
                assert!(piece.encode_utf16().count() <= MAX_MESSAGE_UNITS, "{} units", piece.encode_utf16().count());
                assert!(!piece.is_empty() && !piece.starts_with('\n') && !piece.ends_with('\n'));
                assert_balanced(piece);
            }
            assert_eq!(visible(&pieces.concat()), visible(&html), "nothing lost, in order");
        }
        assert_eq!(split_html(&emoji, MAX_MESSAGE_UNITS).len(), 1, "4,060 units fit in one message");
        // 2,048 emoji are exactly 4,096 units; one more is over.
        assert_eq!(split_html(&"😭".repeat(2_048), MAX_MESSAGE_UNITS).len(), 1);
        assert_eq!(split_html(&"😭".repeat(2_049), MAX_MESSAGE_UNITS).len(), 2);
    }

    proptest::proptest! {
        #[test]
        fn any_text_splits_within_the_limit_and_loses_nothing(
            // What render_html makes: escaped text, bold and links that do not nest.
            text in "((&amp;|&quot;|→|😭|あ|\\n|x){0,30}|<b>(&amp;|→|😭|あ|x){0,30}</b>|<a href=\"https://a\\.jp/\">(あ|x){0,10}</a>){0,30}",
            limit in 64usize..300,
        ) {
            let pieces = split_html(&text, limit);
            for piece in &pieces {
                proptest::prop_assert!(piece.encode_utf16().count() <= limit, "{piece:?}");
            }
            proptest::prop_assert_eq!(visible(&pieces.concat()), visible(&text));
        }
    }

    #[test]
    fn a_cut_prefers_a_paragraph_then_a_line() {
        let html = format!("{}\n\n{}\n{}", "あ".repeat(3_000), "い".repeat(900), "う".repeat(900));
        let pieces = split_html(&html, MAX_MESSAGE_UNITS);
        assert_eq!(pieces, vec!["あ".repeat(3_000), format!("{}\n{}", "い".repeat(900), "う".repeat(900))]);
        let html = format!("{}\n{}", "あ".repeat(3_000), "い".repeat(3_000));
        assert_eq!(split_html(&html, MAX_MESSAGE_UNITS), vec!["あ".repeat(3_000), "い".repeat(3_000)]);
        assert_eq!(split_html("", MAX_MESSAGE_UNITS), vec![String::new()]);
        // A tag open at a cut anywhere is closed and opened again.
        let pieces = split_html(&format!("<b>{}</b>", "あ".repeat(10)), 12);
        assert!(pieces.len() > 1 && pieces.iter().all(|p| p.starts_with("<b>") && p.ends_with("</b>")), "{pieces:?}");
    }

    #[test]
    fn over_long_payloads_are_left_out_not_sent() {
        let reply = Reply {
            blocks: vec![Block::Text("t".into())],
            buttons: vec![
                vec![Button { label: "ok".into(), payload: Payload::Entry("a".repeat(62)) }],
                vec![Button { label: "too long".into(), payload: Payload::Entry("a".repeat(63)) }],
            ],
        };
        let markup = keyboard(&reply).unwrap();
        assert_eq!(payloads(&markup), [format!("e:{}", "a".repeat(62))]);
        assert!(keyboard(&Reply::text("no buttons")).is_none());
    }

    #[test]
    fn text_is_escaped_for_html() {
        let out = messages(&Reply::text("<script>&"), &dialogs());
        assert_eq!(out[0].html, "&lt;script&gt;&amp;");
    }
}
