//! Updates handled per second through the whole bot, and the latency it adds per update:
//! the fake Bot API of the tests on 127.0.0.1 → teloxide long polling → dispatcher → store →
//! dialog and engine → HTML → sendMessage back to the fake.
//!
//! `cargo bench --bench bot` prints, for several rounds, then their medians:
//! - throughput: a burst of updates (questions, stickers, commands from many chats) until all
//!   are answered;
//! - latency: updates pushed one at a time at a steady pace; from the moment the fake has the
//!   update until it receives the answer (p50, p99).
//!
//! Telegram's own rate limits (30 messages/s overall, 1/s per chat) are lifted for the run: they
//! are Telegram's, not the bot's cost, and would cap any figure at 30/s.

#[path = "../tests/support/common.rs"]
mod common;
#[path = "../tests/support/fake_bot_api.rs"]
mod fake_bot_api;
#[path = "../tests/support/load_figures.rs"]
mod load_figures;

use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_bot_api::FakeBotApi;
use load_figures::{median, percentile, questions};
use madoguchi::channels::telegram::{serve, Options, Token};
use madoguchi::serving::store::Store;
use teloxide::adaptors::throttle::Limits;

const ROUNDS: usize = 5;
const BURST: usize = 2000;
const CHATS: i64 = 200;
const PACED: usize = 600;
const PACE: Duration = Duration::from_micros(2500); // 400 updates/s

/// What the n-th update is: mostly questions, some stickers and commands, as in real use.
fn push(fake: &FakeBotApi, n: usize, chat: i64, questions: &[String]) -> u32 {
    match n % 10 {
        8 => fake.sticker(chat),
        9 => fake.text(chat, "/help"),
        _ => fake.text(chat, &questions[n % questions.len()]),
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument that names nothing here skips the run.
    if std::env::args().skip(1).any(|a| !a.starts_with('-') && !"bot".contains(a.as_str())) {
        return;
    }
    let engine = Arc::new(madoguchi::app::open(&common::config(), madoguchi::app::today()).expect("engine opens"));
    let questions = questions();
    let (mut rates, mut p50s, mut p99s) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=ROUNDS {
        let fake = FakeBotApi::start();
        let data = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(data.path()).unwrap());
        let mut options = Options::new(Token::parse(fake_bot_api::TOKEN).unwrap(), fake.url.parse().unwrap(), 90);
        options.limits = Limits {
            messages_per_sec_chat: 1_000_000,
            messages_per_min_chat: 1_000_000,
            messages_per_min_channel_or_supergroup: 1_000_000,
            messages_per_sec_overall: 1_000_000,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let bot = runtime.spawn(serve(engine.clone(), store.clone(), options, async {
            let _ = stopped.await;
        }));
        // Warm up: the bot is polling once one update is answered.
        fake.text(1, "/help");
        assert!(fake.wait_for(Duration::from_secs(30), |s| s.sent_to(1).len() == 1), "the bot answers");
        let base = fake.state().sent_count;

        // Throughput: a burst.
        let start = Instant::now();
        for n in 0..BURST {
            push(&fake, n, 1000 + (n as i64 % CHATS), &questions);
        }
        // Every update gets exactly one message (no reply here is long enough to be split).
        let answered = fake.wait_for(Duration::from_secs(120), |s| s.sent_count >= base + BURST);
        assert!(answered, "the burst is answered");
        let rate = BURST as f64 / start.elapsed().as_secs_f64();

        // Latency: one update at a time, at a steady pace, each from its own chat.
        let mut ids = Vec::with_capacity(PACED);
        let next = Instant::now();
        for n in 0..PACED {
            let chat = 100_000 + n as i64;
            ids.push((chat, push(&fake, n, chat, &questions)));
            let due = next + PACE * (n as u32 + 1);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        let expected = base + BURST + PACED;
        assert!(fake.wait_for(Duration::from_secs(60), |s| s.sent_count >= expected), "the paced updates are answered");
        let mut latencies: Vec<Duration> = {
            let state = fake.state();
            let mut answered_at = std::collections::HashMap::new();
            for call in state.calls.iter().filter(|c| c.method == "sendmessage" && c.status == 200) {
                answered_at.entry(call.body["chat_id"].as_i64().unwrap()).or_insert(call.at);
            }
            ids.iter().map(|&(chat, id)| answered_at[&chat] - state.pushed_at(id).unwrap()).collect()
        };
        latencies.sort();
        let (p50, p99) = (percentile(&latencies, 0.50), percentile(&latencies, 0.99));
        println!(
            "round {round}: {rate:.0} updates/s (burst of {BURST} over {CHATS} chats); latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({PACED} updates at {:.0}/s)",
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3,
            latencies.last().unwrap().as_secs_f64() * 1e3,
            1.0 / PACE.as_secs_f64()
        );
        rates.push(rate);
        p50s.push(p50.as_secs_f64() * 1e3);
        p99s.push(p99.as_secs_f64() * 1e3);

        let _ = stop.send(());
        runtime.block_on(async { tokio::time::timeout(Duration::from_secs(15), bot).await }).ok();
        runtime.shutdown_timeout(Duration::from_secs(1));
    }
    println!(
        "median of {ROUNDS} rounds: {:.0} updates/s, latency p50 {:.2} ms, p99 {:.2} ms",
        median(&mut rates),
        median(&mut p50s),
        median(&mut p99s)
    );
}
