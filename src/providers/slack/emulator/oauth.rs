//! Tokens: `oauth.v2.access` (code exchange and refresh), `auth.test`, `auth.revoke`, and the
//! token check every other method runs.
//!
//! User tokens only, as chatkey signs in: the answer carries `authed_user` and no bot token.
//! With token rotation (the default) access tokens are `xoxe.xoxp-…` with `expires_in` (12 h)
//! and come with an `xoxe-1-…` refresh token; each refresh answers a new pair at the top level
//! (`token_type: "user"`), and the refresh token it used is dead from then on. Without rotation
//! tokens are long-lived `xoxp-…`. A PKCE app (public client) sends no client secret and must
//! prove the code with `code_verifier`; an app with a secret must send it (HTTP Basic or form).
//! Errors are HTTP 200 `{"ok": false, "error": …}` with Slack's codes.

use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::data::TEAM;
use super::errors::{ApiResult, SlackError};
use super::server::{Call, Caller};
use super::state::{AccessToken, Grant, RefreshToken, State, random_digits, random_hex};

/// How long an authorization code stays valid (Slack: ten minutes).
pub const CODE_LIFETIME: Duration = Duration::from_secs(600);

/// PKCE's S256 challenge: `BASE64URL(SHA256(verifier))` without padding.
pub fn s256_challenge(verifier: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Finds the caller behind a token, or Slack's answer for a token that is missing, unknown,
/// revoked or expired.
pub fn authenticate(st: &State, token: Option<&str>) -> Result<Caller, SlackError> {
    let token = token.ok_or_else(|| SlackError::new("not_authed"))?;
    let access = st
        .oauth
        .access
        .get(token)
        .ok_or_else(|| SlackError::new("invalid_auth"))?;
    let grant = st
        .oauth
        .grants
        .get(&access.grant)
        .ok_or_else(|| SlackError::new("invalid_auth"))?;
    if grant.revoked {
        return Err(SlackError::new("token_revoked"));
    }
    let now = Instant::now();
    if access.expires.is_some_and(|e| e <= now) {
        return Err(SlackError::new("token_expired"));
    }
    if st.ws.user(&grant.user).is_some_and(|u| u.deleted) {
        return Err(SlackError::new("account_inactive"));
    }
    Ok(Caller {
        user: grant.user.clone(),
        scopes: grant.scopes.clone(),
        grant: access.grant,
        expires_in: access.expires.map(|e| e.duration_since(now).as_secs()),
    })
}

/// A new grant for `user` with its first tokens. Returns `(access, refresh, expires_in)`;
/// `refresh` and `expires_in` are `None` without token rotation.
pub fn issue(
    st: &mut State,
    user: &str,
    scopes: Vec<String>,
) -> (String, Option<String>, Option<u64>) {
    st.oauth.next_grant += 1;
    let grant = st.oauth.next_grant;
    st.oauth.grants.insert(
        grant,
        Grant {
            user: user.to_string(),
            scopes,
            revoked: false,
        },
    );
    new_tokens(st, grant)
}

fn new_tokens(st: &mut State, grant: u64) -> (String, Option<String>, Option<u64>) {
    let now = Instant::now();
    let team_num = random_digits(10);
    let user_num = random_digits(13);
    if !st.settings.app.token_rotation {
        let token = format!(
            "xoxp-{team_num}-{user_num}-{}-{}",
            random_digits(13),
            random_hex(32)
        );
        st.oauth.access.insert(
            token.clone(),
            AccessToken {
                grant,
                expires: None,
            },
        );
        return (token, None, None);
    }
    let lifetime = st.settings.access_token_lifetime;
    let access = format!("xoxe.xoxp-1-{}", random_hex(150));
    let refresh = format!("xoxe-1-{}", random_hex(140));
    st.oauth.access.insert(
        access.clone(),
        AccessToken {
            grant,
            expires: Some(now + lifetime),
        },
    );
    let refresh_expires = st.settings.refresh_token_lifetime.map(|d| now + d);
    st.oauth.refresh.insert(
        refresh.clone(),
        RefreshToken {
            grant,
            expires: refresh_expires,
        },
    );
    (access, Some(refresh), Some(lifetime.as_secs()))
}

fn team() -> Value {
    json!({ "id": TEAM.id, "name": TEAM.name })
}

/// Checks the client: id known, secret as the app requires. PKCE apps are public clients.
fn check_client(call: &Call, verifier_sent: bool) -> Result<(), SlackError> {
    let (id, secret) = match &call.basic_auth {
        Some((id, secret)) => (
            Some(id.clone()),
            Some(secret.clone()).filter(|s| !s.is_empty()),
        ),
        None => (call.args.text("client_id"), call.args.text("client_secret")),
    };
    if id.as_deref() != Some(call.emu.client_id.as_str()) {
        return Err(SlackError::new("invalid_client_id"));
    }
    if call.st.settings.app.pkce {
        // A public client's exchange carries no secret; Slack answers a PKCE exchange that
        // also sends one with internal_error (seen in the wild, e.g. paradigmxyz/centaur#1100).
        if secret.is_some() && verifier_sent {
            return Err(SlackError::new("internal_error"));
        }
        if secret
            .as_deref()
            .is_some_and(|s| s != call.emu.client_secret)
        {
            return Err(SlackError::new("bad_client_secret"));
        }
        return Ok(());
    }
    match secret {
        Some(s) if s == call.emu.client_secret => Ok(()),
        _ => Err(SlackError::new("bad_client_secret")),
    }
}

/// `oauth.v2.access`.
pub fn oauth_v2_access(call: &mut Call) -> ApiResult {
    let grant_type = call.args.text("grant_type");
    match grant_type.as_deref() {
        None | Some("authorization_code") => exchange_code(call),
        Some("refresh_token") => refresh(call),
        Some(_) => Err(SlackError::new("invalid_grant_type")),
    }
}

fn exchange_code(call: &mut Call) -> ApiResult {
    let verifier = call.args.text("code_verifier");
    check_client(call, verifier.is_some())?;
    let code = call
        .args
        .text("code")
        .ok_or_else(|| SlackError::new("invalid_code"))?;
    // Single use: whatever happens next, this code is spent.
    let entry = call
        .st
        .oauth
        .codes
        .remove(&code)
        .filter(|c| c.expires > Instant::now())
        .ok_or_else(|| SlackError::new("invalid_code"))?;
    let auth = entry.auth;
    match call.args.text("redirect_uri") {
        Some(r) if r != auth.redirect_uri => return Err(SlackError::new("bad_redirect_uri")),
        None if auth.redirect_given => return Err(SlackError::new("bad_redirect_uri")),
        _ => {}
    }
    match (&auth.code_challenge, &verifier) {
        (Some(challenge), Some(v)) if s256_challenge(v) == *challenge => {}
        // PKCE failures are `invalid_grant`, RFC 7636's error for a verifier that does not
        // prove the code (or that is missing when the code was bound to a challenge).
        (Some(_), _) => return Err(SlackError::new("invalid_grant")),
        (None, Some(_)) => return Err(SlackError::new("invalid_grant")),
        (None, None)
            if call.st.settings.app.pkce
                && call.args.text("client_secret").is_none()
                && call.basic_auth.is_none() =>
        {
            // A public client without PKCE would be unauthenticated.
            return Err(SlackError::new("invalid_grant"));
        }
        (None, None) => {}
    }
    let scopes = auth.user_scopes.clone();
    let (access, refresh, expires_in) = issue(call.st, &auth.user, scopes.clone());
    let mut authed = Map::new();
    authed.insert("id".into(), json!(auth.user));
    authed.insert("scope".into(), json!(scopes.join(",")));
    authed.insert("access_token".into(), json!(access));
    authed.insert("token_type".into(), json!("user"));
    if let (Some(r), Some(e)) = (refresh, expires_in) {
        authed.insert("refresh_token".into(), json!(r));
        authed.insert("expires_in".into(), json!(e));
    }
    let mut out = Map::new();
    out.insert("app_id".into(), json!(call.emu.app_id));
    out.insert("authed_user".into(), Value::Object(authed));
    out.insert("team".into(), team());
    out.insert("enterprise".into(), Value::Null);
    out.insert("is_enterprise_install".into(), json!(false));
    Ok(out)
}

fn refresh(call: &mut Call) -> ApiResult {
    check_client(call, false)?;
    let token = call
        .args
        .text("refresh_token")
        .ok_or_else(|| SlackError::new("invalid_refresh_token"))?;
    // A refresh token works once: the answer carries its successor.
    let entry = call
        .st
        .oauth
        .refresh
        .remove(&token)
        .ok_or_else(|| SlackError::new("invalid_refresh_token"))?;
    if entry.expires.is_some_and(|e| e <= Instant::now()) {
        return Err(SlackError::new("invalid_refresh_token"));
    }
    let grant = call
        .st
        .oauth
        .grants
        .get(&entry.grant)
        .filter(|g| !g.revoked)
        .cloned()
        .ok_or_else(|| SlackError::new("invalid_refresh_token"))?;
    let (access, refresh, expires_in) = new_tokens(call.st, entry.grant);
    let mut out = Map::new();
    out.insert("app_id".into(), json!(call.emu.app_id));
    out.insert("scope".into(), json!(grant.scopes.join(",")));
    out.insert("token_type".into(), json!("user"));
    out.insert("access_token".into(), json!(access));
    if let (Some(r), Some(e)) = (refresh, expires_in) {
        out.insert("expires_in".into(), json!(e));
        out.insert("refresh_token".into(), json!(r));
    }
    out.insert("team".into(), team());
    out.insert("enterprise".into(), Value::Null);
    out.insert("is_enterprise_install".into(), json!(false));
    Ok(out)
}

/// `auth.test`: who the token belongs to.
pub fn auth_test(call: &mut Call) -> ApiResult {
    let caller = call.caller().clone();
    let handle = call
        .st
        .ws
        .user(&caller.user)
        .map(|u| u.name.clone())
        .unwrap_or_default();
    let mut out = Map::new();
    out.insert(
        "url".into(),
        json!(format!("https://{}.slack.com/", TEAM.domain)),
    );
    out.insert("team".into(), json!(TEAM.name));
    out.insert("user".into(), json!(handle));
    out.insert("team_id".into(), json!(TEAM.id));
    out.insert("user_id".into(), json!(caller.user));
    out.insert("is_enterprise_install".into(), json!(false));
    if let Some(e) = caller.expires_in {
        out.insert("expires_in".into(), json!(e));
    }
    Ok(out)
}

/// `auth.revoke`: ends the whole authorization (its refresh tokens too); `test=true` only
/// says whether it would.
pub fn auth_revoke(call: &mut Call) -> ApiResult {
    let test = call.args.flag("test");
    let grant = call.caller().grant;
    if !test {
        call.st.oauth.revoke_grant(grant);
    }
    let mut out = Map::new();
    out.insert("revoked".into(), json!(!test));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_rfc7636_appendix_b() {
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
