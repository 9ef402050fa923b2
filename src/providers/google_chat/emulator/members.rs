//! Memberships, direct-message lookup and read state: `spaces.members.*`,
//! `spaces.findDirectMessage` and `users.spaces.{get,update}SpaceReadState`.
//!
//! A member id is a numeric user id or, for user-authenticated calls, an email alias, as Chat
//! allows. Read state is per user and space; a `lastReadTime` past the newest message is
//! pulled back to that message's time, which is Chat's documented coercion.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::chat::{member_space, refuse_admin_access};
use super::chat_write::check_fields;
use super::errors::ApiError;
use super::filter::Checked;
use super::render::{list_body, membership_json, page_size, paginate, space_json};
use super::server::{ApiResult, Call, Reply};
use super::state::{self, Member, Role, SpaceKind, find_user, fmt_time};

const MEMBERSHIP_FIELDS: &[&str] = &[
    "affiliation",
    "createTime",
    "deleteTime",
    "groupMember",
    "member",
    "name",
    "role",
    "state",
];

pub fn list(call: &Call) -> ApiResult {
    refuse_admin_access(call)?;
    let size = page_size(call, 100, 1000)?;
    call.q_bool("showGroups")?;
    call.q_bool("showInvited")?;
    let filter = match call.q("filter").filter(|f| !f.trim().is_empty()) {
        Some(f) => Some(Checked::new(
            f,
            &[("role", &["="]), ("member.type", &["=", "!="])],
        )?),
        None => None,
    };
    if let Some(f) = &filter
        && let Some(bad) = f.fields().find(|c| {
            let ok = if c.field == "role" {
                ["ROLE_MEMBER", "ROLE_MANAGER"].contains(&c.value.as_str())
            } else {
                ["HUMAN", "BOT"].contains(&c.value.as_str())
            };
            !ok
        })
    {
        return Err(ApiError::invalid(format!(
            "Invalid filter: unsupported value {} for {}",
            bad.value, bad.field
        )));
    }
    let st = call.emu.lock();
    let space = call.cap("spacesId");
    member_space(&st.chat, call, space)?;
    let members: Vec<&Member> = st
        .chat
        .members_of(space)
        .filter(|m| {
            filter.as_ref().is_none_or(|f| {
                f.matches(|field| match field {
                    "role" => Some(m.role.as_str().to_string()),
                    _ => Some("HUMAN".to_string()),
                })
            })
        })
        .collect();
    let fingerprint = format!("members|{space}|{}", call.q("filter").unwrap_or(""));
    let (page, next) = paginate(members, size, call.q("pageToken"), &fingerprint)?;
    Ok(Reply::Json(list_body(
        "memberships",
        page.into_iter().map(membership_json).collect(),
        next,
    )))
}

/// Resolves a `{member}` segment (id or email) to a numeric user id.
fn member_id(segment: &str) -> Result<String, ApiError> {
    find_user(segment)
        .map(|u| u.id.to_string())
        .ok_or_else(ApiError::not_found)
}

pub fn get(call: &Call) -> ApiResult {
    refuse_admin_access(call)?;
    let st = call.emu.lock();
    let space = call.cap("spacesId");
    member_space(&st.chat, call, space)?;
    let user = member_id(call.cap("membersId"))?;
    let m = st
        .chat
        .members_of(space)
        .find(|m| m.user == user)
        .ok_or_else(ApiError::not_found)?;
    Ok(Reply::Json(membership_json(m)))
}

pub fn create(call: &Call) -> ApiResult {
    refuse_admin_access(call)?;
    let body = call.json()?;
    check_fields(&body, MEMBERSHIP_FIELDS, "membership")?;
    let name = body
        .get("member")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid("Membership must specify member.name (users/{user})."))?;
    if body
        .get("member")
        .and_then(|m| m.get("type"))
        .and_then(Value::as_str)
        == Some("BOT")
    {
        return Err(ApiError::invalid(
            "Chat apps can't be added with this request when authenticated as a user.",
        ));
    }
    let role = match body.get("role").and_then(Value::as_str) {
        None | Some("ROLE_MEMBER") | Some("MEMBERSHIP_ROLE_UNSPECIFIED") => Role::Member,
        Some("ROLE_MANAGER") => {
            return Err(ApiError::invalid(
                "A new membership can only have role ROLE_MEMBER.",
            ));
        }
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "Invalid membership role {other}."
            )));
        }
    };
    let user = name
        .strip_prefix("users/")
        .and_then(find_user)
        .ok_or_else(|| ApiError::new(404, format!("User {name} not found.")))?;
    let mut st = call.emu.lock();
    let space_id = call.cap("spacesId").to_string();
    let kind = member_space(&st.chat, call, &space_id)?.kind;
    if kind == SpaceKind::DirectMessage {
        return Err(ApiError::invalid(
            "Members can't be added to a direct message.",
        ));
    }
    if st.chat.is_member(&space_id, user.id) {
        return Err(ApiError::already_exists("Membership already exists."));
    }
    let now = state::now();
    let m = Member {
        space: space_id.clone(),
        user: user.id.to_string(),
        role,
        create_time: now,
    };
    st.chat.members.push(m.clone());
    st.chat
        .read_states
        .insert((user.id.to_string(), space_id), now);
    Ok(Reply::Json(membership_json(&m)))
}

pub fn delete(call: &Call) -> ApiResult {
    refuse_admin_access(call)?;
    let mut st = call.emu.lock();
    let space_id = call.cap("spacesId").to_string();
    let kind = member_space(&st.chat, call, &space_id)?.kind;
    if kind == SpaceKind::DirectMessage {
        return Err(ApiError::invalid(
            "Members can't be removed from a direct message.",
        ));
    }
    let user = member_id(call.cap("membersId"))?;
    let caller_manages = st
        .chat
        .members_of(&space_id)
        .any(|m| m.user == call.user() && m.role == Role::Manager);
    if user != call.user() && !caller_manages && kind == SpaceKind::Space {
        return Err(ApiError::permission_denied());
    }
    let i = st
        .chat
        .members
        .iter()
        .position(|m| m.space == space_id && m.user == user)
        .ok_or_else(ApiError::not_found)?;
    let removed = st.chat.members.remove(i);
    let mut body = membership_json(&removed);
    body["deleteTime"] = json!(fmt_time(state::now()));
    body["state"] = json!("NOT_A_MEMBER");
    Ok(Reply::Json(body))
}

pub fn find_direct_message(call: &Call) -> ApiResult {
    let name = call
        .q("name")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::invalid("name is required."))?;
    let key = name
        .strip_prefix("users/")
        .ok_or_else(|| ApiError::invalid(format!("Invalid user name {name}.")))?;
    let other = find_user(key).ok_or_else(ApiError::not_found)?;
    let st = call.emu.lock();
    let chat = &st.chat;
    let space = chat
        .spaces
        .iter()
        .filter(|s| s.kind == SpaceKind::DirectMessage)
        .find(|s| {
            let members: Vec<&str> = chat.members_of(&s.id).map(|m| m.user.as_str()).collect();
            members.len() == 2 && members.contains(&other.id) && members.contains(&call.user())
        })
        .ok_or_else(ApiError::not_found)?;
    Ok(Reply::Json(space_json(chat, space)))
}

/// Checks `users/{user}` is the caller (`me`, id or email).
fn read_state_user(call: &Call) -> Result<(), ApiError> {
    let user = call.cap("usersId");
    if user == "me" || find_user(user).is_some_and(|u| u.id == call.user()) {
        Ok(())
    } else {
        Err(ApiError::permission_denied())
    }
}

fn read_state_json(call: &Call, time: Option<DateTime<Utc>>) -> Value {
    let mut v = json!({
        "name": format!("users/{}/spaces/{}/spaceReadState", call.user(), call.cap("spacesId")),
    });
    if let Some(t) = time {
        v["lastReadTime"] = json!(fmt_time(t));
    }
    v
}

pub fn get_read_state(call: &Call) -> ApiResult {
    read_state_user(call)?;
    let st = call.emu.lock();
    let space = call.cap("spacesId");
    member_space(&st.chat, call, space)?;
    let time = st
        .chat
        .read_states
        .get(&(call.user().to_string(), space.to_string()))
        .copied();
    Ok(Reply::Json(read_state_json(call, time)))
}

pub fn update_read_state(call: &Call) -> ApiResult {
    read_state_user(call)?;
    match call.q("updateMask").map(str::trim) {
        Some("lastReadTime") | Some("last_read_time") | Some("*") => {}
        Some(other) if !other.is_empty() => {
            return Err(ApiError::invalid(format!(
                "Invalid update mask path: {other}"
            )));
        }
        _ => {
            return Err(ApiError::invalid(
                "Request must contain a non-empty update mask (updateMask).",
            ));
        }
    }
    let body = call.json()?;
    check_fields(&body, &["name", "lastReadTime"], "space_read_state")?;
    let text = body
        .get("lastReadTime")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid("lastReadTime is required."))?;
    let asked = DateTime::parse_from_rfc3339(text)
        .map_err(|_| ApiError::invalid(format!("Invalid value at 'space_read_state.last_read_time' (type.googleapis.com/google.protobuf.Timestamp), Field 'lastReadTime', Invalid time format: \"{text}\"")))?
        .with_timezone(&Utc);
    let mut st = call.emu.lock();
    let space = call.cap("spacesId").to_string();
    member_space(&st.chat, call, &space)?;
    let time = match st.chat.latest_message_time(&space) {
        Some(latest) if asked > latest => latest,
        _ => asked,
    };
    st.chat
        .read_states
        .insert((call.user().to_string(), space), time);
    Ok(Reply::Json(read_state_json(call, Some(time))))
}
