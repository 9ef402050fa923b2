//! Catching up: unread chat messages (after the chat's `viewpoint.lastMessageReadDateTime`,
//! as Teams' own clients count them; Graph keeps no read state for channels), marking a
//! chat read (`markChatReadForUser`), and the person's mentions — real `<at>` mentions
//! whose `mentioned.user` is them, or of a channel or team they are in, never a name
//! appearing in the text.

use std::sync::Arc;

use chrono::DateTime;
use futures::stream::{self, StreamExt};
use reqwest::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::conversations::{Conversation, check_id};
use super::super::models::{Chat, ChatMessage};
use super::conversations::chat_view;
use super::messages::{ConversationView, conversation_view, time_of};
use super::scan::{self, Scanned};
use super::views::{MessageView, message_view};
use crate::providers::ProviderId;
use crate::providers::teams::Context;
use crate::time_window::last_days;
use crate::tools::{Hints, ToolError, ToolSpec};

const P: Option<ProviderId> = Some(ProviderId::Teams);
/// Unread messages read per chat; more is reported as `capped`.
const PER_CHAT_CAP: usize = 200;

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![
        ToolSpec::new(
            "teams_get_unread",
            "What is unread in my Teams chats",
            "For every chat with messages from others after the person last read it (as Teams counts it), the count and \
             the newest few messages. Channels have no read state in Microsoft Graph, so they are not included: use \
             teams_list_messages or teams_get_my_mentions for them.",
            P,
            Hints::READ,
            get_unread,
        ),
        ToolSpec::new(
            "teams_mark_read",
            "Mark a Teams chat read",
            "Mark one chat (`chat`, its `19:…` id) read for the signed-in person, as opening it in Teams does.",
            P,
            Hints {
                idempotent: true,
                ..Hints::WRITE
            },
            mark_read,
        ),
        ToolSpec::new(
            "teams_get_my_mentions",
            "Find messages that mention me in Teams",
            "Messages from others over the last `days_window` days (default 7, max 30) that @-mention the signed-in \
             person, or a channel or team they are in, newest first, each with `mention` (`direct`, `channel`, \
             `team`). Looks in every chat, and in channels when the sign-in may read them (admin consent). A name in \
             plain text is not a mention. At most `limit` (1–500, default 50).",
            P,
            Hints::READ,
            get_my_mentions,
        ),
    ]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnreadArgs {
    /// Newest messages shown per chat (0–20, default 3).
    pub preview: Option<u32>,
    /// The Microsoft account (email) to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct UnreadChat {
    pub chat: String,
    pub title: String,
    pub unread: usize,
    /// More unread than chatkey counts (200).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub capped: bool,
    pub last_read: Option<String>,
    pub newest: Vec<MessageView>,
}

#[derive(Debug, Serialize)]
pub struct UnreadResult {
    pub total: usize,
    pub chats: Vec<UnreadChat>,
    pub checked: usize,
    pub note: &'static str,
}

/// `viewpoint.lastMessageReadDateTime` of a chat, read from the raw answer.
#[derive(Debug, Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Viewpoint {
    last_message_read_date_time: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ChatWithViewpoint {
    #[serde(flatten)]
    chat: Chat,
    #[serde(default)]
    viewpoint: Viewpoint,
}

pub async fn get_unread(ctx: Arc<Context>, args: UnreadArgs) -> Result<UnreadResult, ToolError> {
    let preview = args.preview.unwrap_or(3);
    if preview > 20 {
        return Err(ToolError::invalid_argument(
            "invalid argument `preview`: use 0 to 20",
        ));
    }
    let client = ctx.client(args.account.as_deref())?;
    let me = client.account().record().user_id.clone();
    let url = client.url(
        &["me", "chats"],
        &[("$expand", "members".into()), ("$top", "50".into())],
    );
    let (chats, _) = client
        .collect::<ChatWithViewpoint>(url, scan::MAX_CONVERSATIONS, |_| false)
        .await?;
    let checked = chats.len();
    let candidates: Vec<ChatWithViewpoint> = chats
        .into_iter()
        .filter(|c| {
            let read = time_of(c.viewpoint.last_message_read_date_time.as_deref());
            let updated = time_of(c.chat.last_updated_date_time.as_deref());
            match (read, updated) {
                (Some(r), Some(u)) => u > r,
                _ => true,
            }
        })
        .collect();
    let client = &client;
    let me_ref = me.as_deref();
    let counted: Vec<Result<Option<UnreadChat>, ToolError>> = stream::iter(candidates)
        .map(|c| async move {
            let read = time_of(c.viewpoint.last_message_read_date_time.as_deref())
                .unwrap_or(DateTime::UNIX_EPOCH);
            let url = client.url(
                &["chats", &c.chat.id, "messages"],
                &[
                    ("$top", "50".into()),
                    ("$orderby", "lastModifiedDateTime desc".into()),
                    (
                        "$filter",
                        format!(
                            "lastModifiedDateTime gt {}",
                            read.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                        ),
                    ),
                ],
            );
            let (messages, capped) = client
                .collect::<ChatMessage>(url, PER_CHAT_CAP, |_| false)
                .await?;
            let mut unread: Vec<&ChatMessage> = messages
                .iter()
                .filter(|m| {
                    m.message_type.as_deref() == Some("message")
                        && !m.is_deleted()
                        && m.sender().0 != me_ref
                        && time_of(m.created_date_time.as_deref()).is_some_and(|t| t > read)
                })
                .collect();
            if unread.is_empty() {
                return Ok(None);
            }
            unread.sort_by_key(|m| std::cmp::Reverse(time_of(m.created_date_time.as_deref())));
            Ok(Some(UnreadChat {
                chat: c.chat.id.clone(),
                title: chat_view(&c.chat, me_ref).title,
                unread: unread.len(),
                capped,
                last_read: c.viewpoint.last_message_read_date_time.clone(),
                newest: unread
                    .iter()
                    .take(preview as usize)
                    .map(|m| message_view(m, false))
                    .collect(),
            }))
        })
        .buffered(4)
        .collect()
        .await;
    let mut out = Vec::new();
    for c in counted {
        if let Some(c) = c? {
            out.push(c);
        }
    }
    out.sort_by(|a, b| {
        b.newest
            .first()
            .and_then(|m| m.time.clone())
            .cmp(&a.newest.first().and_then(|m| m.time.clone()))
    });
    Ok(UnreadResult {
        total: out.iter().map(|c| c.unread).sum(),
        chats: out,
        checked,
        note: "Microsoft Graph keeps read state for chats only; channels are not counted",
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkReadArgs {
    /// The chat's id (`19:…`, from teams_list_chats or teams_get_unread).
    pub chat: String,
    /// The Microsoft account (email) to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MarkReadResult {
    pub chat: String,
    pub marked: bool,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ChatTenant {
    tenant_id: Option<String>,
}

pub async fn mark_read(ctx: Arc<Context>, args: MarkReadArgs) -> Result<MarkReadResult, ToolError> {
    check_id("chat", &args.chat)?;
    let chat = args.chat.trim().to_owned();
    if !chat.starts_with("19:") {
        return Err(ToolError::invalid_argument(format!(
            "invalid argument `chat`: `{chat}` is not a chat id (they start with `19:`); channels have no read state in Teams"
        )));
    }
    let client = ctx.client(args.account.as_deref())?;
    let me = client.account().record().user_id.clone().ok_or_else(|| {
        ToolError::internal("the Teams account has no user id; run `chatkey login teams` again")
    })?;
    let info: ChatTenant = client.get(client.url(&["chats", &chat], &[])).await?;
    let tenant = info.tenant_id.ok_or_else(|| {
        ToolError::internal("Microsoft Graph named no tenant for this chat; try again")
    })?;
    client
        .write::<serde_json::Value>(
            Method::POST,
            client.url(&["chats", &chat, "markChatReadForUser"], &[]),
            &json!({"user": {"id": me, "tenantId": tenant}}),
        )
        .await?;
    Ok(MarkReadResult { chat, marked: true })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MentionsArgs {
    /// How many days back to look, ending now (1–30, default 7).
    pub days_window: Option<u32>,
    /// Most mentions to return, the newest (1–500, default 50).
    pub limit: Option<u32>,
    /// The Microsoft account (email) to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MentionView {
    /// `direct`, `channel` or `team`.
    pub mention: &'static str,
    pub conversation: ConversationView,
    pub conversation_name: String,
    #[serde(flatten)]
    pub message: MessageView,
}

#[derive(Debug, Serialize)]
pub struct MentionsResult {
    pub user: Option<String>,
    pub total: usize,
    pub count: usize,
    pub mentions: Vec<MentionView>,
    pub searched: Scanned,
}

/// How `m` mentions `me`, if it does.
fn mention_of(m: &ChatMessage, me: &str, c: &Conversation) -> Option<&'static str> {
    let mut found = None;
    for x in &m.mentions {
        let Some(who) = &x.mentioned else { continue };
        if who.user.as_ref().and_then(|u| u.id.as_deref()) == Some(me) {
            return Some("direct");
        }
        if c.is_channel() && who.conversation_kind().is_some() {
            found = found.or(who.conversation_kind());
        }
    }
    found
}

pub async fn get_my_mentions(
    ctx: Arc<Context>,
    args: MentionsArgs,
) -> Result<MentionsResult, ToolError> {
    let (since, until) = last_days(args.days_window, 7, 30)?;
    let limit = args.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ToolError::invalid_argument(
            "invalid argument `limit`: use 1 to 500",
        ));
    }
    let client = ctx.client(args.account.as_deref())?;
    let me = client
        .account()
        .record()
        .user_id
        .clone()
        .unwrap_or_default();
    let mut scanned = Scanned::default();
    let targets = scan::conversations(&client, true, &mut scanned).await?;
    let read = scan::windows(&client, targets, since, until, 1000, &mut scanned).await?;
    let mut found: Vec<(&'static str, scan::Named, ChatMessage)> = Vec::new();
    for (n, messages) in read {
        for m in messages {
            if m.sender().0 == Some(me.as_str()) {
                continue;
            }
            if let Some(kind) = mention_of(&m, &me, &n.conversation) {
                found.push((kind, n.clone(), m));
            }
        }
    }
    found.sort_by_key(|(_, _, m)| std::cmp::Reverse(time_of(m.created_date_time.as_deref())));
    let total = found.len();
    found.truncate(limit as usize);
    let mentions: Vec<MentionView> = found
        .iter()
        .map(|(kind, n, m)| MentionView {
            mention: kind,
            conversation: conversation_view(&n.conversation),
            conversation_name: n.name.clone(),
            message: message_view(m, false),
        })
        .collect();
    Ok(MentionsResult {
        user: Some(me).filter(|m| !m.is_empty()),
        total,
        count: mentions.len(),
        mentions,
        searched: scanned,
    })
}
