//! Google Chat's per-space rate limits, kept on our side so bursts (a search over thirty
//! spaces, a batch of sends) are paced instead of answered with 429.
//!
//! Google allows about 15 reads per second and 1 write per second per space (per user).
//! Each space gets a virtual schedule (GCRA): a caller reserves the next free slot and
//! sleeps until it, so concurrent callers queue fairly without a background task.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug, Clone, Copy)]
pub struct Rate {
    /// Time between requests at the sustained rate.
    pub interval: Duration,
    /// Requests allowed back to back before pacing starts.
    pub burst: u32,
}

impl Rate {
    pub const READS: Rate = Rate {
        interval: Duration::from_micros(1_000_000 / 15),
        burst: 15,
    };
    pub const WRITES: Rate = Rate {
        interval: Duration::from_secs(1),
        burst: 1,
    };
}

pub struct SpaceQuotas {
    reads: Limiter,
    writes: Limiter,
}

impl Default for SpaceQuotas {
    fn default() -> Self {
        Self::new(Rate::READS, Rate::WRITES)
    }
}

impl SpaceQuotas {
    pub fn new(reads: Rate, writes: Rate) -> Self {
        Self {
            reads: Limiter::new(reads),
            writes: Limiter::new(writes),
        }
    }

    /// Waits for a read slot in `space` (`spaces/AAA`).
    pub async fn read(&self, space: &str) {
        self.reads.acquire(space).await;
    }

    /// Waits for a write slot in `space`.
    pub async fn write(&self, space: &str) {
        self.writes.acquire(space).await;
    }
}

struct Limiter {
    rate: Rate,
    /// Per space: the theoretical arrival time of the next request (GCRA's TAT).
    next: Mutex<HashMap<String, Instant>>,
}

impl Limiter {
    fn new(rate: Rate) -> Self {
        Self {
            rate,
            next: Mutex::new(HashMap::new()),
        }
    }

    async fn acquire(&self, key: &str) {
        let wait_until = {
            let mut next = self.next.lock().unwrap();
            let now = Instant::now();
            let tolerance = self.rate.interval * self.rate.burst.saturating_sub(1);
            let tat = next.get(key).copied().unwrap_or(now).max(now);
            let allowed_at = tat.checked_sub(tolerance).unwrap_or(now).max(now);
            next.insert(key.to_owned(), tat + self.rate.interval);
            allowed_at
        };
        tokio::time::sleep_until(wait_until).await;
    }
}

/// The space a Chat API path is about: `/v1/spaces/AAA/messages` → `spaces/AAA`.
pub fn space_of(path: &str) -> Option<String> {
    let mut parts = path.split('/').skip_while(|p| *p != "spaces");
    parts.next()?;
    let id = parts.next()?;
    let id = id.split(':').next().filter(|id| !id.is_empty())?;
    Some(format!("spaces/{id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn writes_are_paced_per_space_and_spaces_are_independent() {
        let q = SpaceQuotas::default();
        let start = Instant::now();
        for _ in 0..3 {
            q.write("spaces/A").await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        let other = Instant::now();
        q.write("spaces/B").await;
        assert_eq!(other.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn reads_allow_a_burst_then_pace() {
        let q = SpaceQuotas::default();
        let start = Instant::now();
        for _ in 0..15 {
            q.read("spaces/A").await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        q.read("spaces/A").await;
        assert!(start.elapsed() >= Rate::READS.interval);
    }

    #[test]
    fn finds_the_space_in_a_path() {
        assert_eq!(
            space_of("/v1/spaces/AAA/messages").as_deref(),
            Some("spaces/AAA")
        );
        assert_eq!(
            space_of("/upload/v1/spaces/AAA/attachments:upload").as_deref(),
            Some("spaces/AAA")
        );
        assert_eq!(
            space_of("/v1/users/me/spaces/AAA/spaceReadState").as_deref(),
            Some("spaces/AAA")
        );
        assert_eq!(space_of("/v1/spaces").as_deref(), None);
        assert_eq!(space_of("/v1/spaces:findDirectMessage").as_deref(), None);
    }
}
