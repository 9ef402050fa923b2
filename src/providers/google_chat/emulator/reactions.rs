//! Emoji reactions: `spaces.messages.reactions.create`, `list` and `delete`.
//!
//! Reactions also feed each message's `emojiReactionSummaries`. The list filter takes
//! `emoji.unicode`, `emoji.custom_emoji.uid` and `user.name` comparisons combined as Chat
//! documents (`OR` within a field, `AND` across fields). No custom emoji are seeded, so a
//! custom-emoji reaction is `NOT_FOUND`.

use serde_json::{Value, json};

use super::chat::member_space;
use super::chat_write::check_fields;
use super::errors::ApiError;
use super::filter::Checked;
use super::render::{list_body, page_size, paginate, reaction_json};
use super::server::{ApiResult, Call, Reply};
use super::state::{ChatState, Reaction, random_id};

/// Checks the caller can see the live parent message.
fn parent(chat: &ChatState, call: &Call) -> Result<(), ApiError> {
    let space = call.cap("spacesId");
    member_space(chat, call, space)?;
    chat.message(space, call.cap("messagesId"))
        .filter(|m| m.deleted.is_none())
        .map(|_| ())
        .ok_or_else(ApiError::not_found)
}

/// The stored id of the parent message (a `client-…` alias resolves to the real id).
fn message_id(chat: &ChatState, call: &Call) -> String {
    chat.message(call.cap("spacesId"), call.cap("messagesId"))
        .map(|m| m.id.clone())
        .unwrap_or_default()
}

pub fn create(call: &Call) -> ApiResult {
    let body = call.json()?;
    check_fields(&body, &["emoji", "name", "user"], "reaction")?;
    let emoji = body
        .get("emoji")
        .and_then(Value::as_object)
        .ok_or_else(|| ApiError::invalid("Reaction must specify an emoji."))?;
    check_fields(emoji, &["unicode", "customEmoji"], "reaction.emoji")?;
    if emoji.contains_key("customEmoji") {
        return Err(ApiError::new(404, "Custom emoji not found."));
    }
    let unicode = emoji
        .get("unicode")
        .and_then(Value::as_str)
        .filter(|u| !u.trim().is_empty() && !u.chars().all(|c| c.is_ascii_alphanumeric()))
        .ok_or_else(|| {
            ApiError::invalid("Invalid emoji: emoji.unicode must be a Unicode emoji.")
        })?;
    let mut st = call.emu.lock();
    parent(&st.chat, call)?;
    let message = message_id(&st.chat, call);
    let space = call.cap("spacesId").to_string();
    let dup = st.chat.reactions.iter().any(|r| {
        r.space == space && r.message == message && r.user == call.user() && r.emoji == unicode
    });
    if dup {
        return Err(ApiError::already_exists("Reaction already exists."));
    }
    let reaction = Reaction {
        id: random_id(11),
        space,
        message,
        user: call.user().to_string(),
        emoji: unicode.to_string(),
    };
    st.chat.reactions.push(reaction.clone());
    Ok(Reply::Json(reaction_json(&reaction)))
}

pub fn list(call: &Call) -> ApiResult {
    let size = page_size(call, 25, 200)?;
    let filter = match call.q("filter").filter(|f| !f.trim().is_empty()) {
        Some(f) => Some(Checked::new(
            f,
            &[
                ("emoji.unicode", &["="]),
                ("emoji.custom_emoji.uid", &["="]),
                ("user.name", &["="]),
            ],
        )?),
        None => None,
    };
    let st = call.emu.lock();
    parent(&st.chat, call)?;
    let message = message_id(&st.chat, call);
    let space = call.cap("spacesId");
    let items: Vec<&Reaction> = st
        .chat
        .reactions
        .iter()
        .filter(|r| r.space == space && r.message == message)
        .filter(|r| {
            filter.as_ref().is_none_or(|f| {
                f.matches(|field| match field {
                    "emoji.unicode" => Some(r.emoji.clone()),
                    "user.name" => Some(format!("users/{}", r.user)),
                    _ => None,
                })
            })
        })
        .collect();
    let fingerprint = format!(
        "reactions|{space}|{message}|{}",
        call.q("filter").unwrap_or("")
    );
    let (page, next) = paginate(items, size, call.q("pageToken"), &fingerprint)?;
    Ok(Reply::Json(list_body(
        "reactions",
        page.into_iter().map(reaction_json).collect(),
        next,
    )))
}

pub fn delete(call: &Call) -> ApiResult {
    let mut st = call.emu.lock();
    parent(&st.chat, call)?;
    let message = message_id(&st.chat, call);
    let space = call.cap("spacesId");
    let i = st
        .chat
        .reactions
        .iter()
        .position(|r| r.space == space && r.message == message && r.id == call.cap("reactionsId"))
        .ok_or_else(ApiError::not_found)?;
    if st.chat.reactions[i].user != call.user() {
        return Err(ApiError::permission_denied());
    }
    st.chat.reactions.remove(i);
    Ok(Reply::Json(json!({})))
}
