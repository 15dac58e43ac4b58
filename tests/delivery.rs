//! Loss-free delivery end to end: the real bot against the fake Bot API, killed with SIGKILL
//! in the middle of a burst and stopped with SIGTERM in the middle of another. Every update
//! must be answered (none lost); a second answer is possible only in the gap the design names
//! (`src/telegram/delivery.rs`: a message Telegram accepted in the instant before the kill), so
//! duplicates are counted, printed and bounded by the messages in flight at a kill.

mod bot_process;
mod common;
mod fake_bot_api;

use std::time::{Duration, Instant};

use bot_process::RunningBot;
use fake_bot_api::FakeBotApi;

const CHATS: i64 = 50;
const UPDATES: usize = 500;

/// Pushes a burst of stickers (one short reply each, so the count per chat is exact), round
/// robin over the chats; returns how many each chat was sent.
fn burst(fake: &FakeBotApi, first_chat: i64) -> Vec<usize> {
    let mut per_chat = vec![0; CHATS as usize];
    for i in 0..UPDATES {
        let chat = i % CHATS as usize;
        fake.sticker(first_chat + chat as i64);
        per_chat[chat] += 1;
    }
    per_chat
}

fn answered(fake: &FakeBotApi, first_chat: i64) -> Vec<usize> {
    let state = fake.state();
    (0..CHATS).map(|c| state.sent_to(first_chat + c).len()).collect()
}

/// Waits until every chat has at least its count, or the deadline.
fn wait_all(fake: &FakeBotApi, first_chat: i64, expected: &[usize], within: Duration) -> bool {
    fake.wait_for(within, |state| (0..CHATS).all(|c| state.sent_to(first_chat + c).len() >= expected[c as usize]))
}

/// Lost and duplicated answers, summed over the chats.
fn lost_and_duplicates(got: &[usize], expected: &[usize]) -> (usize, usize) {
    got.iter().zip(expected).fold((0, 0), |(lost, dup), (&g, &e)| (lost + e.saturating_sub(g), dup + g.saturating_sub(e)))
}

#[test]
fn kill_9_in_the_middle_of_a_burst_loses_no_update() {
    let fake = FakeBotApi::start();
    let data = tempfile::tempdir().unwrap();
    let mut duplicates_total = 0;
    for round in 0..3 {
        let first_chat = 20_000 + round * 1_000;
        let bot = RunningBot::start(&fake, data.path());
        let expected = burst(&fake, first_chat);
        // Kill once a part is answered: the rest is fetched, queued or unsent.
        let started = Instant::now();
        assert!(fake.wait_for(Duration::from_secs(60), |s| (0..CHATS).map(|c| s.sent_to(first_chat + c).len()).sum::<usize>() >= 60 + round as usize * 40));
        bot.send_signal("KILL");
        drop(bot);
        let before_restart: usize = answered(&fake, first_chat).iter().sum();
        let bot = RunningBot::start(&fake, data.path());
        assert!(
            wait_all(&fake, first_chat, &expected, Duration::from_secs(90)),
            "help: after kill -9 and a restart not every update was answered: {:?}\n{}",
            lost_and_duplicates(&answered(&fake, first_chat), &expected),
            bot.log_text()
        );
        // Time for a late duplicate to show: the next getUpdates after the last answer.
        let calls = fake.state().calls.len();
        assert!(fake.wait_for(Duration::from_secs(15), |s| s.calls[calls..].iter().any(|c| c.method == "getupdates")));
        let (lost, duplicates) = lost_and_duplicates(&answered(&fake, first_chat), &expected);
        println!(
            "round {round}: killed after {:?} with {before_restart} of {UPDATES} answered; after the restart lost {lost}, duplicates {duplicates}",
            started.elapsed()
        );
        assert_eq!(lost, 0);
        // At most one message per chat can be in flight at a kill (one worker per chat).
        assert!(duplicates <= CHATS as usize, "{duplicates} duplicates");
        duplicates_total += duplicates;
        let (exit, _) = bot.stop();
        assert!(exit.success());
    }
    println!("3 rounds of {UPDATES} updates from {CHATS} chats: 0 lost, {duplicates_total} duplicates");
}

#[test]
fn sigterm_in_the_middle_of_a_burst_leaves_the_rest_for_the_next_start() {
    let fake = FakeBotApi::start();
    let data = tempfile::tempdir().unwrap();
    let first_chat = 40_000;
    let bot = RunningBot::start(&fake, data.path());
    let expected = burst(&fake, first_chat);
    assert!(fake.wait_for(Duration::from_secs(60), |s| (0..CHATS).map(|c| s.sent_to(first_chat + c).len()).sum::<usize>() >= 50));
    let (exit, took) = bot.stop();
    assert!(exit.success(), "{exit:?}");
    // systemd's default stop timeout is 90 s; the bot's grace period is far inside it.
    assert!(took < Duration::from_secs(10), "SIGTERM took {took:?}");
    let at_stop: usize = answered(&fake, first_chat).iter().sum();
    let bot = RunningBot::start(&fake, data.path());
    assert!(wait_all(&fake, first_chat, &expected, Duration::from_secs(90)), "help: not every update was answered after the restart\n{}", bot.log_text());
    let calls = fake.state().calls.len();
    assert!(fake.wait_for(Duration::from_secs(15), |s| s.calls[calls..].iter().any(|c| c.method == "getupdates")));
    let (lost, duplicates) = lost_and_duplicates(&answered(&fake, first_chat), &expected);
    println!("SIGTERM after {at_stop} of {UPDATES} answered, stopped in {took:?}; after the restart lost {lost}, duplicates {duplicates}");
    assert_eq!(lost, 0, "a stop loses nothing");
    // A send cut off by the end of the grace period may have reached Telegram: at most one per
    // chat (one worker each) is sent again.
    assert!(duplicates <= CHATS as usize, "{duplicates} duplicates");
    let (exit, _) = bot.stop();
    assert!(exit.success());
}
