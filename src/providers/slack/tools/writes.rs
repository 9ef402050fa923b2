//! Writing: send, reply in a thread, edit, delete, and send several at once.
//!
//! Slack posts a `thread_ts` that names no message as a new top-level message, so every
//! reply first checks that the parent exists (and is a parent, not a reply). Batches are
//! checked whole before the first post and sent one after another; the client paces writes
//! per channel (about one a second), so a batch to one channel takes about a second a message.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::channels::ChannelRef;
use super::super::client::SlackClient;
use super::super::models::Message;
use super::super::ts;
use super::channels::{about, check_channel};
use super::messages::fetch_message;
use super::views::{MessageView, message_views};
use crate::providers::ProviderId;
use crate::providers::slack::Context;
use crate::tools::{Hints, ToolError, ToolSpec};

const P: Option<ProviderId> = Some(ProviderId::Slack);
/// Slack truncates past 40,000 characters; refusing up front changes nothing.
pub(super) const MAX_TEXT_CHARS: usize = 40_000;
const MAX_BATCH: usize = 20;

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![
        ToolSpec::new(
            "slack_send_message",
            "Send a Slack message",
            "Post a message to a Slack conversation as the signed-in person. `channel` is an id (`C…`, `G…`, `D…`) or a \
             name (`#eng`, `eng`; `@Name` for a DM; slack_find_direct_message finds a DM by email). Give `thread_ts` (a \
             parent message's `ts`) to reply in that thread; the call fails rather than post top-level if it names no \
             message. Text is Slack mrkdwn (*bold*, _italic_, `code`, <@U…> mentions). Returns the posted message's `ts`.",
            P,
            Hints::WRITE,
            send_message,
        ),
        ToolSpec::new(
            "slack_reply_to_thread",
            "Reply in a Slack thread",
            "Reply in the thread of `{channel, thread_ts}` (the parent message's `ts`). Fails, posting nothing, if that \
             message does not exist or is itself a reply. `broadcast: true` also shows the reply in the channel.",
            P,
            Hints::WRITE,
            reply_to_thread,
        ),
        ToolSpec::new(
            "slack_update_message",
            "Edit a Slack message",
            "Replace the text of the signed-in person's own message `{channel, ts}` with `text` (Slack mrkdwn). Slack \
             shows it as edited; only your own messages can be edited.",
            P,
            Hints {
                idempotent: true,
                ..Hints::WRITE
            },
            update_message,
        ),
        ToolSpec::new(
            "slack_delete_message",
            "Delete a Slack message",
            "Delete the signed-in person's own message `{channel, ts}` for everyone. This cannot be undone; ask the \
             person first.",
            P,
            Hints {
                destructive: true,
                idempotent: true,
                ..Hints::WRITE
            },
            delete_message,
        ),
        ToolSpec::new(
            "slack_batch_send_messages",
            "Send several Slack messages",
            "Post up to 20 messages, each `{channel, text, thread_ts?}`, in order. Every item is checked before the \
             first is sent (a bad item sends nothing); Slack allows about one message a second per channel, so they are \
             paced. Returns one result per item: `ok` with its `ts`, or the error (later items are still sent).",
            P,
            Hints::WRITE,
            batch_send_messages,
        ),
    ]
}

pub(super) fn check_text(param: &str, text: &str) -> Result<(), ToolError> {
    if text.trim().is_empty() {
        return Err(ToolError::invalid_argument(format!(
            "invalid argument `{param}`: the message is empty; give it some text"
        )));
    }
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(ToolError::invalid_argument(format!(
            "invalid argument `{param}`: {chars} characters is over Slack's limit of {MAX_TEXT_CHARS}; shorten it or split it into several messages"
        )));
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
struct PostAnswer {
    channel: String,
    ts: String,
    #[serde(default)]
    message: Option<Message>,
}

pub(super) async fn resolve(
    ctx: &Context,
    client: &SlackClient,
    channel: &str,
) -> Result<ChannelRef, ToolError> {
    ctx.state
        .channels
        .resolve(client, &ctx.state.users, channel)
        .await
}

/// Fails unless `thread_ts` is a message in `target` that can have replies.
pub(super) async fn check_parent(
    client: &SlackClient,
    target: &ChannelRef,
    thread_ts: &str,
) -> Result<(), ToolError> {
    let parent = fetch_message(client, &target.id, thread_ts)
        .await
        .map_err(about(target))?
        .ok_or_else(|| {
            ToolError::not_found(format!(
                "no message with `thread_ts` `{thread_ts}` in {}: nothing was sent; pass the `ts` of an existing message from slack_list_messages",
                target.label()
            ))
        })?;
    if parent.is_reply() {
        let root = parent.thread_ts.unwrap_or_default();
        return Err(ToolError::invalid_argument(format!(
            "invalid argument `thread_ts`: `{thread_ts}` is a reply in the thread `{root}`; nothing was sent; pass `thread_ts` `{root}` to reply in that thread"
        )));
    }
    Ok(())
}

pub(super) async fn post(
    ctx: &Context,
    client: &SlackClient,
    target: &ChannelRef,
    text: &str,
    thread_ts: Option<&str>,
    broadcast: bool,
) -> Result<MessageView, ToolError> {
    let answer: PostAnswer = client
        .call(
            "chat.postMessage",
            &json!({
                "channel": target.id,
                "text": text,
                "thread_ts": thread_ts,
                "reply_broadcast": broadcast.then_some(true),
            }),
        )
        .await
        .map_err(about(target))?;
    Ok(view_of(ctx, client, answer, text, thread_ts).await)
}

/// The view of what Slack says it posted (or edited), with what we sent where it says less.
async fn view_of(
    ctx: &Context,
    client: &SlackClient,
    answer: PostAnswer,
    text: &str,
    thread_ts: Option<&str>,
) -> MessageView {
    let message = answer.message.unwrap_or_else(|| Message {
        ts: answer.ts.clone(),
        text: Some(text.to_owned()),
        thread_ts: thread_ts.map(str::to_owned),
        user: client.account().record().user_id.clone(),
        ..Message::default()
    });
    let message = Message {
        ts: answer.ts,
        ..message
    };
    message_views(ctx, client, &answer.channel, &[message])
        .await
        .remove(0)
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMessageArgs {
    /// The conversation: an id (`C…`, `G…`, `D…`) or a name (`#eng`, `eng`; `@Name` for a DM).
    pub channel: String,
    /// The message text (Slack mrkdwn, up to 40,000 characters).
    pub text: String,
    /// Reply in the thread of this parent message `ts`; fails if no such message exists.
    pub thread_ts: Option<String>,
    /// The Slack account to use when several are signed in: its email or workspace domain (`acme`).
    pub account: Option<String>,
}

pub async fn send_message(
    ctx: Arc<Context>,
    args: SendMessageArgs,
) -> Result<MessageView, ToolError> {
    check_channel(&args.channel)?;
    check_text("text", &args.text)?;
    let thread_ts = args
        .thread_ts
        .as_deref()
        .map(|t| ts::parse("thread_ts", t))
        .transpose()?;
    let client = ctx.client(args.account.as_deref())?;
    let target = resolve(&ctx, &client, &args.channel).await?;
    if let Some(parent) = &thread_ts {
        check_parent(&client, &target, parent).await?;
    }
    post(
        &ctx,
        &client,
        &target,
        &args.text,
        thread_ts.as_deref(),
        false,
    )
    .await
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyArgs {
    /// The conversation: an id (`C…`, `G…`, `D…`) or a name (`#eng`, `eng`; `@Name` for a DM).
    pub channel: String,
    /// The parent message's `ts` (a message's `thread_ts`).
    pub thread_ts: String,
    /// The reply text (Slack mrkdwn, up to 40,000 characters).
    pub text: String,
    /// Also show the reply in the channel (default false).
    pub broadcast: Option<bool>,
    /// The Slack account to use when several are signed in: its email or workspace domain (`acme`).
    pub account: Option<String>,
}

pub async fn reply_to_thread(ctx: Arc<Context>, args: ReplyArgs) -> Result<MessageView, ToolError> {
    check_channel(&args.channel)?;
    check_text("text", &args.text)?;
    let thread_ts = ts::parse("thread_ts", &args.thread_ts)?;
    let client = ctx.client(args.account.as_deref())?;
    let target = resolve(&ctx, &client, &args.channel).await?;
    check_parent(&client, &target, &thread_ts).await?;
    post(
        &ctx,
        &client,
        &target,
        &args.text,
        Some(&thread_ts),
        args.broadcast.unwrap_or(false),
    )
    .await
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMessageArgs {
    /// The conversation: an id (`C…`, `G…`, `D…`) or a name (`#eng`, `eng`; `@Name` for a DM).
    pub channel: String,
    /// The `ts` of your own message to edit.
    pub ts: String,
    /// The new text (Slack mrkdwn, up to 40,000 characters).
    pub text: String,
    /// The Slack account to use when several are signed in: its email or workspace domain (`acme`).
    pub account: Option<String>,
}

pub async fn update_message(
    ctx: Arc<Context>,
    args: UpdateMessageArgs,
) -> Result<MessageView, ToolError> {
    check_channel(&args.channel)?;
    let ts = ts::parse("ts", &args.ts)?;
    check_text("text", &args.text)?;
    let client = ctx.client(args.account.as_deref())?;
    let target = resolve(&ctx, &client, &args.channel).await?;
    let answer: PostAnswer = client
        .call(
            "chat.update",
            &json!({"channel": target.id, "ts": ts, "text": args.text}),
        )
        .await
        .map_err(about(&target))?;
    let mut view = view_of(&ctx, &client, answer, &args.text, None).await;
    view.edited = true;
    Ok(view)
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteMessageArgs {
    /// The conversation: an id (`C…`, `G…`, `D…`) or a name (`#eng`, `eng`; `@Name` for a DM).
    pub channel: String,
    /// The `ts` of your own message to delete.
    pub ts: String,
    /// The Slack account to use when several are signed in: its email or workspace domain (`acme`).
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Deleted {
    pub deleted: bool,
    pub channel: String,
    pub ts: String,
}

pub async fn delete_message(
    ctx: Arc<Context>,
    args: DeleteMessageArgs,
) -> Result<Deleted, ToolError> {
    check_channel(&args.channel)?;
    let ts = ts::parse("ts", &args.ts)?;
    let client = ctx.client(args.account.as_deref())?;
    let target = resolve(&ctx, &client, &args.channel).await?;
    let _: serde_json::Value = client
        .call("chat.delete", &json!({"channel": target.id, "ts": ts}))
        .await
        .map_err(about(&target))?;
    Ok(Deleted {
        deleted: true,
        channel: target.id,
        ts,
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchItem {
    /// The conversation: an id (`C…`, `G…`, `D…`) or a name (`#eng`, `eng`; `@Name` for a DM).
    pub channel: String,
    /// The message text (Slack mrkdwn, up to 40,000 characters).
    pub text: String,
    /// Reply in the thread of this parent message `ts`; that item fails if no such message exists.
    pub thread_ts: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchArgs {
    /// The messages to send, in order (1–20).
    pub messages: Vec<BatchItem>,
    /// The Slack account to use when several are signed in: its email or workspace domain (`acme`).
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct BatchItemResult {
    pub index: usize,
    pub ok: bool,
    pub channel: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ts: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct BatchResult {
    pub sent: usize,
    pub failed: usize,
    pub results: Vec<BatchItemResult>,
}

pub async fn batch_send_messages(
    ctx: Arc<Context>,
    args: BatchArgs,
) -> Result<BatchResult, ToolError> {
    if args.messages.is_empty() || args.messages.len() > MAX_BATCH {
        return Err(ToolError::invalid_argument(format!(
            "invalid argument `messages`: give 1 to {MAX_BATCH} messages (got {}); split a longer list into several calls",
            args.messages.len()
        )));
    }
    let mut items = Vec::with_capacity(args.messages.len());
    for (i, item) in args.messages.iter().enumerate() {
        let at = |e: ToolError| {
            ToolError::new(
                e.kind,
                format!("messages[{i}]: {}; nothing was sent", e.message),
            )
        };
        check_channel(&item.channel).map_err(at)?;
        check_text("text", &item.text).map_err(at)?;
        let thread_ts = item
            .thread_ts
            .as_deref()
            .map(|t| ts::parse("thread_ts", t))
            .transpose()
            .map_err(at)?;
        items.push((item, thread_ts));
    }
    let client = ctx.client(args.account.as_deref())?;
    let mut targets = Vec::with_capacity(items.len());
    for (i, (item, _)) in items.iter().enumerate() {
        let target = resolve(&ctx, &client, &item.channel).await.map_err(|e| {
            ToolError::new(
                e.kind,
                format!("messages[{i}]: {}; nothing was sent", e.message),
            )
        })?;
        targets.push(target);
    }
    let mut results = Vec::with_capacity(items.len());
    for (index, ((item, thread_ts), target)) in items.into_iter().zip(targets).enumerate() {
        let outcome = async {
            if let Some(parent) = &thread_ts {
                check_parent(&client, &target, parent).await?;
            }
            post(
                &ctx,
                &client,
                &target,
                &item.text,
                thread_ts.as_deref(),
                false,
            )
            .await
        }
        .await;
        results.push(match outcome {
            Ok(view) => BatchItemResult {
                index,
                ok: true,
                channel: target.id,
                ts: Some(view.ts),
                error: None,
            },
            Err(e) => BatchItemResult {
                index,
                ok: false,
                channel: target.id,
                ts: None,
                error: Some(e.message),
            },
        });
    }
    let sent = results.iter().filter(|r| r.ok).count();
    Ok(BatchResult {
        sent,
        failed: results.len() - sent,
        results,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_checked() {
        assert!(
            check_text("text", " \n")
                .unwrap_err()
                .message
                .contains("`text`")
        );
        assert!(check_text("text", &"é".repeat(MAX_TEXT_CHARS + 1)).is_err());
        assert!(check_text("text", &"é".repeat(MAX_TEXT_CHARS)).is_ok());
    }
}
