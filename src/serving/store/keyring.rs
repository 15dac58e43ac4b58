//! The keys that make erasure real: every text of a resident that reaches the database (the
//! question of a record, an update waiting in the inbox, a message waiting in the outbox) is
//! sealed with AES-256-GCM under a key of its chat and its day, and the keys live here, outside
//! sled. sled never overwrites in place (old values stay in its log until it compacts, which it
//! may never do), so deleting a value there erases nothing; destroying its key does.
//!
//! ```text
//! <data dir>/keys/2026-12-03   64-byte slots: HMAC chat key (32) ++ data key (32)
//! <data dir>/keys/chats        the same, one key per chat for as long as the chat is kept
//! ```
//!
//! - Texts (questions, updates, replies) are sealed under the day's key, so retention can
//!   destroy them by day; what is kept about a chat beyond the retention (its area, its
//!   records' outcomes) under its [`LIFETIME`] key, which only `/forget` destroys.
//! - A key is made the first time a chat writes on a day: one slot appended and synced.
//! - `/forget` overwrites the chat's slots with zeros in place and syncs ([`KeyRing::erase`]):
//!   no new file, so it works on a full disk too, and the bytes are gone from the file.
//! - Retention removes whole day files ([`KeyRing::drop_before`]).
//! - Files are opened for each change, never kept open: a file that cannot be written is an
//!   error for that change, reported to the caller (a `/forget` then says it failed).

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::NaiveDate;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

use super::ChatKey;

const SLOT: usize = 64;
pub(super) const KEYS_DIR: &str = "keys";
/// The "day" of a chat's lifetime key (kept in the file `chats`, never dropped by retention).
pub const LIFETIME: NaiveDate = NaiveDate::MIN;
const LIFETIME_FILE: &str = "chats";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the key file {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the system's random source failed")]
    Random,
}

/// Where a chat's key for a day is kept: the day file and the slot's offset in it.
struct Slot {
    offset: u64,
    key: [u8; 32],
}

pub struct KeyRing {
    dir: PathBuf,
    keys: Mutex<HashMap<(NaiveDate, [u8; 32]), Slot>>,
    random: SystemRandom,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io { path: path.to_path_buf(), source }
}

impl KeyRing {
    /// Reads every day file in `<data dir>/keys/` (made 0700 if missing). Files whose names are
    /// not dates are left alone.
    pub fn open(data_dir: &Path) -> Result<KeyRing, KeyError> {
        let dir = data_dir.join(KEYS_DIR);
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&dir).map_err(io(&dir))?;
        let mut keys = HashMap::new();
        for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
            let path = entry.map_err(io(&dir))?.path();
            let Some(date) = day_of(&path) else { continue };
            let mut bytes = Vec::new();
            std::fs::File::open(&path).and_then(|mut f| f.read_to_end(&mut bytes)).map_err(io(&path))?;
            // A slot cut off by a crash while it was appended has no record sealed with it.
            for (n, slot) in bytes.chunks_exact(SLOT).enumerate() {
                if slot.iter().all(|b| *b == 0) {
                    continue; // erased
                }
                let chat: [u8; 32] = slot[..32].try_into().unwrap_or_default();
                let key: [u8; 32] = slot[32..].try_into().unwrap_or_default();
                keys.insert((date, chat), Slot { offset: (n * SLOT) as u64, key });
            }
        }
        Ok(KeyRing { dir, keys: Mutex::new(keys), random: SystemRandom::new() })
    }

    fn file(&self, date: NaiveDate) -> PathBuf {
        if date == LIFETIME {
            return self.dir.join(LIFETIME_FILE);
        }
        self.dir.join(date.format("%Y-%m-%d").to_string())
    }

    /// Seals `plain` for a chat on a day, making the day's key for the chat if it has none.
    pub fn seal(&self, chat: &ChatKey, date: NaiveDate, plain: &[u8]) -> Result<Vec<u8>, KeyError> {
        let key = self.key(chat, date, true)?.ok_or(KeyError::Random)?;
        let mut nonce = [0u8; NONCE_LEN];
        self.random.fill(&mut nonce).map_err(|_| KeyError::Random)?;
        let sealing = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &key).map_err(|_| KeyError::Random)?);
        let mut sealed = plain.to_vec();
        sealing
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(chat.as_bytes()), &mut sealed)
            .map_err(|_| KeyError::Random)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens what [`KeyRing::seal`] sealed; `None` once the key is destroyed (forgotten, or
    /// past the retention) or the bytes are not a sealing of this chat's.
    pub fn open_sealed(&self, chat: &ChatKey, date: NaiveDate, sealed: &[u8]) -> Option<Vec<u8>> {
        let key = self.key(chat, date, false).ok().flatten()?;
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let opening = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &key).ok()?);
        let mut body = body.to_vec();
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let plain = opening.open_in_place(nonce, Aad::from(chat.as_bytes()), &mut body).ok()?;
        Some(plain.to_vec())
    }

    fn key(&self, chat: &ChatKey, date: NaiveDate, make: bool) -> Result<Option<[u8; 32]>, KeyError> {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        let id = (date, *chat.bytes());
        if let Some(slot) = keys.get(&id) {
            return Ok(Some(slot.key));
        }
        if !make {
            return Ok(None);
        }
        let mut key = [0u8; 32];
        self.random.fill(&mut key).map_err(|_| KeyError::Random)?;
        let path = self.file(date);
        let mut options = std::fs::OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&path).map_err(io(&path))?;
        let mut length = file.seek(SeekFrom::End(0)).map_err(io(&path))?;
        if length % SLOT as u64 != 0 {
            // A slot cut off by a crash or a full disk: cut it away (padding it would make its
            // remains a key), so the new slot starts on a boundary.
            length -= length % SLOT as u64;
            file.set_len(length).and_then(|()| file.sync_data()).map_err(io(&path))?;
        }
        let offset = length;
        let mut slot = Vec::with_capacity(SLOT);
        slot.extend_from_slice(chat.as_bytes());
        slot.extend_from_slice(&key);
        // Synced before anything is sealed with it: a key lost in a crash would make the
        // record sealed with it unreadable.
        file.write_all(&slot).and_then(|()| file.sync_data()).map_err(io(&path))?;
        if length == 0 {
            sync_dir(&self.dir).map_err(io(&self.dir))?;
        }
        keys.insert(id, Slot { offset, key });
        Ok(Some(key))
    }

    /// Destroys every key of a chat: each slot overwritten with zeros where it is, and synced.
    /// On an error the keys not yet destroyed stay usable, so a retry finishes the job.
    pub fn erase(&self, chat: &ChatKey) -> Result<(), KeyError> {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        let mine: Vec<(NaiveDate, u64)> =
            keys.iter().filter(|((_, c), _)| c == chat.bytes()).map(|((date, _), slot)| (*date, slot.offset)).collect();
        for (date, offset) in mine {
            let path = self.file(date);
            let mut file = match std::fs::OpenOptions::new().write(true).open(&path) {
                Ok(file) => file,
                // The day's file is gone (retention): its keys with it.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    keys.remove(&(date, *chat.bytes()));
                    continue;
                }
                Err(e) => return Err(io(&path)(e)),
            };
            file.seek(SeekFrom::Start(offset))
                .and_then(|_| file.write_all(&[0u8; SLOT]))
                .and_then(|()| file.sync_data())
                .map_err(io(&path))?;
            keys.remove(&(date, *chat.bytes()));
        }
        Ok(())
    }

    /// Removes the day files before `cutoff`: every text sealed on those days becomes unreadable.
    /// Returns how many files were removed.
    pub fn drop_before(&self, cutoff: NaiveDate) -> Result<usize, KeyError> {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        let mut removed = 0;
        for entry in std::fs::read_dir(&self.dir).map_err(io(&self.dir))? {
            let path = entry.map_err(io(&self.dir))?.path();
            if let Some(date) = day_of(&path).filter(|date| *date < cutoff && *date != LIFETIME) {
                std::fs::remove_file(&path).map_err(io(&path))?;
                keys.retain(|(day, _), _| *day != date);
                removed += 1;
            }
        }
        if removed > 0 {
            sync_dir(&self.dir).map_err(io(&self.dir))?;
        }
        Ok(removed)
    }

    /// How many keys exist.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.keys.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// The date a day file is named by ([`LIFETIME`] for the file of lifetime keys).
fn day_of(path: &Path) -> Option<NaiveDate> {
    let name = path.file_name()?.to_str()?;
    if name == LIFETIME_FILE {
        return Some(LIFETIME);
    }
    NaiveDate::parse_from_str(name, "%Y-%m-%d").ok()
}

/// Makes a new or removed name in `dir` survive a power loss.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chat(n: u8) -> ChatKey {
        ChatKey([n; 32])
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    #[test]
    fn sealed_text_opens_with_its_key_until_the_key_is_erased() {
        let dir = tempfile::tempdir().unwrap();
        let ring = KeyRing::open(dir.path()).unwrap();
        let sealed = ring.seal(&chat(1), day(3), "母の介護 090-1234-5678".as_bytes()).unwrap();
        assert!(!sealed.windows(6).any(|w| w == "介護".as_bytes()), "not in the clear");
        assert_eq!(ring.open_sealed(&chat(1), day(3), &sealed).unwrap(), "母の介護 090-1234-5678".as_bytes());
        // Another chat's key, or another day's, does not open it.
        ring.seal(&chat(2), day(3), b"x").unwrap();
        assert!(ring.open_sealed(&chat(2), day(3), &sealed).is_none());
        assert!(ring.open_sealed(&chat(1), day(4), &sealed).is_none());
        // Kept across a reopen; erased for good, also in the file.
        let ring = KeyRing::open(dir.path()).unwrap();
        assert!(ring.open_sealed(&chat(1), day(3), &sealed).is_some());
        let file = std::fs::read(dir.path().join(KEYS_DIR).join("2026-12-03")).unwrap();
        assert!(file.windows(32).any(|w| w == [1u8; 32]));
        ring.erase(&chat(1)).unwrap();
        assert!(ring.open_sealed(&chat(1), day(3), &sealed).is_none());
        let file = std::fs::read(dir.path().join(KEYS_DIR).join("2026-12-03")).unwrap();
        assert!(!file.windows(32).any(|w| w == [1u8; 32]), "the slot is zeros");
        let ring = KeyRing::open(dir.path()).unwrap();
        assert!(ring.open_sealed(&chat(1), day(3), &sealed).is_none());
        assert_eq!(ring.len(), 1, "the other chat's key stays");
    }

    #[test]
    fn a_slot_cut_off_by_a_crash_never_becomes_a_key() {
        let dir = tempfile::tempdir().unwrap();
        let ring = KeyRing::open(dir.path()).unwrap();
        ring.seal(&chat(1), day(3), b"a").unwrap();
        let file = dir.path().join(KEYS_DIR).join("2026-12-03");
        // The next slot torn after the chat hash and a few key bytes.
        let mut torn = std::fs::read(&file).unwrap();
        torn.extend_from_slice(&[2u8; 32]);
        torn.extend_from_slice(&[9u8; 5]);
        std::fs::write(&file, &torn).unwrap();
        let ring = KeyRing::open(dir.path()).unwrap();
        assert_eq!(ring.len(), 1, "the torn slot is no key");
        ring.seal(&chat(3), day(3), b"b").unwrap();
        let ring = KeyRing::open(dir.path()).unwrap();
        assert_eq!(ring.len(), 2);
        assert_eq!(std::fs::metadata(&file).unwrap().len(), 128);
        assert!(ring.key(&chat(2), day(3), false).unwrap().is_none());
    }

    #[test]
    fn days_before_the_retention_lose_their_keys() {
        let dir = tempfile::tempdir().unwrap();
        let ring = KeyRing::open(dir.path()).unwrap();
        let old = ring.seal(&chat(1), day(1), b"old").unwrap();
        let new = ring.seal(&chat(1), day(3), b"new").unwrap();
        let kept = ring.seal(&chat(1), LIFETIME, b"area").unwrap();
        assert_eq!(ring.drop_before(day(2)).unwrap(), 1);
        assert!(ring.open_sealed(&chat(1), LIFETIME, &kept).is_some(), "a lifetime key outlives the retention");
        assert!(ring.open_sealed(&chat(1), day(1), &old).is_none());
        assert!(ring.open_sealed(&chat(1), day(3), &new).is_some());
        assert!(!dir.path().join(KEYS_DIR).join("2026-12-01").exists());
    }
}
