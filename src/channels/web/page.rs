//! The chat page and the replies it appends, as maud markup: every value is escaped unless it
//! is the reply renderer's own output (which escapes every value itself).
//!
//! The page holds no inline script or style (the CSP forbids both): its script reads the few
//! texts it shows by itself (sending…, the network error) from `data-` attributes.

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::MAX_MESSAGE_CHARS;
use crate::content::dialogs::texts::WebTexts;
use crate::content::dialogs::Dialogs;
use crate::conversation::reply::{render_html, Reply};

/// The whole page: heading, the conversation log (announced to screen readers as it grows),
/// the message box, and the reading options.
pub fn chat_page(texts: &WebTexts) -> Markup {
    html! {
        (DOCTYPE)
        html lang="ja" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (texts.page_title) }
                link rel="stylesheet" href="/assets/chat.css";
                script src="/assets/chat.js" defer {}
            }
            body {
                main id="chat" data-sending=(texts.sending) data-network-error=(texts.network_error)
                    data-you=(texts.you) data-bot=(texts.bot) {
                    header {
                        h1 { (texts.heading) }
                        p class="intro" { (texts.intro) }
                        div class="options" {
                            button type="button" id="larger" aria-pressed="false" { (texts.larger_text) }
                            button type="button" id="contrast" aria-pressed="false" { (texts.high_contrast) }
                        }
                    }
                    noscript { p class="notice" { (texts.noscript) } }
                    div id="log" role="log" aria-live="polite" aria-label=(texts.heading) {}
                    p id="status" role="status" class="status" {}
                    p id="alert" role="alert" class="alert" hidden {}
                    form id="ask" {
                        label for="text" { (texts.input_label) }
                        textarea id="text" name="text" rows="3" maxlength=(MAX_MESSAGE_CHARS)
                            placeholder=(texts.placeholder) {}
                        button type="submit" id="send" { (texts.send) }
                    }
                    footer {
                        button type="button" id="forget" class="quiet" { (texts.forget) }
                    }
                }
            }
        }
    }
}

/// The replies to one message, each a bot message with its buttons (their payloads in
/// `data-payload`, pressed through the same `POST /chat`).
pub fn replies(replies: &[Reply], dialogs: &Dialogs) -> Markup {
    html! {
        @for reply in replies {
            div class="msg bot" {
                div class="text" { (PreEscaped(render_html(reply, dialogs))) }
                @for row in &reply.buttons {
                    div class="buttons" {
                        @for button in row {
                            button type="button" class="choice" data-payload=(button.payload.to_string()) {
                                (button.label)
                            }
                        }
                    }
                }
            }
        }
    }
}
