//! One answer in process (analysis + search + decision), on the real index and on 10,000
//! synthetic entries. Run with `cargo bench --bench answer`.
//!
//! First it prints the distribution over whole question sets (`tests/questions.jsonl`, and
//! `../shared/eval/dev.jsonl` when it is there; area not given): each question's median time
//! over many runs, then the p50 / p90 / max of those medians. Criterion then measures six typical questions one by
//! one (short, long, with a place, out of scope) and the whole set per iteration.
//!
//! `crisis/…` measures what the crisis check adds to an answer: `assess_with` on a message
//! already analysed (ordinary questions, where nearly always no rule word is found, and danger
//! messages, where rules and modality run), and `analyze_question` against `analyze` (the
//! morphemes the check reads are collected for questions only).
//!
//! `search/loop/…` against `search/tantivy/…`: the scoring loop of `answer/search` and the same
//! queries through tantivy's own `BooleanQuery` of `DisjunctionMaxQuery`s (the figures are
//! quoted in `src/answer/search/mod.rs`), on the 66 entries and on 10,000.

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use madoguchi::answer::engine::Engine;
use madoguchi::answer::search::SearchQuery;
use madoguchi::config::Config;

const QUESTIONS: [&str; 6] = [
    "子どもをちょっと預かってもらえるところってある?世田谷区です",
    "母のもの忘れがひどくなってきた",
    "電球も替えられなくて困ってる。墨俣に住んでます",
    "西東京市で、ひきこもりの息子のことを相談したい",
    "明日の天気を教えて",
    "一人暮らしの父の見守りをお願いしたいのですが、どこに相談すればよいでしょうか。用賀に住んでいます。",
];

/// Danger messages for the crisis check's cost when it does find something (q6–q11): the last
/// two are read again, with their kana verbs given kanji and their romaji as kana.
const DANGER: [&str; 6] = [
    "もう疲れた。死んでしまいたい",
    "介護のことで相談したいのですが、昨日から夫に毎日どなられて、きょうは叩かれました。",
    "友達が死にたいって言ってる",
    "祖母が風呂場で倒れて動かない",
    "くすり いっぱい のんじゃった",
    "mou shinitai",
];

fn config() -> Config {
    Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml"), true).expect("config")
}

/// The real entries, copied with varied names and wording until there are `n`.
fn synthetic(engine: &Engine, n: usize) -> madoguchi::content::knowledge::Knowledge {
    let mut knowledge = engine.knowledge().clone();
    let originals = knowledge.entries.clone();
    let fillers = ["相談会", "教室", "講座", "支援", "事業", "窓口", "の会", "ネット", "センター", "広場"];
    let mut i = 0;
    while knowledge.entries.len() < n {
        let mut entry = originals[i % originals.len()].clone();
        let filler = fillers[(i / originals.len()) % fillers.len()];
        entry.id = format!("{}-{i}", entry.id);
        entry.title = format!("{}{filler}{i}", entry.title);
        entry.keywords.push(format!("合成語{i}"));
        entry.summary = format!("{} ({filler} {i})", entry.summary);
        knowledge.entries.push(entry);
        i += 1;
    }
    knowledge
}

/// The questions of a question set (relative to the crate), or none when it is not there
/// (`../shared` is beside the repository only where the outside evaluation lives).
fn questions_of(relative: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    match madoguchi::cli::eval::read_cases(&path) {
        Ok(cases) => cases.into_iter().map(|(_, case)| case.q).collect(),
        Err(_) => Vec::new(),
    }
}

/// Each question's median time over `runs` answers, then the p50 / p90 / max over questions.
fn distribution(name: &str, engine: &Engine, questions: &[String], runs: usize) {
    let mut medians: Vec<Duration> = questions
        .iter()
        .map(|q| {
            let mut times: Vec<Duration> = (0..runs)
                .map(|_| {
                    let start = Instant::now();
                    std::hint::black_box(engine.decide(std::hint::black_box(q), None));
                    start.elapsed()
                })
                .collect();
            times.sort();
            times[times.len() / 2]
        })
        .collect();
    medians.sort();
    let at = |p: f64| medians[((medians.len() - 1) as f64 * p).round() as usize];
    println!(
        "{name}: {} questions, per-question median answer time: p50 {:.1?}  p90 {:.1?}  max {:.1?}",
        medians.len(),
        at(0.5),
        at(0.9),
        at(1.0)
    );
}

fn bench(c: &mut Criterion) {
    let config = config();
    let engine = madoguchi::app::open(&config, madoguchi::app::today()).expect("engine");
    let questions = questions_of("tests/questions.jsonl");
    assert!(!questions.is_empty(), "tests/questions.jsonl");
    let dev = questions_of("../shared/eval/dev.jsonl");
    let mut crisis = c.benchmark_group("crisis");
    for (i, question) in QUESTIONS.iter().chain(DANGER.iter()).enumerate() {
        let analysis = engine.analyzer().analyze_question(question);
        // What an answer pays: the check on the message, and on its kana and romaji readings.
        crisis.bench_function(format!("assess/q{i}"), |b| {
            b.iter(|| engine.crisis().assess_with(&analysis, engine.analyzer()))
        });
    }
    crisis.bench_function("analyze_question/q5", |b| b.iter(|| engine.analyzer().analyze_question(QUESTIONS[5])));
    crisis.bench_function("analyze/q5", |b| b.iter(|| engine.analyzer().analyze(QUESTIONS[5])));
    crisis.finish();
    let mut analysis = c.benchmark_group("analyze");
    for (i, question) in QUESTIONS.iter().enumerate() {
        analysis.bench_function(format!("q{i}"), |b| b.iter(|| engine.analyzer().analyze(question)));
    }
    analysis.finish();
    distribution("index66 tests/questions.jsonl", &engine, &questions, 201);
    if !dev.is_empty() {
        distribution("index66 ../shared/eval/dev.jsonl", &engine, &dev, 201);
    }
    loop_against_tantivy(c, &engine, "");
    let mut group = c.benchmark_group("answer");
    for (i, question) in QUESTIONS.iter().enumerate() {
        group.bench_function(format!("index66/q{i}"), |b| b.iter(|| engine.decide(question, None)));
    }
    group.bench_function(format!("index66/all{}", questions.len()), |b| {
        b.iter(|| questions.iter().map(|q| engine.decide(q, None).candidates.len()).sum::<usize>())
    });
    let large = Engine::with_analyzer(
        engine.analyzer().clone(),
        synthetic(&engine, 10_000),
        engine.dialogs().clone(),
        config.engine.clone(),
    )
    .expect("large engine");
    distribution("index10k tests/questions.jsonl", &large, &questions, 21);
    if !dev.is_empty() {
        distribution("index10k ../shared/eval/dev.jsonl", &large, &dev, 21);
    }
    for (i, question) in QUESTIONS.iter().enumerate() {
        group.bench_function(format!("index10k/q{i}"), |b| b.iter(|| large.decide(question, None)));
    }
    group.finish();
    loop_against_tantivy(c, &large, "10k");
}

/// The hand-written scoring loop against the same queries through tantivy's own query tree
/// (`search/loop{size}/qN` and `search/tantivy{size}/qN`).
fn loop_against_tantivy(c: &mut Criterion, engine: &Engine, size: &str) {
    let mut search = c.benchmark_group("search");
    let index = engine.search_index();
    for (i, question) in QUESTIONS.iter().enumerate() {
        // All areas: tantivy's version does not restrict to one.
        let query = SearchQuery { municipality: None, ..engine.search_query(question, None) };
        search.bench_function(format!("loop{size}/q{i}"), |b| b.iter(|| index.search(&query, 10)));
        search.bench_function(format!("tantivy{size}/q{i}"), |b| {
            b.iter(|| index.search_with_tantivy_queries(&query, 10))
        });
    }
    search.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50).measurement_time(std::time::Duration::from_secs(2)).warm_up_time(std::time::Duration::from_millis(500));
    targets = bench
}
criterion_main!(benches);
