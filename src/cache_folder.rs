//! What madoguchi keeps in its cache (the compiled dictionary, built search indexes) is built
//! aside and renamed into place, so a crash never leaves half of one and two processes starting
//! together cannot spoil each other's: the loser of the rename race uses the winner's copy.
//!
//! The scratch folder is a [`tempfile::TempDir`] in the same parent as the target (a rename
//! within one file system is atomic); it is removed whatever happens, also on a panic.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Why a folder could not be put in place.
#[derive(Debug, thiserror::Error)]
pub enum PlaceError<E: std::error::Error + 'static> {
    #[error("一時フォルダを {0} に作れません / cannot make a scratch folder there")]
    Scratch(PathBuf, #[source] io::Error),
    #[error(transparent)]
    Build(E),
    #[error("{0} に置けません / cannot rename the built folder into place")]
    Rename(PathBuf, #[source] io::Error),
}

/// Builds the folder `target`: `build` fills an empty scratch folder beside it, which is
/// synced and renamed to `target` only when `build` succeeded. When the rename fails because
/// another process put its copy there first (`is_complete(target)` says so), that copy is
/// used.
pub fn build_in_place<E: std::error::Error + 'static>(
    target: &Path,
    build: impl FnOnce(&Path) -> Result<(), E>,
    is_complete: impl Fn(&Path) -> bool,
) -> Result<(), PlaceError<E>> {
    let parent = target.parent().unwrap_or(Path::new("."));
    let scratch = tempfile::Builder::new()
        .prefix(".build-")
        .tempdir_in(parent)
        .map_err(|e| PlaceError::Scratch(parent.to_path_buf(), e))?;
    build(scratch.path()).map_err(PlaceError::Build)?;
    sync_dir(scratch.path());
    match fs::rename(scratch.path(), target) {
        Ok(()) => {
            // Renamed away: nothing left for the scratch folder to remove.
            let _ = scratch.keep();
            sync_dir(parent);
            Ok(())
        }
        Err(_) if is_complete(target) => Ok(()),
        Err(e) => Err(PlaceError::Rename(target.to_path_buf(), e)),
    }
}

/// Whether `name` is a scratch folder of [`build_in_place`] (left by a process that was killed).
pub fn is_scratch(name: &str) -> bool {
    name.starts_with(".build-")
}

/// Makes a rename durable before anyone relies on it (best effort).
fn sync_dir(dir: &Path) {
    if let Ok(file) = fs::File::open(dir) {
        let _ = file.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("failed")]
    struct Failed;

    #[test]
    fn a_built_folder_appears_whole_and_no_scratch_is_left() {
        let parent = tempfile::tempdir().unwrap();
        let target = parent.path().join("thing");
        build_in_place(&target, |dir| fs::write(dir.join("a"), "1").map_err(|_| Failed), |t| t.join("a").is_file())
            .unwrap();
        assert_eq!(fs::read_to_string(target.join("a")).unwrap(), "1");
        let names: Vec<_> = fs::read_dir(parent.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["thing"]);
    }

    #[test]
    fn a_failed_build_leaves_nothing() {
        let parent = tempfile::tempdir().unwrap();
        let target = parent.path().join("thing");
        let result = build_in_place(
            &target,
            |dir| {
                fs::write(dir.join("half"), "").unwrap();
                Err(Failed)
            },
            |_| false,
        );
        assert!(matches!(result, Err(PlaceError::Build(Failed))));
        assert_eq!(fs::read_dir(parent.path()).unwrap().count(), 0);
    }

    #[test]
    fn the_winner_of_a_race_is_used() {
        let parent = tempfile::tempdir().unwrap();
        let target = parent.path().join("thing");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("a"), "theirs").unwrap();
        // Renaming over a non-empty folder fails: theirs is complete, so it is used.
        build_in_place(&target, |dir| fs::write(dir.join("a"), "ours").map_err(|_| Failed), |t| t.join("a").is_file())
            .unwrap();
        assert_eq!(fs::read_to_string(target.join("a")).unwrap(), "theirs");
        assert_eq!(fs::read_dir(parent.path()).unwrap().count(), 1, "the scratch folder is gone");
    }
}
