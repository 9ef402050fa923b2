//! The background token refresher: a daemon component with a command channel, in the style
//! of atuin's sync daemon. It renews each account's access token after 75–85 % of its
//! lifetime (`accounts::refresh_due`), so tool calls find a fresh token and never wait for a
//! refresh; it shares the account's single in-flight refresh with tool calls, so a call and
//! the refresher never both ask the provider.
//!
//! Transient failures (network, 5xx, `temporarily_unavailable`, a keyring that is briefly
//! away) are retried with capped exponential backoff and jitter. `invalid_grant` moves the
//! account to "needs sign-in" and the refresher leaves it alone until a new sign-in arrives.
//!
//! Sleep and suspend: tokio's timers run on the monotonic clock, which stops while the
//! machine sleeps, so a long timer would fire long after the token died. The refresher never
//! naps longer than `MAX_NAP` and re-reads the wall clock every time it wakes; a token that
//! expired during a suspend is refreshed at once.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

use crate::accounts::{Account, AccountEvent, Health, RefreshError};
use crate::app::App;
use crate::tokens::AccountId;

/// The longest the refresher sleeps before looking at the wall clock again.
const MAX_NAP: Duration = Duration::from_secs(15);
/// First retry after a transient failure; doubles per failure up to `BACKOFF_CAP`.
const BACKOFF_BASE: Duration = Duration::from_secs(1);
const BACKOFF_CAP: Duration = Duration::from_secs(300);

/// What the refresher can be told to do.
#[derive(Debug)]
pub enum Command {
    /// Refresh now, whether due or not: one account, or all of them.
    Force(Option<AccountId>),
    /// Finish the refresh in progress (if any) and end.
    Stop,
}

/// The handle the daemon keeps; dropping every handle also stops the refresher.
#[derive(Clone)]
pub struct Refresher {
    commands: mpsc::Sender<Command>,
}

impl Refresher {
    /// Starts the refresher for every account in `app`, now and after reloads.
    pub fn spawn(app: Arc<App>) -> (Self, JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(16);
        let task = tokio::spawn(run(app, rx));
        (Self { commands: tx }, task)
    }

    pub async fn force(&self, account: Option<AccountId>) {
        let _ = self.commands.send(Command::Force(account)).await;
    }

    pub async fn stop(&self) {
        let _ = self.commands.send(Command::Stop).await;
    }
}

/// Capped exponential backoff with full jitter in [½, 1] of the step.
pub fn backoff_delay(failures: u32) -> Duration {
    let step = BACKOFF_BASE
        .saturating_mul(1u32 << failures.min(16).saturating_sub(1))
        .min(BACKOFF_CAP);
    step.mul_f64(0.5 + rand::random::<f64>() * 0.5)
}

struct Retry {
    failures: u32,
    at: DateTime<Utc>,
}

/// When `account` should be refreshed next; `None` when it must not be (needs sign-in).
fn next_due(account: &Account, retry: Option<&Retry>) -> Option<DateTime<Utc>> {
    if matches!(account.health(), Health::NeedsSignIn { .. }) {
        return None;
    }
    if let Some(retry) = retry {
        return Some(retry.at);
    }
    // No token yet (start-up, new sign-in, a 401): fetch one now, so the first tool call
    // does not wait.
    Some(account.refresh_due_at().unwrap_or(DateTime::<Utc>::MIN_UTC))
}

async fn run(app: Arc<App>, mut commands: mpsc::Receiver<Command>) {
    let mut events = app.accounts.events();
    let mut retries: HashMap<AccountId, Retry> = HashMap::new();
    let mut forced: HashSet<Option<AccountId>> = HashSet::new();
    tracing::debug!("token refresher started");
    loop {
        let now = Utc::now();
        let accounts = app.accounts.all();
        // Forget retry state of accounts that are gone or were replaced by a new sign-in.
        retries.retain(|id, _| accounts.iter().any(|a| &a.id == id));
        let due: Vec<(Arc<Account>, bool)> = accounts
            .iter()
            .filter_map(|a| {
                let force = forced.contains(&None) || forced.contains(&Some(a.id.clone()));
                let due = next_due(a, retries.get(&a.id))?;
                (force || due <= now).then(|| (a.clone(), force))
            })
            .collect();
        forced.clear();
        let results = futures::future::join_all(due.iter().map(|(account, force)| {
            let account = account.clone();
            let force = *force;
            async move { (account.id.clone(), account.refresh_if_due(force).await) }
        }))
        .await;
        for (id, result) in results {
            match result {
                Ok(_) => {
                    retries.remove(&id);
                }
                Err(RefreshError::NeedsSignIn { .. }) => {
                    retries.remove(&id);
                }
                Err(RefreshError::Keyring(_) | RefreshError::Transient { .. }) => {
                    let failures = retries.get(&id).map_or(0, |r| r.failures) + 1;
                    let delay = backoff_delay(failures);
                    tracing::info!(account = %id, failures, retry_in_ms = delay.as_millis() as u64, "refresh will be retried");
                    retries.insert(
                        id,
                        Retry {
                            failures,
                            at: Utc::now()
                                + TimeDelta::from_std(delay).unwrap_or(TimeDelta::seconds(1)),
                        },
                    );
                }
            }
        }

        let now = Utc::now();
        let next = app
            .accounts
            .all()
            .iter()
            .filter_map(|a| next_due(a, retries.get(&a.id)))
            .min();
        let nap = next
            .map(|at| (at - now).to_std().unwrap_or(Duration::ZERO))
            .unwrap_or(MAX_NAP)
            .min(MAX_NAP);
        tokio::select! {
            _ = tokio::time::sleep(nap) => {}
            command = commands.recv() => match command {
                Some(Command::Force(account)) => {
                    if let Some(id) = &account {
                        retries.remove(id);
                    } else {
                        retries.clear();
                    }
                    forced.insert(account);
                }
                Some(Command::Stop) | None => break,
            },
            event = events.recv() => match event {
                // A new sign-in replaces the account: schedule it from scratch.
                Ok(AccountEvent::SignedIn { id }) => {
                    retries.remove(&id);
                }
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => break,
            },
        }
    }
    tracing::debug!("token refresher stopped");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        for failures in 1..=20u32 {
            let step = BACKOFF_BASE
                .saturating_mul(1u32 << (failures.min(16) - 1))
                .min(BACKOFF_CAP);
            for _ in 0..20 {
                let d = backoff_delay(failures);
                assert!(d >= step / 2 && d <= step, "{failures}: {d:?} vs {step:?}");
            }
        }
        assert!(backoff_delay(30) <= BACKOFF_CAP);
        assert!(backoff_delay(1) <= BACKOFF_BASE);
    }
}
