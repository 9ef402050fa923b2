//! conversations.list, users.conversations, conversations.info, .members, .open and .mark.
//!
//! A user token sees every public channel (member or not, with `is_member`) and the private
//! channels, DMs and group DMs it belongs to; anything else is `channel_not_found`. Each call
//! checks the scope of the conversation's type. conversations.list pages over the whole
//! workspace and filters afterwards, as Slack does, so its pages are often shorter than
//! `limit` while `next_cursor` says more follow.

use serde_json::{Map, Value, json};

use super::errors::{ApiResult, SlackError};
use super::paging;
use super::render::{self, ConvView};
use super::scopes::{self, Family};
use super::server::Call;
use super::state::{ConvKind, Conversation, Ts, random_upper};

/// The conversation `id` names, if the caller may see it, after checking the scope its type
/// needs for `family`.
pub fn visible(call: &Call, id: &str, family: Family) -> Result<Conversation, SlackError> {
    let conv = call
        .st
        .ws
        .conv(id)
        .filter(|c| c.visible_to(call.user()))
        .cloned()
        .ok_or_else(|| SlackError::new("channel_not_found"))?;
    scopes::require(call.scopes(), scopes::for_kind(conv.kind, family))?;
    Ok(conv)
}

/// `types` (default `public_channel`); unknown names are `invalid_types`.
fn types(call: &Call) -> Result<Vec<ConvKind>, SlackError> {
    let text = call
        .args
        .text("types")
        .unwrap_or_else(|| "public_channel".into());
    let mut kinds = Vec::new();
    for name in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let kind =
            ConvKind::from_type_name(name).ok_or_else(|| SlackError::new("invalid_types"))?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    Ok(kinds)
}

fn page_fields(items: Vec<Value>, key: &str, next: String) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert(key.into(), json!(items));
    out.insert("response_metadata".into(), json!({ "next_cursor": next }));
    out
}

pub fn list(call: &mut Call) -> ApiResult {
    let kinds = types(call)?;
    scopes::require_read_for(call.scopes(), &kinds)?;
    let exclude_archived = call.args.flag("exclude_archived");
    let limit = paging::limit(&call.args, 100, 1000)?;
    let key = format!("conversations.list|{kinds:?}|{exclude_archived}");
    let pos = paging::decode(&key, call.args.str("cursor").as_deref())?;
    let (start, page) = match pos {
        Some(p) => (
            p.at.parse::<usize>()
                .map_err(|_| SlackError::new("invalid_cursor"))?,
            p.page,
        ),
        None => (0, 0),
    };
    let user = call.user().to_string();
    let ws = &call.st.ws;
    // Slack reads `limit` conversations of the workspace, then drops what the caller may not
    // see or did not ask for: pages come out short.
    let end = (start + limit).min(ws.convs.len());
    let items: Vec<Value> = ws.convs[start.min(end)..end]
        .iter()
        .filter(|c| c.visible_to(&user) && kinds.contains(&c.kind))
        .filter(|c| !(exclude_archived && c.is_archived))
        .map(|c| Value::Object(render::conversation(ws, c, &user, ConvView::List)))
        .collect();
    let next = if end < ws.convs.len() {
        paging::encode(&key, &end.to_string(), page + 1)
    } else {
        String::new()
    };
    Ok(page_fields(items, "channels", next))
}

pub fn users_conversations(call: &mut Call) -> ApiResult {
    let kinds = types(call)?;
    scopes::require_read_for(call.scopes(), &kinds)?;
    let caller = call.user().to_string();
    let subject = call.args.text("user").unwrap_or_else(|| caller.clone());
    if call.st.ws.user(&subject).is_none() {
        return Err(SlackError::new("user_not_found"));
    }
    let exclude_archived = call.args.flag("exclude_archived");
    let limit = paging::limit(&call.args, 100, 999)?;
    let ws = &call.st.ws;
    let matching: Vec<&Conversation> = ws
        .convs
        .iter()
        .filter(|c| c.is_member(&subject) && kinds.contains(&c.kind))
        // Non-public conversations of someone else are listed only when shared with the caller.
        .filter(|c| c.kind == ConvKind::Public || c.is_member(&caller))
        .filter(|c| !(exclude_archived && c.is_archived))
        .collect();
    let key = format!("users.conversations|{subject}|{kinds:?}|{exclude_archived}");
    let (page, next) = paging::by_offset(
        &call.st.settings,
        &key,
        call.args.str("cursor").as_deref(),
        &matching,
        limit,
    )?;
    let items = page
        .into_iter()
        .map(|c| Value::Object(render::conversation(ws, c, &caller, ConvView::UserList)))
        .collect();
    Ok(page_fields(items, "channels", next))
}

pub fn info(call: &mut Call) -> ApiResult {
    let id = call.args.required("channel")?;
    let conv = visible(call, &id, Family::Read)?;
    let mut c = render::conversation(&call.st.ws, &conv, call.user(), ConvView::Info);
    if call.args.flag("include_locale") {
        c.insert("locale".into(), json!("en-US"));
    }
    if call.args.flag("include_num_members") && conv.kind != ConvKind::Im {
        c.insert("num_members".into(), json!(conv.members.len()));
    }
    let mut out = Map::new();
    out.insert("channel".into(), Value::Object(c));
    Ok(out)
}

pub fn members(call: &mut Call) -> ApiResult {
    let id = call.args.required("channel")?;
    let conv = visible(call, &id, Family::Read)?;
    let limit = paging::limit(&call.args, 100, 1000)?;
    let ws = &call.st.ws;
    let ids: Vec<String> = conv
        .members
        .iter()
        .filter(|m| ws.user(m).is_some_and(|u| !u.deleted))
        .cloned()
        .collect();
    let key = format!("conversations.members|{}", conv.id);
    let (page, next) = paging::by_offset(
        &call.st.settings,
        &key,
        call.args.str("cursor").as_deref(),
        &ids,
        limit,
    )?;
    Ok(page_fields(
        page.into_iter().map(Value::String).collect(),
        "members",
        next,
    ))
}

/// The DM (or group DM) between exactly `people`.
fn find_direct(call: &Call, people: &[String]) -> Option<Conversation> {
    let kind = if people.len() <= 2 {
        ConvKind::Im
    } else {
        ConvKind::Mpim
    };
    call.st
        .ws
        .convs
        .iter()
        .find(|c| {
            c.kind == kind
                && c.members.len() == people.len()
                && people.iter().all(|p| c.is_member(p))
        })
        .cloned()
}

pub fn open(call: &mut Call) -> ApiResult {
    let caller = call.user().to_string();
    let return_im = call.args.flag("return_im");
    if let Some(id) = call.args.text("channel") {
        let conv = call
            .st
            .ws
            .conv(&id)
            .filter(|c| matches!(c.kind, ConvKind::Im | ConvKind::Mpim) && c.is_member(&caller))
            .cloned()
            .ok_or_else(|| SlackError::new("channel_not_found"))?;
        scopes::require(call.scopes(), scopes::for_kind(conv.kind, Family::Write))?;
        return Ok(opened(call, &conv, true, return_im));
    }
    let users = call
        .args
        .text("users")
        .ok_or_else(|| SlackError::new("users_list_not_supplied"))?;
    let mut people: Vec<String> = vec![caller.clone()];
    for u in users.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let user = call
            .st
            .ws
            .user(u)
            .ok_or_else(|| SlackError::new("user_not_found"))?;
        if user.deleted {
            return Err(SlackError::new("user_disabled"));
        }
        if !people.iter().any(|p| p == u) {
            people.push(u.to_string());
        }
    }
    if people.len() > 9 {
        return Err(SlackError::new("too_many_users"));
    }
    if people.len() == 1 {
        // A DM with oneself.
        people.push(caller.clone());
    }
    let kind = if people.len() == 2 {
        ConvKind::Im
    } else {
        ConvKind::Mpim
    };
    scopes::require(call.scopes(), scopes::for_kind(kind, Family::Write))?;
    if let Some(existing) = find_direct(call, &people) {
        return Ok(opened(call, &existing, true, return_im));
    }
    let (id, name) = match kind {
        ConvKind::Im => (format!("D0{}", random_upper(8)), String::new()),
        _ => {
            let handles: Vec<String> = people
                .iter()
                .filter_map(|p| call.st.ws.user(p).map(|u| u.name.clone()))
                .collect();
            (
                format!("C0{}", random_upper(8)),
                format!("mpdm-{}-1", handles.join("--")),
            )
        }
    };
    people.dedup();
    let conv = Conversation {
        id,
        kind,
        name,
        created: Ts::now().secs(),
        creator: caller.clone(),
        is_archived: false,
        is_general: false,
        topic: String::new(),
        purpose: String::new(),
        members: people,
    };
    call.st.ws.convs.push(conv.clone());
    call.st.ws.messages.insert(conv.id.clone(), Vec::new());
    Ok(opened(call, &conv, false, return_im))
}

fn opened(call: &Call, conv: &Conversation, existed: bool, return_im: bool) -> Map<String, Value> {
    let mut out = Map::new();
    if existed {
        out.insert("no_op".into(), json!(true));
        out.insert("already_open".into(), json!(true));
    }
    let channel = if return_im && conv.kind == ConvKind::Im {
        let user = call.user();
        let mut c = render::conversation(&call.st.ws, conv, user, ConvView::UserList);
        c.remove("is_user_deleted");
        let read = call
            .st
            .ws
            .last_read
            .get(&(user.to_string(), conv.id.clone()))
            .copied()
            .unwrap_or(Ts(0));
        c.insert("last_read".into(), json!(read.to_string()));
        c.insert("unread_count".into(), json!(0));
        c.insert("unread_count_display".into(), json!(0));
        Value::Object(c)
    } else {
        json!({ "id": conv.id })
    };
    out.insert("channel".into(), channel);
    out
}

pub fn mark(call: &mut Call) -> ApiResult {
    let id = call.args.required("channel")?;
    let conv = visible(call, &id, Family::Write)?;
    if !conv.is_member(call.user()) {
        return Err(SlackError::new("not_in_channel"));
    }
    let ts = call.args.required("ts")?;
    let ts = Ts::parse(&ts).ok_or_else(|| SlackError::new("invalid_timestamp"))?;
    let key = (call.user().to_string(), conv.id);
    call.st.ws.last_read.insert(key, ts);
    Ok(Map::new())
}
