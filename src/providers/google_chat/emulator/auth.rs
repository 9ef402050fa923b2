//! Bearer-token authentication for the API routes.
//!
//! Google accepts the access token as `Authorization: Bearer …` or as the `access_token` /
//! `oauth_token` system parameter. A token past its lifetime is distinguishable from an
//! unknown one (`ACCESS_TOKEN_EXPIRED`), which is what lets a client refresh instead of
//! asking the user to sign in again.

use std::time::Instant;

use axum::http::HeaderMap;

use super::errors::ApiError;
use super::routes::{Route, full_scope};
use super::state::Emu;

/// The signed-in user behind a valid access token.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Numeric user id.
    pub user: String,
    /// Granted scopes, full URL form (plus `openid`).
    pub scopes: Vec<String>,
}

impl Caller {
    /// Does the token carry any of `short` scopes (discovery's "any listed scope suffices")?
    pub fn has_any(&self, short: &[&str]) -> bool {
        short
            .iter()
            .any(|s| self.scopes.iter().any(|g| *g == full_scope(s)))
    }
}

/// Why authentication failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    Missing,
    Invalid,
    Expired,
}

impl AuthFailure {
    pub fn to_error(self, route: &Route) -> ApiError {
        let (service, method) = (route.service.host(), route.rpc_method());
        match self {
            AuthFailure::Missing => ApiError::unauthenticated(true, service, &method),
            AuthFailure::Invalid => ApiError::unauthenticated(false, service, &method),
            AuthFailure::Expired => ApiError::token_expired(service, &method),
        }
    }
}

/// The bearer token of a request, from the header or the query.
pub fn bearer(headers: &HeaderMap, query: &[(String, String)]) -> Option<String> {
    if let Some(value) = headers.get(axum::http::header::AUTHORIZATION) {
        let text = value.to_str().ok()?.trim();
        let (scheme, token) = text.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_string());
    }
    query
        .iter()
        .find(|(k, _)| k == "access_token" || k == "oauth_token")
        .map(|(_, v)| v.clone())
}

/// Resolves the request's access token to its user and scopes.
pub fn authenticate(
    emu: &Emu,
    headers: &HeaderMap,
    query: &[(String, String)],
) -> Result<Caller, AuthFailure> {
    let token = bearer(headers, query).ok_or(AuthFailure::Missing)?;
    let st = emu.lock();
    let entry = st
        .oauth
        .access_tokens
        .get(&token)
        .ok_or(AuthFailure::Invalid)?;
    if entry.expires <= Instant::now() {
        return Err(AuthFailure::Expired);
    }
    Ok(Caller {
        user: entry.user.clone(),
        scopes: entry.scopes.clone(),
    })
}
