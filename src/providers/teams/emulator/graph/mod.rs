//! Microsoft Graph v1.0 as the Teams tools call it, under `/graph/v1.0/…`: `/me`, users,
//! `/me/chats` (`$expand=members`), chat messages (`$top` ≤ 50, `$orderby`, the documented
//! `$filter`s), `/me/joinedTeams`, channels, channel posts and replies, and the writes (post,
//! reply, PATCH, softDelete). Paging is `@odata.nextLink` with an opaque `$skiptoken`; errors
//! are Graph's `{"error": {"code", "message", "innerError"}}`; a token is checked on every
//! call (401 `InvalidAuthenticationToken` once expired) and so are its scopes (403 naming
//! what the API requires, as Graph does for channel messages without admin consent).
//!
//! This file checks the token, injects failures, logs, pages and dispatches; `chats`,
//! `channels` and `drives` hold their routes, and `messages` what every message route shares.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use chrono::Utc;
use serde_json::{Value, json};

mod channels;
mod chats;
mod drives;
mod messages;

use super::state::{Grant, LoggedRequest, State as EmuState};
use super::{Emu, GRAPH_PREFIX, render};

pub use drives::folder_id;

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
        ["me", "chats"] | ["chats", ..] => chats::route(st, r, segs),
        ["shares", ..] | ["drives", ..] | ["me", "drive"] => drives::route(st, r, segs),
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
            let t = channels::team_of(&st.org, team, r.me)?;
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
            channels::route(st, r, team, channel, rest)
        }
        _ => Err(unrouted(r)),
    }
}

/// Graph's answer to a path it has no resource for.
fn unrouted(r: &Req) -> Answer {
    graph_error(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        &format!(
            "Resource not found for the segment '{}'.",
            r.path.rsplit('/').next().unwrap_or("")
        ),
    )
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
