//! One space in detail (`google_chat_get_space`), the direct message with a person
//! (`google_chat_find_direct_message`), and who actually talked in a space lately
//! (`google_chat_get_conversation_participants`, counted from the messages themselves).
//!
//! Direct messages have no display name on the wire, so both tools name the other person
//! (one batched People lookup through the shared name cache) — otherwise an assistant sees
//! only `spaces/AAA` and cannot tell whose DM it is.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{SecondsFormat, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::client::ChatClient;
use super::super::models::Space;
use super::super::models_members::SpaceFull;
use super::super::names;
use super::super::people::Sender;
use super::members::{
    MAX_PAGE, READ_SCOPES, collect_memberships, human_users, list_memberships, named,
};
use super::messages::{Window, window_filter};
use super::people::{UserRef, find_dm, get_membership, parse_user, require_any_scope};
use super::views::SpaceView;
use crate::providers::google_chat::Context;
use crate::time_window::window;
use crate::tools::{Hints, ToolError, ToolErrorKind, ToolSpec};

use super::GOOGLE_CHAT as P;

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![
        ToolSpec::new(
            "google_chat_get_space",
            "Get one space's details",
            "Show one Google Chat space in detail: type (space, group_chat, direct_message), display name, description \
             and guidelines, threading, member count, link, creation and last activity time, history and access settings; \
             for a direct message, who it is with. Use google_chat_list_spaces to find spaces and \
             google_chat_list_members for the member list.",
            P,
            Hints::READ,
            get_space,
        ),
        ToolSpec::new(
            "google_chat_find_direct_message",
            "Find the direct message with a person",
            "Find the one-to-one direct message between the signed-in person and another person, given their email or \
             Chat user name (`users/123…`). Returns the space (use its `name` with google_chat_list_messages or \
             google_chat_send_message) and who it is with. If the two have never messaged, the answer is \
             `found: false` with how to start one; that is not an error.",
            P,
            Hints::READ,
            find_direct_message,
        ),
        ToolSpec::new(
            "google_chat_get_conversation_participants",
            "Who talked in a space recently",
            "Who actually posted in a Google Chat space over the last `days_window` days (default 7, max 365): each \
             poster with name, email, message count and last message time (most active first), plus the members \
             who did not post. Use it to find who is involved in a conversation before mentioning or messaging them; \
             for the plain member list use google_chat_list_members.",
            P,
            Hints::READ,
            get_conversation_participants,
        ),
    ]
}

/// Messages read for participants; a busier window is reported as `truncated`.
const MAX_MESSAGES: usize = 10_000;
/// Members read to find the silent ones.
const MAX_MEMBERS: u32 = 10_000;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetSpaceArgs {
    /// The space: `spaces/AAA` or just `AAA`.
    pub space: String,
    /// Email of the Google account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SpaceDetailView {
    #[serde(flatten)]
    pub space: SpaceView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guidelines: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_member_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
    /// False when the space does not keep history (messages vanish after 24 hours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history_on: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_users_allowed: Option<bool>,
    /// `private` or `discoverable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access: Option<String>,
    /// For a direct message: the other person.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dm_with: Option<Sender>,
}

pub async fn get_space(
    ctx: Arc<Context>,
    args: GetSpaceArgs,
) -> Result<SpaceDetailView, ToolError> {
    let name = names::space(&args.space)?;
    let client = ctx.client(args.account.as_deref())?;
    let full: SpaceFull = client
        .get(client.endpoints().chat_resource(&name), &[])
        .await?;
    let dm_with = if is_dm(&full.space) {
        other_member(&ctx, &client, &full.space.name).await
    } else {
        None
    };
    let details = full.space.space_details.clone();
    let counts = full.space.membership_count.clone();
    Ok(SpaceDetailView {
        guidelines: details.and_then(|d| d.guidelines).filter(|g| !g.is_empty()),
        group_member_count: counts.and_then(|c| c.joined_group_count).filter(|n| *n > 0),
        create_time: full.space.create_time.clone(),
        history_on: full
            .space_history_state
            .as_deref()
            .map(|h| h == "HISTORY_ON"),
        external_users_allowed: full.external_user_allowed,
        access: full
            .access_settings
            .and_then(|a| a.access_state)
            .filter(|a| a != "ACCESS_STATE_UNSPECIFIED")
            .map(|a| a.to_lowercase()),
        dm_with,
        space: SpaceView::from(full.space),
    })
}

fn is_dm(space: &Space) -> bool {
    space.space_type.as_deref() == Some("DIRECT_MESSAGE")
}

/// The other person in a direct message, named. Best effort: without the memberships scope
/// the space is still worth showing.
async fn other_member(ctx: &Context, client: &ChatClient, space: &str) -> Option<Sender> {
    let me = client.account().record().user_id.clone();
    let page = match list_memberships(client, space, 10, None, false).await {
        Ok(page) => page,
        Err(e) => {
            tracing::debug!(error = %e, "direct message members unavailable");
            return None;
        }
    };
    let other = page
        .memberships
        .into_iter()
        .filter_map(|m| m.member)
        .map(|u| u.name)
        .find(|u| Some(u) != me.as_ref())?;
    let mut names = ctx.names.resolve(client, [other.as_str()]).await;
    Some(names.remove(&other).unwrap_or(Sender {
        user: other,
        display_name: None,
        email: None,
    }))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindDirectMessageArgs {
    /// The other person: an email (`name@example.com`) or Chat user name (`users/123…`).
    pub user: String,
    /// Email of the Google account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct FindDirectMessageResult {
    pub found: bool,
    /// The person as asked for.
    pub user: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub space: Option<SpaceView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub with: Option<Sender>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

pub async fn find_direct_message(
    ctx: Arc<Context>,
    args: FindDirectMessageArgs,
) -> Result<FindDirectMessageResult, ToolError> {
    let user = parse_user("user", &args.user)?;
    let client = ctx.client(args.account.as_deref())?;
    let asked = user.chat_name();
    let Some(space) = find_dm(&client, &user).await? else {
        return Ok(FindDirectMessageResult {
            found: false,
            message: Some(format!(
                "there is no direct message with `{asked}` yet (or Google Chat does not know that person): \
                 check the address, then start the conversation in Google Chat (New chat → their name); \
                 after that this tool finds it"
            )),
            user: asked,
            space: None,
            with: None,
        });
    };
    let with = match &user {
        UserRef::Id(_) => Some(asked.clone()),
        // The email alias finds the membership, which carries the numeric id.
        UserRef::Email(_) => get_membership(&client, &space.name, &user)
            .await
            .ok()
            .flatten()
            .and_then(|m| m.member)
            .map(|u| u.name),
    };
    let with = match with {
        Some(u) => {
            let mut names = ctx.names.resolve(&client, [u.as_str()]).await;
            Some(names.remove(&u).unwrap_or(Sender {
                user: u,
                display_name: None,
                email: None,
            }))
        }
        None => None,
    };
    Ok(FindDirectMessageResult {
        found: true,
        user: asked,
        space: Some(SpaceView::from(space)),
        with,
        message: None,
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantsArgs {
    /// The space: `spaces/AAA` or just `AAA`.
    pub space: String,
    /// How many days back from now to look (1–365, default 7).
    pub days_window: Option<u32>,
    /// Email of the Google account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Participant {
    pub user: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub message_count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_message_time: Option<String>,
    /// False for someone who posted and has since left; absent when members could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_member: Option<bool>,
}

#[derive(Debug, Serialize)]
pub struct SilentMember {
    pub user: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `member` or `manager`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ParticipantsResult {
    pub space: String,
    pub window: Window,
    pub message_count: usize,
    pub participant_count: usize,
    pub participants: Vec<Participant>,
    /// Members who posted nothing in the window; absent when members could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub silent_members: Option<Vec<SilentMember>>,
    /// True when the window held more than 10,000 messages and only the newest were counted.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Per sender: how many messages, and the newest one's time.
struct Tally {
    count: usize,
    last: Option<String>,
    bot: bool,
}

pub async fn get_conversation_participants(
    ctx: Arc<Context>,
    args: ParticipantsArgs,
) -> Result<ParticipantsResult, ToolError> {
    let space = names::space(&args.space)?;
    let (since, until) = window(
        Utc::now(),
        Some(args.days_window.unwrap_or(7)),
        None,
        None,
        None,
    )?;
    let client = ctx.client(args.account.as_deref())?;
    let filter = window_filter(since, until);
    let mut tallies: HashMap<String, Tally> = HashMap::new();
    let (mut message_count, mut truncated) = (0, false);
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_messages(
                &space,
                Some(&filter),
                "createTime desc",
                MAX_PAGE,
                token.as_deref(),
            )
            .await?;
        for m in page.messages {
            message_count += 1;
            let Some(sender) = m.sender else { continue };
            // Newest first, so the first message seen from a sender is their latest.
            let t = tallies.entry(sender.name).or_insert(Tally {
                count: 0,
                last: m.create_time,
                bot: sender.kind.as_deref() == Some("BOT"),
            });
            t.count += 1;
        }
        token = page.next_page_token.filter(|t| !t.is_empty());
        if token.is_none() {
            break;
        }
        if message_count >= MAX_MESSAGES {
            truncated = true;
            break;
        }
    }
    // Members are the second half of the answer; without the scope the posters still are.
    let members = match require_any_scope(&client, READ_SCOPES) {
        Ok(()) => collect_memberships(&client, &space, MAX_MEMBERS, None, false)
            .await
            .map(|(m, _)| m),
        Err(e) => Err(e),
    };
    let (members, note) = match members {
        Ok(m) => (Some(m), None),
        Err(e) if e.kind == ToolErrorKind::PermissionDenied => (
            None,
            Some(format!(
                "members who did not post are not listed: {}",
                e.message
            )),
        ),
        Err(e) => return Err(e),
    };
    let posters = tallies
        .iter()
        .filter(|(_, t)| !t.bot)
        .map(|(u, _)| u.as_str());
    let member_users: Vec<&str> = members
        .as_deref()
        .map(|m| human_users(m).collect())
        .unwrap_or_default();
    let names = ctx
        .names
        .resolve(&client, posters.chain(member_users.iter().copied()))
        .await;
    let mut participants: Vec<Participant> = tallies
        .into_iter()
        .map(|(user, t)| {
            let person = named(&user, &names);
            Participant {
                is_member: members
                    .as_ref()
                    .map(|_| member_users.contains(&user.as_str())),
                display_name: person.display_name,
                email: person.email,
                message_count: t.count,
                last_message_time: t.last,
                user,
            }
        })
        .collect();
    participants.sort_by(|a, b| {
        b.message_count
            .cmp(&a.message_count)
            .then_with(|| b.last_message_time.cmp(&a.last_message_time))
    });
    let silent_members = members.map(|members| {
        members
            .into_iter()
            .filter_map(|m| Some((m.member?, m.role)))
            .filter(|(u, _)| u.kind.as_deref() != Some("BOT"))
            .filter(|(u, _)| !participants.iter().any(|p| p.user == u.name))
            .map(|(u, role)| {
                let person = named(&u.name, &names);
                SilentMember {
                    user: u.name,
                    display_name: person.display_name,
                    email: person.email,
                    role: role.map(|r| r.trim_start_matches("ROLE_").to_lowercase()),
                }
            })
            .collect()
    });
    let stamp = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    Ok(ParticipantsResult {
        space,
        window: Window {
            since: stamp(since),
            until: stamp(until),
        },
        message_count,
        participant_count: participants.len(),
        participants,
        silent_members,
        truncated,
        note,
    })
}
