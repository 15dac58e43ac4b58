//! The search index cache (`<cache dir>/search/<key>/`): reused while the staff files are
//! unchanged, a new one when they change, and a damaged one rebuilt rather than trusted.

use crate::common;

use std::path::Path;

use madoguchi::answer::decision::Decision;
use madoguchi::answer::engine::Engine;

const QUESTIONS: [&str; 4] = [
    "母のもの忘れがひどくなってきた",
    "子どもをちょっと預かってもらえるところってある?世田谷区です",
    "電球も替えられなくて困ってる。墨俣に住んでます",
    "明日の天気を教えて",
];

fn build(cache: Option<&Path>, edit: impl FnOnce(&mut madoguchi::content::knowledge::Knowledge)) -> Engine {
    let config = common::config();
    let checked = madoguchi::app::check(&config, madoguchi::app::today());
    let (mut knowledge, dialogs) = (checked.knowledge.expect("index/ loads"), checked.dialogs.expect("dialogs/ load"));
    edit(&mut knowledge);
    let dir = madoguchi::app::dictionary_dir(&config).expect("dictionary");
    let dictionary = madoguchi::japanese::dictionary::load(&dir).expect("dictionary loads");
    Engine::build_cached(dictionary, knowledge, dialogs, config.engine.clone(), cache).expect("engine builds")
}

fn cached_indexes(cache: &Path) -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<_> = std::fs::read_dir(cache.join("search"))
        .expect("search cache exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// What a resident would see: the kind and the candidates in order, with their scores.
fn answers(engine: &Engine) -> Vec<(madoguchi::answer::decision::Kind, Vec<(String, u32)>)> {
    QUESTIONS
        .iter()
        .map(|q| {
            let d: Decision = engine.decide(q, None);
            let shown =
                d.candidates.iter().map(|c| (engine.entry(c.entry).id.clone(), (c.score * 1000.0) as u32)).collect();
            (d.kind, shown)
        })
        .collect()
}

#[test]
fn the_cache_is_reused_renewed_on_an_edit_and_rebuilt_when_damaged() {
    let cache = tempfile::tempdir().unwrap();
    let in_memory = answers(&build(None, |_| {}));

    // First start: built and stored; the answers are those of an index built in memory.
    let first = build(Some(cache.path()), |_| {});
    let stored = cached_indexes(cache.path());
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(answers(&first), in_memory);

    // Same staff files: the stored index is opened, nothing new is written.
    let again = build(Some(cache.path()), |_| {});
    assert_eq!(cached_indexes(cache.path()), stored);
    assert_eq!(answers(&again), in_memory);

    // An edit (a new keyword) gets an index of its own, and the edit is searchable.
    let edited = build(Some(cache.path()), |k| k.entries[0].keywords.push("合成キャッシュ確認語".into()));
    assert_eq!(cached_indexes(cache.path()).len(), 2);
    let d = edited.decide("合成キャッシュ確認語", None);
    assert_eq!(d.candidates.first().map(|c| c.entry), Some(0), "{:?}", d.candidates);

    // Damaged by hand: rebuilt, never trusted, and the answers stay right.
    std::fs::remove_file(stored[0].join("meta.json")).unwrap();
    let repaired = build(Some(cache.path()), |_| {});
    assert_eq!(answers(&repaired), in_memory);
    assert!(stored[0].join("meta.json").is_file(), "the damaged index is built again in its place");
}
