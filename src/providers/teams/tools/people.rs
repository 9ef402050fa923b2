//! People: anyone by id or email (`teams_get_user_info`), who is in a chat or channel
//! (`teams_list_members`), and who actually talked there lately
//! (`teams_get_conversation_participants`, counted from the messages, channel replies
//! included) plus `teams_summarize_conversation`, the window an assistant summarises.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Utc;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::conversations::{Conversation, Where, check, check_id, resolve};
use super::super::models::{ChatMessage, ConversationMember, User};
use super::messages::{ConversationView, conversation_view, first_page, read_window};
use super::views::{MessageView, message_view};
use crate::providers::ProviderId;
use crate::providers::teams::Context;
use crate::time_window::last_days;
use crate::tools::{Hints, ToolError, ToolErrorKind, ToolSpec};

const P: Option<ProviderId> = Some(ProviderId::Teams);
/// Channel posts whose replies are read when counting participants.
const THREADS_READ: usize = 50;

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![
        ToolSpec::new(
            "teams_get_user_info",
            "Look up a person in Microsoft 365",
            "Look up one person of the organisation by `user`: their id (a GUID, as message senders have) or email: \
             name, email, job title.",
            P,
            Hints::READ,
            get_user_info,
        ),
        ToolSpec::new(
            "teams_list_members",
            "List a Teams chat's or channel's members",
            "List the members of a chat (`chat`) or channel (`team`, `channel`) with names, emails and roles. A \
             channel's member list needs ChannelMember.Read.All, which only an administrator can grant.",
            P,
            Hints::READ,
            list_members,
        ),
        ToolSpec::new(
            "teams_get_conversation_participants",
            "Who talked in a Teams conversation",
            "Who posted in a chat or channel over the last `days_window` days (default 7, max 90), with how many \
             messages each (channel replies included), most active first.",
            P,
            Hints::READ,
            get_conversation_participants,
        ),
        ToolSpec::new(
            "teams_summarize_conversation",
            "Gather a Teams conversation to summarise",
            "Everything needed to summarise a chat or channel over the last `days_window` days (default 3, max 30): \
             the conversation, who took part, and its messages oldest first as readable text (channel posts with \
             their replies), up to `limit` (1–500, default 200).",
            P,
            Hints::READ,
            summarize_conversation,
        ),
    ]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserArgs {
    /// The person: their id (a GUID) or email / sign-in name.
    pub user: String,
    /// The Microsoft account (email) to use when several are signed in.
    pub account: Option<String>,
}

pub async fn get_user_info(ctx: Arc<Context>, args: UserArgs) -> Result<User, ToolError> {
    check_id("user", &args.user)?;
    let who = args.user.trim();
    if !super::super::config::is_client_id(who) && !who.contains('@') {
        return Err(ToolError::invalid_argument(format!(
            "invalid argument `user`: `{who}` is neither a user id (a GUID) nor an email"
        )));
    }
    let client = ctx.client(args.account.as_deref())?;
    let url = client.url(
        &["users", who],
        &[(
            "$select",
            "id,displayName,mail,userPrincipalName,jobTitle".into(),
        )],
    );
    client.get(url).await.map_err(|e| match e.kind {
        ToolErrorKind::NotFound => ToolError::not_found(format!(
            "no one in your organisation is `{who}`; check the spelling, or use an id from a message's sender"
        )),
        _ => e,
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationArgs {
    /// A chat's id (`19:…`). Give either `chat`, or `team` and `channel`.
    pub chat: Option<String>,
    /// A team: its id or display name.
    pub team: Option<String>,
    /// A channel of `team`: its id or display name.
    pub channel: Option<String>,
    /// How many days back (participants: 1–90, default 7; summarize: 1–30, default 3).
    pub days_window: Option<u32>,
    /// Summarize only: most messages (1–500, default 200).
    pub limit: Option<u32>,
    /// The Microsoft account (email) to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MemberView {
    pub user_id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub roles: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct MembersResult {
    pub conversation: ConversationView,
    pub count: usize,
    pub members: Vec<MemberView>,
}

fn place(a: &ConversationArgs) -> Where {
    Where {
        chat: a.chat.clone(),
        team: a.team.clone(),
        channel: a.channel.clone(),
    }
}

pub async fn list_members(
    ctx: Arc<Context>,
    args: ConversationArgs,
) -> Result<MembersResult, ToolError> {
    let w = place(&args);
    check(&w)?;
    let client = ctx.client(args.account.as_deref())?;
    let conversation = resolve(&client, &w).await?;
    let mut path = conversation.messages_path();
    path.pop();
    path.push("members");
    let url = client.url(&path, &[]);
    let (members, _) = client
        .collect::<ConversationMember>(url, 5000, |_| false)
        .await
        .map_err(|e| match (e.kind, &conversation) {
            (ToolErrorKind::PermissionDenied, Conversation::Channel { .. }) => ToolError::new(
                ToolErrorKind::PermissionDenied,
                "listing a channel's members needs ChannelMember.Read.All, which only an administrator can grant to your chatkey app registration; teams_get_conversation_participants shows who posted there without it",
            ),
            _ => e,
        })?;
    let members: Vec<MemberView> = members
        .into_iter()
        .map(|m| MemberView {
            user_id: m.user_id,
            name: m.display_name,
            email: m.email,
            roles: m.roles,
        })
        .collect();
    Ok(MembersResult {
        conversation: conversation_view(&conversation),
        count: members.len(),
        members,
    })
}

/// The window's messages, channel posts followed by their replies (up to 50 threads).
async fn window_with_replies(
    client: &super::super::client::GraphClient,
    conversation: &Conversation,
    days: (u32, u32, u32),
    cap: usize,
) -> Result<(Vec<ChatMessage>, bool), ToolError> {
    let (since, until) = last_days(Some(days.0), days.1, days.2)?;
    let first = first_page(client, conversation, until);
    let (mut messages, next) =
        read_window(client, conversation, first, 0, since, until, cap).await?;
    let mut truncated = next.is_some();
    if conversation.is_channel() {
        let posts: Vec<String> = messages
            .iter()
            .take(THREADS_READ)
            .map(|m| m.id.clone())
            .collect();
        truncated |= messages.len() > THREADS_READ;
        for post in posts {
            let mut path = conversation.messages_path();
            path.extend([post.as_str(), "replies"]);
            let url = client.url(&path, &[("$top", "50".into())]);
            let (replies, more) = client.collect::<ChatMessage>(url, cap, |_| false).await?;
            truncated |= more;
            messages.extend(replies.into_iter().filter(|r| {
                super::messages::time_of(r.created_date_time.as_deref())
                    .is_some_and(|t| t >= since && t < until)
            }));
        }
    }
    Ok((messages, truncated))
}

#[derive(Debug, Serialize)]
pub struct Participant {
    pub user_id: Option<String>,
    pub name: Option<String>,
    pub messages: usize,
    pub last_posted: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ParticipantsResult {
    pub conversation: ConversationView,
    pub since: String,
    pub participants: Vec<Participant>,
    pub messages: usize,
    pub truncated: bool,
}

fn count(messages: &[ChatMessage]) -> Vec<Participant> {
    let mut by: BTreeMap<String, Participant> = BTreeMap::new();
    for m in messages
        .iter()
        .filter(|m| m.message_type.as_deref() == Some("message") && !m.is_deleted())
    {
        let (id, name) = m.sender();
        let Some(key) = id.or(name) else { continue };
        let p = by.entry(key.to_owned()).or_insert(Participant {
            user_id: id.map(str::to_owned),
            name: name.map(str::to_owned),
            messages: 0,
            last_posted: None,
        });
        p.messages += 1;
        if m.created_date_time > p.last_posted {
            p.last_posted = m.created_date_time.clone();
        }
    }
    let mut out: Vec<Participant> = by.into_values().collect();
    out.sort_by(|a, b| {
        b.messages
            .cmp(&a.messages)
            .then(b.last_posted.cmp(&a.last_posted))
    });
    out
}

pub async fn get_conversation_participants(
    ctx: Arc<Context>,
    args: ConversationArgs,
) -> Result<ParticipantsResult, ToolError> {
    let w = place(&args);
    check(&w)?;
    let days = args.days_window.unwrap_or(7);
    if !(1..=90).contains(&days) {
        return Err(ToolError::invalid_argument(
            "invalid argument `days_window`: use 1 to 90 days",
        ));
    }
    let client = ctx.client(args.account.as_deref())?;
    let conversation = resolve(&client, &w).await?;
    let (messages, truncated) =
        window_with_replies(&client, &conversation, (days, 7, 90), 2000).await?;
    Ok(ParticipantsResult {
        conversation: conversation_view(&conversation),
        since: (Utc::now() - chrono::TimeDelta::days(days.into())).to_rfc3339(),
        participants: count(&messages),
        messages: messages.len(),
        truncated,
    })
}

#[derive(Debug, Serialize)]
pub struct SummaryResult {
    pub conversation: ConversationView,
    pub since: String,
    pub participants: Vec<Participant>,
    pub count: usize,
    pub truncated: bool,
    pub messages: Vec<MessageView>,
}

pub async fn summarize_conversation(
    ctx: Arc<Context>,
    args: ConversationArgs,
) -> Result<SummaryResult, ToolError> {
    let w = place(&args);
    check(&w)?;
    let days = args.days_window.unwrap_or(3);
    if !(1..=30).contains(&days) {
        return Err(ToolError::invalid_argument(
            "invalid argument `days_window`: use 1 to 30 days",
        ));
    }
    let limit = args.limit.unwrap_or(200);
    if !(1..=500).contains(&limit) {
        return Err(ToolError::invalid_argument(
            "invalid argument `limit`: use 1 to 500",
        ));
    }
    let client = ctx.client(args.account.as_deref())?;
    let conversation = resolve(&client, &w).await?;
    let (mut messages, mut truncated) =
        window_with_replies(&client, &conversation, (days, 3, 30), limit as usize).await?;
    // Oldest first, so a summary reads in order; replies right after their post.
    messages.sort_by_key(|m| {
        let thread = m.reply_to_id.clone().unwrap_or_else(|| m.id.clone());
        (
            root_time(&thread, &m.created_date_time),
            thread,
            m.reply_to_id.is_some(),
            super::messages::time_of(m.created_date_time.as_deref()),
        )
    });
    if messages.len() > limit as usize {
        messages.truncate(limit as usize);
        truncated = true;
    }
    let participants = count(&messages);
    let views: Vec<MessageView> = messages.iter().map(|m| message_view(m, false)).collect();
    Ok(SummaryResult {
        conversation: conversation_view(&conversation),
        since: (Utc::now() - chrono::TimeDelta::days(days.into())).to_rfc3339(),
        participants,
        count: views.len(),
        truncated,
        messages: views,
    })
}

/// A thread sorts by its post's id, which Teams makes from the post's creation time in
/// milliseconds; a message whose id is not a number sorts by its own time.
fn root_time(thread: &str, created: &Option<String>) -> i64 {
    thread.parse::<i64>().unwrap_or_else(|_| {
        super::messages::time_of(created.as_deref()).map_or(0, |t| t.timestamp_millis())
    })
}
