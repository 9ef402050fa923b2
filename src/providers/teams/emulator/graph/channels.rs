//! A channel's routes under `/teams/{team}/channels/{channel}`: the channel, its files
//! folder, posts and replies (list, post, get, PATCH, softDelete, reactions) and members.

use axum::http::{Method, StatusCode};
use serde_json::Value;

use super::super::render;
use super::super::state::{Message, Org, State as EmuState};
use super::messages::{edit, new_message, reaction, soft_delete};
use super::*;

pub(super) fn route(
    st: &mut EmuState,
    r: &Req,
    team: &str,
    channel: &str,
    rest: &[&str],
) -> Result<Answer, Answer> {
    let get = *r.method == Method::GET;
    let post = *r.method == Method::POST;
    let patch = *r.method == Method::PATCH;
    let t = team_of(&st.org, team, r.me)?;
    let c = t
        .channels
        .iter()
        .find(|c| {
            c.id == channel && (c.membership == "standard" || c.members.iter().any(|m| m == r.me))
        })
        .ok_or_else(|| not_found("Channel"))?;
    let (team_id, channel_id) = (t.id.clone(), c.id.clone());
    let place = render::Place::Channel(&team_id, &channel_id);
    match rest {
        [] if get => Ok((StatusCode::OK, render::channel(t, c))),
        ["filesFolder"] if get => {
            require(
                r.grant,
                &[
                    "Files.Read.All",
                    "Files.ReadWrite.All",
                    "Sites.Read.All",
                    "Sites.ReadWrite.All",
                ],
            )?;
            Ok((StatusCode::OK, render::files_folder(&team_id, &c.name)))
        }
        ["messages"] if get => {
            require(r.grant, READ_CHANNEL_MESSAGES)?;
            if r.query.contains_key("$filter") || r.query.contains_key("$orderby") {
                return Err(graph_error(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    "Query option '$filter' is not allowed. To connect to this API with $filter or $orderby use teams/{id}/channels/{id}/messages/delta.",
                ));
            }
            let mut list: Vec<&Message> = c.messages.iter().collect();
            // Newest activity first: a post with a new reply comes back to the top.
            list.sort_by_key(|m| std::cmp::Reverse(m.modified));
            let items: Vec<Value> = list
                .iter()
                .map(|m| render::message(&st.org, m, place, None))
                .collect();
            page(r, items, 50)
        }
        ["messages"] if post => {
            require(r.grant, SEND_CHANNEL)?;
            let m = new_message(&mut st.org, r)?;
            let out = render::message(&st.org, &m, place, None);
            channel_mut(&mut st.org, &team_id, &channel_id)
                .messages
                .push(m);
            Ok((StatusCode::CREATED, out))
        }
        ["messages", mid] if get => {
            require(r.grant, READ_CHANNEL_MESSAGES)?;
            let m = c
                .messages
                .iter()
                .find(|m| m.id == *mid)
                .ok_or_else(|| not_found("Message"))?;
            Ok((StatusCode::OK, render::message(&st.org, m, place, None)))
        }
        ["messages", mid] if patch => {
            require(
                r.grant,
                &[
                    "ChannelMessage.ReadWrite",
                    "Group.ReadWrite.All",
                    "ChannelMessage.Send",
                ],
            )?;
            let m = channel_mut(&mut st.org, &team_id, &channel_id)
                .messages
                .iter_mut()
                .find(|m| m.id == *mid)
                .ok_or_else(|| not_found("Message"))?;
            edit(m, r)
        }
        ["messages", mid, "softDelete"] if post => {
            require(
                r.grant,
                &[
                    "ChannelMessage.ReadWrite",
                    "Group.ReadWrite.All",
                    "ChannelMessage.Send",
                ],
            )?;
            let m = channel_mut(&mut st.org, &team_id, &channel_id)
                .messages
                .iter_mut()
                .find(|m| m.id == *mid)
                .ok_or_else(|| not_found("Message"))?;
            soft_delete(m, r.me)
        }
        ["messages", mid, action @ ("setReaction" | "unsetReaction")] if post => {
            require(r.grant, &["ChannelMessage.Send", "Group.ReadWrite.All"])?;
            let m = channel_mut(&mut st.org, &team_id, &channel_id)
                .messages
                .iter_mut()
                .find(|m| m.id == *mid)
                .ok_or_else(|| not_found("Message"))?;
            reaction(m, r, action)
        }
        [
            "messages",
            mid,
            "replies",
            rid,
            action @ ("setReaction" | "unsetReaction"),
        ] if post => {
            require(r.grant, &["ChannelMessage.Send", "Group.ReadWrite.All"])?;
            let m = reply_mut(&mut st.org, &team_id, &channel_id, mid, rid)?;
            reaction(m, r, action)
        }
        ["members"] if get => {
            require(
                r.grant,
                &[
                    "ChannelMember.Read.All",
                    "ChannelMember.ReadWrite.All",
                    "Group.Read.All",
                ],
            )?;
            let items: Vec<Value> = c
                .members
                .iter()
                .map(|m| render::member(&st.org, m, &c.id))
                .collect();
            page(r, items, 100)
        }
        ["messages", mid, "replies"] if get => {
            require(r.grant, READ_CHANNEL_MESSAGES)?;
            let p = c
                .messages
                .iter()
                .find(|m| m.id == *mid)
                .ok_or_else(|| not_found("Message"))?;
            let mut list: Vec<&Message> = p.replies.iter().collect();
            list.sort_by_key(|m| std::cmp::Reverse(m.created));
            let items: Vec<Value> = list
                .iter()
                .map(|m| render::message(&st.org, m, place, Some(&p.id)))
                .collect();
            page(r, items, 50)
        }
        ["messages", mid, "replies"] if post => {
            require(r.grant, SEND_CHANNEL)?;
            if !c.messages.iter().any(|m| m.id == *mid) {
                return Err(not_found("Message"));
            }
            let reply = new_message(&mut st.org, r)?;
            let out = render::message(&st.org, &reply, place, Some(mid));
            let parent = channel_mut(&mut st.org, &team_id, &channel_id)
                .messages
                .iter_mut()
                .find(|m| m.id == *mid)
                .expect("checked");
            parent.modified = reply.created;
            parent.replies.push(reply);
            Ok((StatusCode::CREATED, out))
        }
        ["messages", mid, "replies", rid] if get => {
            require(r.grant, READ_CHANNEL_MESSAGES)?;
            let p = c
                .messages
                .iter()
                .find(|m| m.id == *mid)
                .ok_or_else(|| not_found("Message"))?;
            let m = p
                .replies
                .iter()
                .find(|m| m.id == *rid)
                .ok_or_else(|| not_found("Message"))?;
            Ok((
                StatusCode::OK,
                render::message(&st.org, m, place, Some(&p.id)),
            ))
        }
        ["messages", mid, "replies", rid] if patch => {
            require(
                r.grant,
                &[
                    "ChannelMessage.ReadWrite",
                    "Group.ReadWrite.All",
                    "ChannelMessage.Send",
                ],
            )?;
            let m = reply_mut(&mut st.org, &team_id, &channel_id, mid, rid)?;
            edit(m, r)
        }
        ["messages", mid, "replies", rid, "softDelete"] if post => {
            require(
                r.grant,
                &[
                    "ChannelMessage.ReadWrite",
                    "Group.ReadWrite.All",
                    "ChannelMessage.Send",
                ],
            )?;
            let m = reply_mut(&mut st.org, &team_id, &channel_id, mid, rid)?;
            soft_delete(m, r.me)
        }
        _ => Err(graph_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Resource not found for the segment.",
        )),
    }
}

pub(super) fn team_of<'a>(
    org: &'a Org,
    id: &str,
    me: &str,
) -> Result<&'a super::super::state::Team, Answer> {
    org.teams
        .iter()
        .find(|t| t.id == id && t.members.iter().any(|m| m == me))
        .ok_or_else(|| not_found("Team"))
}

fn channel_mut<'a>(
    org: &'a mut Org,
    team: &str,
    channel: &str,
) -> &'a mut super::super::state::Channel {
    org.teams
        .iter_mut()
        .find(|t| t.id == team)
        .and_then(|t| t.channels.iter_mut().find(|c| c.id == channel))
        .expect("checked before")
}

fn reply_mut<'a>(
    org: &'a mut Org,
    team: &str,
    channel: &str,
    mid: &str,
    rid: &str,
) -> Result<&'a mut Message, Answer> {
    channel_mut(org, team, channel)
        .messages
        .iter_mut()
        .find(|m| m.id == mid)
        .and_then(|p| p.replies.iter_mut().find(|m| m.id == rid))
        .ok_or_else(|| not_found("Message"))
}
