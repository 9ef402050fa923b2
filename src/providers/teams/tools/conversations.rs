//! Where the person talks: their chats (`teams_list_chats`, named after the other people when
//! untitled), teams (`teams_list_teams`) and a team's channels (`teams_list_channels`), and
//! who they are signed in as (`teams_whoami`).

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::conversations::{check_id, joined_teams, resolve_team, team_channels};
use super::super::models::Chat;
use crate::providers::ProviderId;
use crate::providers::teams::Context;
use crate::tools::{Hints, ToolError, ToolSpec};

const P: Option<ProviderId> = Some(ProviderId::Teams);

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![
        ToolSpec::new(
            "teams_whoami",
            "Who am I signed in as in Microsoft Teams",
            "Show the Microsoft account the Teams tools act as: its user id (the id that appears as a message sender), \
             name and email, and the permissions the sign-in holds (whether channel messages can be read).",
            P,
            Hints::READ,
            whoami,
        ),
        ToolSpec::new(
            "teams_list_chats",
            "List my Teams chats",
            "List the signed-in person's Teams chats, most recently active first: one-on-one, group and meeting chats, \
             each with its `id` (`19:…`, what `chat` takes), `type`, a `title` (the chat's topic, or the other people's \
             names when it has none), the members' names and a link. At most `limit` chats (1–500, default 50).",
            P,
            Hints::READ,
            list_chats,
        ),
        ToolSpec::new(
            "teams_list_teams",
            "List my teams",
            "List the teams the signed-in person is a member of, with `id` and display `name` (either is what `team` takes).",
            P,
            Hints::READ,
            list_teams,
        ),
        ToolSpec::new(
            "teams_list_channels",
            "List a team's channels",
            "List the channels of one team (`team`: its id or display name) that the person can see, with `id` and \
             display `name` (either is what `channel` takes), membership (`standard`, `private`, `shared`) and a link.",
            P,
            Hints::READ,
            list_channels,
        ),
    ]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountArgs {
    /// The Microsoft account (email) to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct WhoamiResult {
    pub user_id: Option<String>,
    pub name: Option<String>,
    pub email: String,
    pub scopes: Vec<String>,
    /// Whether channel messages can be read (an administrator consented to ChannelMessage.Read.All).
    pub can_read_channels: bool,
}

pub async fn whoami(ctx: Arc<Context>, args: AccountArgs) -> Result<WhoamiResult, ToolError> {
    let client = ctx.client(args.account.as_deref())?;
    let me: super::super::models::User = client
        .get(client.url(
            &["me"],
            &[("$select", "id,displayName,mail,userPrincipalName".into())],
        ))
        .await?;
    let record = client.account().record().clone();
    let scopes = record.scopes.clone();
    Ok(WhoamiResult {
        user_id: Some(me.id),
        name: me.display_name.or(record.display_name),
        email: record.email,
        can_read_channels: scopes
            .iter()
            .any(|s| s.eq_ignore_ascii_case(super::super::ADMIN_SCOPE)),
        scopes,
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListChatsArgs {
    /// How many chats to return (1–500, default 50).
    pub limit: Option<u32>,
    /// The Microsoft account (email) to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ChatView {
    pub id: String,
    /// `one_on_one`, `group` or `meeting`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    pub members: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_activity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ChatsResult {
    pub count: usize,
    pub truncated: bool,
    pub chats: Vec<ChatView>,
}

fn chat_kind(t: &str) -> String {
    match t {
        "oneOnOne" => "one_on_one".into(),
        "group" => "group".into(),
        "meeting" => "meeting".into(),
        other => other.to_owned(),
    }
}

/// A chat's title: its topic, or the other members' names.
pub fn chat_view(chat: &Chat, me: Option<&str>) -> ChatView {
    let members: Vec<String> = chat
        .members
        .iter()
        .filter_map(|m| m.display_name.clone())
        .collect();
    let others: Vec<String> = chat
        .members
        .iter()
        .filter(|m| m.user_id.as_deref() != me || me.is_none())
        .filter_map(|m| m.display_name.clone())
        .collect();
    let topic = chat.topic.clone().filter(|t| !t.trim().is_empty());
    let title = match (&topic, others.is_empty()) {
        (Some(t), _) => t.clone(),
        (None, false) => others.join(", "),
        (None, true) => "(just you)".into(),
    };
    ChatView {
        id: chat.id.clone(),
        kind: chat_kind(&chat.chat_type),
        title,
        topic,
        members,
        last_activity: chat.last_updated_date_time.clone(),
        link: chat.web_url.clone(),
    }
}

pub async fn list_chats(ctx: Arc<Context>, args: ListChatsArgs) -> Result<ChatsResult, ToolError> {
    let limit = args.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ToolError::invalid_argument(
            "invalid argument `limit`: use 1 to 500",
        ));
    }
    let client = ctx.client(args.account.as_deref())?;
    let me = client.account().record().user_id.clone();
    // 50 is the most Graph gives per page of chats.
    let url = client.url(
        &["me", "chats"],
        &[("$expand", "members".into()), ("$top", "50".into())],
    );
    let (mut chats, truncated) = client
        .collect::<Chat>(url, limit as usize, |_| false)
        .await?;
    chats.sort_by(|a, b| b.last_updated_date_time.cmp(&a.last_updated_date_time));
    let chats: Vec<ChatView> = chats.iter().map(|c| chat_view(c, me.as_deref())).collect();
    Ok(ChatsResult {
        count: chats.len(),
        truncated,
        chats,
    })
}

#[derive(Debug, Serialize)]
pub struct TeamView {
    pub id: String,
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub archived: bool,
}

#[derive(Debug, Serialize)]
pub struct TeamsResult {
    pub count: usize,
    pub teams: Vec<TeamView>,
}

pub async fn list_teams(ctx: Arc<Context>, args: AccountArgs) -> Result<TeamsResult, ToolError> {
    let client = ctx.client(args.account.as_deref())?;
    let teams: Vec<TeamView> = joined_teams(&client)
        .await?
        .into_iter()
        .map(|t| TeamView {
            id: t.id,
            name: t.display_name,
            description: t.description.filter(|d| !d.is_empty()),
            archived: t.is_archived.unwrap_or(false),
        })
        .collect();
    Ok(TeamsResult {
        count: teams.len(),
        teams,
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListChannelsArgs {
    /// The team: its id or display name (from teams_list_teams).
    pub team: String,
    /// The Microsoft account (email) to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ChannelView {
    pub id: String,
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub membership: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ChannelsResult {
    pub team: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_name: Option<String>,
    pub count: usize,
    pub channels: Vec<ChannelView>,
}

pub async fn list_channels(
    ctx: Arc<Context>,
    args: ListChannelsArgs,
) -> Result<ChannelsResult, ToolError> {
    check_id("team", &args.team)?;
    let client = ctx.client(args.account.as_deref())?;
    let (team, team_name) = resolve_team(&client, &args.team).await?;
    let channels: Vec<ChannelView> = team_channels(&client, &team)
        .await?
        .into_iter()
        .map(|c| ChannelView {
            id: c.id,
            name: c.display_name,
            description: c.description.filter(|d| !d.is_empty()),
            membership: c.membership_type.unwrap_or_else(|| "standard".into()),
            link: c.web_url,
        })
        .collect();
    Ok(ChannelsResult {
        team,
        team_name,
        count: channels.len(),
        channels,
    })
}
