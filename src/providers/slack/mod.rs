//! Slack: signing in as the person (OAuth v2 user token, PKCE, rotating refresh tokens),
//! the app manifest people create chatkey's Slack app from, and the config section.

pub mod config;
pub mod endpoints;
pub mod manifest;
mod provider;
pub mod signin;

pub use config::SlackConfig;
pub use provider::Slack;

/// The user scopes a default sign-in asks for, and why (shown by `--print-manifest` and the
/// README). chatkey acts as the person, so there are no bot scopes.
pub const DEFAULT_USER_SCOPES: &[(&str, &str)] = &[
    (
        "channels:read",
        "list public channels you are in, and their members",
    ),
    (
        "groups:read",
        "list private channels you are in, and their members",
    ),
    ("im:read", "list your direct messages"),
    ("mpim:read", "list your group direct messages"),
    ("channels:history", "read messages in public channels"),
    ("groups:history", "read messages in private channels"),
    ("im:history", "read your direct messages"),
    ("mpim:history", "read your group direct messages"),
    ("chat:write", "send, edit and delete your messages"),
    (
        "im:write",
        "open a direct message with someone (find_direct_message)",
    ),
    (
        "channels:write",
        "mark public channels read (conversations.mark)",
    ),
    ("groups:write", "mark private channels read"),
    ("mpim:write", "mark group direct messages read"),
    ("reactions:read", "list reactions"),
    ("reactions:write", "add and remove your reactions"),
    ("users:read", "show senders' names"),
    (
        "users:read.email",
        "name your account by its email; find people by email",
    ),
    ("search:read", "search messages with Slack's own search"),
    ("files:read", "download files shared in conversations"),
    ("files:write", "upload files"),
];
