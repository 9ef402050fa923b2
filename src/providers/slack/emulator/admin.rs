//! `/_emulator/slack/…`: the knobs as JSON over HTTP, for tests in another process (Python).
//!
//! These requests bypass latency, failures, rate limits and the request log. Bodies are JSON;
//! a bad request answers 400 `{"error": "…"}`. `GET /_emulator/slack` lists the endpoints, the
//! knobs and the seeded workspace. The prefix keeps clear of the Google emulator's
//! `/_emulator/…` when both share one server.

use std::time::Duration;

use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::knobs::Knobs;
use super::server::json_response;
use super::state::{AppSettings, Emu, FailureSpec};
use super::{data, seed::SeedRefs};

pub const PREFIX: &str = "/_emulator/slack";

/// `(method, path after the prefix, what it does)`.
pub const ENDPOINTS: &[(&str, &str, &str)] = &[
    (
        "GET",
        "",
        "endpoints, knobs, the seeded users and conversations",
    ),
    ("GET", "/knobs", "current knob settings"),
    (
        "POST",
        "/reset",
        "restore the start settings; clear failures, log, counters, rate windows",
    ),
    (
        "POST",
        "/token-lifetime",
        "{\"seconds\": 2} access tokens issued from now on",
    ),
    (
        "POST",
        "/refresh-token-lifetime",
        "{\"seconds\": 60} or {\"seconds\": null} (never expire)",
    ),
    (
        "POST",
        "/expire-access-tokens",
        "every access token issued so far answers token_expired",
    ),
    (
        "POST",
        "/expire-refresh-tokens",
        "every refresh token issued so far is expired",
    ),
    (
        "POST",
        "/revoke-refresh-tokens",
        "{\"user\": \"alex.rivera@example.com\"} (optional) drop refresh tokens",
    ),
    (
        "POST",
        "/revoke-tokens",
        "{\"user\": …} (optional) end grants as auth.revoke does",
    ),
    (
        "POST",
        "/failures",
        "{\"method\": \"chat.postMessage\", \"status\": 429, \"retry_after\": 2, \"count\": 1} or {\"status\": 200, \"error\": \"fatal_error\"}",
    ),
    ("DELETE", "/failures", "clear injected failures"),
    (
        "POST",
        "/latency",
        "{\"ms\": 250} or {\"ms\": 250, \"method\": \"search.messages\"}",
    ),
    (
        "POST",
        "/rate-limits",
        "{\"scale\": 1.0} Slack's tiers, {\"scale\": 0.02} limited at once, {\"scale\": null} off",
    ),
    (
        "POST",
        "/marketplace-restricted",
        "{\"enabled\": true} history and replies at Tier 1, 15 a page",
    ),
    (
        "POST",
        "/short-pages",
        "{\"enabled\": false} every page as long as limit allows",
    ),
    (
        "POST",
        "/app",
        "{\"redirect_urls\": [\"http://localhost:53682/callback\"], \"pkce\": true, \"token_rotation\": true} (any subset)",
    ),
    (
        "POST",
        "/consent-user",
        "{\"user\": \"priya.natarajan@example.com\"} or {\"user\": null}",
    ),
    (
        "POST",
        "/granted-scopes",
        "{\"scopes\": [\"chat:write\"]} or {\"scopes\": null}",
    ),
    (
        "POST",
        "/mint-tokens",
        "{\"user\": \"U02PRIYANT\", \"scopes\": [\"chat:write\"]} tokens for a seeded user",
    ),
    (
        "GET",
        "/requests",
        "request log: [{http_method, path, api_method, params, body, status, error}]",
    ),
    ("DELETE", "/requests", "clear the request log"),
    ("GET", "/calls", "Web API calls per method"),
    (
        "POST",
        "/bulk",
        "{\"channels\": 30, \"messages\": 1000} add benchmark channels",
    ),
];

#[derive(Deserialize)]
struct Seconds {
    seconds: Option<f64>,
}

#[derive(Deserialize)]
struct Latency {
    ms: u64,
    #[serde(default)]
    method: Option<String>,
}

#[derive(Deserialize, Default)]
struct UserArg {
    #[serde(default)]
    user: Option<String>,
}

#[derive(Deserialize)]
struct Enabled {
    enabled: bool,
}

#[derive(Deserialize)]
struct Scale {
    scale: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppPatch {
    redirect_urls: Option<Vec<String>>,
    pkce: Option<bool>,
    token_rotation: Option<bool>,
}

#[derive(Deserialize)]
struct Granted {
    scopes: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Mint {
    user: String,
    scopes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Bulk {
    channels: usize,
    messages: usize,
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, String> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| format!("invalid request body: {e}"))
}

fn duration(seconds: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| "seconds must be a non-negative number".to_string())
}

fn seed_summary(refs: &SeedRefs) -> Value {
    let users: Vec<Value> = data::users()
        .iter()
        .map(|u| json!({ "id": u.id, "name": u.name, "real_name": u.real_name, "email": u.email, "deleted": u.deleted, "primary": u.id == data::PRIMARY_USER }))
        .collect();
    let convs: Vec<Value> = data::CONVERSATIONS
        .iter()
        .map(|c| json!({ "id": c.id, "type": c.kind.type_name(), "name": c.name, "archived": c.archived, "members": c.members }))
        .collect();
    json!({ "team": { "id": data::TEAM.id, "name": data::TEAM.name, "domain": data::TEAM.domain }, "users": users, "conversations": convs, "refs": refs })
}

pub fn handle(emu: &std::sync::Arc<Emu>, method: &str, path: &str, body: &[u8]) -> Response {
    let knobs = Knobs { emu: emu.clone() };
    let sub = path
        .strip_prefix(PREFIX)
        .unwrap_or(path)
        .trim_end_matches('/');
    let ok = |v: Value| json_response(StatusCode::OK, &v);
    let settings = |k: &Knobs| json!(k.settings());
    let result: Result<Response, String> = (|| {
        Ok(match (method, sub) {
            ("GET", "") => {
                let endpoints: Vec<Value> = ENDPOINTS
                    .iter()
                    .map(|(m, p, d)| json!({ "method": m, "path": format!("{PREFIX}{p}"), "body": d }))
                    .collect();
                ok(
                    json!({ "endpoints": endpoints, "knobs": knobs.settings(), "seed": seed_summary(&knobs.seed_refs()) }),
                )
            }
            ("GET", "/knobs") => ok(settings(&knobs)),
            ("POST", "/reset") => {
                knobs.reset();
                ok(settings(&knobs))
            }
            ("POST", "/token-lifetime") => {
                let s: Seconds = parse(body)?;
                knobs.set_access_token_lifetime(duration(s.seconds.ok_or("seconds is required")?)?);
                ok(settings(&knobs))
            }
            ("POST", "/refresh-token-lifetime") => {
                let s: Seconds = parse(body)?;
                knobs.set_refresh_token_lifetime(s.seconds.map(duration).transpose()?);
                ok(settings(&knobs))
            }
            ("POST", "/expire-access-tokens") => {
                knobs.expire_access_tokens();
                ok(json!({}))
            }
            ("POST", "/expire-refresh-tokens") => {
                knobs.expire_refresh_tokens();
                ok(json!({}))
            }
            ("POST", "/revoke-refresh-tokens") => {
                let u: UserArg = parse(body)?;
                ok(json!({ "revoked": knobs.revoke_refresh_tokens(u.user.as_deref())? }))
            }
            ("POST", "/revoke-tokens") => {
                let u: UserArg = parse(body)?;
                ok(json!({ "revoked": knobs.revoke_tokens(u.user.as_deref())? }))
            }
            ("POST", "/failures") => {
                let f: FailureSpec = parse(body)?;
                if !(f.status == 200 || (400..=599).contains(&f.status)) {
                    return Err("status must be 200 (with error) or between 400 and 599".into());
                }
                if f.status == 200 && f.error.is_none() {
                    return Err("a status 200 failure needs an error".into());
                }
                knobs.fail_next(f);
                ok(settings(&knobs))
            }
            ("DELETE", "/failures") => {
                knobs.clear_failures();
                ok(settings(&knobs))
            }
            ("POST", "/latency") => {
                let l: Latency = parse(body)?;
                match l.method {
                    Some(m) => knobs.set_method_latency(&m, Duration::from_millis(l.ms)),
                    None => knobs.set_latency(Duration::from_millis(l.ms)),
                }
                ok(settings(&knobs))
            }
            ("POST", "/rate-limits") => {
                let s: Scale = parse(body)?;
                if s.scale.is_some_and(|x| !(x.is_finite() && x > 0.0)) {
                    return Err("scale must be a positive number or null".into());
                }
                knobs.set_rate_limit_scale(s.scale);
                ok(settings(&knobs))
            }
            ("POST", "/marketplace-restricted") => {
                let e: Enabled = parse(body)?;
                knobs.set_marketplace_restricted(e.enabled);
                ok(settings(&knobs))
            }
            ("POST", "/short-pages") => {
                let e: Enabled = parse(body)?;
                knobs.set_short_pages(e.enabled);
                ok(settings(&knobs))
            }
            ("POST", "/app") => {
                let p: AppPatch = parse(body)?;
                let mut app: AppSettings = knobs.app();
                if let Some(urls) = p.redirect_urls {
                    if urls.iter().any(|u| url::Url::parse(u).is_err()) {
                        return Err("every redirect URL must be an absolute URL".into());
                    }
                    app.redirect_urls = urls;
                }
                app.pkce = p.pkce.unwrap_or(app.pkce);
                app.token_rotation = p.token_rotation.unwrap_or(app.token_rotation);
                knobs.set_app(app);
                ok(settings(&knobs))
            }
            ("POST", "/consent-user") => {
                let u: UserArg = parse(body)?;
                knobs.set_consent_user(u.user.as_deref())?;
                ok(settings(&knobs))
            }
            ("POST", "/granted-scopes") => {
                let g: Granted = parse(body)?;
                knobs.set_granted_scopes(g.scopes)?;
                ok(settings(&knobs))
            }
            ("POST", "/mint-tokens") => {
                let m: Mint = parse(body)?;
                let scopes: Vec<&str> = m.scopes.iter().map(String::as_str).collect();
                let t = knobs.mint_tokens(&m.user, &scopes)?;
                ok(json!({
                    "access_token": t.access_token,
                    "refresh_token": t.refresh_token,
                    "expires_in": t.expires_in.map(|d| d.as_secs()),
                    "user_id": t.user_id,
                }))
            }
            ("GET", "/requests") => ok(json!(knobs.request_log())),
            ("DELETE", "/requests") => {
                knobs.clear_request_log();
                ok(json!({}))
            }
            ("GET", "/calls") => ok(json!(knobs.calls())),
            ("POST", "/bulk") => {
                let b: Bulk = parse(body)?;
                ok(json!({ "channels": knobs.add_bulk_channels(b.channels, b.messages)? }))
            }
            _ => json_response(
                StatusCode::NOT_FOUND,
                &json!({ "error": format!("no admin endpoint {method} {path}") }),
            ),
        })
    })();
    result.unwrap_or_else(|e| json_response(StatusCode::BAD_REQUEST, &json!({ "error": e })))
}
