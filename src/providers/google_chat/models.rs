//! The Google Chat and People API resources chatkey reads, as they arrive on the wire.
//!
//! Only fields chatkey uses are declared; unknown fields are ignored because Google adds
//! fields over time. Every field is optional or defaulted for the same reason: a missing
//! field must not fail a whole page.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Space {
    pub name: String,
    pub display_name: Option<String>,
    pub space_type: Option<String>,
    pub single_user_bot_dm: Option<bool>,
    pub space_threading_state: Option<String>,
    pub create_time: Option<String>,
    pub last_active_time: Option<String>,
    pub space_uri: Option<String>,
    pub membership_count: Option<MembershipCount>,
    pub space_details: Option<SpaceDetails>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MembershipCount {
    pub joined_direct_human_user_count: Option<u32>,
    pub joined_group_count: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SpaceDetails {
    pub description: Option<String>,
    pub guidelines: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListSpacesResponse {
    pub spaces: Vec<Space>,
    pub next_page_token: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct User {
    pub name: String,
    pub display_name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Thread {
    pub name: Option<String>,
    pub thread_key: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Annotation {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub start_index: Option<u32>,
    pub length: Option<u32>,
    pub user_mention: Option<UserMention>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserMention {
    pub user: Option<User>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Attachment {
    pub name: Option<String>,
    pub content_name: Option<String>,
    pub content_type: Option<String>,
    pub source: Option<String>,
    pub attachment_data_ref: Option<AttachmentDataRef>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AttachmentDataRef {
    pub resource_name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Message {
    pub name: String,
    pub sender: Option<User>,
    pub create_time: Option<String>,
    pub last_update_time: Option<String>,
    pub delete_time: Option<String>,
    pub text: Option<String>,
    pub formatted_text: Option<String>,
    pub argument_text: Option<String>,
    pub thread: Option<Thread>,
    pub thread_reply: Option<bool>,
    pub space: Option<Space>,
    pub annotations: Vec<Annotation>,
    pub attachment: Vec<Attachment>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListMessagesResponse {
    pub messages: Vec<Message>,
    pub next_page_token: Option<String>,
}

/// The body of `spaces.messages.create` as chatkey sends it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewMessage {
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread: Option<Thread>,
}

/// `people.getBatchGet` answer.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BatchGetPeopleResponse {
    pub responses: Vec<PersonResponse>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PersonResponse {
    pub requested_resource_name: Option<String>,
    pub person: Option<Person>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Person {
    pub resource_name: Option<String>,
    pub names: Vec<PersonName>,
    pub email_addresses: Vec<EmailAddress>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PersonName {
    pub display_name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EmailAddress {
    pub value: Option<String>,
}

/// OpenID Connect userinfo: who signed in.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct UserInfo {
    pub sub: String,
    pub email: Option<String>,
    pub name: Option<String>,
    /// The oauth2/v2 userinfo shape names the id `id`; accept both so either URL works.
    pub id: Option<String>,
}

/// Google's error envelope (AIP-193).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ErrorBody {
    pub code: u16,
    pub message: String,
    pub status: String,
    pub details: Vec<serde_json::Value>,
}

impl ErrorBody {
    /// The `reason` of the first `google.rpc.ErrorInfo` detail (`ACCESS_TOKEN_EXPIRED`, …).
    pub fn reason(&self) -> Option<&str> {
        self.details.iter().find_map(|d| {
            let is_info = d
                .get("@type")
                .and_then(|t| t.as_str())
                .is_some_and(|t| t.ends_with("google.rpc.ErrorInfo"));
            if is_info {
                d.get("reason").and_then(|r| r.as_str())
            } else {
                None
            }
        })
    }
}
