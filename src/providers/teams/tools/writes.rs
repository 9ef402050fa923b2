//! Writing as the person: a new message in a chat or channel (`teams_send_message`), a reply
//! in a channel thread (`teams_reply_to_thread`, which checks the post exists first, so it
//! never starts a new post by mistake), editing and deleting one's own messages.
//!
//! Text arrives as Markdown-ish text and goes to Teams as HTML built by `html::from_text`,
//! which escapes everything the assistant wrote.

use std::sync::Arc;

use reqwest::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::conversations::{Where, check, check_id, resolve};
use super::super::html;
use super::super::models::ChatMessage;
use super::messages::{ConversationView, conversation_view, fetch};
use super::views::{MessageView, message_view};
use crate::providers::ProviderId;
use crate::providers::teams::Context;
use crate::tools::{Hints, ToolError, ToolErrorKind, ToolSpec};

const P: Option<ProviderId> = Some(ProviderId::Teams);
/// Teams refuses messages over about 28 KB of HTML.
pub const MAX_HTML: usize = 28_000;

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![
        ToolSpec::new(
            "teams_send_message",
            "Send a Teams message",
            "Send a message as the signed-in person to a chat (`chat`) or as a new post in a channel (`team`, `channel`). \
             `text` may use **bold**, *italic*, `code`, ``` blocks and [links](https://…); everything else is sent as \
             written. `subject` gives a channel post a title. To answer a channel post use teams_reply_to_thread.",
            P,
            Hints::WRITE,
            send_message,
        ),
        ToolSpec::new(
            "teams_reply_to_thread",
            "Reply in a Teams channel thread",
            "Reply to a channel post (`team`, `channel`, `message`: the post's id) as the signed-in person. Fails, and \
             posts nothing, when there is no such post (it never starts a new one). Chats have no threads: use \
             teams_send_message there.",
            P,
            Hints::WRITE,
            reply_to_thread,
        ),
        ToolSpec::new(
            "teams_update_message",
            "Edit my Teams message",
            "Replace the text of one of the signed-in person's own messages (`message`, in `chat` or `team`+`channel`; \
             a channel reply also needs `reply_to`).",
            P,
            Hints {
                idempotent: true,
                ..Hints::WRITE
            },
            update_message,
        ),
        ToolSpec::new(
            "teams_delete_message",
            "Delete my Teams message",
            "Delete one of the signed-in person's own messages (`message`, in `chat` or `team`+`channel`; a channel \
             reply also needs `reply_to`). Teams shows \"This message has been deleted\" in its place.",
            P,
            Hints {
                destructive: true,
                idempotent: true,
                ..Hints::WRITE
            },
            delete_message,
        ),
    ]
}

fn body(text: &str) -> Result<serde_json::Value, ToolError> {
    if text.trim().is_empty() {
        return Err(ToolError::invalid_argument(
            "invalid argument `text`: it is empty; write the message to send",
        ));
    }
    let content = html::from_text(text);
    if content.len() > MAX_HTML {
        return Err(ToolError::invalid_argument(format!(
            "invalid argument `text`: {} bytes as HTML is over Teams' limit of about {MAX_HTML}; send it in parts or as a file",
            content.len()
        )));
    }
    Ok(json!({"contentType": "html", "content": content}))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SendArgs {
    /// A chat's id (`19:…`). Give either `chat`, or `team` and `channel`.
    pub chat: Option<String>,
    /// A team: its id or display name.
    pub team: Option<String>,
    /// A channel of `team`: its id or display name.
    pub channel: Option<String>,
    /// The message (up to about 28 KB once formatted).
    pub text: String,
    /// A title for a new channel post (channels only).
    pub subject: Option<String>,
    /// The Microsoft account (email) to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SentResult {
    pub conversation: ConversationView,
    #[serde(flatten)]
    pub message: MessageView,
}

pub(super) async fn post(
    ctx: &Context,
    account: Option<&str>,
    place: &Where,
    thread: Option<&str>,
    mut payload: serde_json::Value,
) -> Result<SentResult, ToolError> {
    let client = ctx.client(account)?;
    let conversation = resolve(&client, place).await?;
    let mut path = conversation.messages_path();
    if let Some(id) = thread {
        // Graph answers a reply to a missing post with 404 (a reply can never become a new
        // post), but reading the post first names what is wrong: missing, or itself a reply.
        // Reading needs ChannelMessage.Read.All; without it, Graph's 404 has to do.
        match fetch(&client, &conversation, id, None).await {
            Ok(parent) => {
                if let Some(root) = &parent.reply_to_id {
                    return Err(ToolError::invalid_argument(format!(
                        "invalid argument `message`: `{id}` is a reply; reply to the post it answers, `{root}`"
                    )));
                }
            }
            Err(e) if e.kind == ToolErrorKind::PermissionDenied => {}
            Err(e) => return Err(e),
        }
        path.extend([id, "replies"]);
    }
    if let Some(obj) = payload.as_object_mut() {
        obj.retain(|_, v| !v.is_null());
    }
    let sent: Option<ChatMessage> = client
        .write(Method::POST, client.url(&path, &[]), &payload)
        .await
        .map_err(|e| match (thread, e.kind) {
            (Some(id), ToolErrorKind::NotFound) => ToolError::not_found(format!(
                "no message `{id}` in this channel to reply to; take post ids from teams_list_messages"
            )),
            _ => e,
        })?;
    let sent = sent.ok_or_else(|| {
        ToolError::internal("Microsoft Graph accepted the message but did not return it; check the conversation before sending again")
    })?;
    Ok(SentResult {
        conversation: conversation_view(&conversation),
        message: message_view(&sent, false),
    })
}

pub async fn send_message(ctx: Arc<Context>, args: SendArgs) -> Result<SentResult, ToolError> {
    let place = Where {
        chat: args.chat.clone(),
        team: args.team.clone(),
        channel: args.channel.clone(),
    };
    check(&place)?;
    let body = body(&args.text)?;
    if args.subject.is_some() && args.chat.is_some() {
        return Err(ToolError::invalid_argument(
            "invalid argument `subject`: only channel posts have a subject; leave it out for a chat",
        ));
    }
    if args
        .subject
        .as_ref()
        .is_some_and(|s| s.chars().count() > 255)
    {
        return Err(ToolError::invalid_argument(
            "invalid argument `subject`: use at most 255 characters",
        ));
    }
    let payload = json!({"body": body, "subject": args.subject});
    post(&ctx, args.account.as_deref(), &place, None, payload).await
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyArgs {
    /// The team: its id or display name.
    pub team: String,
    /// The channel: its id or display name.
    pub channel: String,
    /// The post's id (from teams_list_messages).
    pub message: String,
    /// The reply.
    pub text: String,
    /// The Microsoft account (email) to use when several are signed in.
    pub account: Option<String>,
}

pub async fn reply_to_thread(ctx: Arc<Context>, args: ReplyArgs) -> Result<SentResult, ToolError> {
    let place = Where {
        chat: None,
        team: Some(args.team.clone()),
        channel: Some(args.channel.clone()),
    };
    check(&place)?;
    check_id("message", &args.message)?;
    let body = body(&args.text)?;
    post(
        &ctx,
        args.account.as_deref(),
        &place,
        Some(args.message.trim()),
        json!({ "body": body }),
    )
    .await
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateArgs {
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
    /// The new text.
    pub text: String,
    /// The Microsoft account (email) to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ChangedResult {
    pub conversation: ConversationView,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<MessageView>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

pub async fn update_message(
    ctx: Arc<Context>,
    args: UpdateArgs,
) -> Result<ChangedResult, ToolError> {
    let place = Where {
        chat: args.chat.clone(),
        team: args.team.clone(),
        channel: args.channel.clone(),
    };
    check(&place)?;
    check_id("message", &args.message)?;
    if let Some(p) = &args.reply_to {
        check_id("reply_to", p)?;
    }
    let body = body(&args.text)?;
    let client = ctx.client(args.account.as_deref())?;
    let conversation = resolve(&client, &place).await?;
    let id = args.message.trim();
    let parent = args.reply_to.as_deref().map(str::trim);
    let url = client.url(&conversation.message_path(id, parent), &[]);
    client
        .write::<serde_json::Value>(Method::PATCH, url, &json!({ "body": body }))
        .await?;
    let now = fetch(&client, &conversation, id, parent).await?;
    Ok(ChangedResult {
        conversation: conversation_view(&conversation),
        message: id.to_owned(),
        updated: Some(message_view(&now, false)),
        deleted: false,
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteArgs {
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

pub async fn delete_message(
    ctx: Arc<Context>,
    args: DeleteArgs,
) -> Result<ChangedResult, ToolError> {
    let place = Where {
        chat: args.chat.clone(),
        team: args.team.clone(),
        channel: args.channel.clone(),
    };
    check(&place)?;
    check_id("message", &args.message)?;
    if let Some(p) = &args.reply_to {
        check_id("reply_to", p)?;
    }
    let client = ctx.client(args.account.as_deref())?;
    let conversation = resolve(&client, &place).await?;
    let id = args.message.trim();
    let parent = args.reply_to.as_deref().map(str::trim);
    let mut path = conversation.message_path(id, parent);
    path.push("softDelete");
    client
        .write::<serde_json::Value>(Method::POST, client.url(&path, &[]), &json!({}))
        .await?;
    Ok(ChangedResult {
        conversation: conversation_view(&conversation),
        message: id.to_owned(),
        updated: None,
        deleted: true,
    })
}
