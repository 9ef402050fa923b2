//! Reading: a conversation's messages in a time window (`teams_list_messages`, newest first,
//! paged by a cursor), one message (`teams_get_message`), and a channel post with its replies
//! (`teams_get_thread`).
//!
//! Chats are asked for the window's end on the server (`createdDateTime lt`, newest first)
//! and read until a message is older than its start. Channel lists take no date filter and
//! come newest activity first, so chatkey cuts the window itself and stops at the first post
//! whose last activity is older than the window.

use std::sync::Arc;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use url::Url;

use super::super::client::GraphClient;
use super::super::conversations::{Conversation, Where, check_id, resolve};
use super::super::models::{ChatMessage, Page};
use super::views::{MessageView, message_view};
use crate::providers::ProviderId;
use crate::providers::teams::Context;
use crate::time_window::window;
use crate::tools::{Hints, ToolError, ToolSpec};

const P: Option<ProviderId> = Some(ProviderId::Teams);
/// The most messages Graph returns per page.
const PAGE: &str = "50";

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![
        ToolSpec::new(
            "teams_list_messages",
            "List messages in a Teams chat or channel",
            "List messages of one conversation, newest first: a chat (`chat`, its `19:…` id from teams_list_chats) or a \
             channel (`team` and `channel`, ids or display names). The window is the last `days_window` days (default 3) \
             ending `offset` days ago, or `since`/`until`. In channels these are the posts (teams_get_thread shows a \
             post's replies). Each message has its `id`, time, sender, readable `text` (HTML turned into text; \
             `include_html` adds the original), files, reactions and link. At most `limit` (1–1000, default 50); pass \
             `next_cursor` back as `cursor` for more.",
            P,
            Hints::READ,
            list_messages,
        ),
        ToolSpec::new(
            "teams_get_message",
            "Get one Teams message",
            "Get one message by `message` id in a chat (`chat`) or channel (`team`, `channel`); a channel reply also \
             needs `reply_to`, the id of the post it answers.",
            P,
            Hints::READ,
            get_message,
        ),
        ToolSpec::new(
            "teams_get_thread",
            "Get a channel post and its replies",
            "Get a channel post (`team`, `channel`, `message`: the post's id) and its replies, oldest first, up to `limit` \
             (1–1000, default 200) messages in all. Chats have no threads: use teams_list_messages for them.",
            P,
            Hints::READ,
            get_thread,
        ),
    ]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListMessagesArgs {
    /// A chat's id (`19:…`, from teams_list_chats). Give either `chat`, or `team` and `channel`.
    pub chat: Option<String>,
    /// A team: its id or display name (from teams_list_teams).
    pub team: Option<String>,
    /// A channel of `team`: its id (`19:…@thread.tacv2`) or display name (from teams_list_channels).
    pub channel: Option<String>,
    /// Length of the time window in days (1–365, default 3).
    pub days_window: Option<u32>,
    /// How many days before now the window ends (0–3650, default 0 = now).
    pub offset: Option<u32>,
    /// Start of the window (RFC 3339 like `2026-11-20T09:00:00Z`, or `2026-11-20`); replaces days_window/offset.
    pub since: Option<String>,
    /// End of the window, exclusive (RFC 3339 or YYYY-MM-DD); default now.
    pub until: Option<String>,
    /// Maximum messages to return (1–1000, default 50).
    pub limit: Option<u32>,
    /// `next_cursor` from a previous call for the same conversation.
    pub cursor: Option<String>,
    /// Also return each message's HTML as Teams holds it.
    pub include_html: Option<bool>,
    /// The Microsoft account (email) to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ConversationView {
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_name: Option<String>,
}

pub fn conversation_view(c: &Conversation) -> ConversationView {
    match c {
        Conversation::Chat { id } => ConversationView {
            kind: "chat",
            chat: Some(id.clone()),
            team: None,
            team_name: None,
            channel: None,
            channel_name: None,
        },
        Conversation::Channel {
            team,
            team_name,
            channel,
            channel_name,
        } => ConversationView {
            kind: "channel",
            chat: None,
            team: Some(team.clone()),
            team_name: team_name.clone(),
            channel: Some(channel.clone()),
            channel_name: channel_name.clone(),
        },
    }
}

#[derive(Debug, Serialize)]
pub struct WindowView {
    pub since: String,
    pub until: String,
}

#[derive(Debug, Serialize)]
pub struct MessagesResult {
    pub conversation: ConversationView,
    pub window: WindowView,
    pub count: usize,
    pub messages: Vec<MessageView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Where a listing stopped: the page to read again and how many of its messages were
/// already returned, for the same conversation and window.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Cursor {
    conversation: String,
    page: String,
    skip: usize,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
}

fn encode(c: &Cursor) -> String {
    let json = serde_json::to_vec(c).expect("a cursor serialises");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

fn decode(text: &str) -> Result<Cursor, ToolError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim())
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| {
            ToolError::invalid_argument(
                "invalid argument `cursor`: it is not a `next_cursor` from teams_list_messages; pass it back unchanged, or leave it out to start again",
            )
        })
}

pub fn time_of(t: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(t?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

pub fn check_limit(limit: Option<u32>, default: u32) -> Result<usize, ToolError> {
    let limit = limit.unwrap_or(default);
    if !(1..=1000).contains(&limit) {
        return Err(ToolError::invalid_argument(
            "invalid argument `limit`: use 1 to 1000",
        ));
    }
    Ok(limit as usize)
}

pub async fn list_messages(
    ctx: Arc<Context>,
    args: ListMessagesArgs,
) -> Result<MessagesResult, ToolError> {
    let place = Where {
        chat: args.chat.clone(),
        team: args.team.clone(),
        channel: args.channel.clone(),
    };
    super::super::conversations::check(&place)?;
    let continued = args.cursor.as_deref().map(decode).transpose()?;
    if continued.is_some()
        && (args.days_window.is_some()
            || args.offset.is_some()
            || args.since.is_some()
            || args.until.is_some())
    {
        return Err(ToolError::invalid_argument(
            "invalid arguments: a `cursor` continues its own window; leave out days_window, offset, since and until",
        ));
    }
    let (since, until) = match &continued {
        Some(c) => (c.since, c.until),
        None => window(
            Utc::now(),
            args.days_window,
            args.offset,
            args.since.as_deref(),
            args.until.as_deref(),
        )?,
    };
    let limit = check_limit(args.limit, 50)?;
    let client = ctx.client(args.account.as_deref())?;
    let conversation = resolve(&client, &place).await?;
    let (first, skip) = match continued {
        Some(c) => {
            if c.conversation != conversation.key() {
                return Err(ToolError::invalid_argument(
                    "invalid argument `cursor`: it belongs to another conversation; leave it out to start this one",
                ));
            }
            let url = Url::parse(&c.page)
                .ok()
                .filter(|u| client.endpoints().is_graph(u))
                .ok_or_else(|| decode("").unwrap_err())?;
            (url, c.skip)
        }
        None => (first_page(&client, &conversation, until), 0),
    };
    let include_html = args.include_html.unwrap_or(false);
    let (messages, next) =
        read_window(&client, &conversation, first, skip, since, until, limit).await?;
    let next_cursor = next.map(|(page, skip)| {
        encode(&Cursor {
            conversation: conversation.key(),
            page: page.to_string(),
            skip,
            since,
            until,
        })
    });
    let mut messages: Vec<MessageView> = messages
        .iter()
        .map(|m| message_view(m, include_html))
        .collect();
    name_reactions(&ctx, &client, &mut messages).await;
    Ok(MessagesResult {
        conversation: conversation_view(&conversation),
        window: WindowView {
            since: since.to_rfc3339(),
            until: until.to_rfc3339(),
        },
        count: messages.len(),
        messages,
        next_cursor,
    })
}

/// Graph names reaction authors by id only; the context's people cache names them.
async fn name_reactions(ctx: &Context, client: &GraphClient, views: &mut [MessageView]) {
    for v in views.iter_mut().filter(|v| !v.reactions.is_empty()) {
        ctx.name_reactions(client, &mut v.reactions).await;
    }
}

pub(super) fn first_page(client: &GraphClient, c: &Conversation, until: DateTime<Utc>) -> Url {
    let path = c.messages_path();
    match c {
        Conversation::Chat { .. } => client.url(
            &path,
            &[
                ("$top", PAGE.into()),
                ("$orderby", "createdDateTime desc".into()),
                (
                    "$filter",
                    format!(
                        "createdDateTime lt {}",
                        until.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                    ),
                ),
            ],
        ),
        Conversation::Channel { .. } => client.url(&path, &[("$top", PAGE.into())]),
    }
}

/// Messages of the window, newest first, up to `limit`; and where to continue when more
/// are left (the page and how many of it were taken).
pub(super) async fn read_window(
    client: &GraphClient,
    c: &Conversation,
    first: Url,
    mut skip: usize,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: usize,
) -> Result<(Vec<ChatMessage>, Option<(Url, usize)>), ToolError> {
    let mut out = Vec::new();
    let mut url = first;
    loop {
        let page: Page<ChatMessage> = client.get(url.clone()).await?;
        for (i, m) in page.value.into_iter().enumerate().skip(skip) {
            let created = time_of(m.created_date_time.as_deref());
            // A channel post's last activity bounds its creation; the list is newest activity first.
            let activity = match c {
                Conversation::Chat { .. } => created,
                Conversation::Channel { .. } => {
                    time_of(m.last_modified_date_time.as_deref()).or(created)
                }
            };
            if activity.is_some_and(|t| t < since) {
                return Ok((out, None));
            }
            if !created.is_some_and(|t| t >= since && t < until) {
                continue;
            }
            if out.len() == limit {
                return Ok((out, Some((url, i))));
            }
            out.push(m);
        }
        skip = 0;
        match page.next_link {
            Some(link) => url = client.next_link(&link)?,
            None => return Ok((out, None)),
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetMessageArgs {
    /// A chat's id (`19:…`). Give either `chat`, or `team` and `channel`.
    pub chat: Option<String>,
    /// A team: its id or display name.
    pub team: Option<String>,
    /// A channel of `team`: its id or display name.
    pub channel: Option<String>,
    /// The message's id.
    pub message: String,
    /// For a reply in a channel: the id of the post it answers.
    pub reply_to: Option<String>,
    /// Also return the HTML as Teams holds it.
    pub include_html: Option<bool>,
    /// The Microsoft account (email) to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MessageResult {
    pub conversation: ConversationView,
    #[serde(flatten)]
    pub message: MessageView,
}

pub async fn get_message(
    ctx: Arc<Context>,
    args: GetMessageArgs,
) -> Result<MessageResult, ToolError> {
    let place = Where {
        chat: args.chat.clone(),
        team: args.team.clone(),
        channel: args.channel.clone(),
    };
    super::super::conversations::check(&place)?;
    check_id("message", &args.message)?;
    if let Some(p) = &args.reply_to {
        check_id("reply_to", p)?;
        if args.chat.is_some() {
            return Err(ToolError::invalid_argument(
                "invalid argument `reply_to`: chat messages have no threads; leave it out",
            ));
        }
    }
    let client = ctx.client(args.account.as_deref())?;
    let conversation = resolve(&client, &place).await?;
    let m = fetch(
        &client,
        &conversation,
        args.message.trim(),
        args.reply_to.as_deref(),
    )
    .await?;
    let mut view = message_view(&m, args.include_html.unwrap_or(false));
    ctx.name_reactions(&client, &mut view.reactions).await;
    Ok(MessageResult {
        conversation: conversation_view(&conversation),
        message: view,
    })
}

/// One message; not found says which.
pub async fn fetch(
    client: &GraphClient,
    c: &Conversation,
    id: &str,
    parent: Option<&str>,
) -> Result<ChatMessage, ToolError> {
    let url = client.url(&c.message_path(id, parent.map(str::trim)), &[]);
    client.get(url).await.map_err(|e| {
        if e.kind == crate::tools::ToolErrorKind::NotFound {
            ToolError::not_found(format!(
                "no message `{id}` in this {}{}; take ids from teams_list_messages{}",
                c.kind(),
                if parent.is_some() { " thread" } else { "" },
                if c.is_channel() {
                    " or teams_get_thread"
                } else {
                    ""
                }
            ))
        } else {
            e
        }
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetThreadArgs {
    /// A team: its id or display name.
    pub team: Option<String>,
    /// A channel of `team`: its id or display name.
    pub channel: Option<String>,
    /// Not for threads: chats have none (teams_list_messages reads a chat).
    pub chat: Option<String>,
    /// The post's id (a channel message from teams_list_messages).
    pub message: String,
    /// Maximum messages, the post included (1–1000, default 200).
    pub limit: Option<u32>,
    /// Also return the HTML as Teams holds it.
    pub include_html: Option<bool>,
    /// The Microsoft account (email) to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ThreadResult {
    pub conversation: ConversationView,
    pub count: usize,
    pub truncated: bool,
    pub messages: Vec<MessageView>,
}

pub async fn get_thread(ctx: Arc<Context>, args: GetThreadArgs) -> Result<ThreadResult, ToolError> {
    if args.chat.is_some() {
        return Err(ToolError::invalid_argument(
            "invalid argument `chat`: Teams chats have no threads; use teams_list_messages for a chat",
        ));
    }
    let place = Where {
        chat: None,
        team: args.team.clone(),
        channel: args.channel.clone(),
    };
    super::super::conversations::check(&place)?;
    check_id("message", &args.message)?;
    let limit = check_limit(args.limit, 200)?;
    let client = ctx.client(args.account.as_deref())?;
    let conversation = resolve(&client, &place).await?;
    let id = args.message.trim();
    let post = fetch(&client, &conversation, id, None).await?;
    if let Some(parent) = &post.reply_to_id {
        return Err(ToolError::invalid_argument(format!(
            "invalid argument `message`: `{id}` is a reply; its thread starts at `{parent}`"
        )));
    }
    let mut path = conversation.messages_path();
    path.extend([id, "replies"]);
    let url = client.url(&path, &[("$top", PAGE.into())]);
    let (mut replies, truncated) = client
        .collect::<ChatMessage>(url, limit.saturating_sub(1), |_| false)
        .await?;
    replies.sort_by_key(|m| time_of(m.created_date_time.as_deref()));
    let include_html = args.include_html.unwrap_or(false);
    let mut messages: Vec<MessageView> = std::iter::once(&post)
        .chain(replies.iter())
        .map(|m| message_view(m, include_html))
        .collect();
    name_reactions(&ctx, &client, &mut messages).await;
    Ok(ThreadResult {
        conversation: conversation_view(&conversation),
        count: messages.len(),
        truncated,
        messages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_junk() {
        let c = Cursor {
            conversation: "19:a@thread.v2".into(),
            page: "https://graph.microsoft.com/v1.0/chats/x/messages?$skiptoken=1".into(),
            skip: 3,
            since: Utc::now(),
            until: Utc::now(),
        };
        assert_eq!(decode(&encode(&c)).unwrap(), c);
        assert!(decode("not a cursor").is_err());
    }
}
