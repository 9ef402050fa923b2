//! Microsoft Teams through Microsoft Graph: signing in as the person (an Entra public client:
//! authorization code + PKCE on a loopback redirect, rotating refresh tokens, AADSTS codes
//! read into reasons a person understands), and the layer Teams' tools stand on. `client` is
//! the one authenticated-request path to Graph (retries, `Retry-After`, one fresh-token retry,
//! `@odata.nextLink` paging that never leaves Graph, errors that say what to do), `models` are
//! the wire types, `html` turns Teams' HTML bodies into readable text and the assistant's text
//! into safe HTML, `conversations` resolves `{chat}` and `{team, channel}` (ids or unique
//! display names). `emulator` stands in for Microsoft in tests and `chatkey demo`.

pub mod client;
pub mod config;
mod context;
pub mod conversations;
pub mod emulator;
pub mod html;
pub mod models;
mod provider;
pub mod signin;
pub mod tools;

pub use client::GraphClient;
pub use config::{TeamsConfig, TeamsEndpoints};
pub use context::Context;
pub use provider::Teams;

/// The delegated permissions a default sign-in asks for, and why (the README's table). None
/// needs an administrator's consent; reading channel messages does
/// (`ChannelMessage.Read.All`), so it is not asked for here: once an admin consents for the
/// organisation, Microsoft includes it in chatkey's tokens without a new sign-in.
pub const DEFAULT_SCOPES: &[(&str, &str)] = &[
    ("User.Read", "know who signed in (/me)"),
    (
        "User.ReadBasic.All",
        "show other people's names and find them (get_user_info)",
    ),
    (
        "Chat.ReadWrite",
        "list your chats, read them, edit and delete your chat messages, react",
    ),
    ("ChatMessage.Send", "send chat messages"),
    ("Team.ReadBasic.All", "list the teams you are in"),
    ("Channel.ReadBasic.All", "list their channels"),
    (
        "ChannelMessage.Send",
        "post and reply in channels, react to channel messages",
    ),
    (
        "Files.ReadWrite.All",
        "upload files to your OneDrive and channels' files, download files shared with you",
    ),
    ("offline_access", "stay signed in (a refresh token)"),
];

/// Needs an administrator's consent; without it channel reads fail with a message saying so.
pub const ADMIN_SCOPE: &str = "ChannelMessage.Read.All";
