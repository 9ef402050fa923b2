//! Changing what was already posted: edit a message's text, delete a message.
//!
//! Google lets a person edit only their own messages (and delete their own, or others' as a
//! space manager); its bare 403 is turned into an error that says so. An edit sends only the
//! text with `updateMask=text`, so nothing else about the message can change by accident.

use std::sync::Arc;

use reqwest::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::client::to_value;
use super::super::models::Message;
use super::super::models_reactions::TextUpdate;
use super::super::names;
use super::messages::check_text;
use crate::providers::google_chat::Context;
use crate::tools::{Hints, ToolError, ToolErrorKind, ToolSpec};

use super::GOOGLE_CHAT as P;

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![
        ToolSpec::new(
            "google_chat_update_message",
            "Edit a message",
            "Replace the text of a Google Chat message the signed-in person sent (`message` is the full \
             `spaces/…/messages/…` name). Only your own messages can be edited; editing someone else's fails \
             with permission denied. The old text is not kept, so quote it back to the person first if it matters.",
            P,
            Hints {
                read_only: false,
                destructive: true,
                idempotent: true,
                open_world: true,
            },
            update_message,
        ),
        ToolSpec::new(
            "google_chat_delete_message",
            "Delete a message",
            "Delete a Google Chat message (`message` is the full `spaces/…/messages/…` name). You can delete your own \
             messages, and others' only as a manager of the space. This cannot be undone: confirm with the person first. \
             Deleting a message that is already gone fails with not found and changes nothing.",
            P,
            Hints {
                read_only: false,
                destructive: true,
                idempotent: true,
                open_world: true,
            },
            delete_message,
        ),
    ]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMessageArgs {
    /// The message's full name: `spaces/AAA/messages/BBB` (must be one you sent).
    pub message: String,
    /// The new text, replacing the old one entirely (up to 32,000 bytes).
    pub text: String,
    /// Email of the Google account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct UpdatedMessage {
    pub name: String,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread: Option<String>,
    pub create_time: Option<String>,
    pub last_update_time: Option<String>,
}

pub async fn update_message(
    ctx: Arc<Context>,
    args: UpdateMessageArgs,
) -> Result<UpdatedMessage, ToolError> {
    let name = names::message(&args.message)?;
    check_text(&args.text)?;
    let client = ctx.client(args.account.as_deref())?;
    let body = to_value(&TextUpdate {
        text: args.text.clone(),
    })?;
    // Setting the same text twice leaves the same message, so retrying is safe.
    let message: Message = client
        .call(
            Method::PATCH,
            client.endpoints().chat_resource(&name),
            &[("updateMask", "text".to_owned())],
            Some(&body),
            true,
        )
        .await
        .map_err(|e| {
            explain(
                e,
                &name,
                "edit",
                "you can edit only messages you sent yourself",
            )
        })?;
    Ok(UpdatedMessage {
        text: message.text.unwrap_or(args.text),
        thread: message.thread.and_then(|t| t.name),
        create_time: message.create_time,
        last_update_time: message.last_update_time.filter(|t| !t.is_empty()),
        name: if message.name.is_empty() {
            name
        } else {
            message.name
        },
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteMessageArgs {
    /// The message's full name: `spaces/AAA/messages/BBB`.
    pub message: String,
    /// Email of the Google account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct DeletedMessage {
    pub name: String,
    pub deleted: bool,
}

pub async fn delete_message(
    ctx: Arc<Context>,
    args: DeleteMessageArgs,
) -> Result<DeletedMessage, ToolError> {
    let name = names::message(&args.message)?;
    let client = ctx.client(args.account.as_deref())?;
    // Not retried after a possibly processed attempt: the repeat would answer "not found"
    // for a delete that in fact succeeded.
    client
        .call::<serde_json::Value>(
            Method::DELETE,
            client.endpoints().chat_resource(&name),
            &[],
            None,
            false,
        )
        .await
        .map_err(|e| {
            explain(
                e,
                &name,
                "delete",
                "you can delete only messages you sent, or others' as a manager of the space",
            )
        })?;
    Ok(DeletedMessage {
        name,
        deleted: true,
    })
}

/// Rewrites Google's generic not-found and permission errors for a message write into ones
/// that name the message and the rule. A missing-permission (scope) error keeps its own
/// message, which already says how to sign in again.
fn explain(e: ToolError, name: &str, verb: &str, rule: &str) -> ToolError {
    match e.kind {
        ToolErrorKind::PermissionDenied if !e.message.contains("chatkey login") => ToolError::new(
            ToolErrorKind::PermissionDenied,
            format!(
                "Google Chat refused to {verb} `{name}`: {rule} (and only in spaces you are a member of); nothing changed"
            ),
        ),
        _ => e,
    }
}
