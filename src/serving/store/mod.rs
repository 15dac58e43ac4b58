//! The bot's runtime state in sled, under the data directory.
//!
//! ```text
//! <data dir>/
//!   salt        32 random bytes made on first run (mode 0600); chat ids are stored only as
//!               HMAC-SHA256(salt, chat id), so the database alone does not say who asked
//!   db/         sled: chats, records, handled updates, inbox, outbox, meta
//!   sent        outbox keys being sent and sent since the last flush (9 bytes each, see
//!               [`Store::sent`])
//!   keys/       the keys resident texts are sealed with, one file per day ([`keyring`])
//! ```
//!
//! Every text of a resident that sled holds (a question in `records`, an update in `inbox`, a
//! message in `outbox`) is sealed under its chat's key for its day: sled keeps removed values
//! in its log, so erasure (`/forget`, the retention purge) destroys keys, not values.
//!
//! Opening ([`Store::open`]) never papers over damage: the directory is made (or tightened to)
//! 0700 and every file in it 0600; a database that cannot be read, a salt missing beside an
//! existing database, or a salt that does not belong to it stops the start with what to do
//! ([`OpenError`]); only an explicit reset ([`Store::open_resetting`], `run --reset-data`) sets
//! the damaged files aside and starts afresh. sled opens a garbled file as an empty database,
//! so the database carries a check value (HMAC of the salt) that a healthy one always has.
//!
//! Trees:
//! - `chats`: chat key → [`ChatState`] (JSON).
//! - `records`: chat key ++ time ++ sequence → [`Record`] (JSON): what was asked, how it was
//!   answered, the feedback. The question's text is purged after `records.retention_days`.
//! - `handled`: update id → time handled, so that an update Telegram delivers again after a
//!   restart is not answered twice.
//! - `reviewed`: [`RecordRef`] → time a staff member marked that question handled (対応済み)
//!   from `/unanswered` or `madoguchi unanswered --handled`. Only the record's sequence number
//!   is kept, never the chat key, so the mark says nothing about who asked.
//! - `inbox`: update id → the update as Telegram sent it (JSON), from the moment it is fetched
//!   until it is answered. Written to disk before the next getUpdates confirms it to Telegram,
//!   so an update is always either still at Telegram or here ([`Store::queue_updates`]).
//! - `outbox`: sequence → [`Outbound`]: a message decided but not yet accepted by Telegram.
//!   Written in the same transaction that marks its update handled and takes it out of the
//!   inbox ([`Store::commit_update`]), removed once Telegram accepted it ([`Store::sent`]).
//!   The inbox and the outbox are the only trees that hold raw chat ids and texts of updates,
//!   and only until the update is answered.
//! - `meta`: the bot's own bookkeeping: `summary` → the Japan date of the last daily summary
//!   posted to the staff chat, so a restart neither repeats nor skips it; `check` → the
//!   HMAC of a fixed text under the salt, written when the database is made.
//!
//! - `changes`: sequence → [`StaffChange`] (JSON): who changed which entry's fields from the
//!   staff console, and when. Staff names only, never a resident's words.
//!
//! A record's key ends with a sequence number unique in the database ([`RecordRef`]): staff
//! buttons and the CLI name a question by it, without the chat key.
//!
//! `/forget` ([`Store::forget`]) removes the chat's state, every record of it and their marks.

use std::io::Write;
mod keyring;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use keyring::KeyError;
use keyring::KeyRing;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use ring::hmac;
use serde::{Deserialize, Serialize};
use sled::Transactional;

use crate::answer::decision::Kind;
use crate::conversation::dialog::{ChatState, Event};

const SALT_FILE: &str = "salt";
const DB_DIR: &str = "db";
const SENT_FILE: &str = "sent";
/// Tags of the `sent` journal's 9-byte lines (tag, outbox key).
const ATTEMPT: u8 = b'A';
const SENT: u8 = b'S';
const CHECK_KEY: &[u8] = b"check";
/// The first byte of a value sealed under a lifetime key. Without it a value would begin with
/// its random nonce, and one in 256 would begin with `{` and pass for JSON from before sealing.
const SEALED: u8 = 1;
/// `meta` keys of the chats whose `/forget` failed: this prefix ++ the chat key.
const FORGET_PREFIX: &[u8] = b"forget:";
const CHECK_TEXT: &[u8] = b"madoguchi store";
const SALT_LEN: usize = 32;
const SUMMARY_KEY: &[u8] = b"summary";
/// How long [`Store::open`] waits for a database another process (or a handle just dropped in
/// this one) is letting go of. Measured releases take well under 100 ms; the margin is for a
/// loaded machine.
const LOCK_WAIT: Duration = Duration::from_secs(3);
/// Handled update ids are kept this long; Telegram keeps undelivered updates for 24 hours.
const HANDLED_KEEP: Duration = Duration::from_secs(3 * 24 * 3600);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("ボットの記録を読み書きできません / the bot's database: {0}")]
    Db(#[from] sled::Error),
    #[error("ボットの記録の一部が読めません / a stored value cannot be read: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Transaction(String),
    #[error("送信の控え ({SENT_FILE}) を読み書きできません / the outbox journal ({SENT_FILE}): {0}")]
    Journal(#[from] std::io::Error),
    #[error("{0}")]
    Keys(#[from] KeyError),
}

/// Why the data directory cannot be opened: each says, in Japanese and then for an
/// administrator in English, what is wrong and what to do. None is ever worked around.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{} は別の madoguchi が使っています(同じフォルダで二つは動かせません)。 / the database is locked by another process (another madoguchi running?)", .0.display())]
    Busy(PathBuf),
    #[error("{} のデータベースが壊れていて読めません。バックアップから {}/ を戻すか、記録を捨てて始めるなら --reset-data を付けて起動してください(壊れたファイルは脇に残します)。 / the database cannot be read: restore it from a backup, or start with --reset-data (the damaged files are set aside, not deleted): {detail}", .dir.display(), DB_DIR)]
    Damaged { dir: PathBuf, detail: String },
    #[error("{} にデータベースがあるのに salt ファイルがありません。salt をバックアップから戻してください(新しい salt では今までの記録が誰のものか分からなくなります)。戻せないときは --reset-data で始め直せます。 / {SALT_FILE} is missing beside an existing database: restore it from a backup, or start with --reset-data", .0.display())]
    SaltMissing(PathBuf),
    #[error("{} の salt はこのデータベースのものではありません。正しい salt をバックアップから戻すか、--reset-data で始め直してください。 / {SALT_FILE} does not belong to this database (its check value differs): restore the right salt, or start with --reset-data", .0.display())]
    SaltMismatch(PathBuf),
    #[error("{} はほかの利用者も書き込めるので使いません。持ち主をボットの利用者にして chmod 700 にしてください。 / the data directory is writable by others and could not be tightened (owner another user?): make it owned by the bot's user, mode 0700", .0.display())]
    OpenToOthers(PathBuf),
    #[error("{} を用意できません。 / cannot prepare the data directory: {detail}", .dir.display())]
    Io { dir: PathBuf, detail: String },
}

/// The keyed hash of a chat id: what the database knows a chat by.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChatKey([u8; 32]);

impl ChatKey {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The chat key at the start of a `records` key.
    fn of_record_key(key: &[u8]) -> Option<ChatKey> {
        Some(ChatKey(key.get(..32)?.try_into().ok()?))
    }
}

impl std::fmt::Debug for ChatKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A short prefix is enough to follow one chat through the log.
        write!(f, "chat#")?;
        for b in &self.0[..4] {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// A record's stable name for staff: the database-wide sequence number at the end of its key.
/// Shown as lowercase hex (at most 16 characters, so a button payload stays far below
/// Telegram's 64 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct RecordRef(pub u64);

impl std::fmt::Display for RecordRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:x}", self.0)
    }
}

impl std::str::FromStr for RecordRef {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        u64::from_str_radix(s.trim(), 16).map(RecordRef)
    }
}

impl RecordRef {
    /// The sequence number at the end of a `records` key (chat key ++ time ++ sequence).
    fn of_key(key: &[u8]) -> Option<RecordRef> {
        let tail: [u8; 8] = key.get(key.len().checked_sub(8)?..)?.try_into().ok()?;
        Some(RecordRef(u64::from_be_bytes(tail)))
    }
}

/// What marking a question handled did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Review {
    Marked,
    /// Someone marked it before.
    AlreadyMarked,
    /// No such record: forgotten by the resident, or a mistyped reference.
    NotFound,
}

/// One question (or a feedback on a card that was not a question's answer), for staff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub time: DateTime<Utc>,
    /// `answer`, `fallback`, `crisis`, or `feedback` for a feedback on a card reached by menu.
    pub kind: String,
    /// The entry id answered (or the best candidate).
    pub entry: Option<String>,
    pub score: Option<f32>,
    pub area: Option<String>,
    /// The resident's words, until the retention period is over.
    pub question: Option<String>,
    /// 役に立った (true) / 違った (false).
    pub helpful: Option<bool>,
}

/// One edit of an entry from the staff console, for its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffChange {
    pub time: DateTime<Utc>,
    /// The staff account's name.
    pub who: String,
    pub entry: String,
    pub title: String,
    /// Whether the entry was new.
    pub added: bool,
    /// The fields (TOML keys) whose values changed.
    pub fields: Vec<String>,
}

/// A [`Record`] as the `records` tree holds it: the question only sealed.
#[derive(Serialize, Deserialize)]
struct StoredRecord {
    #[serde(flatten)]
    record: Record,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed_question: Option<String>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// A message decided for a chat and not yet accepted by Telegram (the outbox).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outbound {
    /// The update it answers.
    pub update: u32,
    /// Telegram's chat id (the outbox must know where to send).
    pub chat: i64,
    /// Telegram HTML.
    pub html: String,
    /// The inline keyboard, as the Bot API's JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyboard: Option<serde_json::Value>,
}

/// An update waiting in the inbox: its id, and its JSON (`None` once its chat was forgotten).
pub type QueuedUpdate = (u32, Option<Vec<u8>>);

pub struct Store {
    db: sled::Db,
    chats: sled::Tree,
    records: sled::Tree,
    handled: sled::Tree,
    reviewed: sled::Tree,
    meta: sled::Tree,
    inbox: sled::Tree,
    outbox: sled::Tree,
    changes: sled::Tree,
    /// The journal of sent outbox keys ([`Store::sent`]).
    sent: std::sync::Mutex<std::fs::File>,
    /// The keys every resident text in the database is sealed with ([`keyring`]).
    keys: KeyRing,
    /// Chats whose `/forget` failed (a full disk, say): retried by [`Store::retry_forgets`].
    pending_forgets: std::sync::Mutex<Vec<ChatKey>>,
    key: hmac::Key,
    dir: PathBuf,
    /// The database folder as it was opened (device and inode), to notice its removal.
    opened_as: Option<(u64, u64)>,
    uncertain_at_open: usize,
}

/// Whether sled refused to open because another handle still holds the database's file lock.
/// sled reports this as an `Other` I/O error whose text names the lock (the `WouldBlock` from
/// flock is only in the message), so the text is what can be matched.
fn is_lock_held(error: &sled::Error) -> bool {
    matches!(error, sled::Error::Io(e) if e.to_string().contains("could not acquire lock"))
}

impl Store {
    /// Opens (or creates) the store in `dir`, making the secret salt on first run. Damage is an
    /// [`OpenError`], never an empty start.
    pub fn open(dir: &Path) -> Result<Store, OpenError> {
        Store::open_checked(dir, false)
    }

    /// `run --reset-data`: like [`Store::open`], but a damaged database (or one whose salt is
    /// missing or wrong) is renamed to `db.damaged-<time>` beside it, kept for a recovery, and
    /// a new one is made.
    pub fn open_resetting(dir: &Path) -> Result<Store, OpenError> {
        Store::open_checked(dir, true)
    }

    fn open_checked(dir: &Path, reset: bool) -> Result<Store, OpenError> {
        let io = |e: anyhow::Error| OpenError::Io { dir: dir.to_path_buf(), detail: format!("{e:#}") };
        create_private_dir(dir)?;
        let db_dir = dir.join(DB_DIR);
        let salt_path = dir.join(SALT_FILE);
        if db_dir.exists() && !salt_path.exists() {
            if !reset {
                return Err(OpenError::SaltMissing(dir.to_path_buf()));
            }
            // Never set aside the database of a bot that is running.
            if matches!(sled::Config::new().path(&db_dir).open(), Err(e) if is_lock_held(&e)) {
                return Err(OpenError::Busy(dir.to_path_buf()));
            }
            set_aside(&db_dir).map_err(io)?;
        }
        let salt = read_or_make_salt(&salt_path).map_err(io)?;
        let key = hmac::Key::new(hmac::HMAC_SHA256, &salt);
        let check = hmac::sign(&key, CHECK_TEXT);
        let db = match open_db(dir, &check) {
            Ok(db) => db,
            Err(e @ (OpenError::Damaged { .. } | OpenError::SaltMismatch(_))) if reset => {
                tracing::warn!("{e}");
                set_aside(&db_dir).map_err(io)?;
                open_db(dir, &check)?
            }
            Err(e) => return Err(e),
        };
        tighten(dir).map_err(io)?;
        let store = (|| -> Result<Store, StoreError> {
            let mut options = std::fs::OpenOptions::new();
            options.create(true).append(true).read(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let sent = options.open(dir.join(SENT_FILE))?;
            let keys = KeyRing::open(dir)?;
            Ok(Store {
                keys,
                pending_forgets: Default::default(),
                chats: db.open_tree("chats")?,
                records: db.open_tree("records")?,
                handled: db.open_tree("handled")?,
                reviewed: db.open_tree("reviewed")?,
                meta: db.open_tree("meta")?,
                inbox: db.open_tree("inbox")?,
                outbox: db.open_tree("outbox")?,
                changes: db.open_tree("changes")?,
                sent: std::sync::Mutex::new(sent),
                db,
                key,
                dir: dir.to_path_buf(),
                opened_as: identity(&dir.join(DB_DIR)),
                uncertain_at_open: 0,
            })
        })()
        .map_err(|e| OpenError::Damaged { dir: dir.to_path_buf(), detail: e.to_string() })?;
        let mut store = store;
        store.uncertain_at_open = store
            .apply_sent_journal()
            .map_err(|e| OpenError::Damaged { dir: dir.to_path_buf(), detail: e.to_string() })?;
        store.seal_clear_values().map_err(|e| OpenError::Damaged { dir: dir.to_path_buf(), detail: e.to_string() })?;
        // A /forget that failed before the last stop is tried again first.
        let pending: Vec<ChatKey> = store
            .meta
            .scan_prefix(FORGET_PREFIX)
            .keys()
            .filter_map(|k| k.ok()?.get(FORGET_PREFIX.len()..)?.try_into().ok().map(ChatKey))
            .collect();
        *store.pending_forgets.lock().unwrap_or_else(|e| e.into_inner()) = pending;
        store.retry_forgets();
        Ok(store)
    }

    /// The keyed hash a chat is known by in the data dir `dir`, read from its salt without
    /// opening the database (a running bot holds it): for tests that look into the files.
    pub fn chat_key_in(dir: &Path, chat_id: i64) -> [u8; 32] {
        let salt = std::fs::read(dir.join(SALT_FILE)).unwrap_or_default();
        chat_tag(&hmac::Key::new(hmac::HMAC_SHA256, &salt), chat_id).0
    }

    /// Whether a bot has ever kept its database in `dir` (staff reports must not create one
    /// in a mistyped folder).
    pub fn exists(dir: &Path) -> bool {
        dir.join(DB_DIR).is_dir()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the database folder is still the one opened. sled keeps writing to open files
    /// after their folder is removed (or replaced), and everything would be gone at the next
    /// start: the bot checks this from time to time and says so.
    pub fn still_on_disk(&self) -> bool {
        self.opened_as.is_none() || identity(&self.dir.join(DB_DIR)) == self.opened_as
    }

    /// The keyed hash of a chat id.
    pub fn chat_key(&self, chat_id: i64) -> ChatKey {
        chat_tag(&self.key, chat_id)
    }

    /// The keyed hash of a web chat's random id (its cookie): a name apart from every
    /// Telegram chat's, known only through the salt like them.
    pub fn web_chat_key(&self, chat_id: &str) -> ChatKey {
        let tag = hmac::sign(&self.key, format!("web:{chat_id}").as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        ChatKey(out)
    }

    pub fn state(&self, chat: &ChatKey) -> Result<ChatState, StoreError> {
        match self.chats.get(chat.as_bytes())?.and_then(|bytes| self.open_for_life(chat, &bytes)) {
            Some(json) => Ok(serde_json::from_slice(&json)?),
            None => Ok(ChatState::default()),
        }
    }

    /// Seals what is kept about a chat beyond the retention (its state, its records' outcomes)
    /// under the chat's lifetime key, which only `/forget` destroys.
    fn seal_for_life(&self, chat: &ChatKey, json: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut out = vec![SEALED];
        out.extend_from_slice(&self.keys.seal(chat, keyring::LIFETIME, json)?);
        Ok(out)
    }

    /// Opens what [`Store::seal_for_life`] sealed; a value from before the key ring (JSON in
    /// the clear) as it is; `None` when the chat's lifetime key is gone.
    fn open_for_life(&self, chat: &ChatKey, value: &[u8]) -> Option<Vec<u8>> {
        match value.split_first()? {
            (&b'{', _) => Some(value.to_vec()),
            (&SEALED, sealed) => self.keys.open_sealed(chat, keyring::LIFETIME, sealed),
            _ => None,
        }
    }

    pub fn save_state(&self, chat: &ChatKey, state: &ChatState) -> Result<(), StoreError> {
        if *state == ChatState::default() {
            self.chats.remove(chat.as_bytes())?;
        } else {
            self.chats.insert(chat.as_bytes(), self.seal_for_life(chat, &serde_json::to_vec(state)?)?)?;
        }
        Ok(())
    }

    /// Stores what the dialog reported. `Forget` erases the chat; the others add records.
    pub fn apply(&self, chat: &ChatKey, events: &[Event], now: DateTime<Utc>) -> Result<(), StoreError> {
        for event in events {
            match event {
                Event::Asked { question, kind, entry, score, area } => {
                    let record = Record {
                        time: now,
                        kind: kind_name(*kind).to_string(),
                        entry: entry.clone(),
                        score: *score,
                        area: area.clone(),
                        question: Some(question.clone()),
                        helpful: None,
                    };
                    self.add_record(chat, &record)?;
                }
                Event::Feedback { entry, helpful } => self.feedback(chat, entry, *helpful, now)?,
                Event::Forget => self.forget(chat)?,
            }
        }
        Ok(())
    }

    fn add_record(&self, chat: &ChatKey, record: &Record) -> Result<(), StoreError> {
        let mut key = Vec::with_capacity(48);
        key.extend_from_slice(chat.as_bytes());
        key.extend_from_slice(&record.time.timestamp_micros().to_be_bytes());
        key.extend_from_slice(&self.db.generate_id()?.to_be_bytes());
        self.records.insert(key, self.encode_record(chat, record)?)?;
        Ok(())
    }

    /// A record as stored: the question sealed under the chat's key for the record's day, and
    /// the whole sealed again under the chat's lifetime key.
    fn encode_record(&self, chat: &ChatKey, record: &Record) -> Result<Vec<u8>, StoreError> {
        let mut stored = StoredRecord { record: record.clone(), sealed_question: None };
        if let Some(question) = stored.record.question.take() {
            stored.sealed_question = Some(hex(&self.keys.seal(chat, record.time.date_naive(), question.as_bytes())?));
        }
        self.seal_stored(chat, &stored)
    }

    fn seal_stored(&self, chat: &ChatKey, stored: &StoredRecord) -> Result<Vec<u8>, StoreError> {
        self.seal_for_life(chat, &serde_json::to_vec(stored)?)
    }

    /// The stored form of a record (`None` when its chat's lifetime key is gone: forgotten).
    fn open_stored(&self, key: &[u8], value: &[u8]) -> Result<Option<(ChatKey, StoredRecord)>, StoreError> {
        let Some(chat) = ChatKey::of_record_key(key) else { return Ok(None) };
        match self.open_for_life(&chat, value) {
            Some(json) => Ok(Some((chat, serde_json::from_slice(&json)?))),
            None => Ok(None),
        }
    }

    /// A stored record, its question opened (`None` once the day's key is destroyed).
    fn decode_record(&self, key: &[u8], value: &[u8]) -> Result<Option<Record>, StoreError> {
        let Some((chat, stored)) = self.open_stored(key, value)? else { return Ok(None) };
        let mut record = stored.record;
        if let Some(sealed) = stored.sealed_question {
            record.question = unhex(&sealed)
                .and_then(|bytes| self.keys.open_sealed(&chat, record.time.date_naive(), &bytes))
                .and_then(|plain| String::from_utf8(plain).ok());
        }
        Ok(Some(record))
    }

    /// Seals the records and chat states a database from before the key ring holds in the
    /// clear (once, at open). Their old clear copies stay in sled's log until sled reuses that
    /// space.
    fn seal_clear_values(&self) -> Result<(), StoreError> {
        let mut sealed = 0;
        for item in self.records.iter() {
            let (key, value) = item?;
            if value.first() != Some(&b'{') {
                continue; // sealed already (it begins with SEALED)
            }
            if let Some((chat, stored)) = self.open_stored(&key, &value)? {
                self.records.insert(&key, self.encode_record(&chat, &stored.record)?)?;
                sealed += 1;
            }
        }
        for item in self.chats.iter() {
            let (key, value) = item?;
            if value.first() == Some(&b'{') {
                if let Ok(chat) = key.as_ref().try_into().map(ChatKey) {
                    self.chats.insert(&key, self.seal_for_life(&chat, &value)?)?;
                }
            }
        }
        if sealed > 0 {
            self.db.flush()?;
            tracing::info!("sealed {sealed} record(s) stored in the clear by an earlier version");
        }
        Ok(())
    }

    /// Attaches feedback to the chat's latest question answered with this entry, or records it
    /// on its own (a card reached through the menu or the candidates).
    fn feedback(&self, chat: &ChatKey, entry: &str, helpful: bool, now: DateTime<Utc>) -> Result<(), StoreError> {
        for item in self.records.scan_prefix(chat.as_bytes()).rev() {
            let (key, value) = item?;
            let Some(mut record) = self.decode_record(&key, &value)? else { continue };
            if record.kind != "feedback" && record.entry.as_deref() == Some(entry) {
                record.helpful = Some(helpful);
                self.records.insert(&key, self.encode_record(chat, &record)?)?;
                return Ok(());
            }
        }
        let record = Record {
            time: now,
            kind: "feedback".into(),
            entry: Some(entry.to_string()),
            score: None,
            area: None,
            question: None,
            helpful: Some(helpful),
        };
        self.add_record(chat, &record)
    }

    /// Erases everything stored about a chat, for real: its keys are destroyed first (each of
    /// its texts anywhere in the database, and in sled's log, can no longer be read), then its
    /// state and records are removed and the removal written to disk. An error means the erasure
    /// is not complete; calling again finishes it.
    pub fn forget(&self, chat: &ChatKey) -> Result<(), StoreError> {
        let result = self.erase(chat);
        let mut pending = self.pending_forgets.lock().unwrap_or_else(|e| e.into_inner());
        pending.retain(|c| c != chat);
        let marker = [FORGET_PREFIX, chat.as_bytes()].concat();
        match &result {
            Ok(()) => {
                let _ = self.meta.remove(&marker);
            }
            Err(_) => {
                pending.push(*chat);
                // Kept for a restart too, when the disk takes it (a full one may not).
                if self.meta.insert(&marker, &[][..]).is_ok() {
                    let _ = self.db.flush();
                }
            }
        }
        result
    }

    /// Tries again the `/forget`s that failed; returns how many are still not done.
    pub fn retry_forgets(&self) -> usize {
        let chats: Vec<ChatKey> = self.pending_forgets.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for chat in chats {
            match self.forget(&chat) {
                Ok(()) => tracing::info!(?chat, "a /forget that had failed is done now"),
                Err(e) => tracing::error!(?chat, "a /forget still fails, tried again later: {e}"),
            }
        }
        self.pending_forgets.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    fn erase(&self, chat: &ChatKey) -> Result<(), StoreError> {
        self.keys.erase(chat)?;
        self.chats.remove(chat.as_bytes())?;
        let keys: Vec<sled::IVec> = self.records.scan_prefix(chat.as_bytes()).keys().collect::<Result<_, _>>()?;
        for key in keys {
            if let Some(reference) = RecordRef::of_key(&key) {
                self.reviewed.remove(reference.0.to_be_bytes())?;
            }
            self.records.remove(key)?;
        }
        self.db.flush()?;
        Ok(())
    }

    /// The records of one chat, oldest first.
    pub fn records_of(&self, chat: &ChatKey) -> Result<Vec<Record>, StoreError> {
        self.records
            .scan_prefix(chat.as_bytes())
            .map(|item| {
                let (key, value) = item?;
                self.decode_record(&key, &value)
            })
            .filter_map(Result::transpose)
            .collect()
    }

    /// Every record, for staff reports.
    pub fn all_records(&self) -> Result<Vec<Record>, StoreError> {
        self.records
            .iter()
            .map(|item| {
                let (key, value) = item?;
                self.decode_record(&key, &value)
            })
            .filter_map(Result::transpose)
            .collect()
    }

    /// The records from `since` on, each with its reference, in no particular order. (Records
    /// are keyed by chat first, so a time window is a full scan; staff ask rarely.)
    pub fn records_since(&self, since: DateTime<Utc>) -> Result<Vec<(RecordRef, Record)>, StoreError> {
        let mut out = Vec::new();
        for item in self.records.iter() {
            let (key, value) = item?;
            let Some(record) = self.decode_record(&key, &value)? else { continue };
            if record.time >= since {
                if let Some(reference) = RecordRef::of_key(&key) {
                    out.push((reference, record));
                }
            }
        }
        Ok(out)
    }

    /// Keeps one staff edit in the history (flushed: a change to `index/` is never unrecorded).
    pub fn record_change(&self, change: &StaffChange) -> Result<(), StoreError> {
        let key = self.db.generate_id()?.to_be_bytes();
        let value = serde_json::to_vec(change)?;
        self.changes.insert(key, value)?;
        self.changes.flush()?;
        Ok(())
    }

    /// The staff edits, newest first; of one entry when `entry` is given.
    pub fn changes(&self, entry: Option<&str>, limit: usize) -> Result<Vec<StaffChange>, StoreError> {
        let mut out = Vec::new();
        for item in self.changes.iter().rev() {
            let (_, value) = item?;
            let change: StaffChange = serde_json::from_slice(&value)?;
            if entry.is_none_or(|id| id == change.entry) {
                out.push(change);
                if out.len() == limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Whether staff marked this question handled.
    pub fn is_reviewed(&self, reference: RecordRef) -> Result<bool, StoreError> {
        Ok(self.reviewed.contains_key(reference.0.to_be_bytes())?)
    }

    /// Marks a question handled (対応済み), so `/unanswered` lists it no more.
    pub fn mark_reviewed(&self, reference: RecordRef, now: DateTime<Utc>) -> Result<Review, StoreError> {
        let exists = self
            .records
            .iter()
            .keys()
            .map(|k| k.map(|k| RecordRef::of_key(&k)))
            .any(|r| matches!(r, Ok(Some(r)) if r == reference));
        if !exists {
            return Ok(Review::NotFound);
        }
        let time = now.timestamp_micros().to_be_bytes();
        let previous =
            self.reviewed.compare_and_swap(reference.0.to_be_bytes(), None as Option<&[u8]>, Some(&time[..]))?;
        Ok(if previous.is_ok() { Review::Marked } else { Review::AlreadyMarked })
    }

    /// Removes the text of questions older than `retention_days`; returns how many were purged.
    /// Kind, entry, score and feedback stay: they say how well the answers serve, not who asked.
    pub fn purge_old_text(&self, retention_days: u32, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let cutoff = now - chrono::Duration::days(i64::from(retention_days));
        let mut purged = 0;
        for item in self.records.iter() {
            let (key, value) = item?;
            let Some((chat, mut stored)) = self.open_stored(&key, &value)? else { continue };
            if (stored.sealed_question.is_some() || stored.record.question.is_some()) && stored.record.time < cutoff {
                stored.sealed_question = None;
                stored.record.question = None;
                self.records.insert(&key, self.seal_stored(&chat, &stored)?)?;
                purged += 1;
            }
        }
        // The real erasure: the keys of the days before the cutoff's are destroyed (never those
        // of the last two days: updates waiting in the inbox or outbox are sealed with them).
        let keep_from = (now - chrono::Duration::days(2)).date_naive();
        self.keys.drop_before(cutoff.date_naive().min(keep_from))?;
        // A mark made before the cutoff belongs to a question asked before it, whose text is
        // gone now: `/unanswered` could not list it anyway.
        for item in self.reviewed.iter() {
            let (key, value) = item?;
            if decode_time(&value).is_none_or(|t| t < cutoff) {
                self.reviewed.remove(key)?;
            }
        }
        let handled_cutoff = now - chrono::Duration::from_std(HANDLED_KEEP).unwrap_or_default();
        for item in self.handled.iter() {
            let (key, value) = item?;
            if decode_time(&value).is_none_or(|t| t < handled_cutoff) {
                self.handled.remove(key)?;
            }
        }
        Ok(purged)
    }

    /// Whether this update was handled already (before a restart, say).
    pub fn is_handled(&self, update_id: u32) -> Result<bool, StoreError> {
        Ok(self.handled.contains_key(update_id.to_be_bytes())?)
    }

    /// Marks an update handled; false when it already was. Atomic (compare-and-swap), so of
    /// two deliveries of one update only one can be marked.
    pub fn mark_handled(&self, update_id: u32, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let time = now.timestamp_micros().to_be_bytes();
        let previous =
            self.handled.compare_and_swap(update_id.to_be_bytes(), None as Option<&[u8]>, Some(&time[..]))?;
        Ok(previous.is_ok())
    }

    /// The highest update id handled so far.
    pub fn last_handled(&self) -> Result<Option<u32>, StoreError> {
        Ok(self.handled.last()?.map(|(k, _)| u32::from_be_bytes(k.as_ref().try_into().unwrap_or([0; 4]))))
    }

    /// The Japan date of the last daily summary posted, if any.
    pub fn last_summary(&self) -> Result<Option<NaiveDate>, StoreError> {
        Ok(self
            .meta
            .get(SUMMARY_KEY)?
            .and_then(|bytes| std::str::from_utf8(&bytes).ok().and_then(|text| text.parse().ok())))
    }

    /// Records that the summary of `date` (Japan date) was posted, and writes it to disk at once:
    /// a crash right after must not post it again.
    pub fn mark_summary(&self, date: NaiveDate) -> Result<(), StoreError> {
        self.meta.insert(SUMMARY_KEY, date.to_string().as_bytes())?;
        self.meta.flush()?;
        Ok(())
    }

    /// Queues fetched updates (id and JSON) and writes them to disk before returning: after
    /// this, confirming them to Telegram loses nothing. Updates handled or queued already (a
    /// second delivery) are left out; the ids queued now are returned.
    /// Each update is sealed under the key of its chat (`chat_id`: the chat, or for updates
    /// with none the sender) for the day of `now`.
    pub async fn queue_updates(
        &self,
        updates: &[(u32, i64, Vec<u8>)],
        now: DateTime<Utc>,
    ) -> Result<Vec<u32>, StoreError> {
        let mut queued = Vec::with_capacity(updates.len());
        for (id, chat_id, json) in updates {
            let key = id.to_be_bytes();
            if self.handled.contains_key(key)? || self.inbox.contains_key(key)? {
                continue;
            }
            self.inbox.insert(key, self.seal_value(*chat_id, json, now)?)?;
            queued.push(*id);
        }
        if !queued.is_empty() {
            self.flush_async().await?;
        }
        Ok(queued)
    }

    /// The updates fetched but not answered (a crash, or a stop before their turn), oldest first.
    /// One whose chat was forgotten meanwhile can no longer be read and is `None`.
    ///
    /// Its keys can only be gone because `/forget` destroyed them; if that `/forget` was cut off
    /// by a crash before the chat's records were removed (it may be this very update), the
    /// erasure is finished here.
    pub fn queued_updates(&self) -> Result<Vec<QueuedUpdate>, StoreError> {
        let mut out = Vec::new();
        for item in self.inbox.iter() {
            let (key, value) = item?;
            let opened = self.open_value(&value);
            if opened.is_none() {
                if let Some(chat) = value.get(4..36).and_then(|b| b.try_into().ok()).map(ChatKey) {
                    self.forget(&chat)?;
                }
            }
            out.push((u32::from_be_bytes(key.as_ref().try_into().unwrap_or([0; 4])), opened));
        }
        Ok(out)
    }

    /// A value of the inbox or the outbox as stored: the day (days since 1970, 4 bytes), the
    /// chat key (32), then the JSON sealed under their key for the day of `now`.
    fn seal_value(&self, chat_id: i64, json: &[u8], now: DateTime<Utc>) -> Result<Vec<u8>, StoreError> {
        let chat = self.chat_key(chat_id);
        let today = now.date_naive();
        let day = (today - NaiveDate::default()).num_days() as i32;
        let mut out = day.to_be_bytes().to_vec();
        out.extend_from_slice(chat.as_bytes());
        out.extend_from_slice(&self.keys.seal(&chat, today, json)?);
        Ok(out)
    }

    fn open_value(&self, value: &[u8]) -> Option<Vec<u8>> {
        if value.first() == Some(&b'{') {
            // Written in the clear by the version before the key ring. A sealed value begins
            // with its day as a big-endian i32 (about 20,000 now): its first byte is 0, never {.
            return Some(value.to_vec());
        }
        let day = i32::from_be_bytes(value.get(..4)?.try_into().ok()?);
        let chat = ChatKey(value.get(4..36)?.try_into().ok()?);
        let date = NaiveDate::default().checked_add_signed(chrono::Duration::days(i64::from(day)))?;
        self.keys.open_sealed(&chat, date, value.get(36..)?)
    }

    /// The end of an update's handling, on disk before anything is sent: marks it handled, takes
    /// it out of the inbox and puts its messages in the outbox, in one transaction. Returns the
    /// outbox keys in order, or `None` when the update was handled already (nothing queued).
    /// Updates committed at the same moment (one per chat worker) share one fsync.
    pub async fn commit_update(
        &self,
        update_id: u32,
        messages: &[Outbound],
        now: DateTime<Utc>,
    ) -> Result<Option<Vec<u64>>, StoreError> {
        use sled::transaction::{ConflictableTransactionError, TransactionError};
        let values: Vec<Vec<u8>> = messages
            .iter()
            .map(|m| self.seal_value(m.chat, &serde_json::to_vec(m)?, now))
            .collect::<Result<_, StoreError>>()?;
        let key = update_id.to_be_bytes();
        let time = now.timestamp_micros().to_be_bytes();
        let result = (&self.handled, &self.inbox, &self.outbox).transaction(|(handled, inbox, outbox)| {
            inbox.remove(&key)?;
            if handled.insert(&key, &time[..])?.is_some() {
                return Ok(None);
            }
            let mut keys = Vec::with_capacity(values.len());
            for value in &values {
                let sequence = outbox.generate_id()?;
                outbox.insert(&sequence.to_be_bytes(), value.as_slice())?;
                keys.push(sequence);
            }
            Ok::<_, ConflictableTransactionError<()>>(Some(keys))
        });
        let keys = match result {
            Ok(keys) => keys,
            Err(TransactionError::Storage(e)) => return Err(e.into()),
            Err(TransactionError::Abort(())) => return Err(StoreError::Transaction("committing an update".into())),
        };
        self.flush_async().await?;
        Ok(keys)
    }

    /// Every message decided but not yet accepted by Telegram, in the order decided.
    pub fn outbox(&self) -> Result<Vec<(u64, Outbound)>, StoreError> {
        self.outbox
            .iter()
            .map(|item| {
                let (key, value) = item?;
                let message = self.open_value(&value).map(|v| serde_json::from_slice(&v)).transpose()?;
                Ok(message.map(|m| (u64::from_be_bytes(key.as_ref().try_into().unwrap_or([0; 8])), m)))
            })
            .filter_map(Result::transpose)
            .collect()
    }

    /// An outbox message is about to be sent: journaled (`A` and its key, one `write`), so that
    /// a start after a kill -9 knows which messages may have reached Telegram.
    pub fn sending(&self, key: u64) -> Result<(), StoreError> {
        self.journal(ATTEMPT, key)
    }

    /// Telegram accepted (or for good refused) an outbox message: removed, and journaled as sent
    /// (`S` and its key, one `write`). The removal reaches sled's disk at its next flush; the
    /// journal is in the kernel the moment `write` returns, so a kill -9 even a microsecond
    /// later does not send the message again ([`Store::open`] applies the journal). Only a
    /// power loss can lose the journal's last lines (then those messages are sent once more):
    /// an fsync per message would halve the rate a burst is answered at.
    pub fn sent(&self, key: u64) -> Result<(), StoreError> {
        self.outbox.remove(key.to_be_bytes())?;
        self.journal(SENT, key)
    }

    fn journal(&self, tag: u8, key: u64) -> Result<(), StoreError> {
        use std::io::Write;
        let mut journal = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        journal.write_all(&journal_line(tag, &key.to_be_bytes()))?;
        Ok(())
    }

    /// Takes the messages the journal says were sent out of the outbox, writes that to disk and
    /// empties the journal. Returns how many were being sent with no word of the answer (a
    /// kill -9 mid-send): those stay in the outbox and may reach the resident twice. At open,
    /// and from time to time while serving so the journal stays small.
    pub fn apply_sent_journal(&self) -> Result<usize, StoreError> {
        use std::io::{Read, Seek};
        let mut journal = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        let mut bytes = Vec::new();
        journal.seek(std::io::SeekFrom::Start(0))?;
        journal.read_to_end(&mut bytes)?;
        let mut in_flight = std::collections::BTreeSet::new();
        // A line cut off by a crash mid-write is ignored: its message is sent again.
        for line in bytes.chunks_exact(9) {
            let key = &line[1..];
            match line[0] {
                ATTEMPT => {
                    in_flight.insert(key.to_vec());
                }
                SENT => {
                    in_flight.remove(key);
                    self.outbox.remove(key)?;
                }
                // Not a line this journal writes (a write cut short): nothing is removed on
                // its word, at worst a message is sent once more.
                _ => {}
            }
        }
        in_flight.retain(|key| self.outbox.contains_key(key).unwrap_or(true));
        self.db.flush()?;
        // Emptied, but for sends still without an answer (while serving: under way now).
        journal.set_len(0)?;
        for key in &in_flight {
            std::io::Write::write_all(&mut *journal, &journal_line(ATTEMPT, key))?;
        }
        Ok(in_flight.len())
    }

    /// How many outbox messages were being sent when the last run ended without a word of the
    /// answer: found at open, sent again, and possibly seen twice by their residents.
    pub fn uncertain_at_open(&self) -> usize {
        self.uncertain_at_open
    }

    /// Writes everything to disk without holding up the caller's thread: in a tokio runtime the
    /// fsync runs on its blocking pool (and commits waiting at the same moment share it: sled
    /// makes each write stable once), elsewhere here. Not sled's `flush_async`: its own thread
    /// pool deadlocks when many flushes wait at once (the buffer writes they wait for queue
    /// behind them).
    pub async fn flush_async(&self) -> Result<(), StoreError> {
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let db = self.db.clone();
                match runtime.spawn_blocking(move || db.flush()).await {
                    Ok(flushed) => flushed.map(|_| ()).map_err(StoreError::from),
                    Err(e) => Err(StoreError::Transaction(format!("the flush task failed: {e}"))),
                }
            }
            Err(_) => self.flush(),
        }
    }

    /// Writes everything to disk.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }
}

fn decode_time(bytes: &[u8]) -> Option<DateTime<Utc>> {
    let micros = i64::from_be_bytes(bytes.try_into().ok()?);
    DateTime::from_timestamp_micros(micros)
}

pub fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Answer => "answer",
        Kind::Fallback => "fallback",
        Kind::Crisis => "crisis",
    }
}

fn create_private_dir(dir: &Path) -> Result<(), OpenError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| OpenError::Io { dir: dir.to_path_buf(), detail: format!("cannot create it: {e}") })?;
    // Made by someone else beforehand (systemd's StateDirectory is 0755): tightened, and
    // refused if that is not possible, before any question is written into it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        let mode = std::fs::metadata(dir)
            .map_err(|e| OpenError::Io { dir: dir.to_path_buf(), detail: e.to_string() })?
            .permissions()
            .mode();
        if mode & 0o022 != 0 {
            return Err(OpenError::OpenToOthers(dir.to_path_buf()));
        }
    }
    Ok(())
}

/// Opens sled in `dir/db` and proves it is the database of this salt: a new database gets the
/// check value, an existing one must have it (sled opens a garbled file as empty).
fn open_db(dir: &Path, check: &hmac::Tag) -> Result<sled::Db, OpenError> {
    let db_dir = dir.join(DB_DIR);
    let existed = db_dir.join("db").exists() || db_dir.join("conf").exists();
    let damaged = |detail: String| OpenError::Damaged { dir: dir.to_path_buf(), detail };
    // sled gives up its file lock a moment after the last handle is dropped, once its
    // background threads have let go of the file: a process that is just stopping (a bot
    // restarting) or a handle dropped a moment ago may still hold it, so wait a little
    // before calling the database busy.
    let deadline = std::time::Instant::now() + LOCK_WAIT;
    let db = loop {
        match sled::Config::new().path(&db_dir).flush_every_ms(Some(500)).open() {
            Err(e) if is_lock_held(&e) && std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) if is_lock_held(&e) => return Err(OpenError::Busy(dir.to_path_buf())),
            Err(e) => return Err(damaged(e.to_string())),
            Ok(db) => break db,
        }
    };
    let meta = db.open_tree("meta").map_err(|e| damaged(e.to_string()))?;
    match meta.get(CHECK_KEY).map_err(|e| damaged(e.to_string()))? {
        Some(stored) if stored.as_ref() == check.as_ref() => Ok(db),
        Some(_) => Err(OpenError::SaltMismatch(dir.to_path_buf())),
        None => {
            // A database from before the check value holds chats or records; a garbled one
            // opens empty.
            let holds_data = ["chats", "records", "handled"]
                .iter()
                .any(|name| db.open_tree(name).map(|t| !t.is_empty()).unwrap_or(false));
            if existed && !holds_data {
                return Err(damaged("the database opened empty: its files are truncated or garbled".into()));
            }
            meta.insert(CHECK_KEY, check.as_ref()).map_err(|e| damaged(e.to_string()))?;
            db.flush().map_err(|e| damaged(e.to_string()))?;
            Ok(db)
        }
    }
}

/// A line of the `sent` journal: the tag, then the 8-byte outbox key.
fn journal_line(tag: u8, key: &[u8]) -> [u8; 9] {
    let mut line = [tag; 9];
    line[1..].copy_from_slice(key);
    line
}

/// HMAC-SHA256(salt, "chat:<id>"): what the database knows a chat by.
fn chat_tag(key: &hmac::Key, chat_id: i64) -> ChatKey {
    let tag = hmac::sign(key, format!("chat:{chat_id}").as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    ChatKey(out)
}

/// A folder's device and inode (`None` where the platform has none, or it is gone).
fn identity(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Renames a damaged database to `db.damaged-<UTC time>` beside it.
fn set_aside(db_dir: &Path) -> anyhow::Result<()> {
    let aside = db_dir.with_file_name(format!("{DB_DIR}.damaged-{}", Utc::now().format("%Y%m%dT%H%M%S")));
    std::fs::rename(db_dir, &aside)
        .with_context(|| format!("cannot rename {} to {}", db_dir.display(), aside.display()))?;
    tracing::warn!("the damaged database was set aside as {}", aside.display());
    Ok(())
}

/// Every directory under the data dir 0700, every file 0600 (sled makes its files with the
/// process's umask, commonly 0644).
fn tighten(dir: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for entry in walk(dir)? {
            let meta = std::fs::symlink_metadata(&entry)?;
            let mode = if meta.is_dir() {
                0o700
            } else if meta.is_file() {
                0o600
            } else {
                continue;
            };
            if meta.permissions().mode() & 0o777 != mode {
                std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(mode))
                    .with_context(|| format!("cannot chmod {}", entry.display()))?;
            }
        }
    }
    Ok(())
}

/// `dir` and everything under it (symlinks not followed).
fn walk(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = vec![dir.to_path_buf()];
    let mut next = 0;
    while next < out.len() {
        let path = out[next].clone();
        next += 1;
        if std::fs::symlink_metadata(&path)?.is_dir() {
            for entry in std::fs::read_dir(&path).with_context(|| format!("cannot read {}", path.display()))? {
                out.push(entry?.path());
            }
        }
    }
    Ok(out)
}

/// Reads the salt, or makes one (32 random bytes, readable by the owner only).
fn read_or_make_salt(path: &Path) -> anyhow::Result<Vec<u8>> {
    match std::fs::read(path) {
        Ok(salt) if salt.len() == SALT_LEN => return Ok(salt),
        Ok(salt) => anyhow::bail!(
            "{} holds {} bytes, not {SALT_LEN}; restore it from a backup (a new salt would orphan every stored chat)",
            path.display(),
            salt.len()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
    let mut salt = vec![0u8; SALT_LEN];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut salt)
        .map_err(|_| anyhow::anyhow!("the system's random source failed"))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(&salt)?;
    file.sync_all()?;
    Ok(salt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    fn asked(question: &str, entry: &str) -> Event {
        Event::Asked {
            question: question.into(),
            kind: Kind::Answer,
            entry: Some(entry.into()),
            score: Some(0.7),
            area: Some("世田谷区".into()),
        }
    }

    #[test]
    fn chat_ids_are_keyed_hashes_and_the_salt_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let a = store.chat_key(42);
        assert_eq!(a, store.chat_key(42));
        assert_ne!(a, store.chat_key(43));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SALT_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        drop(store);
        // The same salt after a restart; another data dir, another salt.
        assert_eq!(Store::open(dir.path()).unwrap().chat_key(42), a);
        let other = tempfile::tempdir().unwrap();
        assert_ne!(Store::open(other.path()).unwrap().chat_key(42), a);
    }

    #[test]
    fn staff_changes_are_kept_across_a_restart_newest_first_and_per_entry() {
        let dir = tempfile::tempdir().unwrap();
        let change = |entry: &str, field: &str| StaffChange {
            time: Utc::now(),
            who: "sato".into(),
            entry: entry.into(),
            title: "配食サービス".into(),
            added: false,
            fields: vec![field.into()],
        };
        {
            let store = Store::open(dir.path()).unwrap();
            store.record_change(&change("setagaya/a", "summary")).unwrap();
            store.record_change(&change("setagaya/b", "phone")).unwrap();
            store.record_change(&change("setagaya/a", "hours")).unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        let of_a: Vec<_> =
            store.changes(Some("setagaya/a"), 10).unwrap().into_iter().map(|c| c.fields[0].clone()).collect();
        assert_eq!(of_a, ["hours", "summary"]);
        let all = store.changes(None, 2).unwrap();
        assert_eq!(all.iter().map(|c| c.entry.as_str()).collect::<Vec<_>>(), ["setagaya/a", "setagaya/b"]);
    }

    #[test]
    fn the_database_never_holds_the_chat_id() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let chat = store.chat_key(987_654_321);
        store
            .save_state(&chat, &ChatState { area: Some("大垣市".into()), alternatives: vec![], ..Default::default() })
            .unwrap();
        store.apply(&chat, &[asked("質問", "ogaki/x")], Utc::now()).unwrap();
        store.flush().unwrap();
        let needle = b"987654321";
        for tree in [&store.chats, &store.records] {
            for item in tree.iter() {
                let (k, v) = item.unwrap();
                assert!(!k.windows(needle.len()).any(|w| w == needle));
                assert!(!v.windows(needle.len()).any(|w| w == needle));
            }
        }
    }

    #[test]
    fn feedback_attaches_to_the_question_it_answers() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let chat = store.chat_key(1);
        let now = Utc::now();
        store.apply(&chat, &[asked("一", "a/one"), asked("二", "a/two")], now).unwrap();
        store.apply(&chat, &[Event::Feedback { entry: "a/one".into(), helpful: false }], now).unwrap();
        store.apply(&chat, &[Event::Feedback { entry: "a/menu".into(), helpful: true }], now).unwrap();
        let records = store.records_of(&chat).unwrap();
        assert_eq!(records.len(), 3);
        assert_eq!(records[0].helpful, Some(false));
        assert_eq!(records[1].helpful, None);
        assert_eq!((records[2].kind.as_str(), records[2].helpful), ("feedback", Some(true)));
    }

    #[test]
    fn old_text_is_purged_but_the_outcome_stays() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let chat = store.chat_key(1);
        let now = Utc::now();
        store.apply(&chat, &[asked("古い質問", "a/old")], now - chrono::Duration::days(91)).unwrap();
        store.apply(&chat, &[asked("新しい質問", "a/new")], now - chrono::Duration::days(89)).unwrap();
        assert_eq!(store.purge_old_text(90, now).unwrap(), 1);
        let records = store.records_of(&chat).unwrap();
        assert_eq!(records[0].question, None);
        assert_eq!(records[0].entry.as_deref(), Some("a/old"));
        assert_eq!(records[1].question.as_deref(), Some("新しい質問"));
    }

    #[test]
    fn forget_erases_the_chat_and_only_that_chat() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let (one, two) = (store.chat_key(1), store.chat_key(2));
        for chat in [&one, &two] {
            store
                .save_state(
                    chat,
                    &ChatState { area: Some("西東京市".into()), alternatives: vec![], ..Default::default() },
                )
                .unwrap();
            store.apply(chat, &[asked("q", "a/b")], Utc::now()).unwrap();
        }
        store.apply(&one, &[Event::Forget], Utc::now()).unwrap();
        assert_eq!(store.state(&one).unwrap(), ChatState::default());
        assert!(store.records_of(&one).unwrap().is_empty());
        assert_eq!(store.records_of(&two).unwrap().len(), 1);
        assert_eq!(store.state(&two).unwrap().area.as_deref(), Some("西東京市"));
    }

    #[test]
    fn an_update_is_marked_once_even_across_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let now = Utc::now();
        {
            let store = Store::open(dir.path()).unwrap();
            assert!(store.mark_handled(7, now).unwrap());
            assert!(!store.mark_handled(7, now).unwrap());
            assert!(store.mark_handled(9, now).unwrap());
            store.flush().unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        assert!(store.is_handled(7).unwrap());
        assert!(!store.is_handled(8).unwrap());
        assert_eq!(store.last_handled().unwrap(), Some(9));
        assert!(!store.mark_handled(9, now).unwrap());
        // Old marks go, recent ones stay.
        store.purge_old_text(90, now + chrono::Duration::days(4)).unwrap();
        assert!(!store.is_handled(7).unwrap());
    }

    #[test]
    fn an_update_waits_in_the_inbox_until_committed_and_its_messages_in_the_outbox_until_sent() {
        let dir = tempfile::tempdir().unwrap();
        let message = |n: &str| Outbound { update: 7, chat: 5, html: n.into(), keyboard: None };
        {
            let store = Store::open(dir.path()).unwrap();
            let queue = |updates: &[(u32, Vec<u8>)]| {
                let updates: Vec<(u32, i64, Vec<u8>)> =
                    updates.iter().map(|(id, json)| (*id, 5, json.clone())).collect();
                block_on(store.queue_updates(&updates, Utc::now())).unwrap()
            };
            let commit = |id, messages: &[Outbound]| block_on(store.commit_update(id, messages, Utc::now())).unwrap();
            assert_eq!(queue(&[(7, b"{}".to_vec()), (8, b"{}".to_vec())]), [7, 8]);
            // A second delivery of a queued update is not queued again.
            assert_eq!(queue(&[(7, b"{}".to_vec())]), Vec::<u32>::new());
            let keys = commit(7, &[message("a"), message("b")]).unwrap();
            assert_eq!(keys.len(), 2);
            assert_eq!(commit(7, &[message("c")]), None, "committed once");
            assert_eq!(queue(&[(7, b"{}".to_vec())]), Vec::<u32>::new(), "handled: not queued");
            store.sent(keys[0]).unwrap();
        }
        // What a crash leaves is there after a reopen (every step was flushed).
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.queued_updates().unwrap(), [(8, Some(b"{}".to_vec()))]);
        let outbox = store.outbox().unwrap();
        assert_eq!(outbox.iter().map(|(_, m)| m.html.as_str()).collect::<Vec<_>>(), ["b"]);
        assert!(store.is_handled(7).unwrap());
    }

    #[test]
    fn questions_are_marked_reviewed_by_reference_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let (one, two) = (store.chat_key(1), store.chat_key(2));
        let now = Utc::now();
        store.apply(&one, &[asked("古い", "a/x")], now - chrono::Duration::days(10)).unwrap();
        store.apply(&one, &[asked("新しい", "a/y")], now).unwrap();
        store.apply(&two, &[asked("別の人", "a/z")], now).unwrap();
        let recent = store.records_since(now - chrono::Duration::days(1)).unwrap();
        assert_eq!(recent.len(), 2, "{recent:?}");
        let (reference, _) = recent.iter().find(|(_, r)| r.question.as_deref() == Some("新しい")).unwrap();
        // The reference round-trips through its text form, as a button payload does.
        let parsed: RecordRef = reference.to_string().parse().unwrap();
        assert_eq!(parsed, *reference);
        assert!(!store.is_reviewed(parsed).unwrap());
        assert_eq!(store.mark_reviewed(parsed, now).unwrap(), Review::Marked);
        assert_eq!(store.mark_reviewed(parsed, now).unwrap(), Review::AlreadyMarked);
        assert!(store.is_reviewed(parsed).unwrap());
        assert_eq!(store.mark_reviewed(RecordRef(u64::MAX), now).unwrap(), Review::NotFound);
        // Forgetting the chat removes the mark with the record.
        store.forget(&one).unwrap();
        assert!(!store.is_reviewed(parsed).unwrap());
        assert_eq!(store.mark_reviewed(parsed, now).unwrap(), Review::NotFound);
    }

    #[test]
    fn the_last_summary_date_survives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            assert_eq!(store.last_summary().unwrap(), None);
            store.mark_summary(date).unwrap();
        }
        assert_eq!(Store::open(dir.path()).unwrap().last_summary().unwrap(), Some(date));
    }

    #[test]
    fn a_database_held_elsewhere_is_waited_for_then_called_busy() {
        let dir = tempfile::tempdir().unwrap();
        let held = Store::open(dir.path()).unwrap();
        let started = std::time::Instant::now();
        let err = Store::open(dir.path()).err().unwrap();
        assert!(started.elapsed() >= LOCK_WAIT, "gave up after {:?}", started.elapsed());
        assert!(matches!(err, OpenError::Busy(_)), "{err}");
        assert!(
            err.to_string().starts_with(&format!("{} は別の madoguchi が使っています", dir.path().display())),
            "{err}"
        );
        // Released by another thread while this one waits: the open succeeds.
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            drop(held);
        });
        let reopened = Store::open(dir.path());
        releaser.join().unwrap();
        assert!(reopened.is_ok(), "{:#}", reopened.err().unwrap());
    }

    /// Fills a store with one chat's question, as a bot would have.
    fn used_store(dir: &Path) {
        let store = Store::open(dir).unwrap();
        let chat = store.chat_key(1);
        store.apply(&chat, &[asked("母の介護", "kaigo")], Utc::now()).unwrap();
        store.flush().unwrap();
    }

    #[test]
    fn a_garbled_or_truncated_database_stops_the_start_and_reset_sets_it_aside() {
        for damage in ["truncate", "garble"] {
            let dir = tempfile::tempdir().unwrap();
            used_store(dir.path());
            let file = dir.path().join(DB_DIR).join("db");
            match damage {
                "truncate" => std::fs::OpenOptions::new().write(true).open(&file).unwrap().set_len(0).unwrap(),
                _ => {
                    let len = std::fs::metadata(&file).unwrap().len() as usize;
                    std::fs::write(&file, vec![0x5a; len]).unwrap();
                }
            }
            let err = Store::open(dir.path()).err().unwrap_or_else(|| panic!("{damage}: opened"));
            assert!(matches!(err, OpenError::Damaged { .. }), "{damage}: {err}");
            let text = err.to_string();
            assert!(
                text.contains("壊れていて読めません")
                    && text.contains("--reset-data")
                    && !text.contains("別の madoguchi"),
                "{text}"
            );
            // Nothing was changed by the refusal; the reset keeps the damaged files aside.
            assert!(file.exists());
            let store = Store::open_resetting(dir.path()).unwrap();
            assert!(store.records_of(&store.chat_key(1)).unwrap().is_empty());
            let aside: Vec<String> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|name| name.starts_with("db.damaged-"))
                .collect();
            assert_eq!(aside.len(), 1, "{damage}: {aside:?}");
        }
    }

    #[test]
    fn a_missing_or_foreign_salt_beside_a_database_stops_the_start() {
        let dir = tempfile::tempdir().unwrap();
        used_store(dir.path());
        let salt = std::fs::read(dir.path().join(SALT_FILE)).unwrap();
        std::fs::remove_file(dir.path().join(SALT_FILE)).unwrap();
        let err = Store::open(dir.path()).err().unwrap();
        assert!(matches!(err, OpenError::SaltMissing(_)), "{err}");
        assert!(!dir.path().join(SALT_FILE).exists(), "no new salt is made");
        std::fs::write(dir.path().join(SALT_FILE), [7u8; SALT_LEN]).unwrap();
        let err = Store::open(dir.path()).err().unwrap();
        assert!(matches!(err, OpenError::SaltMismatch(_)), "{err}");
        // The right salt back: everything is there.
        std::fs::write(dir.path().join(SALT_FILE), &salt).unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.records_of(&store.chat_key(1)).unwrap().len(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn the_data_dir_and_its_files_are_for_the_bots_user_only() {
        use std::os::unix::fs::PermissionsExt;
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("data");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        used_store(&dir);
        let _store = Store::open(&dir).unwrap();
        for path in walk(&dir).unwrap() {
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let want = if meta.is_dir() { 0o700 } else { 0o600 };
            assert_eq!(meta.permissions().mode() & 0o777, want, "{}", path.display());
        }
    }

    #[test]
    fn sent_messages_leave_the_outbox_for_good_through_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let message = Outbound { update: 3, chat: 5, html: "a".into(), keyboard: None };
        {
            let store = Store::open(dir.path()).unwrap();
            let keys = block_on(store.commit_update(3, &[message.clone(), message.clone(), message], Utc::now()))
                .unwrap()
                .unwrap();
            store.sending(keys[0]).unwrap();
            store.sent(keys[0]).unwrap();
            // Sent with no answer heard: may have arrived.
            store.sending(keys[1]).unwrap();
            assert_eq!(std::fs::metadata(dir.path().join(SENT_FILE)).unwrap().len(), 27);
        }
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.outbox().unwrap().len(), 2);
        assert_eq!(store.uncertain_at_open(), 1);
        // Applied at open: only the send with no answer heard is still journaled.
        assert_eq!(std::fs::metadata(dir.path().join(SENT_FILE)).unwrap().len(), 9);
    }

    /// Every file under `dir` that holds `needle` (as `grep -r` would find it).
    fn files_holding(dir: &Path, needle: &str) -> Vec<PathBuf> {
        walk(dir)
            .unwrap()
            .into_iter()
            .filter(|p| p.is_file())
            .filter(|p| std::fs::read(p).unwrap().windows(needle.len()).any(|w| w == needle.as_bytes()))
            .collect()
    }

    #[test]
    fn no_resident_text_is_in_the_clear_in_any_file_and_forget_destroys_its_keys() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let (gone, kept) = (store.chat_key(1), store.chat_key(2));
        store.apply(&gone, &[asked("母が090-4444-5555で", "kaigo")], Utc::now()).unwrap();
        store.apply(&kept, &[asked("父の見守り", "mimamori")], Utc::now()).unwrap();
        store.save_state(&gone, &ChatState { area: Some("西東京市".into()), ..Default::default() }).unwrap();
        block_on(store.queue_updates(&[(9, 1, "{\"text\":\"受診の付き添い\"}".as_bytes().to_vec())], Utc::now()))
            .unwrap();
        let outbound = Outbound { update: 9, chat: 1, html: "付き添いのご案内".into(), keyboard: None };
        block_on(store.commit_update(10, &[outbound], Utc::now())).unwrap();
        store.flush().unwrap();
        // Neither the words nor what is kept beside them (the area chosen, the entry answered).
        for text in ["090-4444-5555", "受診の付き添い", "付き添いのご案内", "父の見守り", "西東京市", "mimamori"]
        {
            assert_eq!(files_holding(dir.path(), text), Vec::<PathBuf>::new(), "{text}");
        }
        assert_eq!(store.records_of(&gone).unwrap()[0].question.as_deref(), Some("母が090-4444-5555で"));
        store.forget(&gone).unwrap();
        assert!(store.records_of(&gone).unwrap().is_empty());
        // What sled still keeps of chat 1 in its log can no longer be opened.
        assert_eq!(store.queued_updates().unwrap(), [(9, None)]);
        assert!(store.outbox().unwrap().is_empty());
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.records_of(&kept).unwrap()[0].question.as_deref(), Some("父の見守り"));
        assert!(store.records_of(&gone).unwrap().is_empty());
    }

    #[test]
    fn a_database_from_before_the_keys_is_sealed_at_its_first_open() {
        let dir = tempfile::tempdir().unwrap();
        let (record_key, chat_key) = {
            let store = Store::open(dir.path()).unwrap();
            let chat = store.chat_key(1);
            // As the previous version wrote them: JSON in the clear.
            let record = Record {
                time: Utc::now(),
                kind: "answer".into(),
                entry: Some("kaigo".into()),
                score: Some(0.5),
                area: None,
                question: Some("母の介護".into()),
                helpful: None,
            };
            let mut key = chat.as_bytes().to_vec();
            key.extend_from_slice(&[0; 16]);
            store.records.insert(&key, serde_json::to_vec(&record).unwrap()).unwrap();
            store.chats.insert(chat.as_bytes(), r#"{"area":"大垣市","alternatives":[]}"#.as_bytes()).unwrap();
            store.flush().unwrap();
            (key, chat)
        };
        let store = Store::open(dir.path()).unwrap();
        assert_ne!(store.records.get(&record_key).unwrap().unwrap().first(), Some(&b'{'));
        assert_ne!(store.chats.get(chat_key.as_bytes()).unwrap().unwrap().first(), Some(&b'{'));
        assert_eq!(store.records_of(&chat_key).unwrap()[0].question.as_deref(), Some("母の介護"));
        assert_eq!(store.state(&chat_key).unwrap().area.as_deref(), Some("大垣市"));
    }

    #[test]
    fn a_sealed_value_is_never_taken_for_json_in_the_clear() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let chat = store.chat_key(1);
        // Each sealing draws a new nonce; 2,000 of them cover every first byte many times.
        for n in 0..2000 {
            let state = ChatState { area: Some(format!("区{n}")), ..Default::default() };
            store.save_state(&chat, &state).unwrap();
            assert_eq!(store.state(&chat).unwrap(), state);
        }
    }

    #[test]
    fn retention_destroys_the_keys_of_the_days_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let chat = store.chat_key(1);
        let then = Utc::now() - chrono::Duration::days(100);
        store.apply(&chat, &[asked("昔の質問", "kaigo")], then).unwrap();
        store.apply(&chat, &[asked("今の質問", "kaigo")], Utc::now()).unwrap();
        assert_eq!(store.purge_old_text(90, Utc::now()).unwrap(), 1);
        assert_eq!(store.keys.len(), 2, "the old day's key is gone (today's and the chat's lifetime key stay)");
        let questions: Vec<Option<String>> = store.records_of(&chat).unwrap().into_iter().map(|r| r.question).collect();
        assert_eq!(questions, [None, Some("今の質問".to_string())]);
    }

    #[test]
    fn a_data_dir_removed_while_open_is_noticed() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("data");
        let store = Store::open(&dir).unwrap();
        assert!(store.still_on_disk());
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(!store.still_on_disk());
    }

    #[test]
    fn a_wrong_salt_file_is_an_error_not_a_new_salt() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SALT_FILE), b"short").unwrap();
        let err = Store::open(dir.path()).err().unwrap();
        assert!(format!("{err:#}").contains("5 bytes"), "{err:#}");
    }
}
