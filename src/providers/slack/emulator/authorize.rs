//! The authorization page (`/oauth/v2/authorize`) and its Allow/Cancel decision.
//!
//! Slack's rules for a user-token install: the client must exist; `redirect_uri`, when sent,
//! must equal one of the app's registered redirect URLs exactly (Slack does not allow a random
//! loopback port), and when omitted the first registered one is used; `user_scope` is a
//! comma-separated list of known user scopes; bot `scope`s are refused (a desktop redirect of
//! a PKCE app cannot request them, and the emulated app has no bot user); PKCE takes
//! `code_challenge` with `code_challenge_method=S256`. Problems with the client or the
//! redirect show an HTML error page instead of redirecting; the person's Cancel redirects with
//! `error=access_denied`. `state` is echoed on every redirect.

use std::time::Instant;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::data::{PRIMARY_USER, TEAM};
use super::oauth::CODE_LIFETIME;
use super::scopes;
use super::state::{AuthCode, Emu, PendingAuth, random_digits, random_hex, random_upper};

pub const AUTHORIZE_PATH: &str = "/oauth/v2/authorize";
/// The consent form posts here (Slack's own approval endpoint is internal).
pub const CONSENT_PATH: &str = "/oauth/v2/authorize/decision";
/// How the request log names the authorization page.
pub const AUTHORIZE_METHOD: &str = "oauth/v2/authorize";
const APP_NAME: &str = "chatkey";

fn html(status: StatusCode, body: String) -> Response {
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// Slack's "Oops, something went wrong" page.
pub fn error_page(error: &str, message: &str) -> Response {
    let body = include_str!("error.html")
        .replace("{{error}}", &html_escape::encode_text(error))
        .replace("{{message}}", &html_escape::encode_text(message));
    html(StatusCode::BAD_REQUEST, body)
}

fn get<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

pub fn authorize(emu: &Emu, q: &[(String, String)]) -> Response {
    match get(q, "client_id") {
        None => return error_page("invalid_client_id", "Missing client_id parameter."),
        Some(id) if id != emu.client_id => {
            return error_page("invalid_client_id", "Invalid client_id parameter.");
        }
        _ => {}
    }
    let mut st = emu.lock();
    let app = st.settings.app.clone();
    let (redirect_uri, redirect_given) = match get(q, "redirect_uri") {
        Some(r) if app.redirect_urls.iter().any(|u| u == r) => (r.to_string(), true),
        Some(r) => {
            return error_page(
                "bad_redirect_uri",
                &format!("redirect_uri did not match any configured URIs. Passed URI: {r}"),
            );
        }
        None => match app.redirect_urls.first() {
            Some(first) => (first.clone(), false),
            None => return error_page("bad_redirect_uri", "No redirect URL is configured."),
        },
    };
    if get(q, "scope").is_some() {
        let why = if app.pkce {
            "Desktop redirects cannot request bot scopes."
        } else {
            "This app has no bot user, so it cannot request bot scopes."
        };
        return error_page("invalid_scope", why);
    }
    let user_scopes = scopes::split(get(q, "user_scope").unwrap_or(""));
    if user_scopes.is_empty() {
        return error_page(
            "invalid_scope",
            "No scopes were requested (user_scope is empty).",
        );
    }
    let unknown: Vec<&str> = user_scopes
        .iter()
        .map(String::as_str)
        .filter(|s| !scopes::is_user_scope(s))
        .collect();
    if !unknown.is_empty() {
        return error_page(
            "invalid_scope",
            &format!("Invalid permissions requested: {}", unknown.join(",")),
        );
    }
    let code_challenge = match (get(q, "code_challenge"), get(q, "code_challenge_method")) {
        (None, None) => None,
        (Some(c), Some("S256")) => {
            let valid = c.len() == 43
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !valid {
                return error_page(
                    "invalid_code_challenge",
                    "code_challenge must be 43 base64url characters.",
                );
            }
            Some(c.to_string())
        }
        (Some(_), other) => {
            return error_page(
                "invalid_code_challenge_method",
                &format!(
                    "code_challenge_method must be S256, not {}",
                    other.unwrap_or("(missing)")
                ),
            );
        }
        (None, Some(_)) => {
            return error_page(
                "invalid_code_challenge",
                "code_challenge_method without code_challenge.",
            );
        }
    };
    let user = st
        .settings
        .consent_user
        .clone()
        .unwrap_or_else(|| PRIMARY_USER.to_string());
    let granted = st.settings.granted_scopes.clone().unwrap_or(user_scopes);
    let auth = PendingAuth {
        redirect_uri,
        redirect_given,
        user_scopes: granted,
        state: get(q, "state").map(str::to_string),
        code_challenge,
        user,
    };
    if emu.auto_consent {
        drop(st);
        return issue_code(emu, auth);
    }
    let consent_id = random_upper(24);
    st.oauth.pending.insert(consent_id.clone(), auth.clone());
    let person = st.ws.user(&auth.user).cloned();
    drop(st);
    let items: Vec<String> = auth
        .user_scopes
        .iter()
        .map(|s| {
            format!(
                "    <li data-scope=\"{s}\">{}</li>",
                html_escape::encode_text(s)
            )
        })
        .collect();
    let body = include_str!("consent.html")
        .replace("{{app}}", APP_NAME)
        .replace("{{team}}", TEAM.name)
        .replace("{{domain}}", TEAM.domain)
        .replace(
            "{{user_name}}",
            &html_escape::encode_text(
                &person
                    .as_ref()
                    .map(|p| p.real_name.clone())
                    .unwrap_or_default(),
            ),
        )
        .replace(
            "{{user_email}}",
            &html_escape::encode_text(&person.map(|p| p.email).unwrap_or_default()),
        )
        .replace("{{scopes}}", &items.join("\n"))
        .replace("{{action}}", CONSENT_PATH)
        .replace("{{consent_id}}", &consent_id);
    html(StatusCode::OK, body)
}

/// The consent form's answer: Allow issues a code, anything else is `access_denied`.
pub fn decision(emu: &Emu, form: &[(String, String)]) -> Response {
    let pending = get(form, "consent_id").and_then(|id| emu.lock().oauth.pending.remove(id));
    let Some(auth) = pending else {
        return error_page(
            "invalid_request",
            "This authorization request is unknown or was already answered.",
        );
    };
    match get(form, "decision") {
        Some("allow") => issue_code(emu, auth),
        _ => redirect(&auth, &[("error", "access_denied")]),
    }
}

fn redirect(auth: &PendingAuth, pairs: &[(&str, &str)]) -> Response {
    let Ok(mut url) = url::Url::parse(&auth.redirect_uri) else {
        return error_page(
            "bad_redirect_uri",
            "The registered redirect URL is not a URL.",
        );
    };
    {
        let mut qp = url.query_pairs_mut();
        for (k, v) in pairs {
            qp.append_pair(k, v);
        }
        if let Some(state) = &auth.state {
            qp.append_pair("state", state);
        }
    }
    let mut resp = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(url.as_str()) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

fn issue_code(emu: &Emu, auth: PendingAuth) -> Response {
    // Slack's codes look like `4724469134.4644010092847.232b4e…`.
    let code = format!(
        "{}.{}.{}",
        random_digits(10),
        random_digits(13),
        random_hex(64)
    );
    emu.lock().oauth.codes.insert(
        code.clone(),
        AuthCode {
            auth: auth.clone(),
            expires: Instant::now() + CODE_LIFETIME,
        },
    );
    redirect(&auth, &[("code", &code)])
}
