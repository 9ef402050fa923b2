//! Who is signed in: OpenID Connect `/v1/userinfo` and OAuth2 v2 `/oauth2/v2/userinfo`.
//!
//! Both answer per granted scope, as Google does: `email` claims need the email scope and
//! names and picture need the profile scope. The OpenID endpoint answers errors the RFC 6750
//! way (`{"error","error_description"}` with `WWW-Authenticate`), unlike the API envelope.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::auth::{self, Caller};
use super::data::SeedUser;
use super::errors::ApiError;
use super::server::{ApiResult, Call, Reply, json_response};
use super::state::{Emu, find_user};

const EMAIL: &str = "https://www.googleapis.com/auth/userinfo.email";
const PROFILE: &str = "https://www.googleapis.com/auth/userinfo.profile";
const DOMAIN: &str = "example.com";

fn has(caller: &Caller, scope: &str) -> bool {
    caller.scopes.iter().any(|s| s == scope)
}

fn user_of(caller: &Caller) -> Result<&'static SeedUser, ApiError> {
    find_user(&caller.user).ok_or_else(ApiError::not_found)
}

/// `GET /v1/userinfo` (openidconnect.googleapis.com).
pub fn oidc_userinfo(emu: &Emu, headers: &HeaderMap, query: &[(String, String)]) -> Response {
    let caller = match auth::authenticate(emu, headers, query) {
        Ok(c) => c,
        Err(_) => return oidc_error(401, "invalid_request", "Invalid Credentials"),
    };
    let scoped = has(&caller, EMAIL) || has(&caller, PROFILE) || has(&caller, "openid");
    let Some(user) = find_user(&caller.user).filter(|_| scoped) else {
        return oidc_error(403, "insufficient_scope", "Insufficient Permission");
    };
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(user.id));
    if has(&caller, PROFILE) {
        claims.insert("name".into(), json!(user.display_name()));
        claims.insert("given_name".into(), json!(user.given));
        claims.insert("family_name".into(), json!(user.family));
        claims.insert("picture".into(), json!(user.picture()));
    }
    if has(&caller, EMAIL) {
        claims.insert("email".into(), json!(user.email));
        claims.insert("email_verified".into(), json!(true));
    }
    claims.insert("hd".into(), json!(DOMAIN));
    json_response(StatusCode::OK, &Value::Object(claims), true)
}

fn oidc_error(code: u16, error: &str, description: &str) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::UNAUTHORIZED);
    let mut resp = json_response(
        status,
        &json!({ "error": error, "error_description": description }),
        true,
    );
    let www = format!("Bearer realm=\"https://accounts.google.com/\", error=\"{error}\"");
    if let Ok(v) = HeaderValue::from_str(&www) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

/// `GET /oauth2/v2/userinfo` (schema `Userinfo` of oauth2.v2).
pub fn oauth2_userinfo(call: &Call) -> ApiResult {
    let user = user_of(&call.caller)?;
    let mut body = Map::new();
    body.insert("id".into(), json!(user.id));
    if has(&call.caller, EMAIL) {
        body.insert("email".into(), json!(user.email));
        body.insert("verified_email".into(), json!(true));
    }
    if has(&call.caller, PROFILE) {
        body.insert("name".into(), json!(user.display_name()));
        body.insert("given_name".into(), json!(user.given));
        body.insert("family_name".into(), json!(user.family));
        body.insert("picture".into(), json!(user.picture()));
    }
    body.insert("hd".into(), json!(DOMAIN));
    Ok(Reply::Json(Value::Object(body)))
}
