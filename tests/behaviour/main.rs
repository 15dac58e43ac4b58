//! The behaviour tests: the library, the `madoguchi` binary and the Telegram bot against a fake
//! Bot API, in one test binary (each binary links the whole crate, so one binary instead of a
//! dozen is most of a clean build). The content regression (the project's question set and the
//! crisis corpus against the real `index/` and `dialogs/`) is `tests/content.rs`.

#[path = "../support/bot_process.rs"]
mod bot_process;
#[path = "../support/common.rs"]
mod common;
#[path = "../support/fake_bot_api.rs"]
mod fake_bot_api;
#[path = "../support/workspace.rs"]
mod workspace;

mod analyzer;
mod cli;
mod conversation;
mod csv;
mod delivery;
mod engine;
mod reload;
mod rendering;
mod search_cache;
mod staff_cli;
mod staff_files;
mod staff_telegram;
mod telegram;
