//! What every message route shares: a message from a POST body (reference attachments
//! checked against the body), edits, soft deletion, reactions, and chat lists' `$orderby` and
//! `$filter` as Graph documents them.

use chrono::{DateTime, Utc};

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::super::state::{Message, Org};
use super::*;

/// A message from a POST body: `body.content` required, `contentType` `text` or `html`.
pub(super) fn new_message(org: &mut Org, r: &Req) -> Result<Message, Answer> {
    let content = r
        .body
        .pointer("/body/content")
        .and_then(Value::as_str)
        .unwrap_or("");
    if content.trim().is_empty() {
        return Err(graph_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Missing body content",
        ));
    }
    let content_type = r
        .body
        .pointer("/body/contentType")
        .and_then(Value::as_str)
        .unwrap_or("text");
    if !matches!(content_type, "text" | "html") {
        return Err(graph_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Invalid body contentType.",
        ));
    }
    // Reference attachments: each needs its `<attachment id>` in the body, as Graph checks.
    let mut attachments = Vec::new();
    for a in r
        .body
        .get("attachments")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let id = a.get("id").and_then(Value::as_str).unwrap_or("");
        if id.is_empty() || a.get("contentType").and_then(Value::as_str).is_none() {
            return Err(graph_error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "Attachment id and contentType are required.",
            ));
        }
        if !content.contains(&format!("<attachment id=\"{id}\">")) {
            return Err(graph_error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                &format!("Attachment '{id}' is not referenced in the message body."),
            ));
        }
        attachments.push(json!({
            "id": id,
            "contentType": a.get("contentType"),
            "contentUrl": a.get("contentUrl"),
            "content": a.get("content"),
            "name": a.get("name"),
            "thumbnailUrl": null,
            "teamsAppId": null,
        }));
    }
    let now = Utc::now();
    Ok(Message {
        id: org.next_id(now),
        from: r.me.to_owned(),
        created: now,
        modified: now,
        edited: None,
        deleted: None,
        content_type: content_type.into(),
        content: content.into(),
        subject: r
            .body
            .get("subject")
            .and_then(Value::as_str)
            .map(str::to_owned),
        message_type: "message".into(),
        event: None,
        attachments,
        mentions: Vec::new(),
        reactions: Vec::new(),
        replies: Vec::new(),
    })
}

pub(super) fn edit(m: &mut Message, r: &Req) -> Result<Answer, Answer> {
    if m.from != r.me {
        return Err(graph_error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "User can only update their own messages.",
        ));
    }
    let content = r
        .body
        .pointer("/body/content")
        .and_then(Value::as_str)
        .unwrap_or("");
    if content.trim().is_empty() {
        return Err(graph_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Missing body content",
        ));
    }
    let now = Utc::now();
    m.content = content.into();
    m.content_type = r
        .body
        .pointer("/body/contentType")
        .and_then(Value::as_str)
        .unwrap_or("text")
        .into();
    m.edited = Some(now);
    m.modified = now;
    Ok((StatusCode::NO_CONTENT, Value::Null))
}

/// setReaction / unsetReaction: `reactionType` required; one reaction of a kind per person.
pub(super) fn reaction(m: &mut Message, r: &Req, action: &str) -> Result<Answer, Answer> {
    let Some(kind) = r
        .body
        .get("reactionType")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty())
    else {
        return Err(graph_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "reactionType is required.",
        ));
    };
    m.reactions
        .retain(|x| !(x.user == r.me && x.reaction_type == kind));
    if action == "setReaction" {
        m.reactions.push(super::super::state::Reaction {
            reaction_type: kind.to_owned(),
            user: r.me.to_owned(),
            at: Utc::now(),
        });
    }
    Ok((StatusCode::NO_CONTENT, Value::Null))
}

pub(super) fn soft_delete(m: &mut Message, me: &str) -> Result<Answer, Answer> {
    if m.from != me {
        return Err(graph_error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "User can only delete their own messages.",
        ));
    }
    let now = Utc::now();
    m.deleted.get_or_insert(now);
    m.modified = now;
    Ok((StatusCode::NO_CONTENT, Value::Null))
}

/// Chat messages: `$orderby` createdDateTime or lastModifiedDateTime desc, and the `$filter`s
/// Graph documents for each (createdDateTime lt; lastModifiedDateTime gt/lt).
pub(super) fn order_and_filter(r: &Req, list: &mut Vec<&Message>) -> Result<(), Answer> {
    let order = r
        .query
        .get("$orderby")
        .map(String::as_str)
        .unwrap_or("createdDateTime desc");
    let by_modified = match order.trim() {
        "createdDateTime desc" => false,
        "lastModifiedDateTime desc" => true,
        other => {
            return Err(graph_error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                &format!(
                    "Invalid $orderby '{other}': only createdDateTime desc and lastModifiedDateTime desc are supported."
                ),
            ));
        }
    };
    if let Some(filter) = r.query.get("$filter") {
        for clause in filter.split(" and ") {
            let parts: Vec<&str> = clause.split_whitespace().collect();
            let [field, op, value] = parts.as_slice() else {
                return Err(graph_error(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    "Invalid $filter.",
                ));
            };
            let ok = matches!(
                (by_modified, *field, *op),
                (false, "createdDateTime", "lt") | (true, "lastModifiedDateTime", "gt" | "lt")
            );
            let at = DateTime::parse_from_rfc3339(value).map(|t| t.with_timezone(&Utc));
            let (true, Ok(at)) = (ok, at) else {
                return Err(graph_error(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    &format!("Invalid $filter '{clause}' for $orderby '{order}'."),
                ));
            };
            list.retain(|m| {
                let t = if by_modified { m.modified } else { m.created };
                if *op == "lt" { t < at } else { t > at }
            });
        }
    }
    if by_modified {
        list.sort_by_key(|m| std::cmp::Reverse(m.modified));
    } else {
        list.sort_by_key(|m| std::cmp::Reverse(m.created));
    }
    Ok(())
}
