//! Google Chat: the OAuth client, the API client, sender-name resolution and the tools.

pub mod client;
pub mod identity;
pub mod models;
pub mod models_attachments;
pub mod models_members;
pub mod models_reactions;
pub mod models_readstate;
pub mod names;
pub mod people;
pub mod quota;
pub mod tools;

use crate::config::GoogleChatConfig;
use crate::oauth::OAuthClientConfig;

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
    }
}
