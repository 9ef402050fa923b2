//! The chat services chatkey connects to, behind one trait.
//!
//! A provider is one folder here that implements [`Provider`]: its config section and
//! endpoints, its OAuth client and how its token answers read, who signed in, what a refused
//! refresh token means for the person, its tools and MCP instructions, its set-up and import
//! commands, and its emulator. The core (accounts, refresher, keyring, notifications, tray,
//! status, MCP filtering, `chatkey_sign_in`, search, file confinement) sees only the trait and
//! [`ProviderId`]; nothing outside this folder names a provider's types (a test checks).
//! Adding a provider adds a folder, a field in [`ProvidersConfig`] and a line in [`get`].

mod id;

pub mod emulators;
pub mod google_chat;
pub mod slack;
pub mod teams;
mod tour;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use secrecy::SecretString;
use serde::Deserialize;

pub use id::{ProviderId, UnknownProvider};
pub use tour::DemoTour;

use crate::accounts::Registry;
use crate::config::{Config, ConfigError, LiveConfig};
use crate::oauth::{OAuthClientConfig, TokenResponse};
use crate::paths::Paths;
use crate::tokens::AccountRecord;
use crate::tools::ToolDef;

/// `[providers.*]` in config.toml: one optional section per provider, each parsed strictly by
/// the provider's own type (unknown keys and bad values name file, line and key).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvidersConfig {
    #[serde(rename = "google-chat")]
    pub google_chat: Option<google_chat::GoogleChatConfig>,
    pub slack: Option<slack::SlackConfig>,
    pub teams: Option<teams::TeamsConfig>,
}

/// Every provider this build can sign in to, in the order menus and status list them.
pub fn all() -> impl Iterator<Item = &'static dyn Provider> {
    ProviderId::ALL.into_iter().filter_map(get)
}

/// The provider behind `id`, or `None` when this build does not support it yet.
pub fn get(id: ProviderId) -> Option<&'static dyn Provider> {
    match id {
        ProviderId::GoogleChat => Some(&google_chat::GoogleChat),
        ProviderId::Slack => Some(&slack::Slack),
        ProviderId::Teams => Some(&teams::Teams),
    }
}

/// Like [`get`], with the error a person sees for a provider this build does not support.
pub fn require(id: ProviderId) -> Result<&'static dyn Provider, Unsupported> {
    get(id).ok_or(Unsupported(id))
}

#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("{} is not supported by this version of chatkey yet; use {}", .0.display_name(), supported_names())]
pub struct Unsupported(pub ProviderId);

/// "google-chat" or "google-chat, slack": the providers this build supports.
pub fn supported_names() -> String {
    all().map(|p| p.id().name()).collect::<Vec<_>>().join(", ")
}

/// What the daemon gives every provider's tools: accounts, the live config, the HTTP client
/// and paths. Providers keep their own caches beside it in their context.
pub struct ProviderEnv {
    pub paths: Paths,
    pub http: reqwest::Client,
    pub accounts: Arc<Registry>,
    pub config: Arc<LiveConfig>,
}

impl ProviderEnv {
    /// The configuration as of the last successful reload.
    pub fn config(&self) -> Arc<Config> {
        self.config.get()
    }
}

/// Who signed in, as the provider names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The account's name in chatkey (and in the keyring entry).
    pub email: String,
    pub display_name: Option<String>,
    /// The provider's own id for the person (Google: `users/…`).
    pub user_id: Option<String>,
    /// Other names the `account` parameter accepts (Slack: the workspace's domain).
    pub aliases: Vec<String>,
}

/// The options of `chatkey setup <provider>`; each provider says which it needs.
#[derive(Debug, Clone, Default)]
pub struct SetupRequest {
    pub client_secret_file: Option<PathBuf>,
    pub client_id: Option<String>,
    pub redirect_port: Option<u16>,
    pub tenant: Option<String>,
    pub print_manifest: bool,
}

/// Where `chatkey import <provider>` takes a sign-in from.
#[derive(Debug)]
pub enum ImportSource<'a> {
    /// The Python server's `token.json`.
    TokenJson(&'a Path),
    /// A long-lived token read from standard input (never from an argument).
    Token(SecretString),
}

/// What an import produced; the caller stores it like a fresh sign-in.
pub struct Imported {
    pub identity: Identity,
    /// The secret to keep in the keyring (a refresh token, or a long-lived token).
    pub secret: SecretString,
    pub secret_kind: crate::tokens::SecretKind,
    pub scopes: Vec<String>,
}

/// A running emulator of one provider (tests and `chatkey demo`).
pub trait RunningEmulator: Send + Sync {
    /// The `[providers.<name>]` section that points chatkey at this emulator.
    fn config_toml(&self) -> String;
    fn base_url(&self) -> url::Url;
    /// Stops the server and waits until its port is closed (dropping also stops it).
    fn shutdown(self: Box<Self>) -> BoxFuture<'static, ()>;
}

/// One chat service. Implementations are stateless (`&'static`); state a provider keeps
/// while the daemon runs (caches, pacing) lives in the context its `tools` create.
pub trait Provider: Send + Sync + 'static {
    fn id(&self) -> ProviderId;

    /// Whether config.toml has this provider's section.
    fn is_configured(&self, config: &Config) -> bool;

    /// The command that sets this provider up, for messages ("run `…`").
    fn setup_hint(&self) -> &'static str;

    /// The OAuth client from config; `ConfigError::NotSetUp` (naming the set-up command)
    /// when the section is missing.
    fn oauth_client(&self, config: &Config) -> Result<OAuthClientConfig, ConfigError>;

    /// Where the device-code sign-in starts (`chatkey login --device-code`); `None` when the
    /// provider has none.
    fn device_code_url(&self, _config: &Config) -> Option<url::Url> {
        None
    }

    /// Who signed in, from the token answer of a fresh sign-in.
    fn identify<'a>(
        &'a self,
        http: &'a reqwest::Client,
        config: &'a Config,
        tokens: &'a TokenResponse,
    ) -> BoxFuture<'a, anyhow::Result<Identity>>;

    /// What to do when a sign-in came back without a refresh token.
    fn no_refresh_token_advice(&self) -> String {
        format!("run `chatkey login {}` again", self.id())
    }

    /// Why the provider refused the refresh token, in words the person can act on.
    fn explain_ended_sign_in(
        &self,
        description: &str,
        _record: &AccountRecord,
        _last_refresh: Option<DateTime<Utc>>,
        _now: DateTime<Utc>,
    ) -> String {
        description.to_owned()
    }

    /// Revokes the stored secret at the provider. `Ok` also when the provider says it is
    /// already invalid; `Err` is a sentence saying what was not done and how to do it by hand.
    fn revoke<'a>(
        &'a self,
        http: &'a reqwest::Client,
        config: &'a Config,
        record: &'a AccountRecord,
        secret: &'a SecretString,
    ) -> BoxFuture<'a, Result<(), String>>;

    /// `default_account` from the provider's config section.
    fn default_account(&self, config: &Config) -> Option<String>;

    /// The provider's tools, bound to a context the provider builds over `env`.
    fn tools(&self, env: &Arc<ProviderEnv>) -> Vec<ToolDef>;

    /// What an assistant should know first about this provider's tools (MCP instructions).
    fn instructions(&self) -> &'static str;

    /// `chatkey setup <provider>`: writes the config section; returns what to do next.
    fn setup<'a>(
        &'a self,
        paths: &'a Paths,
        request: &'a SetupRequest,
    ) -> BoxFuture<'a, anyhow::Result<String>>;

    /// `chatkey import <provider>`: a sign-in made elsewhere, checked with the provider.
    fn import<'a>(
        &'a self,
        _paths: &'a Paths,
        _source: ImportSource<'a>,
    ) -> BoxFuture<'a, anyhow::Result<Imported>> {
        let id = self.id();
        Box::pin(async move {
            anyhow::bail!(
                "`chatkey import {id}` does not take this kind of input; see `chatkey import --help`"
            )
        })
    }

    /// `chatkey export <provider> --token-json PATH`.
    fn export_token_json<'a>(
        &'a self,
        _config: &'a Config,
        _record: &'a AccountRecord,
        _secret: SecretString,
        _file: &'a Path,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        let id = self.id();
        Box::pin(async move { anyhow::bail!("{id} has no token.json format to export to") })
    }

    /// What `chatkey demo` shows of this provider once signed in; `None`: only the sign-in.
    fn demo_tour(&self) -> Option<DemoTour> {
        None
    }

    /// Starts a throwaway emulator of this provider on 127.0.0.1 (`port` 0: any free port)
    /// for `chatkey demo`. Any other loopback port it registers (Slack's fixed redirect) is
    /// picked free too, so it never collides with a real sign-in.
    fn start_emulator(
        &self,
        port: u16,
        auto_consent: bool,
    ) -> BoxFuture<'static, anyhow::Result<Box<dyn RunningEmulator>>>;
}

/// The registry's view of providers (accounts sit below providers, so it asks through this).
pub struct AccountRules;

impl crate::accounts::ProviderRules for AccountRules {
    fn oauth_client(
        &self,
        provider: ProviderId,
        config: &Config,
    ) -> anyhow::Result<OAuthClientConfig> {
        Ok(require(provider)?.oauth_client(config)?)
    }

    fn default_account(&self, provider: ProviderId, config: &Config) -> Option<String> {
        get(provider)?.default_account(config)
    }

    fn explain_ended_sign_in(
        &self,
        record: &AccountRecord,
        description: &str,
        last_refresh: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> String {
        match get(record.provider) {
            Some(p) => p.explain_ended_sign_in(description, record, last_refresh, now),
            None => description.to_owned(),
        }
    }
}
