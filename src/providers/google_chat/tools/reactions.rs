//! Emoji reactions: add one, list who reacted with what, remove one's own.
//!
//! Google names a reaction by an opaque id, but people name it by emoji; removing therefore
//! lists the person's own reaction with that emoji (a filtered list, not a scan) and deletes
//! it. Adding a reaction that is already there is reported as success, so a retried add is
//! harmless.

use std::collections::HashMap;
use std::sync::Arc;

use reqwest::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::client::{ChatClient, to_value};
use super::super::models_reactions::{Emoji, ListReactionsResponse, NewReaction, Reaction};
use super::super::names;
use super::super::people::Sender;
use crate::providers::google_chat::Context;
use crate::tools::{Hints, ToolError, ToolErrorKind, ToolSpec};

use super::GOOGLE_CHAT as P;

/// Google's largest page of reactions.
const MAX_PAGE: u32 = 200;

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![
        ToolSpec::new(
            "google_chat_add_reaction",
            "React with an emoji",
            "Add an emoji reaction to a Google Chat message as the signed-in person. `emoji` is the Unicode character \
             itself (👍, 🎉, ✅), not a `:shortcode:`. Adding a reaction you already made succeeds with `already_present: true`.",
            P,
            Hints {
                idempotent: true,
                ..Hints::WRITE
            },
            add_reaction,
        ),
        ToolSpec::new(
            "google_chat_list_reactions",
            "List reactions on a message",
            "List the emoji reactions on one Google Chat message: who reacted (with display names) with which emoji, \
             plus a `summary` with the count and people per emoji. Returns at most `limit` reactions (default 200, max 1000).",
            P,
            Hints::READ,
            list_reactions,
        ),
        ToolSpec::new(
            "google_chat_remove_reaction",
            "Remove your reaction",
            "Remove the signed-in person's own reaction with `emoji` (the Unicode character, e.g. 👍) from a Google Chat \
             message. Other people's reactions cannot be removed. Fails with not found if you have not reacted with that emoji.",
            P,
            Hints {
                destructive: true,
                idempotent: true,
                ..Hints::WRITE
            },
            remove_reaction,
        ),
    ]
}

/// A Unicode emoji as Google accepts it; shortcodes and words get a message saying what to send.
pub fn check_emoji(emoji: &str) -> Result<String, ToolError> {
    let e = emoji.trim();
    let shortcode = e.len() > 2 && e.starts_with(':') && e.ends_with(':');
    let bad = e.is_empty()
        || e.len() > 64
        || e.is_ascii()
        || e.chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '\\');
    if shortcode || bad {
        return Err(ToolError::invalid_argument(format!(
            "invalid argument `emoji`: `{e}` is not a Unicode emoji; send the character itself, like 👍 or 🎉"
        )));
    }
    Ok(e.to_owned())
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReactionArgs {
    /// The message's full name: `spaces/AAA/messages/BBB`.
    pub message: String,
    /// The emoji as a Unicode character, e.g. 👍 (not `:thumbsup:`).
    pub emoji: String,
    /// Email of the Google account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ReactionResult {
    pub message: String,
    pub emoji: String,
    /// The reaction's resource name.
    pub reaction: String,
    /// The reaction was already there (add) — nothing new was created.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub already_present: bool,
    /// The reaction is gone (remove).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
}

pub async fn add_reaction(
    ctx: Arc<Context>,
    args: ReactionArgs,
) -> Result<ReactionResult, ToolError> {
    let message = names::message(&args.message)?;
    let emoji = check_emoji(&args.emoji)?;
    let client = ctx.client(args.account.as_deref())?;
    let body = to_value(&NewReaction {
        emoji: Emoji {
            unicode: Some(emoji.clone()),
            custom_emoji: None,
        },
    })?;
    // A repeat after a processed attempt answers 409, handled below, so retrying is safe.
    let created = client
        .call::<Reaction>(
            Method::POST,
            client.endpoints().chat_collection(&message, "reactions"),
            &[],
            Some(&body),
            true,
        )
        .await;
    let (reaction, already_present) = match created {
        Ok(r) => (r.name, false),
        // Google answers 409 ALREADY_EXISTS for a second identical reaction.
        Err(e) if e.kind == ToolErrorKind::Internal && e.message.contains("409") => {
            match own_reaction(&client, &message, &emoji).await? {
                Some(r) => (r.name, true),
                None => return Err(e),
            }
        }
        Err(e) => return Err(e),
    };
    Ok(ReactionResult {
        message,
        emoji,
        reaction,
        already_present,
        removed: false,
    })
}

pub async fn remove_reaction(
    ctx: Arc<Context>,
    args: ReactionArgs,
) -> Result<ReactionResult, ToolError> {
    let message = names::message(&args.message)?;
    let emoji = check_emoji(&args.emoji)?;
    let client = ctx.client(args.account.as_deref())?;
    let Some(reaction) = own_reaction(&client, &message, &emoji).await? else {
        return Err(ToolError::not_found(format!(
            "you have not reacted with {emoji} to `{message}`, so nothing was removed; google_chat_list_reactions shows who reacted with what"
        )));
    };
    client
        .call::<serde_json::Value>(
            Method::DELETE,
            client.endpoints().chat_resource(&reaction.name),
            &[],
            None,
            false,
        )
        .await?;
    Ok(ReactionResult {
        message,
        emoji,
        reaction: reaction.name,
        already_present: false,
        removed: true,
    })
}

/// The signed-in person's reaction with `emoji` on `message`, found with Google's filter.
async fn own_reaction(
    client: &ChatClient,
    message: &str,
    emoji: &str,
) -> Result<Option<Reaction>, ToolError> {
    let me = client.account().record().user_id.clone().ok_or_else(|| {
        ToolError::new(
            ToolErrorKind::NeedsSignIn,
            "chatkey does not know which Google user this account is: run `chatkey login google-chat` again",
        )
    })?;
    // `check_emoji` refused quotes and backslashes, so the value cannot escape its quotes.
    let filter = format!(r#"emoji.unicode = "{emoji}" AND user.name = "{me}""#);
    let page: ListReactionsResponse = client
        .get(
            client.endpoints().chat_collection(message, "reactions"),
            &[("filter", filter), ("pageSize", "1".to_owned())],
        )
        .await?;
    Ok(page.reactions.into_iter().next())
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListReactionsArgs {
    /// The message's full name: `spaces/AAA/messages/BBB`.
    pub message: String,
    /// Maximum reactions to return (1–1000, default 200).
    pub limit: Option<u32>,
    /// Email of the Google account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ReactionView {
    pub emoji: String,
    pub user: Sender,
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct EmojiCount {
    pub emoji: String,
    pub count: usize,
    /// Display names (or `users/…` ids when a name is unknown), in reaction order.
    pub people: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ReactionsResult {
    pub message: String,
    pub count: usize,
    /// More reactions exist than were returned (raise `limit`).
    pub has_more: bool,
    /// Per emoji, most used first.
    pub summary: Vec<EmojiCount>,
    pub reactions: Vec<ReactionView>,
}

pub async fn list_reactions(
    ctx: Arc<Context>,
    args: ListReactionsArgs,
) -> Result<ReactionsResult, ToolError> {
    let message = names::message(&args.message)?;
    let limit = args.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(ToolError::invalid_argument(
            "invalid argument `limit`: use 1 to 1000",
        ));
    }
    let client = ctx.client(args.account.as_deref())?;
    let url = client.endpoints().chat_collection(&message, "reactions");
    let mut collected: Vec<Reaction> = Vec::new();
    let mut page_token: Option<String> = None;
    let has_more = loop {
        let want = (limit - collected.len() as u32).min(MAX_PAGE);
        let mut query = vec![("pageSize", want.to_string())];
        if let Some(token) = &page_token {
            query.push(("pageToken", token.clone()));
        }
        let page: ListReactionsResponse = client.get(url.clone(), &query).await?;
        collected.extend(page.reactions);
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
    let users: Vec<String> = collected
        .iter()
        .filter_map(|r| r.user.as_ref().map(|u| u.name.clone()))
        .filter(|u| u.starts_with("users/"))
        .collect();
    let names = ctx
        .names
        .resolve(&client, users.iter().map(String::as_str))
        .await;
    let reactions: Vec<ReactionView> = collected
        .into_iter()
        .map(|r| ReactionView {
            emoji: r.emoji.as_ref().map(Emoji::label).unwrap_or_default(),
            user: r
                .user
                .as_ref()
                .map(|u| {
                    names.get(&u.name).cloned().unwrap_or_else(|| Sender {
                        user: u.name.clone(),
                        display_name: u.display_name.clone(),
                        email: None,
                    })
                })
                .unwrap_or_default(),
            name: r.name,
        })
        .collect();
    Ok(ReactionsResult {
        message,
        count: reactions.len(),
        has_more,
        summary: summarize(&reactions),
        reactions,
    })
}

/// Counts per emoji, most used first (ties keep first-seen order).
fn summarize(reactions: &[ReactionView]) -> Vec<EmojiCount> {
    let mut order: Vec<EmojiCount> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for r in reactions {
        let i = *index.entry(r.emoji.as_str()).or_insert_with(|| {
            order.push(EmojiCount {
                emoji: r.emoji.clone(),
                count: 0,
                people: Vec::new(),
            });
            order.len() - 1
        });
        order[i].count += 1;
        order[i].people.push(
            r.user
                .display_name
                .clone()
                .unwrap_or_else(|| r.user.user.clone()),
        );
    }
    order.sort_by_key(|e| std::cmp::Reverse(e.count));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_must_be_the_character() {
        assert_eq!(check_emoji(" 👍 ").unwrap(), "👍");
        assert!(check_emoji("👍🏽").is_ok());
        assert!(check_emoji("❤️").is_ok());
        for bad in ["", ":thumbsup:", "thumbsup", "+1", "👍\"", "a b"] {
            let e = check_emoji(bad).unwrap_err();
            assert!(e.message.contains("`emoji`"), "{bad}");
        }
    }

    #[test]
    fn summary_counts_per_emoji() {
        let r = |emoji: &str, who: &str| ReactionView {
            emoji: emoji.into(),
            user: Sender {
                user: format!("users/{who}"),
                display_name: Some(who.into()),
                email: None,
            },
            name: String::new(),
        };
        let s = summarize(&[r("🎉", "a"), r("👍", "b"), r("👍", "c")]);
        assert_eq!(s[0].emoji, "👍");
        assert_eq!(s[0].count, 2);
        assert_eq!(s[0].people, vec!["b", "c"]);
        assert_eq!(s[1].emoji, "🎉");
    }
}
