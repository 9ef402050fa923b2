//! Wire types for memberships, a space's full details and one person from the People API,
//! as the space, people and member tools read them.
//!
//! Like `models.rs`, every field is optional or defaulted and unknown fields are ignored:
//! Google adds fields over time and a missing one must not fail the whole answer.

use serde::{Deserialize, Serialize};

use super::models::{EmailAddress, PersonName, Space, User};

/// `spaces.get` with the fields only `google_chat_get_space` shows, on top of `Space`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SpaceFull {
    #[serde(flatten)]
    pub space: Space,
    pub space_history_state: Option<String>,
    pub external_user_allowed: Option<bool>,
    pub access_settings: Option<AccessSettings>,
    pub import_mode: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AccessSettings {
    pub access_state: Option<String>,
}

/// `Membership`: a user (`member`) or a Google Group (`groupMember`) in a space.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Membership {
    /// `spaces/{space}/members/{member}`.
    pub name: String,
    /// `JOINED`, `INVITED`, `NOT_A_MEMBER`.
    pub state: Option<String>,
    /// `ROLE_MEMBER`, `ROLE_MANAGER`.
    pub role: Option<String>,
    pub member: Option<User>,
    pub group_member: Option<GroupRef>,
    pub create_time: Option<String>,
    pub delete_time: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupRef {
    /// `groups/{group}`.
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListMembershipsResponse {
    pub memberships: Vec<Membership>,
    pub next_page_token: Option<String>,
}

/// The body of `spaces.members.create` for a human user.
#[derive(Debug, Clone, Serialize)]
pub struct NewMembership {
    pub member: NewMember,
}

#[derive(Debug, Clone, Serialize)]
pub struct NewMember {
    /// `users/{id}` or `users/{email}` (Google accepts an email alias for user calls).
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// `people.get` with names, email addresses and photos.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PersonFull {
    pub resource_name: Option<String>,
    pub names: Vec<PersonName>,
    pub email_addresses: Vec<EmailAddress>,
    pub photos: Vec<Photo>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Photo {
    pub url: Option<String>,
    /// True when this is the generic placeholder rather than a picture the person chose.
    pub default: Option<bool>,
}

impl PersonFull {
    pub fn display_name(&self) -> Option<String> {
        self.names
            .iter()
            .find_map(|n| n.display_name.clone())
            .filter(|n| !n.is_empty())
    }

    pub fn email(&self) -> Option<String> {
        self.email_addresses
            .iter()
            .find_map(|e| e.value.clone())
            .filter(|e| !e.is_empty())
    }

    /// A photo the person chose, else the placeholder.
    pub fn photo_url(&self) -> Option<String> {
        self.photos
            .iter()
            .find(|p| p.default != Some(true))
            .or_else(|| self.photos.first())
            .and_then(|p| p.url.clone())
    }
}
