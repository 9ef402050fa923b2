//! Chat reads: `spaces.list`, `spaces.get`, `spaces.messages.list` and `spaces.messages.get`.
//!
//! A user-authenticated caller sees only the spaces they belong to; asking for another space's
//! contents is `PERMISSION_DENIED`, an unknown space `NOT_FOUND`. Lists page with opaque
//! tokens, clamp `pageSize`, and omit both the list key and `nextPageToken` when there is
//! nothing more, which is how Google tells a client it has reached the end.

use serde_json::Value;

use super::errors::ApiError;
use super::filter;
use super::render::{list_body, message_json, page_size, paginate, space_json};
use super::server::{ApiResult, Call, Reply};
use super::state::{ChatState, Space};

/// The space `id` if it exists and the caller is a member.
pub fn member_space<'a>(chat: &'a ChatState, call: &Call, id: &str) -> Result<&'a Space, ApiError> {
    let space = chat.space(id).ok_or_else(ApiError::not_found)?;
    if !chat.is_member(id, call.user()) {
        return Err(ApiError::permission_denied());
    }
    Ok(space)
}

/// `useAdminAccess=true` needs a Workspace administrator; no seeded user is one.
pub fn refuse_admin_access(call: &Call) -> Result<(), ApiError> {
    if call.q_bool("useAdminAccess")? {
        return Err(ApiError::new(
            403,
            "The caller does not have permission to use admin access. Caller must be a Google Workspace administrator with the Chat and spaces read or manage privilege.",
        ));
    }
    Ok(())
}

pub fn spaces_list(call: &Call) -> ApiResult {
    let size = page_size(call, 100, 1000)?;
    let kinds = match call.q("filter").filter(|f| !f.trim().is_empty()) {
        Some(f) => Some(filter::space_types(f)?),
        None => None,
    };
    let st = call.emu.lock();
    let chat = &st.chat;
    let mut visible: Vec<&Space> = chat
        .spaces
        .iter()
        .filter(|s| chat.is_member(&s.id, call.user()))
        .filter(|s| kinds.as_ref().is_none_or(|k| k.contains(&s.kind)))
        .collect();
    visible.sort_by(|a, b| a.id.cmp(&b.id));
    let fingerprint = format!("spaces|{}|{}", call.user(), call.q("filter").unwrap_or(""));
    let (page, next) = paginate(visible, size, call.q("pageToken"), &fingerprint)?;
    let items = page.into_iter().map(|s| space_json(chat, s)).collect();
    Ok(Reply::Json(list_body("spaces", items, next)))
}

pub fn spaces_get(call: &Call) -> ApiResult {
    refuse_admin_access(call)?;
    let st = call.emu.lock();
    let space = member_space(&st.chat, call, call.cap("spacesId"))?;
    Ok(Reply::Json(space_json(&st.chat, space)))
}

/// `orderBy`: `createTime` / `create_time`, optionally `asc` or `desc`; `true` = descending.
fn descending(order_by: Option<&str>) -> Result<bool, ApiError> {
    let Some(text) = order_by.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(false);
    };
    let mut words = text.split_whitespace();
    let field = words.next().unwrap_or("");
    let dir = words.next().map(str::to_ascii_lowercase);
    if (field != "createTime" && field != "create_time") || words.next().is_some() {
        return Err(ApiError::invalid(format!("Invalid order by value: {text}")));
    }
    match dir.as_deref() {
        None | Some("asc") => Ok(false),
        Some("desc") => Ok(true),
        Some(_) => Err(ApiError::invalid(format!("Invalid order by value: {text}"))),
    }
}

fn check_markup(call: &Call) -> Result<(), ApiError> {
    match call.q("markupSyntax") {
        None
        | Some("MARKUP_SYNTAX_UNSPECIFIED")
        | Some("MARKUP_SYNTAX_CHAT")
        | Some("MARKUP_SYNTAX_MARKDOWN") => Ok(()),
        Some(v) => Err(ApiError::invalid(format!(
            "Invalid value at 'markup_syntax' (type.googleapis.com/google.chat.v1.MarkupSyntax), \"{v}\""
        ))),
    }
}

pub fn messages_list(call: &Call) -> ApiResult {
    let size = page_size(call, 25, 1000)?;
    let desc = descending(call.q("orderBy"))?;
    let show_deleted = call.q_bool("showDeleted")?;
    check_markup(call)?;
    let space_id = call.cap("spacesId").to_string();
    let filter = match call.q("filter").filter(|f| !f.trim().is_empty()) {
        Some(f) => filter::messages(f)?,
        None => filter::MessageFilter::default(),
    };
    let st = call.emu.lock();
    let chat = &st.chat;
    member_space(chat, call, &space_id)?;
    let all = chat
        .messages
        .get(&space_id)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let mut selected: Vec<_> = all
        .iter()
        .filter(|m| show_deleted || m.deleted.is_none())
        .filter(|m| {
            filter.matches(
                m.create_time,
                &format!("spaces/{}/threads/{}", m.space, m.thread),
            )
        })
        .collect();
    if desc {
        selected.reverse();
    }
    let fingerprint = format!(
        "messages|{space_id}|{}|{desc}|{show_deleted}",
        call.q("filter").unwrap_or("")
    );
    let (page, next) = paginate(selected, size, call.q("pageToken"), &fingerprint)?;
    let items: Vec<Value> = page.into_iter().map(|m| message_json(chat, m)).collect();
    Ok(Reply::Json(list_body("messages", items, next)))
}

pub fn messages_get(call: &Call) -> ApiResult {
    check_markup(call)?;
    let st = call.emu.lock();
    let chat = &st.chat;
    member_space(chat, call, call.cap("spacesId"))?;
    let message = chat
        .message(call.cap("spacesId"), call.cap("messagesId"))
        .filter(|m| m.deleted.is_none())
        .ok_or_else(ApiError::not_found)?;
    Ok(Reply::Json(message_json(chat, message)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_by_forms() {
        assert!(!descending(None).unwrap());
        assert!(descending(Some("createTime desc")).unwrap());
        assert!(descending(Some("create_time DESC")).unwrap());
        assert!(!descending(Some("createTime ASC")).unwrap());
        assert!(descending(Some("text desc")).is_err());
        assert!(descending(Some("createTime sideways")).is_err());
    }
}
