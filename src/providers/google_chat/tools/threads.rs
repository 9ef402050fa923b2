//! Threads: read a whole thread in order, and reply in one without ever starting a new one.
//!
//! Assistants often hold a message rather than its thread, so both tools accept either a
//! thread name or the name of any message in the thread; the message is fetched once to learn
//! its thread. Replies use `REPLY_MESSAGE_OR_FAIL`: Google's default silently starts a new
//! thread when the named one is gone, which would post the reply out of context.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::client::ChatClient;
use super::super::models::Message;
use super::super::names;
use super::super::not_found::{Kind, Resource};
use super::messages::{SentMessage, check_text};
use super::views::{MessageView, message_views};
use crate::providers::google_chat::Context;
use crate::tools::{Hints, ToolError, ToolSpec};

use super::GOOGLE_CHAT as P;

/// Google's largest page of messages.
const MAX_PAGE: u32 = 1000;

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![
        ToolSpec::new(
            "google_chat_get_thread",
            "Read a whole thread",
            "Read every message of one Google Chat thread, oldest first, with each sender's display name. \
             Give `thread` (`spaces/AAA/threads/CCC`, the `thread` value of a listed message) or `message` \
             (the full name of any message in the thread), not both. Returns at most `limit` messages \
             (default 200, max 1000); `has_more` says whether the thread is longer. \
             Use google_chat_list_messages to read a space by time window instead.",
            P,
            Hints::READ,
            get_thread,
        ),
        ToolSpec::new(
            "google_chat_reply_to_thread",
            "Reply in a thread",
            "Post a reply in an existing Google Chat thread as the signed-in person. `thread` is a thread name \
             (`spaces/AAA/threads/CCC`), a bare thread id together with `space`, or the full name of any message \
             in the thread (`spaces/AAA/messages/BBB`). Fails with not found, posting nothing, if the thread does \
             not exist: it never starts a new thread (use google_chat_send_message for that). \
             Each call posts exactly once, even if retried.",
            P,
            Hints::WRITE,
            reply_to_thread,
        ),
    ]
}

/// A thread as the assistant named it, checked but not yet looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ThreadRef {
    /// `(space, spaces/A/threads/T)`
    Thread(String, String),
    /// `spaces/A/messages/M`: its thread is whatever Google says.
    Message(String),
}

impl ThreadRef {
    /// Parses `input` (parameter `param`): a thread name, a message name, or a bare thread id
    /// completed with `space`. A `space` that disagrees with the name is refused.
    pub(crate) fn parse(param: &str, input: &str, space: Option<&str>) -> Result<Self, ToolError> {
        let input = input.trim();
        let space = space.map(names::space).transpose()?;
        let parts: Vec<&str> = input.split('/').collect();
        let named_space = match parts.as_slice() {
            ["spaces", s, ..] => Some(names::space(s).map_err(|_| not_a_thread(param, input))?),
            _ => None,
        };
        if let (Some(given), Some(named)) = (&space, &named_space)
            && given != named
        {
            return Err(ToolError::invalid_argument(format!(
                "invalid argument `{param}`: `{input}` is in `{named}`, not in `space` `{given}`; drop `space` or make them agree"
            )));
        }
        match (parts.as_slice(), named_space.or(space)) {
            (["spaces", _, "messages", _], _) => Ok(Self::Message(
                names::message(input).map_err(|_| not_a_thread(param, input))?,
            )),
            (["spaces", _, "threads", _] | [_], Some(space)) => {
                let thread =
                    names::thread(&space, input).map_err(|_| not_a_thread(param, input))?;
                Ok(Self::Thread(space, thread))
            }
            ([_], None) => Err(ToolError::invalid_argument(format!(
                "invalid argument `{param}`: `{input}` is a bare thread id; give the full `spaces/…/threads/…` name or also pass `space`"
            ))),
            _ => Err(not_a_thread(param, input)),
        }
    }

    /// `(space, thread name)`, fetching the message when the reference is one.
    pub(crate) async fn resolve(self, client: &ChatClient) -> Result<(String, String), ToolError> {
        match self {
            Self::Thread(space, thread) => Ok((space, thread)),
            Self::Message(message) => {
                let found = client.get_message(&message).await?;
                let space = message.split('/').take(2).collect::<Vec<_>>().join("/");
                let thread = found.thread.and_then(|t| t.name).ok_or_else(|| {
                    ToolError::internal(format!(
                        "Google returned `{message}` without its thread; pass the thread name instead"
                    ))
                })?;
                Ok((space, thread))
            }
        }
    }
}

fn not_a_thread(param: &str, input: &str) -> ToolError {
    ToolError::invalid_argument(format!(
        "invalid argument `{param}`: `{input}` is neither a thread (`spaces/…/threads/…`) nor a message (`spaces/…/messages/…`); use a `thread` or `name` value from google_chat_list_messages"
    ))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetThreadArgs {
    /// The thread: `spaces/AAA/threads/CCC` (the `thread` value of a listed message). Give this or `message`.
    pub thread: Option<String>,
    /// The full name of any message in the thread (`spaces/AAA/messages/BBB`). Give this or `thread`.
    pub message: Option<String>,
    /// Maximum messages to return (1–1000, default 200), oldest first.
    pub limit: Option<u32>,
    /// Email of the Google account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ThreadResult {
    pub thread: String,
    pub space: String,
    pub count: usize,
    /// More messages exist after the last one returned (raise `limit` to read them).
    pub has_more: bool,
    pub messages: Vec<MessageView>,
}

pub async fn get_thread(ctx: Arc<Context>, args: GetThreadArgs) -> Result<ThreadResult, ToolError> {
    let reference = match (args.thread.as_deref(), args.message.as_deref()) {
        (Some(thread), None) => ThreadRef::parse("thread", thread, None)?,
        (None, Some(message)) => ThreadRef::Message(names::message(message)?),
        _ => {
            return Err(ToolError::invalid_argument(
                "invalid arguments: give exactly one of `thread` or `message`",
            ));
        }
    };
    let limit = args.limit.unwrap_or(200);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ToolError::invalid_argument(
            "invalid argument `limit`: use 1 to 1000",
        ));
    }
    let client = ctx.client(args.account.as_deref())?;
    let (space, thread) = reference.resolve(&client).await?;
    // Google documents the thread filter with a bare (unquoted) resource name.
    let filter = format!("thread.name = {thread}");
    let mut collected: Vec<Message> = Vec::new();
    let mut page_token: Option<String> = None;
    let has_more = loop {
        let want = limit - collected.len() as u32;
        let page = client
            .list_messages(
                &space,
                Some(&filter),
                "createTime asc",
                want,
                page_token.as_deref(),
            )
            .await?;
        collected.extend(page.messages);
        let next = page.next_page_token.filter(|t| !t.is_empty());
        if collected.len() as u32 >= limit {
            collected.truncate(limit as usize);
            break next.is_some();
        }
        match next {
            Some(token) => page_token = Some(token),
            None => break false,
        }
    };
    if collected.is_empty() {
        return Err(Resource::new(Kind::Thread, thread).not_found_because(
            "it has no messages (it does not exist or all of it was deleted); find threads with google_chat_list_messages",
        ));
    }
    let messages = message_views(&ctx, &client, collected).await;
    Ok(ThreadResult {
        thread,
        space,
        count: messages.len(),
        has_more,
        messages,
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyArgs {
    /// The space (`spaces/AAA` or `AAA`); needed only when `thread` is a bare thread id.
    pub space: Option<String>,
    /// The thread to reply in: `spaces/AAA/threads/CCC`, a bare thread id with `space`, or the full name of any message in the thread.
    pub thread: String,
    /// The reply text (up to 32,000 bytes; Google Chat formatting like *bold* works).
    pub text: String,
    /// Email of the Google account to use when several are signed in.
    pub account: Option<String>,
}

pub async fn reply_to_thread(ctx: Arc<Context>, args: ReplyArgs) -> Result<SentMessage, ToolError> {
    let reference = ThreadRef::parse("thread", &args.thread, args.space.as_deref())?;
    check_text(&args.text)?;
    let client = ctx.client(args.account.as_deref())?;
    let (space, thread) = reference.resolve(&client).await?;
    let message = client
        .post_message(&space, args.text.clone(), Some(thread.clone()))
        .await?;
    Ok(SentMessage {
        name: message.name,
        space,
        thread: message.thread.and_then(|t| t.name),
        create_time: message.create_time,
        text: message.text.unwrap_or(args.text),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_references() {
        let t = |input: &str, space: Option<&str>| ThreadRef::parse("thread", input, space);
        assert_eq!(
            t("spaces/A/threads/T", None).unwrap(),
            ThreadRef::Thread("spaces/A".into(), "spaces/A/threads/T".into())
        );
        assert_eq!(
            t("T", Some("A")).unwrap(),
            ThreadRef::Thread("spaces/A".into(), "spaces/A/threads/T".into())
        );
        assert_eq!(
            t("spaces/A/messages/M.T", Some("spaces/A")).unwrap(),
            ThreadRef::Message("spaces/A/messages/M.T".into())
        );
        assert!(t("T", None).unwrap_err().message.contains("bare thread id"));
        assert!(t("spaces/A/threads/T", Some("B")).is_err());
        for bad in [
            "spaces/../threads/T",
            "spaces/A/threads/..",
            "a/b",
            "",
            "spaces/A",
        ] {
            let e = t(bad, Some("A")).unwrap_err();
            assert!(e.message.contains("`thread`"), "{bad}: {}", e.message);
        }
    }
}
