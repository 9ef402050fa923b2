//! The chat routes: `/me/chats`, a chat, its members, its messages (list, post, get,
//! PATCH, softDelete, reactions) and `markChatReadForUser`; and finding a chat the caller is in.

use chrono::{DateTime, Utc};

use axum::http::{Method, StatusCode};
use serde_json::Value;

use super::super::render;
use super::super::state::{Chat, Message, Org, State as EmuState};
use super::messages::{edit, new_message, order_and_filter, reaction, soft_delete};
use super::*;

pub(super) fn route(st: &mut EmuState, r: &Req, segs: &[&str]) -> Result<Answer, Answer> {
    let get = *r.method == Method::GET;
    let post = *r.method == Method::POST;
    let patch = *r.method == Method::PATCH;
    let ok = |v: Value| Ok((StatusCode::OK, v));
    match segs {
        ["me", "chats"] if get => {
            require(r.grant, READ_CHATS)?;
            let expand = r
                .query
                .get("$expand")
                .is_some_and(|e| e.split(',').any(|x| x.trim() == "members"));
            let mut chats: Vec<&Chat> = st
                .org
                .chats
                .iter()
                .filter(|c| c.members.iter().any(|m| m == r.me))
                .collect();
            chats.sort_by_key(|c| std::cmp::Reverse(last_activity(c)));
            let items: Vec<Value> = chats
                .iter()
                .map(|c| render::chat(&st.org, c, expand))
                .collect();
            page(r, items, 50)
        }
        ["chats", id] if get => {
            require(r.grant, READ_CHATS)?;
            let c = chat(&st.org, id, r.me)?;
            let expand = r
                .query
                .get("$expand")
                .is_some_and(|e| e.contains("members"));
            ok(render::chat(&st.org, c, expand))
        }
        ["chats", id, "members"] if get => {
            require(
                r.grant,
                &[
                    "ChatMember.Read",
                    "ChatMember.ReadWrite",
                    "Chat.Read",
                    "Chat.ReadWrite",
                    "Chat.ReadBasic",
                ],
            )?;
            let c = chat(&st.org, id, r.me)?;
            let items: Vec<Value> = c
                .members
                .iter()
                .map(|m| render::member(&st.org, m, &c.id))
                .collect();
            page(r, items, 100)
        }
        ["chats", id, "messages"] if get => {
            require(r.grant, READ_CHAT_MESSAGES)?;
            let c = chat(&st.org, id, r.me)?;
            let mut list: Vec<&Message> = c.messages.iter().collect();
            order_and_filter(r, &mut list)?;
            let items: Vec<Value> = list
                .iter()
                .map(|m| render::message(&st.org, m, render::Place::Chat(&c.id), None))
                .collect();
            page(r, items, 50)
        }
        ["chats", id, "messages"] if post => {
            require(r.grant, SEND_CHAT)?;
            chat(&st.org, id, r.me)?;
            let m = new_message(&mut st.org, r)?;
            let out = render::message(&st.org, &m, render::Place::Chat(id), None);
            chat_mut(&mut st.org, id).expect("checked").messages.push(m);
            Ok((StatusCode::CREATED, out))
        }
        ["chats", id, "messages", mid] if get => {
            require(r.grant, READ_CHAT_MESSAGES)?;
            let c = chat(&st.org, id, r.me)?;
            let m = c
                .messages
                .iter()
                .find(|m| m.id == *mid)
                .ok_or_else(|| not_found("Message"))?;
            ok(render::message(
                &st.org,
                m,
                render::Place::Chat(&c.id),
                None,
            ))
        }
        ["chats", id, "messages", mid] if patch => {
            require(r.grant, &["Chat.ReadWrite"])?;
            chat(&st.org, id, r.me)?;
            let m = chat_mut(&mut st.org, id)
                .and_then(|c| c.messages.iter_mut().find(|m| m.id == *mid))
                .ok_or_else(|| not_found("Message"))?;
            edit(m, r)
        }
        ["chats", id, "messages", mid, "softDelete"] if post => {
            require(r.grant, &["Chat.ReadWrite", "ChatMessage.Send"])?;
            chat(&st.org, id, r.me)?;
            let m = chat_mut(&mut st.org, id)
                .and_then(|c| c.messages.iter_mut().find(|m| m.id == *mid))
                .ok_or_else(|| not_found("Message"))?;
            soft_delete(m, r.me)
        }
        ["chats", id, "markChatReadForUser"] if post => {
            require(r.grant, &["Chat.ReadWrite"])?;
            chat(&st.org, id, r.me)?;
            let user = r
                .body
                .pointer("/user/id")
                .and_then(Value::as_str)
                .unwrap_or("");
            if user != r.me
                || r.body
                    .pointer("/user/tenantId")
                    .and_then(Value::as_str)
                    .is_none()
            {
                return Err(graph_error(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    "The user in the request body must be the signed-in user, with its tenantId.",
                ));
            }
            chat_mut(&mut st.org, id).expect("checked").last_read = Utc::now();
            Ok((StatusCode::NO_CONTENT, Value::Null))
        }
        [
            "chats",
            id,
            "messages",
            mid,
            action @ ("setReaction" | "unsetReaction"),
        ] if post => {
            require(r.grant, &["Chat.ReadWrite", "ChatMessage.Send"])?;
            chat(&st.org, id, r.me)?;
            let m = chat_mut(&mut st.org, id)
                .and_then(|c| c.messages.iter_mut().find(|m| m.id == *mid))
                .ok_or_else(|| not_found("Message"))?;
            reaction(m, r, action)
        }
        _ => Err(unrouted(r)),
    }
}

fn last_activity(c: &Chat) -> DateTime<Utc> {
    c.messages
        .iter()
        .map(|m| m.modified)
        .max()
        .unwrap_or(c.created)
}

fn chat<'a>(org: &'a Org, id: &str, me: &str) -> Result<&'a Chat, Answer> {
    org.chats
        .iter()
        .find(|c| c.id == id && c.members.iter().any(|m| m == me))
        .ok_or_else(|| not_found("Chat"))
}

fn chat_mut<'a>(org: &'a mut Org, id: &str) -> Option<&'a mut Chat> {
    org.chats.iter_mut().find(|c| c.id == id)
}
