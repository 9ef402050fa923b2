//! Signing in and out, from consent to keyring to a running daemon: the flows behind
//! `chatkey login`, `logout`, `import` and `export` (and later the tray and `chatkey_sign_in`).
//!
//! Order matters for "no data lost": the refresh token is saved to the keyring before the
//! account record that points at it, and an account is removed locally only after the
//! provider was asked to revoke it (or could not be reached, which is reported).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use secrecy::SecretString;
use url::Url;

use crate::config::Config;
use crate::oauth::{self, AuthorizeOptions};
use crate::paths::Paths;
use crate::providers::{self, Identity, ImportSource, ProviderId};
use crate::tokens::{AccountId, AccountRecord, Accounts, KeyringStore, SecretKind, SecretStore};

pub struct LoginOptions {
    pub open_browser: bool,
    pub login_hint: Option<String>,
    pub timeout: Duration,
}

impl Default for LoginOptions {
    fn default() -> Self {
        Self {
            open_browser: std::env::var_os("CHATKEY_NO_BROWSER").is_none_or(|v| v != "1"),
            login_hint: None,
            timeout: Duration::from_secs(300),
        }
    }
}

/// Opens the profile's keyring, failing early (before a browser round trip) when there is
/// no usable keyring.
pub async fn open_store(paths: &Paths) -> anyhow::Result<Arc<dyn SecretStore>> {
    let service = paths.keyring_service();
    let store = tokio::task::spawn_blocking(move || -> anyhow::Result<Arc<dyn SecretStore>> {
        let store = KeyringStore::new(service)?;
        // A lookup that finds nothing proves the keyring answers and is unlocked.
        store.load(&AccountId {
            provider: ProviderId::GoogleChat,
            email: "chatkey-probe@invalid".into(),
        })?;
        Ok(Arc::new(store))
    })
    .await??;
    Ok(store)
}

/// The whole consent loop for `provider`; returns the signed-in account.
pub async fn login(
    paths: &Paths,
    provider: ProviderId,
    opts: LoginOptions,
    on_url: impl FnOnce(&Url) + Send,
) -> anyhow::Result<AccountRecord> {
    let p = providers::require(provider)?;
    // Config problems are reported before the keyring is touched.
    p.oauth_client(&Config::load(&paths.config_file())?)?;
    let store = open_store(paths).await?;
    login_into(paths, provider, opts, store, on_url).await
}

/// `login` into a store the caller already holds (the daemon's, for `chatkey_sign_in`).
pub async fn login_into(
    paths: &Paths,
    provider: ProviderId,
    opts: LoginOptions,
    store: Arc<dyn SecretStore>,
    on_url: impl FnOnce(&Url) + Send,
) -> anyhow::Result<AccountRecord> {
    let p = providers::require(provider)?;
    let config = Config::load(&paths.config_file())?;
    let oauth_config = p.oauth_client(&config)?;
    let http = crate::http::client();
    let tokens = oauth::authorize(
        &oauth_config,
        &http,
        AuthorizeOptions {
            open_browser: opts.open_browser,
            timeout: opts.timeout,
            login_hint: opts.login_hint,
        },
        on_url,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    finish(paths, provider, &config, &oauth_config, tokens, store).await
}

/// `chatkey login --device-code`: the device authorization grant, for a machine where no
/// browser can reach the loopback listener. `on_code` shows the code and where to enter it.
pub async fn login_device_code(
    paths: &Paths,
    provider: ProviderId,
    store: Arc<dyn SecretStore>,
    on_code: impl FnOnce(&oauth::DeviceCode) + Send,
) -> anyhow::Result<AccountRecord> {
    let p = providers::require(provider)?;
    let config = Config::load(&paths.config_file())?;
    let oauth_config = p.oauth_client(&config)?;
    let device_url = p.device_code_url(&config).with_context(|| {
        format!(
            "{} has no device-code sign-in; use `chatkey login {} --no-browser` and open the link on this computer",
            provider.display_name(),
            provider.name()
        )
    })?;
    let http = crate::http::client();
    let tokens = oauth::device_authorize(&oauth_config, &http, &device_url, on_code)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    finish(paths, provider, &config, &oauth_config, tokens, store).await
}

/// After consent, either way: who signed in, then keyring, record and daemon.
async fn finish(
    paths: &Paths,
    provider: ProviderId,
    config: &Config,
    oauth_config: &oauth::OAuthClientConfig,
    tokens: oauth::TokenResponse,
    store: Arc<dyn SecretStore>,
) -> anyhow::Result<AccountRecord> {
    let p = providers::require(provider)?;
    let http = crate::http::client();
    let refresh_token = tokens.refresh_token.clone().with_context(|| {
        format!(
            "{} returned no refresh token, so chatkey could not stay signed in; {}",
            provider.display_name(),
            p.no_refresh_token_advice()
        )
    })?;
    let identity = p.identify(&http, config, &tokens).await?;
    let granted = tokens.scopes.clone().unwrap_or(oauth_config.scopes.clone());
    let record = new_record(provider, identity, granted);
    persist(paths, store, &record, refresh_token).await?;
    notify_daemon(paths).await;
    Ok(record)
}

fn new_record(provider: ProviderId, identity: Identity, scopes: Vec<String>) -> AccountRecord {
    AccountRecord {
        provider,
        email: identity.email,
        user_id: identity.user_id,
        display_name: identity.display_name,
        scopes,
        signed_in_at: Utc::now(),
        aliases: identity.aliases,
        secret_kind: SecretKind::RefreshToken,
    }
}

/// Keyring first, then the record that points at it.
async fn persist(
    paths: &Paths,
    store: Arc<dyn SecretStore>,
    record: &AccountRecord,
    refresh_token: SecretString,
) -> anyhow::Result<()> {
    let id = AccountId {
        provider: record.provider,
        email: record.email.clone(),
    };
    tokio::task::spawn_blocking(move || store.save(&id, &refresh_token)).await??;
    let path = paths.accounts_file();
    let mut accounts = Accounts::load(&path)?;
    accounts.upsert(record.clone());
    accounts.save(&path)?;
    Ok(())
}

/// Tells a running daemon to pick up a change at once; a daemon that is not running reads
/// everything when it starts, so there is nothing to do then.
pub async fn notify_daemon(paths: &Paths) {
    match crate::daemon::control(paths, crate::protocol::ControlRequest::Reload).await {
        Ok(_) => tracing::debug!("daemon reloaded"),
        Err(e) => tracing::debug!(error = %e, "no daemon to reload"),
    }
}

/// Picks the account a command means: the named one, or the only one of `provider`.
pub fn pick_account(
    accounts: &Accounts,
    provider: ProviderId,
    email: Option<&str>,
) -> anyhow::Result<AccountRecord> {
    let mine: Vec<&AccountRecord> = accounts.for_provider(provider).collect();
    if let Some(email) = email {
        return mine
            .into_iter()
            .find(|a| a.email.eq_ignore_ascii_case(email))
            .cloned()
            .with_context(|| {
                format!(
                    "no {} account `{email}` is signed in; `chatkey status` lists accounts",
                    provider.display_name()
                )
            });
    }
    match mine.as_slice() {
        [] => anyhow::bail!(
            "no {} account is signed in; run `chatkey login {}`",
            provider.display_name(),
            provider.name()
        ),
        [one] => Ok((*one).clone()),
        many => anyhow::bail!(
            "several {} accounts are signed in ({}); pass --account EMAIL",
            provider.display_name(),
            many.iter()
                .map(|a| a.email.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

pub struct LogoutOutcome {
    pub email: String,
    /// `None` when the provider confirmed the revocation.
    pub revoke_problem: Option<String>,
}

/// Revokes at the provider, then deletes the keyring entry and the account record.
pub async fn logout(
    paths: &Paths,
    provider: ProviderId,
    email: Option<&str>,
) -> anyhow::Result<LogoutOutcome> {
    let p = providers::require(provider)?;
    let path = paths.accounts_file();
    let mut accounts = Accounts::load(&path)?;
    let record = pick_account(&accounts, provider, email)?;
    let id = AccountId {
        provider,
        email: record.email.clone(),
    };
    let store = open_store(paths).await?;
    let load_store = store.clone();
    let load_id = id.clone();
    let token = tokio::task::spawn_blocking(move || load_store.load(&load_id)).await??;
    let revoke_problem = match token {
        None => Some("no token was stored, so there was nothing to revoke".to_owned()),
        Some(token) => {
            let config = Config::load(&paths.config_file())?;
            p.revoke(&crate::http::client(), &config, &record, &token)
                .await
                .err()
        }
    };
    tokio::task::spawn_blocking(move || store.delete(&id)).await??;
    accounts.remove(provider, &record.email);
    accounts.save(&path)?;
    notify_daemon(paths).await;
    Ok(LogoutOutcome {
        email: record.email,
        revoke_problem,
    })
}

/// `chatkey import`: a sign-in made elsewhere (the Python server's `token.json`, a token on
/// stdin), checked with the provider, then stored like a fresh sign-in. A plaintext file is
/// deleted afterwards unless `keep_file`.
pub async fn import(
    paths: &Paths,
    provider: ProviderId,
    source: ImportSource<'_>,
    keep_file: bool,
) -> anyhow::Result<AccountRecord> {
    let p = providers::require(provider)?;
    // Fail before anything changes when there is no keyring to move the token into.
    let store = open_store(paths).await?;
    let file = match &source {
        ImportSource::TokenJson(path) => Some(path.to_path_buf()),
        ImportSource::Token(_) => None,
    };
    let imported = p.import(paths, source).await?;
    let mut record = new_record(provider, imported.identity, imported.scopes);
    record.secret_kind = imported.secret_kind;
    persist(paths, store, &record, imported.secret).await?;
    if let Some(file) = file.filter(|_| !keep_file) {
        std::fs::remove_file(&file).with_context(|| {
            format!(
                "the token is now in the keyring, but {} could not be deleted: delete it yourself",
                file.display()
            )
        })?;
    }
    notify_daemon(paths).await;
    Ok(record)
}

/// Writes a `token.json` the Python server can use (a fresh access token included).
pub async fn export_token_json(
    paths: &Paths,
    provider: ProviderId,
    email: Option<&str>,
    file: &Path,
) -> anyhow::Result<String> {
    let p = providers::require(provider)?;
    let accounts = Accounts::load(&paths.accounts_file())?;
    let record = pick_account(&accounts, provider, email)?;
    let store = open_store(paths).await?;
    let id = AccountId {
        provider,
        email: record.email.clone(),
    };
    let secret = tokio::task::spawn_blocking(move || store.load(&id))
        .await??
        .with_context(|| {
            format!(
                "no token for {} is in the keyring; run `chatkey login {}`",
                record.email,
                provider.name()
            )
        })?;
    let config = Config::load(&paths.config_file())?;
    p.export_token_json(&config, &record, secret, file).await?;
    Ok(record.email)
}
