//! The set of accounts the daemon serves, rebuilt from config, `accounts.json` and the
//! keyring on every reload (start-up, `chatkey login`/`logout`, `chatkey_sign_in`), and the
//! choice of account for a tool call (named, only, or the configured default).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use secrecy::{ExposeSecret, SecretString};
use tokio::sync::broadcast;

use super::{Account, AccountEvent, Health, ProviderRules, Vitals};
use crate::config::Config;
use crate::paths::Paths;
use crate::providers::ProviderId;
use crate::tokens::{AccountId, Accounts, SecretStore};
use crate::tools::{ToolError, ToolErrorKind};

/// All accounts the daemon knows, rebuilt by `reload` after a sign-in or sign-out.
pub struct Registry {
    paths: Paths,
    store: Arc<dyn SecretStore>,
    http: reqwest::Client,
    rules: Arc<dyn ProviderRules>,
    accounts: RwLock<Vec<Arc<Account>>>,
    /// `default_account` from config.toml, per provider.
    defaults: RwLock<Vec<(ProviderId, String)>>,
    changed: broadcast::Sender<()>,
    events: broadcast::Sender<AccountEvent>,
    /// Accounts present at the first load are not "new sign-ins" worth announcing.
    loaded_once: AtomicBool,
}

impl Registry {
    pub fn new(
        paths: Paths,
        store: Arc<dyn SecretStore>,
        http: reqwest::Client,
        rules: Arc<dyn ProviderRules>,
    ) -> Self {
        Self {
            paths,
            store,
            http,
            rules,
            accounts: RwLock::new(Vec::new()),
            defaults: RwLock::new(Vec::new()),
            changed: broadcast::channel(16).0,
            events: broadcast::channel(256).0,
            loaded_once: AtomicBool::new(false),
        }
    }

    /// Re-reads config, account records and refresh tokens. Accounts whose refresh token did
    /// not change keep their cached access token.
    pub async fn reload(&self) -> anyhow::Result<()> {
        let config = Config::load(&self.paths.config_file())?;
        let records = Accounts::load(&self.paths.accounts_file())?;
        *self.defaults.write().unwrap() = ProviderId::ALL
            .into_iter()
            .filter_map(|p| Some((p, self.rules.default_account(p, &config)?)))
            .collect();
        let announce = self.loaded_once.swap(true, Ordering::SeqCst);
        let mut next = Vec::new();
        let mut signed_in = Vec::new();
        for record in records.iter() {
            let id = AccountId {
                provider: record.provider,
                email: record.email.clone(),
            };
            let oauth = match self.rules.oauth_client(record.provider, &config) {
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
            let existing = self.find(&id);
            if let Some(existing) = &existing
                && (refresh_token.is_none()
                    || same_secret(&existing.refresh_token.lock().unwrap(), &refresh_token))
            {
                // Same token, or the keyring could not say: keep the live account (and its
                // in-memory rotated token) rather than forget a working sign-in.
                next.push(existing.clone());
                continue;
            }
            if announce && refresh_token.is_some() {
                signed_in.push(id.clone());
            }
            next.push(Arc::new(Account {
                id,
                record: record.clone(),
                oauth,
                rules: self.rules.clone(),
                http: self.http.clone(),
                store: self.store.clone(),
                refresh_token: Mutex::new(refresh_token),
                access: tokio::sync::Mutex::new(None),
                vitals: Mutex::new(Vitals {
                    health,
                    access_expires_at: None,
                    last_refresh: None,
                    refresh_due: None,
                }),
                events: self.events.clone(),
                call_path_refreshes: AtomicU64::new(0),
            }));
        }
        let before = self.signed_in_providers();
        *self.accounts.write().unwrap() = next;
        if before != self.signed_in_providers() || !signed_in.is_empty() {
            let _ = self.changed.send(());
        }
        for id in signed_in {
            tracing::info!(account = %id, "new sign-in picked up");
            let _ = self.events.send(AccountEvent::SignedIn { id });
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

    /// Fires when tools may have changed: a provider signed in or out, or a new sign-in
    /// arrived (MCP sends `tools/list_changed`).
    pub fn subscribe(&self) -> broadcast::Receiver<()> {
        self.changed.subscribe()
    }

    /// Health changes, sign-ins and refreshes of every account.
    pub fn events(&self) -> broadcast::Receiver<AccountEvent> {
        self.events.subscribe()
    }

    /// The account a tool call should use: the one named, the only one, or the configured
    /// `default_account` when several are signed in.
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
                .find(|a| a.answers_to(email))
                .ok_or_else(|| {
                    ToolError::invalid_argument(format!(
                        "no {} account `{email}` is signed in: run `chatkey status` to see accounts, or `chatkey login {}`",
                        provider.display_name(),
                        provider.name()
                    ))
                });
        }
        let default = self
            .defaults
            .read()
            .unwrap()
            .iter()
            .find(|(p, _)| *p == provider)
            .map(|(_, email)| email.clone());
        match candidates.len() {
            0 => Err(ToolError::new(
                ToolErrorKind::NeedsSignIn,
                format!(
                    "{} is not signed in: call the chatkey_sign_in tool, use the tray menu, or run `chatkey login {}`",
                    provider.display_name(),
                    provider.name()
                ),
            )),
            1 => Ok(candidates.into_iter().next().unwrap()),
            _ => {
                if let Some(default) = default
                    && let Some(found) = candidates
                        .iter()
                        .find(|a| a.id.email.eq_ignore_ascii_case(&default))
                {
                    return Ok(found.clone());
                }
                Err(ToolError::invalid_argument(format!(
                    "several {} accounts are signed in ({}): pass `account` with the email to use, or set `default_account` under [providers.{}] in config.toml",
                    provider.display_name(),
                    candidates
                        .iter()
                        .map(|a| a.id.email.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    provider.name()
                )))
            }
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
