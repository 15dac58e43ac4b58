//! The file-system trigger of a reload: it knows nothing of engines, it only says "these staff
//! files changed" once an editor's burst of writes has settled ([`crate::serving::live`] then
//! reloads). inotify watches a folder, not its name, so [`watch`] also watches each folder's
//! parent: a folder replaced as a whole (a deploy renaming a new one into place or switching a
//! symlink, a folder removed and made again) is reported and watched anew, instead of the old
//! one being watched on in silence.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context;
use notify::{EventKind, RecursiveMode, Watcher};

/// How long the staff files must be quiet before a change counts: an editor's save is often
/// several writes (temp file, rename, attributes) within a few milliseconds.
pub const QUIET: Duration = Duration::from_millis(400);
/// A change is reported at the latest this long after it began, even if writes go on (a long
/// copy of many files), so the bot never waits indefinitely.
const MAX_DELAY: Duration = Duration::from_secs(2);

/// Watches folders (recursively) while it lives; dropping it stops the watching.
pub struct Watch {
    /// The reporting thread watches a replaced folder again through a weak reference, so that
    /// dropping the `Watch` still drops the watcher (and with it the thread's channel).
    _watcher: Arc<Mutex<notify::RecommendedWatcher>>,
}

/// Calls `on_change` with the staff files that changed, once per burst of changes: after
/// [`QUIET`] without a further change (or `MAX_DELAY` after the first). Editors' temporary
/// and swap files are not staff files and do not count; neither does reading a file (the reload
/// itself reads every file). `on_change` runs on a thread of its own.
///
/// A watched folder replaced as a whole (renamed over, removed and made again, a symlink to it
/// switched) is reported as its own path, and its new contents are watched from then on: inotify
/// watches the folder it found at the start, not the name, so each folder's parent is watched
/// too (not recursively) for events about the folder's name.
pub fn watch(dirs: &[PathBuf], mut on_change: impl FnMut(Vec<PathBuf>) + Send + 'static) -> anyhow::Result<Watch> {
    // notify reports absolute paths (a relative one joined to the current folder): compare alike.
    // Symlinks are not resolved: the parent's events name the link, and watching the link's path
    // watches wherever it points at the time.
    let dirs = dirs
        .iter()
        .map(|dir| std::path::absolute(dir).with_context(|| format!("watching {}", dir.display())))
        .collect::<anyhow::Result<Vec<PathBuf>>>()?;
    let (events, changes) = mpsc::channel::<PathBuf>();
    let watched = dirs.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| match event {
        Ok(event) if changes_content(&event.kind) => {
            for path in event.paths.into_iter().filter(|p| concerns(&watched, p)) {
                let _ = events.send(path);
            }
        }
        Ok(_) => {}
        Err(e) => tracing::warn!("watching the staff files: {e}"),
    })
    .context("starting the file watcher")?;
    for dir in &dirs {
        watcher.watch(dir, RecursiveMode::Recursive).with_context(|| format!("watching {}", dir.display()))?;
    }
    // Not fatal: without its parent's watch a folder's saves are still seen, only not its replacement.
    for parent in parents(&dirs) {
        if let Err(e) = watcher.watch(&parent, RecursiveMode::NonRecursive) {
            let parent = parent.display();
            tracing::warn!(
                "not watching {parent} ({e}): a staff folder replaced as a whole goes unseen until a restart"
            );
        }
    }
    let watcher = Arc::new(Mutex::new(watcher));
    let rewatching = Arc::downgrade(&watcher);
    // Watching a replaced folder again before its report: the reload that follows reads the new
    // folder, so a save there before the new watch began is read too, and one after it is seen.
    let report = move |paths: Vec<PathBuf>| {
        for dir in dirs.iter().filter(|dir| paths.contains(dir)) {
            if let Some(watcher) = rewatching.upgrade() {
                rewatch(&mut watcher.lock().unwrap_or_else(PoisonError::into_inner), dir);
            }
        }
        on_change(paths);
    };
    // The thread ends when the watcher (holding the sender) is dropped.
    std::thread::Builder::new()
        .name("staff-file-watch".into())
        .spawn(move || debounce(&changes, QUIET, MAX_DELAY, report))
        .context("starting the file watcher's thread")?;
    Ok(Watch { _watcher: watcher })
}

/// Whether an event's path matters: a watched folder itself (replaced, removed) or a staff file
/// in one. Anything else comes from the parents' watches: `config.toml`, `target/`…
fn concerns(dirs: &[PathBuf], path: &Path) -> bool {
    dirs.iter().any(|dir| path == dir || (path.starts_with(dir) && is_staff_file(path)))
}

/// The folders holding the watched folders, each once, leaving out any already watched
/// recursively (watching it again without recursion would stop notify following its new folders).
fn parents(dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut parents: Vec<PathBuf> = Vec::new();
    for dir in dirs {
        // A folder named `..` or `/` has no name its parent's events could carry.
        let (Some(parent), Some(_)) = (dir.parent(), dir.file_name()) else { continue };
        if !parents.iter().any(|p| p == parent) && !dirs.iter().any(|d| parent.starts_with(d)) {
            parents.push(parent.to_path_buf());
        }
    }
    parents
}

/// Watches `dir` anew, wherever its name leads now. The old watch is dropped first (notify has
/// already dropped it if the folder was renamed away or removed, hence the ignored error). A
/// folder that is not there for now is watched again when its parent sees the name come back.
fn rewatch(watcher: &mut notify::RecommendedWatcher, dir: &Path) {
    let _ = watcher.unwatch(dir);
    match watcher.watch(dir, RecursiveMode::Recursive) {
        Ok(()) => tracing::info!("{} was replaced: watching the new folder", dir.display()),
        Err(e) if matches!(e.kind, notify::ErrorKind::PathNotFound) => {
            tracing::warn!("{} is gone: watching for it to come back", dir.display())
        }
        Err(e) => tracing::warn!("not watching {} again ({e}); SIGHUP and /reload still reload", dir.display()),
    }
}

/// Groups changes into bursts; returns when the sending side is gone.
fn debounce(
    changes: &mpsc::Receiver<PathBuf>,
    quiet: Duration,
    max_delay: Duration,
    mut on_change: impl FnMut(Vec<PathBuf>),
) {
    while let Ok(first) = changes.recv() {
        let began = Instant::now();
        let mut paths = vec![first];
        loop {
            let wait = quiet.min(max_delay.saturating_sub(began.elapsed()));
            match changes.recv_timeout(wait) {
                Ok(path) => {
                    if !paths.contains(&path) {
                        paths.push(path);
                    }
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        on_change(paths);
    }
}

/// Events that may change what a reload reads: creating, writing, renaming, removing.
/// Opening and reading do not (the reload's own reads would otherwise trigger reloads forever),
/// nor do attribute changes (which also follow reads, as access times).
fn changes_content(kind: &EventKind) -> bool {
    use notify::event::{AccessKind, AccessMode, ModifyKind};
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) | EventKind::Any | EventKind::Other => false,
    }
}

/// Whether a path may be a staff file (or a folder of them) rather than an editor's scratch:
/// `.foo.toml.swp`, `.#foo.toml`, `#foo.toml#`, `foo.toml~`, vim's `4913`, `*.tmp`…
fn is_staff_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    if name.starts_with('.') || name.starts_with('#') || name.ends_with('~') || name.ends_with('#') {
        return false;
    }
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match extension.as_deref() {
        // A folder (a municipality) or a staff file.
        None | Some("toml") => true,
        // Spreadsheets, notes, backups, editors' temporaries: not read by the loader.
        Some(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_scratch_files_are_not_staff_files() {
        for name in ["a.toml", "index/setagaya/ichiji.toml", "index/setagaya", "places.TOML"] {
            assert!(is_staff_file(Path::new(name)), "{name}");
        }
        for name in [
            ".a.toml.swp",
            ".a.toml.swx",
            "a.toml~",
            ".#a.toml",
            "#a.toml#",
            "4913",
            "a.toml.tmp",
            "a.csv",
            "notes.txt",
        ] {
            assert!(!is_staff_file(Path::new(name)), "{name}");
        }
    }

    #[test]
    fn a_burst_of_changes_is_reported_once() {
        let (send, receive) = mpsc::channel();
        let worker = std::thread::spawn(move || {
            let mut bursts = Vec::new();
            debounce(&receive, Duration::from_millis(150), Duration::from_secs(5), |paths| bursts.push(paths));
            bursts
        });
        for name in ["a.toml", "b.toml", "a.toml"] {
            send.send(PathBuf::from(name)).unwrap();
            std::thread::sleep(Duration::from_millis(20));
        }
        // Quiet for longer than 150 ms: the next change is a burst of its own.
        std::thread::sleep(Duration::from_millis(400));
        send.send(PathBuf::from("c.toml")).unwrap();
        std::thread::sleep(Duration::from_millis(400));
        drop(send);
        let bursts = worker.join().unwrap();
        assert_eq!(bursts, vec![vec![PathBuf::from("a.toml"), PathBuf::from("b.toml")], vec![PathBuf::from("c.toml")]]);
    }

    #[test]
    fn the_watcher_reports_saves_but_not_reads_or_editor_scratch() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.toml");
        std::fs::write(&file, "x = 1\n").unwrap();
        let (reported, reports) = mpsc::channel();
        let _watch = watch(&[dir.path().to_path_buf()], move |paths| {
            let _ = reported.send(paths);
        })
        .expect("watching starts");
        // A reload reads every file: that must never count as a change (it would loop).
        for _ in 0..3 {
            std::fs::read_to_string(&file).unwrap();
        }
        std::fs::write(dir.path().join(".a.toml.swp"), "scratch").unwrap();
        std::fs::write(dir.path().join("a.toml~"), "backup").unwrap();
        let nothing = reports.recv_timeout(QUIET + Duration::from_millis(600));
        assert!(nothing.is_err(), "reported without a save: {nothing:?}");

        std::fs::write(&file, "x = 2\n").unwrap();
        let paths = reports.recv_timeout(Duration::from_secs(5)).expect("a save is reported");
        assert_eq!(paths, vec![file]);
    }

    /// Watches `dir`; each report arrives on the channel.
    fn watching(dir: &Path) -> (Watch, mpsc::Receiver<Vec<PathBuf>>) {
        let (reported, reports) = mpsc::channel();
        let watch = watch(&[dir.to_path_buf()], move |paths| {
            let _ = reported.send(paths);
        })
        .expect("watching starts");
        (watch, reports)
    }

    /// Whether a report naming `path` arrives within 5 s (reports naming other paths are skipped).
    fn reported(reports: &mpsc::Receiver<Vec<PathBuf>>, path: &Path) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match reports.recv_timeout(left) {
                Ok(paths) if paths.iter().any(|p| p == path) => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
        false
    }

    #[test]
    fn a_folder_renamed_into_place_is_reported_and_its_saves_too() {
        let root = tempfile::tempdir().unwrap();
        let index = root.path().join("index");
        std::fs::create_dir(&index).unwrap();
        std::fs::write(index.join("a.toml"), "x = 1\n").unwrap();
        let (_watch, reports) = watching(&index);

        // A deploy's swap: the new folder is made beside the old one and renamed into its place.
        let new = root.path().join("index.new");
        std::fs::create_dir(&new).unwrap();
        std::fs::write(new.join("a.toml"), "x = 2\n").unwrap();
        std::fs::rename(&index, root.path().join("index.old")).unwrap();
        std::fs::rename(&new, &index).unwrap();
        assert!(reported(&reports, &index), "the swap is reported");

        // inotify watched the old folder (now index.old): a save in the new one must count too.
        std::fs::write(index.join("a.toml"), "x = 3\n").unwrap();
        assert!(reported(&reports, &index.join("a.toml")), "a save in the new folder is reported");
    }

    #[cfg(unix)]
    #[test]
    fn a_switched_symlink_is_followed_to_its_new_folder() {
        let root = tempfile::tempdir().unwrap();
        for release in ["a", "b"] {
            let dir = root.path().join("releases").join(release).join("index");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("a.toml"), "x = 1\n").unwrap();
        }
        let index = root.path().join("index");
        std::os::unix::fs::symlink("releases/a/index", &index).unwrap();
        let (_watch, reports) = watching(&index);

        // An atomic switch: the new link is made under another name and renamed over the old one.
        let next = root.path().join("index.next");
        std::os::unix::fs::symlink("releases/b/index", &next).unwrap();
        std::fs::rename(&next, &index).unwrap();
        assert!(reported(&reports, &index), "the switch is reported");

        std::fs::write(index.join("a.toml"), "x = 2\n").unwrap();
        assert!(reported(&reports, &index.join("a.toml")), "a save in the new target is reported");
    }

    #[test]
    fn a_folder_removed_and_made_again_is_watched_again() {
        let root = tempfile::tempdir().unwrap();
        let index = root.path().join("index");
        std::fs::create_dir(&index).unwrap();
        std::fs::write(index.join("a.toml"), "x = 1\n").unwrap();
        let (_watch, reports) = watching(&index);

        std::fs::remove_dir_all(&index).unwrap();
        assert!(reported(&reports, &index), "the removal is reported");
        // Gone for a while: the watch waits for the name to come back.
        std::fs::create_dir(&index).unwrap();
        assert!(reported(&reports, &index), "the new folder is reported");

        std::fs::write(index.join("a.toml"), "x = 2\n").unwrap();
        assert!(reported(&reports, &index.join("a.toml")), "a save in the new folder is reported");
    }

    #[test]
    fn changes_beside_the_watched_folder_are_not_reported() {
        let root = tempfile::tempdir().unwrap();
        let index = root.path().join("index");
        let file = index.join("a.toml");
        std::fs::create_dir(&index).unwrap();
        std::fs::write(&file, "x = 1\n").unwrap();
        let (_watch, reports) = watching(&index);

        std::fs::write(root.path().join("config.toml"), "x = 1\n").unwrap();
        std::fs::write(root.path().join("README.md"), "notes").unwrap();
        std::fs::create_dir(root.path().join("target")).unwrap();
        std::fs::write(root.path().join("target").join("b.toml"), "x = 1\n").unwrap();
        // A name that begins like the folder's is another name.
        std::fs::create_dir(root.path().join("index.new")).unwrap();
        // A reload lists and reads the folder: seen from the parent, that must not count either.
        for _ in 0..3 {
            std::fs::read_dir(&index).unwrap().for_each(drop);
            std::fs::read_to_string(&file).unwrap();
        }
        let nothing = reports.recv_timeout(QUIET + Duration::from_millis(600));
        assert!(nothing.is_err(), "reported a change outside the folder: {nothing:?}");

        std::fs::write(&file, "x = 2\n").unwrap();
        let paths = reports.recv_timeout(Duration::from_secs(5)).expect("a save is still reported");
        assert_eq!(paths, vec![file]);
    }

    #[test]
    fn endless_writes_are_still_reported_after_the_maximum_delay() {
        let (send, receive) = mpsc::channel();
        let (reported, when) = mpsc::channel();
        std::thread::spawn(move || {
            debounce(&receive, Duration::from_millis(200), Duration::from_millis(500), |_| {
                let _ = reported.send(Instant::now());
            })
        });
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(1500) {
            let _ = send.send(PathBuf::from("a.toml"));
            std::thread::sleep(Duration::from_millis(50));
        }
        let first = when.recv_timeout(Duration::from_secs(5)).expect("a report while writes go on");
        assert!(first - start < Duration::from_millis(1200), "reported {:?} after the first write", first - start);
    }
}
