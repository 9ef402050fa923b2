//! The emulated organisation and sign-in state: people, chats, teams, channels, messages
//! (with replies and reactions), the tokens Entra issued, and the knobs tests turn.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::Value;

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub display_name: String,
    pub mail: String,
    pub job_title: String,
}

#[derive(Debug, Clone)]
pub struct Reaction {
    pub reaction_type: String,
    pub user: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Message {
    pub id: String,
    pub from: String,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
    pub edited: Option<DateTime<Utc>>,
    pub deleted: Option<DateTime<Utc>>,
    /// `text` or `html`.
    pub content_type: String,
    pub content: String,
    pub subject: Option<String>,
    /// `message` or `systemEventMessage`.
    pub message_type: String,
    pub event: Option<Value>,
    pub attachments: Vec<Value>,
    /// (`<at id>`, user id, the text shown).
    pub mentions: Vec<(i64, String, String)>,
    pub reactions: Vec<Reaction>,
    /// Channel posts' replies.
    pub replies: Vec<Message>,
}

#[derive(Debug, Clone)]
pub struct Chat {
    pub id: String,
    pub topic: Option<String>,
    /// `oneOnOne`, `group`, `meeting`.
    pub chat_type: String,
    pub created: DateTime<Utc>,
    pub members: Vec<String>,
    pub messages: Vec<Message>,
    /// The signed-in person's `viewpoint.lastMessageReadDateTime`.
    pub last_read: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Channel {
    pub id: String,
    pub name: String,
    pub description: String,
    pub membership: String,
    pub members: Vec<String>,
    pub messages: Vec<Message>,
}

#[derive(Debug, Clone)]
pub struct Team {
    pub id: String,
    pub name: String,
    pub description: String,
    pub members: Vec<String>,
    pub channels: Vec<Channel>,
}

/// A file in someone's OneDrive or a channel's SharePoint, as a reference attachment names it.
#[derive(Debug, Clone)]
pub struct StoredFile {
    /// The attachment's `contentUrl`.
    pub url: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
    /// The pre-authenticated download path's secret part.
    pub download_token: String,
}

/// A file uploaded through Graph into a drive (a OneDrive, or a channel's files folder).
#[derive(Debug, Clone)]
pub struct DriveItem {
    pub drive: String,
    pub id: String,
    /// The folder's path from the drive root, `Microsoft Teams Chat Files` or `General`.
    pub folder: String,
    pub name: String,
    pub web_url: String,
    /// The GUID in the `eTag`, which a reference attachment's id repeats.
    pub guid: String,
    /// Emails it was shared with (`invite`).
    pub shared_with: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Org {
    pub files: Vec<StoredFile>,
    pub items: Vec<DriveItem>,
    pub users: Vec<User>,
    pub chats: Vec<Chat>,
    pub teams: Vec<Team>,
    /// Message ids are the creation time in milliseconds since the epoch, as Teams' are;
    /// a collision moves to the next free millisecond.
    pub used_ids: std::collections::BTreeSet<i64>,
}

impl Org {
    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    /// The id of a message created `at`.
    pub fn next_id(&mut self, at: DateTime<Utc>) -> String {
        let mut id = at.timestamp_millis();
        while !self.used_ids.insert(id) {
            id += 1;
        }
        id.to_string()
    }
}

/// What an access token stands for.
#[derive(Debug, Clone)]
pub struct Grant {
    pub user: String,
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct IssuedAccess {
    pub grant: Grant,
    pub expires: Instant,
}

#[derive(Debug, Clone)]
pub struct IssuedRefresh {
    pub grant: Grant,
    /// Why Entra now refuses it: an AADSTS code and its description.
    pub refused: Option<(u32, String)>,
}

#[derive(Debug, Clone)]
pub struct PendingCode {
    pub grant: Grant,
    /// The sign-in asked for `offline_access`: the answer carries a refresh token.
    pub offline: bool,
    pub redirect_uri: String,
    pub challenge: Option<(String, String)>,
    pub issued: Instant,
}

/// A device-code sign-in in progress.
#[derive(Debug, Clone)]
pub struct DeviceFlow {
    pub user_code: String,
    pub scopes: String,
    pub issued: Instant,
    pub expires_in: Duration,
    pub interval: Duration,
    pub last_poll: Option<Instant>,
    /// `None` while pending; then whether the person accepted.
    pub decided: Option<bool>,
}

/// A consent waiting on the person's click (the consent page's form).
#[derive(Debug, Clone)]
pub struct PendingConsent {
    pub query: BTreeMap<String, String>,
}

/// An injected failure: answer `status` with Graph's `code` to the next `remaining`
/// requests whose path contains `path`.
#[derive(Debug, Clone)]
pub struct Failure {
    pub path: String,
    pub status: u16,
    pub code: String,
    pub remaining: u32,
    pub retry_after: Option<u64>,
}

#[derive(Debug)]
pub struct Settings {
    pub access_token_lifetime: Duration,
    /// An administrator consented to ChannelMessage.Read.All for the organisation.
    pub admin_consent: bool,
    pub latency: Duration,
    pub failures: Vec<Failure>,
    /// The `interval` device-code answers carry (Entra's is 5 s).
    pub device_interval: Duration,
    /// The next polls answered `slow_down`, however paced.
    pub slow_downs: u32,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub status: u16,
}

#[derive(Debug)]
pub struct State {
    pub org: Org,
    pub settings: Settings,
    pub access: HashMap<String, IssuedAccess>,
    pub refresh: HashMap<String, IssuedRefresh>,
    pub codes: HashMap<String, PendingCode>,
    pub consents: HashMap<String, PendingConsent>,
    pub devices: HashMap<String, DeviceFlow>,
    pub log: Vec<LoggedRequest>,
    /// Token requests by grant type (`authorization_code`, `refresh_token`).
    pub token_calls: BTreeMap<String, u64>,
}
