//! The HTTP front: Slack's routes and the one pipeline every Web API call goes through.
//!
//! `/api/<method>` runs: added latency, injected failures, method lookup (`unknown_method`),
//! argument parsing (query + form/multipart/JSON body), authentication (`Authorization:
//! Bearer` or a `token` argument), the method's static scope, its rate tier, then the handler;
//! the answer is `{"ok": true, …}` or Slack's error envelope, with `warning` and
//! `response_metadata.warnings` when the content type earned one. Every request is logged by
//! method and argument names only, never values, headers or bodies.
//!
//! The router has explicit routes and no fallback, so it merges with the Google emulator's
//! (whose fallback serves everything else) into one server.

use std::io::Write;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde_json::{Map, Value, json};

use super::args::{self, Args, RawArgs};
use super::errors::SlackError;
use super::methods::{self, Method};
use super::oauth;
use super::state::{Emu, LoggedRequest, State as EmuState};
use super::{admin, authorize, files, ratelimit};

/// Largest body accepted (Slack's file size limit is 1 GB; tests stay far below this).
const MAX_BODY: usize = 256 * 1024 * 1024;

pub fn router(emu: Arc<Emu>) -> Router {
    Router::new()
        .route("/api/{method}", any(api))
        .route(authorize::AUTHORIZE_PATH, get(authorize_page))
        .route(authorize::CONSENT_PATH, post(consent))
        .route(&format!("{}/{{id}}", files::UPLOAD_PATH), post(upload))
        .route("/files-pri/{file}/{name}", get(download))
        .route("/files-pri/{file}/download/{name}", get(download))
        .route(admin::PREFIX, any(admin_route))
        .route(&format!("{}/{{*rest}}", admin::PREFIX), any(admin_route))
        .with_state(emu)
}

/// The authenticated caller of a Web API method.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: String,
    pub scopes: Vec<String>,
    pub grant: u64,
    /// Seconds until the access token expires (rotating tokens only).
    pub expires_in: Option<u64>,
}

/// One Web API call, as handlers see it (the state stays locked for the whole call).
pub struct Call<'a> {
    pub emu: &'a Emu,
    pub st: &'a mut EmuState,
    pub method: &'static Method,
    pub args: Args,
    /// `None` only for methods that authenticate the app rather than a user (oauth.v2.access).
    pub caller: Option<Caller>,
    /// `client_id:client_secret` from HTTP Basic authentication, if sent.
    pub basic_auth: Option<(String, String)>,
    /// `http://host:port` the request came to, for URLs the answer mints.
    pub base: String,
}

impl Call<'_> {
    pub fn caller(&self) -> &Caller {
        self.caller
            .as_ref()
            .expect("methods with auth = true always have a caller")
    }

    pub fn user(&self) -> &str {
        &self.caller().user
    }

    pub fn scopes(&self) -> &[String] {
        &self.caller().scopes
    }

    /// chat.postMessage's per-channel limit.
    pub fn limit_channel(&mut self, conv: &str) -> Result<(), SlackError> {
        let user = self.user().to_string();
        let key = format!("{}#{conv}", self.method.name);
        ratelimit::check(self.st, &user, &key, self.method.tier)
    }
}

/// A JSON answer with Slack's content type.
pub fn json_response(status: StatusCode, value: &Value) -> Response {
    let mut resp = (status, value.to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

fn content_type(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
}

/// `client_id` and `client_secret` from `Authorization: Basic`.
fn basic_auth(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some((unescape(id), unescape(secret)))
}

/// The bearer token, if the request has one.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value
        .strip_prefix("Bearer ")
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

async fn read_body(req: Request) -> (HeaderMap, Result<Bytes, ()>) {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| ());
    (parts.headers, bytes)
}

async fn api(State(emu): State<Arc<Emu>>, Path(name): Path<String>, req: Request) -> Response {
    let http_method = req.method().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let path = req.uri().path().to_string();
    let latency = {
        let st = emu.lock();
        st.settings.latency
            + st.settings
                .method_latency
                .get(&name)
                .copied()
                .unwrap_or_default()
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (headers, body) = read_body(req).await;
    let method = methods::find(&name);
    let raw = match &body {
        Ok(b) => args::parse(
            &query,
            content_type(&headers),
            b,
            method.is_some_and(|m| m.json),
        ),
        Err(()) => Err(SlackError::new("request_too_large")),
    };
    let names = raw.as_ref().map(RawArgs::names).unwrap_or_default();
    let kind = raw.as_ref().map(|r| r.kind.as_str()).unwrap_or("raw");
    let (status, value, retry_after) = {
        let mut st = emu.lock();
        *st.calls.entry(name.clone()).or_insert(0) += 1;
        match run(&emu, &mut st, method, &name, raw, &headers) {
            Ok(v) => (200, v, None),
            Err(e) => (e.status, e.body(), e.retry_after),
        }
    };
    let error = value["error"].as_str().map(str::to_string);
    record(
        &emu,
        LoggedRequest {
            http_method,
            path,
            api_method: name,
            params: names,
            body: kind.to_string(),
            status,
            error,
        },
    );
    let mut resp = json_response(
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        &value,
    );
    if let Some(secs) = retry_after {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    resp
}

fn run(
    emu: &Emu,
    st: &mut EmuState,
    method: Option<&'static Method>,
    name: &str,
    raw: Result<RawArgs, SlackError>,
    headers: &HeaderMap,
) -> Result<Value, SlackError> {
    if let Some(err) = take_failure(st, name) {
        return Err(err);
    }
    let Some(method) = method else {
        let mut e = SlackError::new("unknown_method");
        e.status = 404;
        return Err(e);
    };
    let raw = raw?;
    let caller = if method.auth {
        let token = bearer(headers).or_else(|| raw.token());
        let caller = oauth::authenticate(st, token.as_deref())?;
        if let Some(scope) = method.scope {
            super::scopes::require(&caller.scopes, scope)?;
        }
        if !matches!(method.tier, ratelimit::Tier::PerChannel { .. }) {
            let tier = methods::effective_tier(method, &st.settings);
            ratelimit::check(st, &caller.user, method.name, tier)?;
        }
        Some(caller)
    } else {
        None
    };
    let mut call = Call {
        emu,
        st,
        method,
        args: Args::new(&raw, method.name, method.params),
        caller,
        basic_auth: basic_auth(headers),
        base: base_url(headers),
    };
    let fields = (method.handler)(&mut call)?;
    Ok(success(fields, &raw.warnings))
}

/// `{"ok": true, …}` with the content-type warnings Slack adds.
fn success(fields: Map<String, Value>, warnings: &[&'static str]) -> Value {
    let mut out = Map::new();
    out.insert("ok".into(), json!(true));
    out.extend(fields);
    if !warnings.is_empty() {
        out.insert("warning".into(), json!(warnings.join(",")));
        let meta = out.entry("response_metadata").or_insert_with(|| json!({}));
        if let Some(m) = meta.as_object_mut() {
            m.insert("warnings".into(), json!(warnings));
        }
    }
    Value::Object(out)
}

/// Pops the first injected failure for `method`.
fn take_failure(st: &mut EmuState, method: &str) -> Option<SlackError> {
    let failures = &mut st.settings.failures;
    let i = failures
        .iter()
        .position(|f| f.count > 0 && f.method.as_deref().is_none_or(|m| m == method))?;
    let spec = failures[i].clone();
    failures[i].count -= 1;
    if failures[i].count == 0 {
        failures.remove(i);
    }
    Some(SlackError::injected(
        spec.status,
        spec.error.as_deref(),
        spec.retry_after,
    ))
}

/// Appends to the in-memory log and, when configured, the JSON-lines file.
pub fn record(emu: &Emu, entry: LoggedRequest) {
    if let Some(file) = emu
        .log_file
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_mut()
    {
        let line = serde_json::to_string(&entry).unwrap_or_default();
        // One write per line so concurrent emulators appending to one file do not interleave.
        let _ = file.write_all(format!("{line}\n").as_bytes());
    }
    emu.lock().log.push(entry);
}

async fn authorize_page(State(emu): State<Arc<Emu>>, req: Request) -> Response {
    let query = req.uri().query().unwrap_or("").to_string();
    let pairs = args::parse_pairs(&query);
    let resp = authorize::authorize(&emu, &pairs);
    let mut names: Vec<String> = pairs.into_iter().map(|(k, _)| k).collect();
    names.sort();
    names.dedup();
    record(
        &emu,
        LoggedRequest {
            http_method: "GET".into(),
            path: authorize::AUTHORIZE_PATH.into(),
            api_method: authorize::AUTHORIZE_METHOD.into(),
            params: names,
            body: "query".into(),
            status: resp.status().as_u16(),
            error: None,
        },
    );
    resp
}

async fn consent(State(emu): State<Arc<Emu>>, req: Request) -> Response {
    let (_, body) = read_body(req).await;
    let text = body
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    authorize::decision(&emu, &args::parse_pairs(&text))
}

async fn upload(State(emu): State<Arc<Emu>>, Path(id): Path<String>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let (headers, body) = read_body(req).await;
    let resp = match body {
        Ok(b) => files::receive_upload(&emu, &id, content_type(&headers), &b),
        Err(()) => (StatusCode::PAYLOAD_TOO_LARGE, "request too large").into_response(),
    };
    record(
        &emu,
        LoggedRequest {
            http_method: "POST".into(),
            path,
            api_method: String::new(),
            params: Vec::new(),
            body: "raw".into(),
            status: resp.status().as_u16(),
            error: None,
        },
    );
    resp
}

async fn download(
    State(emu): State<Arc<Emu>>,
    Path(params): Path<Vec<(String, String)>>,
    req: Request,
) -> Response {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let file = params
        .iter()
        .find(|(k, _)| k == "file")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let resp = files::download(&emu, &file, req.headers(), &query);
    record(
        &emu,
        LoggedRequest {
            http_method: "GET".into(),
            path,
            api_method: String::new(),
            params: args::parse_pairs(&query)
                .into_iter()
                .map(|(k, _)| k)
                .collect(),
            body: "query".into(),
            status: resp.status().as_u16(),
            error: None,
        },
    );
    resp
}

async fn admin_route(State(emu): State<Arc<Emu>>, req: Request) -> Response {
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let (_, body) = read_body(req).await;
    admin::handle(&emu, &method, &path, &body.unwrap_or_default())
}
