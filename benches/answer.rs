//! One answer in process (analysis + search + decision), on the real index and on 10,000
//! synthetic entries. Run with `cargo bench --bench answer`; criterion prints the median.

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use madoguchi::config::Config;
use madoguchi::engine::Engine;

const QUESTIONS: [&str; 6] = [
    "子どもをちょっと預かってもらえるところってある?世田谷区です",
    "母のもの忘れがひどくなってきた",
    "電球も替えられなくて困ってる。墨俣に住んでます",
    "西東京市で、ひきこもりの息子のことを相談したい",
    "明日の天気を教えて",
    "一人暮らしの父の見守りをお願いしたいのですが、どこに相談すればよいでしょうか。用賀に住んでいます。",
];

fn config() -> Config {
    Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml"), true).expect("config")
}

/// The real entries, copied with varied names and wording until there are `n`.
fn synthetic(engine: &Engine, n: usize) -> madoguchi::knowledge::Knowledge {
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

fn bench(c: &mut Criterion) {
    let config = config();
    let engine = madoguchi::app::open(&config, madoguchi::app::today()).expect("engine");
    let mut analysis = c.benchmark_group("analyze");
    for (i, question) in QUESTIONS.iter().enumerate() {
        analysis.bench_function(format!("q{i}"), |b| b.iter(|| engine.analyzer().analyze(question)));
    }
    analysis.finish();
    let mut group = c.benchmark_group("answer");
    for (i, question) in QUESTIONS.iter().enumerate() {
        group.bench_function(format!("index66/q{i}"), |b| b.iter(|| engine.decide(question, None)));
    }
    let large = Engine::with_analyzer(
        engine.analyzer().clone(),
        synthetic(&engine, 10_000),
        engine.dialogs().clone(),
        config.engine.clone(),
    )
    .expect("large engine");
    for (i, question) in QUESTIONS.iter().enumerate() {
        group.bench_function(format!("index10k/q{i}"), |b| b.iter(|| large.decide(question, None)));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50).measurement_time(std::time::Duration::from_secs(2)).warm_up_time(std::time::Duration::from_millis(500));
    targets = bench
}
criterion_main!(benches);
