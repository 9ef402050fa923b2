//! Client-side pacing: keep each stream of requests (a method of an account, writes to one
//! channel) inside the provider's published rate, so bursts queue here instead of being
//! answered with 429.
//!
//! Each key gets a virtual schedule (GCRA): a caller reserves the next free slot and sleeps
//! until it, so concurrent callers queue fairly without a background task, and a key that has
//! been quiet for a while gets its burst back. The rate travels with each call because
//! different keys of one pacer run at different rates (Slack's tiers). Time is tokio's, so
//! tests drive it with paused time.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Keys whose schedule is in the past carry no state worth keeping; above this many keys the
/// map drops them, so a long-running daemon does not remember every channel it ever wrote to.
const PRUNE_ABOVE: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Time between requests at the sustained rate.
    pub interval: Duration,
    /// Requests allowed back to back before pacing starts (at least 1).
    pub burst: u32,
}

impl Rate {
    /// `count` requests per minute, `burst` of them back to back.
    pub const fn per_minute(count: u64, burst: u32) -> Rate {
        Rate {
            interval: Duration::from_millis(60_000 / count),
            burst,
        }
    }

    fn tolerance(&self) -> Duration {
        self.interval * self.burst.saturating_sub(1)
    }
}

/// Schedules for many keys.
pub struct Pacer<K> {
    /// Per key: the theoretical arrival time of the next request (GCRA's TAT).
    next: Mutex<HashMap<K, Instant>>,
}

impl<K> Default for Pacer<K> {
    fn default() -> Self {
        Self {
            next: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Hash + Eq + Clone> Pacer<K> {
    /// Waits until `key` may send its next request at `rate`.
    pub async fn acquire(&self, key: &K, rate: Rate) {
        let wait_until = self.reserve(key, rate);
        tokio::time::sleep_until(wait_until).await;
    }

    /// Reserves the next slot for `key` and says when it starts.
    pub fn reserve(&self, key: &K, rate: Rate) -> Instant {
        let mut next = self.next.lock().unwrap();
        let now = Instant::now();
        if next.len() > PRUNE_ABOVE {
            next.retain(|_, tat| *tat > now);
        }
        let tat = next.get(key).copied().unwrap_or(now).max(now);
        let allowed_at = tat.checked_sub(rate.tolerance()).unwrap_or(now).max(now);
        next.insert(key.clone(), tat + rate.interval);
        allowed_at
    }

    /// The service said to wait until `until` (a 429's `Retry-After`): no request for `key`
    /// starts before then, and the burst is spent, so requests resume at `rate`'s pace.
    pub fn hold_until(&self, key: &K, until: Instant, rate: Rate) {
        let held = until + rate.tolerance();
        let mut next = self.next.lock().unwrap();
        let tat = next.entry(key.clone()).or_insert(held);
        *tat = (*tat).max(held);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE_PER_SECOND: Rate = Rate {
        interval: Duration::from_secs(1),
        burst: 1,
    };

    #[tokio::test(start_paused = true)]
    async fn paces_each_key_on_its_own() {
        let pacer = Pacer::default();
        let start = Instant::now();
        for _ in 0..3 {
            pacer.acquire(&"a", ONE_PER_SECOND).await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        let other = Instant::now();
        pacer.acquire(&"b", ONE_PER_SECOND).await;
        assert_eq!(other.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn allows_the_burst_then_the_sustained_rate_and_refills_when_quiet() {
        let pacer = Pacer::default();
        let rate = Rate::per_minute(60, 5);
        let start = Instant::now();
        for _ in 0..5 {
            pacer.acquire(&"k", rate).await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        pacer.acquire(&"k", rate).await;
        assert_eq!(start.elapsed(), Duration::from_secs(1));
        // Quiet for long enough to earn the whole burst back.
        tokio::time::sleep(Duration::from_secs(10)).await;
        let later = Instant::now();
        for _ in 0..5 {
            pacer.acquire(&"k", rate).await;
        }
        assert_eq!(later.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_queue_one_slot_apart() {
        let pacer = std::sync::Arc::new(Pacer::default());
        let start = Instant::now();
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let pacer = pacer.clone();
                tokio::spawn(async move {
                    pacer.acquire(&"k", ONE_PER_SECOND).await;
                    start.elapsed()
                })
            })
            .collect();
        let mut done = Vec::new();
        for t in tasks {
            done.push(t.await.unwrap());
        }
        done.sort();
        assert_eq!(
            done,
            (0..4).map(Duration::from_secs).collect::<Vec<_>>(),
            "each caller gets its own slot"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_hold_delays_the_next_request_and_spends_the_burst() {
        let pacer = Pacer::default();
        let rate = Rate::per_minute(60, 10);
        let start = Instant::now();
        pacer.hold_until(&"k", start + Duration::from_secs(30), rate);
        pacer.acquire(&"k", rate).await;
        assert_eq!(start.elapsed(), Duration::from_secs(30));
        pacer.acquire(&"k", rate).await;
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(31),
            "the burst is spent"
        );
        // A hold that has passed changes nothing.
        pacer.hold_until(&"j", start, ONE_PER_SECOND);
        let now = Instant::now();
        pacer.acquire(&"j", rate).await;
        assert_eq!(now.elapsed(), Duration::ZERO);
    }
}
