//! madoguchi (窓口): points residents' welfare questions to the right service window.
//!
//! The folders are the architecture, top to bottom; each uses only the ones below it:
//!
//! ```text
//!  channels/      terminal (`chat`), telegram (`run`)              how residents reach the bot
//!  staff/         /stats, /unanswered, /test, CSV import           staff tools
//!  serving/       live engine, watcher, store (sled)               a running bot, kept current
//!  conversation/  dialog (state, input) → replies, command, reply  the conversation as data
//!  cli/           ask --json, eval                                 what the commands print
//!  answer/        engine, crisis, search, explain                  a question → a decision
//!  content/       knowledge (index/), dialogs (dialogs/), csv      what staff keep, checked
//!  japanese/      dictionary, analyzer, kana spellings             Japanese analysis
//!  app.rs, config.rs, cache_folder.rs                              the one loader; config.toml;
//!                                                                  the cache built aside
//! ```
//!
//! How a question travels:
//!
//! ```text
//!  config.toml ─► app::open ─► japanese::dictionary (IPADIC, built once) ─► analyzer (pure)
//!                    ├─► content::knowledge::load (index/) ─────────┐           │
//!                    └─► content::dialogs::load (dialogs/) ──┐      ▼           ▼
//!                                                            │   answer::search (tantivy)
//!                                                            ▼      │
//!                   answer::engine: crisis first, then area and search → Decision
//!                                                            │
//!                   conversation::dialog: (state, input) → (state, replies, events)
//!                          │                      │                        │
//!                channels::terminal        cli (ask / eval)       channels::telegram
//!
//!  serving::store (sled: records) ─► staff: /stats, /unanswered, /test ◄─ Telegram (staff ids)
//!                                          madoguchi stats / unanswered ◄─ CLI
//! ```
//!
//! The engine never prints and knows no channel; the channels only deliver what the dialog
//! layer returns. `madoguchi index check` runs the same loaders as serving. The bot serves
//! through [`serving::live::LiveEngine`], which rebuilds the engine with the same loaders when
//! staff save a file (or on SIGHUP, or `/reload`) and swaps it in only when it has no error.

pub mod app;
pub mod cache_folder;
pub mod config;

pub mod japanese;

pub mod content;

pub mod answer;

pub mod cli;
pub mod conversation;

pub mod serving;

pub mod staff;

pub mod channels;
