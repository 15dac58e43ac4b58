//! madoguchi (窓口): points residents' welfare questions to the right service window.
//!
//! How the parts meet:
//!
//! ```text
//!  config.toml ─► app::open ─► dictionary (IPADIC, built once) ─► analyzer (pure: text → terms)
//!                    │                                                  │
//!                    ├─► knowledge::load (index/)  ───────────────┐      │
//!                    └─► dialogs::load (dialogs/)  ──────────┐     ▼      ▼
//!                                                            │   search (tantivy, in memory)
//!                                                            ▼     │
//!                                     engine: question → Decision ◄┘
//!                                                            │
//!                          dialog: (state, input) → (state, replies, events)
//!                                │                     │                 │
//!                           chat (terminal)      ask / eval (CLI)   Telegram adapter
//!
//!  store (sled: records) ─► staff: /stats, /unanswered, /test ◄─ Telegram (staff ids only)
//!                                  madoguchi stats / unanswered ◄─ CLI
//! ```
//!
//! The engine never prints and knows no channel; the channels only deliver what the dialog
//! layer returns. `madoguchi index check` runs the same loaders as serving.
//!
//! The bot serves through [`live::LiveEngine`], which rebuilds the engine with the same loaders
//! when staff save a file (or on SIGHUP, or `/reload`) and swaps it in only when it has no error.

pub mod analyzer;
pub mod app;
pub mod chat;
pub mod config;
pub mod crisis;
pub mod dialog;
pub mod dialogs;
pub mod dictionary;
pub mod engine;
pub mod eval;
pub mod explain;
pub mod kana_spellings;
pub mod knowledge;
pub mod live;
pub mod output;
pub mod reply;
pub mod search;
pub mod spreadsheet;
pub mod staff;
pub mod store;
pub mod telegram;
