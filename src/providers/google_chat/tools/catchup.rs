//! Catching up: what is unread (measured from Chat's per-space read state), marking a space
//! read, and a whole conversation window laid out for the assistant to summarise.
//!
//! Unread is "messages after `spaceReadState.lastReadTime`", not a client-side guess, so it
//! matches what the Chat app shows; the person's own messages never count as unread.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Utc;
use futures::stream::{self, StreamExt};
use reqwest::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::client::ChatClient;
use super::super::models::{Message, Space};
use super::super::models_readstate::SpaceReadState;
use super::super::names;
use super::fanout::{
    CONCURRENT_SPACES, PER_SPACE_CAP, SkippedSpace, fetch_space, resolve_spaces, rfc3339,
    space_label, space_names,
};
use super::messages::window_filter;
use super::views::{MessageView, SpaceView, message_views};
use crate::providers::google_chat::Context;
use crate::time_window::{parse_bound, window};
use crate::tools::{Hints, ToolError, ToolErrorKind, ToolSpec};

use super::GOOGLE_CHAT as P;

const READSTATE_SCOPE: &str = "chat.users.readstate";

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![
        ToolSpec::new(
            "google_chat_get_unread",
            "Get unread messages",
            "What the signed-in person has not read yet: for every space they are in (or only `spaces`), the messages after \
             their read position in Google Chat, with sender names. Spaces with unread messages come with `unread_count` and the \
             newest `limit_per_space` messages (default 10, max 100) in chronological order; spaces with nothing unread are \
             listed by name only in `up_to_date`. Use google_chat_mark_read afterwards if the person wants them marked read.",
            P,
            Hints::READ,
            get_unread,
        ),
        ToolSpec::new(
            "google_chat_mark_read",
            "Mark a space as read",
            "Mark the messages of one Google Chat space as read for the signed-in person, up to `until` (RFC 3339 or YYYY-MM-DD; \
             default now = everything). Changes only the person's own read position, not the messages.",
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
            "google_chat_summarize_conversation",
            "Read a conversation to summarise it",
            "Everything needed to summarise one Google Chat space over a window: the space, the participants (names and message \
             counts), the threads with more than one message, and the messages in chronological order with sender names and \
             thread. The window is the last `days_window` days (default 7), or `since`/`until` (RFC 3339 or YYYY-MM-DD). At most \
             `limit` messages (default 200, max 1000), the newest kept; `truncated` says whether older ones were left out. \
             For one page of raw messages use google_chat_list_messages instead.",
            P,
            Hints::READ,
            summarize_conversation,
        ),
    ]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnreadArgs {
    /// Spaces to check (`spaces/AAA` or `AAA`); default: every space the person is in.
    pub spaces: Option<Vec<String>>,
    /// Most unread messages shown per space, the newest (1–100, default 10); counts are always complete up to 2,000.
    pub limit_per_space: Option<u32>,
    /// Email of the Google account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct UnreadSpace {
    pub space: String,
    pub space_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_read_time: Option<String>,
    pub unread_count: usize,
    /// True when the space had more than 2,000 unread messages and the count stopped there.
    pub capped: bool,
    pub messages: Vec<MessageView>,
}

#[derive(Debug, Serialize)]
pub struct UnreadResult {
    pub total_unread: usize,
    pub spaces_with_unread: usize,
    pub unread: Vec<UnreadSpace>,
    pub up_to_date: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped_spaces: Vec<SkippedSpace>,
}

fn space_id(name: &str) -> &str {
    name.strip_prefix("spaces/").unwrap_or(name)
}

/// One space's read position and the others' messages after it (newest first).
async fn unread_in(
    client: &ChatClient,
    space: &str,
    me: Option<&str>,
) -> Result<(Option<String>, Vec<Message>, bool), ToolError> {
    let url = client.endpoints().space_read_state(space_id(space));
    let state: SpaceReadState = client.get(url, &[]).await?;
    let last_read = state.last_read_time.filter(|t| !t.is_empty());
    // Never read: everything counts, from the start of Chat time.
    let after = last_read.as_deref().unwrap_or("1970-01-01T00:00:00Z");
    let filter = format!(r#"create_time > "{after}""#);
    let (mut messages, capped) = fetch_space(client, space, &filter, PER_SPACE_CAP).await?;
    messages.retain(|m| me.is_none_or(|me| m.sender.as_ref().is_none_or(|s| s.name != me)));
    Ok((last_read, messages, capped))
}

pub async fn get_unread(ctx: Arc<Context>, args: UnreadArgs) -> Result<UnreadResult, ToolError> {
    let wanted = space_names(args.spaces.as_deref())?;
    let per_space = args.limit_per_space.unwrap_or(10);
    if !(1..=100).contains(&per_space) {
        return Err(ToolError::invalid_argument(
            "invalid argument `limit_per_space`: use 1 to 100",
        ));
    }
    let client = ctx.client(args.account.as_deref())?;
    client.require_scope(READSTATE_SCOPE)?;
    let me = client.account().record().user_id.clone();
    let spaces = resolve_spaces(&client, wanted).await?;
    let results: Vec<(Space, Result<_, ToolError>)> = stream::iter(spaces)
        .map(|space| {
            let (client, me) = (&client, me.as_deref());
            async move {
                let r = unread_in(client, &space.name, me).await;
                (space, r)
            }
        })
        .buffered(CONCURRENT_SPACES)
        .collect()
        .await;

    let mut with_unread = Vec::new();
    let mut up_to_date = Vec::new();
    let mut skipped = Vec::new();
    for (space, result) in results {
        match result {
            Ok((_, messages, _)) if messages.is_empty() => up_to_date.push(space_label(&space)),
            Ok((last_read, messages, capped)) => {
                with_unread.push((space, last_read, messages, capped))
            }
            Err(e) if e.kind != ToolErrorKind::NotFound => return Err(e),
            Err(e) => skipped.push(SkippedSpace {
                space: space_label(&space),
                reason: e.message,
            }),
        }
    }
    // One batched name lookup for every message shown, then split back per space.
    let mut shown: Vec<Message> = Vec::new();
    let mut shown_counts = Vec::new();
    for (_, _, messages, _) in &with_unread {
        let newest: Vec<Message> = messages.iter().take(per_space as usize).cloned().collect();
        shown_counts.push(newest.len());
        shown.extend(newest.into_iter().rev());
    }
    let mut views = message_views(&ctx, &client, shown).await.into_iter();
    let unread: Vec<UnreadSpace> = with_unread
        .into_iter()
        .zip(shown_counts)
        .map(|((space, last_read, messages, capped), n)| UnreadSpace {
            space_name: space_label(&space),
            space: space.name,
            last_read_time: last_read,
            unread_count: messages.len(),
            capped,
            messages: views.by_ref().take(n).collect(),
        })
        .collect();
    Ok(UnreadResult {
        total_unread: unread.iter().map(|u| u.unread_count).sum(),
        spaces_with_unread: unread.len(),
        unread,
        up_to_date,
        skipped_spaces: skipped,
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkReadArgs {
    /// The space: `spaces/AAA` or just `AAA`.
    pub space: String,
    /// Mark messages up to this time as read (RFC 3339 like `2026-11-20T09:00:00Z`, or `2026-11-20`); default now.
    pub until: Option<String>,
    /// Email of the Google account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MarkReadResult {
    pub space: String,
    /// The read position Google now holds (it never moves past the newest message).
    pub last_read_time: Option<String>,
}

pub async fn mark_read(ctx: Arc<Context>, args: MarkReadArgs) -> Result<MarkReadResult, ToolError> {
    let space = names::space(&args.space)?;
    let until = match args.until.as_deref() {
        Some(u) => parse_bound("until", u)?,
        None => Utc::now(),
    };
    let client = ctx.client(args.account.as_deref())?;
    client.require_scope(READSTATE_SCOPE)?;
    let body =
        json!({ "lastReadTime": until.to_rfc3339_opts(chrono::SecondsFormat::Micros, true) });
    let state: SpaceReadState = client
        .call(
            Method::PATCH,
            client.endpoints().space_read_state(space_id(&space)),
            &[("updateMask", "lastReadTime".to_owned())],
            Some(&body),
            true,
        )
        .await?;
    Ok(MarkReadResult {
        space,
        last_read_time: state.last_read_time,
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SummarizeArgs {
    /// The space: `spaces/AAA` or just `AAA`.
    pub space: String,
    /// Length of the window in days, ending now (1–365, default 7).
    pub days_window: Option<u32>,
    /// Start of the window (RFC 3339 or YYYY-MM-DD); replaces days_window.
    pub since: Option<String>,
    /// End of the window, exclusive (RFC 3339 or YYYY-MM-DD); default now.
    pub until: Option<String>,
    /// Most messages to include, the newest kept (1–1000, default 200).
    pub limit: Option<u32>,
    /// Email of the Google account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Participant {
    pub user: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    pub messages: usize,
}

#[derive(Debug, Serialize)]
pub struct ThreadSummary {
    pub thread: String,
    pub messages: usize,
    pub first_message_time: Option<String>,
    pub last_message_time: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Conversation {
    pub space: SpaceView,
    pub since: String,
    pub until: String,
    pub message_count: usize,
    /// True when the window held more than `limit` messages and the oldest were left out.
    pub truncated: bool,
    pub participants: Vec<Participant>,
    pub threads: Vec<ThreadSummary>,
    pub messages: Vec<MessageView>,
}

pub async fn summarize_conversation(
    ctx: Arc<Context>,
    args: SummarizeArgs,
) -> Result<Conversation, ToolError> {
    let space = names::space(&args.space)?;
    let by_dates = args.since.is_some() || args.until.is_some();
    let days = if by_dates {
        args.days_window
    } else {
        Some(args.days_window.unwrap_or(7))
    };
    let (since, until) = window(
        Utc::now(),
        days,
        None,
        args.since.as_deref(),
        args.until.as_deref(),
    )?;
    let limit = args.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(ToolError::invalid_argument(
            "invalid argument `limit`: use 1 to 1000",
        ));
    }
    let client = ctx.client(args.account.as_deref())?;
    let info = client.get_space(&space).await?;
    // One more than asked, to know whether the window held more.
    let filter = window_filter(since, until);
    let (mut messages, _) = fetch_space(&client, &space, &filter, limit as usize + 1).await?;
    let truncated = messages.len() > limit as usize;
    messages.truncate(limit as usize);
    messages.reverse();
    let views = message_views(&ctx, &client, messages).await;

    let mut participants: Vec<Participant> = Vec::new();
    let mut threads: Vec<ThreadSummary> = Vec::new();
    let mut thread_index: HashMap<&str, usize> = HashMap::new();
    for v in &views {
        match participants.iter_mut().find(|p| p.user == v.sender.user) {
            Some(p) => p.messages += 1,
            None => participants.push(Participant {
                user: v.sender.user.clone(),
                display_name: v.sender.display_name.clone(),
                messages: 1,
            }),
        }
        if let Some(thread) = v.thread.as_deref() {
            let i = *thread_index.entry(thread).or_insert_with(|| {
                threads.push(ThreadSummary {
                    thread: thread.to_owned(),
                    messages: 0,
                    first_message_time: v.create_time.clone(),
                    last_message_time: None,
                });
                threads.len() - 1
            });
            threads[i].messages += 1;
            threads[i].last_message_time = v.create_time.clone();
        }
    }
    participants.sort_by(|a, b| b.messages.cmp(&a.messages).then(a.user.cmp(&b.user)));
    threads.retain(|t| t.messages > 1);
    Ok(Conversation {
        space: SpaceView::from(info),
        since: rfc3339(since),
        until: rfc3339(until),
        message_count: views.len(),
        truncated,
        participants,
        threads,
        messages: views,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_ids() {
        assert_eq!(space_id("spaces/AB"), "AB");
    }
}
