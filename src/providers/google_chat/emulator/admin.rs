//! `/_emulator/…`: the knobs as JSON over HTTP, for tests in another process (Python).
//!
//! These requests bypass latency, failure injection and the request log. Bodies are JSON;
//! errors answer 400 `{"error": "…"}`. `GET /_emulator` lists the endpoints and the seed.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::data;
use super::knobs::Knobs;
use super::server::json_response;
use super::state::{Emu, FailureSpec, SpaceQuotas};

/// `(method, path, what it does)`, also printed by `chatkey emulator`.
pub const ENDPOINTS: &[(&str, &str, &str)] = &[
    (
        "GET",
        "/_emulator",
        "endpoints, current knobs and the seeded users and spaces",
    ),
    ("GET", "/_emulator/knobs", "current knob settings"),
    (
        "POST",
        "/_emulator/reset",
        "restore default knobs, clear failures, log and counters",
    ),
    (
        "POST",
        "/_emulator/token-lifetime",
        "{\"seconds\": 2} lifetime of access tokens issued from now on",
    ),
    (
        "POST",
        "/_emulator/expire-access-tokens",
        "expire every access token issued so far",
    ),
    (
        "POST",
        "/_emulator/revoke-refresh-tokens",
        "{\"user\": \"email\"} (optional) revoke refresh tokens",
    ),
    (
        "POST",
        "/_emulator/failures",
        "{\"status\": 503, \"count\": 2, \"path_prefix\": \"/v1/\", \"retry_after\": 1}",
    ),
    ("DELETE", "/_emulator/failures", "clear injected failures"),
    (
        "POST",
        "/_emulator/latency",
        "{\"ms\": 250} added to every request",
    ),
    (
        "POST",
        "/_emulator/consent-user",
        "{\"user\": \"priya.natarajan@example.com\"} or null",
    ),
    (
        "POST",
        "/_emulator/rotating-refresh-tokens",
        "{\"enabled\": true, \"grace_seconds\": 5}",
    ),
    (
        "POST",
        "/_emulator/quotas",
        "{\"reads_per_minute\": 900, \"writes_per_minute\": 60}",
    ),
    ("DELETE", "/_emulator/quotas", "turn per-space quotas off"),
    (
        "GET",
        "/_emulator/requests",
        "request log: [{method, path, query, status, time}]",
    ),
    ("DELETE", "/_emulator/requests", "clear the request log"),
    (
        "GET",
        "/_emulator/token-grants",
        "token-endpoint requests by grant_type",
    ),
    (
        "POST",
        "/_emulator/mint-tokens",
        "{\"user\": \"102938475610293847562\", \"scopes\": [\"https://www.googleapis.com/auth/chat.messages\"]} → tokens for that seeded user (act as a teammate)",
    ),
];

#[derive(Deserialize)]
struct Seconds {
    seconds: f64,
}

#[derive(Deserialize)]
struct Millis {
    ms: u64,
}

#[derive(Deserialize, Default)]
struct UserArg {
    #[serde(default)]
    user: Option<String>,
}

#[derive(Deserialize)]
struct Rotation {
    enabled: bool,
    #[serde(default)]
    grace_seconds: Option<f64>,
}

fn bad(message: impl Into<String>) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({ "error": message.into() }),
        true,
    )
}

fn ok(value: Value) -> Response {
    json_response(StatusCode::OK, &value, true)
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, String> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| format!("invalid request body: {e}"))
}

fn seed_summary() -> Value {
    let users: Vec<Value> = data::USERS
        .iter()
        .map(|u| json!({ "name": u.chat_name(), "displayName": u.display_name(), "email": u.email, "primary": u.id == data::PRIMARY_USER }))
        .collect();
    let spaces: Vec<Value> = data::SPACES
        .iter()
        .map(|s| {
            json!({
                "name": format!("spaces/{}", s.id),
                "spaceType": s.kind.as_str(),
                "displayName": s.display_name,
                "members": s.members.iter().map(|(u, _)| format!("users/{u}")).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({ "users": users, "spaces": spaces })
}

/// `POST /_emulator/mint-tokens`: tokens for any seeded user, so an out-of-process test
/// can act as a teammate (post a reply) without a browser.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Mint {
    user: String,
    scopes: Vec<String>,
}

fn duration(seconds: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| "seconds must be a non-negative number".to_string())
}

pub fn handle(
    emu: &Arc<Emu>,
    method: &str,
    path: &str,
    _headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let knobs = Knobs { emu: emu.clone() };
    // Handlers return `Err(message)` for a bad request; it becomes a 400 below.
    let result: Result<Response, String> = (|| {
        Ok(match (method, path.trim_end_matches('/')) {
            ("GET", "/_emulator") => {
                let endpoints: Vec<Value> = ENDPOINTS
                    .iter()
                    .map(|(m, p, d)| json!({ "method": m, "path": p, "body": d }))
                    .collect();
                ok(
                    json!({ "endpoints": endpoints, "knobs": knobs.settings(), "seed": seed_summary() }),
                )
            }
            ("GET", "/_emulator/knobs") => ok(json!(knobs.settings())),
            ("POST", "/_emulator/reset") => {
                knobs.reset();
                ok(json!(knobs.settings()))
            }
            ("POST", "/_emulator/token-lifetime") => {
                let s: Seconds = parse(body)?;
                knobs.set_access_token_lifetime(duration(s.seconds)?);
                ok(json!(knobs.settings()))
            }
            ("POST", "/_emulator/expire-access-tokens") => {
                knobs.expire_access_tokens();
                ok(json!({}))
            }
            ("POST", "/_emulator/revoke-refresh-tokens") => {
                let u: UserArg = parse(body)?;
                let n = knobs.revoke_refresh_tokens(u.user.as_deref())?;
                ok(json!({ "revoked": n }))
            }
            ("POST", "/_emulator/failures") => {
                let f: FailureSpec = parse(body)?;
                if !(400..=599).contains(&f.status) {
                    return Err("status must be between 400 and 599".into());
                }
                knobs.fail_next(f);
                ok(json!(knobs.settings()))
            }
            ("DELETE", "/_emulator/failures") => {
                knobs.clear_failures();
                ok(json!(knobs.settings()))
            }
            ("POST", "/_emulator/latency") => {
                let m: Millis = parse(body)?;
                knobs.set_latency(Duration::from_millis(m.ms));
                ok(json!(knobs.settings()))
            }
            ("POST", "/_emulator/consent-user") => {
                let u: UserArg = parse(body)?;
                knobs.set_consent_user(u.user.as_deref())?;
                ok(json!(knobs.settings()))
            }
            ("POST", "/_emulator/rotating-refresh-tokens") => {
                let r: Rotation = parse(body)?;
                let grace = duration(r.grace_seconds.unwrap_or(10.0))?;
                knobs.set_rotating_refresh_tokens(r.enabled.then_some(grace));
                ok(json!(knobs.settings()))
            }
            ("POST", "/_emulator/quotas") => {
                let q: SpaceQuotas = parse(body)?;
                knobs.set_space_quotas(Some(q));
                ok(json!(knobs.settings()))
            }
            ("DELETE", "/_emulator/quotas") => {
                knobs.set_space_quotas(None);
                ok(json!(knobs.settings()))
            }
            ("GET", "/_emulator/requests") => ok(json!(knobs.request_log())),
            ("DELETE", "/_emulator/requests") => {
                knobs.clear_request_log();
                ok(json!({}))
            }
            ("GET", "/_emulator/token-grants") => ok(json!(knobs.token_grant_counts())),
            ("POST", "/_emulator/mint-tokens") => {
                let m: Mint = parse(body)?;
                let scopes: Vec<&str> = m.scopes.iter().map(String::as_str).collect();
                let t = knobs.mint_tokens(&m.user, &scopes)?;
                ok(json!({
                    "access_token": t.access_token,
                    "refresh_token": t.refresh_token,
                    "expires_in": t.expires_in.as_secs(),
                }))
            }
            _ => json_response(
                StatusCode::NOT_FOUND,
                &json!({ "error": format!("no admin endpoint {method} {path}") }),
                true,
            ),
        })
    })();
    result.unwrap_or_else(bad)
}
