//! Graph's wire types for what the Teams tools read, named as Graph names them (camelCase,
//! `@odata.*`). Every field is optional or defaulted: Graph leaves out what it has no value
//! for, and a missing field must never fail a whole list.

use serde::{Deserialize, Serialize};

/// One page of a Graph collection: `value`, and `@odata.nextLink` unless it is the last page.
#[derive(Debug, Clone, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct Page<T> {
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
    #[serde(rename = "@odata.nextLink", default)]
    pub next_link: Option<String>,
}

/// `/me` and `/users/{id}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub display_name: Option<String>,
    pub mail: Option<String>,
    pub user_principal_name: Option<String>,
    pub job_title: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct Chat {
    pub id: String,
    pub topic: Option<String>,
    /// `oneOnOne`, `group`, `meeting` (or a future value).
    pub chat_type: String,
    pub created_date_time: Option<String>,
    pub last_updated_date_time: Option<String>,
    pub web_url: Option<String>,
    /// With `$expand=members`.
    pub members: Vec<ConversationMember>,
}

/// `aadUserConversationMember`, the kind Teams chats and channels hold.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct ConversationMember {
    pub id: String,
    pub display_name: Option<String>,
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub roles: Vec<String>,
}

/// `/me/joinedTeams`
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct Team {
    pub id: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub is_archived: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct Channel {
    pub id: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    /// `standard`, `private`, `shared`.
    pub membership_type: Option<String>,
    pub web_url: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct ChatMessage {
    pub id: String,
    /// The post a channel reply answers.
    pub reply_to_id: Option<String>,
    /// `message`, `chatEvent`, `typing`, `systemEventMessage`.
    pub message_type: Option<String>,
    pub created_date_time: Option<String>,
    pub last_modified_date_time: Option<String>,
    pub last_edited_date_time: Option<String>,
    pub deleted_date_time: Option<String>,
    pub subject: Option<String>,
    pub chat_id: Option<String>,
    pub channel_identity: Option<ChannelIdentity>,
    pub from: Option<IdentitySet>,
    pub body: ItemBody,
    pub attachments: Vec<Attachment>,
    pub mentions: Vec<Mention>,
    pub reactions: Vec<Reaction>,
    pub web_url: Option<String>,
    pub event_detail: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct ChannelIdentity {
    pub team_id: Option<String>,
    pub channel_id: Option<String>,
}

/// Who did something: a person, an app or a device.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct IdentitySet {
    pub user: Option<Identity>,
    pub application: Option<Identity>,
    pub device: Option<Identity>,
    /// In a mention: the channel or team mentioned as a whole.
    pub conversation: Option<ConversationIdentity>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct ConversationIdentity {
    pub id: Option<String>,
    pub display_name: Option<String>,
    /// `team`, `channel` or `chat`.
    pub conversation_identity_type: Option<String>,
}

impl IdentitySet {
    /// `channel` or `team` when a whole channel or team is mentioned.
    pub fn conversation_kind(&self) -> Option<&'static str> {
        match self
            .conversation
            .as_ref()?
            .conversation_identity_type
            .as_deref()?
        {
            "channel" => Some("channel"),
            "team" => Some("team"),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct Identity {
    pub id: Option<String>,
    pub display_name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct ItemBody {
    /// `text` or `html`.
    pub content_type: Option<String>,
    pub content: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct Attachment {
    pub id: Option<String>,
    /// `reference` (a file), `messageReference` (a quoted message), a card type…
    pub content_type: Option<String>,
    pub content_url: Option<String>,
    pub content: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct Mention {
    /// Matches `<at id="N">` in the body.
    pub id: i64,
    pub mention_text: Option<String>,
    pub mentioned: Option<IdentitySet>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct Reaction {
    /// A Unicode emoji, or one of the older names (`like`, `heart`, …).
    pub reaction_type: String,
    pub display_name: Option<String>,
    pub created_date_time: Option<String>,
    pub user: Option<IdentitySet>,
}

impl ChatMessage {
    /// The sender's id and name, when a person sent it.
    pub fn sender(&self) -> (Option<&str>, Option<&str>) {
        let who = self
            .from
            .as_ref()
            .and_then(|f| f.user.as_ref().or(f.application.as_ref()));
        (
            who.and_then(|u| u.id.as_deref()),
            who.and_then(|u| u.display_name.as_deref()),
        )
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted_date_time.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_graph_message_reads_with_missing_and_unknown_fields() {
        let m: ChatMessage = serde_json::from_value(serde_json::json!({
            "@odata.etag": "1",
            "id": "1700000000000",
            "messageType": "message",
            "createdDateTime": "2026-01-02T03:04:05.678Z",
            "from": {"user": {"@odata.type": "#microsoft.graph.teamworkUserIdentity", "id": "u1", "displayName": "Ana", "userIdentityType": "aadUser"}},
            "body": {"contentType": "html", "content": "<p>hi</p>"},
            "policyViolation": null
        }))
        .unwrap();
        assert_eq!(m.sender(), (Some("u1"), Some("Ana")));
        assert!(m.attachments.is_empty() && !m.is_deleted());
        let page: Page<Chat> =
            serde_json::from_value(serde_json::json!({"value": [], "@odata.count": 0})).unwrap();
        assert!(page.next_link.is_none());
    }
}
