//! Reading: a window of a conversation's history (newest first), one message, one thread.
//!
//! Windows work as Google's `list_messages` does (`days_window`/`offset`, or `since`/`until`),
//! sent to Slack as `oldest`/`latest` with `inclusive`, so consecutive windows neither overlap
//! nor leave a gap. "The last 3 days" moves with the clock, so the window travels inside our
//! cursor next to Slack's, and a continued listing asks Slack for exactly the same range.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::models::Message;
use super::super::paging::{self, Paging};
use super::super::ts;
use super::channels::{about, check_channel};
use super::views::{MessageView, message_views};
use crate::providers::ProviderId;
use crate::providers::slack::Context;
use crate::time_window::window;
use crate::tools::{Hints, ToolError, ToolSpec};

const P: Option<ProviderId> = Some(ProviderId::Slack);

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![
        ToolSpec::new(
            "slack_list_messages",
            "Read recent messages in a Slack conversation",
            "Read the top-level messages (and replies also sent to the channel) of one Slack conversation in a time window, \
             newest first, with each sender's name and mentions shown as names. `channel` is an id (`C…`, `G…`, `D…`) or a \
             name (`#eng`, `eng`; `@Name` for a DM). By default the window is the last `days_window` days (default 3) ending \
             `offset` days ago (default 0): to walk back without overlap use offset 0, then offset=days_window, then \
             2×days_window. Or give `since`/`until` (RFC 3339 or YYYY-MM-DD). At most `limit` messages (default 50, max 1000); \
             pass the returned `next_cursor` as `cursor` (same channel) to continue. Read a thread's replies with slack_get_thread.",
            P,
            Hints::READ,
            list_messages,
        ),
        ToolSpec::new(
            "slack_get_message",
            "Get one Slack message",
            "Fetch one Slack message by `{channel, ts}` (the `ts` from slack_list_messages), top-level or a thread reply, \
             with its sender's name, reactions, files and thread.",
            P,
            Hints::READ,
            get_message,
        ),
        ToolSpec::new(
            "slack_get_thread",
            "Read a Slack thread",
            "Read a Slack thread by `{channel, thread_ts}` (the parent message's `ts`): the parent first, then the replies \
             oldest first. At most `limit` messages (default 200, max 1000); pass `next_cursor` as `cursor` to continue.",
            P,
            Hints::READ,
            get_thread,
        ),
    ]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListMessagesArgs {
    /// The conversation: an id (`C…`, `G…`, `D…`) or a name (`#eng`, `eng`; `@Name` for a DM).
    pub channel: String,
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
    /// `next_cursor` from a previous call for the same channel.
    pub cursor: Option<String>,
    /// The Slack account to use when several are signed in: its email or workspace domain (`acme`).
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MessagesResult {
    pub channel: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_name: Option<String>,
    pub window: Window,
    pub count: usize,
    pub messages: Vec<MessageView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Window {
    pub since: String,
    pub until: String,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Our cursor: Slack's plus the exact window it belongs to.
#[derive(Debug, Serialize, Deserialize)]
struct Cursor {
    slack: String,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    channel: String,
}

impl Cursor {
    fn encode(&self) -> String {
        use base64::Engine;
        let json = serde_json::to_vec(self).expect("a cursor always serialises");
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    fn decode(cursor: &str) -> Result<Self, ToolError> {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(cursor.trim())
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| {
                ToolError::invalid_argument(
                    "invalid argument `cursor`: pass the `next_cursor` of the previous result unchanged",
                )
            })
    }
}

fn check_limit(limit: Option<u32>, default: u32) -> Result<usize, ToolError> {
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
    check_channel(&args.channel)?;
    let continued = args
        .cursor
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .map(Cursor::decode)
        .transpose()?;
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
    let target = ctx
        .state
        .channels
        .resolve(&client, &ctx.state.users, &args.channel)
        .await?;
    if let Some(c) = &continued
        && c.channel != target.id
    {
        return Err(ToolError::invalid_argument(
            "invalid argument `cursor`: it belongs to another channel; pass it with the channel it came from, or leave it out",
        ));
    }
    // `inclusive` takes both ends; one microsecond before `until` keeps the window half-open.
    let request = json!({
        "channel": target.id,
        "oldest": ts::from_time(since),
        "latest": ts::from_time(until - TimeDelta::microseconds(1)),
        "inclusive": true,
    });
    let page = paging::collect::<Message>(
        &client,
        "conversations.history",
        request.as_object().expect("a JSON object"),
        "messages",
        Paging::up_to(limit).from_cursor(continued.map(|c| c.slack)),
    )
    .await
    .map_err(about(&target))?;
    let mut items = page.items;
    items.sort_by(|a, b| ts::cmp(&b.ts, &a.ts));
    let messages = message_views(&ctx, &client, &target.id, &items).await;
    Ok(MessagesResult {
        next_cursor: page.next_cursor.map(|slack| {
            Cursor {
                slack,
                since,
                until,
                channel: target.id.clone(),
            }
            .encode()
        }),
        channel: target.id,
        channel_name: target.name,
        window: Window {
            since: rfc3339(since),
            until: rfc3339(until),
        },
        count: messages.len(),
        messages,
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetMessageArgs {
    /// The conversation: an id (`C…`, `G…`, `D…`) or a name (`#eng`, `eng`; `@Name` for a DM).
    pub channel: String,
    /// The message's `ts`, like `1700000000.000100`.
    pub ts: String,
    /// The Slack account to use when several are signed in: its email or workspace domain (`acme`).
    pub account: Option<String>,
}

#[derive(Debug, Deserialize)]
struct MessagesAnswer {
    #[serde(default)]
    messages: Vec<Message>,
}

/// The message `ts` in `channel` as Slack has it, top-level or a reply; `None` when Slack
/// has no such message.
pub async fn fetch_message(
    client: &super::super::client::SlackClient,
    channel: &str,
    ts: &str,
) -> Result<Option<Message>, super::super::errors::SlackError> {
    let exact =
        json!({"channel": channel, "oldest": ts, "latest": ts, "inclusive": true, "limit": 1});
    let history: MessagesAnswer = client.call("conversations.history", &exact).await?;
    if let Some(m) = history.messages.into_iter().find(|m| m.ts == ts) {
        return Ok(Some(m));
    }
    // Replies are not in the history; conversations.replies finds them by their own ts.
    let replies = json!({"channel": channel, "ts": ts, "oldest": ts, "latest": ts, "inclusive": true, "limit": 1});
    match client
        .call::<MessagesAnswer>("conversations.replies", &replies)
        .await
    {
        Ok(answer) => Ok(answer.messages.into_iter().find(|m| m.ts == ts)),
        Err(e) if matches!(e.code(), Some("thread_not_found" | "message_not_found")) => Ok(None),
        Err(e) => Err(e),
    }
}

fn no_such_message(param: &str, ts: &str, channel: &str) -> ToolError {
    ToolError::not_found(format!(
        "no message with `{param}` `{ts}` in {channel}: check it with slack_list_messages (a message's `ts`, or `thread_ts` for a reply)"
    ))
}

pub async fn get_message(
    ctx: Arc<Context>,
    args: GetMessageArgs,
) -> Result<MessageView, ToolError> {
    check_channel(&args.channel)?;
    let ts = ts::parse("ts", &args.ts)?;
    let client = ctx.client(args.account.as_deref())?;
    let target = ctx
        .state
        .channels
        .resolve(&client, &ctx.state.users, &args.channel)
        .await?;
    let message = fetch_message(&client, &target.id, &ts)
        .await
        .map_err(about(&target))?
        .ok_or_else(|| no_such_message("ts", &ts, &target.label()))?;
    Ok(message_views(&ctx, &client, &target.id, &[message])
        .await
        .remove(0))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetThreadArgs {
    /// The conversation: an id (`C…`, `G…`, `D…`) or a name (`#eng`, `eng`; `@Name` for a DM).
    pub channel: String,
    /// The parent message's `ts` (a message's `thread_ts`).
    pub thread_ts: String,
    /// Maximum messages to return, parent included (1–1000, default 200).
    pub limit: Option<u32>,
    /// `next_cursor` from a previous call for the same thread.
    pub cursor: Option<String>,
    /// The Slack account to use when several are signed in: its email or workspace domain (`acme`).
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ThreadResult {
    pub channel: String,
    pub thread_ts: String,
    pub count: usize,
    /// The parent first (on the first page), then the replies oldest first.
    pub messages: Vec<MessageView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

pub async fn get_thread(ctx: Arc<Context>, args: GetThreadArgs) -> Result<ThreadResult, ToolError> {
    check_channel(&args.channel)?;
    let thread_ts = ts::parse("thread_ts", &args.thread_ts)?;
    let limit = check_limit(args.limit, 200)?;
    let client = ctx.client(args.account.as_deref())?;
    let target = ctx
        .state
        .channels
        .resolve(&client, &ctx.state.users, &args.channel)
        .await?;
    let request = json!({"channel": target.id, "ts": thread_ts});
    let page = paging::collect::<Message>(
        &client,
        "conversations.replies",
        request.as_object().expect("a JSON object"),
        "messages",
        Paging::up_to(limit).from_cursor(args.cursor.clone()),
    )
    .await
    .map_err(|e| match e.code() {
        Some("thread_not_found" | "message_not_found") => {
            no_such_message("thread_ts", &thread_ts, &target.label())
        }
        _ => about(&target)(e),
    })?;
    let mut items = page.items;
    if items.is_empty() && args.cursor.is_none() {
        return Err(no_such_message("thread_ts", &thread_ts, &target.label()));
    }
    // The parent first, whatever order a page came in.
    items.sort_by(|a, b| {
        (a.ts != thread_ts)
            .cmp(&(b.ts != thread_ts))
            .then_with(|| ts::cmp(&a.ts, &b.ts))
    });
    let messages = message_views(&ctx, &client, &target.id, &items).await;
    Ok(ThreadResult {
        channel: target.id,
        thread_ts,
        count: messages.len(),
        messages,
        next_cursor: page.next_cursor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_carry_their_window_and_reject_anything_else() {
        let now = Utc::now();
        let c = Cursor {
            slack: "bmV4dA==".into(),
            since: now - TimeDelta::days(3),
            until: now,
            channel: "C1".into(),
        };
        let back = Cursor::decode(&c.encode()).unwrap();
        assert_eq!((back.since, back.until), (c.since, c.until));
        assert_eq!(back.slack, c.slack);
        assert!(Cursor::decode("not a cursor").is_err());
    }
}
