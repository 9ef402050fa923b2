//! Slack Web API answers as chatkey reads them: lenient on purpose (every field optional,
//! unknown fields ignored, `blocks` and `attachments` not read), so a field Slack adds or
//! drops never breaks a tool. Field names are Slack's (`@slack/web-api`'s response types).
//! The `ok`/`error` envelope is read by the client before these are.

use serde::Deserialize;

/// `response_metadata` of a cursor-paged answer.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct ResponseMetadata {
    /// Empty or absent on the last page.
    pub next_cursor: Option<String>,
}

impl ResponseMetadata {
    /// The cursor of the next page, `None` on the last one.
    pub fn next(&self) -> Option<&str> {
        self.next_cursor.as_deref().filter(|c| !c.is_empty())
    }
}

/// A topic or purpose.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct TextValue {
    pub value: Option<String>,
    pub creator: Option<String>,
    pub last_set: Option<i64>,
}

/// A channel, private channel, DM (`is_im`) or group DM (`is_mpim`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Conversation {
    pub id: String,
    pub name: Option<String>,
    pub name_normalized: Option<String>,
    pub is_channel: bool,
    pub is_group: bool,
    pub is_im: bool,
    pub is_mpim: bool,
    pub is_private: bool,
    pub is_archived: bool,
    pub is_general: bool,
    pub is_member: Option<bool>,
    pub is_ext_shared: bool,
    pub is_shared: bool,
    /// The other person of a DM.
    pub user: Option<String>,
    pub created: Option<i64>,
    pub creator: Option<String>,
    pub topic: Option<TextValue>,
    pub purpose: Option<TextValue>,
    pub num_members: Option<u64>,
    /// The `ts` up to which the person has read (conversations.info).
    pub last_read: Option<String>,
    pub unread_count: Option<u64>,
    pub unread_count_display: Option<u64>,
    pub context_team_id: Option<String>,
    pub updated: Option<i64>,
}

/// Who last edited a message, and when.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Edited {
    pub user: Option<String>,
    pub ts: Option<String>,
}

/// One emoji's reactions on a message.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Reaction {
    /// Slack's emoji name, possibly with a skin tone (`+1::skin-tone-2`).
    pub name: String,
    pub count: u64,
    /// The people who reacted (Slack may list fewer than `count`).
    pub users: Vec<String>,
}

/// A file shared in a message, or files.info's answer.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct File {
    pub id: String,
    pub name: Option<String>,
    pub title: Option<String>,
    pub mimetype: Option<String>,
    pub filetype: Option<String>,
    pub pretty_type: Option<String>,
    pub user: Option<String>,
    pub size: Option<u64>,
    pub created: Option<i64>,
    pub mode: Option<String>,
    pub is_external: bool,
    /// Download with the token in the `Authorization` header, never in the URL.
    pub url_private: Option<String>,
    pub url_private_download: Option<String>,
    pub permalink: Option<String>,
    /// Where it was shared (files.info only), by conversation id.
    pub shares: FileShares,
}

/// files.info's `shares`: the messages that carry a file, under `public` for public channels
/// and `private` for the rest.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct FileShares {
    pub public: std::collections::BTreeMap<String, Vec<FileShare>>,
    pub private: std::collections::BTreeMap<String, Vec<FileShare>>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct FileShare {
    pub ts: String,
    pub thread_ts: Option<String>,
}

impl FileShares {
    /// The messages in `channel` that carry the file.
    pub fn in_channel(&self, channel: &str) -> impl Iterator<Item = &FileShare> {
        self.public
            .get(channel)
            .into_iter()
            .chain(self.private.get(channel))
            .flatten()
    }
}

/// A bot's profile on a message it posted.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct BotProfile {
    pub id: Option<String>,
    pub name: Option<String>,
}

/// A message from conversations.history / conversations.replies / chat.postMessage.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Message {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// `thread_broadcast`, `bot_message`, `channel_join`, …; absent for ordinary messages.
    pub subtype: Option<String>,
    pub ts: String,
    /// Set on thread parents (equal to `ts`) and replies.
    pub thread_ts: Option<String>,
    pub parent_user_id: Option<String>,
    pub user: Option<String>,
    pub bot_id: Option<String>,
    pub bot_profile: Option<BotProfile>,
    pub app_id: Option<String>,
    /// Shown instead of a user for some bot and webhook messages.
    pub username: Option<String>,
    /// mrkdwn (see `mrkdwn::render`).
    pub text: Option<String>,
    pub team: Option<String>,
    pub reply_count: Option<u64>,
    pub reply_users_count: Option<u64>,
    pub reply_users: Vec<String>,
    pub latest_reply: Option<String>,
    /// On a thread parent in conversations.replies: how far the person read the thread.
    pub last_read: Option<String>,
    pub reactions: Vec<Reaction>,
    pub files: Vec<File>,
    pub edited: Option<Edited>,
    pub is_locked: Option<bool>,
    pub hidden: Option<bool>,
}

impl Message {
    /// A reply in a thread (not the parent, which has `thread_ts == ts`).
    pub fn is_reply(&self) -> bool {
        self.thread_ts.as_deref().is_some_and(|t| t != self.ts)
    }
    /// A reply also sent to the channel.
    pub fn is_broadcast(&self) -> bool {
        self.subtype.as_deref() == Some("thread_broadcast")
    }
}

/// A person's profile fields.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Profile {
    pub display_name: Option<String>,
    pub display_name_normalized: Option<String>,
    pub real_name: Option<String>,
    pub real_name_normalized: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Present only with the `users:read.email` scope.
    pub email: Option<String>,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub status_text: Option<String>,
    pub status_emoji: Option<String>,
    pub bot_id: Option<String>,
    pub image_72: Option<String>,
}

/// A member of the workspace (users.info, users.list).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct User {
    pub id: String,
    pub team_id: Option<String>,
    /// The handle (`alex.doe`).
    pub name: Option<String>,
    pub real_name: Option<String>,
    pub deleted: bool,
    pub is_bot: bool,
    pub is_app_user: bool,
    pub is_admin: bool,
    pub is_owner: bool,
    pub is_restricted: bool,
    pub is_ultra_restricted: bool,
    pub tz: Option<String>,
    pub tz_label: Option<String>,
    pub tz_offset: Option<i64>,
    pub profile: Profile,
}

impl User {
    /// What Slack shows: the display name, else the real name, else the handle.
    pub fn shown_name(&self) -> Option<&str> {
        fn nonempty(s: &Option<String>) -> Option<&str> {
            s.as_deref().filter(|s| !s.trim().is_empty())
        }
        nonempty(&self.profile.display_name)
            .or_else(|| nonempty(&self.profile.real_name))
            .or_else(|| nonempty(&self.real_name))
            .or_else(|| nonempty(&self.name))
    }
    pub fn real_name(&self) -> Option<&str> {
        self.profile
            .real_name
            .as_deref()
            .or(self.real_name.as_deref())
            .filter(|s| !s.trim().is_empty())
    }
}

/// A workspace (team.info).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Team {
    pub id: String,
    pub name: Option<String>,
    /// `acme` of `acme.slack.com`.
    pub domain: Option<String>,
    pub email_domain: Option<String>,
    pub enterprise_id: Option<String>,
    pub enterprise_name: Option<String>,
    pub url: Option<String>,
}

/// auth.test: who the token belongs to.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct AuthTest {
    /// `https://acme.slack.com/`
    pub url: Option<String>,
    pub team: Option<String>,
    pub user: Option<String>,
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    pub bot_id: Option<String>,
    pub enterprise_id: Option<String>,
    pub is_enterprise_install: bool,
}

/// conversations.info, conversations.open
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct ConversationInfo {
    pub channel: Conversation,
}

/// conversations.list
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct ConversationList {
    pub channels: Vec<Conversation>,
    pub response_metadata: ResponseMetadata,
}

/// conversations.history, conversations.replies
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct MessageList {
    pub messages: Vec<Message>,
    pub has_more: bool,
    pub response_metadata: ResponseMetadata,
}

/// conversations.members
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct MemberList {
    pub members: Vec<String>,
    pub response_metadata: ResponseMetadata,
}

/// users.info
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct UserInfo {
    pub user: User,
}

/// users.list
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct UserList {
    pub members: Vec<User>,
    pub response_metadata: ResponseMetadata,
}

/// team.info
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct TeamInfo {
    pub team: Team,
}

/// chat.postMessage, chat.update
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Posted {
    pub channel: String,
    pub ts: String,
    pub message: Option<Message>,
    /// chat.update echoes the new text.
    pub text: Option<String>,
}

/// chat.getPermalink
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Permalink {
    pub channel: Option<String>,
    pub permalink: String,
}

/// reactions.get: the message with its reactions.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct ReactionsOf {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub channel: Option<String>,
    pub message: Message,
}

/// files.info
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct FileInfo {
    pub file: File,
}

/// files.getUploadURLExternal
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct UploadUrl {
    pub upload_url: String,
    pub file_id: String,
}

/// files.completeUploadExternal
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct CompletedUpload {
    pub files: Vec<File>,
}

/// The conversation a search match is in.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct SearchChannel {
    pub id: String,
    pub name: Option<String>,
    pub is_channel: bool,
    pub is_group: bool,
    pub is_im: bool,
    pub is_mpim: bool,
    pub is_private: bool,
    pub is_shared: bool,
    /// The other person, for a DM.
    pub user: Option<String>,
}

/// One message found by search.messages.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct SearchMatch {
    pub iid: Option<String>,
    pub ts: String,
    pub text: Option<String>,
    pub user: Option<String>,
    pub username: Option<String>,
    pub team: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub channel: SearchChannel,
    pub permalink: Option<String>,
    pub files: Vec<File>,
    pub score: Option<f64>,
}

/// search.messages' page-numbered paging (1-based `page` of `pages`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct SearchPaging {
    pub count: u64,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct SearchMessages {
    pub total: u64,
    pub matches: Vec<SearchMatch>,
    pub paging: SearchPaging,
}

/// search.messages
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct SearchResult {
    pub query: Option<String>,
    pub messages: SearchMessages,
}

impl SearchResult {
    /// The next page number, `None` on the last page.
    pub fn next_page(&self) -> Option<u64> {
        let p = &self.messages.paging;
        (p.page >= 1 && p.page < p.pages).then_some(p.page + 1)
    }
}

#[cfg(test)]
#[path = "models_tests.rs"]
mod tests;
