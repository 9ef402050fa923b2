//! Reactions on a message `{channel, ts}`: add, list, remove. `emoji` is Slack's name
//! (`tada`, `:tada:`) or the character (🎉), mapped to the name Slack stores through
//! `emoji::to_slack_name`, so a bad emoji is refused before any request.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::models::Message;
use super::super::{emoji, ts};
use super::channels::{about, check_channel};
use super::views::{ReactionView, message_views};
use crate::providers::ProviderId;
use crate::providers::slack::Context;
use crate::tools::{Hints, ToolError, ToolSpec};

const P: Option<ProviderId> = Some(ProviderId::Slack);

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![
        ToolSpec::new(
            "slack_add_reaction",
            "React to a Slack message",
            "Add an emoji reaction from the signed-in person to the message `{channel, ts}`. `emoji` is a Slack name \
             (`tada`, `:white_check_mark:`, a custom emoji's name) or a standard emoji character (🎉, 👍).",
            P,
            Hints::WRITE,
            add_reaction,
        ),
        ToolSpec::new(
            "slack_list_reactions",
            "List reactions on a Slack message",
            "List the reactions on the message `{channel, ts}`: each emoji's Slack name, the character, the count and \
             who reacted (by name).",
            P,
            Hints::READ,
            list_reactions,
        ),
        ToolSpec::new(
            "slack_remove_reaction",
            "Remove your reaction from a Slack message",
            "Remove the signed-in person's reaction `emoji` (name or character, as for slack_add_reaction) from the \
             message `{channel, ts}`.",
            P,
            Hints {
                destructive: true,
                ..Hints::WRITE
            },
            remove_reaction,
        ),
    ]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReactionArgs {
    /// The conversation: an id (`C…`, `G…`, `D…`) or a name (`#eng`, `eng`; `@Name` for a DM).
    pub channel: String,
    /// The message's `ts`, like `1700000000.000100`.
    pub ts: String,
    /// The emoji: a Slack name (`tada`, `:tada:`, `+1`) or the character (🎉, 👍).
    pub emoji: String,
    /// The Slack account to use when several are signed in: its email or workspace domain (`acme`).
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ReactionChange {
    pub channel: String,
    pub ts: String,
    /// Slack's name of the emoji.
    pub emoji: String,
    pub shown: String,
    /// `added` or `removed`.
    pub status: &'static str,
}

async fn change(
    ctx: Arc<Context>,
    args: ReactionArgs,
    method: &'static str,
    status: &'static str,
) -> Result<ReactionChange, ToolError> {
    check_channel(&args.channel)?;
    let ts = ts::parse("ts", &args.ts)?;
    let name = emoji::to_slack_name(&args.emoji)
        .map_err(|e| ToolError::invalid_argument(format!("invalid argument {e}")))?;
    let client = ctx.client(args.account.as_deref())?;
    let target = ctx
        .state
        .channels
        .resolve(&client, &ctx.state.users, &args.channel)
        .await?;
    let _: serde_json::Value = client
        .call(
            method,
            &json!({"channel": target.id, "timestamp": ts, "name": name}),
        )
        .await
        .map_err(about(&target))?;
    Ok(ReactionChange {
        channel: target.id,
        ts,
        shown: emoji::display(&name),
        emoji: name,
        status,
    })
}

pub async fn add_reaction(
    ctx: Arc<Context>,
    args: ReactionArgs,
) -> Result<ReactionChange, ToolError> {
    change(ctx, args, "reactions.add", "added").await
}

pub async fn remove_reaction(
    ctx: Arc<Context>,
    args: ReactionArgs,
) -> Result<ReactionChange, ToolError> {
    change(ctx, args, "reactions.remove", "removed").await
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListReactionsArgs {
    /// The conversation: an id (`C…`, `G…`, `D…`) or a name (`#eng`, `eng`; `@Name` for a DM).
    pub channel: String,
    /// The message's `ts`, like `1700000000.000100`.
    pub ts: String,
    /// The Slack account to use when several are signed in: its email or workspace domain (`acme`).
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ReactionsResult {
    pub channel: String,
    pub ts: String,
    pub count: usize,
    pub reactions: Vec<ReactionView>,
}

#[derive(Debug, Deserialize)]
struct GetAnswer {
    message: Message,
}

pub async fn list_reactions(
    ctx: Arc<Context>,
    args: ListReactionsArgs,
) -> Result<ReactionsResult, ToolError> {
    check_channel(&args.channel)?;
    let ts = ts::parse("ts", &args.ts)?;
    let client = ctx.client(args.account.as_deref())?;
    let target = ctx
        .state
        .channels
        .resolve(&client, &ctx.state.users, &args.channel)
        .await?;
    let answer: GetAnswer = client
        .call(
            "reactions.get",
            &json!({"channel": target.id, "timestamp": ts, "full": true}),
        )
        .await
        .map_err(about(&target))?;
    let view = message_views(&ctx, &client, &target.id, &[answer.message])
        .await
        .remove(0);
    Ok(ReactionsResult {
        channel: target.id,
        ts,
        count: view.reactions.len(),
        reactions: view.reactions,
    })
}
