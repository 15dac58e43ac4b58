//! The bot's runtime state in sled, under the data directory.
//!
//! ```text
//! <data dir>/
//!   salt        32 random bytes made on first run (mode 0600); chat ids are stored only as
//!               HMAC-SHA256(salt, chat id), so the database alone does not say who asked
//!   db/         sled: chats, records, handled updates
//! ```
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
//!   posted to the staff chat, so a restart neither repeats nor skips it.
//!
//! A record's key ends with a sequence number unique in the database ([`RecordRef`]): staff
//! buttons and the CLI name a question by it, without the chat key.
//!
//! `/forget` ([`Store::forget`]) removes the chat's state, every record of it and their marks.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use ring::hmac;
use serde::{Deserialize, Serialize};
use sled::Transactional;

use crate::dialog::{ChatState, Event};
use crate::engine::Kind;

const SALT_FILE: &str = "salt";
const DB_DIR: &str = "db";
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
    #[error("the bot's database: {0}")]
    Db(#[from] sled::Error),
    #[error("a stored value cannot be read: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Transaction(String),
}

/// The keyed hash of a chat id: what the database knows a chat by.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChatKey([u8; 32]);

impl ChatKey {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
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

pub struct Store {
    db: sled::Db,
    chats: sled::Tree,
    records: sled::Tree,
    handled: sled::Tree,
    reviewed: sled::Tree,
    meta: sled::Tree,
    inbox: sled::Tree,
    outbox: sled::Tree,
    key: hmac::Key,
    dir: PathBuf,
}

/// Whether sled refused to open because another handle still holds the database's file lock.
/// sled reports this as an `Other` I/O error whose text names the lock (the `WouldBlock` from
/// flock is only in the message), so the text is what can be matched.
fn is_lock_held(error: &sled::Error) -> bool {
    matches!(error, sled::Error::Io(e) if e.to_string().contains("could not acquire lock"))
}

impl Store {
    /// Opens (or creates) the store in `dir`, making the secret salt on first run.
    pub fn open(dir: &Path) -> anyhow::Result<Store> {
        create_private_dir(dir)?;
        let salt = read_or_make_salt(&dir.join(SALT_FILE))?;
        // sled gives up its file lock a moment after the last handle is dropped, once its
        // background threads have let go of the file: a process that is just stopping (a bot
        // restarting) or a handle dropped a moment ago may still hold it, so wait a little
        // before calling the database busy.
        let deadline = std::time::Instant::now() + LOCK_WAIT;
        let db = loop {
            match sled::Config::new().path(dir.join(DB_DIR)).flush_every_ms(Some(500)).open() {
                Err(e) if is_lock_held(&e) && std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                other => break other,
            }
        }
        .with_context(|| format!("cannot open the database in {} (is another madoguchi running?)", dir.display()))?;
        Ok(Store {
            chats: db.open_tree("chats")?,
            records: db.open_tree("records")?,
            handled: db.open_tree("handled")?,
            reviewed: db.open_tree("reviewed")?,
            meta: db.open_tree("meta")?,
            inbox: db.open_tree("inbox")?,
            outbox: db.open_tree("outbox")?,
            db,
            key: hmac::Key::new(hmac::HMAC_SHA256, &salt),
            dir: dir.to_path_buf(),
        })
    }

    /// Whether a bot has ever kept its database in `dir` (staff reports must not create one
    /// in a mistyped folder).
    pub fn exists(dir: &Path) -> bool {
        dir.join(DB_DIR).is_dir()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The keyed hash of a chat id.
    pub fn chat_key(&self, chat_id: i64) -> ChatKey {
        let tag = hmac::sign(&self.key, format!("chat:{chat_id}").as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        ChatKey(out)
    }

    pub fn state(&self, chat: &ChatKey) -> Result<ChatState, StoreError> {
        match self.chats.get(chat.as_bytes())? {
            Some(bytes) => Ok(serde_json::from_slice(&bytes)?),
            None => Ok(ChatState::default()),
        }
    }

    pub fn save_state(&self, chat: &ChatKey, state: &ChatState) -> Result<(), StoreError> {
        if *state == ChatState::default() {
            self.chats.remove(chat.as_bytes())?;
        } else {
            self.chats.insert(chat.as_bytes(), serde_json::to_vec(state)?)?;
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
        self.records.insert(key, serde_json::to_vec(record)?)?;
        Ok(())
    }

    /// Attaches feedback to the chat's latest question answered with this entry, or records it
    /// on its own (a card reached through the menu or the candidates).
    fn feedback(&self, chat: &ChatKey, entry: &str, helpful: bool, now: DateTime<Utc>) -> Result<(), StoreError> {
        for item in self.records.scan_prefix(chat.as_bytes()).rev() {
            let (key, value) = item?;
            let mut record: Record = serde_json::from_slice(&value)?;
            if record.kind != "feedback" && record.entry.as_deref() == Some(entry) {
                record.helpful = Some(helpful);
                self.records.insert(key, serde_json::to_vec(&record)?)?;
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

    /// Erases everything stored about a chat.
    pub fn forget(&self, chat: &ChatKey) -> Result<(), StoreError> {
        self.chats.remove(chat.as_bytes())?;
        let keys: Vec<sled::IVec> =
            self.records.scan_prefix(chat.as_bytes()).keys().collect::<Result<_, _>>()?;
        for key in keys {
            if let Some(reference) = RecordRef::of_key(&key) {
                self.reviewed.remove(reference.0.to_be_bytes())?;
            }
            self.records.remove(key)?;
        }
        Ok(())
    }

    /// The records of one chat, oldest first.
    pub fn records_of(&self, chat: &ChatKey) -> Result<Vec<Record>, StoreError> {
        self.records.scan_prefix(chat.as_bytes()).values().map(|v| Ok(serde_json::from_slice(&v?)?)).collect()
    }

    /// Every record, for staff reports.
    pub fn all_records(&self) -> Result<Vec<Record>, StoreError> {
        self.records.iter().values().map(|v| Ok(serde_json::from_slice(&v?)?)).collect()
    }

    /// The records from `since` on, each with its reference, in no particular order. (Records
    /// are keyed by chat first, so a time window is a full scan; staff ask rarely.)
    pub fn records_since(&self, since: DateTime<Utc>) -> Result<Vec<(RecordRef, Record)>, StoreError> {
        let mut out = Vec::new();
        for item in self.records.iter() {
            let (key, value) = item?;
            let record: Record = serde_json::from_slice(&value)?;
            if record.time >= since {
                if let Some(reference) = RecordRef::of_key(&key) {
                    out.push((reference, record));
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
            let mut record: Record = serde_json::from_slice(&value)?;
            if record.question.is_some() && record.time < cutoff {
                record.question = None;
                self.records.insert(key, serde_json::to_vec(&record)?)?;
                purged += 1;
            }
        }
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
        let previous = self
            .handled
            .compare_and_swap(update_id.to_be_bytes(), None as Option<&[u8]>, Some(&time[..]))?;
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
    pub fn queue_updates(&self, updates: &[(u32, Vec<u8>)]) -> Result<Vec<u32>, StoreError> {
        let mut queued = Vec::with_capacity(updates.len());
        for (id, json) in updates {
            let key = id.to_be_bytes();
            if self.handled.contains_key(key)? || self.inbox.contains_key(key)? {
                continue;
            }
            self.inbox.insert(key, json.as_slice())?;
            queued.push(*id);
        }
        if !queued.is_empty() {
            self.db.flush()?;
        }
        Ok(queued)
    }

    /// The updates fetched but not answered (a crash, or a stop before their turn), oldest first.
    pub fn queued_updates(&self) -> Result<Vec<(u32, Vec<u8>)>, StoreError> {
        self.inbox
            .iter()
            .map(|item| {
                let (key, value) = item?;
                Ok((u32::from_be_bytes(key.as_ref().try_into().unwrap_or([0; 4])), value.to_vec()))
            })
            .collect()
    }

    /// The end of an update's handling, on disk before anything is sent: marks it handled, takes
    /// it out of the inbox and puts its messages in the outbox, in one transaction. Returns the
    /// outbox keys in order, or `None` when the update was handled already (nothing queued).
    pub fn commit_update(&self, update_id: u32, messages: &[Outbound], now: DateTime<Utc>) -> Result<Option<Vec<u64>>, StoreError> {
        use sled::transaction::{ConflictableTransactionError, TransactionError};
        let values: Vec<Vec<u8>> = messages.iter().map(serde_json::to_vec).collect::<Result<_, _>>()?;
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
        self.db.flush()?;
        Ok(keys)
    }

    /// A message of the outbox, by key.
    pub fn outbound(&self, key: u64) -> Result<Option<Outbound>, StoreError> {
        Ok(self.outbox.get(key.to_be_bytes())?.map(|v| serde_json::from_slice(&v)).transpose()?)
    }

    /// Every message decided but not yet accepted by Telegram, in the order decided.
    pub fn outbox(&self) -> Result<Vec<(u64, Outbound)>, StoreError> {
        self.outbox
            .iter()
            .map(|item| {
                let (key, value) = item?;
                Ok((u64::from_be_bytes(key.as_ref().try_into().unwrap_or([0; 8])), serde_json::from_slice(&value)?))
            })
            .collect()
    }

    /// Telegram accepted (or for good refused) an outbox message: removed. Not flushed here:
    /// sled writes it within its flush interval (500 ms), and the next commit's flush takes it
    /// along. A kill -9 in that window sends those messages once more at the next start; an
    /// fsync per message would halve the rate a burst is answered at to close a gap that stays
    /// open anyway (between Telegram's acceptance and any write).
    pub fn sent(&self, key: u64) -> Result<(), StoreError> {
        self.outbox.remove(key.to_be_bytes())?;
        Ok(())
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

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).with_context(|| format!("cannot create the data directory {}", dir.display()))
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
    fn the_database_never_holds_the_chat_id() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let chat = store.chat_key(987_654_321);
        store.save_state(&chat, &ChatState { area: Some("大垣市".into()), alternatives: vec![] }).unwrap();
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
            store.save_state(chat, &ChatState { area: Some("西東京市".into()), alternatives: vec![] }).unwrap();
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
            assert_eq!(store.queue_updates(&[(7, b"{}".to_vec()), (8, b"{}".to_vec())]).unwrap(), [7, 8]);
            // A second delivery of a queued update is not queued again.
            assert_eq!(store.queue_updates(&[(7, b"{}".to_vec())]).unwrap(), Vec::<u32>::new());
            let keys = store.commit_update(7, &[message("a"), message("b")], Utc::now()).unwrap().unwrap();
            assert_eq!(keys.len(), 2);
            assert_eq!(store.commit_update(7, &[message("c")], Utc::now()).unwrap(), None, "committed once");
            assert_eq!(store.queue_updates(&[(7, b"{}".to_vec())]).unwrap(), Vec::<u32>::new(), "handled: not queued");
            store.sent(keys[0]).unwrap();
        }
        // What a crash leaves is there after a reopen (every step was flushed).
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.queued_updates().unwrap().iter().map(|(id, _)| *id).collect::<Vec<_>>(), [8]);
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
        assert!(format!("{err:#}").contains("is another madoguchi running?"), "{err:#}");
        // Released by another thread while this one waits: the open succeeds.
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            drop(held);
        });
        let reopened = Store::open(dir.path());
        releaser.join().unwrap();
        assert!(reopened.is_ok(), "{:#}", reopened.err().unwrap());
    }

    #[test]
    fn a_wrong_salt_file_is_an_error_not_a_new_salt() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SALT_FILE), b"short").unwrap();
        let err = Store::open(dir.path()).err().unwrap();
        assert!(format!("{err:#}").contains("5 bytes"), "{err:#}");
    }
}
