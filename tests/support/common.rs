//! Shared test setup: the real config, with the dictionary cached under cargo's target dir so
//! every test binary builds it at most once (the build is atomic, so parallel tests are safe).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use madoguchi::answer::engine::Engine;
use madoguchi::config::Config;
use madoguchi::japanese::analyzer::{Analyzer, AnalyzerRules};

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("dictionary-cache")
}

/// The repository's own config, pointed at the test cache.
pub fn config() -> Config {
    let mut config = Config::load(&repo().join("config.toml"), true).expect("config.toml loads");
    config.cache_dir = Some(cache_dir());
    config
}

/// The engine on the real index/ and dialogs/.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| madoguchi::app::open(&config(), madoguchi::app::today()).expect("engine opens"))
}

/// The engine on the behaviour tests' made-up knowledge base (`tests/fixtures/town`), with the
/// real dialogs/.
pub fn fixture_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        madoguchi::app::open(&fixture_config(), madoguchi::app::today()).expect("the fixture engine opens")
    })
}

/// The config of the made-up knowledge base (`tests/fixtures/town`), which the bot tests run on.
pub fn fixture_config_path() -> PathBuf {
    repo().join("tests/fixtures/town/config.toml")
}

/// [`fixture_config_path`], loaded and pointed at the test cache.
pub fn fixture_config() -> Config {
    let mut config = Config::load(&fixture_config_path(), true).expect("the fixture config loads");
    config.cache_dir = Some(cache_dir());
    config
}

/// An analyzer with the given rules on the real dictionary.
pub fn analyzer(rules: AnalyzerRules) -> Analyzer {
    let dir = madoguchi::app::dictionary_dir(&config()).expect("dictionary builds");
    Analyzer::new(madoguchi::japanese::dictionary::load(&dir).expect("dictionary loads"), rules)
}

/// The analyzer the engine uses (the staff's wording rules).
pub fn shared_analyzer() -> Arc<Analyzer> {
    engine().analyzer().clone()
}
