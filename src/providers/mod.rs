//! The chat services chatkey connects to. Each provider lives in its own folder behind the
//! same shape (OAuth client, API client, tools), so adding Slack or Teams adds a folder.

use std::fmt;
use std::str::FromStr;

/// A provider's stable name, as used on the command line, in config keys and keyring entries.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum ProviderId {
    #[serde(rename = "google-chat")]
    GoogleChat,
    #[serde(rename = "slack")]
    Slack,
    #[serde(rename = "teams")]
    Teams,
}

impl ProviderId {
    pub const ALL: [ProviderId; 3] = [Self::GoogleChat, Self::Slack, Self::Teams];

    /// The name people type: `google-chat`, `slack`, `teams`.
    pub fn name(self) -> &'static str {
        match self {
            Self::GoogleChat => "google-chat",
            Self::Slack => "slack",
            Self::Teams => "teams",
        }
    }
    /// The prefix of this provider's MCP tool names: `google_chat_…`.
    pub fn tool_prefix(self) -> &'static str {
        match self {
            Self::GoogleChat => "google_chat_",
            Self::Slack => "slack_",
            Self::Teams => "teams_",
        }
    }
    /// How the provider is named in sentences.
    pub fn display_name(self) -> &'static str {
        match self {
            Self::GoogleChat => "Google Chat",
            Self::Slack => "Slack",
            Self::Teams => "Microsoft Teams",
        }
    }
    /// Whether this build can sign in to the provider yet.
    pub fn is_supported(self) -> bool {
        matches!(self, Self::GoogleChat)
    }
}

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown provider `{0}`: use one of google-chat, slack, teams")]
pub struct UnknownProvider(pub String);

impl FromStr for ProviderId {
    type Err = UnknownProvider;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| UnknownProvider(s.to_owned()))
    }
}

pub mod google_chat;
pub mod slack;

/// The OAuth client for `provider` from the configuration.
pub fn oauth_config(
    provider: ProviderId,
    config: &crate::config::Config,
) -> anyhow::Result<crate::oauth::OAuthClientConfig> {
    match provider {
        ProviderId::GoogleChat => Ok(google_chat::oauth_config(config.google_chat()?)),
        other => anyhow::bail!(
            "{} is not supported by this version of chatkey yet",
            other.display_name()
        ),
    }
}
