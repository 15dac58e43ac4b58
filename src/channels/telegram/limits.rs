//! Telegram's sending limits (per chat per second and per minute, overall per second), kept
//! with sliding windows: a message within every limit goes at once, one over a limit waits
//! exactly until the window lets it through.
//!
//! Why not teloxide's `Throttle`: its worker wakes every 250 ms and only then releases queued
//! requests, which adds 0–250 ms (125 ms on average) to *every* message even when no limit is
//! near, and caps a chat at four messages a second through it. Measured with `benches/bot.rs`:
//! p99 250 ms added latency and 790 updates/s with Throttle, against a target of 20 ms and
//! 1,000/s. The limits themselves are teloxide's ([`Limits::default`]); a 429 `retry_after`
//! from Telegram is still honoured by the sender's retry.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use teloxide::adaptors::throttle::Limits;
use tokio::time::Instant;

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);

pub struct RateLimiter {
    limits: Limits,
    windows: Mutex<Windows>,
}

#[derive(Default)]
struct Windows {
    /// When the messages of the last second were sent, oldest first.
    overall: VecDeque<Instant>,
    /// Per chat, the messages of the last minute.
    chats: HashMap<i64, VecDeque<Instant>>,
    admitted: u64,
}

impl RateLimiter {
    pub fn new(limits: Limits) -> RateLimiter {
        RateLimiter { limits, windows: Mutex::new(Windows::default()) }
    }

    /// Waits until a message to `chat` is within every limit, and counts it as sent.
    pub async fn acquire(&self, chat: i64) {
        loop {
            let until = {
                let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
                match windows.admit(chat, Instant::now(), &self.limits) {
                    Ok(()) => return,
                    Err(until) => until,
                }
            };
            tokio::time::sleep_until(until).await;
        }
    }
}

impl Windows {
    /// Counts a message to `chat` at `now`, or says when to try again.
    fn admit(&mut self, chat: i64, now: Instant, limits: &Limits) -> Result<(), Instant> {
        while self.overall.front().is_some_and(|t| now.duration_since(*t) >= SECOND) {
            self.overall.pop_front();
        }
        let sent = self.chats.entry(chat).or_default();
        while sent.front().is_some_and(|t| now.duration_since(*t) >= MINUTE) {
            sent.pop_front();
        }
        // Groups, supergroups and channels (negative ids) have their own per-minute limit.
        let per_minute =
            if chat < 0 { limits.messages_per_min_channel_or_supergroup } else { limits.messages_per_min_chat };
        let last_second = sent.iter().rev().take_while(|t| now.duration_since(**t) < SECOND).count();
        let mut until: Option<Instant> = None;
        let mut later = |t: Instant| until = Some(until.map_or(t, |u| u.max(t)));
        // The message that must leave a full window before this one may go.
        if let Some(oldest) = over(&self.overall, self.overall.len(), limits.messages_per_sec_overall) {
            later(oldest + SECOND);
        }
        if let Some(oldest) = over(sent, last_second, limits.messages_per_sec_chat) {
            later(oldest + SECOND);
        }
        if let Some(oldest) = over(sent, sent.len(), per_minute) {
            later(oldest + MINUTE);
        }
        if let Some(until) = until {
            return Err(until);
        }
        sent.push_back(now);
        self.overall.push_back(now);
        self.admitted += 1;
        if self.admitted.is_multiple_of(4096) {
            // Forget chats that have been quiet for a minute.
            self.chats.retain(|_, sent| sent.back().is_some_and(|t| now.duration_since(*t) < MINUTE));
        }
        Ok(())
    }
}

/// When the window's last `in_window` entries hold `limit` or more, the entry that must age
/// out before one more fits.
fn over(window: &VecDeque<Instant>, in_window: usize, limit: u32) -> Option<Instant> {
    let limit = limit.max(1) as usize;
    (in_window >= limit).then(|| window[window.len() - limit])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            messages_per_sec_chat: 1,
            messages_per_min_chat: 20,
            messages_per_min_channel_or_supergroup: 20,
            messages_per_sec_overall: 30,
        }
    }

    #[test]
    fn within_the_limits_nothing_waits() {
        let mut w = Windows::default();
        let t0 = Instant::now();
        for chat in 0..30 {
            assert!(w.admit(chat, t0, &limits()).is_ok());
        }
        // The 31st message of that second waits for the first to age out.
        assert_eq!(w.admit(99, t0 + Duration::from_millis(10), &limits()), Err(t0 + SECOND));
        assert!(w.admit(99, t0 + SECOND, &limits()).is_ok());
    }

    #[test]
    fn one_message_per_second_per_chat_and_twenty_a_minute() {
        let mut w = Windows::default();
        let t0 = Instant::now();
        assert!(w.admit(7, t0, &limits()).is_ok());
        assert_eq!(w.admit(7, t0 + Duration::from_millis(300), &limits()), Err(t0 + SECOND));
        for i in 1..20 {
            assert!(w.admit(7, t0 + SECOND * i, &limits()).is_ok(), "message {i}");
        }
        // Twenty in the minute: the next waits until the first is a minute old.
        assert_eq!(w.admit(7, t0 + SECOND * 20, &limits()), Err(t0 + MINUTE));
        assert!(w.admit(7, t0 + MINUTE, &limits()).is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn acquire_waits_exactly_as_long_as_needed() {
        let limiter = RateLimiter::new(limits());
        let start = Instant::now();
        limiter.acquire(1).await;
        limiter.acquire(2).await;
        assert_eq!(start.elapsed(), Duration::ZERO, "different chats go at once");
        limiter.acquire(1).await;
        assert_eq!(start.elapsed(), SECOND, "the same chat waits one second");
    }
}
