//! Google Chat: the OAuth client, the API client, sender-name resolution, the tools, and the
//! emulator of Google's services that tests and `chatkey demo` run against.

pub mod client;
pub mod config;
pub mod emulator;
pub mod endpoints;
pub mod identity;
pub mod models;
pub mod models_attachments;
pub mod models_members;
pub mod models_reactions;
pub mod models_readstate;
pub mod names;
pub mod not_found;
pub mod people;
mod provider;
pub mod quota;
pub mod token_json;
pub mod tools;

use std::sync::Arc;

pub use config::GoogleChatConfig;
pub use provider::GoogleChat;

use crate::config::Config;
use crate::oauth::OAuthClientConfig;
use crate::providers::{ProviderEnv, ProviderId};
use crate::tools::{ToolError, ToolErrorKind};
use client::ChatClient;
use people::NameCache;
use quota::SpaceQuotas;

/// What the Google Chat tools run with: the daemon's shared env plus Google's own caches
/// (sender names, per-space pacing), shared by every session.
pub struct Context {
    pub env: Arc<ProviderEnv>,
    pub names: NameCache,
    pub quotas: Arc<SpaceQuotas>,
}

impl Context {
    pub fn new(env: Arc<ProviderEnv>) -> Self {
        Self {
            env,
            names: NameCache::default(),
            quotas: Arc::new(SpaceQuotas::default()),
        }
    }

    pub fn config(&self) -> Arc<Config> {
        self.env.config()
    }

    /// A Google Chat client for the named account (or the only one).
    pub fn client(&self, account: Option<&str>) -> Result<ChatClient, ToolError> {
        let account = self.env.accounts.resolve(ProviderId::GoogleChat, account)?;
        let config = self.config();
        let google = config::section(&config)
            .map_err(|e| ToolError::new(ToolErrorKind::NeedsSignIn, e.to_string()))?;
        Ok(ChatClient::new(
            self.env.http.clone(),
            google.endpoints(),
            account,
            self.quotas.clone(),
        ))
    }
}

/// The least-privilege scopes the Google Chat tools need: identity (who signed in), reading
/// spaces, reading, sending and reacting to messages (with attachments), adding and removing
/// members, read state (unread, mark read), and senders' names from the directory.
pub const DEFAULT_SCOPES: &[&str] = &[
    "openid",
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/userinfo.profile",
    "https://www.googleapis.com/auth/chat.spaces.readonly",
    "https://www.googleapis.com/auth/chat.messages",
    "https://www.googleapis.com/auth/chat.memberships",
    "https://www.googleapis.com/auth/chat.users.readstate",
    "https://www.googleapis.com/auth/directory.readonly",
];

pub fn scopes(config: &GoogleChatConfig) -> Vec<String> {
    match &config.scopes {
        Some(scopes) => scopes.clone(),
        None => DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect(),
    }
}

pub fn oauth_config(config: &GoogleChatConfig) -> OAuthClientConfig {
    OAuthClientConfig {
        client_id: config.client_id.clone(),
        client_secret: Some(config.client_secret.clone()),
        auth_url: config.auth_url.clone(),
        token_url: config.token_url.clone(),
        revoke_url: Some(config.revoke_url.clone()),
        scopes: scopes(config),
        // Google returns a refresh token only with offline access, and only on a fresh
        // consent when the app was authorised before.
        extra_auth_params: vec![
            ("access_type".into(), "offline".into()),
            ("prompt".into(), "consent".into()),
        ],
        redirect: crate::oauth::Redirect::LOOPBACK_IP,
        scope_param: crate::oauth::ScopeParam::Standard,
        token_dialect: None,
    }
}
