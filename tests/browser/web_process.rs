//! `madoguchi web` as the city runs it: the real binary, a copy of the staff files, and a staff
//! file edited by hand while it serves. The change is reloaded; a broken edit is not, and the
//! answers before it keep serving.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common;
use crate::workspace::Workspace;

/// The child process, killed when the test ends (or fails).
struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The HTML of the reply to `text` from a new chat.
async fn reply(http: &reqwest::Client, base: &str, text: &str) -> Option<String> {
    let response =
        http.post(format!("{base}/chat")).header("x-madoguchi", "1").json(&serde_json::json!({ "text": text })).send();
    let body: serde_json::Value = response.await.ok()?.json().await.ok()?;
    body["html"].as_str().map(str::to_string)
}

/// Asks `text` until the reply satisfies `want`, for up to `within`.
async fn until(
    http: &reqwest::Client,
    base: &str,
    text: &str,
    within: Duration,
    want: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + within;
    loop {
        let got = reply(http, base, text).await.unwrap_or_default();
        if want(&got) || Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn web_alone_reloads_a_staff_file_saved_by_hand_and_keeps_serving_through_a_broken_one() {
    madoguchi::app::dictionary_dir(&common::config()).expect("dictionary builds");
    let workspace = Workspace::new();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let log = workspace.path("web.log");
    let child = Command::new(env!("CARGO_BIN_EXE_madoguchi"))
        .arg("--config")
        .arg(workspace.path("config.toml"))
        .arg("--cache-dir")
        .arg(common::cache_dir())
        .arg("web")
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(workspace.path("data"))
        .env("RUST_LOG", "info")
        .env_remove("MADOGUCHI_DATA_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("madoguchi web starts");
    let _serving = Serving(child);
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let question = "世田谷区です。食事を届けてほしい";
    let first = until(&http, &base, question, Duration::from_secs(60), |r| r.contains("配食サービス")).await;
    assert!(first.contains("配食サービス"), "{first}\n{}", std::fs::read_to_string(&log).unwrap_or_default());

    // A staff member edits the entry's file by hand.
    let file = workspace.path("index/setagaya/haishoku-service.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let edited = text.replacen("summary = \"", "summary = \"(手で直した説明)", 1);
    assert_ne!(edited, text);
    std::fs::write(&file, &edited).unwrap();
    let after = until(&http, &base, question, Duration::from_secs(20), |r| r.contains("手で直した説明")).await;
    assert!(after.contains("手で直した説明"), "{after}\n{}", std::fs::read_to_string(&log).unwrap_or_default());

    // A broken edit: not loaded, said in the log with the file, and the answers go on.
    std::fs::write(&file, edited.replacen("summary = \"", "summary = ", 1)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let log_text = loop {
        let log_text = std::fs::read_to_string(&log).unwrap_or_default();
        if log_text.contains("ERROR") || Instant::now() > deadline {
            break log_text;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let error = log_text.lines().find(|l| l.contains("ERROR")).unwrap_or_default();
    assert!(log_text.contains("haishoku-service.toml:"), "the broken file with its line: {log_text}");
    assert!(!error.is_empty(), "{log_text}");
    let still = reply(&http, &base, question).await.unwrap_or_default();
    assert!(still.contains("手で直した説明"), "{still}");
}
