//! Sending many messages in one call, each succeeding or failing on its own.
//!
//! Every item is validated before anything is sent (bad input changes nothing). Items are
//! grouped by space: a space's messages go out one after another in the order given (so a
//! conversation reads right), while up to `SPACE_CONCURRENCY` spaces are served at once.
//! Google's pace of one write per second per space is kept by `ChatClient::call`; grouping
//! means a long queue for one space never holds a slot another space could use.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::StreamExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::client::ChatClient;
use super::super::names;
use super::messages::check_text;
use crate::providers::google_chat::Context;
use crate::tools::{Hints, ToolError, ToolSpec};

use super::GOOGLE_CHAT as P;

/// Most items one call may send.
pub const MAX_ITEMS: usize = 50;
/// Spaces written to at the same time.
const SPACE_CONCURRENCY: usize = 4;

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![ToolSpec::new(
        "google_chat_batch_send_messages",
        "Send several messages",
        "Post up to 50 Google Chat messages in one call, as the signed-in person: each item is `{space, text, thread?}` \
         (`thread` replies in that existing thread and fails that item if it does not exist). All items are checked first; \
         one bad item rejects the whole call and nothing is sent. Then each item succeeds or fails on its own: the result \
         lists every item with `ok` and the new message name or the error. Messages to one space are posted in the given \
         order at Google's pace of one per second per space; different spaces go in parallel. Each item posts exactly once, \
         even if retried. For a single message use google_chat_send_message.",
        P,
        Hints::WRITE,
        batch_send,
    )]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchSendArgs {
    /// The messages to send (1–50), each `{space, text, thread?}`.
    pub messages: Vec<BatchItem>,
    /// Email of the Google account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchItem {
    /// The space: `spaces/AAA` or just `AAA`.
    pub space: String,
    /// The message text (up to 32,000 bytes).
    pub text: String,
    /// Reply in this existing thread (`spaces/AAA/threads/CCC` or the thread id); default: a new thread.
    pub thread: Option<String>,
}

/// One item after validation.
#[derive(Debug)]
struct Planned {
    index: usize,
    space: String,
    text: String,
    thread: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ItemResult {
    /// Position in the request, from 0.
    pub index: usize,
    pub space: String,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ToolError>,
}

#[derive(Debug, Serialize)]
pub struct BatchResult {
    pub sent: usize,
    pub failed: usize,
    /// One entry per requested message, in request order.
    pub results: Vec<ItemResult>,
}

/// Checks every item, naming the first bad one by its position.
fn plan(items: Vec<BatchItem>) -> Result<Vec<Planned>, ToolError> {
    if items.is_empty() || items.len() > MAX_ITEMS {
        return Err(ToolError::invalid_argument(format!(
            "invalid argument `messages`: give 1 to {MAX_ITEMS} messages (got {}); split a longer list into several calls",
            items.len()
        )));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            let at = |e: ToolError| {
                ToolError::invalid_argument(format!(
                    "invalid argument in `messages[{index}]`: {}; nothing was sent",
                    e.message
                        .strip_prefix("invalid argument ")
                        .unwrap_or(&e.message)
                ))
            };
            let space = names::space(&item.space).map_err(at)?;
            check_text(&item.text).map_err(at)?;
            let thread = item
                .thread
                .as_deref()
                .map(|t| names::thread(&space, t))
                .transpose()
                .map_err(at)?;
            Ok(Planned {
                index,
                space,
                text: item.text,
                thread,
            })
        })
        .collect()
}

pub async fn batch_send(ctx: Arc<Context>, args: BatchSendArgs) -> Result<BatchResult, ToolError> {
    let planned = plan(args.messages)?;
    let total = planned.len();
    let client = ctx.client(args.account.as_deref())?;
    let mut by_space: BTreeMap<String, Vec<Planned>> = BTreeMap::new();
    for item in planned {
        by_space.entry(item.space.clone()).or_default().push(item);
    }
    let mut results: Vec<ItemResult> = futures::stream::iter(by_space.into_values())
        .map(|queue| {
            let client = client.clone();
            async move {
                let mut done = Vec::with_capacity(queue.len());
                for item in queue {
                    done.push(send_one(&client, item).await);
                }
                done
            }
        })
        .buffer_unordered(SPACE_CONCURRENCY)
        .flat_map(futures::stream::iter)
        .collect()
        .await;
    results.sort_by_key(|r| r.index);
    debug_assert_eq!(results.len(), total);
    let sent = results.iter().filter(|r| r.ok).count();
    Ok(BatchResult {
        sent,
        failed: total - sent,
        results,
    })
}

async fn send_one(client: &ChatClient, item: Planned) -> ItemResult {
    match client
        .post_message(&item.space, item.text, item.thread.clone())
        .await
    {
        Ok(message) => ItemResult {
            index: item.index,
            space: item.space,
            ok: true,
            name: Some(message.name),
            thread: message.thread.and_then(|t| t.name),
            create_time: message.create_time,
            error: None,
        },
        Err(error) => ItemResult {
            index: item.index,
            space: item.space,
            ok: false,
            name: None,
            thread: item.thread,
            create_time: None,
            error: Some(error),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(space: &str, text: &str, thread: Option<&str>) -> BatchItem {
        BatchItem {
            space: space.into(),
            text: text.into(),
            thread: thread.map(Into::into),
        }
    }

    #[test]
    fn every_item_is_checked_and_the_bad_one_named() {
        assert!(plan(vec![]).is_err());
        let many = (0..=MAX_ITEMS).map(|_| item("A", "x", None)).collect();
        assert!(plan(many).unwrap_err().message.contains("1 to 50"));
        let e = plan(vec![item("A", "ok", None), item("B", " ", None)]).unwrap_err();
        assert!(e.message.contains("`messages[1]`"), "{}", e.message);
        let e = plan(vec![item("A", "ok", Some("spaces/B/threads/T"))]).unwrap_err();
        assert!(e.message.contains("`messages[0]`"), "{}", e.message);
        let p = plan(vec![item("A", "ok", Some("T"))]).unwrap();
        assert_eq!(p[0].thread.as_deref(), Some("spaces/A/threads/T"));
    }
}
