//! Signed-in accounts as the daemon holds them: the refresh token read from the keyring, the
//! current access token in memory, and the account's health.
//!
//! One refresh is in flight per account: the background refresher (`refresher.rs`) and tool
//! calls queue on the account's async lock, and whoever gets it first refreshes while the rest
//! find the fresh token when their turn comes. The refresher renews tokens well before they
//! expire, so tool calls normally never refresh; the call path only refreshes when a token
//! is already (nearly) dead, e.g. right after the machine woke up. A rotated refresh token is
//! written to the keyring before the new access token is handed out, so a crash can never lose
//! the only valid one. Every change of health is broadcast once (`AccountEvent`), which is what
//! notifications and the refresher's schedule follow.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use tokio::sync::broadcast;

use crate::oauth::{self, OAuthClientConfig, OAuthError};
use crate::providers::ProviderId;
use crate::tokens::{AccountId, AccountRecord, SecretKind, SecretStore, StoreError};
use crate::tools::{ToolError, ToolErrorKind};

mod registry;
pub use registry::Registry;

/// Google's access tokens live an hour; used when a provider does not say.
const DEFAULT_LIFETIME: TimeDelta = TimeDelta::hours(1);
/// How long a long-lived token (an imported Slack `xoxp-`) is used before it is read again.
const LONG_LIVED_RECHECK: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Whether an account can be used, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Health {
    Ok,
    NeedsSignIn { reason: String },
    RefreshFailing { detail: String },
}

/// What happened to an account; broadcast to the refresher and the notifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountEvent {
    /// The account's health changed (sent once per change, never for the same state twice).
    Health {
        id: AccountId,
        health: Health,
        /// The keyring, not the provider, is what failed (the fix is on this machine).
        keyring: bool,
    },
    /// A new refresh token arrived (sign-in, re-login, import) while the daemon ran.
    SignedIn { id: AccountId },
    /// An access token was refreshed; `on_call_path` when a tool call had to wait for it.
    Refreshed {
        id: AccountId,
        expires_at: DateTime<Utc>,
        on_call_path: bool,
    },
}

/// What `status` shows about one account; never contains a token.
#[derive(Debug, Clone, Serialize)]
pub struct AccountStatus {
    pub provider: ProviderId,
    pub email: String,
    pub display_name: Option<String>,
    #[serde(flatten)]
    pub health: Health,
    pub access_token_expires_at: Option<DateTime<Utc>>,
    pub last_refresh: Option<DateTime<Utc>>,
    /// When the refresher will renew the access token next.
    pub next_refresh: Option<DateTime<Utc>>,
    pub signed_in_at: DateTime<Utc>,
    pub scopes: Vec<String>,
}

/// What changes on every refresh; read by `status` and the refresher without the async lock.
#[derive(Clone)]
struct Vitals {
    health: Health,
    access_expires_at: Option<DateTime<Utc>>,
    last_refresh: Option<DateTime<Utc>>,
    refresh_due: Option<DateTime<Utc>>,
}

struct CachedAccess {
    token: SecretString,
    expires_at: DateTime<Utc>,
    lifetime: TimeDelta,
}

/// When a cached token is too close to expiry to hand to a tool call: a tenth of its
/// lifetime, at most a minute, so a request never starts with a token about to die.
fn call_margin(lifetime: TimeDelta) -> TimeDelta {
    (lifetime / 10).min(TimeDelta::seconds(60))
}

/// When the refresher renews a token: after 75–85 % of its lifetime. The jitter spreads
/// accounts (and daemons on several machines) apart so they do not refresh in lockstep.
pub fn refresh_due(issued_at: DateTime<Utc>, lifetime: TimeDelta) -> DateTime<Utc> {
    let fraction = 0.75 + rand::random::<f64>() * 0.10;
    let ms = (lifetime.num_milliseconds() as f64 * fraction) as i64;
    issued_at + TimeDelta::milliseconds(ms)
}

/// Why a refresh did not produce a token.
#[derive(Debug, Clone)]
pub enum RefreshError {
    /// The provider refused the refresh token (`invalid_grant`): only a sign-in helps.
    NeedsSignIn { reason: String },
    /// The keyring could not be read or written; the fix is on this machine.
    Keyring(StoreError),
    /// Network, 5xx, `temporarily_unavailable`: worth retrying with backoff.
    Transient { detail: String },
}

/// What the registry needs to know about providers. Accounts sit below providers, so the
/// provider layer implements this (`providers::AccountRules`) and hands it in.
pub trait ProviderRules: Send + Sync + 'static {
    /// The OAuth client an account of `provider` refreshes with.
    fn oauth_client(
        &self,
        provider: ProviderId,
        config: &crate::config::Config,
    ) -> anyhow::Result<OAuthClientConfig>;
    /// `default_account` from the provider's config section.
    fn default_account(
        &self,
        provider: ProviderId,
        config: &crate::config::Config,
    ) -> Option<String>;
    /// Why the provider refused the refresh token, in words the person can act on.
    fn explain_ended_sign_in(
        &self,
        record: &AccountRecord,
        description: &str,
        last_refresh: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> String;
}

pub struct Account {
    pub id: AccountId,
    record: AccountRecord,
    oauth: OAuthClientConfig,
    rules: Arc<dyn ProviderRules>,
    http: reqwest::Client,
    store: Arc<dyn SecretStore>,
    refresh_token: Mutex<Option<SecretString>>,
    access: tokio::sync::Mutex<Option<CachedAccess>>,
    vitals: Mutex<Vitals>,
    events: broadcast::Sender<AccountEvent>,
    call_path_refreshes: AtomicU64,
}

impl Account {
    pub fn record(&self) -> &AccountRecord {
        &self.record
    }

    /// Whether `name` (from a tool's `account` parameter) means this account: its email or
    /// one of the provider's aliases for it (a Slack workspace's domain), case-insensitively.
    pub fn answers_to(&self, name: &str) -> bool {
        self.id.email.eq_ignore_ascii_case(name)
            || self
                .record
                .aliases
                .iter()
                .any(|a| a.eq_ignore_ascii_case(name))
    }

    pub fn health(&self) -> Health {
        self.vitals.lock().unwrap().health.clone()
    }

    /// When the refresher should renew the token; `None` when there is no token yet.
    pub fn refresh_due_at(&self) -> Option<DateTime<Utc>> {
        self.vitals.lock().unwrap().refresh_due
    }

    /// How many tool calls had to wait for a refresh (the refresher should keep this at 0).
    pub fn call_path_refreshes(&self) -> u64 {
        self.call_path_refreshes.load(Ordering::Relaxed)
    }

    pub fn status(&self) -> AccountStatus {
        let v = self.vitals.lock().unwrap().clone();
        AccountStatus {
            provider: self.id.provider,
            email: self.id.email.clone(),
            display_name: self.record.display_name.clone(),
            health: v.health,
            access_token_expires_at: v.access_expires_at,
            last_refresh: v.last_refresh,
            next_refresh: v.refresh_due,
            signed_in_at: self.record.signed_in_at,
            scopes: self.record.scopes.clone(),
        }
    }

    /// Records `health` and announces it, once: the same state twice is not news.
    fn set_health(&self, health: Health, keyring: bool) {
        let mut vitals = self.vitals.lock().unwrap();
        if vitals.health == health {
            return;
        }
        vitals.health = health.clone();
        drop(vitals);
        let _ = self.events.send(AccountEvent::Health {
            id: self.id.clone(),
            health,
            keyring,
        });
    }

    /// A valid access token for a tool call. Normally the refresher has renewed it already;
    /// only a token that is (nearly) expired is refreshed here.
    pub async fn access_token(&self) -> Result<SecretString, ToolError> {
        let mut cached = self.access.lock().await;
        if let Some(c) = cached.as_ref()
            && c.expires_at - call_margin(c.lifetime) > Utc::now()
        {
            return Ok(c.token.clone());
        }
        // A refused refresh token stays refused; asking again only adds load and latency.
        if let Health::NeedsSignIn { reason } = self.health() {
            return Err(needs_sign_in(self.id.provider, &reason));
        }
        self.call_path_refreshes.fetch_add(1, Ordering::Relaxed);
        self.refresh_locked(&mut cached, true)
            .await
            .map_err(|e| self.tool_error(e))
    }

    /// The refresher's entry point: renews the token when it is due (or `force`), sharing
    /// the one in-flight refresh with tool calls. `Ok(None)` means nothing was due (a tool
    /// call refreshed while we waited for the lock).
    pub async fn refresh_if_due(&self, force: bool) -> Result<Option<DateTime<Utc>>, RefreshError> {
        let mut cached = self.access.lock().await;
        if !force && cached.is_some() && self.refresh_due_at().is_some_and(|due| due > Utc::now()) {
            return Ok(None);
        }
        if let Health::NeedsSignIn { reason } = self.health() {
            return Err(RefreshError::NeedsSignIn { reason });
        }
        self.refresh_locked(&mut cached, false).await?;
        Ok(cached.as_ref().map(|c| c.expires_at))
    }

    async fn refresh_token(&self) -> Result<SecretString, RefreshError> {
        if let Some(token) = self.refresh_token.lock().unwrap().clone() {
            return Ok(token);
        }
        // The keyring was unavailable when the account loaded; try again, so the daemon
        // recovers by itself once the keyring is back.
        let store = self.store.clone();
        let id = self.id.clone();
        let loaded = tokio::task::spawn_blocking(move || store.load(&id))
            .await
            .map_err(|e| RefreshError::Transient {
                detail: format!("keyring task failed: {e}"),
            })?;
        match loaded {
            Ok(Some(token)) => {
                *self.refresh_token.lock().unwrap() = Some(token.clone());
                Ok(token)
            }
            Ok(None) => Err(RefreshError::NeedsSignIn {
                reason: "no refresh token is stored in the keyring".into(),
            }),
            Err(e) => Err(RefreshError::Keyring(e)),
        }
    }

    async fn refresh_locked(
        &self,
        cached: &mut Option<CachedAccess>,
        on_call_path: bool,
    ) -> Result<SecretString, RefreshError> {
        let outcome = self.refresh_inner(cached, on_call_path).await;
        match &outcome {
            Ok(_) => {
                // Health first, so whoever sees `Refreshed` also sees the account as ok.
                self.set_health(Health::Ok, false);
                if let Some(expires_at) = cached.as_ref().map(|c| c.expires_at) {
                    let _ = self.events.send(AccountEvent::Refreshed {
                        id: self.id.clone(),
                        expires_at,
                        on_call_path,
                    });
                }
            }
            Err(RefreshError::NeedsSignIn { reason }) => {
                tracing::warn!(account = %self.id, reason = %reason, "refresh token rejected; sign-in needed");
                self.set_health(
                    Health::NeedsSignIn {
                        reason: reason.clone(),
                    },
                    false,
                );
            }
            Err(RefreshError::Keyring(e)) => {
                tracing::warn!(account = %self.id, error = %e, "keyring unusable during refresh");
                self.set_health(
                    Health::RefreshFailing {
                        detail: e.to_string(),
                    },
                    true,
                );
            }
            Err(RefreshError::Transient { detail }) => {
                tracing::warn!(account = %self.id, error = %detail, "token refresh failed");
                self.set_health(
                    Health::RefreshFailing {
                        detail: detail.clone(),
                    },
                    false,
                );
            }
        }
        outcome
    }

    async fn refresh_inner(
        &self,
        cached: &mut Option<CachedAccess>,
        on_call_path: bool,
    ) -> Result<SecretString, RefreshError> {
        let refresh_token = self.refresh_token().await?;
        let outcome = if self.record.secret_kind == SecretKind::LongLived {
            // A long-lived token is its own access token: nothing to refresh. Re-check it
            // with the keyring now and then (a re-import replaces it).
            Ok(oauth::TokenResponse {
                access_token: refresh_token.clone(),
                refresh_token: None,
                expires_in: Some(LONG_LIVED_RECHECK),
                scopes: None,
            })
        } else {
            oauth::refresh(&self.oauth, &self.http, &refresh_token).await
        };
        let tokens = match outcome {
            Ok(tokens) => tokens,
            Err(OAuthError::InvalidGrant { description }) => {
                let last_refresh = self.vitals.lock().unwrap().last_refresh;
                return Err(RefreshError::NeedsSignIn {
                    reason: self.rules.explain_ended_sign_in(
                        &self.record,
                        &description,
                        last_refresh,
                        Utc::now(),
                    ),
                });
            }
            Err(e) => {
                return Err(RefreshError::Transient {
                    detail: e.to_string(),
                });
            }
        };
        if let Some(rotated) = tokens.refresh_token {
            // Keep the rotated token in memory at once: the provider may already have retired
            // the old one, so even if the keyring write fails this is the one to retry with.
            *self.refresh_token.lock().unwrap() = Some(rotated.clone());
            // Persist before the access token is used: after a crash from here on, the
            // keyring holds the live refresh token.
            let store = self.store.clone();
            let id = self.id.clone();
            tokio::task::spawn_blocking(move || store.save(&id, &rotated))
                .await
                .map_err(|e| RefreshError::Transient {
                    detail: format!("keyring task failed: {e}"),
                })?
                .map_err(RefreshError::Keyring)?;
        }
        let lifetime = tokens
            .expires_in
            .and_then(|d| TimeDelta::from_std(d).ok())
            .filter(|d| *d > TimeDelta::zero())
            .unwrap_or(DEFAULT_LIFETIME);
        let now = Utc::now();
        let expires_at = now + lifetime;
        *cached = Some(CachedAccess {
            token: tokens.access_token.clone(),
            expires_at,
            lifetime,
        });
        {
            let mut vitals = self.vitals.lock().unwrap();
            vitals.access_expires_at = Some(expires_at);
            vitals.last_refresh = Some(now);
            vitals.refresh_due = Some(refresh_due(now, lifetime));
        }
        tracing::info!(account = %self.id, expires_at = %expires_at, on_call_path, "access token refreshed");
        Ok(tokens.access_token)
    }

    fn tool_error(&self, e: RefreshError) -> ToolError {
        let provider = self.id.provider;
        match e {
            RefreshError::NeedsSignIn { reason } => needs_sign_in(provider, &reason),
            RefreshError::Keyring(e) => ToolError::new(
                ToolErrorKind::Unavailable,
                format!(
                    "chatkey cannot use the keyring for {} right now: {e}",
                    provider.display_name()
                ),
            ),
            RefreshError::Transient { detail } => ToolError::new(
                ToolErrorKind::Unavailable,
                format!(
                    "could not refresh the {} sign-in ({detail}); chatkey keeps retrying, try again in a minute",
                    provider.display_name()
                ),
            ),
        }
    }

    /// The provider says the sign-in itself is over (a revoked long-lived token, a removed
    /// app): every tool now answers with how to sign in again.
    pub fn sign_in_ended(&self, reason: &str) -> ToolError {
        self.set_health(
            Health::NeedsSignIn {
                reason: reason.to_owned(),
            },
            false,
        );
        needs_sign_in(self.id.provider, reason)
    }

    /// The API refused `token` (401): drop it so the next call refreshes.
    pub async fn token_rejected(&self, token: &SecretString) {
        let mut cached = self.access.lock().await;
        if cached
            .as_ref()
            .is_some_and(|c| c.token.expose_secret() == token.expose_secret())
        {
            *cached = None;
            self.vitals.lock().unwrap().refresh_due = None;
        }
    }
}

/// The error every tool returns when an account must sign in again.
pub fn needs_sign_in(provider: ProviderId, reason: &str) -> ToolError {
    ToolError::new(
        ToolErrorKind::NeedsSignIn,
        format!(
            "{} needs you to sign in again ({reason}): call the chatkey_sign_in tool, use the tray menu, or run `chatkey login {}`",
            provider.display_name(),
            provider.name()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(days: i64, hours: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            + TimeDelta::days(days)
            + TimeDelta::hours(hours)
    }

    #[test]
    fn refresh_is_due_between_75_and_85_percent_of_the_lifetime() {
        let now = at(0, 0);
        for _ in 0..100 {
            let due = refresh_due(now, TimeDelta::seconds(100));
            assert!(
                due >= now + TimeDelta::seconds(75) && due <= now + TimeDelta::seconds(85),
                "{due}"
            );
        }
        assert_eq!(call_margin(TimeDelta::hours(1)), TimeDelta::seconds(60));
        assert_eq!(
            call_margin(TimeDelta::seconds(4)),
            TimeDelta::milliseconds(400)
        );
    }
}
