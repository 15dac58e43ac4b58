//! The Telegram bot end to end: the real `madoguchi run` binary against a fake Bot API on
//! 127.0.0.1 (tests/support/fake_bot_api.rs), checked by what a resident would see. No token, no network
//! beyond loopback; every wait has a deadline.

use crate::common;
use crate::fake_bot_api;

use std::time::Duration;

use crate::bot_process::{buttons, dialogs, text_of, wait_messages, RunningBot, REPLY_WAIT};
use crate::fake_bot_api::{FakeBotApi, State};
use madoguchi::conversation::command::Command;
use madoguchi::conversation::reply::escape_html;
use madoguchi::serving::store::Store;
use serde_json::Value;

/// Telegram's HTML parse mode accepts it: only `<b>` and `<a href>`, balanced; every `&` an
/// entity; no stray `<` or `>`.
fn assert_telegram_html(text: &str) {
    let mut open: Vec<&str> = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(['<', '>', '&']) {
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix('&') {
            assert!(["amp;", "lt;", "gt;", "quot;"].iter().any(|e| after.starts_with(e)), "help: a bare & in {text:?}");
            rest = after;
            continue;
        }
        assert!(tail.starts_with('<'), "help: a bare > in {text:?}");
        let end = tail.find('>').unwrap_or_else(|| panic!("help: an unclosed tag in {text:?}"));
        let tag = &tail[1..end];
        match tag {
            "b" => open.push("b"),
            "/b" | "/a" => assert_eq!(open.pop(), Some(&tag[1..]), "help: unbalanced tags in {text:?}"),
            _ if tag.starts_with("a href=\"") && tag.ends_with('"') && !tag[8..tag.len() - 1].contains('"') => {
                open.push("a")
            }
            _ => panic!("help: tag <{tag}> is not allowed in {text:?}"),
        }
        rest = &tail[end + 1..];
    }
    assert!(open.is_empty(), "help: unclosed tags {open:?} in {text:?}");
}

fn data_dir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("bot-data").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

fn area_button_labels() -> Vec<String> {
    let mut labels: Vec<String> = madoguchi::app::check(&common::fixture_config(), madoguchi::app::today())
        .knowledge
        .expect("index/ loads")
        .places
        .municipalities
        .iter()
        .map(|m| m.name.clone())
        .collect();
    labels.push(dialogs().texts.area_unknown_button.clone());
    labels
}

#[test]
fn start_greets_offers_the_areas_and_registers_commands() {
    let fake = FakeBotApi::start();
    let data = data_dir();
    let bot = RunningBot::start(&fake, data.path());
    let chat = 1001;
    fake.text(chat, "/start");
    let sent = wait_messages(&fake, &bot, chat, 2);
    assert_eq!(text_of(&sent[0]), escape_html(dialogs().texts.greeting.trim_start()).trim_start());
    assert_eq!(sent[0]["parse_mode"], "HTML");
    let labels: Vec<String> = buttons(&sent[1]).into_iter().map(|(label, _)| label).collect();
    assert_eq!(labels, area_button_labels());
    assert!(labels.iter().any(|l| l == "川辺市") && labels.iter().any(|l| *l == dialogs().texts.area_unknown_button));

    // The area is remembered: a question without a place is answered within it.
    let (_, callback) = fake.press(chat, "area:山里町");
    let sent = wait_messages(&fake, &bot, chat, 3);
    assert!(text_of(&sent[2]).contains("山里町"), "{}", text_of(&sent[2]));
    assert!(fake
        .state()
        .calls_to("answerCallbackQuery")
        .iter()
        .any(|c| c.body["callback_query_id"] == callback.as_str()));

    // A deep link opens its category.
    fake.text(chat + 1, "/start kosodate");
    let sent = wait_messages(&fake, &bot, chat + 1, 2);
    assert!(buttons(&sent[1]).iter().all(|(_, data)| data.starts_with("e:")), "{:?}", buttons(&sent[1]));
    assert!(!buttons(&sent[1]).is_empty());

    let state = fake.state();
    let commands = state.calls_to("setMyCommands");
    assert_eq!(commands.len(), 1);
    let registered: Vec<(String, String)> = commands[0].body["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["command"].as_str().unwrap().to_string(), c["description"].as_str().unwrap().to_string()))
        .collect();
    let expected: Vec<(String, String)> = Command::RESIDENT
        .iter()
        .map(|c| (c.to_string(), c.description(&dialogs().texts).unwrap().to_string()))
        .collect();
    assert_eq!(registered, expected);
    assert!(registered.iter().any(|(c, _)| c == "forget"));
}

#[test]
fn a_question_is_answered_with_the_right_card_in_escaped_html() {
    let fake = FakeBotApi::start();
    let data = data_dir();
    let bot = RunningBot::start(&fake, data.path());
    let chat = 2001;
    fake.text(chat, "子どもをちょっと預かってもらえるところってある?川辺です <b>&");
    let sent = wait_messages(&fake, &bot, chat, 1);
    let card = text_of(&sent[0]);
    assert_eq!(sent[0]["parse_mode"], "HTML");
    assert!(card.contains("<b>一時預かり(川辺市)</b>"), "{card}");
    assert!(card.contains(&escape_html(&dialogs().texts.card.verified)), "{card}");
    assert!(!card.contains("<b>&"), "the resident's words are never echoed raw");
    assert_telegram_html(card);
    let labels = &dialogs().texts.buttons;
    let got = buttons(&sent[0]);
    for (label, data) in [
        (&labels.helpful, "fb+:kawabe/ichiji-azukari"),
        (&labels.not_helpful, "fb-:kawabe/ichiji-azukari"),
        (&labels.general_window, "gw"),
    ] {
        assert!(got.contains(&(label.clone(), data.to_string())), "{label} {data} in {got:?}");
    }
    assert_eq!(sent.len(), 1);
    drop(bot);
}

#[test]
fn buttons_are_answered_and_feedback_is_stored() {
    let fake = FakeBotApi::start();
    let data = data_dir();
    let bot = RunningBot::start(&fake, data.path());
    let chat = 3001;
    fake.text(chat, "子どもをちょっと預かってもらえるところってある?川辺");
    wait_messages(&fake, &bot, chat, 1);
    let (_, helpful) = fake.press(chat, "fb+:kawabe/ichiji-azukari");
    let sent = wait_messages(&fake, &bot, chat, 2);
    assert_eq!(text_of(&sent[1]), escape_html(&dialogs().texts.feedback_thanks));
    // A button from a message whose entry no longer exists: answered politely.
    let (_, stale) = fake.press(chat, "e:kawabe/removed-long-ago");
    let sent = wait_messages(&fake, &bot, chat, 3);
    assert_eq!(text_of(&sent[2]), escape_html(&dialogs().texts.expired));
    {
        let state = fake.state();
        let answered: Vec<&str> =
            state.calls_to("answerCallbackQuery").iter().filter_map(|c| c.body["callback_query_id"].as_str()).collect();
        assert_eq!(answered, [helpful.as_str(), stale.as_str()], "every press answered, once");
    }
    let (exit, took) = bot.stop();
    assert!(exit.success(), "{exit:?}");
    assert!(took < Duration::from_secs(5), "stopped in {took:?}");

    // sled was flushed: the record is there after the stop, with the feedback.
    let store = Store::open(data.path()).unwrap();
    let records = store.records_of(&store.chat_key(chat)).unwrap();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].kind, "answer");
    assert_eq!(records[0].entry.as_deref(), Some("kawabe/ichiji-azukari"));
    assert_eq!(records[0].helpful, Some(true));
    assert!(records[0].score.is_some_and(|s| s > 0.0));
    assert!(records[0].question.as_deref().is_some_and(|q| q.contains("預かって")));
}

#[test]
fn feedback_counts_only_for_a_card_given_in_that_chat_and_once() {
    let fake = FakeBotApi::start();
    let data = data_dir();
    let bot = RunningBot::start(&fake, data.path());
    let chat = 3101;
    fake.text(chat, "子どもをちょっと預かってもらえるところってある?川辺");
    let answer = wait_messages(&fake, &bot, chat, 1);
    let (_, shown) =
        buttons(&answer[0]).into_iter().find(|(_, data)| data.starts_with("fb-:")).expect("feedback buttons");
    // Forged presses for a card this chat never got, and the real button pressed 3 times
    // (15 replies: inside Telegram's 20 a minute for one chat).
    for _ in 0..12 {
        fake.press(chat, "fb-:yamazato/ninchisho-cafe");
    }
    for _ in 0..3 {
        fake.press(chat, &shown);
    }
    wait_messages(&fake, &bot, chat, 16);
    let (exit, _) = bot.stop();
    assert!(exit.success());
    let store = Store::open(data.path()).unwrap();
    let records = store.records_of(&store.chat_key(chat)).unwrap();
    assert_eq!(records.len(), 1, "no feedback record of its own for a card never given: {records:?}");
    assert_eq!(records[0].helpful, Some(false));
    let rated: Vec<_> = store.all_records().unwrap().into_iter().filter(|r| r.helpful.is_some()).collect();
    assert_eq!(rated.len(), 1, "{rated:?}");
}

#[test]
fn captions_anonymous_admins_and_edited_messages_are_answered() {
    let fake = FakeBotApi::start();
    let data = data_dir();
    let bot = RunningBot::start(&fake, data.path());
    fake.photo_with_caption(3201, "子どもをちょっと預かってもらえるところってある?川辺");
    let sent = wait_messages(&fake, &bot, 3201, 1);
    assert!(text_of(&sent[0]).contains("<b>"), "a card for the caption: {}", text_of(&sent[0]));
    fake.anonymous_admin_text(-100_3202, &format!("@{} 母のもの忘れがひどくなってきた", fake_bot_api::BOT_USERNAME));
    let sent = wait_messages(&fake, &bot, -100_3202, 1);
    assert_ne!(text_of(&sent[0]), escape_html(&dialogs().texts.ask_in_words));
    fake.text(3203, "こんにちは");
    wait_messages(&fake, &bot, 3203, 1);
    fake.edited_text(3203, "母のもの忘れがひどくなってきた");
    // The greeting's reply, the answer to the new wording, then the note.
    let sent = wait_messages(&fake, &bot, 3203, 3);
    assert!(text_of(&sent[1]).contains("認知症カフェ"), "{}", text_of(&sent[1]));
    assert_eq!(text_of(&sent[2]), escape_html(&dialogs().texts.edited_note), "the answer, then the note");
    drop(bot);
}

#[test]
fn stickers_get_a_polite_reply_in_words() {
    let fake = FakeBotApi::start();
    let data = data_dir();
    let bot = RunningBot::start(&fake, data.path());
    fake.sticker(4001);
    let sent = wait_messages(&fake, &bot, 4001, 1);
    assert_eq!(text_of(&sent[0]), escape_html(&dialogs().texts.ask_in_words));
}

#[test]
fn a_crisis_message_gets_the_emergency_contacts_first() {
    let fake = FakeBotApi::start();
    let data = data_dir();
    let bot = RunningBot::start(&fake, data.path());
    let chat = 5001;
    fake.text(chat, "もう死にたい");
    let sent = wait_messages(&fake, &bot, chat, 1);
    let first = text_of(&sent[0]);
    let suicidal =
        dialogs().crisis.kind.iter().map(|k| k.get_ref()).find(|k| k.id == "suicidal").expect("a suicidal kind");
    assert!(first.starts_with(&escape_html(&suicidal.intro)), "{first}");
    // A plain number: Telegram takes no tel: links, and its apps make a number in the text dialable.
    let contacts_at = first.find("119").expect("119 in the first message");
    assert!(!first.contains("tel:"), "{first}");
    if let Some(card_at) = first.find(&escape_html(&dialogs().texts.card.verified)) {
        assert!(contacts_at < card_at, "contacts before any window");
    }
    assert_telegram_html(first);
    let state = fake.state();
    let all: Vec<&str> = state.sent_to(chat).iter().map(|m| text_of(m)).collect();
    assert!(all.iter().all(|t| t.encode_utf16().count() <= 4096));
    // The log goes to a file here, as to the journal: no colour codes in it.
    let log = bot.log_text();
    assert!(log.contains("starting") && !log.contains('\u{1b}'), "{log}");
}

#[test]
fn forget_erases_everything_about_the_chat_and_nothing_else() {
    let fake = FakeBotApi::start();
    let data = data_dir();
    let bot = RunningBot::start(&fake, data.path());
    let (forgetful, other) = (6001, 6002);
    fake.press(forgetful, "area:山里町");
    fake.text(other, "一人暮らしの父の見守りをお願いしたい。北川です");
    wait_messages(&fake, &bot, forgetful, 1);
    fake.text(forgetful, "お弁当を届けてほしい");
    wait_messages(&fake, &bot, forgetful, 2);
    fake.text(forgetful, "/forget");
    let sent = wait_messages(&fake, &bot, forgetful, 3);
    assert_eq!(text_of(&sent[2]), escape_html(&dialogs().texts.forgotten));
    wait_messages(&fake, &bot, other, 1);
    let (exit, _) = bot.stop();
    assert!(exit.success());

    let store = Store::open(data.path()).unwrap();
    let key = store.chat_key(forgetful);
    assert_eq!(store.state(&key).unwrap(), Default::default());
    assert!(store.records_of(&key).unwrap().is_empty());
    assert_eq!(store.records_of(&store.chat_key(other)).unwrap().len(), 1, "other chats keep their records");
}

/// Every file under `dir` whose bytes hold `needle` (what `grep -r` finds).
fn files_holding(dir: &std::path::Path, needle: &[u8]) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if std::fs::read(&path).unwrap_or_default().windows(needle.len()).any(|w| w == needle) {
                found.push(path);
            }
        }
    }
    found
}

#[test]
fn after_forget_the_question_is_in_no_file_of_the_data_dir_after_a_stop_or_a_kill() {
    for ending in ["TERM", "KILL"] {
        let fake = FakeBotApi::start();
        let data = data_dir();
        let bot = RunningBot::start(&fake, data.path());
        let chat = 6101;
        // Words and a phone number no dialog text or entry holds.
        let question = "近所の鈴木さんのことで相談したい。電話は090-7777-1234です。北川";
        fake.text(chat, question);
        wait_messages(&fake, &bot, chat, 1);
        // The keys the question was sealed with: 64-byte slots of chat hash ++ key in keys/.
        let hash = Store::chat_key_in(data.path(), chat);
        let mut old_keys = Vec::new();
        for file in files_holding(&data.path().join("keys"), &hash) {
            for slot in std::fs::read(file).unwrap().chunks_exact(64).filter(|s| s[..32] == hash[..]) {
                old_keys.push(slot[32..].to_vec());
            }
        }
        assert!(!old_keys.is_empty(), "the question was sealed under a key of the chat's");
        fake.text(chat, "/forget");
        let sent = wait_messages(&fake, &bot, chat, 2);
        assert_eq!(text_of(&sent[1]), escape_html(&dialogs().texts.forgotten));
        match ending {
            "TERM" => assert!(bot.stop().0.success()),
            _ => {
                bot.send_signal("KILL");
                drop(bot);
            }
        }
        for needle in ["090-7777-1234", "鈴木さんのことで"] {
            assert_eq!(
                files_holding(data.path(), needle.as_bytes()),
                Vec::<std::path::PathBuf>::new(),
                "after SIG{ending}: {needle}"
            );
        }
        // The text was sealed; what erases it is that those keys are gone from every file
        // (the reply to /forget itself is sealed under a new one).
        for old in &old_keys {
            assert_eq!(
                files_holding(data.path(), old),
                Vec::<std::path::PathBuf>::new(),
                "after SIG{ending}: a key of the question is still on disk"
            );
        }
        let store = Store::open(data.path()).unwrap();
        assert!(store.records_of(&store.chat_key(chat)).unwrap().is_empty());
    }
}

#[test]
fn a_forget_that_cannot_be_written_says_so_and_is_done_later() {
    let fake = FakeBotApi::start();
    let data = data_dir();
    let bot = RunningBot::start(&fake, data.path());
    let chat = 6201;
    fake.text(chat, "母のもの忘れがひどくなってきた");
    wait_messages(&fake, &bot, chat, 1);
    // The keys folder made unwritable, as a full or failing disk would.
    let keys = data.path().join("keys");
    let away = data.path().join("keys.away");
    std::fs::rename(&keys, &away).unwrap();
    std::fs::write(&keys, b"").unwrap();
    fake.text(chat, "/forget");
    let sent = wait_messages(&fake, &bot, chat, 2);
    assert_eq!(
        text_of(&sent[1]),
        escape_html(&dialogs().texts.forget_failed),
        "never 消しました for an erasure not made"
    );
    std::fs::remove_file(&keys).unwrap();
    std::fs::rename(&away, &keys).unwrap();
    // Retried every 30 s.
    let done = (0..80).any(|_| {
        std::thread::sleep(Duration::from_millis(500));
        bot.log_text().contains("a /forget that had failed is done now")
    });
    assert!(done, "help: the failed /forget was not retried\n{}", bot.log_text());
    assert!(bot.stop().0.success());
    let store = Store::open(data.path()).unwrap();
    assert!(store.records_of(&store.chat_key(chat)).unwrap().is_empty());
}

#[test]
fn group_chats_hear_only_commands_and_mentions() {
    let fake = FakeBotApi::start();
    let data = data_dir();
    let bot = RunningBot::start(&fake, data.path());
    let group = -7001;
    fake.group_text(group, 71, "今日は暑いですね");
    fake.group_text(group, 72, "/help@someone_elses_bot");
    fake.group_text(
        group,
        71,
        &format!("@{} 認知症の家族の話を聞いてもらえる場所はありますか。山里です", fake_bot_api::BOT_USERNAME),
    );
    let sent = wait_messages(&fake, &bot, group, 1);
    assert!(text_of(&sent[0]).contains(&escape_html(&dialogs().texts.card.verified)), "{}", text_of(&sent[0]));
    let help = fake.group_text(group, 72, "/help");
    let sent = wait_messages(&fake, &bot, group, 2);
    assert_eq!(text_of(&sent[1]), escape_html(dialogs().texts.help.trim_start()).trim_start());
    // Nothing else was answered: the chatter and the other bot's command are ignored.
    let last = fake.state().pushed_at(help).unwrap();
    assert!(!fake.wait_for(Duration::from_millis(1500), |s| s.sent_to(group).len() > 2));
    assert!(last.elapsed() >= Duration::from_millis(1500));
}

#[test]
fn callback_data_fits_64_bytes_and_long_replies_are_split_at_4096_characters() {
    // A help text longer than one message, in a copy of dialogs/.
    let dir = data_dir();
    let dialogs_dir = dir.path().join("dialogs");
    std::fs::create_dir_all(&dialogs_dir).unwrap();
    for file in ["crisis.toml", "menu.toml"] {
        std::fs::copy(common::repo().join("dialogs").join(file), dialogs_dir.join(file)).unwrap();
    }
    let paragraph = "困っていることを、そのまま文章で送ってください。".repeat(20); // 500 characters
    let long_help: Vec<String> = (0..12).map(|i| format!("{i}. {paragraph}")).collect();
    let texts = std::fs::read_to_string(common::repo().join("dialogs/texts.toml")).unwrap();
    let mut table: toml::Table = texts.parse().unwrap();
    table.insert("help".into(), toml::Value::String(long_help.join("\n\n")));
    std::fs::write(dialogs_dir.join("texts.toml"), toml::to_string(&table).unwrap()).unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "index_dir = {:?}\ndialogs_dir = {:?}\n",
            common::repo().join("index").display().to_string(),
            dialogs_dir.display().to_string()
        ),
    )
    .unwrap();

    let fake = FakeBotApi::start();
    let data = dir.path().join("data");
    let bot = RunningBot::start_with(&fake, &data, &config, Some(fake_bot_api::TOKEN));
    fake.text(8000, "/help");
    let categories: Vec<String> = dialogs().menu.category.iter().map(|c| c.key.clone()).collect();
    for (i, key) in categories.iter().enumerate() {
        fake.press(8001 + i as i64, &format!("cat:{key}"));
    }
    wait_messages(&fake, &bot, 8000, 2);
    // The whole help arrives before the next update of that chat would be read.
    fake.wait_for(Duration::from_secs(3), |s| s.sent_to(8000).len() > 2);
    let helps: Vec<Value> = fake.state().sent_to(8000).into_iter().cloned().collect();
    assert!(helps.len() >= 2, "the help was split");
    let pieces: Vec<&str> = helps.iter().map(text_of).collect();
    assert!(
        pieces.iter().all(|p| p.chars().count() <= 4096),
        "{:?}",
        pieces.iter().map(|p| p.chars().count()).collect::<Vec<_>>()
    );
    assert_eq!(pieces.join("\n\n"), long_help.join("\n\n"), "split at paragraph breaks, nothing lost");

    let mut payloads = Vec::new();
    for (i, _) in categories.iter().enumerate() {
        let sent = wait_messages(&fake, &bot, 8001 + i as i64, 1);
        payloads.extend(buttons(&sent[0]).into_iter().map(|(_, data)| data));
    }
    // Follow every entry button once, in fresh chats, so the cards' buttons are checked too.
    let entries: Vec<String> = payloads.iter().filter(|p| p.starts_with("e:")).cloned().collect();
    assert!(entries.len() >= 20, "{entries:?}");
    for (i, entry) in entries.iter().enumerate() {
        fake.press(9000 + i as i64, entry);
    }
    for i in 0..entries.len() {
        let sent = wait_messages(&fake, &bot, 9000 + i as i64, 1);
        assert_telegram_html(text_of(&sent[0]));
        payloads.extend(buttons(&sent[0]).into_iter().map(|(_, data)| data));
    }
    let longest = payloads.iter().map(String::len).max().unwrap();
    assert!(longest <= 64, "callback data of {longest} bytes");
    assert!(payloads.iter().any(|p| p.starts_with("fb+:")));
}

#[test]
fn send_failures_5xx_429_and_garbage_are_retried_until_the_answer_arrives() {
    let fake = FakeBotApi::start();
    let data = data_dir();
    let bot = RunningBot::start(&fake, data.path());
    fake.fail("sendMessage", 1, 502, r#"{"ok":false,"error_code":502,"description":"Bad Gateway"}"#);
    fake.fail(
        "sendMessage",
        1,
        429,
        r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}}"#,
    );
    fake.fail("sendMessage", 1, 200, "<html>not the Bot API</html>");
    fake.sticker(10_001);
    let sent = wait_messages(&fake, &bot, 10_001, 1);
    assert_eq!(text_of(&sent[0]), escape_html(&dialogs().texts.ask_in_words));
    let state = fake.state();
    let statuses: Vec<u16> = state.calls_to("sendMessage").iter().map(|c| c.status).collect();
    assert_eq!(statuses, [502, 429, 200, 200], "one answer, after three failures");
    let calls = state.calls_to("sendMessage");
    assert!(calls[2].at - calls[1].at >= Duration::from_millis(950), "retry_after honoured");
    assert!(calls[2].failed && !calls[3].failed);
    assert_eq!(state.sent_to(10_001).len(), 1, "answered once");
}

#[test]
fn polling_survives_a_5xx_and_goes_on() {
    let fake = FakeBotApi::start();
    let data = data_dir();
    fake.fail("getUpdates", 1, 502, r#"{"ok":false,"error_code":502,"description":"Bad Gateway"}"#);
    fake.fail("getUpdates", 1, 200, "garbage");
    let bot = RunningBot::start(&fake, data.path());
    fake.text(11_001, "/help");
    wait_messages(&fake, &bot, 11_001, 1);
    let state = fake.state();
    let statuses: Vec<u16> = state.calls_to("getUpdates").iter().map(|c| c.status).take(3).collect();
    assert_eq!(statuses, [502, 200, 200]);
}

#[test]
fn one_failing_chat_does_not_stop_the_others() {
    let fake = FakeBotApi::start();
    let data = data_dir();
    let bot = RunningBot::start(&fake, data.path());
    // A 400 that is not worth retrying: that one update fails, and is logged.
    fake.fail("sendMessage", 1, 400, r#"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#);
    fake.sticker(12_001);
    assert!(fake.wait_for(REPLY_WAIT, |s| s.calls_to("sendMessage").iter().any(|c| c.status == 400)));
    fake.sticker(12_002);
    wait_messages(&fake, &bot, 12_002, 1);
    fake.sticker(12_001);
    wait_messages(&fake, &bot, 12_001, 1);
    assert!(bot.log_text().contains("chat not found"), "{}", bot.log_text());
}

#[test]
fn a_restart_neither_loses_nor_repeats_an_update() {
    let fake = FakeBotApi::start();
    let data = data_dir();
    let bot = RunningBot::start(&fake, data.path());
    let first = fake.sticker(13_001);
    fake.sticker(13_002);
    wait_messages(&fake, &bot, 13_001, 1);
    wait_messages(&fake, &bot, 13_002, 1);
    // Ctrl-C this time (SIGTERM in the other tests).
    let (exit, took) = bot.signal("INT");
    assert!(exit.success(), "{exit:?}");
    assert!(took < Duration::from_secs(5), "Ctrl-C took {took:?}");

    // Telegram did not get the acknowledgement, and a resident wrote while the bot was down.
    fake.unconfirm_from(first);
    fake.sticker(13_003);
    let bot = RunningBot::start(&fake, data.path());
    wait_messages(&fake, &bot, 13_003, 1);
    // Give a repeat every chance to show up: wait for the next getUpdates after the answer.
    let answered = fake.state().calls.len();
    assert!(fake.wait_for(REPLY_WAIT, |s| s.calls[answered..].iter().any(|c| c.method == "getupdates")));
    {
        let state: std::sync::MutexGuard<'_, State> = fake.state();
        for chat in [13_001, 13_002, 13_003] {
            assert_eq!(state.sent_to(chat).len(), 1, "chat {chat} answered exactly once");
        }
    }
    assert!(
        bot.log_text().contains("already handled"),
        "{}\n{:#?}",
        bot.log_text(),
        fake.state().calls_to("getUpdates").iter().map(|c| (c.body.clone(), c.status)).collect::<Vec<_>>()
    );
    let (exit, _) = bot.stop();
    assert!(exit.success());
}

#[test]
fn a_missing_token_fails_fast_with_one_clear_line() {
    let fake = FakeBotApi::start();
    let data = data_dir();
    let mut bot = RunningBot::start_with(&fake, data.path(), &common::fixture_config_path(), None);
    let exit = bot.wait(Duration::from_secs(10)).expect("exits at once");
    assert!(!exit.success());
    let log = bot.log_text();
    assert_eq!(log.trim().lines().count(), 1, "{log}");
    assert!(log.contains("TELOXIDE_TOKEN is not set"), "{log}");
    assert!(fake.state().calls.is_empty(), "nothing was sent without a token");
}

#[test]
fn a_token_revoked_while_running_stops_the_bot_with_a_failure() {
    let fake = FakeBotApi::start();
    let data = data_dir();
    let mut bot = RunningBot::start(&fake, data.path());
    fake.text(8101, "こんにちは");
    wait_messages(&fake, &bot, 8101, 1);
    // BotFather's /revoke: every call from now on is refused.
    fake.fail("getUpdates", 1000, 401, r#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#);
    let exit = bot.wait(Duration::from_secs(30)).expect("help: the bot kept running with a revoked token");
    assert!(!exit.success(), "systemd's Restart=on-failure needs a failure: {exit:?}");
    let log = bot.log_text();
    assert!(log.contains("Telegram がトークンを受け付けなくなりました"), "{log}");
    assert!(!log.contains(fake_bot_api::TOKEN), "the token leaked into the log");
}

#[test]
fn a_rejected_token_fails_fast_without_showing_it() {
    let fake = FakeBotApi::start();
    let data = data_dir();
    let secret = "999:WrongSecretValue";
    let mut bot = RunningBot::start_with(&fake, data.path(), &common::fixture_config_path(), Some(secret));
    let exit = bot.wait(Duration::from_secs(20)).expect("exits at once");
    assert!(!exit.success());
    let log = bot.log_text();
    let last = log.trim().lines().last().unwrap_or_default();
    assert!(last.contains("rejected TELOXIDE_TOKEN"), "{log}");
    assert!(!log.contains("WrongSecretValue"), "the token leaked into the log:\n{log}");
    assert_eq!(fake.state().calls_to("getMe").len(), 1, "a rejected token is not retried");
}
