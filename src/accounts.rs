//! Signed-in accounts as the daemon holds them: the refresh token read from the keyring, the
//! current access token in memory, and the account's health.
//!
//! Access tokens are refreshed on demand with one refresh in flight per account: callers
//! queue on the account's async lock, and whoever gets it first refreshes while the rest find
//! the fresh token when their turn comes. A rotated refresh token is written to the keyring
//! before the new access token is handed out, so a crash can never lose the only valid one.

use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use tokio::sync::broadcast;

use crate::config::Config;
use crate::oauth::{self, OAuthClientConfig, OAuthError};
use crate::paths::Paths;
use crate::providers::{self, ProviderId};
use crate::tokens::{AccountId, AccountRecord, Accounts, SecretStore};
use crate::tools::{ToolError, ToolErrorKind};

/// Refresh this long before the provider's stated expiry, so a token never expires mid-call.
const EXPIRY_MARGIN: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// Whether an account can be used, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Health {
    Ok,
    NeedsSignIn { reason: String },
    RefreshFailing { detail: String },
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
    pub signed_in_at: DateTime<Utc>,
    pub scopes: Vec<String>,
}

/// What changes on every refresh; read by `status`.
#[derive(Clone)]
struct Vitals {
    health: Health,
    access_expires_at: Option<DateTime<Utc>>,
    last_refresh: Option<DateTime<Utc>>,
}

struct CachedAccess {
    token: SecretString,
    expires_at: DateTime<Utc>,
}

pub struct Account {
    pub id: AccountId,
    record: AccountRecord,
    oauth: OAuthClientConfig,
    http: reqwest::Client,
    store: Arc<dyn SecretStore>,
    refresh_token: Mutex<Option<SecretString>>,
    access: tokio::sync::Mutex<Option<CachedAccess>>,
    vitals: Mutex<Vitals>,
}

impl Account {
    pub fn record(&self) -> &AccountRecord {
        &self.record
    }

    pub fn health(&self) -> Health {
        self.vitals.lock().unwrap().health.clone()
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
            signed_in_at: self.record.signed_in_at,
            scopes: self.record.scopes.clone(),
        }
    }

    fn set_health(&self, health: Health) {
        self.vitals.lock().unwrap().health = health;
    }

    /// A valid access token, refreshing it first when it is missing or about to expire.
    pub async fn access_token(&self) -> Result<SecretString, ToolError> {
        let mut cached = self.access.lock().await;
        if let Some(c) = cached.as_ref()
            && c.expires_at - EXPIRY_MARGIN > Utc::now()
        {
            return Ok(c.token.clone());
        }
        let refresh_token = self
            .refresh_token
            .lock()
            .unwrap()
            .clone()
            .ok_or_else(|| needs_sign_in(self.id.provider, "no refresh token is stored"))?;
        match oauth::refresh(&self.oauth, &self.http, &refresh_token).await {
            Ok(tokens) => {
                if let Some(rotated) = tokens.refresh_token {
                    // Persist first: if we crash after this, the keyring holds the live token.
                    let store = self.store.clone();
                    let id = self.id.clone();
                    let to_save = rotated.clone();
                    tokio::task::spawn_blocking(move || store.save(&id, &to_save))
                        .await
                        .map_err(|e| ToolError::internal(format!("keyring task failed: {e}")))?
                        .map_err(|e| ToolError::new(ToolErrorKind::Unavailable, format!("{e}")))?;
                    *self.refresh_token.lock().unwrap() = Some(rotated);
                }
                let lifetime = tokens
                    .expires_in
                    .unwrap_or(std::time::Duration::from_secs(3600));
                let now = Utc::now();
                let expires_at = now
                    + chrono::TimeDelta::from_std(lifetime).unwrap_or(chrono::TimeDelta::hours(1));
                *cached = Some(CachedAccess {
                    token: tokens.access_token.clone(),
                    expires_at,
                });
                *self.vitals.lock().unwrap() = Vitals {
                    health: Health::Ok,
                    access_expires_at: Some(expires_at),
                    last_refresh: Some(now),
                };
                tracing::info!(account = %self.id, expires_at = %expires_at, "access token refreshed");
                Ok(tokens.access_token)
            }
            Err(OAuthError::InvalidGrant { description }) => {
                tracing::warn!(account = %self.id, reason = %description, "refresh token rejected; sign-in needed");
                self.set_health(Health::NeedsSignIn {
                    reason: description.clone(),
                });
                Err(needs_sign_in(self.id.provider, &description))
            }
            Err(e) => {
                let detail = e.to_string();
                tracing::warn!(account = %self.id, error = %detail, "token refresh failed");
                self.set_health(Health::RefreshFailing {
                    detail: detail.clone(),
                });
                Err(ToolError::new(
                    ToolErrorKind::Unavailable,
                    format!(
                        "could not refresh the {} sign-in ({detail}); try again in a minute",
                        self.id.provider.display_name()
                    ),
                ))
            }
        }
    }

    /// The API refused `token` (401): drop it so the next call refreshes.
    pub async fn token_rejected(&self, token: &SecretString) {
        let mut cached = self.access.lock().await;
        if cached
            .as_ref()
            .is_some_and(|c| c.token.expose_secret() == token.expose_secret())
        {
            *cached = None;
        }
    }
}

/// The error every tool returns when an account must sign in again.
pub fn needs_sign_in(provider: ProviderId, reason: &str) -> ToolError {
    ToolError::new(
        ToolErrorKind::NeedsSignIn,
        format!(
            "{} needs you to sign in again ({reason}): use the tray menu or run `chatkey login {}`",
            provider.display_name(),
            provider.name()
        ),
    )
}

/// All accounts the daemon knows, rebuilt by `reload` after a sign-in or sign-out.
pub struct Registry {
    paths: Paths,
    store: Arc<dyn SecretStore>,
    http: reqwest::Client,
    accounts: RwLock<Vec<Arc<Account>>>,
    changed: broadcast::Sender<()>,
}

impl Registry {
    pub fn new(paths: Paths, store: Arc<dyn SecretStore>, http: reqwest::Client) -> Self {
        Self {
            paths,
            store,
            http,
            accounts: RwLock::new(Vec::new()),
            changed: broadcast::channel(16).0,
        }
    }

    /// Re-reads config, account records and refresh tokens. Accounts whose refresh token did
    /// not change keep their cached access token.
    pub async fn reload(&self) -> anyhow::Result<()> {
        let config = Config::load(&self.paths.config_file())?;
        let records = Accounts::load(&self.paths.accounts_file())?;
        let mut next = Vec::new();
        for record in records.iter() {
            let id = AccountId {
                provider: record.provider,
                email: record.email.clone(),
            };
            let oauth = match providers::oauth_config(record.provider, &config) {
                Ok(oauth) => oauth,
                Err(e) => {
                    tracing::warn!(account = %id, error = %e, "account skipped");
                    continue;
                }
            };
            let store = self.store.clone();
            let load_id = id.clone();
            let loaded = tokio::task::spawn_blocking(move || store.load(&load_id)).await?;
            let (refresh_token, health) = match loaded {
                Ok(Some(token)) => (Some(token), Health::Ok),
                Ok(None) => (
                    None,
                    Health::NeedsSignIn {
                        reason: "no refresh token in the keyring".into(),
                    },
                ),
                Err(e) => (
                    None,
                    Health::RefreshFailing {
                        detail: e.to_string(),
                    },
                ),
            };
            if let Some(existing) = self.find(&id)
                && same_secret(&existing.refresh_token.lock().unwrap(), &refresh_token)
            {
                next.push(existing);
                continue;
            }
            next.push(Arc::new(Account {
                id,
                record: record.clone(),
                oauth,
                http: self.http.clone(),
                store: self.store.clone(),
                refresh_token: Mutex::new(refresh_token),
                access: tokio::sync::Mutex::new(None),
                vitals: Mutex::new(Vitals {
                    health,
                    access_expires_at: None,
                    last_refresh: None,
                }),
            }));
        }
        let before = self.signed_in_providers();
        *self.accounts.write().unwrap() = next;
        if before != self.signed_in_providers() {
            let _ = self.changed.send(());
        }
        Ok(())
    }

    fn find(&self, id: &AccountId) -> Option<Arc<Account>> {
        self.accounts
            .read()
            .unwrap()
            .iter()
            .find(|a| &a.id == id)
            .cloned()
    }

    pub fn all(&self) -> Vec<Arc<Account>> {
        self.accounts.read().unwrap().clone()
    }

    /// Providers with at least one account on record; their tools are listed.
    pub fn signed_in_providers(&self) -> Vec<ProviderId> {
        let mut providers: Vec<_> = self.all().iter().map(|a| a.id.provider).collect();
        providers.sort();
        providers.dedup();
        providers
    }

    /// Fires when the set of signed-in providers changes (MCP sends `tools/list_changed`).
    pub fn subscribe(&self) -> broadcast::Receiver<()> {
        self.changed.subscribe()
    }

    /// The account a tool call should use: the one named, or the only one.
    pub fn resolve(
        &self,
        provider: ProviderId,
        account: Option<&str>,
    ) -> Result<Arc<Account>, ToolError> {
        let candidates: Vec<_> = self
            .all()
            .into_iter()
            .filter(|a| a.id.provider == provider)
            .collect();
        if let Some(email) = account {
            return candidates
                .into_iter()
                .find(|a| a.id.email.eq_ignore_ascii_case(email))
                .ok_or_else(|| {
                    ToolError::invalid_argument(format!(
                        "no {} account `{email}` is signed in: run `chatkey status` to see accounts, or `chatkey login {}`",
                        provider.display_name(),
                        provider.name()
                    ))
                });
        }
        match candidates.len() {
            0 => Err(ToolError::new(
                ToolErrorKind::NeedsSignIn,
                format!(
                    "{} is not signed in: use the tray menu or run `chatkey login {}`",
                    provider.display_name(),
                    provider.name()
                ),
            )),
            1 => Ok(candidates.into_iter().next().unwrap()),
            _ => Err(ToolError::invalid_argument(format!(
                "several {} accounts are signed in ({}): pass `account` with the email to use",
                provider.display_name(),
                candidates
                    .iter()
                    .map(|a| a.id.email.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }
}

fn same_secret(a: &Option<SecretString>, b: &Option<SecretString>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.expose_secret() == b.expose_secret(),
        (None, None) => true,
        _ => false,
    }
}
