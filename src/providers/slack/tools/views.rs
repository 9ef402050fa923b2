//! What the Slack tools return: flat, snake_case views of conversations, messages and people,
//! with Slack's mrkdwn rendered readably (`<@U1>` → `@Alex`) and names filled in from the
//! shared caches in one lookup per page.

use serde::Serialize;

use super::super::channels::Kind;
use super::super::client::SlackClient;
use super::super::models::{Conversation, File, Message, Reaction};
use super::super::mrkdwn::{self, NameMaps, Names};
use super::super::users::Person;
use super::super::{emoji, ts};
use crate::providers::slack::Context;

/// A conversation as the tools show it.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelView {
    pub id: String,
    /// `#eng`, or the other people's names for a DM or group DM.
    pub name: String,
    /// `public_channel`, `private_channel`, `im` or `mpim`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_count: Option<u64>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub archived: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_member: Option<bool>,
}

pub fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Channel | Kind::Unknown => "public_channel",
        Kind::PrivateChannel => "private_channel",
        Kind::DirectMessage => "im",
        Kind::GroupDirectMessage => "mpim",
    }
}

impl ChannelView {
    /// `name` is the display name the caller resolved (`channels::display_name`).
    pub fn new(c: &Conversation, name: String, names: &NameMaps) -> Self {
        let text = |t: &Option<super::super::models::TextValue>| {
            t.as_ref()
                .and_then(|t| t.value.as_deref())
                .map(|v| mrkdwn::render(v, names))
                .filter(|v| !v.is_empty())
        };
        Self {
            id: c.id.clone(),
            name,
            kind: kind_name(Kind::of(c)),
            topic: text(&c.topic),
            purpose: text(&c.purpose),
            member_count: c.num_members,
            archived: c.is_archived,
            is_member: c.is_member,
        }
    }
}

/// Who sent a message: a person's id and name, or a bot's.
#[derive(Debug, Clone, Serialize)]
pub struct SenderView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub bot: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReactionView {
    /// Slack's name (`tada`, `+1`), as the reaction tools take it.
    pub emoji: String,
    /// The character (🎉), or `:name:` for a custom emoji.
    pub shown: String,
    pub count: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
}

impl ReactionView {
    pub fn new(r: &Reaction, names: &NameMaps) -> Self {
        Self {
            emoji: r.name.clone(),
            shown: emoji::display(&r.name),
            count: r.count,
            users: r
                .users
                .iter()
                .map(|u| names.user(u).unwrap_or_else(|| u.clone()))
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FileView {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mimetype: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

impl From<&File> for FileView {
    fn from(f: &File) -> Self {
        Self {
            id: f.id.clone(),
            name: f.name.clone().or_else(|| f.title.clone()),
            mimetype: f.mimetype.clone(),
            size: f.size,
        }
    }
}

/// A message as the tools show it; `{channel, ts}` names it for the other tools.
#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    pub channel: String,
    pub ts: String,
    /// RFC 3339, from `ts`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    pub sender: SenderView,
    /// Readable text: mentions as names, links as `label (url)`.
    pub text: String,
    /// The thread it belongs to (the parent's `ts`); on a parent, its own `ts`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_ts: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_reply: bool,
    /// A reply also sent to the channel.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub broadcast: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_count: Option<u64>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub edited: bool,
    /// `channel_join`, `bot_message`, … for messages that are not plain posts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subtype: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<ReactionView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileView>,
    /// Where the person can open it in Slack.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// `https://acme.slack.com/archives/C1/p1700000000123456` (and `?thread_ts=…` for a reply),
/// when the account's workspace domain is known.
pub fn permalink(domain: Option<&str>, channel: &str, m: &Message) -> Option<String> {
    let domain = domain?;
    let compact: String = m.ts.chars().filter(|c| *c != '.').collect();
    let mut link = format!("https://{domain}.slack.com/archives/{channel}/p{compact}");
    if m.is_reply()
        && let Some(parent) = &m.thread_ts
    {
        link.push_str(&format!("?thread_ts={parent}&cid={channel}"));
    }
    Some(link)
}

impl MessageView {
    pub fn new(channel: &str, m: &Message, names: &NameMaps, domain: Option<&str>) -> Self {
        let sender = match (&m.user, &m.bot_id) {
            (Some(user), _) => SenderView {
                id: Some(user.clone()),
                name: names.user(user).unwrap_or_else(|| user.clone()),
                bot: false,
            },
            (None, bot) => SenderView {
                id: bot.clone(),
                name: m
                    .bot_profile
                    .as_ref()
                    .and_then(|b| b.name.clone())
                    .or_else(|| m.username.clone())
                    .unwrap_or_else(|| "a bot".to_owned()),
                bot: true,
            },
        };
        Self {
            channel: channel.to_owned(),
            ts: m.ts.clone(),
            time: ts::to_time(&m.ts).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            sender,
            text: mrkdwn::render(m.text.as_deref().unwrap_or(""), names),
            thread_ts: m.thread_ts.clone(),
            is_reply: m.is_reply(),
            broadcast: m.is_broadcast(),
            reply_count: m.reply_count.filter(|n| *n > 0),
            edited: m.edited.is_some(),
            subtype: m.subtype.clone().filter(|s| s != "thread_broadcast"),
            reactions: m
                .reactions
                .iter()
                .map(|r| ReactionView::new(r, names))
                .collect(),
            files: m.files.iter().map(FileView::from).collect(),
            link: permalink(domain, channel, m),
        }
    }
}

/// The workspace domain of the client's account (`acme`), for links.
pub fn domain(client: &SlackClient) -> Option<String> {
    client.account().record().aliases.first().cloned()
}

/// Views of a page of messages in `channel`, with every sender and mention named in as few
/// lookups as possible.
pub async fn message_views(
    ctx: &Context,
    client: &SlackClient,
    channel: &str,
    messages: &[Message],
) -> Vec<MessageView> {
    // Collected first: iterator closures held across the await make the future not `Send`
    // (a higher-ranked lifetime the compiler cannot prove), which every tool handler must be.
    let texts: Vec<&str> = messages.iter().filter_map(|m| m.text.as_deref()).collect();
    let mut people: Vec<&str> = messages.iter().filter_map(|m| m.user.as_deref()).collect();
    for m in messages {
        for r in &m.reactions {
            people.extend(r.users.iter().map(String::as_str));
        }
    }
    let names = ctx.state.names_for(client, texts, people).await;
    let domain = domain(client);
    messages
        .iter()
        .map(|m| MessageView::new(channel, m, &names, domain.as_deref()))
        .collect()
}

/// A person as the tools show them.
#[derive(Debug, Clone, Serialize)]
pub struct PersonView {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub real_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl From<&Person> for PersonView {
    fn from(p: &Person) -> Self {
        Self {
            id: p.id.clone(),
            name: p.shown().to_owned(),
            real_name: p.real_name.clone(),
            email: p.email.clone(),
        }
    }
}
