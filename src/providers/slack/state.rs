//! What Slack's tools share across calls, sessions and accounts: pacing, people and
//! conversations, and the one step that names everything a page of messages mentions.

use std::collections::HashMap;
use std::sync::Arc;

use super::channels::{self, ChannelDirectory};
use super::client::SlackClient;
use super::endpoints::SlackEndpoints;
use super::mrkdwn::{NameMaps, References};
use super::rate::RateLimits;
use super::users::UsersCache;
use crate::accounts::Account;

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

    /// The names a page of messages needs, fetched in as few requests as possible: the
    /// people and conversations its `texts` mention plus its `senders`, from the caches, with
    /// one users.info per person not yet known and the conversation listing only when a
    /// mentioned channel is not named in the cached one. Lookups that fail leave ids unnamed
    /// (`mrkdwn::render` then shows the id or Slack's own label).
    pub async fn names_for<'a>(
        &self,
        client: &SlackClient,
        texts: impl IntoIterator<Item = &'a str>,
        senders: impl IntoIterator<Item = &'a str>,
    ) -> NameMaps {
        let mut refs = References::default();
        for text in texts {
            refs.add(text);
        }
        let ids: Vec<String> = senders
            .into_iter()
            .map(str::to_owned)
            .chain(refs.users.iter().cloned())
            .collect();
        let people = self
            .users
            .resolve(client, ids.iter().map(String::as_str))
            .await;
        let account = client.account_key();
        let unnamed = refs
            .channels
            .iter()
            .any(|id| self.channels.cached(&account, id).is_none());
        if unnamed && let Err(e) = self.channels.conversations(client, false).await {
            tracing::warn!(error = %e, "Slack channel names unavailable");
        }
        let channels = refs
            .channels
            .iter()
            .filter_map(|id| {
                let conversation = self.channels.cached(&account, id)?;
                Some((id.clone(), channels::display_name(&conversation, &people)?))
            })
            .collect();
        let users = people
            .into_values()
            .filter(|p| p.known)
            .map(|p| (p.id.clone(), p.shown().to_owned()))
            .collect();
        NameMaps {
            users,
            channels,
            usergroups: HashMap::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::mrkdwn;
    use super::*;

    use serde_json::json;

    use super::super::test_support::{FakeSlack, Reply};

    #[tokio::test]
    async fn a_pages_names_come_from_one_lookup_each() {
        let slack = FakeSlack::start(|r| match r.method.as_str() {
            "users.info" => {
                let id = r.arg("user").unwrap();
                if id == "U404" {
                    return Reply::error("user_not_found");
                }
                Reply::ok(
                    json!({"user": {"id": id, "profile": {"display_name": format!("Name {id}")}}}),
                )
            }
            "conversations.list" => Reply::ok(json!({"channels": [
                {"id": "C1", "name": "eng", "is_channel": true},
                {"id": "D1", "is_im": true, "user": "U2"}]})),
            other => panic!("unexpected {other}"),
        })
        .await;
        let state = SlackState::default();
        let client = slack.client_with(Arc::new(RateLimits::unpaced()));
        let texts = ["hi <@U1>, see <#C1|>", "<@U1> <@U404> in <#D1>", "plain"];
        let names = state.names_for(&client, texts, ["U2", "U1", "B1"]).await;
        assert_eq!(names.users.len(), 2, "{names:?}");
        assert_eq!(names.users["U1"], "Name U1");
        assert_eq!(names.channels["C1"], "eng");
        assert_eq!(names.channels["D1"], "Name U2");
        assert_eq!(mrkdwn::render(texts[0], &names), "hi @Name U1, see #eng");
        assert_eq!(slack.calls_to("users.info").len(), 3);
        assert_eq!(slack.calls_to("conversations.list").len(), 1);
        // Everything is cached now.
        state.names_for(&client, texts, ["U2"]).await;
        assert_eq!(slack.requests().len(), 4);
    }

    #[test]
    fn the_shared_state_can_live_in_a_provider_context() {
        fn shareable<T: Send + Sync + 'static>() {}
        shareable::<SlackState>();
        shareable::<SlackClient>();
        shareable::<super::super::SlackError>();
    }
}
