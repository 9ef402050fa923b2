//! Shared helpers: start a Slack emulator, sign in through the real OAuth v2 flow, call
//! Web API methods the way Slack clients do (form POST, GET query, JSON POST).

#![allow(dead_code)]

use std::collections::HashMap;

use chatkey::providers::slack::emulator::{self, EmulatorConfig, EmulatorHandle, scopes};
use reqwest::{Client, redirect::Policy};
use serde_json::Value;
use url::Url;

/// An auto-consent emulator. Its requests go to the suite-wide request log (they use only
/// slack_sdk's methods and parameters); tests that send anything else call `log_off`.
pub async fn start() -> EmulatorHandle {
    start_with(EmulatorConfig {
        auto_consent: true,
        ..EmulatorConfig::default()
    })
    .await
}

pub async fn start_with(cfg: EmulatorConfig) -> EmulatorHandle {
    emulator::start(cfg).await.expect("slack emulator starts")
}

/// Keeps this emulator's traffic out of the suite-wide log (deliberately unknown methods or
/// parameters).
pub fn log_off(h: &EmulatorHandle) {
    h.knobs().set_request_log_file(None).expect("log file off");
}

/// An HTTP client that does not follow redirects (the OAuth tests read `Location`).
pub fn http() -> Client {
    Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client")
}

pub fn url(h: &EmulatorHandle, path: &str) -> Url {
    h.base_url()
        .join(path.trim_start_matches('/'))
        .expect("url")
}

/// A fresh PKCE pair `(verifier, challenge)`.
pub fn pkce() -> (String, String) {
    let verifier: String = (0..64)
        .map(|_| {
            let chars = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
            chars[rand::random::<u8>() as usize % chars.len()] as char
        })
        .collect();
    let challenge = emulator::s256_challenge(&verifier);
    (verifier, challenge)
}

/// The authorize URL chatkey builds (user scopes only, PKCE), with overrides; an empty
/// override value removes the parameter.
pub fn authorize_url(h: &EmulatorHandle, challenge: &str, extra: &[(&str, &str)]) -> Url {
    let scope = scopes::FULL_USER_SCOPES.join(",");
    let redirect = h.redirect_uri();
    let mut params: Vec<(&str, &str)> = vec![
        ("client_id", h.client_id()),
        ("user_scope", &scope),
        ("redirect_uri", &redirect),
        ("state", "st-42"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ];
    for (k, v) in extra {
        params.retain(|(pk, _)| pk != k);
        if !v.is_empty() {
            params.push((k, v));
        }
    }
    let mut u = url(h, "/oauth/v2/authorize");
    u.query_pairs_mut().extend_pairs(params);
    u
}

/// Query parameters of a redirect's `Location` (which must go to the registered URL).
pub fn location(h: &EmulatorHandle, resp: &reqwest::Response) -> HashMap<String, String> {
    let loc = resp.headers()["location"].to_str().expect("location");
    assert!(loc.starts_with(&h.redirect_uri()), "{loc}");
    Url::parse(loc)
        .expect("location url")
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A form POST to `{api}/{method}`; returns HTTP status and JSON.
pub async fn post_form(
    h: &EmulatorHandle,
    method: &str,
    token: Option<&str>,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let mut req = http().post(format!("{}/{method}", h.api_url())).form(form);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.expect("api request");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("json answer"))
}

/// `oauth.v2.access` with the given form.
pub async fn access(h: &EmulatorHandle, form: &[(&str, &str)]) -> Value {
    let (status, body) = post_form(h, "oauth.v2.access", None, form).await;
    assert_eq!(
        status, 200,
        "Slack answers OAuth errors with HTTP 200: {body}"
    );
    body
}

pub struct Tokens {
    pub access: String,
    pub refresh: Option<String>,
    pub body: Value,
}

/// The whole user-token flow against an auto-consent emulator.
pub async fn sign_in(h: &EmulatorHandle) -> Tokens {
    let (verifier, challenge) = pkce();
    let resp = http()
        .get(authorize_url(h, &challenge, &[]))
        .send()
        .await
        .expect("authorize");
    assert_eq!(
        resp.status(),
        302,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    let q = location(h, &resp);
    assert_eq!(q["state"], "st-42");
    let redirect = h.redirect_uri();
    let body = access(
        h,
        &[
            ("client_id", h.client_id()),
            ("code", &q["code"]),
            ("code_verifier", &verifier),
            ("redirect_uri", &redirect),
        ],
    )
    .await;
    assert_eq!(body["ok"], true, "{body}");
    Tokens {
        access: body["authed_user"]["access_token"]
            .as_str()
            .expect("access")
            .to_string(),
        refresh: body["authed_user"]["refresh_token"]
            .as_str()
            .map(str::to_string),
        body,
    }
}

/// A caller of the Web API with one token.
pub struct Api {
    pub base: String,
    pub token: String,
    pub http: Client,
}

impl Api {
    pub async fn new(h: &EmulatorHandle) -> Self {
        let t = sign_in(h).await;
        Self::with_token(h, &t.access)
    }

    pub fn with_token(h: &EmulatorHandle, token: &str) -> Self {
        Self {
            base: h.api_url(),
            token: token.to_string(),
            http: http(),
        }
    }

    /// Form POST with the bearer token (how slack_sdk sends most methods).
    pub async fn post(&self, method: &str, form: &[(&str, &str)]) -> Value {
        self.post_status(method, form).await.1
    }

    pub async fn post_status(&self, method: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}/{method}", self.base))
            .bearer_auth(&self.token)
            .form(form)
            .send()
            .await
            .expect("api request");
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("json"))
    }

    /// GET with the arguments in the query.
    pub async fn get(&self, method: &str, query: &[(&str, &str)]) -> Value {
        let resp = self
            .http
            .get(format!("{}/{method}", self.base))
            .bearer_auth(&self.token)
            .query(query)
            .send()
            .await
            .expect("api request");
        resp.json().await.expect("json")
    }

    /// JSON POST (how slack_sdk sends chat.postMessage).
    pub async fn json(&self, method: &str, body: Value) -> Value {
        let resp = self
            .http
            .post(format!("{}/{method}", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "application/json; charset=utf-8")
            .body(body.to_string())
            .send()
            .await
            .expect("api request");
        resp.json().await.expect("json")
    }

    /// Follows `response_metadata.next_cursor` to the end; returns every item under `key` and
    /// the sizes of the pages.
    pub async fn list_all(
        &self,
        method: &str,
        args: &[(&str, &str)],
        key: &str,
    ) -> (Vec<Value>, Vec<usize>) {
        let mut items = Vec::new();
        let mut sizes = Vec::new();
        let mut cursor = String::new();
        loop {
            let mut form: Vec<(&str, &str)> = args.to_vec();
            if !cursor.is_empty() {
                form.push(("cursor", &cursor));
            }
            let body = self.post(method, &form).await;
            assert_eq!(body["ok"], true, "{method}: {body}");
            let page = body[key].as_array().cloned().unwrap_or_default();
            sizes.push(page.len());
            items.extend(page);
            match body["response_metadata"]["next_cursor"].as_str() {
                Some(c) if !c.is_empty() => cursor = c.to_string(),
                _ => return (items, sizes),
            }
        }
    }
}

/// `error` of an `ok: false` answer ("" when ok).
pub fn err(body: &Value) -> &str {
    body["error"].as_str().unwrap_or("")
}
