//! `[providers.google-chat]`: a Google "Desktop app" OAuth client and endpoint overrides,
//! read strictly (a typo in an endpoint override would otherwise send tokens elsewhere) and
//! written by `chatkey setup google-chat` / `import` without disturbing the rest of the file.

use std::path::Path;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use super::endpoints::{GoogleEndpoints, defaults};
use crate::config::{Config, ConfigError, endpoint};
use crate::providers::ProviderId;

/// How the section is set up, for "not set up" messages.
pub const SETUP_HINT: &str = "run `chatkey setup google-chat --client-secret FILE` with the Desktop-app OAuth client JSON from Google Cloud Console (or `chatkey import google-chat --token-json PATH`)";

/// `[providers.google-chat]`: a Google "Desktop app" OAuth client and endpoint overrides.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoogleChatConfig {
    pub client_id: String,
    /// Google requires the secret even for Desktop clients; it is not a real secret there,
    /// but it is still kept out of logs.
    pub client_secret: SecretString,
    #[serde(default = "defaults::auth", deserialize_with = "endpoint")]
    pub auth_url: Url,
    #[serde(default = "defaults::token", deserialize_with = "endpoint")]
    pub token_url: Url,
    #[serde(default = "defaults::revoke", deserialize_with = "endpoint")]
    pub revoke_url: Url,
    #[serde(default = "defaults::userinfo", deserialize_with = "endpoint")]
    pub userinfo_url: Url,
    #[serde(default = "defaults::api", deserialize_with = "endpoint")]
    pub api_url: Url,
    #[serde(default = "defaults::people", deserialize_with = "endpoint")]
    pub people_url: Url,
    /// Overrides the default least-privilege scope set.
    pub scopes: Option<Vec<String>>,
    /// The account (email) tools use when several are signed in and a call names none.
    pub default_account: Option<String>,
}

impl GoogleChatConfig {
    pub fn endpoints(&self) -> GoogleEndpoints {
        GoogleEndpoints {
            auth_url: self.auth_url.clone(),
            token_url: self.token_url.clone(),
            revoke_url: self.revoke_url.clone(),
            userinfo_url: self.userinfo_url.clone(),
            api_url: self.api_url.clone(),
            people_url: self.people_url.clone(),
        }
    }
}

/// The section, or the error that says how to set it up.
pub fn section(config: &Config) -> Result<&GoogleChatConfig, ConfigError> {
    config
        .providers
        .google_chat
        .as_ref()
        .ok_or(ConfigError::NotSetUp {
            provider: ProviderId::GoogleChat,
            hint: SETUP_HINT,
        })
}

/// Writes the OAuth client into `[providers.google-chat]`, keeping the rest of the file.
pub fn save_client(
    path: &Path,
    client_id: &str,
    client_secret: &SecretString,
) -> Result<(), ConfigError> {
    crate::config::save_provider_keys(
        path,
        "google-chat",
        &[
            ("client_id", client_id.into()),
            ("client_secret", client_secret.expose_secret().into()),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[providers.google-chat]
client_id = "abc.apps.googleusercontent.com"
client_secret = "s3cret"
api_url = "http://127.0.0.1:8080"
"#;

    #[test]
    fn parses_and_defaults_endpoints() {
        let c = Config::parse(Path::new("c.toml"), GOOD).unwrap();
        let g = section(&c).unwrap();
        assert_eq!(g.api_url.as_str(), "http://127.0.0.1:8080/");
        assert_eq!(g.token_url.as_str(), "https://oauth2.googleapis.com/token");
        assert!(!format!("{g:?}").contains("s3cret"));
    }

    #[test]
    fn default_account_is_optional_and_read() {
        let c = Config::parse(Path::new("c.toml"), GOOD).unwrap();
        assert_eq!(section(&c).unwrap().default_account, None);
        let text = format!("{GOOD}default_account = \"alex@example.com\"\n");
        let c = Config::parse(Path::new("c.toml"), &text).unwrap();
        assert_eq!(
            section(&c).unwrap().default_account.as_deref(),
            Some("alex@example.com")
        );
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let text = "[providers.google-chat]\nclient_id = \"a\"\nclient_secret = \"b\"\ntoken_ur1 = \"https://x\"\n";
        let err = Config::parse(Path::new("/cfg/config.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("/cfg/config.toml:4:"), "{err}");
        assert!(err.contains("token_ur1"), "{err}");
    }

    #[test]
    fn bad_value_names_the_key() {
        let text = "[providers.google-chat]\nclient_id = \"a\"\nclient_secret = \"b\"\napi_url = \"http://evil.example\"\n";
        let err = Config::parse(Path::new("c.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("c.toml:4:"), "{err}");
        assert!(err.contains("`api_url`"), "{err}");
        assert!(err.contains("https"), "{err}");
    }

    #[test]
    fn missing_file_is_empty_and_google_chat_says_how_to_set_up() {
        let c = Config::load(Path::new("/nonexistent/chatkey.toml")).unwrap();
        let err = section(&c).unwrap_err().to_string();
        assert!(err.starts_with("google-chat is not set up"), "{err}");
        assert!(err.contains("chatkey setup google-chat"), "{err}");
    }

    #[test]
    fn save_keeps_comments_and_overrides() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, format!("# mine\n{GOOD}")).unwrap();
        save_client(&path, "new-id", &SecretString::from("new-secret")).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("# mine"));
        assert!(text.contains("http://127.0.0.1:8080"));
        let c = Config::parse(&path, &text).unwrap();
        assert_eq!(section(&c).unwrap().client_id, "new-id");
    }
}
