//! A provider's stable name (`google-chat`, `slack`, `teams`), shared by the whole crate:
//! command-line arguments, config sections, keyring entries and tool-name prefixes all use it.

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
