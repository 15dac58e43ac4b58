//! Live reload in the bot: the triggers (a saved staff file, SIGHUP, the staff command
//! `/reload`) and the reports to staff. The reloading itself, and the guarantee that a broken
//! edit never replaces working answers, is [`crate::serving::live`].
//!
//! ```text
//!  watch::watch(index/, dialogs/) ─┐
//!  SIGHUP ─────────────────────────┼─► Reloads (a channel) ─► one task: takes every trigger
//!  /reload from a staff id ────────┘                          queued, runs ONE reload on a
//!                                                             blocking thread, then reports:
//!      log: one line, every problem with file:line ◄──────────┤
//!      the report task ◄───────────────────────────────────────┘
//!        └─► each chat that sent /reload, and [telegram] staff_chat
//! ```
//!
//! - Staff are the user ids in `[telegram] staff`. A `/reload` from anyone else never comes
//!   here: it goes on to the dialog like any unknown command, so it reveals nothing.
//! - Triggers that arrive while a reload runs wait in the channel and are then served together
//!   by one more reload, so a burst of saves, a SIGHUP and a `/reload` cost at most two builds.
//! - The texts are `[reload]` of `dialogs/texts.toml` from the engine serving after the reload:
//!   the new one when it was swapped in, else the old one (the new texts may be what is broken).
//! - A reload runs on tokio's blocking pool: the workers keep answering residents meanwhile.
//! - Reports are sent by a task of their own, so a staff chat Telegram holds back (20 messages
//!   a minute in a group, a 429 asking to wait) never holds up the next reload. Reports for a
//!   chat that pile up while one is being sent are folded into the newest: it says how the
//!   files stand now, and the log has every one.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use teloxide::Bot;
use tokio::sync::mpsc;

use super::{messages, register_commands, send_html, with_retry, Incoming, Shared};
use crate::answer::engine::Engine;
use crate::content::dialogs::template::fill;
use crate::content::dialogs::texts::ReloadTexts;
use crate::conversation::command::Command;
use crate::conversation::dialog::Input;
use crate::conversation::reply::Reply;
use crate::serving::live::{LiveEngine, Outcome, ReloadReport};
use crate::serving::watch;

/// Errors listed in a staff message at most; the rest are counted (the log has them all).
const MAX_LISTED: usize = 10;

/// Why a reload was asked for.
#[derive(Debug)]
pub(super) enum Trigger {
    /// These staff files were saved (or removed).
    Files(Vec<PathBuf>),
    /// SIGHUP.
    Signal,
    /// `/reload` from a staff member, in this chat.
    Command { chat: i64 },
}

/// Asks the reload task for a reload. Cheap to clone; never blocks.
#[derive(Clone)]
pub(super) struct Reloads {
    sender: mpsc::UnboundedSender<Trigger>,
}

impl Reloads {
    pub(super) fn channel() -> (Reloads, mpsc::UnboundedReceiver<Trigger>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (Reloads { sender }, receiver)
    }

    pub(super) fn request(&self, trigger: Trigger) {
        if let Err(e) = self.sender.send(trigger) {
            tracing::warn!("reload not started, the bot is stopping: {:?}", e.0);
        }
    }
}

/// Whether an update is the command `/reload` (who may use it is [`super::staff::StaffOptions::allows`]).
pub(super) fn is_reload(incoming: &Incoming) -> bool {
    matches!(&incoming.input, Input::Command { command: Command::Reload, .. }) && incoming.callback.is_none()
}

/// The triggers that run by themselves while the bot serves: the file watcher and SIGHUP.
/// Dropping it stops both.
pub(super) struct Triggers {
    _watch: Option<watch::Watch>,
    signal: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Triggers {
    fn drop(&mut self) {
        if let Some(task) = self.signal.take() {
            task.abort();
        }
    }
}

/// Starts watching the staff folders and listening for SIGHUP, if the engine can reload. Either
/// failing to start is logged and the bot goes on: the other triggers still work.
pub(super) fn start_triggers(live: &LiveEngine, reloads: &Reloads) -> Triggers {
    if !live.reloadable() {
        return Triggers { _watch: None, signal: None };
    }
    let dirs = live.watched_dirs();
    let on_change = {
        let reloads = reloads.clone();
        move |paths: Vec<PathBuf>| reloads.request(Trigger::Files(paths))
    };
    let watch = match watch::watch(&dirs, on_change) {
        Ok(watch) => {
            tracing::info!(dirs = ?dirs, "watching the staff files; a saved change is reloaded");
            Some(watch)
        }
        Err(e) => {
            tracing::warn!("not watching the staff files ({e:#}); SIGHUP and /reload still reload");
            None
        }
    };
    Triggers { _watch: watch, signal: sighup(reloads.clone()) }
}

#[cfg(unix)]
fn sighup(reloads: Reloads) -> Option<tokio::task::JoinHandle<()>> {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::hangup()) {
        Ok(mut hangups) => Some(tokio::spawn(async move {
            while hangups.recv().await.is_some() {
                tracing::info!("SIGHUP: reloading the staff files");
                reloads.request(Trigger::Signal);
            }
        })),
        Err(e) => {
            tracing::warn!("cannot listen for SIGHUP ({e}); file changes and /reload still reload");
            None
        }
    }
}

#[cfg(not(unix))]
fn sighup(_reloads: Reloads) -> Option<tokio::task::JoinHandle<()>> {
    None
}

/// A report waiting to be sent to a chat, in the words of the engine serving after its reload.
struct Report {
    chat: i64,
    text: String,
    engine: Arc<Engine>,
}

/// Puts a report in the queue, replacing one still waiting for the same chat (the newer says
/// how the files stand now).
fn fold(waiting: &mut Vec<Report>, report: Report) {
    match waiting.iter_mut().find(|r| r.chat == report.chat) {
        Some(older) => {
            tracing::info!(chat = report.chat, "a reload report not yet sent is replaced by a newer one");
            *older = report;
        }
        None => waiting.push(report),
    }
}

/// The report task: sends reports in order, folding those that pile up meanwhile.
async fn send_reports(mut reports: mpsc::UnboundedReceiver<Report>, shared: Arc<Shared>, bot: Bot) {
    let mut waiting: Vec<Report> = Vec::new();
    loop {
        if waiting.is_empty() {
            match reports.recv().await {
                Some(report) => waiting.push(report),
                None => return,
            }
        }
        while let Ok(more) = reports.try_recv() {
            fold(&mut waiting, more);
        }
        let report = waiting.remove(0);
        if let Err(e) = send(&bot, &shared, &report.engine, report.chat, &report.text).await {
            tracing::error!(chat = report.chat, "cannot send the reload report: {e:#}");
        }
    }
}

/// The reload task: runs until the channel closes (or the task is aborted at shutdown).
pub(super) async fn run(
    mut triggers: mpsc::UnboundedReceiver<Trigger>,
    shared: Arc<Shared>,
    bot: Bot,
    staff_chat: Option<i64>,
) {
    let (reports, queued) = mpsc::unbounded_channel();
    let sender = tokio::spawn(send_reports(queued, shared.clone(), bot.clone()));
    // The report task ends with this one (its channel closes, or both are aborted).
    struct AbortOnDrop(tokio::task::JoinHandle<()>);
    impl Drop for AbortOnDrop {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
    let _sender = AbortOnDrop(sender);
    while let Some(first) = triggers.recv().await {
        let mut batch = vec![first];
        while let Ok(more) = triggers.try_recv() {
            batch.push(more);
        }
        let before = shared.engine.current();
        let live = shared.engine.clone();
        let report = match tokio::task::spawn_blocking(move || live.reload()).await {
            Ok(report) => report,
            // `reload` catches the build's panics; this is the blocking pool refusing the task.
            Err(e) => {
                let reason = format!("the reload task failed: {e}");
                ReloadReport { outcome: Outcome::Failed { reason }, took: Default::default() }
            }
        };
        log(&report, &batch);
        let after = shared.engine.current();
        let text = render(&report, &after.dialogs().texts.reload, |path| shared.engine.shown_path(path));

        // Each chat that asked, then the staff chat; once each (staff may /reload from there).
        let mut chats: Vec<i64> = Vec::new();
        let asked = batch.iter().filter_map(|t| match t {
            Trigger::Command { chat } => Some(*chat),
            _ => None,
        });
        for chat in asked.chain(staff_chat) {
            if !chats.contains(&chat) {
                chats.push(chat);
            }
        }
        for chat in chats {
            let _ = reports.send(Report { chat, text: text.clone(), engine: after.clone() });
        }
        if report.swapped() && commands_changed(&before, &after) {
            register_commands(&bot, &after, &shared.retry).await;
        }
    }
}

fn log(report: &ReloadReport, batch: &[Trigger]) {
    let why: Vec<String> = batch
        .iter()
        .map(|t| match t {
            Trigger::Files(paths) => {
                format!("saved {}", paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))
            }
            Trigger::Signal => "SIGHUP".to_string(),
            Trigger::Command { chat } => format!("/reload in chat {chat}"),
        })
        .collect();
    let why = why.join("; ");
    // The trigger first: a rejection's problems follow on lines of their own.
    match &report.outcome {
        Outcome::Swapped { .. } => tracing::info!("[{why}] {report}"),
        Outcome::Rejected { .. } | Outcome::Failed { .. } => tracing::error!("[{why}] {report}"),
    }
}

/// The staff message for a report: the result, and for a rejected edit every error (up to
/// [`MAX_LISTED`]) as `index/…/file.toml:line: what is wrong` with how to fix it.
fn render(report: &ReloadReport, texts: &ReloadTexts, shown_path: impl Fn(&Path) -> String) -> String {
    match &report.outcome {
        Outcome::Swapped { entries, warnings } => {
            let seconds = format!("{:.1}", report.took.as_secs_f64());
            let mut text = fill(&texts.done, &[("entries", &entries.to_string()), ("seconds", &seconds)]);
            if !warnings.is_empty() {
                text.push('\n');
                text.push_str(&fill(&texts.warnings, &[("count", &warnings.len().to_string())]));
            }
            text
        }
        Outcome::Rejected { errors } => {
            let mut text = fill(&texts.rejected, &[("count", &errors.len().to_string())]);
            text.push('\n');
            for problem in errors.iter().take(MAX_LISTED) {
                text.push_str("\n・");
                text.push_str(&shown_path(&problem.file));
                if let Some(line) = problem.line {
                    text.push_str(&format!(":{line}"));
                }
                text.push_str(&format!(": {}", problem.message));
                if let Some(hint) = &problem.hint {
                    text.push_str(&format!("\n  → {hint}"));
                }
            }
            if errors.len() > MAX_LISTED {
                text.push_str("\n\n");
                text.push_str(&fill(&texts.more, &[("count", &(errors.len() - MAX_LISTED).to_string())]));
            }
            text
        }
        Outcome::Failed { .. } => texts.failed.clone(),
    }
}

fn commands_changed(before: &Engine, after: &Engine) -> bool {
    let descriptions = |engine: &Engine| {
        let texts = &engine.dialogs().texts;
        Command::RESIDENT
            .iter()
            .chain(Command::STAFF.iter())
            .map(|c| c.description(texts).map(str::to_string))
            .collect::<Vec<_>>()
    };
    descriptions(before) != descriptions(after)
}

/// Sends a plain text (escaped, split at Telegram's limit) with the bot's rate limits and retries.
async fn send(bot: &Bot, shared: &Shared, engine: &Engine, chat: i64, text: &str) -> anyhow::Result<()> {
    send_reply(bot, shared, engine, chat, &Reply::text(text)).await
}

/// Sends a reply of the bot's own (a report, a summary: no update to answer) to a chat, split
/// at Telegram's limit, with the bot's rate limits and retries. Buttons are not sent.
pub(super) async fn send_reply(
    bot: &Bot,
    shared: &Shared,
    engine: &Engine,
    chat: i64,
    reply: &Reply,
) -> anyhow::Result<()> {
    for message in messages(reply, engine.dialogs()) {
        shared.limiter.acquire(chat).await;
        with_retry("sendMessage", &shared.retry, || send_html(bot, chat, &message.html, None))
            .await
            .context("sendMessage")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::Problem;
    use std::time::Duration;

    fn as_is(path: &Path) -> String {
        path.display().to_string()
    }

    fn texts() -> ReloadTexts {
        ReloadTexts {
            done: "ok {entries} {seconds}".into(),
            warnings: "warn {count}".into(),
            rejected: "rejected {count}".into(),
            more: "more {count}".into(),
            failed: "failed".into(),
        }
    }

    #[test]
    fn a_rejection_lists_each_error_with_file_and_line_and_counts_the_rest() {
        let errors: Vec<Problem> = (1..=12)
            .map(|n| {
                Problem::error(Path::new("/srv/index/setagaya/a.toml"), Some(n), format!("誤り{n}")).hint("直し方")
            })
            .collect();
        let report = ReloadReport { outcome: Outcome::Rejected { errors }, took: Duration::from_millis(5) };
        let text = render(&report, &texts(), as_is);
        assert!(text.starts_with("rejected 12\n"), "{text}");
        assert!(text.contains("・/srv/index/setagaya/a.toml:1: 誤り1\n  → 直し方"), "{text}");
        assert!(text.contains(":10: 誤り10"), "{text}");
        assert!(!text.contains(":11: "), "{text}");
        assert!(text.ends_with("more 2"), "{text}");
    }

    #[test]
    fn success_says_how_many_entries_and_how_long() {
        let report = ReloadReport {
            outcome: Outcome::Swapped { entries: 66, warnings: Vec::new() },
            took: Duration::from_millis(420),
        };
        assert_eq!(render(&report, &texts(), as_is), "ok 66 0.4");
        let warnings = vec![Problem::warning(Path::new("a.toml"), None, "古い")];
        let report =
            ReloadReport { outcome: Outcome::Swapped { entries: 66, warnings }, took: Duration::from_millis(420) };
        assert_eq!(render(&report, &texts(), as_is), "ok 66 0.4\nwarn 1");
    }
}
