//! The Japanese dictionary: built once from Debian's `mecab-ipadic` sources, then memory-mapped.
//!
//! Nothing here reaches the internet. IPADIC ships as EUC-JP CSV and `.def` files in
//! `/usr/share/mecab/dic/ipadic`; we convert them to UTF-8 and let lindera's
//! `DictionaryBuilder` compile them into `<cache_dir>/ipadic-<format>`, built aside and renamed
//! into place ([`crate::cache_folder`]): a crash never leaves half a dictionary, and of two
//! processes starting together the loser uses the winner's copy.

use std::fs;
use std::path::{Path, PathBuf};

use lindera::dictionary::{Dictionary, DictionaryBuilder, Metadata, Schema};

use crate::cache_folder::{self, PlaceError};

/// Bumped whenever the way we build changes, so an old cache is rebuilt instead of misread.
const BUILD_TAG: &str = "ipadic-lindera6-v1";

/// The files lindera needs besides the `*.csv` word lists.
const REQUIRED_SOURCES: [&str; 3] = ["matrix.def", "char.def", "unk.def"];

#[derive(Debug, thiserror::Error)]
pub enum DictionaryError {
    #[error(
        "the IPADIC dictionary sources were not found in {0} (missing {1}): install them with \
         `apt-get install -y mecab-ipadic`, or point `ipadic_source` in config.toml at them"
    )]
    SourceMissing(PathBuf, String),
    #[error("could not read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("could not write the dictionary cache in {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("lindera could not build the dictionary from {0}: {1}")]
    Build(PathBuf, String),
    #[error("lindera could not load the dictionary in {0}: {1} (delete that folder to rebuild it)")]
    Load(PathBuf, String),
}

/// Returns the directory of a compiled dictionary, building it first if needed.
///
/// `on_build` is called once before a (slow, ~3 s) build starts, so the caller can tell the
/// person waiting what is happening.
pub fn ensure_built(source: &Path, cache_dir: &Path, on_build: impl FnOnce(&Path)) -> Result<PathBuf, DictionaryError> {
    let target = cache_dir.join(BUILD_TAG);
    if target.join("metadata.json").is_file() {
        return Ok(target);
    }
    check_sources(source)?;
    on_build(&target);
    fs::create_dir_all(cache_dir).map_err(|e| write_err(cache_dir, e))?;
    let complete = |dir: &Path| dir.join("metadata.json").is_file();
    cache_folder::build_in_place(&target, |out| build_into(source, cache_dir, out), complete).map_err(|e| match e {
        PlaceError::Build(e) => e,
        PlaceError::Scratch(path, e) | PlaceError::Rename(path, e) => write_err(&path, e),
    })?;
    Ok(target)
}

/// Loads a compiled dictionary (memory-mapped).
pub fn load(dir: &Path) -> Result<Dictionary, DictionaryError> {
    lindera::dictionary::load_dictionary(&dir.to_string_lossy())
        .map_err(|e| DictionaryError::Load(dir.to_path_buf(), e.to_string()))
}

/// The default cache location: `$XDG_CACHE_HOME/madoguchi` (or the platform equivalent).
pub fn default_cache_dir() -> PathBuf {
    dirs::cache_dir().unwrap_or_else(std::env::temp_dir).join("madoguchi")
}

fn check_sources(source: &Path) -> Result<(), DictionaryError> {
    for name in REQUIRED_SOURCES {
        if !source.join(name).is_file() {
            return Err(DictionaryError::SourceMissing(source.to_path_buf(), name.into()));
        }
    }
    Ok(())
}

/// Compiles the sources into `out`, through a UTF-8 copy of them in a scratch folder of the
/// cache (removed when done).
fn build_into(source: &Path, cache_dir: &Path, out: &Path) -> Result<(), DictionaryError> {
    let utf8 =
        tempfile::Builder::new().prefix(".sources-").tempdir_in(cache_dir).map_err(|e| write_err(cache_dir, e))?;
    convert_sources(source, utf8.path())?;
    DictionaryBuilder::new(ipadic_metadata())
        .build_dictionary(utf8.path(), out)
        .map_err(|e| DictionaryError::Build(source.to_path_buf(), e.to_string()))
}

/// Re-encodes every source file from EUC-JP to UTF-8 (lindera reads UTF-8).
fn convert_sources(source: &Path, dest: &Path) -> Result<(), DictionaryError> {
    let entries = fs::read_dir(source).map_err(|e| read_err(source, e))?;
    for entry in entries {
        let path = entry.map_err(|e| read_err(source, e))?.path();
        let Some(name) = path.file_name() else { continue };
        let wanted = path.extension().is_some_and(|x| x == "csv" || x == "def");
        if !wanted || !path.is_file() {
            continue;
        }
        let bytes = fs::read(&path).map_err(|e| read_err(&path, e))?;
        let (text, _, _) = encoding_rs::EUC_JP.decode(&bytes);
        let out = dest.join(name);
        fs::write(&out, text.as_bytes()).map_err(|e| write_err(&out, e))?;
    }
    Ok(())
}

/// The IPADIC layout as lindera's own `lindera-ipadic` crate describes it.
fn ipadic_metadata() -> Metadata {
    let fields = |names: &[&str]| Schema::new(names.iter().map(|s| s.to_string()).collect());
    Metadata::new(
        "ipadic".into(),
        "UTF-8".into(),
        -10000,
        0,
        0,
        "*".into(),
        true,
        false,
        false,
        fields(&[
            "surface",
            "left_context_id",
            "right_context_id",
            "cost",
            "part_of_speech",
            "part_of_speech_subcategory_1",
            "part_of_speech_subcategory_2",
            "part_of_speech_subcategory_3",
            "conjugation_type",
            "conjugation_form",
            "base_form",
            "reading",
            "pronunciation",
        ]),
        fields(&["surface", "part_of_speech", "reading"]),
    )
}

fn read_err(path: &Path, source: std::io::Error) -> DictionaryError {
    DictionaryError::Read { path: path.to_path_buf(), source }
}

fn write_err(path: &Path, source: std::io::Error) -> DictionaryError {
    DictionaryError::Write { path: path.to_path_buf(), source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_source_names_the_package_to_install() {
        let cache = tempfile::tempdir().unwrap();
        let err = ensure_built(Path::new("/nonexistent/ipadic"), cache.path(), |_| {
            panic!("must not start a build without sources")
        })
        .unwrap_err();
        let message = err.to_string();
        assert!(message.contains("apt-get install -y mecab-ipadic"), "{message}");
        assert!(message.contains("/nonexistent/ipadic"), "{message}");
    }
}
