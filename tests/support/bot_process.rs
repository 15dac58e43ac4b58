//! The real `madoguchi run` as a child process against the fake Bot API (tests/support/fake_bot_api.rs),
//! and what the tests read of what it sent: shared by the bot tests of
//! tests/behaviour/ (telegram, reload, staff_telegram, delivery).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use madoguchi::content::dialogs::Dialogs;
use serde_json::Value;

use crate::common;
use crate::fake_bot_api::{self, FakeBotApi};

pub const REPLY_WAIT: Duration = Duration::from_secs(40);

pub fn dialogs() -> &'static Dialogs {
    static DIALOGS: OnceLock<Dialogs> = OnceLock::new();
    DIALOGS
        .get_or_init(|| madoguchi::content::dialogs::load(&common::repo().join("dialogs")).0.expect("dialogs/ loads"))
}

/// Builds the dictionary once before any bot starts, so no bot spends its deadline on it.
pub fn dictionary_ready() {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        madoguchi::app::dictionary_dir(&common::config()).expect("dictionary builds");
    });
}

/// A running `madoguchi run`, killed if a test fails before stopping it.
pub struct RunningBot {
    child: Child,
    log: PathBuf,
}

impl RunningBot {
    pub fn start(fake: &FakeBotApi, data_dir: &Path) -> RunningBot {
        Self::start_with(fake, data_dir, &common::fixture_config_path(), Some(fake_bot_api::TOKEN))
    }

    pub fn start_with(fake: &FakeBotApi, data_dir: &Path, config: &Path, token: Option<&str>) -> RunningBot {
        let log_level = std::env::var("BOT_LOG").unwrap_or_else(|_| "info".into());
        Self::start_logging(fake, data_dir, config, token, &data_dir.join("bot.log"), &log_level)
    }

    /// Like [`RunningBot::start_with`], with the log written to `log` at `RUST_LOG=level`.
    pub fn start_logging(
        fake: &FakeBotApi,
        data_dir: &Path,
        config: &Path,
        token: Option<&str>,
        log: &Path,
        level: &str,
    ) -> RunningBot {
        dictionary_ready();
        std::fs::create_dir_all(data_dir).unwrap();
        let log = log.to_path_buf();
        let mut command = Command::new(env!("CARGO_BIN_EXE_madoguchi"));
        command
            .arg("--config")
            .arg(config)
            .arg("--cache-dir")
            .arg(common::cache_dir())
            .arg("run")
            .arg("--data-dir")
            .arg(data_dir)
            .env("TELOXIDE_API_URL", &fake.url)
            .env("RUST_LOG", level)
            .env_remove("MADOGUCHI_DATA_DIR")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        match token {
            Some(token) => command.env("TELOXIDE_TOKEN", token),
            None => command.env_remove("TELOXIDE_TOKEN"),
        };
        RunningBot { child: command.spawn().expect("madoguchi starts"), log }
    }

    /// SIGTERM, then waits (at most 10 s) for the exit.
    pub fn stop(self) -> (ExitStatus, Duration) {
        self.signal("TERM")
    }

    /// Sends a signal (`TERM`, `INT` as Ctrl-C does) and waits (at most 10 s) for the exit.
    pub fn signal(mut self, name: &str) -> (ExitStatus, Duration) {
        let sent = Instant::now();
        self.send_signal(name);
        let exit = self
            .wait(Duration::from_secs(10))
            .unwrap_or_else(|| panic!("help: the bot did not stop within 10 s of SIG{name}\n{}", self.log_text()));
        (exit, sent.elapsed())
    }

    pub fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends a signal (`HUP`…) without waiting for anything.
    pub fn send_signal(&self, name: &str) {
        let status = Command::new("kill").arg(format!("-{name}")).arg(self.child.id().to_string()).status().unwrap();
        assert!(status.success(), "kill -{name}");
    }

    pub fn still_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for RunningBot {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits until `chat` has received `n` messages; they are returned.
pub fn wait_messages(fake: &FakeBotApi, bot: &RunningBot, chat: i64, n: usize) -> Vec<Value> {
    let arrived = fake.wait_for(REPLY_WAIT, |s| s.sent_to(chat).len() >= n);
    let state = fake.state();
    let sent: Vec<Value> = state.sent_to(chat).into_iter().cloned().collect();
    assert!(arrived, "help: chat {chat} got {} of {n} messages\nsent: {sent:#?}\nlog:\n{}", sent.len(), bot.log_text());
    sent
}

pub fn text_of(message: &Value) -> &str {
    message["text"].as_str().unwrap_or_default()
}

/// (label, callback_data) of every inline button of a message.
pub fn buttons(message: &Value) -> Vec<(String, String)> {
    message["reply_markup"]["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row.as_array().unwrap().iter())
        .map(|b| (b["text"].as_str().unwrap().to_string(), b["callback_data"].as_str().unwrap().to_string()))
        .collect()
}
