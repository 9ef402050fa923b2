//! What chatkey knows about each Slack Web API method it calls, and the pacing that keeps it
//! inside Slack's rate limits instead of collecting 429s.
//!
//! Slack limits each method per app per workspace by tier (docs.slack.dev, "Rate limits"):
//! Tier 1 is 1+ per minute, Tier 2 20+, Tier 3 50+, Tier 4 100+, bursts tolerated, and
//! `chat.postMessage` is special: about one message per second per channel, with a
//! workspace-wide limit of several hundred a minute above that. The tiers below come from
//! each method's reference page. Pacing here is per account and method (an account is one
//! person in one workspace), plus one write a second per channel for everything that posts or
//! changes a message there, which is what batch sends need.
//!
//! The table also says how a method takes its arguments (JSON where Slack's structured
//! arguments need it, form-encoded otherwise, as Slack's own SDKs send them) and whether a
//! repeat after a possibly processed attempt is harmless.

use std::time::Duration;

use tokio::time::Instant;

use crate::pacing::{Pacer, Rate};

/// A method's rate-limit tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Tier1,
    Tier2,
    Tier3,
    Tier4,
    /// `chat.postMessage`: the per-channel limit is what binds; the workspace-wide one is
    /// "several hundred per minute".
    PostMessage,
}

impl Tier {
    /// The sustained rate chatkey holds itself to, with a burst of a quarter minute's worth:
    /// Slack welcomes sporadic bursts but counts per minute.
    pub fn rate(self) -> Rate {
        match self {
            Tier::Tier1 => Rate::per_minute(1, 1),
            Tier::Tier2 => Rate::per_minute(20, 5),
            Tier::Tier3 => Rate::per_minute(50, 12),
            Tier::Tier4 => Rate::per_minute(100, 25),
            Tier::PostMessage => Rate::per_minute(300, 10),
        }
    }
}

/// Writes to one channel: about one a second, no burst.
pub const CHANNEL_WRITES: Rate = Rate {
    interval: Duration::from_secs(1),
    burst: 1,
};

/// How a method is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodInfo {
    pub tier: Tier,
    /// Arguments as a JSON body (`application/json`) rather than a form.
    pub json: bool,
    /// Repeating the call after a possibly processed attempt (a 5xx, a timeout) cannot post
    /// twice or turn a success into an error.
    pub idempotent: bool,
    /// Posts or changes a message in its channel: paced per channel too.
    pub channel_write: bool,
}

const fn read(tier: Tier) -> MethodInfo {
    MethodInfo {
        tier,
        json: false,
        idempotent: true,
        channel_write: false,
    }
}

const fn write(tier: Tier) -> MethodInfo {
    MethodInfo {
        tier,
        json: false,
        idempotent: false,
        channel_write: false,
    }
}

/// What chatkey knows about `method`. Methods not in the table are treated as Tier 2 writes
/// (the most common tier, and no retry after a possibly processed attempt): cautious rather
/// than fast.
pub fn method_info(method: &str) -> MethodInfo {
    use Tier::*;
    match method {
        "api.test" => read(Tier4),
        // Documented as special ("thousands per hour"); Tier 4 is well inside that.
        "auth.test" => read(Tier4),
        "auth.revoke" => read(Tier3),
        "auth.teams.list" => read(Tier2),
        "bots.info" => read(Tier3),
        "chat.postMessage" => MethodInfo {
            json: true,
            channel_write: true,
            ..write(PostMessage)
        },
        // The same text twice leaves the same message.
        "chat.update" => MethodInfo {
            json: true,
            idempotent: true,
            channel_write: true,
            ..write(Tier3)
        },
        // A repeat of a delete that went through answers `message_not_found`.
        "chat.delete" => MethodInfo {
            channel_write: true,
            ..write(Tier3)
        },
        "chat.meMessage" => MethodInfo {
            channel_write: true,
            ..write(Tier3)
        },
        "chat.getPermalink" => read(Tier4),
        "conversations.history" => read(Tier3),
        "conversations.info" => read(Tier3),
        "conversations.list" => read(Tier2),
        "conversations.members" => read(Tier4),
        "conversations.replies" => read(Tier3),
        // Marking the same point read twice is the same state.
        "conversations.mark" => read(Tier3),
        // Opening a conversation that exists returns it.
        "conversations.open" => read(Tier3),
        "emoji.list" => read(Tier2),
        "files.info" => read(Tier4),
        "files.list" => read(Tier3),
        // An unused upload slot expires; asking for another is harmless.
        "files.getUploadURLExternal" => read(Tier4),
        "files.completeUploadExternal" => MethodInfo {
            channel_write: true,
            ..write(Tier4)
        },
        "reactions.add" => write(Tier3),
        "reactions.get" => read(Tier3),
        "reactions.list" => read(Tier2),
        "reactions.remove" => write(Tier2),
        "search.messages" => read(Tier2),
        "search.all" => read(Tier2),
        "search.files" => read(Tier2),
        "team.info" => read(Tier3),
        "usergroups.list" => read(Tier2),
        "usergroups.users.list" => read(Tier2),
        "users.conversations" => read(Tier2),
        "users.info" => read(Tier4),
        "users.list" => read(Tier2),
        "users.lookupByEmail" => read(Tier3),
        "users.profile.get" => read(Tier4),
        _ => write(Tier2),
    }
}

/// The pacing state of every Slack account in the daemon, shared by all calls.
pub struct RateLimits {
    /// Keyed by (account, method).
    methods: Pacer<(String, String)>,
    /// Keyed by (account, channel id).
    channels: Pacer<(String, String)>,
    paced: bool,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            methods: Pacer::default(),
            channels: Pacer::default(),
            paced: true,
        }
    }
}

impl RateLimits {
    /// No pacing, for unit tests of what stands on the client (pacing has its own tests).
    #[cfg(test)]
    pub fn unpaced() -> Self {
        Self {
            paced: false,
            ..Self::default()
        }
    }

    /// Waits until `account` may call `method` (and, for a channel write, write to `channel`).
    pub async fn acquire(&self, account: &str, method: &str, channel: Option<&str>) {
        if !self.paced {
            return;
        }
        let info = method_info(method);
        let method_key = (account.to_owned(), method.to_owned());
        let method_slot = self.methods.reserve(&method_key, info.tier.rate());
        let channel_slot = match channel {
            Some(channel) if info.channel_write => Some(
                self.channels
                    .reserve(&(account.to_owned(), channel.to_owned()), CHANNEL_WRITES),
            ),
            _ => None,
        };
        let until = channel_slot.map_or(method_slot, |c| c.max(method_slot));
        tokio::time::sleep_until(until).await;
    }

    /// Slack answered 429 for `method` with `Retry-After: wait`: nothing else of this account
    /// calls it before then.
    pub fn hold(&self, account: &str, method: &str, wait: Duration) {
        let rate = method_info(method).tier.rate();
        self.methods.hold_until(
            &(account.to_owned(), method.to_owned()),
            Instant::now() + wait,
            rate,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_follows_slacks_documented_tiers_and_wire() {
        assert_eq!(method_info("conversations.history").tier, Tier::Tier3);
        assert_eq!(method_info("conversations.list").tier, Tier::Tier2);
        assert_eq!(method_info("users.info").tier, Tier::Tier4);
        assert_eq!(method_info("search.messages").tier, Tier::Tier2);
        assert_eq!(method_info("reactions.remove").tier, Tier::Tier2);
        let post = method_info("chat.postMessage");
        assert_eq!(post.tier, Tier::PostMessage);
        assert!(post.json && post.channel_write && !post.idempotent);
        assert!(!method_info("conversations.history").json);
        assert!(!method_info("reactions.add").idempotent);
        let unknown = method_info("admin.something.new");
        assert_eq!(unknown.tier, Tier::Tier2);
        assert!(!unknown.idempotent);
    }

    #[test]
    fn tier_rates_are_the_documented_per_minute_counts() {
        assert_eq!(Tier::Tier2.rate().interval, Duration::from_secs(3));
        assert_eq!(Tier::Tier3.rate().interval, Duration::from_millis(1200));
        assert_eq!(Tier::Tier4.rate().interval, Duration::from_millis(600));
        assert_eq!(Tier::Tier1.rate().interval, Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn posts_to_one_channel_are_a_second_apart_and_channels_are_independent() {
        let limits = RateLimits::default();
        let start = Instant::now();
        for _ in 0..3 {
            limits.acquire("a", "chat.postMessage", Some("C1")).await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        let other = Instant::now();
        limits.acquire("a", "chat.postMessage", Some("C2")).await;
        assert_eq!(other.elapsed(), Duration::ZERO);
        // Another account's writes to the same channel are its own.
        limits.acquire("b", "chat.postMessage", Some("C1")).await;
        assert_eq!(other.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn reads_are_paced_per_method_after_a_burst_and_not_per_channel() {
        let limits = RateLimits::default();
        let start = Instant::now();
        let burst = Tier::Tier3.rate().burst;
        for i in 0..burst {
            limits
                .acquire("a", "conversations.history", Some(&format!("C{i}")))
                .await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        limits
            .acquire("a", "conversations.history", Some("C1"))
            .await;
        assert_eq!(start.elapsed(), Duration::from_millis(1200));
        // Other methods have their own budget.
        let now = Instant::now();
        limits.acquire("a", "users.info", None).await;
        assert_eq!(now.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_holds_the_method_for_the_account() {
        let limits = RateLimits::default();
        let start = Instant::now();
        limits.hold("a", "search.messages", Duration::from_secs(20));
        limits.acquire("a", "search.messages", None).await;
        assert_eq!(start.elapsed(), Duration::from_secs(20));
        let now = Instant::now();
        limits.acquire("b", "search.messages", None).await;
        assert_eq!(now.elapsed(), Duration::ZERO, "other accounts are not held");
    }
}
