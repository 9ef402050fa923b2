//! Slack's URLs: the OAuth v2 authorization page and the Web API methods under `api_url`
//! (`{api_url}/chat.postMessage`), built with `paths::join` after the method name is checked,
//! so no caller-supplied text can change which endpoint is called.

use url::Url;

use crate::paths::{builtin, join};

pub const SLACK_AUTH_URL: &str = "https://slack.com/oauth/v2/authorize";
pub const SLACK_API_URL: &str = "https://slack.com/api";

pub fn default_auth() -> Url {
    builtin(SLACK_AUTH_URL)
}

pub fn default_api() -> Url {
    builtin(SLACK_API_URL)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackEndpoints {
    pub auth_url: Url,
    pub api_url: Url,
}

impl Default for SlackEndpoints {
    fn default() -> Self {
        Self {
            auth_url: default_auth(),
            api_url: default_api(),
        }
    }
}

impl SlackEndpoints {
    /// `{api_url}/{method}`; `method` is one of our own constants (`conversations.history`),
    /// checked here so a typo fails loudly instead of calling something else.
    pub fn method(&self, method: &str) -> Url {
        assert!(
            is_method_name(method),
            "not a Slack Web API method name: {method}"
        );
        join(&self.api_url, &[method])
    }

    /// The token endpoint: `{api_url}/oauth.v2.access`.
    pub fn token(&self) -> Url {
        self.method("oauth.v2.access")
    }
}

/// `family.method` or `family.sub.method`, letters only (Slack's names are camelCase).
pub fn is_method_name(name: &str) -> bool {
    let mut parts = name.split('.');
    let first = parts.next().unwrap_or("");
    let rest: Vec<_> = parts.collect();
    !rest.is_empty()
        && first.chars().all(|c| c.is_ascii_lowercase())
        && !first.is_empty()
        && rest
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_live_under_the_api_base() {
        let e = SlackEndpoints::default();
        assert_eq!(
            e.method("chat.postMessage").as_str(),
            "https://slack.com/api/chat.postMessage"
        );
        assert_eq!(e.token().as_str(), "https://slack.com/api/oauth.v2.access");
        let local = SlackEndpoints {
            api_url: Url::parse("http://127.0.0.1:9/api/").unwrap(),
            ..Default::default()
        };
        assert_eq!(
            local.method("auth.test").as_str(),
            "http://127.0.0.1:9/api/auth.test"
        );
    }

    #[test]
    fn method_names_are_checked() {
        for ok in [
            "auth.test",
            "users.profile.get",
            "oauth.v2.access",
            "files.getUploadURLExternal",
        ] {
            assert!(is_method_name(ok), "{ok}");
        }
        for bad in [
            "",
            "auth",
            "auth.",
            "../x.y",
            "a.b/c",
            "a.b?c=d",
            "Auth.test",
        ] {
            assert!(!is_method_name(bad), "{bad}");
        }
    }
}
