//! `config.toml`: where things live and the few numbers an operator may tune.
//!
//! Relative paths are resolved against the folder the config file is in, so
//! `madoguchi --config /srv/madoguchi/config.toml ask …` works from anywhere. Command-line flags
//! and then environment variables override the file (clap reads both, in `main.rs`); unknown keys are errors
//! so that a typo never silently falls back to a default.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The staff-edited answers.
    pub index_dir: PathBuf,
    /// Resident-facing texts, menus and crisis contacts.
    pub dialogs_dir: PathBuf,
    /// Where the compiled Japanese dictionary is kept (default: the user's cache folder).
    pub cache_dir: Option<PathBuf>,
    /// Debian's IPADIC sources.
    pub ipadic_source: PathBuf,
    /// Runtime state of the bot (sled), created on first run.
    pub data_dir: Option<PathBuf>,
    pub engine: EngineConfig,
    pub telegram: TelegramConfig,
    pub records: RecordsConfig,
    pub freshness: FreshnessConfig,
    pub web: WebConfig,
}

/// How sure the engine must be before it gives one answer instead of saying it is unsure.
/// The defaults were calibrated on `tests/questions.jsonl` (see README.md, "Calibration").
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineConfig {
    /// Minimum confidence (0–1) of the best candidate for an `answer`.
    pub min_confidence: f32,
    /// Alternatives shown under an answer card.
    pub max_alternatives: usize,
    /// Candidates shown when unsure.
    pub max_candidates: usize,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct TelegramConfig {
    /// Bot API base URL (default Telegram's); `TELOXIDE_API_URL` overrides it.
    pub api_url: Option<String>,
    /// Telegram user ids allowed to use the staff commands.
    pub staff: Vec<i64>,
    /// Optional staff group chat for reload errors and summaries.
    pub staff_chat: Option<i64>,
    /// When the daily summary is posted to `staff_chat`, Japan time (`"08:30"`); none without it.
    pub daily_summary: Option<DailyTime>,
}

/// The web channel (`madoguchi web`, and `madoguchi run` when `listen` is set).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    /// The address the chat page and the staff console are served on (`"127.0.0.1:8080"`);
    /// none: `madoguchi run` serves Telegram only (`madoguchi web` then needs `--listen`).
    pub listen: Option<String>,
    /// The sites allowed to show the chat page in a frame (`"https://www.city.example.jp"`);
    /// none: only madoguchi's own pages.
    pub frame_ancestors: Vec<String>,
    /// The reverse proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed; from
    /// anyone else those headers are ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Messages one address may send a minute before it is asked to wait.
    pub messages_per_minute: u32,
    /// Login attempts one address may make a minute on the staff console.
    pub logins_per_minute: u32,
    /// The staff console's accounts (`madoguchi staff add NAME` writes one).
    pub staff: Vec<StaffAccount>,
}

/// One staff account of the console: a name and an argon2 hash of the password (PHC string).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffAccount {
    pub name: String,
    pub password_hash: String,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            listen: None,
            frame_ancestors: Vec::new(),
            trusted_proxies: Vec::new(),
            messages_per_minute: 20,
            logins_per_minute: 5,
            staff: Vec::new(),
        }
    }
}

impl WebConfig {
    fn check(&self) -> anyhow::Result<()> {
        if let Some(listen) = &self.listen {
            anyhow::ensure!(
                listen.parse::<std::net::SocketAddr>().is_ok(),
                "[web] listen = \"{listen}\" は「アドレス:ポート」の形ではありません(例 \"127.0.0.1:8080\") / not an address:port"
            );
        }
        for origin in &self.frame_ancestors {
            anyhow::ensure!(
                is_origin(origin),
                "[web] frame_ancestors の \"{origin}\" は「https://ホスト名」の形ではありません(パスや / を付けずに。例 \"https://www.city.example.jp\") / not an origin"
            );
        }
        let mut names = std::collections::HashSet::new();
        for account in &self.staff {
            anyhow::ensure!(
                !account.name.trim().is_empty(),
                "[[web.staff]] に名前(name)のない行があります / an account without a name"
            );
            anyhow::ensure!(
                names.insert(account.name.as_str()),
                "[[web.staff]] の名前「{}」が2回あります / a duplicate account",
                account.name
            );
            anyhow::ensure!(
                is_password_hash(&account.password_hash),
                "[[web.staff]] の「{}」の password_hash が argon2 のハッシュではありません。`madoguchi staff add {}` で作り直してください(パスワードそのものは書きません) / password_hash is not an argon2 PHC string",
                account.name,
                account.name
            );
        }
        Ok(())
    }
}

/// `https://www.city.example.jp` (or `http://…`, with a port): a scheme and a host, nothing else.
pub fn is_origin(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("https://").or_else(|| text.strip_prefix("http://")) else {
        return false;
    };
    !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '*'))
}

/// Whether `text` is an argon2 password hash in the PHC form (`$argon2id$v=19$…`).
pub fn is_password_hash(text: &str) -> bool {
    argon2::password_hash::PasswordHash::new(text).is_ok_and(|h| h.algorithm.as_str().starts_with("argon2"))
}

/// A time of day in Japan time, written `"HH:MM"` in config.toml.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyTime(pub chrono::NaiveTime);

impl<'de> Deserialize<'de> for DailyTime {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        chrono::NaiveTime::parse_from_str(text.trim(), "%H:%M").map(DailyTime).map_err(|_| {
            serde::de::Error::custom(format!(
                "「{text}」は時刻として読めません。\"08:30\" のように 時:分 で書いてください"
            ))
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RecordsConfig {
    /// Days a question's text is kept before it is purged.
    pub retention_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FreshnessConfig {
    /// Entries not verified within this many months are flagged.
    pub max_age_months: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            index_dir: "index".into(),
            dialogs_dir: "dialogs".into(),
            cache_dir: None,
            ipadic_source: "/usr/share/mecab/dic/ipadic".into(),
            data_dir: None,
            engine: EngineConfig::default(),
            telegram: TelegramConfig::default(),
            records: RecordsConfig::default(),
            freshness: FreshnessConfig::default(),
            web: WebConfig::default(),
        }
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig { min_confidence: 0.38, max_alternatives: 2, max_candidates: 3 }
    }
}

impl Default for RecordsConfig {
    fn default() -> Self {
        RecordsConfig { retention_days: 90 }
    }
}

impl Default for FreshnessConfig {
    fn default() -> Self {
        FreshnessConfig { max_age_months: 12 }
    }
}

impl Config {
    /// Reads a config file. A missing file is only accepted for the default path, so that a
    /// fresh checkout works without one while a mistyped `--config` is still an error.
    pub fn load(path: &Path, must_exist: bool) -> anyhow::Result<Config> {
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut config = match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text).with_context(|| format!("{}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
                // Run from another folder: say so once, instead of one error per missing file.
                if !Config::default().index_dir.is_dir() {
                    anyhow::bail!(
                        "このフォルダには config.toml も index/ もありません。madoguchi のフォルダ(config.toml のあるところ)で実行するか、--config で config.toml を指定してください / no config.toml and no index/ in the current folder"
                    );
                }
                Config::default()
            }
            Err(e) => {
                return Err(e).with_context(|| {
                    format!(
                        "設定ファイル {} を読めません。名前と場所を確かめてください / cannot read {}",
                        path.display(),
                        path.display()
                    )
                })
            }
        };
        config.resolve_relative_to(&base);
        Ok(config)
    }

    /// Parses config text (pure: no file system access). A `[web]` value that would be
    /// ignored or lock staff out (an origin that is not one, a password hash that is not
    /// argon2) is an error here, not a surprise later.
    pub fn parse(text: &str) -> anyhow::Result<Config> {
        let config: Config = toml::from_str(text)?;
        config.web.check()?;
        Ok(config)
    }

    fn resolve_relative_to(&mut self, base: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() && !base.as_os_str().is_empty() {
                *p = base.join(&*p);
            }
        };
        fix(&mut self.index_dir);
        fix(&mut self.dialogs_dir);
        fix(&mut self.ipadic_source);
        if let Some(p) = self.cache_dir.as_mut() {
            fix(p);
        }
        if let Some(p) = self.data_dir.as_mut() {
            fix(p);
        }
    }

    /// The dictionary cache: `cache_dir` (which the CLI sets from `--cache-dir` or
    /// `MADOGUCHI_CACHE_DIR`), else the user cache folder.
    pub fn effective_cache_dir(&self) -> PathBuf {
        self.cache_dir.clone().unwrap_or_else(crate::japanese::dictionary::default_cache_dir)
    }

    /// The bot's data folder: `data_dir` (which the CLI sets from `--data-dir` or
    /// `MADOGUCHI_DATA_DIR`), else the user data folder.
    pub fn effective_data_dir(&self) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(|| dirs::data_dir().unwrap_or_else(std::env::temp_dir).join("madoguchi"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_values_that_would_be_ignored_are_errors() {
        let hash = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0E7sYz0hVwN6V8a1cU6d0y2eKpR0Qm0r7m0WQm1b2c0";
        let ok = format!("[web]\nlisten = \"127.0.0.1:8080\"\nframe_ancestors = [\"https://www.city.example.jp\"]\n[[web.staff]]\nname = \"sato\"\npassword_hash = \"{hash}\"\n");
        Config::parse(&ok).unwrap();
        for (bad, says) in [
            ("[web]\nlisten = \"8080\"", "listen"),
            ("[web]\nframe_ancestors = [\"https://www.city.example.jp/chat\"]", "frame_ancestors"),
            ("[[web.staff]]\nname = \"sato\"\npassword_hash = \"窓口のパスワード\"", "argon2"),
        ] {
            let err = format!("{:#}", Config::parse(bad).unwrap_err());
            assert!(err.contains(says), "{bad}: {err}");
        }
        let twice = format!("{ok}[[web.staff]]\nname = \"sato\"\npassword_hash = \"{hash}\"\n");
        assert!(format!("{:#}", Config::parse(&twice).unwrap_err()).contains("2回"));
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = Config::parse("index_dirr = \"x\"").unwrap_err();
        assert!(format!("{err:#}").contains("index_dirr"), "{err:#}");
    }

    #[test]
    fn the_daily_summary_time_is_hours_and_minutes() {
        let c = Config::parse("[telegram]\nstaff_chat = -100\ndaily_summary = \"08:30\"").unwrap();
        assert_eq!(c.telegram.daily_summary, Some(DailyTime(chrono::NaiveTime::from_hms_opt(8, 30, 0).unwrap())));
        for bad in ["\"8時半\"", "\"25:00\"", "830"] {
            let err = Config::parse(&format!("[telegram]\ndaily_summary = {bad}")).unwrap_err();
            assert!(format!("{err:#}").contains("line 2"), "{bad}: {err:#}");
        }
    }

    #[test]
    fn empty_file_gives_defaults() {
        let c = Config::parse("").unwrap();
        assert_eq!(c.index_dir, PathBuf::from("index"));
        assert_eq!(c.records.retention_days, 90);
    }
}
