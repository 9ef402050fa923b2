//! Slack: the layer Slack's tools stand on. `client` is the one authenticated-request path to
//! the Web API (pacing by `rate`, retries, one fresh-token retry, `errors` that say what to
//! do), `paging` follows cursors, `models` are the wire types, `endpoints` builds the URLs;
//! `mrkdwn` and `emoji` turn Slack's text and reaction names into what a person reads and
//! back; `users` and `channels` are the caches that turn ids into names and names into ids.
//! `SlackState` holds what all calls and sessions share.

pub mod channels;
pub mod client;
pub mod emoji;
pub mod endpoints;
pub mod errors;
pub mod models;
pub mod mrkdwn;
pub mod paging;
pub mod rate;
pub mod users;

#[cfg(test)]
mod test_support;

use std::sync::Arc;

use crate::accounts::Account;

pub use channels::{ChannelDirectory, ChannelRef};
pub use client::SlackClient;
pub use endpoints::SlackEndpoints;
pub use errors::{ApiError, SlackError};
pub use rate::RateLimits;
pub use users::{Person, UsersCache};

/// The state Slack's tools share across calls, sessions and accounts (each cache is keyed by
/// account inside): pacing, people and conversations. Cloning shares it.
#[derive(Clone, Default)]
pub struct SlackState {
    pub rate: Arc<RateLimits>,
    pub users: UsersCache,
    pub channels: Arc<ChannelDirectory>,
}

impl SlackState {
    /// A client for `account` that paces through this state.
    pub fn client(
        &self,
        http: reqwest::Client,
        endpoints: SlackEndpoints,
        account: Arc<Account>,
    ) -> SlackClient {
        SlackClient::new(http, endpoints, account, self.rate.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_state_can_live_in_a_provider_context() {
        fn shareable<T: Send + Sync + 'static>() {}
        shareable::<SlackState>();
        shareable::<SlackClient>();
        shareable::<SlackError>();
    }
}
