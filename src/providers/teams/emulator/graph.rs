//! Microsoft Graph v1.0 as the Teams tools call it, under `/graph/v1.0/…`: `/me`, users,
//! `/me/chats` (`$expand=members`), chat messages (`$top` ≤ 50, `$orderby`, the documented
//! `$filter`s), `/me/joinedTeams`, channels, channel posts and replies, and the writes (post,
//! reply, PATCH, softDelete). Paging is `@odata.nextLink` with an opaque `$skiptoken`; errors
//! are Graph's `{"error": {"code", "message", "innerError"}}`; a token is checked on every
//! call (401 `InvalidAuthenticationToken` once expired) and so are its scopes (403 naming
//! what the API requires, as Graph does for channel messages without admin consent).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::state::{Chat, Grant, LoggedRequest, Message, Org, State as EmuState};
use super::{Emu, GRAPH_PREFIX, render};

pub type Answer = (StatusCode, Value);

pub fn graph_error(status: StatusCode, code: &str, message: &str) -> Answer {
    (
        status,
        json!({"error": {"code": code, "message": message, "innerError": {
            "date": Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
            "request-id": super::oauth::uuid_like(),
            "client-request-id": super::oauth::uuid_like(),
        }}}),
    )
}

fn not_found(what: &str) -> Answer {
    graph_error(
        StatusCode::NOT_FOUND,
        "NotFound",
        &format!("{what} not found."),
    )
}

/// The caller's scopes must include one of `any`.
fn require(grant: &Grant, any: &[&str]) -> Result<(), Answer> {
    if grant.scopes.iter().any(|s| any.contains(&s.as_str())) {
        return Ok(());
    }
    Err(graph_error(
        StatusCode::FORBIDDEN,
        "Forbidden",
        &format!(
            "Missing scope permissions on the request. API requires one of '{}'. Scopes on the request '{}'",
            any.join(", "),
            grant.scopes.join(", ")
        ),
    ))
}

/// The pre-authenticated download URL Graph redirects to: no token, the secret is the path.
pub async fn download(
    State(emu): State<Arc<Emu>>,
    axum::extract::Path(token): axum::extract::Path<String>,
) -> Response {
    let st = emu.state.lock().unwrap();
    match st.org.files.iter().find(|f| f.download_token == token) {
        Some(f) => (
            [(axum::http::header::CONTENT_TYPE, f.content_type.clone())],
            f.bytes.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

pub async fn handle(
    State(emu): State<Arc<Emu>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let latency = emu.state.lock().unwrap().settings.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let path = uri.path().to_owned();
    let query: BTreeMap<String, String> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let mut extra = HeaderMap::new();
    let (status, value) = answer(&emu, &method, &path, &query, &headers, &body, &mut extra);
    emu.log(LoggedRequest {
        method: method.to_string(),
        path: path.clone(),
        query,
        status: status.as_u16(),
    });
    let mut response = if status == StatusCode::NO_CONTENT {
        status.into_response()
    } else {
        (status, axum::Json(value)).into_response()
    };
    response.headers_mut().extend(extra);
    response
}

fn answer(
    emu: &Emu,
    method: &Method,
    path: &str,
    query: &BTreeMap<String, String>,
    headers: &HeaderMap,
    body: &[u8],
    extra: &mut HeaderMap,
) -> Answer {
    let mut st = emu.state.lock().unwrap();
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if token.is_empty() {
        return graph_error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "Access token is empty.",
        );
    }
    let grant = match st.access.get(token) {
        None => {
            return graph_error(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                "IDX14100: JWT is not well formed, there are no dots (.).",
            );
        }
        Some(a) if a.expires <= Instant::now() => {
            return graph_error(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                "Access token has expired or is not yet valid.",
            );
        }
        Some(a) => a.grant.clone(),
    };
    if let Some(f) = st
        .settings
        .failures
        .iter_mut()
        .find(|f| path.contains(&f.path) && f.remaining > 0)
    {
        f.remaining -= 1;
        let (status, code, wait) = (f.status, f.code.clone(), f.retry_after);
        if let Some(w) = wait {
            extra.insert("retry-after", w.to_string().parse().expect("digits"));
        }
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return graph_error(status, &code, "Injected by the emulator.");
    }
    let Some(rest) = path.strip_prefix(GRAPH_PREFIX) else {
        return graph_error(StatusCode::BAD_REQUEST, "BadRequest", "Invalid version.");
    };
    let segs: Vec<String> = rest
        .trim_matches('/')
        .split('/')
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let raw = body;
    let is_content_put = *method == Method::PUT && segs.last() == Some(&"content");
    let body: Value = if body.is_empty() || is_content_put {
        Value::Null
    } else {
        match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(_) => {
                return graph_error(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    "Unable to read JSON request payload.",
                );
            }
        }
    };
    let me = grant.user.clone();
    // nextLinks are absolute, on the address the client used (this router may be merged
    // into another emulator's server).
    let base = format!(
        "http://{}",
        headers
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1")
    );
    let r = Req {
        method,
        query,
        body: &body,
        raw,
        grant: &grant,
        me: &me,
        path,
        base: &base,
    };
    let (status, value) = match route(&mut st, &r, &segs) {
        Ok(a) | Err(a) => a,
    };
    if status == StatusCode::FOUND
        && let Some(l) = value.get("location").and_then(Value::as_str)
    {
        extra.insert("location", l.parse().expect("an ASCII URL"));
        return (status, Value::Null);
    }
    (status, value)
}

struct Req<'a> {
    method: &'a Method,
    query: &'a BTreeMap<String, String>,
    body: &'a Value,
    /// The request body as sent (a file's bytes for a content PUT).
    raw: &'a [u8],
    grant: &'a Grant,
    me: &'a str,
    path: &'a str,
    base: &'a str,
}

const READ_CHATS: &[&str] = &["Chat.Read", "Chat.ReadWrite", "Chat.ReadBasic"];
const READ_CHAT_MESSAGES: &[&str] = &["Chat.Read", "Chat.ReadWrite"];
const SEND_CHAT: &[&str] = &["ChatMessage.Send", "Chat.ReadWrite"];
const READ_CHANNEL_MESSAGES: &[&str] = &[
    "ChannelMessage.Read.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
];
const SEND_CHANNEL: &[&str] = &["ChannelMessage.Send", "Group.ReadWrite.All"];
const READ_TEAMS: &[&str] = &[
    "Team.ReadBasic.All",
    "TeamSettings.Read.All",
    "Group.Read.All",
];
const READ_CHANNELS: &[&str] = &[
    "Channel.ReadBasic.All",
    "ChannelSettings.Read.All",
    "Group.Read.All",
];
const FILES: &[&str] = &[
    "Files.Read",
    "Files.Read.All",
    "Files.ReadWrite",
    "Files.ReadWrite.All",
];
const READ_USERS: &[&str] = &["User.ReadBasic.All", "User.Read.All", "Directory.Read.All"];

fn route(st: &mut EmuState, r: &Req, segs: &[&str]) -> Result<Answer, Answer> {
    let get = *r.method == Method::GET;
    let post = *r.method == Method::POST;
    let patch = *r.method == Method::PATCH;
    let ok = |v: Value| Ok((StatusCode::OK, v));
    match segs {
        ["me"] if get => {
            require(
                r.grant,
                &[
                    "User.Read",
                    "User.ReadWrite",
                    "User.ReadBasic.All",
                    "User.Read.All",
                ],
            )?;
            let u = st.org.user(r.me).ok_or_else(|| not_found("User"))?;
            ok(render::select(render::user(u), r.query))
        }
        ["users", id] if get => {
            require(r.grant, READ_USERS)?;
            let u = st
                .org
                .users
                .iter()
                .find(|u| u.id == *id || u.mail.eq_ignore_ascii_case(id))
                .ok_or_else(|| not_found(&format!("Resource '{id}' does not exist or one of its queried reference-property objects are")))?;
            ok(render::select(render::user(u), r.query))
        }
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
        ["shares", share, "driveItem", "content"] if get => {
            require(
                r.grant,
                &[
                    "Files.Read",
                    "Files.Read.All",
                    "Files.ReadWrite",
                    "Files.ReadWrite.All",
                    "Sites.Read.All",
                ],
            )?;
            let url = share
                .strip_prefix("u!")
                .and_then(|b| {
                    base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .decode(b)
                        .ok()
                })
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    graph_error(
                        StatusCode::BAD_REQUEST,
                        "invalidRequest",
                        "The sharing token is invalid.",
                    )
                })?;
            let f = st
                .org
                .files
                .iter()
                .find(|f| f.url == url)
                .ok_or_else(|| not_found("Item"))?;
            Err((
                StatusCode::FOUND,
                json!({"location": format!("{}/teams-files/{}", r.base, f.download_token)}),
            ))
        }
        ["me", "drive"] if get => {
            require(r.grant, FILES)?;
            Ok((StatusCode::OK, render::drive(&format!("b!{}", r.me), r.me)))
        }
        ["drives", drive, "items", item] if get => {
            require(r.grant, FILES)?;
            let found = drive_item(&st.org, drive, item).ok_or_else(item_not_found)?;
            Ok((StatusCode::OK, render::drive_item(found)))
        }
        ["drives", drive, "items", item, "content"] if *r.method == Method::PUT => {
            require(
                r.grant,
                &[
                    "Files.ReadWrite",
                    "Files.ReadWrite.All",
                    "Sites.ReadWrite.All",
                ],
            )?;
            let (folder, name) = path_based(item).ok_or_else(|| {
                graph_error(
                    StatusCode::BAD_REQUEST,
                    "invalidRequest",
                    "Use path-based addressing: items/{parent-id}:/{file-name}:/content.",
                )
            })?;
            if name.is_empty() || name.contains(['/', '\\', ':', '*', '?', '"', '<', '>', '|']) {
                return Err(graph_error(
                    StatusCode::BAD_REQUEST,
                    "invalidRequest",
                    "The file name is not valid.",
                ));
            }
            let existing = st
                .org
                .items
                .iter()
                .position(|i| i.drive == *drive && i.folder == folder && i.name == name);
            let guid = super::oauth::uuid_like().to_uppercase();
            let web_url = format!(
                "https://contoso-my.sharepoint.com/{}/{}/{}",
                drive,
                url_path(&folder),
                url_path(&name)
            );
            let item = super::state::DriveItem {
                drive: drive.to_string(),
                id: format!("01{}", guid.replace('-', "")),
                folder,
                name,
                web_url: web_url.clone(),
                guid,
                shared_with: Vec::new(),
            };
            let status = if existing.is_some() {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            if let Some(i) = existing {
                st.org.items.remove(i);
            }
            st.org.files.retain(|f| f.url != web_url);
            st.org.files.push(super::state::StoredFile {
                url: web_url,
                content_type: "application/octet-stream".into(),
                bytes: r.raw.to_vec(),
                download_token: super::oauth::token(),
            });
            let out = render::drive_item(&item);
            st.org.items.push(item);
            Ok((status, out))
        }
        ["drives", drive, "items", item, "invite"] if post => {
            require(
                r.grant,
                &[
                    "Files.ReadWrite",
                    "Files.ReadWrite.All",
                    "Sites.ReadWrite.All",
                ],
            )?;
            let emails: Vec<String> = r
                .body
                .get("recipients")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.get("email").and_then(Value::as_str).map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if emails.is_empty()
                || r.body
                    .get("roles")
                    .and_then(Value::as_array)
                    .is_none_or(|a| a.is_empty())
            {
                return Err(graph_error(
                    StatusCode::BAD_REQUEST,
                    "invalidRequest",
                    "recipients and roles are required.",
                ));
            }
            let found = st
                .org
                .items
                .iter_mut()
                .find(|i| i.drive == *drive && i.id == *item)
                .ok_or_else(item_not_found)?;
            found.shared_with.extend(emails.iter().cloned());
            let value: Vec<Value> = emails
                .iter()
                .map(|e| json!({"id": super::oauth::uuid_like(), "roles": ["read"], "grantedTo": {"user": {"email": e}}}))
                .collect();
            Ok((StatusCode::OK, json!({"value": value})))
        }
        ["me", "joinedTeams"] if get => {
            require(r.grant, READ_TEAMS)?;
            let items: Vec<Value> = st
                .org
                .teams
                .iter()
                .filter(|t| t.members.iter().any(|m| m == r.me))
                .map(render::team)
                .collect();
            // Graph answers joinedTeams in one page.
            ok(
                json!({"@odata.context": format!("https://graph.microsoft.com/v1.0/$metadata#teams"), "@odata.count": items.len(), "value": items}),
            )
        }
        ["teams", team, "channels"] if get => {
            require(r.grant, READ_CHANNELS)?;
            let t = team_of(&st.org, team, r.me)?;
            let items: Vec<Value> = t
                .channels
                .iter()
                .filter(|c| c.membership == "standard" || c.members.iter().any(|m| m == r.me))
                .map(|c| render::channel(t, c))
                .collect();
            ok(
                json!({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#teams('…')/channels", "@odata.count": items.len(), "value": items}),
            )
        }
        ["teams", team, "channels", channel, rest @ ..] => {
            channel_route(st, r, team, channel, rest)
        }
        _ => Err(graph_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            &format!(
                "Resource not found for the segment '{}'.",
                r.path.rsplit('/').next().unwrap_or("")
            ),
        )),
    }
}

fn channel_route(
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

fn team_of<'a>(org: &'a Org, id: &str, me: &str) -> Result<&'a super::state::Team, Answer> {
    org.teams
        .iter()
        .find(|t| t.id == id && t.members.iter().any(|m| m == me))
        .ok_or_else(|| not_found("Team"))
}

fn channel_mut<'a>(org: &'a mut Org, team: &str, channel: &str) -> &'a mut super::state::Channel {
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

fn item_not_found() -> Answer {
    graph_error(
        StatusCode::NOT_FOUND,
        "itemNotFound",
        "The resource could not be found.",
    )
}

fn url_path(s: &str) -> String {
    s.split('/')
        .map(|p| {
            url::form_urlencoded::byte_serialize(p.as_bytes())
                .collect::<String>()
                .replace('+', "%20")
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A channel files folder's item id in a team's drive.
pub fn folder_id(channel_name: &str) -> String {
    format!("01FOLDER{}", channel_name.to_uppercase().replace(' ', ""))
}

/// `root:/A/B:` or `{folder-id}:/name:`: the folder path and the file name it addresses.
fn path_based(item: &str) -> Option<(String, String)> {
    let (base, rest) = item.split_once(':')?;
    let rest = rest.strip_prefix('/')?.strip_suffix(':')?;
    let (dir, name) = match rest.rsplit_once('/') {
        Some((d, n)) => (d.to_owned(), n.to_owned()),
        None => (String::new(), rest.to_owned()),
    };
    let folder = if base == "root" {
        dir
    } else {
        // A folder item: a channel's files folder (team drives) by its id.
        let channel = base.strip_prefix("01FOLDER")?;
        if dir.is_empty() {
            channel.to_owned()
        } else {
            format!("{channel}/{dir}")
        }
    };
    Some((folder, name))
}

fn drive_item<'a>(org: &'a Org, drive: &str, item: &str) -> Option<&'a super::state::DriveItem> {
    match path_based(item) {
        Some((folder, name)) => org
            .items
            .iter()
            .find(|i| i.drive == drive && i.folder == folder && i.name == name),
        None => org.items.iter().find(|i| i.drive == drive && i.id == item),
    }
}

/// A message from a POST body: `body.content` required, `contentType` `text` or `html`.
fn new_message(org: &mut Org, r: &Req) -> Result<Message, Answer> {
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

fn edit(m: &mut Message, r: &Req) -> Result<Answer, Answer> {
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
fn reaction(m: &mut Message, r: &Req, action: &str) -> Result<Answer, Answer> {
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
        m.reactions.push(super::state::Reaction {
            reaction_type: kind.to_owned(),
            user: r.me.to_owned(),
            at: Utc::now(),
        });
    }
    Ok((StatusCode::NO_CONTENT, Value::Null))
}

fn soft_delete(m: &mut Message, me: &str) -> Result<Answer, Answer> {
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
fn order_and_filter(r: &Req, list: &mut Vec<&Message>) -> Result<(), Answer> {
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

/// One page of `items` by `$top` (at most `max`) and `$skiptoken`, with `@odata.nextLink`
/// (every other query parameter kept) unless it is the last.
fn page(r: &Req, items: Vec<Value>, max: usize) -> Result<Answer, Answer> {
    let top = match r.query.get("$top") {
        None => 20.min(max),
        Some(t) => match t.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => n,
            _ => {
                return Err(graph_error(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    &format!(
                        "Invalid page size specified: '{t}'. Must be between 1 and {max} inclusive."
                    ),
                ));
            }
        },
    };
    let skip = match r.query.get("$skiptoken") {
        None => 0,
        Some(t) => base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(t)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.strip_prefix("skip:").and_then(|n| n.parse().ok()))
            .ok_or_else(|| {
                graph_error(StatusCode::BAD_REQUEST, "BadRequest", "Invalid skip token.")
            })?,
    };
    let total = items.len();
    let value: Vec<Value> = items.into_iter().skip(skip).take(top).collect();
    let mut out = json!({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata", "@odata.count": value.len(), "value": value});
    if skip + top < total {
        let token =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("skip:{}", skip + top));
        let mut pairs: Vec<(String, String)> = r
            .query
            .iter()
            .filter(|(k, _)| k.as_str() != "$skiptoken")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        pairs.push(("$skiptoken".into(), token));
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        out["@odata.nextLink"] = json!(format!("{}{}?{query}", r.base, r.path));
    }
    Ok((StatusCode::OK, out))
}
