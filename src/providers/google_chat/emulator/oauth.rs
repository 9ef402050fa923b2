//! Google's OAuth 2.0 token and revocation endpoints (`/token`, `/revoke`), and the entry
//! point for the authorization endpoint (in `authorize`).
//!
//! Token exchange follows Google's documentation for Desktop clients: `client_secret`
//! required (form or HTTP Basic), codes single-use for ten minutes and bound to their
//! `redirect_uri` and PKCE challenge, and a refresh token only for `access_type=offline`, and
//! then only on first consent or with `prompt=consent`. Error bodies use Google's exact
//! `error`/`error_description` strings, which clients match to tell "sign in again" from
//! "try later".

use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::authorize::{authorize, consent_decision};
use super::crypto;
use super::errors::OAuthError;
use super::routes::{Op, percent_decode};
use super::scopes;
use super::server::{json_response, parse_query};
use super::state::{AccessToken, Emu, Grant, RefreshToken, random_id};

/// How long an authorization code stays valid.
pub const CODE_LIFETIME: Duration = Duration::from_secs(600);

/// Answers the OAuth endpoints (authorization, consent decision, token, revocation).
pub fn handle(
    emu: &Emu,
    op: Op,
    query: &[(String, String)],
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    match op {
        Op::Authorize => authorize(emu, query),
        Op::ConsentDecision => consent_decision(emu, &form(body)),
        Op::Token => token(emu, headers, &form(body)),
        _ => {
            // Google takes the token as a form field or as a query parameter.
            let mut params = form(body);
            params.extend(query.iter().cloned());
            revoke(emu, &params)
        }
    }
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    parse_query(&String::from_utf8_lossy(body))
}

/// The first non-empty value of a form or query parameter.
pub fn get<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn oauth_error(e: OAuthError) -> Response {
    token_json(
        StatusCode::from_u16(e.code).unwrap_or(StatusCode::BAD_REQUEST),
        &e.body(),
    )
}

fn token_json(status: StatusCode, body: &Value) -> Response {
    let mut resp = json_response(status, body, true);
    let h = resp.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-store, max-age=0, must-revalidate"),
    );
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    resp
}

/// Client credentials from HTTP Basic (`oauth2` crate default) or from the form.
fn client_credentials(
    headers: &HeaderMap,
    params: &[(String, String)],
) -> (Option<String>, Option<String>) {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(crypto::base64_decode)
        .and_then(|b| String::from_utf8(b).ok());
    if let Some((id, secret)) = basic.as_deref().and_then(|b| b.split_once(':')) {
        let secret = percent_decode(secret, true);
        return (
            Some(percent_decode(id, true)),
            (!secret.is_empty()).then_some(secret),
        );
    }
    (
        get(params, "client_id").map(str::to_string),
        get(params, "client_secret").map(str::to_string),
    )
}

fn token(emu: &Emu, headers: &HeaderMap, p: &[(String, String)]) -> Response {
    let grant_type = get(p, "grant_type").unwrap_or("").to_string();
    *emu.lock()
        .grant_counts
        .entry(grant_type.clone())
        .or_insert(0) += 1;
    let (client_id, secret) = client_credentials(headers, p);
    match client_id.as_deref() {
        None => {
            return oauth_error(OAuthError::new(
                400,
                "invalid_request",
                "Could not determine client ID from request.",
            ));
        }
        Some(id) if id != emu.client_id => {
            return oauth_error(OAuthError::new(
                401,
                "invalid_client",
                "The OAuth client was not found.",
            ));
        }
        _ => {}
    }
    if grant_type != "authorization_code" && grant_type != "refresh_token" {
        return oauth_error(OAuthError::new(
            400,
            "unsupported_grant_type",
            format!("Invalid grant_type: {grant_type}"),
        ));
    }
    match secret.as_deref() {
        None => {
            return oauth_error(OAuthError::new(
                400,
                "invalid_request",
                "client_secret is missing.",
            ));
        }
        Some(s) if s != emu.client_secret => {
            return oauth_error(OAuthError::new(401, "invalid_client", "Unauthorized"));
        }
        _ => {}
    }
    let result = if grant_type == "authorization_code" {
        exchange_code(emu, p)
    } else {
        refresh(emu, p)
    };
    match result {
        Ok(body) => token_json(StatusCode::OK, &body),
        Err(e) => oauth_error(e),
    }
}

fn exchange_code(emu: &Emu, p: &[(String, String)]) -> Result<Value, OAuthError> {
    let code = get(p, "code").ok_or_else(|| {
        OAuthError::new(400, "invalid_request", "Missing required parameter: code")
    })?;
    let redirect_uri = get(p, "redirect_uri").ok_or_else(|| {
        OAuthError::new(400, "invalid_request", "Missing parameter: redirect_uri")
    })?;
    let mut st = emu.lock();
    // Single use: whatever happens next, this code is spent.
    let entry = st
        .oauth
        .codes
        .remove(code)
        .ok_or_else(OAuthError::bad_code)?;
    if entry.expires <= Instant::now() {
        return Err(OAuthError::bad_code());
    }
    if entry.auth.redirect_uri != redirect_uri {
        return Err(OAuthError::new(400, "redirect_uri_mismatch", "Bad Request"));
    }
    let verifier = get(p, "code_verifier")
        .ok_or_else(|| OAuthError::new(400, "invalid_grant", "Missing code verifier."))?;
    if crypto::s256_challenge(verifier) != entry.auth.code_challenge {
        return Err(OAuthError::new(
            400,
            "invalid_grant",
            "Invalid code verifier.",
        ));
    }
    let auth = entry.auth;
    let now = Instant::now();
    let had_refresh = st.oauth.refresh_tokens.values().any(|r| {
        r.retire_at.is_none_or(|t| t > now)
            && st
                .oauth
                .grants
                .get(&r.grant)
                .is_some_and(|g| g.user == auth.user)
    });
    st.oauth.next_grant += 1;
    let grant = st.oauth.next_grant;
    st.oauth.grants.insert(
        grant,
        Grant {
            user: auth.user.clone(),
            scopes: auth.scopes.clone(),
        },
    );
    let mut body = new_access_token(&mut st, grant, &auth.user, &auth.scopes);
    if auth.offline && (auth.prompt_consent || !had_refresh) {
        let refresh = format!("1//0{}", random_id(99));
        st.oauth.refresh_tokens.insert(
            refresh.clone(),
            RefreshToken {
                grant,
                retire_at: None,
            },
        );
        body["refresh_token"] = json!(refresh);
    }
    Ok(body)
}

fn refresh(emu: &Emu, p: &[(String, String)]) -> Result<Value, OAuthError> {
    let token = get(p, "refresh_token").ok_or_else(|| {
        OAuthError::new(
            400,
            "invalid_request",
            "Missing required parameter: refresh_token",
        )
    })?;
    let mut st = emu.lock();
    let now = Instant::now();
    let entry = st
        .oauth
        .refresh_tokens
        .get(token)
        .cloned()
        .ok_or_else(OAuthError::expired_or_revoked)?;
    if entry.retire_at.is_some_and(|t| t <= now) {
        st.oauth.refresh_tokens.remove(token);
        return Err(OAuthError::expired_or_revoked());
    }
    let grant = st
        .oauth
        .grants
        .get(&entry.grant)
        .cloned()
        .ok_or_else(OAuthError::expired_or_revoked)?;
    let scopes = match get(p, "scope") {
        None => grant.scopes.clone(),
        Some(s) => {
            let asked: Vec<String> = s.split_whitespace().filter_map(scopes::normalise).collect();
            if asked.is_empty() || asked.iter().any(|a| !grant.scopes.contains(a)) {
                return Err(OAuthError::new(400, "invalid_scope", "Bad Request"));
            }
            asked
        }
    };
    let mut body = new_access_token(&mut st, entry.grant, &grant.user, &scopes);
    if let Some(grace) = st.settings.rotation_grace {
        let fresh = format!("1//0{}", random_id(99));
        st.oauth.refresh_tokens.insert(
            fresh.clone(),
            RefreshToken {
                grant: entry.grant,
                retire_at: None,
            },
        );
        if let Some(old) = st.oauth.refresh_tokens.get_mut(token) {
            old.retire_at.get_or_insert(now + grace);
        }
        body["refresh_token"] = json!(fresh);
    }
    Ok(body)
}

fn new_access_token(
    st: &mut super::state::State,
    grant: u64,
    user: &str,
    scopes: &[String],
) -> Value {
    let lifetime = st.settings.token_lifetime;
    let access = format!("ya29.a0{}", random_id(150));
    st.oauth.access_tokens.insert(
        access.clone(),
        AccessToken {
            user: user.to_string(),
            scopes: scopes.to_vec(),
            expires: Instant::now() + lifetime,
            grant,
        },
    );
    json!({
        "access_token": access,
        "expires_in": lifetime.as_secs(),
        "scope": scopes.join(" "),
        "token_type": "Bearer",
    })
}

fn revoke(emu: &Emu, p: &[(String, String)]) -> Response {
    let Some(token) = get(p, "token") else {
        return oauth_error(OAuthError::new(
            400,
            "invalid_request",
            "Missing required parameter: token",
        ));
    };
    let mut st = emu.lock();
    let now = Instant::now();
    let grant = st
        .oauth
        .refresh_tokens
        .get(token)
        .filter(|r| r.retire_at.is_none_or(|t| t > now))
        .map(|r| r.grant)
        .or_else(|| {
            st.oauth
                .access_tokens
                .get(token)
                .filter(|a| a.expires > now)
                .map(|a| a.grant)
        });
    match grant {
        // Revoking either kind of token ends the whole grant, as Google documents.
        Some(g) => {
            st.oauth.revoke_grant(g);
            token_json(StatusCode::OK, &json!({}))
        }
        None => oauth_error(OAuthError::new(
            400,
            "invalid_token",
            "Token expired or revoked",
        )),
    }
}
