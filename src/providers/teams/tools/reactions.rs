//! Reactions: add (`setReaction`), list (from the message's `reactions`, grouped, with
//! names) and remove (`unsetReaction`) the signed-in person's reaction. `emoji` is the
//! character (👍) or one of Teams' names (`like`, `heart`, `laugh`, `surprised`, `sad`,
//! `angry`), checked before any request; Graph takes the character.

use std::sync::Arc;

use reqwest::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::conversations::{Where, check, check_id, resolve};
use super::messages::{ConversationView, conversation_view, fetch};
use super::views::{ReactionView, message_view};
use crate::providers::ProviderId;
use crate::providers::teams::Context;
use crate::tools::{Hints, ToolError, ToolSpec};

const P: Option<ProviderId> = Some(ProviderId::Teams);

/// Teams' original reaction names and the characters Graph uses for them now.
pub const NAMES: &[(&str, &str)] = &[
    ("like", "👍"),
    ("heart", "❤️"),
    ("laugh", "😆"),
    ("surprised", "😮"),
    ("sad", "😢"),
    ("angry", "😡"),
];

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![
        ToolSpec::new(
            "teams_add_reaction",
            "React to a Teams message",
            "Add the signed-in person's reaction to a message (`message` in `chat` or `team`+`channel`; a channel \
             reply also needs `reply_to`). `emoji` is the character (👍, 🎉) or a Teams name: like, heart, laugh, \
             surprised, sad, angry.",
            P,
            Hints {
                idempotent: true,
                ..Hints::WRITE
            },
            add_reaction,
        ),
        ToolSpec::new(
            "teams_list_reactions",
            "List reactions on a Teams message",
            "List a message's reactions grouped by emoji, with how many and who.",
            P,
            Hints::READ,
            list_reactions,
        ),
        ToolSpec::new(
            "teams_remove_reaction",
            "Remove my reaction from a Teams message",
            "Take back the signed-in person's reaction `emoji` from a message.",
            P,
            Hints {
                idempotent: true,
                ..Hints::WRITE
            },
            remove_reaction,
        ),
    ]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReactionArgs {
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
    /// The reaction: an emoji character (👍) or like, heart, laugh, surprised, sad, angry.
    pub emoji: String,
    /// The Microsoft account (email) to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListArgs {
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
    /// The Microsoft account (email) to use when several are signed in.
    pub account: Option<String>,
}

/// The character Graph takes for `emoji`, or the error naming what is accepted.
pub fn reaction_type(emoji: &str) -> Result<String, ToolError> {
    let e = emoji.trim();
    let lower = e.to_lowercase();
    if let Some((_, c)) = NAMES.iter().find(|(n, _)| *n == lower.trim_matches(':')) {
        return Ok((*c).to_owned());
    }
    if emojis::get(e).is_some() {
        return Ok(e.to_owned());
    }
    if let Some(found) = emojis::get_by_shortcode(lower.trim_matches(':')) {
        return Ok(found.as_str().to_owned());
    }
    Err(ToolError::invalid_argument(format!(
        "invalid argument `emoji`: `{emoji}` is not an emoji; give the character (👍) or one of like, heart, laugh, surprised, sad, angry"
    )))
}

#[derive(Debug, Serialize)]
pub struct ReactionsResult {
    pub conversation: ConversationView,
    pub message: String,
    pub reactions: Vec<ReactionView>,
}

fn place(chat: &Option<String>, team: &Option<String>, channel: &Option<String>) -> Where {
    Where {
        chat: chat.clone(),
        team: team.clone(),
        channel: channel.clone(),
    }
}

async fn react(
    ctx: &Context,
    args: ReactionArgs,
    action: &str,
) -> Result<ReactionsResult, ToolError> {
    let w = place(&args.chat, &args.team, &args.channel);
    check(&w)?;
    check_id("message", &args.message)?;
    if let Some(p) = &args.reply_to {
        check_id("reply_to", p)?;
    }
    let reaction = reaction_type(&args.emoji)?;
    let client = ctx.client(args.account.as_deref())?;
    let conversation = resolve(&client, &w).await?;
    let id = args.message.trim();
    let parent = args.reply_to.as_deref().map(str::trim);
    let mut path = conversation.message_path(id, parent);
    path.push(action);
    client
        .write::<serde_json::Value>(
            Method::POST,
            client.url(&path, &[]),
            &json!({"reactionType": reaction}),
        )
        .await
        .map_err(|e| match e.kind {
            crate::tools::ToolErrorKind::NotFound => ToolError::not_found(format!(
                "no message `{id}` in this {}; take ids from teams_list_messages",
                conversation.kind()
            )),
            _ => e,
        })?;
    let now = fetch(&client, &conversation, id, parent).await?;
    let mut reactions = message_view(&now, false).reactions;
    ctx.name_reactions(&client, &mut reactions).await;
    Ok(ReactionsResult {
        conversation: conversation_view(&conversation),
        message: id.to_owned(),
        reactions,
    })
}

pub async fn add_reaction(
    ctx: Arc<Context>,
    args: ReactionArgs,
) -> Result<ReactionsResult, ToolError> {
    react(&ctx, args, "setReaction").await
}

pub async fn remove_reaction(
    ctx: Arc<Context>,
    args: ReactionArgs,
) -> Result<ReactionsResult, ToolError> {
    react(&ctx, args, "unsetReaction").await
}

pub async fn list_reactions(
    ctx: Arc<Context>,
    args: ListArgs,
) -> Result<ReactionsResult, ToolError> {
    let w = place(&args.chat, &args.team, &args.channel);
    check(&w)?;
    check_id("message", &args.message)?;
    let client = ctx.client(args.account.as_deref())?;
    let conversation = resolve(&client, &w).await?;
    let id = args.message.trim();
    let m = fetch(&client, &conversation, id, args.reply_to.as_deref()).await?;
    let mut reactions = message_view(&m, false).reactions;
    ctx.name_reactions(&client, &mut reactions).await;
    Ok(ReactionsResult {
        conversation: conversation_view(&conversation),
        message: id.to_owned(),
        reactions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_characters_are_reactions() {
        assert_eq!(reaction_type("like").unwrap(), "👍");
        assert_eq!(reaction_type("Heart").unwrap(), "❤️");
        assert_eq!(reaction_type("🎉").unwrap(), "🎉");
        assert_eq!(reaction_type(":tada:").unwrap(), "🎉");
        assert!(reaction_type("not one").is_err());
        assert!(reaction_type("").is_err());
    }
}
