//! Graph's JSON for the emulated objects, field for field as v1.0 returns them (`@odata.type`
//! on identities and members, nulls where Graph sends nulls), and `$select`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::data::TENANT_ID;
use super::state::{Channel, Chat, Message, Org, Team, User};

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub fn user(u: &User) -> Value {
    json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
        "businessPhones": [],
        "displayName": u.display_name,
        "givenName": u.display_name.split(' ').next(),
        "jobTitle": u.job_title,
        "mail": u.mail,
        "mobilePhone": null,
        "officeLocation": null,
        "preferredLanguage": "en-US",
        "surname": u.display_name.split(' ').nth(1),
        "userPrincipalName": u.mail,
        "id": u.id,
    })
}

/// `$select=a,b`: only those properties (and the `@odata` annotations).
pub fn select(v: Value, query: &BTreeMap<String, String>) -> Value {
    let (Some(sel), Value::Object(map)) = (query.get("$select"), &v) else {
        return v;
    };
    let keep: Vec<&str> = sel.split(',').map(str::trim).collect();
    let out: Map<String, Value> = map
        .iter()
        .filter(|(k, _)| k.starts_with('@') || keep.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Value::Object(out)
}

fn identity(org: &Org, id: &str, with_name: bool) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.teamworkUserIdentity",
        "id": id,
        "displayName": if with_name { org.user(id).map(|u| u.display_name.clone()) } else { None },
        "userIdentityType": "aadUser",
    })
}

pub fn member(org: &Org, user: &str, scope: &str) -> Value {
    let u = org.user(user);
    let id = base64_id(&format!("1#{scope}#{user}"));
    json!({
        "@odata.type": "#microsoft.graph.aadUserConversationMember",
        "id": id,
        "roles": ["owner"],
        "displayName": u.map(|u| u.display_name.clone()),
        "visibleHistoryStartDateTime": "0001-01-01T00:00:00Z",
        "userId": user,
        "email": u.map(|u| u.mail.clone()),
        "tenantId": TENANT_ID,
    })
}

fn base64_id(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

pub fn chat(org: &Org, c: &Chat, expand_members: bool) -> Value {
    let last = c
        .messages
        .iter()
        .map(|m| m.modified)
        .max()
        .unwrap_or(c.created);
    let mut v = json!({
        "id": c.id,
        "topic": c.topic,
        "createdDateTime": time(c.created),
        "lastUpdatedDateTime": time(last),
        "chatType": c.chat_type,
        "webUrl": format!("https://teams.microsoft.com/l/chat/{}/0?tenantId={TENANT_ID}", urlencode(&c.id)),
        "tenantId": TENANT_ID,
        "onlineMeetingInfo": null,
        "viewpoint": {"isHidden": false, "lastMessageReadDateTime": time(c.last_read)},
    });
    if expand_members {
        v["members@odata.context"] = json!(format!(
            "https://graph.microsoft.com/v1.0/$metadata#chats('{}')/members",
            c.id
        ));
        v["members"] = Value::Array(c.members.iter().map(|m| member(org, m, &c.id)).collect());
    }
    v
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn team(t: &Team) -> Value {
    json!({
        "id": t.id,
        "createdDateTime": null,
        "displayName": t.name,
        "description": t.description,
        "internalId": null,
        "classification": null,
        "specialization": null,
        "visibility": null,
        "webUrl": null,
        "isArchived": false,
        "tenantId": TENANT_ID,
        "memberSettings": null,
        "guestSettings": null,
        "messagingSettings": null,
        "funSettings": null,
        "summary": null,
    })
}

pub fn channel(t: &Team, c: &Channel) -> Value {
    json!({
        "id": c.id,
        "createdDateTime": "2024-01-10T09:00:00Z",
        "displayName": c.name,
        "description": if c.description.is_empty() { None } else { Some(c.description.clone()) },
        "isFavoriteByDefault": null,
        "email": "",
        "tenantId": TENANT_ID,
        "webUrl": format!("https://teams.microsoft.com/l/channel/{}/{}?groupId={}&tenantId={TENANT_ID}", urlencode(&c.id), urlencode(&c.name), t.id),
        "membershipType": c.membership,
    })
}

#[derive(Clone, Copy)]
pub enum Place<'a> {
    Chat(&'a str),
    Channel(&'a str, &'a str),
}

pub fn message(org: &Org, m: &Message, place: Place, parent: Option<&str>) -> Value {
    let system = m.message_type != "message";
    let (chat_id, channel_identity, web_url) = match place {
        Place::Chat(id) => (json!(id), Value::Null, Value::Null),
        Place::Channel(team, channel) => (
            Value::Null,
            json!({"teamId": team, "channelId": channel}),
            json!(format!(
                "https://teams.microsoft.com/l/message/{}/{}?groupId={team}&tenantId={TENANT_ID}&createdTime={}&parentMessageId={}",
                urlencode(channel),
                m.id,
                m.created.timestamp_millis(),
                parent.unwrap_or(&m.id)
            )),
        ),
    };
    let from = if system {
        Value::Null
    } else {
        json!({"application": null, "device": null, "user": identity(org, &m.from, true)})
    };
    let deleted = m.deleted.is_some();
    json!({
        "id": m.id,
        "replyToId": parent,
        "etag": m.modified.timestamp_millis().to_string(),
        "messageType": m.message_type,
        "createdDateTime": time(m.created),
        "lastModifiedDateTime": time(m.modified),
        "lastEditedDateTime": m.edited.map(time),
        "deletedDateTime": m.deleted.map(time),
        "subject": m.subject,
        "summary": null,
        "chatId": chat_id,
        "importance": "normal",
        "locale": "en-us",
        "webUrl": web_url,
        "channelIdentity": channel_identity,
        "policyViolation": null,
        "eventDetail": m.event,
        "from": from,
        "body": {
            "contentType": m.content_type,
            "content": if deleted { String::new() } else { m.content.clone() },
        },
        "attachments": if deleted { Vec::new() } else { m.attachments.clone() },
        "mentions": m.mentions.iter().map(|(id, user, text)| json!({
            "id": id,
            "mentionText": text,
            "mentioned": {"application": null, "device": null, "conversation": null, "user": identity(org, user, true)},
        })).collect::<Vec<_>>(),
        "reactions": m.reactions.iter().map(|r| json!({
            "reactionType": r.reaction_type,
            "reactionContentUrl": null,
            "displayName": reaction_name(&r.reaction_type),
            "createdDateTime": time(r.at),
            // Graph names no one here; clients look the id up.
            "user": {"application": null, "device": null, "user": identity(org, &r.user, false)},
        })).collect::<Vec<_>>(),
        "messageHistory": [],
    })
}

fn reaction_name(r: &str) -> &'static str {
    match r {
        "👍" | "like" => "Like",
        "❤️" | "heart" => "Heart",
        "😆" | "laugh" => "Laugh",
        "😮" | "surprised" => "Surprised",
        "😢" | "sad" => "Sad",
        "😡" | "angry" => "Angry",
        _ => "Reaction",
    }
}

pub fn drive(id: &str, owner: &str) -> Value {
    json!({
        "id": id,
        "driveType": "business",
        "name": "OneDrive",
        "owner": {"user": {"id": owner, "displayName": null}},
        "webUrl": format!("https://contoso-my.sharepoint.com/personal/{owner}/Documents"),
    })
}

pub fn drive_item(i: &super::state::DriveItem) -> Value {
    json!({
        "id": i.id,
        "name": i.name,
        "eTag": format!("\"{{{}}},1\"", i.guid),
        "cTag": format!("\"c:{{{}}},1\"", i.guid),
        "webUrl": i.web_url,
        "size": null,
        "parentReference": {"driveId": i.drive, "driveType": "business", "path": format!("/drive/root:/{}", i.folder)},
        "file": {"mimeType": "application/octet-stream"},
    })
}

/// A channel's files folder in its team's drive.
pub fn files_folder(team: &str, channel_name: &str) -> Value {
    json!({
        "id": super::graph::folder_id(channel_name),
        "name": channel_name,
        "webUrl": format!("https://contoso.sharepoint.com/sites/{team}/Shared%20Documents/{channel_name}"),
        "parentReference": {"driveId": format!("b!team{team}"), "driveType": "documentLibrary"},
        "folder": {"childCount": 0},
    })
}
