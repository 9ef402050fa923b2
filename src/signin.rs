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

use crate::config::{self, Config};
use crate::oauth::{self, AuthorizeOptions, OAuthError};
use crate::paths::Paths;
use crate::providers::{self, ProviderId, google_chat};
use crate::tokens::{AccountId, AccountRecord, Accounts, KeyringStore, SecretStore, token_json};

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

fn ensure_supported(provider: ProviderId) -> anyhow::Result<()> {
    anyhow::ensure!(
        provider.is_supported(),
        "{} is not supported by this version of chatkey yet; google-chat is",
        provider.display_name()
    );
    Ok(())
}

/// The whole consent loop for `provider`; returns the signed-in account.
pub async fn login(
    paths: &Paths,
    provider: ProviderId,
    opts: LoginOptions,
    on_url: impl FnOnce(&Url) + Send,
) -> anyhow::Result<AccountRecord> {
    ensure_supported(provider)?;
    // Config problems are reported before the keyring is touched, as before.
    Config::load(&paths.config_file())?.google_chat()?;
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
    ensure_supported(provider)?;
    let config = Config::load(&paths.config_file())?;
    let google = config.google_chat()?;
    let oauth_config = google_chat::oauth_config(google);
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
    let refresh_token = tokens.refresh_token.clone().context(
        "Google returned no refresh token, so chatkey could not stay signed in; remove chatkey's access at https://myaccount.google.com/permissions and run `chatkey login google-chat` again",
    )?;
    let identity =
        google_chat::identity::whoami(&http, &google.endpoints(), &tokens.access_token).await?;
    let granted = tokens.scopes.clone().unwrap_or(oauth_config.scopes.clone());
    let missing: Vec<_> = oauth_config
        .scopes
        .iter()
        .filter(|s| !granted.contains(s) && s.starts_with("https://"))
        .collect();
    if !missing.is_empty() {
        tracing::warn!(?missing, "some requested access was not granted");
        eprintln!(
            "warning: Google did not grant {} of the requested permissions ({}); tools that need them will say so. Run `chatkey login google-chat` again and tick every box to grant them",
            missing.len(),
            missing
                .iter()
                .map(|s| s.trim_start_matches("https://www.googleapis.com/auth/"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let record = AccountRecord {
        provider,
        email: identity.email.clone(),
        user_id: Some(identity.user_id),
        display_name: identity.display_name,
        scopes: granted,
        signed_in_at: Utc::now(),
    };
    persist(paths, store, &record, refresh_token).await?;
    notify_daemon(paths).await;
    Ok(record)
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
    ensure_supported(provider)?;
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
            let oauth_config = providers::oauth_config(provider, &config)?;
            match oauth::revoke(&oauth_config, &crate::http::client(), &token).await {
                Ok(()) => None,
                // Already revoked or expired at the provider: the goal is reached.
                Err(OAuthError::InvalidGrant { .. }) => None,
                Err(e) => Some(format!(
                    "{e}; remove chatkey's access at https://myaccount.google.com/permissions to be sure"
                )),
            }
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

/// Moves a Python-server `token.json` into the keyring and config; deletes the plaintext
/// file afterwards unless `keep_file`.
pub async fn import_token_json(
    paths: &Paths,
    provider: ProviderId,
    file: &Path,
    keep_file: bool,
) -> anyhow::Result<AccountRecord> {
    ensure_supported(provider)?;
    let imported = token_json::read(file)?;
    let store = open_store(paths).await?;
    let config_path = paths.config_file();
    let client_secret = imported.client_secret.clone().context(
        "this token.json has no client_secret; run `chatkey setup google-chat --client-secret FILE` with the client it was made with, then `chatkey login google-chat`",
    )?;
    // The refresh token only works with the client that obtained it.
    config::save_google_client(&config_path, &imported.client_id, &client_secret)?;
    let config = Config::load(&config_path)?;
    let google = config.google_chat()?;
    let oauth_config = google_chat::oauth_config(google);
    let http = crate::http::client();
    let tokens = oauth::refresh(&oauth_config, &http, &imported.refresh_token)
        .await
        .map_err(|e| anyhow::anyhow!("the token in {} does not work: {e}", file.display()))?;
    let identity =
        google_chat::identity::whoami(&http, &google.endpoints(), &tokens.access_token).await?;
    let refresh_token = tokens.refresh_token.unwrap_or(imported.refresh_token);
    let record = AccountRecord {
        provider,
        email: identity.email,
        user_id: Some(identity.user_id),
        display_name: identity.display_name,
        scopes: tokens.scopes.unwrap_or(imported.scopes),
        signed_in_at: Utc::now(),
    };
    persist(paths, store, &record, refresh_token).await?;
    if !keep_file {
        std::fs::remove_file(file).with_context(|| {
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
    ensure_supported(provider)?;
    let accounts = Accounts::load(&paths.accounts_file())?;
    let record = pick_account(&accounts, provider, email)?;
    let store = open_store(paths).await?;
    let id = AccountId {
        provider,
        email: record.email.clone(),
    };
    let refresh_token = tokio::task::spawn_blocking(move || store.load(&id))
        .await??
        .with_context(|| {
            format!(
                "no token for {} is in the keyring; run `chatkey login {}`",
                record.email,
                provider.name()
            )
        })?;
    let config = Config::load(&paths.config_file())?;
    let google = config.google_chat()?;
    let oauth_config = google_chat::oauth_config(google);
    let tokens = oauth::refresh(&oauth_config, &crate::http::client(), &refresh_token)
        .await
        .map_err(|e| anyhow::anyhow!("could not get a fresh access token to export: {e}"))?;
    let expiry = Utc::now()
        + chrono::TimeDelta::from_std(tokens.expires_in.unwrap_or(Duration::from_secs(3600)))
            .unwrap_or(chrono::TimeDelta::hours(1));
    let out = token_json::TokenJson {
        token: Some(tokens.access_token),
        refresh_token: tokens.refresh_token.unwrap_or(refresh_token),
        token_uri: google.token_url.to_string(),
        client_id: google.client_id.clone(),
        client_secret: Some(google.client_secret.clone()),
        scopes: record.scopes.clone(),
        expiry: Some(expiry),
    };
    token_json::write(file, &out)?;
    Ok(record.email)
}
