//! chat.postMessage, chat.update, chat.delete and chat.getPermalink.
//!
//! Posting needs `chat:write` and membership (`not_in_channel` for a public channel the caller
//! has not joined, `channel_not_found` for one it cannot see, `is_archived` for an archived
//! one). A `thread_ts` that names no message in the channel is ignored and the message goes
//! top-level, exactly as Slack does; a reply's ts joins its parent's thread. Only the author
//! may edit or delete (`cant_update_message`, `cant_delete_message`); deleting a parent that
//! has replies leaves a tombstone. chat.postMessage is limited per channel (about one a
//! second, short bursts allowed).

use serde_json::{Map, json};

use super::errors::{ApiResult, SlackError};
use super::render::{self, MsgView};
use super::server::Call;
use super::state::{ConvKind, Conversation, Message, Ts};

/// Slack truncates nothing: longer text is refused.
pub const MAX_TEXT: usize = 40_000;

/// `channel` as an id, or for postMessage also a name (`#eng` or `eng`).
fn target(call: &Call, by_name: bool) -> Result<Conversation, SlackError> {
    let arg = call.args.required("channel")?;
    let user = call.user();
    let ws = &call.st.ws;
    let found = ws.conv(&arg).or_else(|| {
        let name = arg.strip_prefix('#').unwrap_or(&arg);
        by_name
            .then(|| {
                ws.convs.iter().find(|c| {
                    matches!(c.kind, ConvKind::Public | ConvKind::Private) && c.name == name
                })
            })
            .flatten()
    });
    found
        .filter(|c| c.visible_to(user))
        .cloned()
        .ok_or_else(|| SlackError::new("channel_not_found"))
}

fn text(call: &Call) -> Result<String, SlackError> {
    let text = call.args.str("text").unwrap_or_default();
    if text.trim().is_empty() {
        return Err(SlackError::new("no_text"));
    }
    if text.chars().count() > MAX_TEXT {
        return Err(SlackError::new("msg_too_long"));
    }
    Ok(text)
}

pub fn post_message(call: &mut Call) -> ApiResult {
    let conv = target(call, true)?;
    if !conv.is_member(call.user()) {
        return Err(SlackError::new("not_in_channel"));
    }
    if conv.is_archived {
        return Err(SlackError::new("is_archived"));
    }
    let text = text(call)?;
    // Accepted as Slack accepts them; the emulator renders no unfurls and stores text as sent.
    let _ = (
        call.args.flag_or("mrkdwn", true),
        call.args.flag("unfurl_links"),
        call.args.flag_or("unfurl_media", true),
    );
    let thread = match call.args.text("thread_ts") {
        None => None,
        Some(t) => {
            let ts = Ts::parse(&t).ok_or_else(|| SlackError::new("invalid_thread_ts"))?;
            // A ts that names no message: Slack posts top-level, and so does the emulator.
            call.st
                .ws
                .message(&conv.id, ts)
                .map(|m| m.thread_ts.filter(|p| *p != m.ts).unwrap_or(m.ts))
        }
    };
    let broadcast = thread.is_some() && call.args.flag("reply_broadcast");
    call.limit_channel(&conv.id)?;
    let user = call.user().to_string();
    let ws = &mut call.st.ws;
    let ts = ws.next_ts(&conv.id);
    if let Some(parent) = thread
        && let Some(p) = ws.message_mut(&conv.id, parent)
    {
        p.thread_ts = Some(parent);
    }
    let msg = Message {
        ts,
        user,
        text,
        thread_ts: thread,
        broadcast,
        tombstone: false,
        edited: None,
        reactions: Vec::new(),
        files: Vec::new(),
        client_msg_id: None,
    };
    ws.insert_message(&conv.id, msg.clone());
    let rendered = render::message(ws, &conv.id, &msg, &msg.user, &call.base, MsgView::Posted);
    let mut out = Map::new();
    out.insert("channel".into(), json!(conv.id));
    out.insert("ts".into(), json!(ts.to_string()));
    out.insert("message".into(), serde_json::Value::Object(rendered));
    Ok(out)
}

/// The message `ts` names in the caller's conversation, live (not a tombstone).
fn own_message(call: &Call, conv: &Conversation, error: &str) -> Result<Message, SlackError> {
    let ts = call.args.required("ts")?;
    let ts = Ts::parse(&ts).ok_or_else(|| SlackError::new("message_not_found"))?;
    let msg = call
        .st
        .ws
        .message(&conv.id, ts)
        .filter(|m| !m.tombstone)
        .cloned()
        .ok_or_else(|| SlackError::new("message_not_found"))?;
    if msg.user != call.user() {
        return Err(SlackError::new(error));
    }
    Ok(msg)
}

pub fn update(call: &mut Call) -> ApiResult {
    let conv = target(call, false)?;
    let msg = own_message(call, &conv, "cant_update_message")?;
    let text = text(call)?;
    let user = call.user().to_string();
    let ws = &mut call.st.ws;
    let updated = {
        let m = ws
            .message_mut(&conv.id, msg.ts)
            .ok_or_else(|| SlackError::new("message_not_found"))?;
        m.text = text.clone();
        m.edited = Some((user.clone(), Ts::now()));
        m.clone()
    };
    let mut out = Map::new();
    out.insert("channel".into(), json!(conv.id));
    out.insert("ts".into(), json!(msg.ts.to_string()));
    out.insert("text".into(), json!(text));
    out.insert(
        "message".into(),
        serde_json::Value::Object(render::message(
            ws,
            &conv.id,
            &updated,
            &user,
            &call.base,
            MsgView::Updated,
        )),
    );
    Ok(out)
}

pub fn delete(call: &mut Call) -> ApiResult {
    let conv = target(call, false)?;
    let msg = own_message(call, &conv, "cant_delete_message")?;
    let ws = &mut call.st.ws;
    let has_replies = !msg.is_reply() && ws.replies(&conv.id, msg.ts).next().is_some();
    if has_replies {
        if let Some(m) = ws.message_mut(&conv.id, msg.ts) {
            m.tombstone = true;
            m.text.clear();
            m.reactions.clear();
            m.files.clear();
        }
    } else if let Some(list) = ws.messages.get_mut(&conv.id) {
        list.retain(|m| m.ts != msg.ts);
        // A parent whose last reply went away is an ordinary message again.
        if let Some(parent) = msg.thread_ts.filter(|p| *p != msg.ts) {
            let orphan = !list
                .iter()
                .any(|m| m.thread_ts == Some(parent) && m.ts != parent);
            if orphan {
                if let Some(p) = list.iter_mut().find(|m| m.ts == parent) {
                    p.thread_ts = None;
                }
                list.retain(|m| !(m.ts == parent && m.tombstone));
            }
        }
    }
    let mut out = Map::new();
    out.insert("channel".into(), json!(conv.id));
    out.insert("ts".into(), json!(msg.ts.to_string()));
    Ok(out)
}

pub fn get_permalink(call: &mut Call) -> ApiResult {
    let conv = target(call, false)?;
    let ts = call.args.required("message_ts")?;
    let ts = Ts::parse(&ts).ok_or_else(|| SlackError::new("message_not_found"))?;
    let msg = call
        .st
        .ws
        .message(&conv.id, ts)
        .ok_or_else(|| SlackError::new("message_not_found"))?;
    let mut out = Map::new();
    out.insert("channel".into(), json!(conv.id));
    out.insert("permalink".into(), json!(render::permalink(&conv.id, msg)));
    Ok(out)
}
