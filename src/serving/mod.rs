//! What keeps a running bot up to date and what it remembers.
//!
//! - [`live`]: the engine in use, swapped for a new one only after a checked reload.
//! - [`watch`]: the watcher of `index/` and `dialogs/` that asks for that reload.
//! - [`upkeep`]: the store's housekeeping while serving (retention, pending /forgets).
//! - [`store`]: sled under the data folder: chats, records, handled updates, inbox and outbox.
//!
//! It builds engines through [`crate::app`] and knows no channel; the Telegram adapter (and
//! the staff tools) use it.

pub mod live;
pub mod store;
pub mod upkeep;
pub mod watch;
