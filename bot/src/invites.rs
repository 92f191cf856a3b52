//! Guessing invite codes is slowed down: wrong `/start` codes are counted per
//! Telegram user and overall, and past either limit a code is refused with
//! the same polite answer without being checked at all, so a flood learns
//! nothing and costs the store nothing. What was refused is logged as one
//! summary line a minute, never a line per attempt.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Wrong codes one Telegram user may send in [`USER_WINDOW`].
const PER_USER: u32 = 5;
/// The window of the per-user limit.
const USER_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Wrong codes everyone together may send in [`GLOBAL_WINDOW`].
const GLOBAL: u32 = 60;
/// The window of the overall limit.
const GLOBAL_WINDOW: Duration = Duration::from_secs(60);
/// How often the summary is logged.
const SUMMARY_EVERY: Duration = Duration::from_secs(60);

/// The counts behind the limits.
#[derive(Debug, Default)]
pub(crate) struct InviteGuard {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Per user: wrong codes and when their window started.
    users: HashMap<i64, (u32, Instant)>,
    /// Everyone: wrong codes and when the window started.
    global: Option<(u32, Instant)>,
    /// Refused since the last summary: checked and wrong, and not checked.
    wrong: u64,
    held: u64,
    last_summary: Option<Instant>,
}

impl InviteGuard {
    /// Whether `user` may have a code checked now.
    pub(crate) fn may_try(&self, user: i64, now: Instant) -> bool {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let user_full = state.users.get(&user).is_some_and(|(n, since)| *n >= PER_USER && now - *since < USER_WINDOW);
        let global_full = state.global.is_some_and(|(n, since)| n >= GLOBAL && now - since < GLOBAL_WINDOW);
        if user_full || global_full {
            state.held += 1;
            state.summarize(now);
            return false;
        }
        true
    }

    /// Counts a code that was checked and was wrong.
    pub(crate) fn wrong(&self, user: i64, now: Instant) {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.users.len() > 10_000 {
            state.users.retain(|_, (_, since)| now - *since < USER_WINDOW);
        }
        let entry = state.users.entry(user).or_insert((0, now));
        if now - entry.1 >= USER_WINDOW {
            *entry = (0, now);
        }
        entry.0 += 1;
        state.global = match state.global {
            Some((n, since)) if now - since < GLOBAL_WINDOW => Some((n + 1, since)),
            _ => Some((1, now)),
        };
        state.wrong += 1;
        state.summarize(now);
    }
}

impl State {
    fn summarize(&mut self, now: Instant) {
        if self.last_summary.is_some_and(|last| now - last < SUMMARY_EVERY) {
            return;
        }
        tracing::info!(
            wrong = self.wrong,
            refused_unchecked = self.held,
            "invite codes refused since the last summary (over the limits: refused without checking)"
        );
        (self.wrong, self.held, self.last_summary) = (0, 0, Some(now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_past_five_wrong_codes_waits_a_quarter_of_an_hour() {
        let guard = InviteGuard::default();
        let t0 = Instant::now();
        for _ in 0..PER_USER {
            assert!(guard.may_try(1, t0));
            guard.wrong(1, t0);
        }
        assert!(!guard.may_try(1, t0 + Duration::from_secs(60)));
        assert!(guard.may_try(2, t0), "another person is not held back");
        assert!(guard.may_try(1, t0 + USER_WINDOW));
    }

    #[test]
    fn a_flood_from_many_users_is_held_overall() {
        let guard = InviteGuard::default();
        let t0 = Instant::now();
        for user in 0..i64::from(GLOBAL) {
            guard.wrong(user, t0);
        }
        assert!(!guard.may_try(9_999, t0 + Duration::from_secs(1)));
        assert!(guard.may_try(9_999, t0 + GLOBAL_WINDOW));
    }
}
