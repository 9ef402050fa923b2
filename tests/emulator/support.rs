//! Shared helpers: start an emulator, sign in through the real OAuth flow, call the API.

use std::collections::HashMap;

use chatkey::providers::google_chat::emulator::{self, EmulatorConfig, EmulatorHandle};
use reqwest::{Client, Method, redirect::Policy};
use serde_json::{Value, json};
use url::Url;

/// Scopes a full-featured client asks for.
pub const SCOPES: &[&str] = &[
    "openid",
    "email",
    "profile",
    "https://www.googleapis.com/auth/chat.spaces.readonly",
    "https://www.googleapis.com/auth/chat.messages",
    "https://www.googleapis.com/auth/chat.memberships",
    "https://www.googleapis.com/auth/chat.users.readstate",
    "https://www.googleapis.com/auth/directory.readonly",
];

/// Starts an auto-consent emulator whose traffic stays out of the suite-wide request log
/// (these tests send invalid requests on purpose).
pub async fn start() -> EmulatorHandle {
    start_with(EmulatorConfig {
        auto_consent: true,
        ..EmulatorConfig::default()
    })
    .await
}

pub async fn start_with(cfg: EmulatorConfig) -> EmulatorHandle {
    let h = emulator::start(cfg).await.expect("emulator starts");
    h.knobs().set_request_log_file(None).expect("log file off");
    h
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
        .map(|i| {
            let chars = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
            chars[(i * 7 + rand::random::<u8>() as usize) % chars.len()] as char
        })
        .collect();
    let challenge = emulator::s256_challenge(&verifier);
    (verifier, challenge)
}

pub const REDIRECT: &str = "http://127.0.0.1:53682/callback";

/// The authorization URL with Google's usual installed-app parameters, overridable.
pub fn auth_url(h: &EmulatorHandle, challenge: &str, extra: &[(&str, &str)]) -> Url {
    let scope = SCOPES.join(" ");
    let mut params: Vec<(&str, &str)> = vec![
        ("client_id", h.client_id()),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", &scope),
        ("state", "st-123"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        ("access_type", "offline"),
        ("prompt", "consent"),
    ];
    for (k, v) in extra {
        params.retain(|(pk, _)| pk != k);
        if !v.is_empty() {
            params.push((k, v));
        }
    }
    let mut u = url(h, "/o/oauth2/v2/auth");
    u.query_pairs_mut().extend_pairs(params);
    u
}

/// Query parameters of a redirect's `Location`.
pub fn location(resp: &reqwest::Response) -> HashMap<String, String> {
    let loc = resp.headers()["location"].to_str().expect("location");
    assert!(loc.starts_with(REDIRECT), "{loc}");
    Url::parse(loc)
        .expect("location url")
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Posts to the token endpoint; returns status and JSON.
pub async fn token(h: &EmulatorHandle, form: &[(&str, &str)]) -> (u16, Value) {
    let resp = http()
        .post(url(h, "/token"))
        .form(form)
        .send()
        .await
        .expect("token request");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("token json"))
}

pub struct Tokens {
    pub access: String,
    pub refresh: Option<String>,
    pub body: Value,
}

/// The whole authorization-code flow against an auto-consent emulator.
pub async fn sign_in(h: &EmulatorHandle, extra: &[(&str, &str)]) -> Tokens {
    let (verifier, challenge) = pkce();
    let resp = http()
        .get(auth_url(h, &challenge, extra))
        .send()
        .await
        .expect("auth");
    assert_eq!(
        resp.status(),
        302,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    let q = location(&resp);
    let (status, body) = token(
        h,
        &[
            ("grant_type", "authorization_code"),
            ("code", &q["code"]),
            ("redirect_uri", REDIRECT),
            ("client_id", h.client_id()),
            ("client_secret", h.client_secret()),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    Tokens {
        access: body["access_token"].as_str().expect("access").to_string(),
        refresh: body["refresh_token"].as_str().map(str::to_string),
        body,
    }
}

/// An authenticated API caller.
pub struct Api {
    pub base: Url,
    pub token: String,
    pub http: Client,
}

impl Api {
    pub async fn new(h: &EmulatorHandle) -> Self {
        let t = sign_in(h, &[]).await;
        Self::with_token(h, &t.access)
    }

    pub fn with_token(h: &EmulatorHandle, token: &str) -> Self {
        Self {
            base: h.base_url(),
            token: token.to_string(),
            http: http(),
        }
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(
                method,
                self.base.join(path.trim_start_matches('/')).expect("url"),
            )
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("api request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.call(Method::DELETE, path, None).await
    }

    /// Follows `nextPageToken` to the end; returns every item under `key` and the page count.
    pub async fn list_all(&self, path: &str, key: &str) -> (Vec<Value>, usize) {
        let mut items = Vec::new();
        let mut pages = 0;
        let mut token: Option<String> = None;
        loop {
            let sep = if path.contains('?') { '&' } else { '?' };
            let p = match &token {
                Some(t) => format!("{path}{sep}pageToken={}", urlencode(t)),
                None => path.to_string(),
            };
            let (status, body) = self.get(&p).await;
            assert_eq!(status, 200, "{p}: {body}");
            pages += 1;
            items.extend(body[key].as_array().cloned().unwrap_or_default());
            match body["nextPageToken"].as_str() {
                Some(t) => token = Some(t.to_string()),
                None => return (items, pages),
            }
        }
    }
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The `reason` of an AIP-193 error's first `ErrorInfo`.
pub fn reason(body: &Value) -> &str {
    body["error"]["details"]
        .as_array()
        .and_then(|d| {
            d.iter()
                .find(|x| x["@type"] == "type.googleapis.com/google.rpc.ErrorInfo")
        })
        .and_then(|x| x["reason"].as_str())
        .unwrap_or("")
}

/// A `multipart/related` upload body (metadata part + media part) and its content type.
pub fn multipart(filename: &str, content_type: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "chatkey-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    body.extend(
        format!(
            "--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{}\r\n",
            json!({"filename": filename})
        )
        .as_bytes(),
    );
    body.extend(format!("--{boundary}\r\nContent-Type: {content_type}\r\n\r\n").as_bytes());
    body.extend(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/related; boundary={boundary}"), body)
}
