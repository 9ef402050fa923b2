//! The authorization endpoint and its consent page (`/o/oauth2/v2/auth`).
//!
//! Desktop-client rules: loopback redirect URIs only, PKCE with S256 (`plain` is refused here
//! so a client cannot regress to it), known scopes only. Problems with the client or the
//! redirect show Google's HTML error page instead of redirecting, as Google does. The consent
//! page is real HTML with Allow and Deny buttons posting a single-use consent id; tests drive
//! it with plain HTTP.

use std::time::Instant;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::data::PRIMARY_USER;
use super::oauth::{CODE_LIFETIME, get};
use super::scopes;
use super::state::{AuthCode, Emu, PendingAuth, find_user, random_id};

/// The consent page form posts here (Google's own approval endpoint is internal).
pub const CONSENT_PATH: &str = "/signin/oauth/consent";
const APP_NAME: &str = "chatkey";

/// Google's HTML error page ("Access blocked: … Error 400: invalid_request").
pub fn error_page(code: u16, error: &str, message: &str) -> Response {
    let title = if code == 401 {
        "Access blocked: Authorization Error"
    } else {
        "Access blocked: This app’s request is invalid"
    };
    let html = include_str!("error.html")
        .replace("{{title}}", title)
        .replace("{{code}}", &code.to_string())
        .replace("{{error}}", &html_escape::encode_text(error))
        .replace("{{message}}", &html_escape::encode_text(message));
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    html_response(status, html)
}

fn html_response(status: StatusCode, html: String) -> Response {
    let mut resp = (status, html).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    resp
}

/// Is `uri` a loopback redirect a Desktop client may use?
fn loopback_redirect(uri: &str) -> bool {
    let Ok(url) = url::Url::parse(uri) else {
        return false;
    };
    url.scheme() == "http"
        && url.fragment().is_none()
        && match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d == "localhost",
            None => false,
        }
}

pub fn authorize(emu: &Emu, q: &[(String, String)]) -> Response {
    match get(q, "client_id") {
        None => {
            return error_page(
                400,
                "invalid_request",
                "Missing required parameter: client_id",
            );
        }
        Some(id) if id != emu.client_id => {
            return error_page(401, "invalid_client", "The OAuth client was not found.");
        }
        _ => {}
    }
    let Some(redirect_uri) = get(q, "redirect_uri") else {
        return error_page(
            400,
            "invalid_request",
            "Missing required parameter: redirect_uri",
        );
    };
    if !loopback_redirect(redirect_uri) {
        let msg = format!(
            "You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 \
             policy. If you're the app developer, register the redirect URI in the Google Cloud \
             Console. Request details: redirect_uri={redirect_uri}"
        );
        return error_page(400, "redirect_uri_mismatch", &msg);
    }
    match get(q, "response_type") {
        None => {
            return error_page(
                400,
                "invalid_request",
                "Required parameter is missing: response_type",
            );
        }
        Some("code") => {}
        Some(other) => {
            return error_page(
                400,
                "unsupported_response_type",
                &format!("Invalid response_type: {other}"),
            );
        }
    }
    let Some(scope) = get(q, "scope") else {
        return error_page(400, "invalid_request", "Missing required parameter: scope");
    };
    let mut granted = Vec::new();
    let mut invalid = Vec::new();
    for s in scope.split_whitespace() {
        match scopes::normalise(s) {
            Some(full) if !granted.contains(&full) => granted.push(full),
            Some(_) => {}
            None => invalid.push(s),
        }
    }
    if !invalid.is_empty() {
        let msg = format!(
            "Some requested scopes were invalid. {{invalid=[{}]}}",
            invalid.join(", ")
        );
        return error_page(400, "invalid_scope", &msg);
    }
    let Some(challenge) = get(q, "code_challenge") else {
        return error_page(
            400,
            "invalid_request",
            "Missing required parameter: code_challenge",
        );
    };
    match get(q, "code_challenge_method") {
        Some("S256") => {}
        other => {
            let msg = format!(
                "Invalid code_challenge_method: {} (only S256 is accepted)",
                other.unwrap_or("plain")
            );
            return error_page(400, "invalid_request", &msg);
        }
    }
    let valid_challenge = challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid_challenge {
        return error_page(400, "invalid_request", "Invalid code_challenge.");
    }
    let offline = match get(q, "access_type") {
        None | Some("online") => false,
        Some("offline") => true,
        Some(other) => {
            return error_page(
                400,
                "invalid_request",
                &format!("Invalid access_type: {other}"),
            );
        }
    };
    let prompt: Vec<&str> = get(q, "prompt").unwrap_or("").split_whitespace().collect();
    if let Some(bad) = prompt
        .iter()
        .find(|p| !["none", "consent", "select_account"].contains(p))
    {
        return error_page(400, "invalid_request", &format!("Invalid prompt: {bad}"));
    }
    let mut st = emu.lock();
    let hinted = get(q, "login_hint")
        .and_then(find_user)
        .map(|u| u.id.to_string());
    let user = st
        .settings
        .consent_user
        .clone()
        .or(hinted)
        .unwrap_or_else(|| PRIMARY_USER.to_string());
    let auth = PendingAuth {
        redirect_uri: redirect_uri.to_string(),
        scopes: granted,
        state: get(q, "state").map(str::to_string),
        code_challenge: challenge.to_string(),
        offline,
        prompt_consent: prompt.contains(&"consent"),
        user,
    };
    if prompt.contains(&"none") {
        let granted_before = st.oauth.grants.values().any(|g| g.user == auth.user);
        drop(st);
        return if granted_before {
            issue_code(emu, auth)
        } else {
            redirect_error(&auth, "consent_required")
        };
    }
    if emu.auto_consent {
        drop(st);
        return issue_code(emu, auth);
    }
    let consent_id = random_id(32);
    st.oauth.pending.insert(consent_id.clone(), auth.clone());
    drop(st);
    consent_page(&auth, &consent_id)
}

fn consent_page(auth: &PendingAuth, consent_id: &str) -> Response {
    let user = find_user(&auth.user);
    let items: Vec<String> = auth
        .scopes
        .iter()
        .map(|s| {
            format!(
                "    <li data-scope=\"{}\">{}</li>",
                html_escape::encode_double_quoted_attribute(s),
                html_escape::encode_text(scopes::describe(s))
            )
        })
        .collect();
    let html = include_str!("consent.html")
        .replace("{{app}}", APP_NAME)
        .replace(
            "{{user_name}}",
            &html_escape::encode_text(&user.map(|u| u.display_name()).unwrap_or_default()),
        )
        .replace("{{user_email}}", user.map(|u| u.email).unwrap_or_default())
        .replace("{{scopes}}", &items.join("\n"))
        .replace("{{action}}", CONSENT_PATH)
        .replace("{{consent_id}}", consent_id);
    let mut resp = html_response(StatusCode::OK, html);
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

pub fn consent_decision(emu: &Emu, params: &[(String, String)]) -> Response {
    let pending = get(params, "consent_id").and_then(|id| emu.lock().oauth.pending.remove(id));
    let Some(auth) = pending else {
        return error_page(
            400,
            "invalid_request",
            "This consent request is unknown or was already answered.",
        );
    };
    match get(params, "decision") {
        Some("allow") => issue_code(emu, auth),
        _ => redirect_error(&auth, "access_denied"),
    }
}

fn redirect(auth: &PendingAuth, pairs: &[(&str, &str)]) -> Response {
    let mut url = match url::Url::parse(&auth.redirect_uri) {
        Ok(u) => u,
        Err(_) => return error_page(400, "redirect_uri_mismatch", "Invalid redirect_uri."),
    };
    {
        let mut qp = url.query_pairs_mut();
        if let Some(state) = &auth.state {
            qp.append_pair("state", state);
        }
        for (k, v) in pairs {
            qp.append_pair(k, v);
        }
    }
    let mut resp = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(url.as_str()) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

fn redirect_error(auth: &PendingAuth, error: &str) -> Response {
    redirect(auth, &[("error", error)])
}

fn issue_code(emu: &Emu, auth: PendingAuth) -> Response {
    let code = format!("4/0A{}", random_id(70));
    let scope = auth.scopes.join(" ");
    emu.lock().oauth.codes.insert(
        code.clone(),
        AuthCode {
            auth: auth.clone(),
            expires: Instant::now() + CODE_LIFETIME,
        },
    );
    redirect(
        &auth,
        &[
            ("code", &code),
            ("scope", &scope),
            ("authuser", "0"),
            ("prompt", "consent"),
        ],
    )
}
