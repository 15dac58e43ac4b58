//! The resident's chat endpoint under load: `POST /chat` on the real web server (axum on
//! 127.0.0.1, the real engine and a store in a fresh folder), from clients in the same process
//! over loopback keep-alive connections. Bounded: a fixed number of requests per round.
//!
//! `cargo bench --bench web` prints, for several rounds, then their medians:
//! - throughput: `WORKERS` chats sending their next message as soon as the last is answered,
//!   `BURST` messages in all;
//! - latency: one message at a time at a steady pace, each from a new chat (which also makes
//!   the server mint a chat cookie); from sending to the whole reply read (p50, p99).
//!
//! The per-address rate limit is lifted for the run (every client is 127.0.0.1): it is a
//! defence against a flood, not the server's cost. The clients share the machine's two cores
//! with the server, so the figures are a lower bound.

#[path = "../tests/support/common.rs"]
mod common;
#[path = "../tests/support/load_figures.rs"]
mod load_figures;
#[path = "../tests/support/web_server.rs"]
mod web_server;
#[path = "../tests/support/workspace.rs"]
mod workspace;

use std::time::{Duration, Instant};

use load_figures::{median, percentile, questions};

const ROUNDS: usize = 5;
const WORKERS: usize = 16;
const BURST: usize = 2000;
const PACED: usize = 400;
const PACE: Duration = Duration::from_millis(5); // 200 messages/s

/// Sends one message as the chat `cookie` names (none: a new chat); the cookie the server set.
async fn say(http: &reqwest::Client, base: &str, cookie: Option<&str>, text: &str) -> Option<String> {
    let mut request =
        http.post(format!("{base}/chat")).header("x-madoguchi", "1").json(&serde_json::json!({ "text": text }));
    if let Some(cookie) = cookie {
        request = request.header(reqwest::header::COOKIE, cookie);
    }
    let response = request.send().await.expect("the server answers");
    assert!(response.status().is_success(), "{}", response.status());
    let set = response
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_string);
    let body = response.bytes().await.expect("the reply is read");
    assert!(!body.is_empty());
    set
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument that names nothing here skips the run.
    if std::env::args().skip(1).any(|a| !a.starts_with('-') && !"web".contains(a.as_str())) {
        return;
    }
    let questions = std::sync::Arc::new(questions());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let (mut rates, mut p50s, mut p99s) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=ROUNDS {
        let (rate, mut latencies) = runtime.block_on(async {
            let server = web_server::start(|config| config.web.messages_per_minute = u32::MAX).await;
            let http = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(WORKERS * 2).build().unwrap();
            say(&http, &server.base, None, "こんにちは").await;

            // Throughput: every worker one chat, the next message once the last is answered.
            let start = Instant::now();
            let mut workers = Vec::new();
            for w in 0..WORKERS {
                let (http, base, questions) = (http.clone(), server.base.clone(), questions.clone());
                workers.push(tokio::spawn(async move {
                    let mut cookie = None;
                    for n in (w..BURST).step_by(WORKERS) {
                        let set = say(&http, &base, cookie.as_deref(), &questions[n % questions.len()]).await;
                        cookie = cookie.or(set);
                    }
                }));
            }
            for worker in workers {
                worker.await.unwrap();
            }
            let rate = BURST as f64 / start.elapsed().as_secs_f64();

            // Latency: one message at a time, at a steady pace, each from a new chat.
            let mut timed = Vec::new();
            let next = Instant::now();
            for n in 0..PACED {
                let (http, base, questions) = (http.clone(), server.base.clone(), questions.clone());
                timed.push(tokio::spawn(async move {
                    let sent = Instant::now();
                    say(&http, &base, None, &questions[n % questions.len()]).await;
                    sent.elapsed()
                }));
                tokio::time::sleep_until((next + PACE * (n as u32 + 1)).into()).await;
            }
            let mut latencies = Vec::new();
            for t in timed {
                latencies.push(t.await.unwrap());
            }
            server.stop().await;
            (rate, latencies)
        });
        latencies.sort();
        let (p50, p99) = (percentile(&latencies, 0.50), percentile(&latencies, 0.99));
        println!(
            "round {round}: {rate:.0} messages/s ({BURST} from {WORKERS} chats); latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({PACED} messages at {:.0}/s)",
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3,
            latencies.last().unwrap().as_secs_f64() * 1e3,
            1.0 / PACE.as_secs_f64()
        );
        rates.push(rate);
        p50s.push(p50.as_secs_f64() * 1e3);
        p99s.push(p99.as_secs_f64() * 1e3);
    }
    println!(
        "median of {ROUNDS} rounds: {:.0} messages/s, latency p50 {:.2} ms, p99 {:.2} ms",
        median(&mut rates),
        median(&mut p50s),
        median(&mut p99s)
    );
}
