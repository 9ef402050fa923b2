//! Reading many conversations at once, for the tools that look across them (search,
//! mentions, unread): every chat, and every visible channel of every team when the sign-in
//! may read channels (admin consent); each conversation's window read concurrently, with
//! caps, and what was skipped said in the result.

use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt};
use serde::Serialize;

use super::super::client::GraphClient;
use super::super::conversations::{Conversation, joined_teams, team_channels};
use super::super::models::{Chat, ChatMessage};
use super::conversations::chat_view;
use super::messages::{first_page, read_window};
use crate::tools::ToolError;

const CONCURRENT: usize = 4;
/// Conversations looked at per call; more is reported.
pub const MAX_CONVERSATIONS: usize = 100;

/// A conversation with the name a person knows it by.
#[derive(Debug, Clone)]
pub struct Named {
    pub conversation: Conversation,
    pub name: String,
}

#[derive(Debug, Default, Serialize)]
pub struct Scanned {
    pub chats: usize,
    pub channels: usize,
    pub messages: usize,
    /// Why channels were not read, when they were not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channels_skipped: Option<String>,
    /// True when a conversation held more than was read, or there were more conversations.
    pub truncated: bool,
}

/// Whether this sign-in may read channel messages.
pub fn can_read_channels(client: &GraphClient) -> bool {
    client
        .account()
        .record()
        .scopes
        .iter()
        .any(|s| s.eq_ignore_ascii_case(super::super::ADMIN_SCOPE))
}

/// Every chat, and (when readable) every channel; most recently active chats first.
pub async fn conversations(
    client: &GraphClient,
    with_channels: bool,
    scanned: &mut Scanned,
) -> Result<Vec<Named>, ToolError> {
    let me = client.account().record().user_id.clone();
    let url = client.url(
        &["me", "chats"],
        &[("$expand", "members".into()), ("$top", "50".into())],
    );
    let (mut chats, more) = client
        .collect::<Chat>(url, MAX_CONVERSATIONS, |_| false)
        .await?;
    scanned.truncated |= more;
    chats.sort_by(|a, b| b.last_updated_date_time.cmp(&a.last_updated_date_time));
    let mut out: Vec<Named> = chats
        .iter()
        .map(|c| Named {
            conversation: Conversation::Chat { id: c.id.clone() },
            name: chat_view(c, me.as_deref()).title,
        })
        .collect();
    if with_channels && can_read_channels(client) {
        for team in joined_teams(client).await? {
            for channel in team_channels(client, &team.id).await? {
                if out.len() >= MAX_CONVERSATIONS * 2 {
                    scanned.truncated = true;
                    break;
                }
                let team_name = team.display_name.clone();
                let channel_name = channel.display_name.clone();
                out.push(Named {
                    name: format!(
                        "{} › {}",
                        team_name.as_deref().unwrap_or(&team.id),
                        channel_name.as_deref().unwrap_or(&channel.id)
                    ),
                    conversation: Conversation::Channel {
                        team: team.id.clone(),
                        team_name,
                        channel: channel.id,
                        channel_name,
                    },
                });
            }
        }
    } else if with_channels {
        scanned.channels_skipped = Some(format!(
            "channels were not read: that needs {} with an administrator's consent; chats were",
            super::super::ADMIN_SCOPE
        ));
    }
    Ok(out)
}

/// A conversation's window as read: the messages, and whether more were left.
type Window = Result<(Vec<ChatMessage>, bool), ToolError>;

/// Each conversation's messages in `[since, until)`, up to `cap` each, read concurrently.
pub async fn windows(
    client: &GraphClient,
    targets: Vec<Named>,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    cap: usize,
    scanned: &mut Scanned,
) -> Result<Vec<(Named, Vec<ChatMessage>)>, ToolError> {
    let read: Vec<(Named, Window)> = stream::iter(targets)
        .map(|n| async move {
            let first = first_page(client, &n.conversation, until);
            let r = read_window(client, &n.conversation, first, 0, since, until, cap)
                .await
                .map(|(m, next)| (m, next.is_some()));
            (n, r)
        })
        .buffered(CONCURRENT)
        .collect()
        .await;
    let mut out = Vec::new();
    for (n, r) in read {
        let (messages, more) = r?;
        scanned.truncated |= more;
        scanned.messages += messages.len();
        match n.conversation {
            Conversation::Chat { .. } => scanned.chats += 1,
            Conversation::Channel { .. } => scanned.channels += 1,
        }
        out.push((n, messages));
    }
    Ok(out)
}
