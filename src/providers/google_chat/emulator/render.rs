//! Chat resources in Google's JSON shape, plus the list-method plumbing every collection shares.
//!
//! Field names and nesting follow chat.v1's schemas (`Space`, `Message`, `Annotation`,
//! `Membership`, `Reaction`, `Attachment`); the discovery test validates every rendered body.
//! User-authenticated callers get users as `{name, type}` only, never a display name: names
//! come from the People API, exactly as with Google.

use serde_json::{Value, json};

use super::crypto;
use super::errors::ApiError;
use super::server::Call;
use super::state::{ChatState, Member, Message, Reaction, Space, SpaceKind, fmt_time};

pub fn user_ref(id: &str) -> Value {
    json!({ "name": format!("users/{id}"), "type": "HUMAN" })
}

pub fn space_json(chat: &ChatState, s: &Space) -> Value {
    let members = chat.members_of(&s.id).count();
    let mut v = json!({
        "name": format!("spaces/{}", s.id),
        "type": if s.kind == SpaceKind::DirectMessage { "DM" } else { "ROOM" },
        "spaceType": s.kind.as_str(),
        "spaceThreadingState": if s.kind == SpaceKind::Space { "THREADED_MESSAGES" } else { "UNTHREADED_MESSAGES" },
        "spaceHistoryState": "HISTORY_ON",
        "createTime": fmt_time(s.create_time),
        "lastActiveTime": fmt_time(s.last_active),
        "membershipCount": { "joinedDirectHumanUserCount": members },
    });
    match s.kind {
        SpaceKind::Space => {
            v["displayName"] = json!(s.display_name.clone().unwrap_or_default());
            v["threaded"] = json!(true);
            v["externalUserAllowed"] = json!(false);
            v["accessSettings"] = json!({ "accessState": "PRIVATE" });
            if let Some(d) = &s.description {
                v["spaceDetails"] = json!({ "description": d });
            }
            v["spaceUri"] = json!(format!("https://chat.google.com/room/{}?cls=11", s.id));
        }
        SpaceKind::GroupChat => {
            v["spaceUri"] = json!(format!("https://chat.google.com/room/{}?cls=11", s.id));
        }
        SpaceKind::DirectMessage => {
            v["singleUserBotDm"] = json!(false);
            v["spaceUri"] = json!(format!("https://chat.google.com/dm/{}", s.id));
        }
    }
    v
}

/// Replaces each mention's `@Name` label with Chat's `<users/ID>` markup.
fn formatted_text(m: &Message) -> String {
    let chars: Vec<char> = m.text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let mut mentions: Vec<_> = m.mentions.iter().collect();
    mentions.sort_by_key(|x| x.start);
    for x in mentions {
        if x.start < i || x.start + x.length > chars.len() {
            continue;
        }
        out.extend(&chars[i..x.start]);
        out.push_str(&format!("<users/{}>", x.user));
        i = x.start + x.length;
    }
    out.extend(&chars[i..]);
    out
}

pub fn message_json(chat: &ChatState, m: &Message) -> Value {
    let name = format!("spaces/{}/messages/{}", m.space, m.id);
    let mut v = json!({
        "name": name,
        "sender": user_ref(&m.sender),
        "createTime": fmt_time(m.create_time),
        "thread": { "name": format!("spaces/{}/threads/{}", m.space, m.thread) },
        "space": { "name": format!("spaces/{}", m.space) },
    });
    if m.reply {
        v["threadReply"] = json!(true);
    }
    if let Some(c) = &m.client_id {
        v["clientAssignedMessageId"] = json!(c);
    }
    if let Some(deleted) = m.deleted {
        v["deleteTime"] = json!(fmt_time(deleted));
        v["deletionMetadata"] = json!({ "deletionType": "CREATOR" });
        return v;
    }
    v["text"] = json!(m.text);
    v["formattedText"] = json!(formatted_text(m));
    v["argumentText"] = json!(m.text);
    if let Some(t) = m.update_time {
        v["lastUpdateTime"] = json!(fmt_time(t));
    }
    if !m.mentions.is_empty() {
        let anns: Vec<Value> = m
            .mentions
            .iter()
            .map(|x| {
                json!({
                    "type": "USER_MENTION",
                    "startIndex": x.start,
                    "length": x.length,
                    "userMention": { "user": user_ref(&x.user), "type": "MENTION" }
                })
            })
            .collect();
        v["annotations"] = Value::Array(anns);
    }
    if !m.attachments.is_empty() {
        let list: Vec<Value> = m
            .attachments
            .iter()
            .map(|a| attachment_json(m, a))
            .collect();
        v["attachment"] = Value::Array(list);
    }
    let summaries = reaction_summaries(chat, m);
    if !summaries.is_empty() {
        v["emojiReactionSummaries"] = Value::Array(summaries);
    }
    v
}

pub fn attachment_json(m: &Message, a: &super::state::Attachment) -> Value {
    json!({
        "name": format!("spaces/{}/messages/{}/attachments/{}", m.space, m.id, a.id),
        "contentName": a.filename,
        "contentType": a.content_type,
        "attachmentDataRef": { "resourceName": a.media },
        "downloadUri": format!(
            "https://chat.google.com/api/get_attachment_url?url_type=DOWNLOAD_URL&content_type={}&attachment_token={}&allow_caching=true",
            a.content_type.replace('/', "%2F"), a.media
        ),
        "source": "UPLOADED_CONTENT",
    })
}

fn reaction_summaries(chat: &ChatState, m: &Message) -> Vec<Value> {
    let mut counts: Vec<(&str, u32)> = Vec::new();
    for r in chat
        .reactions
        .iter()
        .filter(|r| r.space == m.space && r.message == m.id)
    {
        match counts.iter_mut().find(|(e, _)| *e == r.emoji) {
            Some((_, n)) => *n += 1,
            None => counts.push((&r.emoji, 1)),
        }
    }
    counts
        .into_iter()
        .map(|(e, n)| json!({ "emoji": { "unicode": e }, "reactionCount": n }))
        .collect()
}

pub fn membership_json(m: &Member) -> Value {
    json!({
        "name": format!("spaces/{}/members/{}", m.space, m.user),
        "state": "JOINED",
        "role": m.role.as_str(),
        "member": user_ref(&m.user),
        "createTime": fmt_time(m.create_time),
    })
}

pub fn reaction_json(r: &Reaction) -> Value {
    json!({
        "name": format!("spaces/{}/messages/{}/reactions/{}", r.space, r.message, r.id),
        "user": user_ref(&r.user),
        "emoji": { "unicode": r.emoji },
    })
}

/// `pageSize`: default when absent or 0, clamped to `max`, negative refused.
pub fn page_size(call: &Call, default: usize, max: usize) -> Result<usize, ApiError> {
    match call.q("pageSize") {
        None => Ok(default),
        Some(text) => {
            let n: i64 = text.parse().map_err(|_| {
                ApiError::invalid(format!(
                    "Invalid value at 'page_size' (TYPE_INT32), \"{text}\""
                ))
            })?;
            if n < 0 {
                return Err(ApiError::invalid("Page size must not be negative."));
            }
            Ok(if n == 0 {
                default
            } else {
                (n as usize).min(max)
            })
        }
    }
}

/// Cuts one page from `items`. The opaque token carries the offset and a digest of the
/// parameters that must not change between pages (filter, order, parent).
pub fn paginate<T>(
    items: Vec<T>,
    size: usize,
    token: Option<&str>,
    fingerprint: &str,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let digest = crypto::base64url(&crypto::sha256(fingerprint.as_bytes())[..9]);
    let offset = match token.filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => crypto::base64_decode(t)
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| {
                let (off, d) = s.split_once(':')?;
                (d == digest).then(|| off.parse::<usize>().ok()).flatten()
            })
            .ok_or_else(|| ApiError::invalid("The page token is invalid."))?,
    };
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(offset).take(size).collect();
    let end = offset + page.len();
    let next = (end < total).then(|| crypto::base64url(format!("{end}:{digest}").as_bytes()));
    Ok((page, next))
}

/// A list response: `{key: [...], nextPageToken?}`, or `{}` when the page is empty.
pub fn list_body(key: &str, items: Vec<Value>, next: Option<String>) -> Value {
    let mut v = json!({});
    if !items.is_empty() {
        v[key] = Value::Array(items);
    }
    if let Some(t) = next {
        v["nextPageToken"] = json!(t);
    }
    v
}
