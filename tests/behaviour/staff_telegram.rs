//! Staff commands end to end: the real `madoguchi run` against the fake Bot API
//! (tests/support/fake_bot_api.rs), with `[telegram] staff = [STAFF]` in a config of its own. A staff id
//! gets `/stats`, `/unanswered` (masked, with working handled buttons) and `/test`; anyone
//! else sending the same gets exactly the resident behaviour and no staff data.

use crate::bot_process;
use crate::common;
use crate::fake_bot_api;

use crate::bot_process::{buttons, dialogs, text_of, wait_messages, RunningBot};
use crate::fake_bot_api::FakeBotApi;
use chrono::{Duration, Utc};
use madoguchi::answer::decision::Kind;
use madoguchi::conversation::dialog::Event;
use madoguchi::conversation::reply::escape_html;
use madoguchi::serving::store::Store;

/// The staff member's Telegram user id (and so their private chat's id).
const STAFF: i64 = 777;
/// A fallback question holding a phone number and an e-mail address.
const UNSURE_QUESTION: &str = "明日の天気を教えて。電話は090-1234-5678、メールはtaro@example.jpです";

/// `madoguchi run` with staff configured, in a folder of its own (kept while the bot runs).
fn start_staff_bot(fake: &FakeBotApi) -> (RunningBot, tempfile::TempDir) {
    let dir = staff_bot_dir("");
    (
        RunningBot::start_with(
            fake,
            &dir.path().join("data"),
            &dir.path().join("config.toml"),
            Some(fake_bot_api::TOKEN),
        ),
        dir,
    )
}

/// A folder with a config.toml naming the made-up index of tests/fixtures/town and the repository's dialogs/, `[telegram] staff =
/// [STAFF]` and `telegram_extra` (more `[telegram]` lines); the bot's data goes in `data/`.
fn staff_bot_dir(telegram_extra: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("staff-bot").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "index_dir = {:?}\ndialogs_dir = {:?}\n\n[telegram]\nstaff = [{STAFF}]\n{telegram_extra}\n",
            common::repo().join("tests/fixtures/town/index").display().to_string(),
            common::repo().join("dialogs").display().to_string(),
        ),
    )
    .unwrap();
    dir
}

/// What a resident's message would get, for comparison: the help text of an unknown command.
fn help() -> String {
    escape_html(dialogs().texts.help.trim_start())
}

#[test]
fn staff_get_stats_unanswered_with_handled_buttons_and_test() {
    let fake = FakeBotApi::start();
    let (bot, _dir) = start_staff_bot(&fake);
    let staff = &dialogs().texts.staff;

    // Residents first: an unsure question holding personal data, and an answer marked 違った.
    let resident = 5001;
    fake.text(resident, UNSURE_QUESTION);
    wait_messages(&fake, &bot, resident, 1);
    fake.text(resident, "子どもをちょっと預かってもらえるところってある?川辺");
    wait_messages(&fake, &bot, resident, 2);
    fake.press(resident, "fb-:kawabe/ichiji-azukari");
    wait_messages(&fake, &bot, resident, 3);

    // /stats (addressed to this bot by name, with a window).
    fake.text(STAFF, &format!("/stats@{} 30", fake_bot_api::BOT_USERNAME));
    let sent = wait_messages(&fake, &bot, STAFF, 1);
    let stats = text_of(&sent[0]);
    assert!(stats.contains("過去 30 日の記録"), "{stats}");
    assert!(stats.contains("質問: 2 件"), "{stats}");
    assert!(stats.contains("答えた 50% / 自信なし 50% / 危険のサイン 0%"), "{stats}");
    assert!(stats.contains("一時預かり(kawabe/ichiji-azukari) 👍 0 / 👎 1"), "{stats}");
    assert!(stats.contains(&escape_html(&staff.stats_hours_title)), "{stats}");
    assert!(!stats.contains("090-1234-5678"), "{stats}");

    // /unanswered: the unsure question only, masked, with a button to mark it handled.
    fake.text(STAFF, "/unanswered");
    let sent = wait_messages(&fake, &bot, STAFF, 2);
    let list = text_of(&sent[1]);
    assert!(list.contains("明日の天気を教えて。電話は[電話番号]、メールは[メール]です"), "{list}");
    for secret in ["090-1234-5678", "1234", "taro@example.jp"] {
        assert!(!list.contains(secret), "{secret} shown to staff:\n{list}");
    }
    // The answered question is listed only because its resident pressed 違った.
    let wrong = list.find("預かって").unwrap_or_else(|| panic!("違った is for staff to review:\n{list}"));
    assert!(list[wrong..].contains("住民が「違った」を押しました"), "{list}");
    let handled: Vec<(String, String)> = buttons(&sent[1]);
    assert_eq!(handled.len(), 2, "one button per question: {handled:?}");
    let (label, data) = &handled[0];
    assert_eq!(label, &staff.handled_button.replace("{n}", "1"));
    assert!(data.starts_with("st:ok:") && data.len() <= 64, "{data}");

    // Pressing it marks the question handled; it is listed no more, and its button leaves the list.
    let (_, callback) = fake.press_on(STAFF, data, &sent[1], 42);
    let sent = wait_messages(&fake, &bot, STAFF, 3);
    assert_eq!(text_of(&sent[2]), escape_html(&staff.handled_done));
    assert!(
        fake.wait_for(bot_process::REPLY_WAIT, |state| !state.calls_to("editMessageReplyMarkup").is_empty()),
        "the pressed button is taken off the list"
    );
    let edits: Vec<serde_json::Value> =
        fake.state().calls_to("editMessageReplyMarkup").iter().map(|c| c.body.clone()).collect();
    assert_eq!(edits.len(), 1, "{edits:?}");
    assert_eq!((edits[0]["chat_id"].as_i64(), edits[0]["message_id"].as_i64()), (Some(STAFF), Some(42)));
    let left = &edits[0]["reply_markup"]["inline_keyboard"];
    assert_eq!(left.as_array().map(Vec::len), Some(1), "the other question's button stays: {left}");
    assert_eq!(left[0][0]["callback_data"], handled[1].1.as_str(), "{left}");
    assert!(fake
        .state()
        .calls_to("answerCallbackQuery")
        .iter()
        .any(|c| c.body["callback_query_id"] == callback.as_str()));
    fake.press(STAFF, data);
    let sent = wait_messages(&fake, &bot, STAFF, 4);
    assert_eq!(text_of(&sent[3]), escape_html(&staff.handled_already));
    fake.text(STAFF, "/unanswered 5");
    let sent = wait_messages(&fake, &bot, STAFF, 5);
    let list = text_of(&sent[4]);
    assert!(!list.contains("預かって") && list.contains("明日の天気"), "only the other one is left:\n{list}");

    // /test: the explanation (decision, candidates with scores, matched words, area).
    fake.text(STAFF, "/test 山里に住んでます。認知症の母の物忘れがひどくなってきた");
    let sent = wait_messages(&fake, &bot, STAFF, 6);
    let explained = text_of(&sent[5]);
    for part in [
        "判定: 答え(answer)",
        "自治体: 山里町(メッセージの地名から)",
        "確かさ 0.",
        "一致した言葉:",
        "言い換えで足した言葉",
    ] {
        assert!(explained.contains(part), "{part} missing:\n{explained}");
    }
    // Bad arguments give the usage, not an error.
    fake.text(STAFF, "/stats いっぱい");
    let sent = wait_messages(&fake, &bot, STAFF, 7);
    assert_eq!(text_of(&sent[6]), escape_html(staff.usage.trim_start()));

    // Staff questions are not residents' questions: still two in the records.
    fake.text(STAFF, "/stats");
    let sent = wait_messages(&fake, &bot, STAFF, 8);
    assert!(text_of(&sent[7]).contains("質問: 2 件"), "{}", text_of(&sent[7]));

    // The public command list is the residents'; the staff list is registered for the staff
    // chat only.
    let state = fake.state();
    let registrations = state.calls_to("setMyCommands");
    let names = |call: &fake_bot_api::Call| -> Vec<String> {
        call.body["commands"].as_array().unwrap().iter().map(|c| c["command"].as_str().unwrap().to_string()).collect()
    };
    let public: Vec<_> = registrations.iter().filter(|c| c.body.get("scope").is_none()).collect();
    assert_eq!(public.len(), 1);
    assert!(
        !names(public[0]).iter().any(|n| ["stats", "unanswered", "test"].contains(&n.as_str())),
        "{:?}",
        names(public[0])
    );
    let scoped: Vec<_> = registrations.iter().filter(|c| c.body.get("scope").is_some()).collect();
    assert_eq!(scoped.len(), 1);
    assert_eq!(scoped[0].body["scope"], serde_json::json!({"type": "chat", "chat_id": STAFF}));
    assert!(["start", "help", "stats", "unanswered", "test"].iter().all(|n| names(scoped[0]).contains(&n.to_string())));
    drop(state);

    // /test with the entry that should answer first: what kept it back, and the change tried.
    fake.text(STAFF, "/test kawabe/ichiji-azukari うちの子の夜泣きがひどくて、もうくたくたです");
    let sent = wait_messages(&fake, &bot, STAFF, 9);
    let explained: String = sent[8..].iter().map(text_of).collect();
    for part in [
        "正しい答えとして指定された項目: 一時預かり(川辺市) kawabe/ichiji-azukari",
        "ichiji-azukari.toml に次を足すと、答えが「一時預かり」になります",
        "questions に: &quot;うちの子の夜泣きがひどくて、もうくたくたです&quot;",
    ] {
        assert!(explained.contains(part), "{part} missing:\n{explained}");
    }
}

#[test]
fn staff_commands_from_anyone_else_get_the_resident_behaviour() {
    let fake = FakeBotApi::start();
    let (bot, _dir) = start_staff_bot(&fake);
    // Data a leak would show.
    let resident = 6001;
    fake.text(resident, UNSURE_QUESTION);
    wait_messages(&fake, &bot, resident, 1);

    let outsider = 6002;
    for command in ["/stats", "/stats 30", "/unanswered", "/unanswered 5", "/test 母のもの忘れ"] {
        fake.text(outsider, command);
    }
    // A handled button a resident could forge.
    fake.press(outsider, "st:ok:1");
    fake.text(outsider, "/nosuchcommand");
    let sent = wait_messages(&fake, &bot, outsider, 7);
    let texts: Vec<&str> = sent.iter().map(text_of).collect();
    assert!(texts[..5].iter().all(|t| *t == help()), "every staff command is an unknown command: {texts:#?}");
    assert_eq!(texts[5], escape_html(&dialogs().texts.expired), "the forged button is an old button");
    assert_eq!(texts[6], help(), "the same as any unknown command");
    assert!(sent.iter().all(|m| buttons(m).iter().all(|(_, data)| !data.starts_with("st:"))));

    // The staff member in a group that is not `staff_chat`: resident behaviour too, so the
    // residents in the group see nothing.
    let group = -6100;
    fake.group_text(group, STAFF, "/unanswered");
    fake.group_text(group, STAFF, "/stats");
    let sent = wait_messages(&fake, &bot, group, 2);
    assert!(sent.iter().all(|m| text_of(m) == help()), "{sent:#?}");

    let state = fake.state();
    for message in state.calls_to("sendMessage").iter().filter(|c| c.body["chat_id"].as_i64() != Some(resident)) {
        let text = message.body["text"].as_str().unwrap_or_default();
        assert!(
            !text.contains("明日の天気") && !text.contains("[電話番号]") && !text.contains("質問: "),
            "staff data leaked: {text}"
        );
    }
    drop(state);
    assert!(!bot.log_text().contains("staff command"), "{}", bot.log_text());
}

#[test]
fn the_daily_summary_goes_to_the_staff_chat_once_a_day() {
    const STAFF_CHAT: i64 = -100_777;
    // "00:00": whenever the test runs, today's summary time has passed, so it is owed at start.
    let dir = staff_bot_dir(&format!("staff_chat = {STAFF_CHAT}\ndaily_summary = \"00:00\""));
    let (config, data) = (dir.path().join("config.toml"), dir.path().join("data"));
    // What an earlier run left: an answer and an unsure question holding a phone number.
    {
        let store = Store::open(&data).unwrap();
        let chat = store.chat_key(5003);
        let now = Utc::now();
        let asked = |question: &str, kind, entry: Option<&str>| Event::Asked {
            question: question.into(),
            kind,
            entry: entry.map(Into::into),
            score: Some(0.5),
            area: Some("川辺市".into()),
        };
        store
            .apply(
                &chat,
                &[asked("子どもを預かってほしい", Kind::Answer, Some("kawabe/ichiji-azukari"))],
                now - Duration::hours(2),
            )
            .unwrap();
        store
            .apply(&chat, &[asked("明日の天気は?090-1234-5678", Kind::Fallback, None)], now - Duration::hours(1))
            .unwrap();
        store.flush().unwrap();
    }
    let staff = &dialogs().texts.staff;
    let japan_date = || (Utc::now() + Duration::hours(9)).date_naive().format("%Y-%m-%d").to_string();
    let before = japan_date();

    let fake = FakeBotApi::start();
    let bot = RunningBot::start_with(&fake, &data, &config, Some(fake_bot_api::TOKEN));
    let sent = wait_messages(&fake, &bot, STAFF_CHAT, 1);
    let summary = text_of(&sent[0]);
    // Dated the day it was posted, in Japan (a run across midnight there may see either date).
    let titled = |date: &str| summary.starts_with(&escape_html(&staff.summary_title.replace("{date}", date)));
    assert!(titled(&before) || titled(&japan_date()), "{summary}");
    for part in [
        "過去 1 日の記録",
        "質問: 2 件",
        "答えた 50% / 自信なし 50%",
        &staff.summary_unanswered.replace("{count}", "1"),
    ] {
        assert!(summary.contains(&escape_html(part)), "{part} missing:\n{summary}");
    }
    assert!(
        !summary.contains("090-1234-5678") && !summary.contains("明日の天気"),
        "questions are not in the summary:\n{summary}"
    );
    // A resident's question after the summary: it was posted once, not once per update.
    fake.text(5004, "母のもの忘れがひどくなってきた");
    wait_messages(&fake, &bot, 5004, 1);
    let (exit, _) = bot.stop();
    assert!(exit.success());

    // Restarted the same day: the summary was posted already, so none comes.
    let bot = RunningBot::start_with(&fake, &data, &config, Some(fake_bot_api::TOKEN));
    fake.text(5004, "電球も替えられなくて困ってる");
    wait_messages(&fake, &bot, 5004, 2);
    assert_eq!(fake.state().sent_to(STAFF_CHAT).len(), 1, "the summary is posted once a day");
    assert!(bot.log_text().contains("daily summary goes to the staff chat"), "{}", bot.log_text());
}

/// Telegram counts its 4,096 in UTF-16 units: a /test of 2,030 emoji and /unanswered over
/// emoji-heavy questions are sent whole, in pieces the fake Bot API (as strict as Telegram)
/// accepts.
#[test]
fn emoji_heavy_staff_replies_fit_telegram_limit_in_utf16_units() {
    let fake = FakeBotApi::start();
    let (bot, _dir) = start_staff_bot(&fake);
    let emoji = "😭".repeat(1_300);
    for (i, resident) in [6001, 6002, 6003].into_iter().enumerate() {
        // Words among the emoji: emoji alone are small talk, not a question for staff.
        fake.text(resident, &format!("{emoji}{i}どうしよう🙏🙏"));
        wait_messages(&fake, &bot, resident, 1);
    }
    fake.text(STAFF, "/unanswered 5");
    let before = wait_messages(&fake, &bot, STAFF, 2).len();
    fake.text(STAFF, &format!("/test {}", "😭".repeat(2_030)));
    let sent = wait_messages(&fake, &bot, STAFF, before + 2);
    let state = fake.state();
    assert!(state.refused.is_empty(), "{:#?}", state.refused);
    let staff_units: Vec<usize> = state.sent_to(STAFF).iter().map(|m| text_of(m).encode_utf16().count()).collect();
    assert!(staff_units.iter().all(|&u| u <= 4096), "{staff_units:?}");
    // The explanation shows the question whole, over more than one message if need be.
    let tested: usize = sent[before..].iter().map(|m| text_of(m).matches('😭').count()).sum();
    assert!(tested >= 2_030, "{tested} emoji of 2,030 in /test's reply: {staff_units:?}");
}
