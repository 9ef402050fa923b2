//! Entra's v2.0 endpoints for a public client: the authorize page (PKCE S256, a
//! `http://localhost` redirect on any port, `state` passed back, the consent page or
//! auto-consent) and the token endpoint (code and refresh grants; every refresh issues a
//! new refresh token; errors as Entra sends them: `error`, `error_description` starting with
//! the AADSTS code, `error_codes`, trace and correlation ids).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::Engine as _;
use serde_json::json;
use sha2::{Digest, Sha256};
use url::Url;

use super::state::{Grant, IssuedAccess, IssuedRefresh, PendingCode, PendingConsent};
use super::{CLIENT_ID, Emu, data};

const CODE_LIFETIME: Duration = Duration::from_secs(600);
/// Granted only by an administrator's consent for the organisation.
pub const ADMIN_SCOPE: &str = "ChannelMessage.Read.All";

pub fn token() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// An Entra token-endpoint error.
pub fn entra_error(status: StatusCode, error: &str, code: u32, text: &str) -> Response {
    let now = chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ");
    let trace = uuid_like();
    let correlation = uuid_like();
    (
        status,
        Json(json!({
            "error": error,
            "error_description": format!("AADSTS{code}: {text} Trace ID: {trace} Correlation ID: {correlation} Timestamp: {now}"),
            "error_codes": [code],
            "timestamp": now.to_string(),
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
        })),
    )
        .into_response()
}

pub fn uuid_like() -> String {
    let b: [u8; 16] = rand::random();
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// What the authorize request must hold; the error page text otherwise.
fn check_authorize(q: &BTreeMap<String, String>) -> Result<Url, String> {
    if q.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        return Err(format!(
            "AADSTS700016: Application with identifier '{}' was not found in the directory 'Contoso'.",
            q.get("client_id").map_or("", String::as_str)
        ));
    }
    let redirect = q
        .get("redirect_uri")
        .and_then(|r| Url::parse(r).ok())
        .ok_or(
            "AADSTS900144: The request body must contain the following parameter: 'redirect_uri'.",
        )?;
    // Registered: http://localhost (any port for loopback; a path-less URI comes back with "/").
    if redirect.scheme() != "http"
        || redirect.host_str() != Some("localhost")
        || redirect.path() != "/"
    {
        return Err(format!(
            "AADSTS50011: The redirect URI '{redirect}' specified in the request does not match the redirect URIs configured for the application '{CLIENT_ID}'."
        ));
    }
    if q.get("response_type").map(String::as_str) != Some("code") {
        return Err(
            "AADSTS900144: The request body must contain the following parameter: 'response_type'."
                .into(),
        );
    }
    if q.get("scope").is_none_or(|s| s.trim().is_empty()) {
        return Err(
            "AADSTS900144: The request body must contain the following parameter: 'scope'.".into(),
        );
    }
    if q.contains_key("code_challenge")
        && q.get("code_challenge_method").map(String::as_str) != Some("S256")
    {
        return Err(
            "AADSTS501491: Invalid code_challenge_method; chatkey's emulator accepts S256 only."
                .into(),
        );
    }
    Ok(redirect)
}

pub fn error_page(text: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(format!(
            "<!doctype html><title>Sign in</title><h1>Sorry, but we're having trouble signing you in.</h1><p>{}</p>",
            html_escape::encode_text(text)
        )),
    )
        .into_response()
}

pub async fn authorize(
    State(emu): State<Arc<Emu>>,
    Path(_tenant): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Err(text) = check_authorize(&q) {
        return error_page(&text);
    }
    if emu.auto_consent {
        return decide(&emu, &q, true);
    }
    let id = token();
    emu.state
        .lock()
        .unwrap()
        .consents
        .insert(id.clone(), PendingConsent { query: q.clone() });
    let scopes = q.get("scope").cloned().unwrap_or_default();
    Html(format!(
        "<!doctype html><meta charset=utf-8><title>Permissions requested</title>\
         <h1>chatkey (emulated) wants to</h1><p>{}</p><p>Signing in as {}</p>\
         <form method=post action=\"authorize/decision\"><input type=hidden name=consent value=\"{id}\">\
         <button name=decision value=accept>Accept</button> <button name=decision value=cancel>Cancel</button></form>",
        html_escape::encode_text(&scopes),
        data::ME_EMAIL
    ))
    .into_response()
}

#[derive(serde::Deserialize)]
pub struct Decision {
    consent: String,
    decision: String,
}

pub async fn decision(
    State(emu): State<Arc<Emu>>,
    Path(_tenant): Path<String>,
    Form(d): Form<Decision>,
) -> Response {
    let pending = emu.state.lock().unwrap().consents.remove(&d.consent);
    match pending {
        Some(p) => decide(&emu, &p.query, d.decision == "accept"),
        None => error_page("This sign-in page has expired; start the sign-in again."),
    }
}

/// Sends the browser back to the app: a code, or `access_denied`.
fn decide(emu: &Emu, q: &BTreeMap<String, String>, accepted: bool) -> Response {
    let Ok(mut back) = check_authorize(q) else {
        return error_page("invalid request");
    };
    {
        let mut pairs = back.query_pairs_mut();
        if accepted {
            let code = token();
            let scopes = granted(emu, q.get("scope").map_or("", String::as_str));
            emu.state.lock().unwrap().codes.insert(
                code.clone(),
                PendingCode {
                    grant: Grant {
                        user: data::ME.into(),
                        scopes,
                    },
                    offline: q
                        .get("scope")
                        .is_some_and(|s| s.split_whitespace().any(|s| s == "offline_access")),
                    redirect_uri: q.get("redirect_uri").cloned().unwrap_or_default(),
                    challenge: q.get("code_challenge").map(|c| {
                        (
                            c.clone(),
                            q.get("code_challenge_method").cloned().unwrap_or_default(),
                        )
                    }),
                    issued: Instant::now(),
                },
            );
            pairs.append_pair("code", &code);
        } else {
            pairs.append_pair("error", "access_denied");
            pairs.append_pair(
                "error_description",
                "AADSTS65004: User declined to consent to access the app.",
            );
        }
        if let Some(state) = q.get("state") {
            pairs.append_pair("state", state);
        }
    }
    Redirect::to(back.as_str()).into_response()
}

/// The scopes a token carries: what was asked for (OpenID ones aside), plus
/// ChannelMessage.Read.All once an admin consented for the organisation.
pub fn granted(emu: &Emu, asked: &str) -> Vec<String> {
    let mut scopes: Vec<String> = asked
        .split_whitespace()
        .filter(|s| !matches!(*s, "openid" | "profile" | "email" | "offline_access"))
        .map(|s| {
            s.trim_start_matches("https://graph.microsoft.com/")
                .to_owned()
        })
        .collect();
    if emu.state.lock().unwrap().settings.admin_consent && !scopes.iter().any(|s| s == ADMIN_SCOPE)
    {
        scopes.push(ADMIN_SCOPE.into());
    }
    scopes.sort();
    scopes.dedup();
    scopes
}

pub fn issue(emu: &Emu, grant: Grant, with_refresh: bool) -> Response {
    let mut st = emu.state.lock().unwrap();
    let lifetime = st.settings.access_token_lifetime;
    let access = format!("eyJ0eXAiOiJKV1QiLCJub25jZSI6.{}", token());
    st.access.insert(
        access.clone(),
        IssuedAccess {
            grant: grant.clone(),
            expires: Instant::now() + lifetime,
        },
    );
    let mut body = json!({
        "token_type": "Bearer",
        "scope": grant.scopes.join(" "),
        "expires_in": lifetime.as_secs(),
        "ext_expires_in": lifetime.as_secs(),
        "access_token": access,
    });
    if with_refresh {
        let refresh = format!("1.AQ{}", token());
        st.refresh.insert(
            refresh.clone(),
            IssuedRefresh {
                grant,
                refused: None,
            },
        );
        body["refresh_token"] = json!(refresh);
    }
    Json(body).into_response()
}

pub async fn token_endpoint(
    State(emu): State<Arc<Emu>>,
    Path(_tenant): Path<String>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    let grant_type = f.get("grant_type").cloned().unwrap_or_default();
    *emu.state
        .lock()
        .unwrap()
        .token_calls
        .entry(grant_type.clone())
        .or_default() += 1;
    let bad = StatusCode::BAD_REQUEST;
    if f.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        return entra_error(
            bad,
            "unauthorized_client",
            700016,
            "Application with identifier was not found in the directory 'Contoso'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.",
        );
    }
    if f.contains_key("client_secret") || f.contains_key("client_assertion") {
        return entra_error(
            bad,
            "invalid_client",
            700025,
            "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
        );
    }
    match grant_type.as_str() {
        "authorization_code" => {
            let code = f.get("code").cloned().unwrap_or_default();
            let pending = emu.state.lock().unwrap().codes.remove(&code);
            let Some(p) = pending.filter(|p| p.issued.elapsed() < CODE_LIFETIME) else {
                return entra_error(
                    bad,
                    "invalid_grant",
                    70008,
                    "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
                );
            };
            if f.get("redirect_uri") != Some(&p.redirect_uri) {
                return entra_error(
                    bad,
                    "invalid_grant",
                    70002,
                    "The redirect URI in the token request does not match the one used to obtain the authorization code.",
                );
            }
            if let Some((challenge, _)) = &p.challenge {
                let verifier = f.get("code_verifier").cloned().unwrap_or_default();
                let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .encode(Sha256::digest(verifier.as_bytes()));
                if &computed != challenge {
                    return entra_error(
                        bad,
                        "invalid_grant",
                        501481,
                        "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
                    );
                }
            }
            // No refresh token unless the sign-in asked for offline_access, as Entra does.
            issue(&emu, p.grant, p.offline)
        }
        "refresh_token" => {
            let presented = f.get("refresh_token").cloned().unwrap_or_default();
            let known = emu.state.lock().unwrap().refresh.get(&presented).cloned();
            match known {
                None => entra_error(
                    bad,
                    "invalid_grant",
                    9002313,
                    "Invalid request. Request is malformed or invalid.",
                ),
                Some(IssuedRefresh {
                    refused: Some((code, text)),
                    ..
                }) => entra_error(bad, "invalid_grant", code, &text),
                Some(IssuedRefresh { grant, .. }) => {
                    let scopes = f.get("scope").cloned().unwrap_or_default();
                    let mut grant = grant;
                    if !scopes.is_empty() {
                        grant.scopes = granted(&emu, &scopes);
                    } else {
                        let joined = grant.scopes.join(" ");
                        grant.scopes = granted(&emu, &joined);
                    }
                    // Entra issues a new refresh token on every refresh.
                    issue(&emu, grant, true)
                }
            }
        }
        "urn:ietf:params:oauth:grant-type:device_code" => super::device::poll(&emu, &f),
        "" => entra_error(
            bad,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'grant_type'.",
        ),
        other => entra_error(
            bad,
            "unsupported_grant_type",
            70003,
            &format!("The app requested an unsupported grant type '{other}'."),
        ),
    }
}
