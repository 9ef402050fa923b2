//! A conversation laid out for an assistant to summarise (`slack_summarize_conversation`):
//! the window's messages in order with thread replies, who posted, and which threads ran.

use std::collections::HashMap;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::ts;
use super::channels::check_channel;
use super::views::{ChannelView, MessageView, message_views};
use super::window::{Participant, channel_view, count_posters, window_messages};
use crate::providers::ProviderId;
use crate::providers::slack::Context;
use crate::time_window::last_days;
use crate::tools::{Hints, ToolError, ToolSpec};

const P: Option<ProviderId> = Some(ProviderId::Slack);

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![ToolSpec::new(
        "slack_summarize_conversation",
        "Read a Slack conversation to summarise it",
        "Everything needed to summarise one Slack conversation over the last `days_window` days (default 7, max \
             365): the conversation, the participants (names and message counts), the threads with replies, and the \
             messages in chronological order (thread replies included) with sender names and readable text. \
             `channel` is an id (`C…`, `G…`, `D…`) or a name (`#eng`). At most `limit` messages (1–1000, default 200), \
             the newest kept; `truncated` says whether older ones were left out. For one page of raw messages use \
             slack_list_messages instead.",
        P,
        Hints::READ,
        summarize_conversation,
    )]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SummarizeArgs {
    /// The conversation: an id (`C…`, `G…`, `D…`) or a name (`#eng` or `eng`).
    pub channel: String,
    /// Length of the window in days, ending now (1–365, default 7).
    pub days_window: Option<u32>,
    /// Most messages to include, the newest kept (1–1000, default 200).
    pub limit: Option<u32>,
    /// Email or workspace domain (`acme`) of the Slack account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ThreadSummary {
    pub thread_ts: String,
    /// The parent and the replies in the window.
    pub messages: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_message_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_message_time: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ConversationSummary {
    pub channel: ChannelView,
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
) -> Result<ConversationSummary, ToolError> {
    check_channel(&args.channel)?;
    let (since, _) = last_days(args.days_window, 7, 365)?;
    let limit = args.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(ToolError::invalid_argument(
            "invalid argument `limit`: use 1 to 1000",
        ));
    }
    let until = chrono::Utc::now();
    let client = ctx.client(args.account.as_deref())?;
    let channel = ctx
        .state
        .channels
        .resolve(&client, &ctx.state.users, &args.channel)
        .await?;
    let view = channel_view(&ctx, &client, &channel).await?;
    // One more than asked, to know whether the window held more.
    let (mut messages, cut) = window_messages(
        &client,
        &channel.id,
        &ts::from_time(since),
        limit as usize + 1,
    )
    .await?;
    let truncated = cut || messages.len() > limit as usize;
    messages.truncate(limit as usize);
    messages.reverse();
    let people = ctx
        .state
        .users
        .resolve(&client, messages.iter().filter_map(|m| m.user.as_deref()))
        .await;
    let participants = count_posters(&messages, &people);
    let mut threads: Vec<ThreadSummary> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let time =
        |t: &str| ts::to_time(t).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    for m in &messages {
        let Some(thread) = m.thread_ts.as_deref() else {
            continue;
        };
        let i = *index.entry(thread.to_owned()).or_insert_with(|| {
            threads.push(ThreadSummary {
                thread_ts: thread.to_owned(),
                messages: 0,
                first_message_time: time(&m.ts),
                last_message_time: None,
            });
            threads.len() - 1
        });
        threads[i].messages += 1;
        threads[i].last_message_time = time(&m.ts);
    }
    threads.retain(|t| t.messages > 1);
    let views = message_views(&ctx, &client, &channel.id, &messages).await;
    let rfc =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Ok(ConversationSummary {
        channel: view,
        since: rfc(since),
        until: rfc(until),
        message_count: views.len(),
        truncated,
        participants,
        threads,
        messages: views,
    })
}
