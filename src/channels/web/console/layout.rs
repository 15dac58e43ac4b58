//! The frame of every console page: the title, the menu, who is signed in and the sign-out
//! form (with its CSRF token), and a notice line.

use maud::{html, Markup, DOCTYPE};

use super::Session;

/// The console's sections, in menu order: (path, label).
const MENU: [(&str, &str); 5] = [
    ("/staff", "項目"),
    ("/staff/test", "答えを試す"),
    ("/staff/inbox", "見直し"),
    ("/staff/usage", "利用状況"),
    ("/staff/csv", "CSV"),
];

/// A whole console page; `current` is the menu path it belongs to.
pub fn page(title: &str, current: &str, session: &Session, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="ja" {
            (head(title))
            body {
                header class="top" {
                    p class="brand" { "madoguchi 職員用" }
                    nav aria-label="メニュー" {
                        ul {
                            @for (path, label) in MENU {
                                li {
                                    @if path == current {
                                        a href=(path) aria-current="page" { (label) }
                                    } @else {
                                        a href=(path) { (label) }
                                    }
                                }
                            }
                        }
                    }
                    form method="post" action="/staff/logout" class="logout" {
                        (csrf_field(session))
                        span { (session.name) " さん" }
                        button type="submit" { "ログアウト" }
                    }
                }
                main { h1 { (title) } (body) }
            }
        }
    }
}

/// A page without a session (login, refusals).
pub fn bare(title: &str, message: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang="ja" {
            (head(title))
            body { main { h1 { (title) } p role="alert" { (message) } p { a href="/staff" { "職員用の画面へ" } } } }
        }
    }
}

/// The `<head>` of every console page: its title and the console's one style sheet.
pub fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " — madoguchi 職員用" }
            link rel="stylesheet" href="/assets/console.css";
        }
    }
}

/// The hidden field every form of a session sends back.
pub fn csrf_field(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf); }
}

/// A line saying what just happened (saved, reloaded, refused).
pub fn notice(kind: Notice, text: &str) -> Markup {
    let class = match kind {
        Notice::Done => "notice done",
        Notice::Problem => "notice problem",
    };
    html! { p class=(class) role=(if kind == Notice::Problem { "alert" } else { "status" }) { (text) } }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    Done,
    Problem,
}
