//! Slack's URLs: the OAuth authorize page and the Web API, whose every method (including
//! `oauth.v2.access` and `auth.revoke`) lives at `{api_url}/{method}`.
//!
//! Method names are checked before a URL is built, so nothing an assistant passes can turn a
//! method name into another path; the URL itself is joined by `paths::join`, the one
//! place URLs are built.

use url::Url;

use crate::paths::join;

pub const SLACK_AUTH_URL: &str = "https://slack.com/oauth/v2/authorize";
pub const SLACK_API_URL: &str = "https://slack.com/api";

/// Where chatkey talks to Slack. Defaults are Slack's production endpoints; tests and the demo
/// point them at the emulator through `config.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackEndpoints {
    pub auth_url: Url,
    pub api_url: Url,
}

impl Default for SlackEndpoints {
    fn default() -> Self {
        Self {
            auth_url: defaults::auth(),
            api_url: defaults::api(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a Slack Web API method name: use the documented form, such as `conversations.history`"
)]
pub struct BadMethodName(pub String);

impl SlackEndpoints {
    /// `{api_url}/{method}`, for a method name such as `chat.postMessage` or `oauth.v2.access`.
    pub fn method(&self, method: &str) -> Result<Url, BadMethodName> {
        if !is_method_name(method) {
            return Err(BadMethodName(method.to_owned()));
        }
        Ok(join(&self.api_url, &[method]))
    }

    /// `{api_url}/oauth.v2.access`, where codes and refresh tokens are exchanged.
    pub fn token_url(&self) -> Url {
        join(&self.api_url, &["oauth.v2.access"])
    }

    /// `{api_url}/auth.revoke`
    pub fn revoke_url(&self) -> Url {
        join(&self.api_url, &["auth.revoke"])
    }
}

/// `family.method` with further dot-separated parts: a lowercase family, then ASCII letters
/// and digits (`users.profile.get`, `files.getUploadURLExternal`, `oauth.v2.access`). Digits
/// are allowed after the family because Slack names methods like `oauth.v2.access`.
pub fn is_method_name(method: &str) -> bool {
    let mut parts = method.split('.');
    let family_ok = parts
        .next()
        .is_some_and(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_lowercase()));
    let mut rest = 0;
    let rest_ok = parts.all(|p| {
        rest += 1;
        !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric())
    });
    family_ok && rest_ok && rest > 0 && method.len() <= 100
}

/// Serde defaults for the `[providers.slack]` endpoint keys.
pub mod defaults {
    use url::Url;

    fn parse(s: &str) -> Url {
        Url::parse(s).expect("built-in endpoint URLs are valid")
    }
    pub fn auth() -> Url {
        parse(super::SLACK_AUTH_URL)
    }
    pub fn api() -> Url {
        parse(super::SLACK_API_URL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_method_urls_under_the_api_base() {
        let e = SlackEndpoints::default();
        assert_eq!(
            e.method("conversations.history").unwrap().as_str(),
            "https://slack.com/api/conversations.history"
        );
        assert_eq!(
            e.method("files.getUploadURLExternal").unwrap().as_str(),
            "https://slack.com/api/files.getUploadURLExternal"
        );
        assert_eq!(
            e.token_url().as_str(),
            "https://slack.com/api/oauth.v2.access"
        );
        assert_eq!(e.revoke_url().as_str(), "https://slack.com/api/auth.revoke");
        assert_eq!(e.auth_url.as_str(), SLACK_AUTH_URL);
    }

    #[test]
    fn keeps_an_emulator_base_path() {
        let e = SlackEndpoints {
            api_url: Url::parse("http://127.0.0.1:9/slack/api/").unwrap(),
            ..Default::default()
        };
        assert_eq!(
            e.method("auth.test").unwrap().as_str(),
            "http://127.0.0.1:9/slack/api/auth.test"
        );
    }

    #[test]
    fn refuses_anything_but_a_method_name() {
        let e = SlackEndpoints::default();
        for bad in [
            "",
            "auth",
            "auth.",
            ".test",
            "Auth.test",
            "auth..test",
            "auth.test/../x",
            "auth.test?token=x",
            "auth.te st",
            "chat.post_message",
            "../api.test",
        ] {
            assert_eq!(e.method(bad), Err(BadMethodName(bad.to_owned())), "{bad}");
        }
        assert!(e.method("users.profile.get").is_ok());
        assert!(e.method("oauth.v2.access").is_ok());
    }
}
