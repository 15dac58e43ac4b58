//! The `madoguchi` command: the CLI definition plus glue. Everything it does lives in the
//! library; see `lib.rs` for how the parts meet.

use std::ffi::OsString;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use madoguchi::answer::engine::Engine;
use madoguchi::answer::explain;
use madoguchi::channels::terminal as chat;
use madoguchi::cli::{eval, output};
use madoguchi::config::Config;
use madoguchi::serving::store::{RecordRef, Store};
use madoguchi::staff::csv_import as spreadsheet;
use madoguchi::{app, staff};

/// madoguchi (窓口): points residents' welfare questions to the right service window.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// The config file.
    #[arg(long, global = true, default_value = "config.toml")]
    config: PathBuf,
    /// Where the compiled dictionary is cached (else config.toml's cache_dir, else the user's
    /// cache folder). An empty value counts as none.
    #[arg(long, global = true, env = "MADOGUCHI_CACHE_DIR", value_name = "DIR")]
    cache_dir: Option<OsString>,
    /// Where the bot keeps its state, read by `run`, `stats` and `unanswered` (else config.toml's
    /// data_dir, else the user's data folder). An empty value counts as none.
    #[arg(long, global = true, env = "MADOGUCHI_DATA_DIR", value_name = "DIR")]
    data_dir: Option<OsString>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Add an account (or give an existing one a new password): asks for the password and
    /// writes its argon2 hash into config.toml, keeping the file's comments.
    Add {
        /// The name staff type at the login.
        name: String,
    },
}

#[derive(Subcommand)]
enum Command {
    /// Answer a question as a resident would read it (or as JSON).
    Ask {
        /// The resident's municipality (世田谷区, 西東京市, 大垣市); else read from the question.
        #[arg(long)]
        area: Option<String>,
        /// Print the machine-readable JSON instead.
        #[arg(long)]
        json: bool,
        /// Answer every line of FILE (or - for standard input), one JSON line each.
        #[arg(long, value_name = "FILE", requires = "json")]
        batch: Option<PathBuf>,
        /// The question.
        question: Vec<String>,
    },
    /// Talk to madoguchi in the terminal (Ctrl-D to leave).
    Chat,
    /// Score a question set (JSON lines: q, area, kind, expect).
    Eval {
        file: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Fail (exit 1) when top-1 accuracy is below this.
        #[arg(long)]
        min_top1: Option<f64>,
    },
    /// Run the Telegram bot (token in TELOXIDE_TOKEN; SIGTERM or Ctrl-C stops it).
    Run {
        /// The Bot API's base URL (else config.toml's [telegram] api_url, else Telegram's).
        #[arg(long, env = "TELOXIDE_API_URL", value_name = "URL")]
        api_url: Option<String>,
        /// Start afresh when the database cannot be read or its salt is missing or wrong: the
        /// damaged database is renamed to db.damaged-<time> (kept for a recovery), never deleted.
        #[arg(long)]
        reset_data: bool,
    },
    /// Serve the web alone, the chat page and the staff console (no Telegram token needed);
    /// SIGTERM or Ctrl-C stops it.
    Web {
        /// Where to listen (else config.toml's [web] listen), e.g. 127.0.0.1:8080.
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Staff accounts of the web console (`[web] staff` in config.toml).
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// Show what the engine would answer and why (for staff): terms, bridges, area, candidates.
    Explain {
        /// The resident's municipality (世田谷区, 西東京市, 大垣市); else read from the question.
        #[arg(long)]
        area: Option<String>,
        /// The entry that should answer (its id, e.g. setagaya/haishoku-service, or its title):
        /// what keeps it from winning, and a change to its file that was tried and makes it the answer.
        #[arg(long)]
        want: Option<String>,
        /// The question.
        #[arg(required = true)]
        question: Vec<String>,
    },
    /// Write every entry of index/ to a CSV file for a spreadsheet (UTF-8 with BOM, one row each).
    ///
    /// Columns are the TOML keys (id, title, municipality, categories, …, source, verified). In the
    /// list columns (categories, aliases, keywords, questions) each item is on its own line inside
    /// the cell (Alt+Enter in Excel). See index/README.md, "CSV".
    Export {
        /// The CSV file to write.
        #[arg(long, value_name = "FILE")]
        csv: PathBuf,
    },
    /// Read an edited CSV back into index/: every row is checked as `index check` would, and
    /// nothing is written unless every row is good.
    ///
    /// Only entries whose content changed are rewritten; prints what was added, changed and
    /// removed. List cells hold one item per line. An entry of index/ that the CSV lacks is an
    /// error unless --allow-remove is given. See index/README.md, "CSV".
    Import {
        /// The CSV file to read (as written by `export --csv`, saved as "CSV UTF-8").
        #[arg(long, value_name = "FILE")]
        csv: PathBuf,
        /// Delete the entries of index/ that the CSV does not have.
        #[arg(long)]
        allow_remove: bool,
        /// Check and show what would change, but write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// How the bot served (for staff): questions, answered / unsure / crisis shares, 👍/👎 per
    /// entry, busiest hours (JST), and the entries not verified within freshness.max_age_months.
    ///
    /// Reads the bot's database; while `madoguchi run` holds it, use /stats in Telegram.
    Stats {
        /// The window, in days back from now.
        #[arg(long, default_value_t = staff::DEFAULT_STATS_DAYS, value_parser = clap::value_parser!(u32).range(1..=i64::from(staff::MAX_STATS_DAYS)))]
        days: u32,
        /// Print the numbers as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The questions the bot was unsure about and nobody marked handled, newest first, with
    /// personal data masked (for staff).
    ///
    /// Each is shown with its key; `--handled KEY` marks it handled so it is listed no more.
    Unanswered {
        /// How many to show.
        #[arg(short = 'n', long = "limit", default_value_t = staff::DEFAULT_UNANSWERED, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
        limit: usize,
        /// Mark the question with this key handled instead of listing.
        #[arg(long, value_name = "KEY")]
        handled: Option<String>,
        /// Print the list as JSON.
        #[arg(long, conflicts_with = "handled")]
        json: bool,
    },
    /// Work with the staff-edited answers in index/.
    Index {
        #[command(subcommand)]
        command: IndexCommand,
    },
}

#[derive(Subcommand)]
enum IndexCommand {
    /// Check index/, dialogs/ and config as serving would load them.
    Check,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Rust ignores SIGPIPE, so `madoguchi ask … | head` would panic on the closed pipe. The
    // printing commands take the default (end quietly, like any Unix tool); the bot keeps
    // ignoring it, since a closed socket must be an error it can handle, not its death.
    #[cfg(unix)]
    if !matches!(cli.command, Command::Run { .. } | Command::Web { .. }) {
        // SAFETY: called at start-up before any thread is spawned; only resets a disposition.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("madoguchi: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let must_exist = cli.config != Path::new("config.toml");
    let mut config = Config::load(&cli.config, must_exist)?;
    // Flag, then environment (clap reads both), then the file, then the default.
    let given = |value: Option<OsString>| value.filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = given(cli.cache_dir) {
        config.cache_dir = Some(dir);
    }
    if let Some(dir) = given(cli.data_dir) {
        config.data_dir = Some(dir);
    }
    let today = app::today();
    match cli.command {
        Command::Index { command: IndexCommand::Check } => Ok(index_check(&config, today)),
        Command::Ask { area, json, batch, question } => {
            let engine = app::open(&config, today)?;
            let area = known_area(&engine, area)?;
            if let Some(file) = batch {
                ask_batch(&engine, &file, area.as_deref())?;
            } else {
                let question = question.join(" ");
                let decision = engine.decide(&question, area.as_deref());
                if json {
                    println!("{}", serde_json::to_string(&output::json_answer(&decision, &engine))?);
                } else {
                    let reply = madoguchi::conversation::dialog::decision_reply(&decision, &engine);
                    println!("{}", madoguchi::conversation::reply::render_plain(&reply, engine.dialogs()));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { area, want, question } => {
            let engine = app::open(&config, today)?;
            let area = known_area(&engine, area)?;
            let want = match want {
                Some(name) => Some(engine.knowledge().entry_named(&name).with_context(|| {
                    format!("--want「{name}」という項目はありません。id(例: setagaya/haishoku-service)か正式名称で指定してください / no such entry")
                })?),
                None => None,
            };
            let decision = engine.decide(&question.join(" "), area.as_deref());
            let request = explain::Request {
                area: area.as_deref(),
                want,
                index_dir: &config.index_dir,
                want_usage: "--want 正しい項目の id を付けると",
            };
            println!("{}", explain::render(&decision, &engine, &request));
            Ok(ExitCode::SUCCESS)
        }
        Command::Export { csv } => {
            let count = spreadsheet::export(&config, &csv, today)?;
            println!("{count} 件の項目を {} に書き出しました", csv.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { csv, allow_remove, dry_run } => {
            let options = spreadsheet::ImportOptions { allow_remove, dry_run };
            let report = spreadsheet::import(&config, &csv, options, today)?;
            println!("{report}");
            Ok(if report.error_count() > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
        }
        Command::Chat => {
            let engine = app::open(&config, today)?;
            chat::run(&engine, std::io::stdin().is_terminal())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Run { api_url, reset_data } => {
            if let Some(url) = api_url.filter(|url| !url.trim().is_empty()) {
                config.telegram.api_url = Some(url);
            }
            madoguchi::channels::telegram::run(&config, reset_data, today)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Staff { command: StaffCommand::Add { name } } => {
            let password = read_password()?;
            madoguchi::channels::web::console::accounts::add(&cli.config, &name, &password)?;
            println!(
                "職員のアカウント「{name}」を {} に書きました。動いているサーバーは再起動すると使えます。",
                cli.config.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Web { listen } => {
            madoguchi::channels::web::run(&config, listen.as_deref(), today)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Stats { days, json } => {
            let Some(store) = open_records(&config)? else {
                return Ok(ExitCode::FAILURE);
            };
            let checked = app::check(&config, today);
            let dialogs = staff_dialogs(&config)?;
            if checked.knowledge.is_none() {
                eprintln!("index/ に読み込めない項目があるため、確認の古い項目は数えていません(madoguchi index check で確かめてください)");
            }
            let now = chrono::Utc::now();
            let records = store.records_since(now - chrono::Duration::days(i64::from(days)))?;
            let stats = staff::stats::compute(
                records.iter().map(|(_, r)| r),
                days,
                now,
                checked.knowledge.as_ref(),
                config.freshness.max_age_months,
            );
            if json {
                println!("{}", serde_json::to_string_pretty(&stats)?);
            } else {
                let reply = staff::stats_reply(&stats, &dialogs.texts.staff);
                println!("{}", madoguchi::conversation::reply::render_plain(&reply, &dialogs));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Unanswered { limit, handled, json } => {
            let Some(store) = open_records(&config)? else {
                return Ok(ExitCode::FAILURE);
            };
            let checked = app::check(&config, today);
            let dialogs = staff_dialogs(&config)?;
            let texts = &dialogs.texts.staff;
            if let Some(key) = handled {
                let Ok(reference) = key.parse::<RecordRef>() else {
                    eprintln!("「{key}」は質問の番号ではありません(madoguchi unanswered の「番号」を写してください)");
                    return Ok(ExitCode::FAILURE);
                };
                let review = store.mark_reviewed(reference, chrono::Utc::now())?;
                println!("{}", staff::review_text(review, texts));
                store.flush()?;
                return Ok(if review == madoguchi::serving::store::Review::NotFound {
                    ExitCode::FAILURE
                } else {
                    ExitCode::SUCCESS
                });
            }
            let all = staff::unanswered(&store, checked.knowledge.as_ref(), &texts.masks)?;
            if json {
                let shown = &all[..limit.min(all.len())];
                println!("{}", serde_json::to_string_pretty(shown)?);
            } else {
                let reply = staff::unanswered_reply(&all, limit, texts, staff::Keys::Printed);
                println!("{}", madoguchi::conversation::reply::render_plain(&reply, &dialogs));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval { file, json, min_top1 } => {
            let engine = app::open(&config, today)?;
            let cases = eval::read_cases(&file)?;
            let report = eval::evaluate(&cases, &engine);
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!("{report}");
            }
            let below = min_top1.is_some_and(|min| report.top1 < min);
            Ok(if below { ExitCode::FAILURE } else { ExitCode::SUCCESS })
        }
    }
}

/// The bot's store for a staff report, or `None` (after saying why) when no bot ever kept
/// its database there: a mistyped folder must not get a fresh, empty database.
fn open_records(config: &Config) -> anyhow::Result<Option<Store>> {
    let dir = config.effective_data_dir();
    if !Store::exists(&dir) {
        eprintln!(
            "{} にはボットの記録がありません。`madoguchi run` に渡したのと同じフォルダを --data-dir か MADOGUCHI_DATA_DIR で指定してください。",
            dir.display()
        );
        return Ok(None);
    }
    // Staff read this: Japanese first. A busy database is the running bot: say where to look.
    let store = match Store::open(&dir) {
        Ok(store) => store,
        Err(e @ madoguchi::serving::store::OpenError::Busy(_)) => {
            return Err(anyhow::Error::new(e).context(
                "ボットが動いている間は、記録は Telegram の /stats・/unanswered で見てください / \
                 while `madoguchi run` is running, use /stats and /unanswered in Telegram",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Some(store))
}

/// `dialogs/` for a staff report (loaded on its own: an error in index/ must not stop the
/// report); its errors are `index check`'s to show.
fn staff_dialogs(config: &Config) -> anyhow::Result<madoguchi::content::dialogs::Dialogs> {
    madoguchi::content::dialogs::load(&config.dialogs_dir)
        .0
        .context("dialogs/ にエラーがあります。madoguchi index check で直してください / dialogs/ has errors")
}

fn index_check(config: &Config, today: chrono::NaiveDate) -> ExitCode {
    let mut checked = app::check(config, today);
    // The crisis rules are read by the dictionary: compiled too, as serving will.
    if checked.error_count() == 0 {
        match app::dictionary_dir(config).and_then(|dir| Ok(madoguchi::japanese::dictionary::load(&dir)?)) {
            Ok(dictionary) => {
                let problems = app::check_crisis_rules(&checked, dictionary);
                checked.problems.extend(problems);
            }
            // Not silently passed: counted with the warnings, so a check that could not
            // compile the rules never reads as a clean one.
            Err(e) => checked.problems.push(
                madoguchi::content::Problem::warning(
                    &config.dialogs_dir.join(madoguchi::content::dialogs::CRISIS_FILE),
                    None,
                    format!("日本語辞書を読めないため、危険のサインのルールを確かめていません (管理者向けの詳細: {e:#})"),
                )
                .hint("ipadic_source(config.toml)と mecab-ipadic のインストールを確かめてから、もう一度 index check してください"),
            ),
        }
    }
    for problem in &checked.problems {
        println!("{problem}");
    }
    let errors = checked.error_count();
    let warnings = checked.problems.len() - errors;
    println!("{} 件の項目ファイルを確認しました: エラー {errors} 件、注意 {warnings} 件", checked.entry_files);
    if errors > 0 {
        println!("エラーを直すまで、この変更は使われません(いまの回答がそのまま使われます)。");
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// One JSON line per input line, flushed at once, so another program can drive it.
/// `--area` as the engine knows it (a municipality, or a district it places in one); one it
/// does not know is an error, never silently dropped.
fn known_area(engine: &madoguchi::answer::engine::Engine, area: Option<String>) -> anyhow::Result<Option<String>> {
    let Some(area) = area.filter(|a| !a.trim().is_empty()) else { return Ok(None) };
    match engine.resolve_area(&area) {
        Some(_) => Ok(Some(area)),
        None => {
            let names: Vec<&str> = engine.knowledge().places.municipalities.iter().map(|m| m.name.as_str()).collect();
            anyhow::bail!(
                "--area「{area}」はわかりません。次のどれか(またはその中の地名)にしてください: {} / unknown --area",
                names.join(" / ")
            )
        }
    }
}

fn ask_batch(engine: &Engine, file: &Path, default_area: Option<&str>) -> anyhow::Result<()> {
    let reader: Box<dyn BufRead> = if file == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(file).with_context(|| format!("{} を開けません / cannot open it", file.display()))?,
        ))
    };
    let mut out = std::io::stdout().lock();
    for line in reader.lines() {
        let line = line?;
        let (question, area) = batch_question(&line);
        let decision = engine.decide(&question, area.as_deref().or(default_area));
        serde_json::to_writer(&mut out, &output::json_answer(&decision, engine))?;
        out.write_all(b"\n")?;
        out.flush()?;
    }
    Ok(())
}

/// A batch line is `{"q": …, "area": …}` or plain text.
fn batch_question(line: &str) -> (String, Option<String>) {
    #[derive(serde::Deserialize)]
    struct Line {
        q: String,
        #[serde(default)]
        area: Option<String>,
    }
    match serde_json::from_str::<Line>(line) {
        Ok(parsed) => (parsed.q, parsed.area),
        Err(_) => (line.to_string(), None),
    }
}

/// The new password, typed twice without echo at a terminal, or one line of standard input
/// (a script's).
fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        let password = line.trim_end_matches(['\r', '\n']).to_string();
        anyhow::ensure!(
            password.chars().count() >= 10,
            "パスワードは10文字以上にしてください / the password needs 10 characters or more"
        );
        return Ok(password);
    }
    let first = prompt_hidden("パスワード: ")?;
    anyhow::ensure!(
        first.chars().count() >= 10,
        "パスワードは10文字以上にしてください / the password needs 10 characters or more"
    );
    let second = prompt_hidden("もう一度: ")?;
    anyhow::ensure!(first == second, "2回のパスワードが違います。何も書いていません / the passwords differ");
    Ok(first)
}

/// One line read with the terminal's echo off.
fn prompt_hidden(prompt: &str) -> anyhow::Result<String> {
    eprint!("{prompt}");
    std::io::stderr().flush()?;
    // SAFETY: termios calls on standard input's descriptor with a struct they fill.
    let mut saved: libc::termios = unsafe { std::mem::zeroed() };
    let have_terminal = unsafe { libc::tcgetattr(0, &mut saved) } == 0;
    if have_terminal {
        let mut quiet = saved;
        quiet.c_lflag &= !libc::ECHO;
        unsafe { libc::tcsetattr(0, libc::TCSANOW, &quiet) };
    }
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    if have_terminal {
        unsafe { libc::tcsetattr(0, libc::TCSANOW, &saved) };
    }
    eprintln!();
    read?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}
