//! Reading and sending messages: list a window of a space, get one, send one.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::names;
use super::views::{MessageView, message_views};
use crate::providers::google_chat::Context;
use crate::time_window::{self, window};
use crate::tools::{Hints, ToolError, ToolSpec};

use super::GOOGLE_CHAT as P;

/// Google's limit for a message's text.
const MAX_TEXT_BYTES: usize = 32_000;

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![
        ToolSpec::new(
            "google_chat_list_messages",
            "Read recent messages in a space",
            "Read messages of one Google Chat space in a time window, with each sender's display name. \
             By default the window is the last `days_window` days (default 3) ending `offset` days ago (default 0): \
             to walk back without overlap use offset 0, then offset=days_window, then 2×days_window. \
             Or give `since`/`until` (RFC 3339 or YYYY-MM-DD). Newest messages come first unless `order` is `oldest_first`. \
             At most `limit` messages are returned (default 50, max 1000); pass the returned `next_page_token` as `page_token` \
             (with the same other arguments) to continue.",
            P,
            Hints::READ,
            list_messages,
        ),
        ToolSpec::new(
            "google_chat_get_message",
            "Get one message",
            "Fetch one Google Chat message by its full name (`spaces/…/messages/…`), with the sender's display name, thread and attachments.",
            P,
            Hints::READ,
            get_message,
        ),
        ToolSpec::new(
            "google_chat_send_message",
            "Send a message",
            "Post a message to a Google Chat space as the signed-in person. Give `thread` (a thread name from a listed message) \
             to reply in that thread; the call fails rather than start a new thread if the thread does not exist. \
             Text supports Google Chat formatting (*bold*, _italic_, `code`, ```blocks```). Each call posts exactly once, even if retried.",
            P,
            Hints::WRITE,
            send_message,
        ),
    ]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListMessagesArgs {
    /// The space: `spaces/AAA` or just `AAA`.
    pub space: String,
    /// Length of the time window in days (1–365, default 3).
    pub days_window: Option<u32>,
    /// How many days before now the window ends (default 0 = now).
    pub offset: Option<u32>,
    /// Start of the window (RFC 3339 like `2026-11-20T09:00:00Z`, or `2026-11-20`); replaces days_window/offset.
    pub since: Option<String>,
    /// End of the window, exclusive (RFC 3339 or YYYY-MM-DD); default now.
    pub until: Option<String>,
    /// Maximum messages to return (1–1000, default 50).
    pub limit: Option<u32>,
    /// `next_page_token` from a previous call with the same arguments.
    pub page_token: Option<String>,
    /// `newest_first` (default) or `oldest_first`.
    pub order: Option<Order>,
    /// Email of the Google account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    #[default]
    NewestFirst,
    OldestFirst,
}

#[derive(Debug, Serialize)]
pub struct MessagesResult {
    pub space: String,
    pub window: Window,
    pub count: usize,
    pub messages: Vec<MessageView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Window {
    pub since: String,
    pub until: String,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// Google's filter for `[since, until)`. The API offers only `>` and `<`; one nanosecond
/// before `since` makes the start inclusive, so consecutive windows neither overlap nor gap.
pub fn window_filter(since: DateTime<Utc>, until: DateTime<Utc>) -> String {
    format!(
        r#"create_time > "{}" AND create_time < "{}""#,
        rfc3339(since - TimeDelta::nanoseconds(1)),
        rfc3339(until)
    )
}

/// Our page token: Google's token plus the exact window it belongs to. Google rejects a
/// token whose filter changed, and "the last 3 days" moves with the clock, so the window
/// travels with the token.
#[derive(Debug, Serialize, Deserialize)]
struct PageToken {
    google: String,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
}

impl PageToken {
    fn encode(&self) -> String {
        use base64::Engine;
        let json = serde_json::to_vec(self).expect("a page token always serialises");
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    fn decode(token: &str) -> Result<Self, ToolError> {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.trim())
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Self>(&bytes).ok())
            // A hand-made token must not smuggle a year-0 window past `since`'s checks.
            .filter(|t| {
                time_window::check_bound("page_token", t.since).is_ok()
                    && time_window::check_bound("page_token", t.until).is_ok()
            })
            .ok_or_else(|| {
                ToolError::invalid_argument(
                    "invalid argument `page_token`: pass the `next_page_token` of the previous result unchanged",
                )
            })
    }
}

pub async fn list_messages(
    ctx: Arc<Context>,
    args: ListMessagesArgs,
) -> Result<MessagesResult, ToolError> {
    let space = names::space(&args.space)?;
    let continued = args
        .page_token
        .as_deref()
        .filter(|t| !t.is_empty())
        .map(PageToken::decode)
        .transpose()?;
    let (since, until) = match &continued {
        Some(token) => (token.since, token.until),
        None => window(
            Utc::now(),
            args.days_window,
            args.offset,
            args.since.as_deref(),
            args.until.as_deref(),
        )?,
    };
    let limit = args.limit.unwrap_or(50);
    if !(1..=1000).contains(&limit) {
        return Err(ToolError::invalid_argument(
            "invalid argument `limit`: use 1 to 1000",
        ));
    }
    let order = args.order.unwrap_or_default();
    let order_by = match order {
        Order::NewestFirst => "createTime desc",
        Order::OldestFirst => "createTime asc",
    };
    let client = ctx.client(args.account.as_deref())?;
    let page = client
        .list_messages(
            &space,
            Some(&window_filter(since, until)),
            order_by,
            limit,
            continued.as_ref().map(|t| t.google.as_str()),
        )
        .await?;
    let messages = message_views(&ctx, &client, page.messages).await;
    Ok(MessagesResult {
        space,
        window: Window {
            since: rfc3339(since),
            until: rfc3339(until),
        },
        count: messages.len(),
        messages,
        next_page_token: page
            .next_page_token
            .filter(|t| !t.is_empty())
            .map(|google| {
                PageToken {
                    google,
                    since,
                    until,
                }
                .encode()
            }),
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetMessageArgs {
    /// The message's full name: `spaces/AAA/messages/BBB`.
    pub message: String,
    /// Email of the Google account to use when several are signed in.
    pub account: Option<String>,
}

pub async fn get_message(
    ctx: Arc<Context>,
    args: GetMessageArgs,
) -> Result<MessageView, ToolError> {
    let name = names::message(&args.message)?;
    let client = ctx.client(args.account.as_deref())?;
    let message = client.get_message(&name).await?;
    Ok(message_views(&ctx, &client, vec![message])
        .await
        .pop()
        .expect("one message in, one view out"))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMessageArgs {
    /// The space: `spaces/AAA` or just `AAA`.
    pub space: String,
    /// The message text (up to 32,000 bytes).
    pub text: String,
    /// Reply in this thread (`spaces/AAA/threads/CCC`, or the thread id); fails if it does not exist.
    pub thread: Option<String>,
    /// Email of the Google account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SentMessage {
    pub name: String,
    pub space: String,
    pub thread: Option<String>,
    pub create_time: Option<String>,
    pub text: String,
}

pub async fn send_message(
    ctx: Arc<Context>,
    args: SendMessageArgs,
) -> Result<SentMessage, ToolError> {
    let space = names::space(&args.space)?;
    check_text(&args.text)?;
    let thread = args
        .thread
        .as_deref()
        .map(|t| names::thread(&space, t))
        .transpose()?;
    let client = ctx.client(args.account.as_deref())?;
    let message = client
        .post_message(&space, args.text.clone(), thread)
        .await?;
    Ok(SentMessage {
        name: message.name,
        space,
        thread: message.thread.and_then(|t| t.name),
        create_time: message.create_time,
        text: message.text.unwrap_or(args.text),
    })
}

pub fn check_text(text: &str) -> Result<(), ToolError> {
    if text.trim().is_empty() {
        return Err(ToolError::invalid_argument(
            "invalid argument `text`: the message is empty",
        ));
    }
    if text.len() > MAX_TEXT_BYTES {
        return Err(ToolError::invalid_argument(format!(
            "invalid argument `text`: {} bytes is over Google Chat's limit of {MAX_TEXT_BYTES}; shorten it or split it into several messages",
            text.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_exact_and_do_not_overlap() {
        let now = DateTime::parse_from_rfc3339("2026-11-26T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let (a0, b0) = window(now, Some(7), None, None, None).unwrap();
        let (a1, b1) = window(now, Some(7), Some(7), None, None).unwrap();
        assert_eq!(b0 - a0, TimeDelta::days(7));
        assert_eq!(b1, a0);
        assert_eq!(b1 - a1, TimeDelta::days(7));
        assert_eq!(
            window_filter(a0, b0),
            r#"create_time > "2026-11-19T11:59:59.999999999Z" AND create_time < "2026-11-26T12:00:00.000000000Z""#
        );
    }

    #[test]
    fn text_limits() {
        assert!(check_text("  ").is_err());
        assert!(check_text(&"x".repeat(MAX_TEXT_BYTES + 1)).is_err());
        assert!(check_text("hi").is_ok());
    }
}
