//! What the Google Chat tools return: flat, snake_case views of spaces and messages, with
//! sender and mention names filled in from one batched People lookup.

use std::collections::HashMap;

use serde::Serialize;

use super::super::client::ChatClient;
use super::super::models::{Message, Space};
use super::super::people::Sender;
use crate::providers::google_chat::Context;

#[derive(Debug, Serialize)]
pub struct SpaceView {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threaded: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_active_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl From<Space> for SpaceView {
    fn from(s: Space) -> Self {
        Self {
            kind: s
                .space_type
                .clone()
                .unwrap_or_else(|| "SPACE".into())
                .to_lowercase(),
            threaded: s
                .space_threading_state
                .as_deref()
                .map(|t| t == "THREADED_MESSAGES"),
            member_count: s
                .membership_count
                .as_ref()
                .and_then(|m| m.joined_direct_human_user_count),
            description: s
                .space_details
                .and_then(|d| d.description)
                .filter(|d| !d.is_empty()),
            name: s.name,
            display_name: s.display_name.filter(|n| !n.is_empty()),
            last_active_time: s.last_active_time,
            url: s.space_uri,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct MessageView {
    pub name: String,
    pub create_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_update_time: Option<String>,
    pub sender: Sender,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread: Option<String>,
    pub thread_reply: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<Sender>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentView>,
}

#[derive(Debug, Serialize)]
pub struct AttachmentView {
    pub name: Option<String>,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
}

/// Message views with sender and mention names filled in from one batched lookup.
pub async fn message_views(
    ctx: &Context,
    client: &ChatClient,
    messages: Vec<Message>,
) -> Vec<MessageView> {
    let users: Vec<String> = messages
        .iter()
        .flat_map(|m| {
            let sender = m.sender.iter().map(|s| s.name.clone());
            let mentioned = m.annotations.iter().filter_map(|a| {
                a.user_mention
                    .as_ref()?
                    .user
                    .as_ref()
                    .map(|u| u.name.clone())
            });
            sender.chain(mentioned).collect::<Vec<_>>()
        })
        .filter(|u| u.starts_with("users/"))
        .collect();
    let names = ctx
        .names
        .resolve(client, users.iter().map(String::as_str))
        .await;
    messages
        .into_iter()
        .map(|m| message_view(m, &names))
        .collect()
}

fn sender_of(user: &super::super::models::User, names: &HashMap<String, Sender>) -> Sender {
    names.get(&user.name).cloned().unwrap_or_else(|| Sender {
        user: user.name.clone(),
        display_name: user
            .display_name
            .clone()
            .or_else(|| (user.name == "users/all").then(|| "all members".to_owned())),
        email: None,
    })
}

fn message_view(m: Message, names: &HashMap<String, Sender>) -> MessageView {
    let mut mentions: Vec<Sender> = m
        .annotations
        .iter()
        .filter(|a| a.kind.as_deref() == Some("USER_MENTION"))
        .filter_map(|a| a.user_mention.as_ref()?.user.as_ref())
        .map(|u| sender_of(u, names))
        .collect();
    mentions.dedup();
    MessageView {
        sender: m
            .sender
            .as_ref()
            .map(|u| sender_of(u, names))
            .unwrap_or_default(),
        create_time: m.create_time,
        last_update_time: m.last_update_time.filter(|t| !t.is_empty()),
        text: m.text.unwrap_or_default(),
        thread: m.thread.and_then(|t| t.name),
        thread_reply: m.thread_reply.unwrap_or(false),
        mentions,
        attachments: m
            .attachment
            .into_iter()
            .map(|a| AttachmentView {
                name: a.name,
                file_name: a.content_name,
                content_type: a.content_type,
            })
            .collect(),
        name: m.name,
    }
}
