//! Slack's rate tiers, enforced per caller and method as sliding windows.
//!
//! Tier 1 allows 1+ request a minute, Tier 2 20+, Tier 3 50+, Tier 4 100+; chat.postMessage
//! is special (about one message a second per channel, with short bursts). Slack counts per
//! app per workspace per method; here that is per signed-in user and method, which is the
//! same for one app (and keeps a rotated token in the budget of the one it replaced). Over
//! the limit the answer is HTTP 429 with `Retry-After` (seconds until the window has room)
//! and `{"ok": false, "error": "ratelimited"}`. `Settings::rate_limit_scale` multiplies
//! every limit; `None` turns limiting off.

use std::time::{Duration, Instant};

use super::errors::SlackError;
use super::state::State;

/// A method's rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    T1,
    T2,
    T3,
    T4,
    /// chat.postMessage: `per_channel` messages per `window_secs` in each channel.
    PerChannel {
        per_window: u32,
        window_secs: u64,
    },
}

impl Tier {
    /// `(requests, window)` at scale 1.
    pub fn base(self) -> (u32, Duration) {
        let minute = Duration::from_secs(60);
        match self {
            Tier::T1 => (1, minute),
            Tier::T2 => (20, minute),
            Tier::T3 => (50, minute),
            Tier::T4 => (100, minute),
            Tier::PerChannel {
                per_window,
                window_secs,
            } => (per_window, Duration::from_secs(window_secs)),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Tier::T1 => "Tier 1",
            Tier::T2 => "Tier 2",
            Tier::T3 => "Tier 3",
            Tier::T4 => "Tier 4",
            Tier::PerChannel { .. } => "Special",
        }
    }
}

/// chat.postMessage: one a second per channel, bursts of up to five.
pub const POST_MESSAGE: Tier = Tier::PerChannel {
    per_window: 5,
    window_secs: 5,
};

/// Counts one request against `key` (`method`, or `method#channel`) and answers
/// `ratelimited` when the window is full. A refused request is not counted.
pub fn check(st: &mut State, user: &str, key: &str, tier: Tier) -> Result<(), SlackError> {
    let Some(scale) = st.settings.rate_limit_scale else {
        return Ok(());
    };
    let (base, window) = tier.base();
    let limit = ((f64::from(base) * scale).round() as u32).max(1) as usize;
    let now = Instant::now();
    let times = st
        .rate_windows
        .entry((user.to_string(), key.to_string()))
        .or_default();
    times.retain(|t| now.duration_since(*t) < window);
    if times.len() >= limit {
        let free_at = times[times.len() - limit] + window;
        let wait = free_at.saturating_duration_since(now);
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        return Err(SlackError::ratelimited(secs.max(1)));
    }
    times.push(now);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_scale() {
        assert_eq!(Tier::T3.base().0, 50);
        assert_eq!(POST_MESSAGE.base(), (5, Duration::from_secs(5)));
        assert_eq!(Tier::T1.label(), "Tier 1");
    }
}
