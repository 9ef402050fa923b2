//! Slack: signing in as the person (OAuth v2 user token, PKCE, rotating refresh tokens; the
//! app manifest people create chatkey's Slack app from; the config section), and the layer
//! Slack's tools stand on. `client` is the one authenticated-request path to the Web API
//! (pacing by `rate`, retries, one fresh-token retry, `errors` that say what to do), `paging`
//! follows cursors, `models` are the wire types, `endpoints` builds the URLs, `upload` is
//! Slack's three-step file upload; `mrkdwn` and
//! `emoji` turn Slack's text and reaction names into what a person reads and back; `users` and
//! `channels` are the caches that turn ids into names and names into ids; `ts` reads message
//! timestamps. `SlackState` holds what all calls and sessions share. `emulator` stands in for
//! Slack in tests and `chatkey demo`.

pub mod channels;
pub mod client;
pub mod config;
mod context;
pub mod emoji;
pub mod emulator;
pub mod endpoints;
pub mod errors;
pub mod manifest;
pub mod models;
pub mod mrkdwn;
pub mod paging;
mod provider;
pub mod rate;
pub mod signin;
mod state;
pub mod tools;
pub mod ts;
pub mod upload;
pub mod users;

#[cfg(test)]
mod test_support;

pub use channels::{ChannelDirectory, ChannelRef};
pub use client::SlackClient;
pub use config::SlackConfig;
pub use context::Context;
pub use endpoints::SlackEndpoints;
pub use errors::{ApiError, SlackError};
pub use provider::Slack;
pub use rate::RateLimits;
pub use state::SlackState;
pub use users::{Person, UsersCache};

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
