//! `[providers.slack]`: the person's own Slack app (PKCE on, so no client secret), the fixed
//! loopback port registered as its redirect URL, and endpoint overrides. Read strictly, like
//! every section; written by `chatkey setup slack` without disturbing the rest of the file.

use std::path::Path;

use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use super::endpoints::{self, SlackEndpoints};
use crate::config::{Config, ConfigError, endpoint};
use crate::providers::ProviderId;

/// How the section is set up, for "not set up" messages.
pub const SETUP_HINT: &str = "create a Slack app from the manifest `chatkey setup slack --print-manifest` prints, then run `chatkey setup slack --client-id ID`";

/// The port chatkey registers by default: `http://localhost:53682/callback`.
pub const DEFAULT_REDIRECT_PORT: u16 = 53682;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackConfig {
    /// The app's Client ID (Basic Information → App Credentials), e.g. `1234567890.1234567890`.
    pub client_id: String,
    /// Only for an app without PKCE; a PKCE app is a public client and sends none.
    pub client_secret: Option<SecretString>,
    /// The loopback port of the redirect URL registered in the app.
    #[serde(default = "default_port")]
    pub redirect_port: u16,
    #[serde(default = "endpoints::defaults::auth", deserialize_with = "endpoint")]
    pub auth_url: Url,
    /// The Web API base: `oauth.v2.access`, `auth.test`, … live under it.
    #[serde(default = "endpoints::defaults::api", deserialize_with = "endpoint")]
    pub api_url: Url,
    /// User scopes; default: the least set the tools need.
    pub scopes: Option<Vec<String>>,
    /// The account (email or workspace domain) tools use when several are signed in.
    pub default_account: Option<String>,
}

fn default_port() -> u16 {
    DEFAULT_REDIRECT_PORT
}

impl SlackConfig {
    pub fn endpoints(&self) -> SlackEndpoints {
        SlackEndpoints {
            auth_url: self.auth_url.clone(),
            api_url: self.api_url.clone(),
        }
    }

    pub fn scopes(&self) -> Vec<String> {
        match &self.scopes {
            Some(scopes) => scopes.clone(),
            None => super::DEFAULT_USER_SCOPES
                .iter()
                .map(|(s, _)| s.to_string())
                .collect(),
        }
    }
}

/// The section, or the error that says how to set it up.
pub fn section(config: &Config) -> Result<&SlackConfig, ConfigError> {
    config
        .providers
        .slack
        .as_ref()
        .ok_or(ConfigError::NotSetUp {
            provider: ProviderId::Slack,
            hint: SETUP_HINT,
        })
}

/// Writes the app's client id and redirect port into `[providers.slack]`.
pub fn save_app(path: &Path, client_id: &str, redirect_port: u16) -> Result<(), ConfigError> {
    crate::config::save_provider_keys(
        path,
        "slack",
        &[
            ("client_id", client_id.into()),
            ("redirect_port", i64::from(redirect_port).into()),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_slacks_production_endpoints_and_the_registered_port() {
        let c = Config::parse(
            Path::new("c.toml"),
            "[providers.slack]\nclient_id = \"1.2\"\n",
        )
        .unwrap();
        let s = section(&c).unwrap();
        assert_eq!(s.redirect_port, 53682);
        assert_eq!(s.auth_url.as_str(), "https://slack.com/oauth/v2/authorize");
        assert_eq!(s.api_url.as_str(), "https://slack.com/api");
        assert!(s.client_secret.is_none());
        assert!(s.scopes().contains(&"chat:write".to_owned()));
    }

    #[test]
    fn unknown_keys_and_remote_http_are_refused_with_the_key() {
        let err = Config::parse(
            Path::new("c.toml"),
            "[providers.slack]\nclient_id = \"1.2\"\nbot_scopes = []\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("c.toml:3:") && err.contains("bot_scopes"),
            "{err}"
        );
        let err = Config::parse(
            Path::new("c.toml"),
            "[providers.slack]\nclient_id = \"1.2\"\napi_url = \"http://slack.example/api\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("`api_url`") && err.contains("https"), "{err}");
    }

    #[test]
    fn save_keeps_the_rest_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "# mine\n[providers.slack]\nclient_id = \"old\"\napi_url = \"http://127.0.0.1:9/api\"\n").unwrap();
        save_app(&path, "1234.5678", 50000).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("# mine") && text.contains("127.0.0.1:9"),
            "{text}"
        );
        let c = Config::parse(&path, &text).unwrap();
        let s = section(&c).unwrap();
        assert_eq!(
            (s.client_id.as_str(), s.redirect_port),
            ("1234.5678", 50000)
        );
    }
}
