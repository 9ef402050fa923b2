//! The flat views Teams tools return, so every tool shows a message the same way: readable
//! text (HTML turned to text, system events and cards summarised), who sent it and when, its
//! thread, files, reactions and link; the HTML itself only when asked for.

use std::collections::BTreeMap;

use serde::Serialize;

use super::super::html;
use super::super::models::ChatMessage;

#[derive(Debug, Clone, Serialize)]
pub struct Sender {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttachmentView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `file`, `message` (a quoted message), `card`, or Graph's content type.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReactionView {
    pub emoji: String,
    pub count: usize,
    pub people: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    pub id: String,
    /// The channel post this answers (channel replies only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    pub sender: Sender,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// `message`, or `system` for events (members added, a call, a renamed chat…).
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edited: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<ReactionView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The body as Teams holds it (only with `include_html`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
}

/// What a system event says, from its `eventDetail` type.
fn event_summary(m: &ChatMessage) -> String {
    let kind = m
        .event_detail
        .as_ref()
        .and_then(|d| d.get("@odata.type"))
        .and_then(|t| t.as_str())
        .unwrap_or("");
    let name = kind
        .trim_start_matches("#microsoft.graph.")
        .trim_end_matches("EventMessageDetail");
    // camelCase to words: "membersAdded" → "members added".
    let mut words = String::new();
    for c in name.chars() {
        if c.is_uppercase() {
            words.push(' ');
            words.extend(c.to_lowercase());
        } else {
            words.push(c);
        }
    }
    if words.is_empty() {
        "[event]".into()
    } else {
        format!("[event: {}]", words.trim())
    }
}

fn attachment_kind(content_type: Option<&str>) -> String {
    match content_type.unwrap_or("") {
        "reference" => "file".into(),
        "messageReference" => "message".into(),
        t if t.starts_with("application/vnd.microsoft.card") => "card".into(),
        t => t.to_owned(),
    }
}

pub fn message_view(m: &ChatMessage, include_html: bool) -> MessageView {
    let (id, name) = m.sender();
    let system = m.message_type.as_deref().is_some_and(|t| t != "message");
    let raw = m.body.content.clone().unwrap_or_default();
    let is_html = m
        .body
        .content_type
        .as_deref()
        .is_none_or(|t| t.eq_ignore_ascii_case("html"));
    let mut text = if m.is_deleted() {
        String::new()
    } else if system {
        event_summary(m)
    } else if is_html {
        html::to_text(&raw)
    } else {
        raw.clone()
    };
    let attachments: Vec<AttachmentView> = m
        .attachments
        .iter()
        .map(|a| AttachmentView {
            id: a.id.clone(),
            name: a.name.clone(),
            kind: attachment_kind(a.content_type.as_deref()),
            url: a.content_url.clone(),
        })
        .collect();
    // `[attachment]` placeholders read better with the file's name.
    for a in &attachments {
        if let Some(name) = &a.name {
            text = text.replacen("[attachment]", &format!("[{}: {name}]", a.kind), 1);
        }
    }
    let mut grouped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &m.reactions {
        let who = r
            .user
            .as_ref()
            .and_then(|u| u.user.as_ref())
            .and_then(|u| u.display_name.clone().or(u.id.clone()))
            .unwrap_or_default();
        grouped
            .entry(r.reaction_type.clone())
            .or_default()
            .push(who);
    }
    MessageView {
        id: m.id.clone(),
        reply_to: m.reply_to_id.clone(),
        time: m.created_date_time.clone(),
        sender: Sender {
            id: id.map(str::to_owned),
            name: name.map(str::to_owned),
        },
        text,
        subject: m.subject.clone().filter(|s| !s.is_empty()),
        kind: if system { "system" } else { "message" },
        edited: m.last_edited_date_time.clone(),
        deleted: m.is_deleted(),
        attachments,
        reactions: grouped
            .into_iter()
            .map(|(emoji, people)| ReactionView {
                emoji,
                count: people.len(),
                people,
            })
            .collect(),
        link: m.web_url.clone(),
        html: include_html.then_some(raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_files_and_reactions_read_plainly() {
        let m: ChatMessage = serde_json::from_value(serde_json::json!({
            "id": "1", "messageType": "systemEventMessage",
            "eventDetail": {"@odata.type": "#microsoft.graph.membersAddedEventMessageDetail"},
            "body": {"contentType": "html", "content": "<systemEventMessage/>"}
        }))
        .unwrap();
        assert_eq!(message_view(&m, false).text, "[event: members added]");
        let m: ChatMessage = serde_json::from_value(serde_json::json!({
            "id": "2", "messageType": "message",
            "body": {"contentType": "html", "content": "<p>see</p><attachment id=\"a\"></attachment>"},
            "attachments": [{"id": "a", "contentType": "reference", "name": "plan.docx", "contentUrl": "https://x.test/plan.docx"}],
            "reactions": [{"reactionType": "👍", "user": {"user": {"id": "u", "displayName": "Ana"}}}]
        }))
        .unwrap();
        let v = message_view(&m, true);
        assert_eq!(v.text, "see\n[file: plan.docx]");
        assert_eq!(v.reactions[0].people, vec!["Ana"]);
        assert!(v.html.is_some());
    }
}
