//! The emulator's in-memory world: chat data, OAuth grants, knob settings and the request log.
//!
//! Everything sits behind one `std::sync::Mutex`: handlers lock it briefly, never across an
//! `.await`, so a plain mutex is both simpler and faster than an async one. Chat and People
//! resources are stored in an internal form and rendered to Google's JSON by the handler
//! modules, which keeps the wire shape in one place per resource.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde::{Deserialize, Serialize};

use super::data::{self, SeedUser};

/// The kind of a space, as `spaceType` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpaceKind {
    Space,
    GroupChat,
    DirectMessage,
}

impl SpaceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SpaceKind::Space => "SPACE",
            SpaceKind::GroupChat => "GROUP_CHAT",
            SpaceKind::DirectMessage => "DIRECT_MESSAGE",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Space {
    /// The id after `spaces/`.
    pub id: String,
    pub kind: SpaceKind,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub create_time: DateTime<Utc>,
    pub last_active: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Member,
    Manager,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "ROLE_MEMBER",
            Role::Manager => "ROLE_MANAGER",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Member {
    pub space: String,
    /// Numeric user id (the part after `users/`).
    pub user: String,
    pub role: Role,
    pub create_time: DateTime<Utc>,
}

/// A `USER_MENTION` annotation; `user` is a numeric id or `all`.
#[derive(Debug, Clone)]
pub struct Mention {
    pub start: usize,
    pub length: usize,
    pub user: String,
}

#[derive(Debug, Clone)]
pub struct Attachment {
    /// The id after `attachments/`.
    pub id: String,
    /// Key into `ChatState::media` (`attachmentDataRef.resourceName`).
    pub media: String,
    pub filename: String,
    pub content_type: String,
}

#[derive(Debug, Clone)]
pub struct Message {
    pub space: String,
    /// The id after `messages/` (`XXXXXXXXXXX.YYYYYYYYYYY`).
    pub id: String,
    /// The id after `threads/`.
    pub thread: String,
    pub sender: String,
    pub create_time: DateTime<Utc>,
    pub update_time: Option<DateTime<Utc>>,
    pub text: String,
    pub mentions: Vec<Mention>,
    pub reply: bool,
    pub client_id: Option<String>,
    pub deleted: Option<DateTime<Utc>>,
    pub attachments: Vec<Attachment>,
    /// `(caller, requestId)` that created it, for idempotent retries.
    pub request_id: Option<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct Reaction {
    pub id: String,
    pub space: String,
    pub message: String,
    pub user: String,
    pub emoji: String,
}

/// An uploaded (or seeded) blob.
#[derive(Debug, Clone)]
pub struct Media {
    pub space: String,
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Default)]
pub struct ChatState {
    pub spaces: Vec<Space>,
    pub members: Vec<Member>,
    /// Messages per space id, ascending by `create_time`.
    pub messages: BTreeMap<String, Vec<Message>>,
    /// `(space, threadKey)` → thread id.
    pub thread_keys: HashMap<(String, String), String>,
    pub reactions: Vec<Reaction>,
    pub media: HashMap<String, Media>,
    /// `(user, space)` → last read time.
    pub read_states: HashMap<(String, String), DateTime<Utc>>,
}

impl ChatState {
    pub fn space(&self, id: &str) -> Option<&Space> {
        self.spaces.iter().find(|s| s.id == id)
    }

    pub fn is_member(&self, space: &str, user: &str) -> bool {
        self.members
            .iter()
            .any(|m| m.space == space && m.user == user)
    }

    pub fn members_of(&self, space: &str) -> impl Iterator<Item = &Member> {
        self.members.iter().filter(move |m| m.space == space)
    }

    /// Finds a live or deleted message by its id or its `client-…` id.
    pub fn message_index(&self, space: &str, id: &str) -> Option<usize> {
        let list = self.messages.get(space)?;
        list.iter()
            .position(|m| m.id == id || m.client_id.as_deref() == Some(id))
    }

    pub fn message(&self, space: &str, id: &str) -> Option<&Message> {
        let i = self.message_index(space, id)?;
        self.messages.get(space).map(|l| &l[i])
    }

    pub fn thread_exists(&self, space: &str, thread: &str) -> bool {
        self.messages
            .get(space)
            .is_some_and(|l| l.iter().any(|m| m.thread == thread && m.deleted.is_none()))
    }

    pub fn latest_message_time(&self, space: &str) -> Option<DateTime<Utc>> {
        self.messages
            .get(space)?
            .iter()
            .rev()
            .find(|m| m.deleted.is_none())
            .map(|m| m.create_time)
    }
}

/// An authorization request waiting on the consent page.
#[derive(Debug, Clone)]
pub struct PendingAuth {
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub code_challenge: String,
    pub offline: bool,
    pub prompt_consent: bool,
    pub user: String,
}

#[derive(Debug, Clone)]
pub struct AuthCode {
    pub auth: PendingAuth,
    pub expires: Instant,
}

/// One user's consent to the client: the family of refresh and access tokens it issued.
#[derive(Debug, Clone)]
pub struct Grant {
    pub user: String,
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct RefreshToken {
    pub grant: u64,
    /// Set when rotation replaced this token; it keeps working until then.
    pub retire_at: Option<Instant>,
}

#[derive(Debug, Clone)]
pub struct AccessToken {
    pub user: String,
    pub scopes: Vec<String>,
    pub expires: Instant,
    pub grant: u64,
}

#[derive(Debug, Default)]
pub struct OAuthState {
    pub pending: HashMap<String, PendingAuth>,
    pub codes: HashMap<String, AuthCode>,
    pub grants: HashMap<u64, Grant>,
    pub next_grant: u64,
    pub refresh_tokens: HashMap<String, RefreshToken>,
    pub access_tokens: HashMap<String, AccessToken>,
}

impl OAuthState {
    /// Drops a grant with every refresh and access token it issued.
    pub fn revoke_grant(&mut self, grant: u64) {
        self.grants.remove(&grant);
        self.refresh_tokens.retain(|_, r| r.grant != grant);
        self.access_tokens.retain(|_, a| a.grant != grant);
    }
}

/// One injected failure rule (see `Knobs::fail_next`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FailureSpec {
    /// HTTP status to answer (429, 500, 503, …).
    pub status: u16,
    /// How many matching requests fail; 1 when omitted.
    #[serde(default = "one")]
    pub count: u32,
    /// Only requests whose path starts with this fail (`/v1/spaces`, `/token`).
    #[serde(default)]
    pub path_prefix: Option<String>,
    /// Seconds for a `Retry-After` header.
    #[serde(default)]
    pub retry_after: Option<u64>,
}

fn one() -> u32 {
    1
}

/// Per-space request quotas (Google: ~900 reads and 60 writes per minute per space).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct SpaceQuotas {
    pub reads_per_minute: u32,
    pub writes_per_minute: u32,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub token_lifetime: Duration,
    pub latency: Duration,
    pub failures: Vec<FailureSpec>,
    pub consent_user: Option<String>,
    /// Grace period for rotated refresh tokens; `None` = rotation off (Google's default).
    pub rotation_grace: Option<Duration>,
    pub quotas: Option<SpaceQuotas>,
}

impl Settings {
    pub fn new(token_lifetime: Duration) -> Self {
        Self {
            token_lifetime,
            latency: Duration::ZERO,
            failures: Vec::new(),
            consent_user: None,
            rotation_grace: None,
            quotas: None,
        }
    }
}

/// One logged request: no headers, no bodies, token-bearing query values redacted.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub status: u16,
    /// RFC 3339 time the request arrived.
    pub time: String,
}

pub struct State {
    pub chat: ChatState,
    pub oauth: OAuthState,
    pub settings: Settings,
    pub log: Vec<LoggedRequest>,
    /// Token-endpoint requests by `grant_type`.
    pub grant_counts: BTreeMap<String, u64>,
    /// `(space, is_write)` → (window start, requests in window).
    pub quota_windows: HashMap<(String, bool), (Instant, u32)>,
}

/// Everything a handler needs, shared behind an `Arc`.
pub struct Emu {
    pub client_id: String,
    pub client_secret: String,
    pub auto_consent: bool,
    /// `EmulatorConfig::access_token_lifetime`, restored by `Knobs::reset`.
    pub default_lifetime: Duration,
    pub state: Mutex<State>,
    /// The `CHATKEY_EMULATOR_REQUEST_LOG` file, if any.
    pub log_file: Mutex<Option<std::fs::File>>,
}

impl Emu {
    /// Locks the state; a handler that panicked mid-update leaves it usable for the others.
    pub fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The current time at Google's precision (microseconds), so a stored time and its rendering
/// compare the same way in filters.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// RFC 3339 with microseconds and `Z`, as Google writes timestamps.
pub fn fmt_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A fresh random id of `len` characters from `[A-Za-z0-9]`.
pub fn random_id(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// Looks up a seeded user by numeric id, `users/ID`, `people/ID` or email.
pub fn find_user(key: &str) -> Option<&'static SeedUser> {
    let key = key
        .strip_prefix("users/")
        .or_else(|| key.strip_prefix("people/"))
        .unwrap_or(key);
    data::USERS
        .iter()
        .find(|u| u.id == key || u.email.eq_ignore_ascii_case(key))
        // The generated directory behind `Knobs::add_bulk_spaces`.
        .or_else(|| super::bulk::find(key))
}
