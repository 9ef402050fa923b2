//! The HTTP front: one fallback handler that does what Google's front end does.
//!
//! Every request goes through the same pipeline: admin routes aside, added latency, injected
//! failures, route lookup (an unknown path gets Google's HTML 404), bearer authentication,
//! scope check, unknown-query-parameter rejection, per-space quota, then the method handler;
//! the JSON answer is trimmed by `fields` and pretty-printed unless `prettyPrint=false`, as
//! Google does. Every non-admin request is logged, without headers, bodies or token values.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Map, Value, json};

use super::auth::{self, Caller};
use super::errors::ApiError;
use super::fields::Selector;
use super::routes::{self, Captures, Op, Route, Service};
use super::state::{Emu, LoggedRequest, fmt_time};
use super::{admin, chat, chat_write, identity, media, members, oauth, people, reactions};

/// Upload limit: Chat accepts attachments up to 200 MB.
const MAX_BODY: usize = 210 * 1024 * 1024;

/// Query keys whose values are secrets and never reach the log.
const SECRET_KEYS: &[&str] = &[
    "access_token",
    "oauth_token",
    "token",
    "refresh_token",
    "code",
    "code_verifier",
    "client_secret",
    "key",
];

pub fn router(emu: Arc<Emu>) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(emu)
}

/// What an API method answers on success.
pub enum Reply {
    Json(Value),
    /// Raw bytes (media download).
    Media {
        content_type: String,
        filename: String,
        bytes: Vec<u8>,
    },
}

pub type ApiResult = Result<Reply, ApiError>;

/// One authenticated API call, as handlers see it.
pub struct Call<'a> {
    pub emu: &'a Emu,
    pub route: &'static Route,
    pub caps: Captures,
    pub query: &'a [(String, String)],
    pub headers: &'a HeaderMap,
    pub body: Bytes,
    pub caller: Caller,
}

impl Call<'_> {
    /// A path capture (always present for the route's own template).
    pub fn cap(&self, name: &str) -> &str {
        self.caps
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The first value of a query parameter.
    pub fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated query parameter.
    pub fn q_all(&self, name: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A boolean query parameter (`true`/`false`, as Google parses them).
    pub fn q_bool(&self, name: &str) -> Result<bool, ApiError> {
        match self.q(name) {
            None => Ok(false),
            Some("true") | Some("1") => Ok(true),
            Some("false") | Some("0") => Ok(false),
            Some(other) => Err(ApiError::invalid(format!(
                "Invalid value at '{name}' (TYPE_BOOL), \"{other}\""
            ))),
        }
    }

    /// The JSON request body as an object (`{}` when empty).
    pub fn json(&self) -> Result<Map<String, Value>, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Map::new());
        }
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err(ApiError::bad_json("Expected an object.")),
            Err(e) => Err(ApiError::bad_json(&format!("Syntax error: {e}"))),
        }
    }

    pub fn user(&self) -> &str {
        &self.caller.user
    }
}

async fn handle(State(emu): State<Arc<Emu>>, req: Request) -> Response {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let raw_query = req.uri().query().unwrap_or("").to_string();
    if path == "/_emulator" || path.starts_with("/_emulator/") {
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20)
            .await
            .unwrap_or_default();
        return admin::handle(&emu, &method, &path, &parts.headers, &bytes);
    }
    let arrived = Utc::now();
    let query = parse_query(&raw_query);
    let latency = emu.lock().settings.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (parts, body) = req.into_parts();
    let response = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => respond(&emu, &method, &path, &query, &parts.headers, bytes),
        Err(_) => api_error(
            &ApiError::new(
                413,
                "Request payload size exceeds the limit: 209715200 bytes.",
            ),
            None,
        ),
    };
    record(
        &emu,
        &method,
        &path,
        &query,
        response.status().as_u16(),
        arrived,
    );
    response
}

fn respond(
    emu: &Emu,
    method: &str,
    path: &str,
    query: &[(String, String)],
    headers: &HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(err) = take_failure(emu, path) {
        return api_error(&err, None);
    }
    let Ok((route, caps)) = routes::find(method, path) else {
        return not_found_page(path);
    };
    match route.op {
        Op::Authorize | Op::ConsentDecision | Op::Token | Op::Revoke => {
            return oauth::handle(emu, route.op, query, headers, &body);
        }
        Op::OidcUserinfo => return identity::oidc_userinfo(emu, headers, query),
        _ => {}
    }
    let caller = match auth::authenticate(emu, headers, query) {
        Ok(c) => c,
        Err(f) => return api_error(&f.to_error(route), Some(route)),
    };
    if !route.scopes.is_empty() && !caller.has_any(route.scopes) {
        let err = ApiError::scope_insufficient(route.service.host(), &route.rpc_method());
        return api_error(&err, Some(route));
    }
    if let Some((name, _)) = query.iter().find(|(k, _)| !route.accepts_param(k)) {
        return api_error(&ApiError::unknown_query_parameter(name), Some(route));
    }
    if let Some(err) = check_quota(emu, route, &caps, method) {
        return api_error(&err, Some(route));
    }
    let call = Call {
        emu,
        route,
        caps,
        query,
        headers,
        body,
        caller,
    };
    let result = dispatch(&call);
    render(result, query, route)
}

fn dispatch(call: &Call) -> ApiResult {
    match call.route.op {
        Op::Oauth2Userinfo => identity::oauth2_userinfo(call),
        Op::SpacesList => chat::spaces_list(call),
        Op::SpacesGet => chat::spaces_get(call),
        Op::FindDirectMessage => members::find_direct_message(call),
        Op::MessagesList => chat::messages_list(call),
        Op::MessagesGet => chat::messages_get(call),
        Op::MessagesCreate => chat_write::messages_create(call),
        Op::MessagesPatch | Op::MessagesUpdate => chat_write::messages_patch(call),
        Op::MessagesDelete => chat_write::messages_delete(call),
        Op::MembersList => members::list(call),
        Op::MembersGet => members::get(call),
        Op::MembersCreate => members::create(call),
        Op::MembersDelete => members::delete(call),
        Op::ReactionsCreate => reactions::create(call),
        Op::ReactionsList => reactions::list(call),
        Op::ReactionsDelete => reactions::delete(call),
        Op::MediaUpload => media::upload(call),
        Op::MediaDownload => media::download(call),
        Op::AttachmentsGet => media::attachment_get(call),
        Op::GetSpaceReadState => members::get_read_state(call),
        Op::UpdateSpaceReadState => members::update_read_state(call),
        Op::PeopleGet => people::get(call),
        Op::PeopleBatchGet => people::batch_get(call),
        Op::Authorize | Op::ConsentDecision | Op::Token | Op::Revoke | Op::OidcUserinfo => {
            Err(ApiError::not_found())
        }
    }
}

fn render(result: ApiResult, query: &[(String, String)], route: &Route) -> Response {
    match result {
        Ok(Reply::Json(value)) => {
            let fields = query.iter().find(|(k, _)| k == "fields").map(|(_, v)| v);
            let value = match fields.map(|f| Selector::parse(f)) {
                None => value,
                Some(Ok(sel)) => sel.apply(&value),
                Some(Err(e)) => {
                    let err = ApiError::invalid(format!("Invalid FieldMask: {e}"));
                    return api_error(&err, Some(route));
                }
            };
            let pretty = !query
                .iter()
                .any(|(k, v)| k == "prettyPrint" && v == "false");
            json_response(StatusCode::OK, &value, pretty)
        }
        Ok(Reply::Media {
            content_type,
            filename,
            bytes,
        }) => {
            let mut resp = (StatusCode::OK, bytes).into_response();
            let h = resp.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&content_type) {
                h.insert(header::CONTENT_TYPE, v);
            }
            let disposition = format!("attachment; filename=\"{}\"", filename.replace('"', ""));
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            resp
        }
        Err(err) => api_error(&err, Some(route)),
    }
}

/// A JSON response with Google's content type.
pub fn json_response(status: StatusCode, value: &Value, pretty: bool) -> Response {
    let text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
    .unwrap_or_default();
    let mut resp = (status, text).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    h.insert(
        header::VARY,
        HeaderValue::from_static("Origin, X-Origin, Referer"),
    );
    resp
}

/// The AIP-193 response for an error, with `WWW-Authenticate` on 401/403 as Google sends it.
pub fn api_error(err: &ApiError, route: Option<&Route>) -> Response {
    let status = StatusCode::from_u16(err.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = json_response(status, &err.body(), true);
    let h = resp.headers_mut();
    if let Some(secs) = err.retry_after {
        h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    let realm = "Bearer realm=\"https://accounts.google.com/\"";
    let www = match err.code {
        401 if err.message.contains("missing") => Some(realm.to_string()),
        401 => Some(format!("{realm}, error=\"invalid_token\"")),
        403 if err.message.contains("scopes") => route.map(|r| {
            let scopes: Vec<String> = r.scopes.iter().map(|s| routes::full_scope(s)).collect();
            format!(
                "{realm}, error=\"insufficient_scope\", scope=\"{}\"",
                scopes.join(" ")
            )
        }),
        _ => None,
    };
    if let Some(v) = www.and_then(|w| HeaderValue::from_str(&w).ok()) {
        h.insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

/// Google's front-end 404 page for a path no service owns.
fn not_found_page(path: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error 404 (Not Found)!!1</title>\n  \
         <p><b>404.</b> <ins>That’s an error.</ins>\n  <p>The requested URL <code>{}</code> was not \
         found on this server.  <ins>That’s all we know.</ins>\n",
        html_escape::encode_text(path)
    );
    let mut resp = (StatusCode::NOT_FOUND, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=UTF-8"),
    );
    resp
}

/// Pops the first injected failure matching `path`.
fn take_failure(emu: &Emu, path: &str) -> Option<ApiError> {
    let mut st = emu.lock();
    let failures = &mut st.settings.failures;
    let i = failures.iter().position(|f| {
        f.count > 0 && f.path_prefix.as_deref().is_none_or(|p| path.starts_with(p))
    })?;
    let spec = failures[i].clone();
    failures[i].count -= 1;
    if failures[i].count == 0 {
        failures.remove(i);
    }
    Some(ApiError::injected(spec.status, spec.retry_after))
}

/// Per-space fixed one-minute windows for reads (GET) and writes (everything else).
fn check_quota(emu: &Emu, route: &Route, caps: &Captures, method: &str) -> Option<ApiError> {
    if route.service != Service::Chat {
        return None;
    }
    let space = caps.iter().find(|(k, _)| *k == "spacesId")?.1.clone();
    let mut st = emu.lock();
    let quotas = st.settings.quotas?;
    let write = method != "GET";
    let limit = if write {
        quotas.writes_per_minute
    } else {
        quotas.reads_per_minute
    };
    let now = Instant::now();
    let window = st.quota_windows.entry((space, write)).or_insert((now, 0));
    if now.duration_since(window.0) >= Duration::from_secs(60) {
        *window = (now, 0);
    }
    if window.1 >= limit {
        let (metric, name) = if write {
            (
                "Write requests per space",
                "Write requests per minute per space",
            )
        } else {
            (
                "Read requests per space",
                "Read requests per minute per space",
            )
        };
        return Some(ApiError::quota_exceeded(
            "chat.googleapis.com",
            metric,
            name,
            limit,
        ));
    }
    window.1 += 1;
    None
}

/// Splits a raw query string into decoded pairs, keeping order and repeats.
pub fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (
                routes::percent_decode(k, true),
                routes::percent_decode(v, true),
            )
        })
        .collect()
}

fn record(
    emu: &Emu,
    method: &str,
    path: &str,
    query: &[(String, String)],
    status: u16,
    arrived: chrono::DateTime<Utc>,
) {
    let query: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| {
            let v = if SECRET_KEYS.contains(&k.as_str()) {
                "REDACTED".to_string()
            } else {
                v.clone()
            };
            (k.clone(), v)
        })
        .collect();
    if let Some(file) = emu
        .log_file
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_mut()
    {
        let line = json!({ "method": method, "path": path, "query": query, "status": status });
        // One write per line so concurrent emulators appending to one file do not interleave.
        let _ = file.write_all(format!("{line}\n").as_bytes());
    }
    emu.lock().log.push(LoggedRequest {
        method: method.to_string(),
        path: path.to_string(),
        query,
        status,
        time: fmt_time(arrived),
    });
}
