//! Catching up: what is unread (from each conversation's `last_read`, as Slack's own clients
//! measure it), marking a conversation read (conversations.mark), and the person's mentions.
//!
//! Unread counts top-level messages and thread broadcasts from others after `last_read`
//! (conversations.history holds exactly those); mentions are real `<@Uself>`, `@here`,
//! `@channel` and `@everyone` control sequences, never a name appearing in the text. Direct
//! mentions come from Slack's search for `<@Uself>` (one request for the window, replies
//! included, instead of a history and a replies call per thread, all paced at Tier 3);
//! broadcasts, which search cannot find, from each conversation's top-level history.

use std::collections::HashMap;
use std::sync::Arc;

use futures::stream::{self, StreamExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::super::channels::ChannelRef;
use super::super::client::SlackClient;
use super::super::models::{ConversationInfo, Message, MessageList};
use super::super::mrkdwn::{self, Mention};
use super::super::paging::{self, Paging};
use super::super::ts;
use super::channels::check_channel;
use super::views::{MessageView, message_views};
use super::window::{channel_name, history_messages, window_messages};
use crate::providers::ProviderId;
use crate::providers::slack::Context;
use crate::time_window::last_days;
use crate::tools::{Hints, ToolError, ToolErrorKind, ToolSpec};

const P: Option<ProviderId> = Some(ProviderId::Slack);

/// Conversations read at once when checking many.
const CONCURRENT_CHANNELS: usize = 4;
/// Unread messages counted per conversation; more is reported as `capped`.
const PER_CHANNEL_CAP: usize = 1000;
/// Messages read per conversation for mentions.
const MENTION_SCAN_CAP: usize = 2000;

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![
        ToolSpec::new(
            "slack_get_unread",
            "Get unread Slack messages",
            "What the signed-in person has not read yet: for every conversation they are in (or only `channels`, ids or \
             names like `#eng`), the messages from others after their read position in Slack (top-level messages and \
             thread replies sent to the channel), with sender names. Conversations with unread messages come with \
             `unread_count` and the newest `limit_per_channel` messages (default 10, max 100) in chronological order; \
             those with nothing unread are listed by name only in `up_to_date`. Use slack_mark_read afterwards if the \
             person wants them marked read.",
            P,
            Hints::READ,
            get_unread,
        ),
        ToolSpec::new(
            "slack_mark_read",
            "Mark a Slack conversation as read",
            "Mark one Slack conversation as read for the signed-in person, up to the message `ts` (default: the newest \
             message, i.e. everything). `channel` is an id (`C…`, `G…`, `D…`) or a name (`#eng`). Changes only the \
             person's own read position, not the messages.",
            P,
            Hints {
                read_only: false,
                destructive: false,
                idempotent: true,
                open_world: true,
            },
            mark_read,
        ),
        ToolSpec::new(
            "slack_get_my_mentions",
            "Find messages that mention me",
            "Messages from others that mention the signed-in person over the last `days_window` days (default 7, max \
             90): direct `@name` mentions (found with Slack's search, thread replies included) and \
             `@here`/`@channel`/`@everyone` (read from each conversation's messages and thread broadcasts), newest \
             first, each with `mention` (`direct`, `here`, `channel`, `everyone`). Looks in every conversation the \
             person is in, or only `channels` (ids or names like `#eng`); at most `limit` (1–500, default 50). A \
             name written as plain text is not a mention.",
            P,
            Hints::READ,
            get_my_mentions,
        ),
    ]
}

fn my_id(client: &SlackClient) -> Result<String, ToolError> {
    client.account().record().user_id.clone().ok_or_else(|| {
        ToolError::new(
            ToolErrorKind::NeedsSignIn,
            "chatkey does not know this account's Slack user id: run `chatkey login slack` again",
        )
    })
}

/// Checks `channels` before any request.
pub(super) fn check_channels(channels: Option<&[String]>) -> Result<(), ToolError> {
    if let Some(list) = channels {
        if list.is_empty() || list.len() > 100 {
            return Err(ToolError::invalid_argument(
                "invalid argument `channels`: pass 1 to 100 conversations, or leave it out for all",
            ));
        }
        for c in list {
            check_channel(c).map_err(|_| {
                ToolError::invalid_argument(format!(
                    "invalid argument `channels`: `{c}` is not a conversation; pass ids like `C0123ABCD` or names like `#eng`"
                ))
            })?;
        }
    }
    Ok(())
}

/// The conversations asked for, or every one the person is in (archived ones left out).
pub(super) async fn conversations(
    ctx: &Context,
    client: &SlackClient,
    channels: Option<&[String]>,
) -> Result<Vec<ChannelRef>, ToolError> {
    if let Some(list) = channels {
        let mut out: Vec<ChannelRef> = Vec::new();
        for c in list {
            let r = ctx
                .state
                .channels
                .resolve(client, &ctx.state.users, c)
                .await?;
            if !out.iter().any(|o| o.id == r.id) {
                out.push(r);
            }
        }
        return Ok(out);
    }
    let all = ctx.state.channels.conversations(client, false).await?;
    let mut out = Vec::new();
    for c in all
        .iter()
        .filter(|c| c.is_member != Some(false) && !c.is_archived)
    {
        // The directory names DMs after the person, from the cache it filled.
        out.push(
            ctx.state
                .channels
                .resolve(client, &ctx.state.users, &c.id)
                .await?,
        );
    }
    Ok(out)
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnreadArgs {
    /// Conversations to check (ids like `C0123ABCD` or names like `#eng`); default: every one the person is in.
    pub channels: Option<Vec<String>>,
    /// Most unread messages shown per conversation, the newest (1–100, default 10); counts are complete up to 1,000.
    pub limit_per_channel: Option<u32>,
    /// Email or workspace domain (`acme`) of the Slack account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct UnreadChannel {
    pub channel: String,
    pub channel_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_read: Option<String>,
    pub unread_count: usize,
    /// True when there were more than 1,000 unread messages and the count stopped there.
    pub capped: bool,
    pub messages: Vec<MessageView>,
}

#[derive(Debug, Serialize)]
pub struct UnreadResult {
    pub total_unread: usize,
    pub channels_with_unread: usize,
    pub unread: Vec<UnreadChannel>,
    pub up_to_date: Vec<String>,
}

/// The read position, or `None` when the person never read the conversation.
fn read_position(last_read: Option<String>) -> Option<String> {
    last_read.filter(|t| ts::to_time(t).is_some_and(|t| t.timestamp() > 0))
}

/// One conversation's read position and the others' messages after it (newest first).
async fn unread_in(
    client: &SlackClient,
    channel: &str,
    me: &str,
) -> Result<(Option<String>, Vec<Message>, bool), ToolError> {
    let info: ConversationInfo = client
        .call("conversations.info", &json!({ "channel": channel }))
        .await?;
    let last_read = read_position(info.channel.last_read);
    let mut query = Map::new();
    query.insert("channel".into(), Value::from(channel));
    if let Some(after) = &last_read {
        query.insert("oldest".into(), Value::from(after.clone()));
    }
    let page = paging::collect::<Message>(
        client,
        "conversations.history",
        &query,
        "messages",
        Paging::up_to(PER_CHANNEL_CAP),
    )
    .await?;
    let capped = page.next_cursor.is_some();
    let mut messages = page.items;
    messages.retain(|m| m.user.as_deref() != Some(me) && (!m.is_reply() || m.is_broadcast()));
    Ok((last_read, messages, capped))
}

pub async fn get_unread(ctx: Arc<Context>, args: UnreadArgs) -> Result<UnreadResult, ToolError> {
    check_channels(args.channels.as_deref())?;
    let per_channel = args.limit_per_channel.unwrap_or(10);
    if !(1..=100).contains(&per_channel) {
        return Err(ToolError::invalid_argument(
            "invalid argument `limit_per_channel`: use 1 to 100",
        ));
    }
    let client = ctx.client(args.account.as_deref())?;
    let me = my_id(&client)?;
    let targets = conversations(&ctx, &client, args.channels.as_deref()).await?;
    let results: Vec<(ChannelRef, Result<_, ToolError>)> = stream::iter(targets)
        .map(|c| {
            let (client, me) = (&client, me.as_str());
            async move {
                let r = unread_in(client, &c.id, me).await;
                (c, r)
            }
        })
        .buffered(CONCURRENT_CHANNELS)
        .collect()
        .await;
    let mut unread = Vec::new();
    let mut up_to_date = Vec::new();
    for (c, result) in results {
        let (last_read, messages, capped) = result?;
        if messages.is_empty() {
            up_to_date.push(channel_name(&c));
            continue;
        }
        let mut newest: Vec<Message> = messages
            .iter()
            .take(per_channel as usize)
            .cloned()
            .collect();
        newest.reverse();
        let views = message_views(&ctx, &client, &c.id, &newest).await;
        unread.push(UnreadChannel {
            channel_name: channel_name(&c),
            channel: c.id,
            last_read,
            unread_count: messages.len(),
            capped,
            messages: views,
        });
    }
    Ok(UnreadResult {
        total_unread: unread.iter().map(|u| u.unread_count).sum(),
        channels_with_unread: unread.len(),
        unread,
        up_to_date,
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkReadArgs {
    /// The conversation: an id (`C…`, `G…`, `D…`) or a name (`#eng` or `eng`).
    pub channel: String,
    /// Mark messages up to and including this message `ts` (like `1700000000.000100`) as read; default the newest message.
    pub ts: Option<String>,
    /// Email or workspace domain (`acme`) of the Slack account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MarkReadResult {
    pub channel: String,
    pub channel_name: String,
    /// The read position now held; `None` when the conversation has no messages to mark.
    pub last_read: Option<String>,
    pub marked: bool,
}

pub async fn mark_read(ctx: Arc<Context>, args: MarkReadArgs) -> Result<MarkReadResult, ToolError> {
    check_channel(&args.channel)?;
    let wanted = args.ts.as_deref().map(|t| ts::parse("ts", t)).transpose()?;
    let client = ctx.client(args.account.as_deref())?;
    let channel = ctx
        .state
        .channels
        .resolve(&client, &ctx.state.users, &args.channel)
        .await?;
    let target = match wanted {
        Some(t) => Some(t),
        None => {
            let newest: MessageList = client
                .call(
                    "conversations.history",
                    &json!({ "channel": channel.id, "limit": 1 }),
                )
                .await?;
            newest.messages.into_iter().next().map(|m| m.ts)
        }
    };
    if let Some(t) = &target {
        client
            .call::<Map<String, Value>>(
                "conversations.mark",
                &json!({ "channel": channel.id, "ts": t }),
            )
            .await?;
    }
    Ok(MarkReadResult {
        channel_name: channel_name(&channel),
        channel: channel.id,
        marked: target.is_some(),
        last_read: target,
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MentionsArgs {
    /// How many days back to look, ending now (1–90, default 7).
    pub days_window: Option<u32>,
    /// Conversations to search (ids like `C0123ABCD` or names like `#eng`); default: every one the person is in.
    pub channels: Option<Vec<String>>,
    /// Most mentions to return, the newest (1–500, default 50).
    pub limit: Option<u32>,
    /// Email or workspace domain (`acme`) of the Slack account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MentionView {
    /// `direct`, `here`, `channel` or `everyone`.
    pub mention: &'static str,
    pub channel_name: String,
    #[serde(flatten)]
    pub message: MessageView,
}

#[derive(Debug, Serialize)]
pub struct Searched {
    /// `search.messages` (direct mentions through Slack's search, broadcasts from each
    /// conversation's history) or `history` (everything read, for a token without search).
    pub via: &'static str,
    pub channels: usize,
    pub messages: usize,
    /// True when a conversation held more messages than chatkey reads and older ones were skipped.
    pub truncated: bool,
}

#[derive(Debug, Serialize)]
pub struct MentionsResult {
    pub user: String,
    pub total: usize,
    pub count: usize,
    pub truncated: bool,
    pub mentions: Vec<MentionView>,
    pub searched: Searched,
}

/// A conversation's messages in the window, and whether the cap cut them short.
type WindowResult = Result<(Vec<Message>, bool), ToolError>;

fn mention_name(m: Mention) -> &'static str {
    match m {
        Mention::Direct => "direct",
        Mention::Here => "here",
        Mention::Channel => "channel",
        Mention::Everyone => "everyone",
    }
}

pub async fn get_my_mentions(
    ctx: Arc<Context>,
    args: MentionsArgs,
) -> Result<MentionsResult, ToolError> {
    if args.days_window.is_some_and(|d| d > 90) {
        return Err(ToolError::invalid_argument(
            "invalid argument `days_window`: use 1 to 90 days",
        ));
    }
    let (since, _) = last_days(args.days_window, 7, 365)?;
    check_channels(args.channels.as_deref())?;
    let limit = args.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ToolError::invalid_argument(
            "invalid argument `limit`: use 1 to 500",
        ));
    }
    let client = ctx.client(args.account.as_deref())?;
    let me = my_id(&client)?;
    let targets = conversations(&ctx, &client, args.channels.as_deref()).await?;
    let oldest = ts::from_time(since);
    let mut searched = Searched {
        via: "search.messages",
        channels: targets.len(),
        messages: 0,
        truncated: false,
    };
    let mut found: Vec<(&'static str, String, String, Message)> = Vec::new();

    // Direct mentions, thread replies included, with Slack's search: one request for the
    // whole window instead of every conversation's history and threads. A token without
    // search:read (an imported one) reads the histories instead.
    let listed = args.channels.as_ref().map(|_| targets.as_slice());
    let direct = match super::search::mentioning(&client, &me, listed, since, limit).await {
        Ok(d) => Some(d),
        Err(e)
            if e.kind == ToolErrorKind::PermissionDenied && e.message.contains("search:read") =>
        {
            None
        }
        Err(e) => return Err(e),
    };
    let mut seen = std::collections::HashSet::new();
    if let Some((matches, truncated)) = direct {
        searched.truncated |= truncated;
        searched.messages += matches.len();
        for (channel, name, m) in matches {
            if m.user.as_deref() == Some(me.as_str()) || ts::cmp(&m.ts, &oldest).is_lt() {
                continue;
            }
            if m.text.as_deref().and_then(|t| mrkdwn::mention_of(t, &me)) == Some(Mention::Direct)
                && seen.insert((channel.clone(), m.ts.clone()))
            {
                found.push(("direct", channel, name, m));
            }
        }
    } else {
        searched.via = "history";
    }

    // @here, @channel and @everyone are not searchable: each conversation's top-level
    // history (where they are posted, and thread broadcasts), or everything when search
    // was not available.
    let full = searched.via == "history";
    let fetched: Vec<(ChannelRef, WindowResult)> = stream::iter(targets)
        .map(|c| {
            let (client, oldest) = (&client, oldest.as_str());
            async move {
                let r = if full {
                    window_messages(client, &c.id, oldest, MENTION_SCAN_CAP).await
                } else {
                    history_messages(client, &c.id, oldest, MENTION_SCAN_CAP).await
                };
                (c, r)
            }
        })
        .buffered(CONCURRENT_CHANNELS)
        .collect()
        .await;
    for (c, result) in fetched {
        let (messages, truncated) = result?;
        searched.messages += messages.len();
        searched.truncated |= truncated;
        for m in messages {
            if m.user.as_deref() == Some(me.as_str()) {
                continue;
            }
            let Some(kind) = m.text.as_deref().and_then(|t| mrkdwn::mention_of(t, &me)) else {
                continue;
            };
            if (kind == Mention::Direct && !full) || !seen.insert((c.id.clone(), m.ts.clone())) {
                continue;
            }
            found.push((mention_name(kind), c.id.clone(), channel_name(&c), m));
        }
    }
    found.sort_by(|a, b| ts::cmp(&b.3.ts, &a.3.ts));
    let total = found.len();
    found.truncate(limit as usize);
    // One name lookup per conversation, in the order found.
    let mut by_channel: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, (_, c, _, _)) in found.iter().enumerate() {
        by_channel.entry(c.clone()).or_default().push(i);
    }
    let mut views: Vec<Option<MessageView>> = vec![None; found.len()];
    for (channel, indexes) in &by_channel {
        let messages: Vec<Message> = indexes.iter().map(|i| found[*i].3.clone()).collect();
        let page = message_views(&ctx, &client, channel, &messages).await;
        for (i, v) in indexes.iter().zip(page) {
            views[*i] = Some(v);
        }
    }
    let mentions: Vec<MentionView> = found
        .iter()
        .zip(views)
        .filter_map(|((kind, _, name, _), v)| {
            Some(MentionView {
                mention: kind,
                channel_name: name.clone(),
                message: v?,
            })
        })
        .collect();
    Ok(MentionsResult {
        user: me,
        total,
        count: mentions.len(),
        truncated: total > mentions.len(),
        mentions,
        searched,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_read_has_no_position() {
        assert_eq!(read_position(None), None);
        assert_eq!(read_position(Some("0000000000.000000".into())), None);
        assert_eq!(read_position(Some("".into())), None);
        assert_eq!(
            read_position(Some("1700000000.000100".into())).as_deref(),
            Some("1700000000.000100")
        );
    }

    #[test]
    fn channels_are_checked() {
        assert!(check_channels(None).is_ok());
        assert!(check_channels(Some(&[])).is_err());
        assert!(check_channels(Some(&["#".into()])).is_err());
        assert!(check_channels(Some(&["#eng".into(), "C01GENERAL".into()])).is_ok());
    }
}
