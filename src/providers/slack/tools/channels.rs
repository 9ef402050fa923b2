//! Conversations: listing the ones the person is in, one conversation's details, and the
//! direct message with a given person.
//!
//! The listing comes from the shared conversation directory (conversations.list of every
//! kind, all pages, cached for a few minutes), so `slack_list_channels` followed by name
//! lookups in other tools costs one listing, not one per call. DMs carry no name on the wire;
//! they are named after the other person from the shared users cache.

use std::collections::HashMap;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::channels::{self, ChannelRef, Kind};
use super::super::errors::SlackError;
use super::super::models::{Conversation, User};
use super::super::users::{self, Person};
use super::views::{ChannelView, PersonView, kind_name};
use crate::providers::ProviderId;
use crate::providers::slack::Context;
use crate::tools::{Hints, ToolError, ToolSpec};

const P: Option<ProviderId> = Some(ProviderId::Slack);
const DEFAULT_LIMIT: u32 = 500;
const MAX_LIMIT: u32 = 1000;

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![
        ToolSpec::new(
            "slack_list_channels",
            "List Slack conversations",
            "List the Slack conversations the signed-in person is in: public and private channels, direct messages \
             (named after the other person) and group DMs (named after their members), all pages followed. \
             Use it first to find a conversation's `id` (or its name) for the other slack tools; `channel` elsewhere \
             accepts either. Optional `types` narrows to some of `public_channel`, `private_channel`, `im`, `mpim`; \
             `include_archived` adds archived channels; `limit` caps the answer (default 500, max 1000).",
            P,
            Hints::READ,
            list_channels,
        ),
        ToolSpec::new(
            "slack_get_channel",
            "Get one Slack conversation",
            "Details of one Slack conversation: its id, name (or the other person for a DM), type, topic, purpose, \
             member count, whether it is archived, and when the person last read it. `channel` is an id \
             (`C…`, `G…`, `D…`) or a name (`#eng` or `eng`; `@Name` for a DM).",
            P,
            Hints::READ,
            get_channel,
        ),
        ToolSpec::new(
            "slack_find_direct_message",
            "Find the direct message with a person",
            "Find (or open, if the two have never messaged) the one-to-one Slack DM between the signed-in person and \
             another person, given their email or Slack user id (`U…`). Returns the DM's `channel` id (use it with \
             slack_list_messages or slack_send_message) and who it is with. Opening a DM posts nothing.",
            P,
            Hints {
                read_only: false,
                idempotent: true,
                ..Hints::WRITE
            },
            find_direct_message,
        ),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelType {
    PublicChannel,
    PrivateChannel,
    Im,
    Mpim,
}

impl ChannelType {
    fn matches(self, kind: Kind) -> bool {
        kind_name(kind)
            == match self {
                ChannelType::PublicChannel => "public_channel",
                ChannelType::PrivateChannel => "private_channel",
                ChannelType::Im => "im",
                ChannelType::Mpim => "mpim",
            }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListChannelsArgs {
    /// Only these kinds: any of `public_channel`, `private_channel`, `im` (DMs), `mpim` (group DMs). Default: all.
    pub types: Option<Vec<ChannelType>>,
    /// Also list archived channels (default false).
    pub include_archived: Option<bool>,
    /// Maximum conversations to return (1–1000, default 500).
    pub limit: Option<u32>,
    /// The Slack account to use when several are signed in: its email or workspace domain (`acme`).
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ChannelsResult {
    pub count: usize,
    pub channels: Vec<ChannelView>,
    /// Set when `limit` cut the list: how many matched in all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<usize>,
}

/// The people `conversations` are DMs with, from the shared cache (one users.info per person
/// not yet known).
async fn dm_partners(
    ctx: &Context,
    client: &super::super::client::SlackClient,
    conversations: &[&Conversation],
) -> HashMap<String, Person> {
    let ids = conversations
        .iter()
        .filter(|c| c.is_im)
        .filter_map(|c| c.user.as_deref());
    ctx.state.users.resolve(client, ids).await
}

/// Views of `conversations`, DMs named after their people and topics rendered readably.
async fn channel_views(
    ctx: &Context,
    client: &super::super::client::SlackClient,
    conversations: &[&Conversation],
) -> Vec<ChannelView> {
    let people = dm_partners(ctx, client, conversations).await;
    let mut texts: Vec<&str> = Vec::new();
    for c in conversations {
        for t in [&c.topic, &c.purpose].into_iter().flatten() {
            texts.extend(t.value.as_deref());
        }
    }
    let names = ctx.state.names_for(client, texts, []).await;
    conversations
        .iter()
        .map(|c| {
            let name = channels::display_name(c, &people).unwrap_or_else(|| c.id.clone());
            ChannelView::new(c, name, &names)
        })
        .collect()
}

pub async fn list_channels(
    ctx: Arc<Context>,
    args: ListChannelsArgs,
) -> Result<ChannelsResult, ToolError> {
    let limit = args.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ToolError::invalid_argument(format!(
            "invalid argument `limit`: use 1 to {MAX_LIMIT}"
        )));
    }
    if args.types.as_ref().is_some_and(Vec::is_empty) {
        return Err(ToolError::invalid_argument(
            "invalid argument `types`: leave it out for every kind, or list some of `public_channel`, `private_channel`, `im`, `mpim`",
        ));
    }
    let include_archived = args.include_archived.unwrap_or(false);
    let client = ctx.client(args.account.as_deref())?;
    let all = ctx.state.channels.conversations(&client, false).await?;
    let matching: Vec<&Conversation> = all
        .iter()
        // conversations.list shows every public channel; the person's are those they joined.
        .filter(|c| c.is_member != Some(false))
        .filter(|c| include_archived || !c.is_archived)
        .filter(|c| {
            args.types
                .as_ref()
                .is_none_or(|types| types.iter().any(|t| t.matches(Kind::of(c))))
        })
        .collect();
    let total = matching.len();
    let shown = &matching[..total.min(limit as usize)];
    let channels = channel_views(&ctx, &client, shown).await;
    Ok(ChannelsResult {
        count: channels.len(),
        channels,
        total: (total > shown.len()).then_some(total),
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetChannelArgs {
    /// The conversation: an id (`C…`, `G…`, `D…`) or a name (`#eng`, `eng`; `@Name` for a DM).
    pub channel: String,
    /// The Slack account to use when several are signed in: its email or workspace domain (`acme`).
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ChannelDetails {
    #[serde(flatten)]
    pub channel: ChannelView,
    /// The `ts` of the last message the person has read, when Slack says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_read: Option<String>,
    /// For a DM: the other person.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub with: Option<PersonView>,
}

#[derive(Debug, Deserialize)]
struct ConversationAnswer {
    channel: Conversation,
}

pub async fn get_channel(
    ctx: Arc<Context>,
    args: GetChannelArgs,
) -> Result<ChannelDetails, ToolError> {
    check_channel(&args.channel)?;
    let client = ctx.client(args.account.as_deref())?;
    let target = ctx
        .state
        .channels
        .resolve(&client, &ctx.state.users, &args.channel)
        .await?;
    let answer: ConversationAnswer = client
        .call(
            "conversations.info",
            &json!({"channel": target.id, "include_num_members": true}),
        )
        .await
        .map_err(about(&target))?;
    let c = answer.channel;
    let view = channel_views(&ctx, &client, &[&c]).await.remove(0);
    let with = match (c.is_im, c.user.as_deref()) {
        (true, Some(user)) => ctx
            .state
            .users
            .resolve(&client, [user])
            .await
            .get(user)
            .map(PersonView::from),
        _ => None,
    };
    Ok(ChannelDetails {
        channel: view,
        last_read: c
            .last_read
            .filter(|t| !t.is_empty() && t != "0000000000.000000"),
        with,
    })
}

/// Names `target` in a Slack error about it (`#eng (C02…)` rather than the bare id).
pub fn about(target: &ChannelRef) -> impl Fn(SlackError) -> ToolError + use<> {
    let label = target.label();
    move |e| match e {
        SlackError::Api(mut api) => {
            api.channel = Some(label.clone());
            api.to_tool_error()
        }
        SlackError::Other(e) => e,
    }
}

/// A `channel` argument worth resolving: not empty, not absurdly long.
pub fn check_channel(channel: &str) -> Result<(), ToolError> {
    if channel.trim().trim_start_matches('#').is_empty() {
        return Err(ToolError::invalid_argument(
            "invalid argument `channel`: pass a conversation id (C…, G…, D…) or a name like `#eng`",
        ));
    }
    Ok(())
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindDirectMessageArgs {
    /// The other person: their email (`priya@acme.example`) or Slack user id (`U…`).
    pub user: String,
    /// The Slack account to use when several are signed in: its email or workspace domain (`acme`).
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct DirectMessage {
    pub found: bool,
    /// The DM's id, for `channel` in the other tools.
    pub channel: String,
    pub with: PersonView,
}

#[derive(Debug, Deserialize)]
struct UserAnswer {
    user: User,
}

#[derive(Debug, Deserialize)]
struct OpenAnswer {
    channel: OpenedChannel,
}

#[derive(Debug, Deserialize)]
struct OpenedChannel {
    id: String,
}

enum UserInput {
    Email(String),
    Id(String),
}

fn parse_user(input: &str) -> Result<UserInput, ToolError> {
    let input = input.trim();
    let input = input.strip_prefix('@').unwrap_or(input);
    if users::is_user_id(input) {
        return Ok(UserInput::Id(input.to_owned()));
    }
    let looks_like_email = input
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !input.chars().any(|c| c.is_whitespace() || c.is_control())
        && input.len() <= 254;
    if looks_like_email {
        return Ok(UserInput::Email(input.to_owned()));
    }
    Err(ToolError::invalid_argument(format!(
        "invalid argument `user`: `{input}` is neither an email nor a Slack user id (U… or W…); pass one of them (slack_list_members shows both)"
    )))
}

pub async fn find_direct_message(
    ctx: Arc<Context>,
    args: FindDirectMessageArgs,
) -> Result<DirectMessage, ToolError> {
    let wanted = parse_user(&args.user)?;
    let client = ctx.client(args.account.as_deref())?;
    let account = client.account_key();
    let person = match wanted {
        UserInput::Id(id) => ctx.state.users.person(&client, &id).await?,
        UserInput::Email(email) => {
            let answer: UserAnswer = client
                .call("users.lookupByEmail", &json!({"email": email}))
                .await
                .map_err(|e| match e.code() {
                    Some("users_not_found") | Some("user_not_found") => ToolError::not_found(
                        format!("no one in this Slack workspace has the email `{email}`: check it, or pass their user id from slack_list_members"),
                    ),
                    _ => e.into(),
                })?;
            ctx.state
                .users
                .remember(&account, std::slice::from_ref(&answer.user));
            Person::from_user(&answer.user)
        }
    };
    if client.account().record().user_id.as_deref() == Some(person.id.as_str()) {
        return Err(ToolError::invalid_argument(
            "invalid argument `user`: that is the signed-in person; pass someone else's email or user id",
        ));
    }
    let opened: OpenAnswer = client
        .call("conversations.open", &json!({"users": person.id}))
        .await?;
    Ok(DirectMessage {
        found: true,
        channel: opened.channel.id,
        with: PersonView::from(&person),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_emails_or_ids() {
        assert!(matches!(parse_user("U01ALEXRIV"), Ok(UserInput::Id(_))));
        assert!(matches!(parse_user("@U01ALEXRIV"), Ok(UserInput::Id(_))));
        assert!(matches!(
            parse_user(" priya@acme.example "),
            Ok(UserInput::Email(e)) if e == "priya@acme.example"
        ));
        for bad in ["", "priya", "@acme.example", "a b@c.d", "priya@localhost"] {
            let e = parse_user(bad).err().expect(bad);
            assert!(e.message.contains("`user`"), "{}", e.message);
        }
    }

    #[test]
    fn types_match_the_kinds_they_name() {
        assert!(ChannelType::Im.matches(Kind::DirectMessage));
        assert!(ChannelType::Mpim.matches(Kind::GroupDirectMessage));
        assert!(ChannelType::PrivateChannel.matches(Kind::PrivateChannel));
        assert!(ChannelType::PublicChannel.matches(Kind::Channel));
        assert!(!ChannelType::PublicChannel.matches(Kind::PrivateChannel));
    }
}
