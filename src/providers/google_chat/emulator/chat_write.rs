//! Chat writes: `spaces.messages.create`, `patch`/`update` and `delete`.
//!
//! The thread rules are Chat's documented ones, including the trap clients fall into: with
//! `messageReplyOption` unset, a `thread` in the body is ignored and a new thread starts.
//! `requestId` makes a retried create return the first message instead of posting twice, and
//! `<users/ID>` in the text becomes an `@Name` mention with its annotation.

use chrono::Duration;
use serde_json::{Map, Value, json};

use super::chat::member_space;
use super::errors::ApiError;
use super::render::message_json;
use super::server::{ApiResult, Call, Reply};
use super::state::{self, Attachment, ChatState, Mention, Message, Role, find_user, random_id};

/// The `Message` schema's fields; anything else in a request body is refused, as Google does.
pub const MESSAGE_FIELDS: &[&str] = &[
    "accessoryWidgets",
    "actionResponse",
    "annotations",
    "argumentText",
    "attachedGifs",
    "attachment",
    "cards",
    "cardsV2",
    "clientAssignedMessageId",
    "createTime",
    "deleteTime",
    "deletionMetadata",
    "elements",
    "emojiReactionSummaries",
    "fallbackText",
    "formattedText",
    "lastUpdateTime",
    "markupSyntax",
    "matchedUrl",
    "name",
    "privateMessageViewer",
    "quotedMessageMetadata",
    "sender",
    "silent",
    "slashCommand",
    "space",
    "text",
    "thread",
    "threadReply",
];

const MAX_TEXT_BYTES: usize = 32_000;

/// Refuses body keys outside `allowed`.
pub fn check_fields(
    body: &Map<String, Value>,
    allowed: &[&str],
    message: &str,
) -> Result<(), ApiError> {
    match body.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(ApiError::unknown_body_field(k, message)),
        None => Ok(()),
    }
}

/// Turns `<users/ID>` / `<users/all>` markup into `@Name` labels with annotations.
pub fn parse_mentions(text: &str) -> (String, Vec<Mention>) {
    let mut out = String::new();
    let mut mentions = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("<users/") {
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let key = &rest[open + 7..open + close];
        let target = if key == "all" {
            Some(("all".to_string(), "@all".to_string()))
        } else {
            find_user(key).map(|u| (u.id.to_string(), format!("@{}", u.display_name())))
        };
        out.push_str(&rest[..open]);
        match target {
            Some((user, label)) => {
                mentions.push(Mention {
                    start: out.chars().count(),
                    length: label.chars().count(),
                    user,
                });
                out.push_str(&label);
            }
            None => out.push_str(&rest[open..open + close + 1]),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    (out, mentions)
}

fn text_of(body: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    match body.get("text") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.len() > MAX_TEXT_BYTES => Err(ApiError::invalid(format!(
            "Message text is too long: {} bytes, the limit is {MAX_TEXT_BYTES}.",
            s.len()
        ))),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::bad_json(
            "Invalid value at 'message.text' (TYPE_STRING).",
        )),
    }
}

fn refuse_app_only(body: &Map<String, Value>) -> Result<(), ApiError> {
    for key in [
        "cards",
        "cardsV2",
        "accessoryWidgets",
        "privateMessageViewer",
        "actionResponse",
    ] {
        if body.contains_key(key) {
            return Err(ApiError::invalid(format!(
                "Message field {key} can only be set by Chat apps authenticated as the app."
            )));
        }
    }
    Ok(())
}

fn valid_client_id(id: &str) -> bool {
    id.starts_with("client-")
        && id.len() <= 63
        && id.len() > 7
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Resolves the uploads a new message attaches.
fn attachments(
    chat: &ChatState,
    space: &str,
    body: &Map<String, Value>,
) -> Result<Vec<Attachment>, ApiError> {
    let Some(list) = body.get("attachment") else {
        return Ok(Vec::new());
    };
    let items = list
        .as_array()
        .ok_or_else(|| ApiError::bad_json("'message.attachment' must be a list."))?;
    items
        .iter()
        .map(|a| {
            let media = a
                .pointer("/attachmentDataRef/resourceName")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    ApiError::invalid("Attachment must have attachmentDataRef.resourceName.")
                })?;
            let stored = chat
                .media
                .get(media)
                .filter(|m| m.space == space)
                .ok_or_else(|| {
                    ApiError::invalid(
                        "Invalid attachment: the uploaded content was not found in this space.",
                    )
                })?;
            Ok(Attachment {
                id: random_id(22),
                media: media.to_string(),
                filename: stored.filename.clone(),
                content_type: stored.content_type.clone(),
            })
        })
        .collect()
}

pub fn messages_create(call: &Call) -> ApiResult {
    let body = call.json()?;
    check_fields(&body, MESSAGE_FIELDS, "message")?;
    refuse_app_only(&body)?;
    let space_id = call.cap("spacesId").to_string();
    let option = call
        .q("messageReplyOption")
        .unwrap_or("MESSAGE_REPLY_OPTION_UNSPECIFIED");
    if ![
        "MESSAGE_REPLY_OPTION_UNSPECIFIED",
        "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD",
        "REPLY_MESSAGE_OR_FAIL",
    ]
    .contains(&option)
    {
        return Err(ApiError::invalid(format!(
            "Invalid value at 'message_reply_option' (type.googleapis.com/google.chat.v1.CreateMessageRequest.MessageReplyOption), \"{option}\""
        )));
    }
    let client_id = call.q("messageId").map(str::to_string);
    if let Some(id) = &client_id
        && !valid_client_id(id)
    {
        return Err(ApiError::invalid(
            "Invalid message ID: it must start with client-, contain only lowercase letters, numbers and hyphens, and be at most 63 characters long.",
        ));
    }
    let text = text_of(&body)?;
    let mut st = call.emu.lock();
    let chat = &mut st.chat;
    member_space(chat, call, &space_id)?;
    if let Some(rid) = call.q("requestId").filter(|r| !r.is_empty()) {
        let key = (call.user().to_string(), rid.to_string());
        let earlier = chat
            .messages
            .get(&space_id)
            .and_then(|l| l.iter().find(|m| m.request_id.as_ref() == Some(&key)));
        if let Some(m) = earlier {
            return Ok(Reply::Json(message_json(chat, m)));
        }
    }
    if let Some(id) = &client_id
        && chat.message(&space_id, id).is_some()
    {
        return Err(ApiError::already_exists(format!(
            "Message with ID {id} already exists."
        )));
    }
    let files = attachments(chat, &space_id, &body)?;
    if text.as_deref().is_none_or(str::is_empty) && files.is_empty() {
        return Err(ApiError::invalid(
            "Message cannot be empty. Discarding an empty message.",
        ));
    }
    let (thread, reply) = choose_thread(chat, call, &space_id, &body, option)?;
    let (text, mentions) = parse_mentions(&text.unwrap_or_default());
    let list = chat.messages.entry(space_id.clone()).or_default();
    let mut now = state::now();
    if let Some(last) = list.last()
        && last.create_time >= now
    {
        now = last.create_time + Duration::microseconds(1);
    }
    let message = Message {
        space: space_id.clone(),
        id: format!("{}.{}", random_id(11), thread),
        thread,
        sender: call.user().to_string(),
        create_time: now,
        update_time: None,
        text,
        mentions,
        reply,
        client_id,
        deleted: None,
        attachments: files,
        request_id: call
            .q("requestId")
            .filter(|r| !r.is_empty())
            .map(|r| (call.user().to_string(), r.to_string())),
    };
    list.push(message.clone());
    if let Some(s) = chat.spaces.iter_mut().find(|s| s.id == space_id) {
        s.last_active = now;
    }
    chat.read_states
        .insert((call.user().to_string(), space_id), now);
    Ok(Reply::Json(message_json(chat, &message)))
}

/// Picks the thread for a new message: `(thread id, is a reply)`.
fn choose_thread(
    chat: &mut ChatState,
    call: &Call,
    space: &str,
    body: &Map<String, Value>,
    option: &str,
) -> Result<(String, bool), ApiError> {
    let thread = body.get("thread").and_then(Value::as_object);
    let name = thread
        .and_then(|t| t.get("name"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    let body_key = thread
        .and_then(|t| t.get("threadKey"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    let query_key = call.q("threadKey").filter(|s| !s.is_empty());
    let key = body_key.or(query_key);
    // Unset reply option: a new thread, except for the legacy `threadKey` query parameter.
    let replying = option != "MESSAGE_REPLY_OPTION_UNSPECIFIED" || query_key.is_some();
    if replying {
        if let Some(name) = name.filter(|_| option != "MESSAGE_REPLY_OPTION_UNSPECIFIED") {
            let id = name
                .strip_prefix(&format!("spaces/{space}/threads/"))
                .filter(|id| !id.contains('/'));
            match id {
                Some(id) if chat.thread_exists(space, id) => return Ok((id.to_string(), true)),
                _ if option == "REPLY_MESSAGE_OR_FAIL" => {
                    return Err(ApiError::new(404, format!("Thread {name} not found.")));
                }
                _ => {}
            }
        } else if let Some(key) = key {
            let slot = (space.to_string(), key.to_string());
            if let Some(id) = chat
                .thread_keys
                .get(&slot)
                .filter(|id| chat.thread_exists(space, id))
            {
                return Ok((id.clone(), true));
            }
            let id = random_id(11);
            chat.thread_keys.insert(slot, id.clone());
            return Ok((id, false));
        }
    }
    Ok((random_id(11), false))
}

/// The message at `spacesId`/`messagesId` if the caller may change it: `(index, message)`.
fn own_message(chat: &ChatState, call: &Call) -> Result<usize, ApiError> {
    let space = call.cap("spacesId");
    member_space(chat, call, space)?;
    let i = chat
        .message_index(space, call.cap("messagesId"))
        .filter(|&i| chat.messages[space][i].deleted.is_none())
        .ok_or_else(ApiError::not_found)?;
    Ok(i)
}

pub fn messages_patch(call: &Call) -> ApiResult {
    let body = call.json()?;
    check_fields(&body, MESSAGE_FIELDS, "message")?;
    let mask = call
        .q("updateMask")
        .map(str::trim)
        .filter(|m| !m.is_empty());
    let Some(mask) = mask else {
        return Err(ApiError::invalid(
            "Request must contain a non-empty update mask (updateMask).",
        ));
    };
    let mut update_text = false;
    for path in mask.split(',').map(str::trim) {
        match path {
            "text" | "*" => update_text = true,
            "attachment" | "quoted_message_metadata" | "quotedMessageMetadata" => {}
            "cards" | "cards_v2" | "cardsV2" | "accessory_widgets" | "accessoryWidgets" => {
                refuse_app_only(&body)?
            }
            other => {
                return Err(ApiError::invalid(format!(
                    "Invalid update mask path: {other}"
                )));
            }
        }
    }
    if call.q_bool("allowMissing")? {
        return Err(ApiError::invalid(
            "allowMissing requires a client-assigned message ID and Chat app authentication.",
        ));
    }
    let text = text_of(&body)?;
    let mut st = call.emu.lock();
    let chat = &mut st.chat;
    let i = own_message(chat, call)?;
    let space = call.cap("spacesId").to_string();
    let message = &mut chat
        .messages
        .get_mut(&space)
        .ok_or_else(ApiError::not_found)?[i];
    if message.sender != call.user() {
        return Err(ApiError::permission_denied());
    }
    if update_text {
        let (t, mentions) = parse_mentions(&text.unwrap_or_default());
        if t.is_empty() && message.attachments.is_empty() {
            return Err(ApiError::invalid(
                "Message cannot be empty. Discarding an empty message.",
            ));
        }
        message.text = t;
        message.mentions = mentions;
        message.update_time = Some(state::now().max(message.create_time));
    }
    let message = message.clone();
    Ok(Reply::Json(message_json(chat, &message)))
}

pub fn messages_delete(call: &Call) -> ApiResult {
    call.q_bool("force")?;
    let mut st = call.emu.lock();
    let chat = &mut st.chat;
    let i = own_message(chat, call)?;
    let space = call.cap("spacesId").to_string();
    let manager = chat
        .members_of(&space)
        .any(|m| m.user == call.user() && m.role == Role::Manager);
    let message = &mut chat
        .messages
        .get_mut(&space)
        .ok_or_else(ApiError::not_found)?[i];
    if message.sender != call.user() && !manager {
        return Err(ApiError::permission_denied());
    }
    message.deleted = Some(state::now());
    Ok(Reply::Json(json!({})))
}

#[cfg(test)]
mod tests {
    use super::super::data;
    use super::*;

    #[test]
    fn mentions_from_markup() {
        let (text, m) = parse_mentions(&format!(
            "hi <users/{}> and <users/all> <users/999>",
            data::PRIYA
        ));
        assert_eq!(text, "hi @Priya Natarajan and @all <users/999>");
        assert_eq!(m.len(), 2);
        assert_eq!((m[0].start, m[0].length), (3, 16));
        assert_eq!(m[1].user, "all");
        let (_, m) = parse_mentions("<users/tomas.garcia@example.com>: ok");
        assert_eq!(m[0].user, data::TOMAS);
    }

    #[test]
    fn client_ids() {
        assert!(valid_client_id("client-abc-123"));
        assert!(!valid_client_id("client-ABC"));
        assert!(!valid_client_id("abc"));
        assert!(!valid_client_id("client-"));
    }
}
