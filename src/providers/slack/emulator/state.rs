//! The Slack emulator's in-memory world: the workspace, OAuth grants and tokens, knob settings,
//! rate-limit windows and the request log.
//!
//! Everything sits behind one `std::sync::Mutex`, locked briefly and never across an `.await`.
//! Workspace objects are stored in an internal form and rendered to Slack's JSON in `render`,
//! so each wire shape lives in one place.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// A Slack message timestamp (`"1712345678.123456"`), held as microseconds since the epoch.
/// It is also the message's id within its conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ts(pub i64);

impl Ts {
    pub fn from_datetime(t: DateTime<Utc>) -> Self {
        Ts(t.timestamp_micros())
    }

    pub fn now() -> Self {
        Self::from_datetime(Utc::now())
    }

    /// Whole seconds (what `created`, `date_create` and friends carry).
    pub fn secs(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    /// Parses Slack's forms: `1712345678.123456`, `1712345678`, `1712345678.5`. `None` for
    /// anything else (Slack answers `invalid_ts_latest` / `invalid_ts_oldest` or ignores it).
    pub fn parse(text: &str) -> Option<Self> {
        let (secs, frac) = text.split_once('.').unwrap_or((text, ""));
        if secs.is_empty() || !secs.bytes().all(|b| b.is_ascii_digit()) || secs.len() > 12 {
            return None;
        }
        if frac.len() > 6 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let micros = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<6}").parse::<i64>().ok()?
        };
        Some(Ts(secs.parse::<i64>().ok()? * 1_000_000 + micros))
    }

    /// The `p…` segment of a permalink: the ts without its dot.
    pub fn permalink_id(self) -> String {
        format!("p{}{:06}", self.secs(), self.0.rem_euclid(1_000_000))
    }
}

impl std::fmt::Display for Ts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:06}", self.secs(), self.0.rem_euclid(1_000_000))
    }
}

/// A person (or Slackbot) in the workspace directory.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    /// The handle (`alex.rivera`), Slack's `name`.
    pub name: String,
    pub real_name: String,
    pub display_name: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub title: String,
    pub tz: &'static str,
    pub tz_label: &'static str,
    pub tz_offset: i64,
    pub color: &'static str,
    pub is_admin: bool,
    pub is_owner: bool,
    pub is_bot: bool,
    pub deleted: bool,
    pub status_text: String,
    pub status_emoji: String,
}

/// Slack's four conversation types, as `types` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConvKind {
    Public,
    Private,
    Im,
    Mpim,
}

impl ConvKind {
    pub fn type_name(self) -> &'static str {
        match self {
            ConvKind::Public => "public_channel",
            ConvKind::Private => "private_channel",
            ConvKind::Im => "im",
            ConvKind::Mpim => "mpim",
        }
    }

    pub fn from_type_name(name: &str) -> Option<Self> {
        [Self::Public, Self::Private, Self::Im, Self::Mpim]
            .into_iter()
            .find(|k| k.type_name() == name)
    }
}

#[derive(Debug, Clone)]
pub struct Conversation {
    pub id: String,
    pub kind: ConvKind,
    /// Empty for IMs; `mpdm-a--b--c-1` for group DMs.
    pub name: String,
    pub created: i64,
    pub creator: String,
    pub is_archived: bool,
    pub is_general: bool,
    pub topic: String,
    pub purpose: String,
    pub members: Vec<String>,
}

impl Conversation {
    pub fn is_member(&self, user: &str) -> bool {
        self.members.iter().any(|m| m == user)
    }

    /// Whether `user` may see it at all: public channels are visible to everyone in the
    /// workspace, everything else only to its members (others get `channel_not_found`).
    pub fn visible_to(&self, user: &str) -> bool {
        self.kind == ConvKind::Public || self.is_member(user)
    }

    /// The other person in an IM.
    pub fn im_peer(&self, user: &str) -> Option<&str> {
        let mut others = self.members.iter().filter(|m| *m != user);
        let first = others.next().or(self.members.first())?;
        Some(first.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct Reaction {
    pub name: String,
    pub users: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Message {
    pub ts: Ts,
    pub user: String,
    pub text: String,
    /// The parent's ts for a reply; the message's own ts for a parent that has replies.
    pub thread_ts: Option<Ts>,
    /// A reply also sent to the channel (`subtype: thread_broadcast`).
    pub broadcast: bool,
    /// A deleted parent whose replies remain (`subtype: tombstone`).
    pub tombstone: bool,
    pub edited: Option<(String, Ts)>,
    pub reactions: Vec<Reaction>,
    pub files: Vec<String>,
    pub client_msg_id: Option<String>,
}

impl Message {
    pub fn is_reply(&self) -> bool {
        self.thread_ts.is_some_and(|t| t != self.ts)
    }

    /// In `conversations.history`: top-level messages and thread broadcasts.
    pub fn in_history(&self) -> bool {
        !self.is_reply() || self.broadcast
    }
}

#[derive(Debug, Clone)]
pub struct File {
    pub id: String,
    pub name: String,
    pub title: String,
    pub mimetype: String,
    pub filetype: String,
    pub pretty_type: String,
    pub user: String,
    pub created: i64,
    pub bytes: Vec<u8>,
    pub alt_txt: Option<String>,
    /// Conversations it was shared to, with the ts of each share's message.
    pub shares: Vec<(String, Ts)>,
}

#[derive(Debug, Clone)]
pub struct Team {
    pub id: &'static str,
    pub name: &'static str,
    pub domain: &'static str,
    pub email_domain: &'static str,
}

#[derive(Debug, Default)]
pub struct Workspace {
    pub users: Vec<User>,
    pub convs: Vec<Conversation>,
    /// Messages per conversation id, ascending by ts (replies interleaved with the rest).
    pub messages: HashMap<String, Vec<Message>>,
    pub files: HashMap<String, File>,
    /// `(user, conversation)` → the user's read cursor.
    pub last_read: HashMap<(String, String), Ts>,
}

impl Workspace {
    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    pub fn conv(&self, id: &str) -> Option<&Conversation> {
        self.convs.iter().find(|c| c.id == id)
    }

    pub fn message(&self, conv: &str, ts: Ts) -> Option<&Message> {
        let list = self.messages.get(conv)?;
        list.binary_search_by_key(&ts, |m| m.ts)
            .ok()
            .map(|i| &list[i])
    }

    pub fn message_mut(&mut self, conv: &str, ts: Ts) -> Option<&mut Message> {
        let list = self.messages.get_mut(conv)?;
        let i = list.binary_search_by_key(&ts, |m| m.ts).ok()?;
        Some(&mut list[i])
    }

    /// The replies of the thread rooted at `parent`, oldest first.
    pub fn replies(&self, conv: &str, parent: Ts) -> impl Iterator<Item = &Message> {
        self.messages
            .get(conv)
            .into_iter()
            .flatten()
            .filter(move |m| m.thread_ts == Some(parent) && m.ts != parent)
    }

    /// A fresh ts in `conv`: now, or just after its newest message (ts are unique per channel).
    pub fn next_ts(&self, conv: &str) -> Ts {
        let now = Ts::now();
        match self.messages.get(conv).and_then(|l| l.last()) {
            Some(last) if last.ts >= now => Ts(last.ts.0 + 1),
            _ => now,
        }
    }

    /// Inserts keeping the order by ts.
    pub fn insert_message(&mut self, conv: &str, message: Message) {
        let list = self.messages.entry(conv.to_string()).or_default();
        let i = list.partition_point(|m| m.ts < message.ts);
        list.insert(i, message);
    }
}

/// An authorization request waiting on the consent page.
#[derive(Debug, Clone)]
pub struct PendingAuth {
    pub redirect_uri: String,
    /// Whether the request named `redirect_uri` (then the exchange must name it too).
    pub redirect_given: bool,
    pub user_scopes: Vec<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub user: String,
}

#[derive(Debug, Clone)]
pub struct AuthCode {
    pub auth: PendingAuth,
    pub expires: Instant,
}

/// One user's authorization of the app: the family of tokens it issued.
#[derive(Debug, Clone)]
pub struct Grant {
    pub user: String,
    pub scopes: Vec<String>,
    pub revoked: bool,
}

#[derive(Debug, Clone)]
pub struct AccessToken {
    pub grant: u64,
    /// `None` for a long-lived (non-rotating) `xoxp-` token.
    pub expires: Option<Instant>,
}

#[derive(Debug, Clone)]
pub struct RefreshToken {
    pub grant: u64,
    pub expires: Option<Instant>,
}

#[derive(Debug, Default)]
pub struct OAuthState {
    pub pending: HashMap<String, PendingAuth>,
    pub codes: HashMap<String, AuthCode>,
    pub grants: HashMap<u64, Grant>,
    pub next_grant: u64,
    pub access: HashMap<String, AccessToken>,
    pub refresh: HashMap<String, RefreshToken>,
}

impl OAuthState {
    /// Ends a grant: its access tokens answer `token_revoked`, its refresh tokens are gone.
    pub fn revoke_grant(&mut self, grant: u64) {
        if let Some(g) = self.grants.get_mut(&grant) {
            g.revoked = true;
        }
        self.refresh.retain(|_, r| r.grant != grant);
    }
}

/// One injected failure rule (see `Knobs::fail_next`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FailureSpec {
    /// Only this Web API method fails (`chat.postMessage`); every request when omitted.
    #[serde(default)]
    pub method: Option<String>,
    /// 429 (`ratelimited` with `Retry-After`), a 5xx, or 200 for an `ok: false` answer.
    pub status: u16,
    /// The `error` of an `ok: false` answer (status 200); Slack's own code for 429 and 5xx
    /// when omitted.
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub retry_after: Option<u64>,
    /// How many matching requests fail; 1 when omitted.
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

/// Which redirect URIs the app registered and whether it is a public (PKCE) client.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AppSettings {
    pub redirect_urls: Vec<String>,
    /// PKCE enabled: a public client that sends no client secret.
    pub pkce: bool,
    /// Token rotation on: expiring `xoxe.xoxp-` tokens plus refresh tokens.
    pub token_rotation: bool,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub app: AppSettings,
    pub access_token_lifetime: Duration,
    /// `None`: refresh tokens never expire (Slack's default without PKCE).
    pub refresh_token_lifetime: Option<Duration>,
    pub consent_user: Option<String>,
    /// Scopes the consent grants whatever was asked (`None`: exactly what was asked).
    pub granted_scopes: Option<Vec<String>>,
    pub latency: Duration,
    pub method_latency: BTreeMap<String, Duration>,
    pub failures: Vec<FailureSpec>,
    /// Multiplies every tier's limit; `None` never limits.
    pub rate_limit_scale: Option<f64>,
    /// The app is distributed outside the Marketplace: conversations.history and .replies
    /// drop to Tier 1 and at most 15 messages a page (Slack's rule since 2025-05-29).
    pub marketplace_restricted: bool,
    /// Every second page of a cursor-paged list holds fewer items than `limit`.
    pub short_pages: bool,
}

/// One logged request: the method and parameter names only (no values, headers or bodies).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LoggedRequest {
    pub http_method: String,
    pub path: String,
    /// The Web API method (`chat.postMessage`), `oauth/v2/authorize`, or `""` for others
    /// (upload URLs, file downloads, the consent form).
    pub api_method: String,
    /// Argument names from the query and the body, sorted, once each.
    pub params: Vec<String>,
    /// `query`, `form`, `json`, `multipart` or `raw`.
    pub body: String,
    pub status: u16,
    /// `error` of an `ok: false` answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

pub struct State {
    pub ws: Workspace,
    pub oauth: OAuthState,
    pub settings: Settings,
    pub log: Vec<LoggedRequest>,
    /// Calls per Web API method, answered or not.
    pub calls: BTreeMap<String, u64>,
    /// `(user, method or method#channel)` → times of the requests in the current window.
    pub rate_windows: HashMap<(String, String), Vec<Instant>>,
    /// Upload URLs handed out by files.getUploadURLExternal and not yet completed.
    pub uploads: HashMap<String, super::files::PendingUpload>,
}

/// Everything a handler needs, shared behind an `Arc`.
pub struct Emu {
    /// The seeded messages tests name (fixed at start).
    pub refs: super::seed::SeedRefs,
    pub client_id: String,
    pub client_secret: String,
    pub app_id: String,
    pub auto_consent: bool,
    pub default_settings: Settings,
    pub state: Mutex<State>,
    /// The `CHATKEY_SLACK_EMULATOR_REQUEST_LOG` file, if any.
    pub log_file: Mutex<Option<std::fs::File>>,
}

impl Emu {
    /// Locks the state; a handler that panicked mid-update leaves it usable for the others.
    pub fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `len` random characters from Slack's id alphabet (upper-case letters and digits).
pub fn random_upper(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// `len` random lower-case hex digits (token and code tails).
pub fn random_hex(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
}

/// `len` random decimal digits.
pub fn random_digits(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ts_round_trips_and_orders() {
        let t = Ts::parse("1712345678.000042").unwrap();
        assert_eq!(t.to_string(), "1712345678.000042");
        assert_eq!(t.permalink_id(), "p1712345678000042");
        assert_eq!(
            Ts::parse("1712345678").unwrap().to_string(),
            "1712345678.000000"
        );
        assert_eq!(
            Ts::parse("1712345678.5").unwrap().to_string(),
            "1712345678.500000"
        );
        assert!(Ts::parse("1712345678.1234567").is_none());
        assert!(Ts::parse("abc").is_none());
        assert!(Ts::parse("").is_none());
        assert!(Ts::parse("-5").is_none());
        assert!(Ts::parse("1.5").unwrap() < Ts::parse("2").unwrap());
    }
}
