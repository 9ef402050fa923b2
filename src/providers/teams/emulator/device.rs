//! Entra's device authorization grant: `devicecode` hands out a device code and a short
//! user code with `verification_uri`, `expires_in` and `interval`; the person enters the code
//! on the device-login page and accepts or declines; the token endpoint answers the polls
//! with `authorization_pending`, `slow_down` (polled faster than `interval`, or when a test
//! asks), `authorization_declined`, `expired_token`, or the tokens.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use super::oauth::{entra_error, error_page, granted, issue, token};
use super::state::{DeviceFlow, Grant};
use super::{CLIENT_ID, Emu, LOGIN_PREFIX, data};

const EXPIRES_IN: Duration = Duration::from_secs(900);

fn user_code() -> String {
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..9)
        .map(|_| LETTERS[rand::random_range(0..LETTERS.len())] as char)
        .collect()
}

pub async fn start(
    State(emu): State<Arc<Emu>>,
    Path(_tenant): Path<String>,
    headers: HeaderMap,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    if f.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            "Application with identifier was not found in the directory 'Contoso'.",
        );
    }
    let Some(scope) = f.get("scope").filter(|s| !s.trim().is_empty()) else {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'scope'.",
        );
    };
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let verification = format!("http://{host}{LOGIN_PREFIX}/devicelogin");
    let (device_code, code) = (token(), user_code());
    let interval = {
        let mut st = emu.state.lock().unwrap();
        let interval = st.settings.device_interval;
        st.devices.insert(
            device_code.clone(),
            DeviceFlow {
                user_code: code.clone(),
                scopes: scope.clone(),
                issued: Instant::now(),
                expires_in: EXPIRES_IN,
                interval,
                last_poll: None,
                decided: None,
            },
        );
        interval
    };
    Json(json!({
        "user_code": code,
        "device_code": device_code,
        "verification_uri": verification,
        "expires_in": EXPIRES_IN.as_secs(),
        "interval": interval.as_secs().max(1),
        "message": format!("To sign in, use a web browser to open the page {verification} and enter the code {code} to authenticate."),
    }))
    .into_response()
}

pub async fn page() -> Html<String> {
    Html(format!(
        "<!doctype html><meta charset=utf-8><title>Enter code</title><h1>Enter code</h1>\
         <p>Enter the code displayed on your app or device (signing in as {}).</p>\
         <form method=post><input name=user_code autofocus> <button name=decision value=accept>Next</button> \
         <button name=decision value=cancel>Cancel</button></form>",
        data::ME_EMAIL
    ))
}

#[derive(serde::Deserialize)]
pub struct Entered {
    user_code: String,
    #[serde(default)]
    decision: String,
}

pub async fn enter(State(emu): State<Arc<Emu>>, Form(e): Form<Entered>) -> Response {
    let mut st = emu.state.lock().unwrap();
    let wanted = e.user_code.trim().to_ascii_uppercase();
    match st
        .devices
        .values_mut()
        .find(|d| d.user_code == wanted && d.decided.is_none())
    {
        Some(d) if d.issued.elapsed() < d.expires_in => {
            d.decided = Some(e.decision != "cancel");
            Html("<!doctype html><title>Signed in</title><p>You have signed in to chatkey on your device. You may now close this window.</p>").into_response()
        }
        _ => error_page("That code didn't work. Check the code and try again."),
    }
}

/// One poll of the token endpoint with a device code.
pub fn poll(emu: &Emu, f: &BTreeMap<String, String>) -> Response {
    let bad = StatusCode::BAD_REQUEST;
    let presented = f.get("device_code").cloned().unwrap_or_default();
    let mut st = emu.state.lock().unwrap();
    let slow = st.settings.slow_downs > 0;
    if slow {
        st.settings.slow_downs -= 1;
    }
    let Some(flow) = st.devices.get_mut(&presented) else {
        return entra_error(
            bad,
            "invalid_grant",
            70000,
            "Provided grant is invalid or malformed.",
        );
    };
    if flow.issued.elapsed() >= flow.expires_in {
        return entra_error(
            bad,
            "expired_token",
            70020,
            "The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
        );
    }
    let now = Instant::now();
    let too_fast = flow
        .last_poll
        .is_some_and(|t| now.duration_since(t) + Duration::from_millis(200) < flow.interval);
    flow.last_poll = Some(now);
    if slow || too_fast {
        return entra_error(
            bad,
            "slow_down",
            70016,
            "OAuth 2.0 device flow error. Polling too fast; slow down.",
        );
    }
    match flow.decided {
        None => entra_error(
            bad,
            "authorization_pending",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        ),
        Some(false) => {
            st.devices.remove(&presented);
            entra_error(
                bad,
                "authorization_declined",
                70019,
                "The end user denied the authorization request.",
            )
        }
        Some(true) => {
            let flow = st.devices.remove(&presented).expect("just found");
            drop(st);
            let offline = flow
                .scopes
                .split_whitespace()
                .any(|s| s == "offline_access");
            let grant = Grant {
                user: data::ME.into(),
                scopes: granted(emu, &flow.scopes),
            };
            issue(emu, grant, offline)
        }
    }
}
