//! The built search index on disk, so a start does not analyse every entry again.
//!
//! ```text
//! <cache dir>/search/
//!   <key>/           one built index (tantivy files), never changed once renamed into place
//!   .build-…         an index being built; renamed to <key> when complete
//! ```
//!
//! The key is a SHA-256 of everything the index depends on: the text of every entry field, the
//! wording rules, and the identity of this program's build (path, size and modification time
//! of the executable), so a new build with a changed analyzer never reads an index made by an
//! old one. A folder appears under its key only by a rename once complete
//! ([`crate::cache_folder`]), so a crash leaves at most a `.build-*` folder, and two processes
//! starting together each build and one rename wins. Indexes not used for a day are removed when a new one is made.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use tantivy::Index;

use crate::cache_folder;

/// Bumped when the index's schema or what goes into it changes.
const FORMAT: &str = "madoguchi-search-v1";
const SUBDIR: &str = "search";
/// Folders unused for this long are removed (another process may still be starting on a
/// slightly older one).
const KEEP_UNUSED: Duration = Duration::from_secs(24 * 3600);

/// The cache key for these entries (each: its field texts and municipality) and rules.
pub fn key<'a>(entries: impl Iterator<Item = ([String; 4], &'a str)>, rules_key: &str) -> anyhow::Result<String> {
    let mut digest = ring::digest::Context::new(&ring::digest::SHA256);
    let mut put = |text: &str| {
        digest.update(&(text.len() as u64).to_le_bytes());
        digest.update(text.as_bytes());
    };
    put(FORMAT);
    put(&build_identity()?);
    put(rules_key);
    for (fields, municipality) in entries {
        for field in &fields {
            put(field);
        }
        put(municipality);
    }
    let hash = digest.finish();
    Ok(hash.as_ref()[..16].iter().map(|b| format!("{b:02x}")).collect())
}

/// Which build of the program this is: an index is only reused by the build that made it.
fn build_identity() -> anyhow::Result<String> {
    let exe = std::env::current_exe().context("finding this program's file")?;
    let meta = std::fs::metadata(&exe).with_context(|| format!("reading {}", exe.display()))?;
    let modified = meta.modified()?.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    Ok(format!("{}|{}|{}|{}", env!("CARGO_PKG_VERSION"), exe.display(), meta.len(), modified.as_nanos()))
}

/// Opens the index stored under `key`, or builds it with `build` (given an empty folder) and
/// stores it first.
pub fn open_or_create(
    cache_dir: &Path,
    key: &anyhow::Result<String>,
    build: impl FnOnce(&Path) -> tantivy::Result<()>,
) -> anyhow::Result<Index> {
    let key = key.as_ref().map_err(|e| anyhow::anyhow!("{e:#}"))?;
    let root = cache_dir.join(SUBDIR);
    let target = root.join(key);
    if target.is_dir() {
        match Index::open_in_dir(&target) {
            Ok(index) => {
                touch(&target);
                return Ok(index);
            }
            // Damaged from outside (a file deleted by hand, a full disk while copying the
            // cache): remove it and build it again rather than fail every start from now on.
            Err(e) => {
                tracing::warn!("the cached search index {} is damaged ({e}); building it again", target.display());
                std::fs::remove_dir_all(&target).with_context(|| format!("removing {}", target.display()))?;
            }
        }
    }
    std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
    // Another process that finished the same index first put theirs there: it is used.
    cache_folder::build_in_place(&target, build, Path::is_dir)
        .with_context(|| format!("building the search index {}", target.display()))?;
    prune(&root, &target);
    Index::open_in_dir(&target).with_context(|| format!("opening {}", target.display()))
}

/// Marks a folder as used now, so pruning keeps it.
fn touch(dir: &Path) {
    let marker = dir.join(".used");
    if let Ok(mut file) = std::fs::File::create(marker) {
        let _ = file.write_all(b"");
    }
}

/// Removes indexes (and abandoned builds) not used for [`KEEP_UNUSED`]. Best effort: a folder
/// in use by a running bot stays readable until it closes it.
fn prune(root: &Path, keep: &Path) {
    let Ok(listing) = std::fs::read_dir(root) else { return };
    for item in listing.flatten() {
        let path = item.path();
        if path == keep || !path.is_dir() {
            continue;
        }
        let last_used =
            std::fs::metadata(path.join(".used")).or_else(|_| std::fs::metadata(&path)).and_then(|m| m.modified()).ok();
        let old = last_used.and_then(|t| SystemTime::now().duration_since(t).ok()).is_some_and(|age| age > KEEP_UNUSED);
        if old {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}
