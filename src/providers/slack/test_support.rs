//! A small stand-in for Slack's Web API for this folder's unit tests: an axum server on
//! 127.0.0.1 that records every request and answers with what the test's handler says, plus
//! a real `Account` (registry, in-memory keyring, OAuth refresh against the same server) so
//! the client's token path is the product's own.
//!
//! The account is registered under the Google Chat provider because that is the only
//! provider the registry can load today; nothing here depends on which provider it is.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use secrecy::SecretString;
use serde_json::{Value, json};
use url::Url;

use super::client::SlackClient;
use super::endpoints::SlackEndpoints;
use super::rate::RateLimits;
use crate::accounts::{Account, Registry};
use crate::http::RetryPolicy;
use crate::paths::Paths;
use crate::providers::ProviderId;
use crate::tokens::{AccountId, AccountRecord, Accounts, MemoryStore, SecretStore};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
}

impl Recorded {
    /// The arguments, from a form or a JSON body.
    pub fn args(&self) -> Value {
        if self
            .content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("application/json"))
        {
            return serde_json::from_str(&self.body).unwrap_or(Value::Null);
        }
        let map = url::form_urlencoded::parse(self.body.as_bytes())
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        Value::Object(map)
    }
    pub fn arg(&self, name: &str) -> Option<String> {
        match self.args().get(name)? {
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }
}

/// What the fake answers.
pub struct Reply {
    pub status: u16,
    pub retry_after: Option<&'static str>,
    pub body: String,
    pub content_type: &'static str,
    /// How long the server takes to answer.
    pub delay: Option<std::time::Duration>,
}

impl Reply {
    pub fn ok(mut body: Value) -> Reply {
        body["ok"] = json!(true);
        Reply {
            status: 200,
            retry_after: None,
            body: body.to_string(),
            delay: None,
            content_type: "application/json; charset=utf-8",
        }
    }
    pub fn error(code: &str) -> Reply {
        Reply {
            status: 200,
            retry_after: None,
            body: json!({"ok": false, "error": code}).to_string(),
            delay: None,
            content_type: "application/json; charset=utf-8",
        }
    }
    pub fn raw(status: u16, body: &str) -> Reply {
        Reply {
            status,
            retry_after: None,
            body: body.to_owned(),
            delay: None,
            content_type: "application/json; charset=utf-8",
        }
    }
    pub fn after(mut self, delay: std::time::Duration) -> Reply {
        self.delay = Some(delay);
        self
    }
}

type Handler = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

#[derive(Clone)]
struct Shared {
    handler: Handler,
    requests: Arc<Mutex<Vec<Recorded>>>,
    tokens_issued: Arc<AtomicUsize>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
}

pub struct FakeSlack {
    pub endpoints: SlackEndpoints,
    pub account: Arc<Account>,
    pub rate: Arc<RateLimits>,
    requests: Arc<Mutex<Vec<Recorded>>>,
    tokens_issued: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
    _dir: tempfile::TempDir,
}

impl FakeSlack {
    /// The URL of a file the server keeps.
    pub fn file_url(&self, path: &str) -> String {
        let mut url = self.endpoints.api_url.clone();
        url.set_path(&format!("/files-pri/{path}"));
        url.to_string()
    }

    /// An upload URL on this server (recorded as method `upload/<key>`).
    pub fn upload_url(&self, key: &str) -> String {
        let mut url = self.endpoints.api_url.clone();
        url.set_path(&format!("/upload/{key}"));
        url.to_string()
    }

    /// A server whose Web API answers with `handler`.
    pub async fn start(handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> FakeSlack {
        let shared = Shared {
            handler: Arc::new(handler),
            requests: Arc::default(),
            tokens_issued: Arc::default(),
            in_flight: Arc::default(),
            max_in_flight: Arc::default(),
        };
        let app = Router::new()
            .route("/token", post(token))
            .route("/api/{method}", post(api))
            .route("/files-pri/{*path}", axum::routing::get(file))
            .route("/upload/{*path}", post(upload))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });

        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_owned();
        let paths = Paths::from_lookup(|name| {
            let sub = match name {
                "CHATKEY_PROFILE" => return Some("test".into()),
                "CHATKEY_CONFIG_DIR" => "config",
                "CHATKEY_RUNTIME_DIR" => "run",
                "CHATKEY_STATE_DIR" => "state",
                _ => return None,
            };
            Some(root.join(sub).into_os_string())
        })
        .unwrap();
        std::fs::create_dir_all(paths.config_dir()).unwrap();
        std::fs::write(
            paths.config_file(),
            format!(
                "[providers.google-chat]\nclient_id = \"test\"\nclient_secret = \"test\"\ntoken_url = \"http://{addr}/token\"\n"
            ),
        )
        .unwrap();
        let email = "alex@example.com";
        let store = Arc::new(MemoryStore::default());
        store
            .save(
                &AccountId {
                    provider: ProviderId::GoogleChat,
                    email: email.into(),
                },
                &SecretString::from("refresh-1"),
            )
            .unwrap();
        let mut records = Accounts::default();
        records.upsert(AccountRecord {
            provider: ProviderId::GoogleChat,
            email: email.into(),
            user_id: Some("U0SELF".into()),
            display_name: Some("Alex".into()),
            scopes: Vec::new(),
            signed_in_at: chrono::Utc::now(),
            aliases: Vec::new(),
            secret_kind: Default::default(),
        });
        records.save(&paths.accounts_file()).unwrap();
        let registry = Registry::new(
            paths,
            store,
            crate::http::client(),
            Arc::new(crate::providers::AccountRules),
        );
        registry.reload().await.unwrap();
        let account = registry.resolve(ProviderId::GoogleChat, None).unwrap();
        FakeSlack {
            endpoints: SlackEndpoints {
                auth_url: Url::parse(&format!("http://{addr}/authorize")).unwrap(),
                api_url: Url::parse(&format!("http://{addr}/api")).unwrap(),
            },
            account,
            rate: Arc::new(RateLimits::unpaced()),
            requests: shared.requests,
            tokens_issued: shared.tokens_issued,
            max_in_flight: shared.max_in_flight,
            _dir: dir,
        }
    }

    /// A client with quick retries and no pacing.
    pub fn client(&self) -> SlackClient {
        self.client_with(self.rate.clone())
    }

    /// A client with quick retries and the given pacing.
    pub fn client_with(&self, rate: Arc<RateLimits>) -> SlackClient {
        SlackClient::new(
            crate::http::client(),
            self.endpoints.clone(),
            self.account.clone(),
            rate,
        )
        .with_retry(RetryPolicy {
            max_attempts: 4,
            base_delay: std::time::Duration::from_millis(1),
            max_delay: std::time::Duration::from_millis(5),
        })
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// Requests to `method` only.
    pub fn calls_to(&self, method: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == method)
            .collect()
    }

    /// The most API requests the server was answering at once.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    /// Access tokens handed out so far (the first call gets one).
    pub fn tokens_issued(&self) -> usize {
        self.tokens_issued.load(Ordering::SeqCst)
    }
}

async fn token(State(shared): State<Shared>) -> Response {
    let n = shared.tokens_issued.fetch_add(1, Ordering::SeqCst) + 1;
    axum::Json(json!({
        "access_token": format!("xoxe.xoxp-{n}"),
        "token_type": "Bearer",
        "expires_in": 43200,
    }))
    .into_response()
}

/// Files: recorded as method `files-pri/<path>`.
async fn file(
    State(shared): State<Shared>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Response {
    api(
        State(shared),
        Path(format!("files-pri/{path}")),
        headers,
        Bytes::new(),
    )
    .await
}

/// Upload URLs: recorded as method `upload/<key>`, with the bytes as the body.
async fn upload(
    State(shared): State<Shared>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    api(State(shared), Path(format!("upload/{key}")), headers, body).await
}

async fn api(
    State(shared): State<Shared>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let recorded = Recorded {
        method,
        authorization: text(header::AUTHORIZATION),
        content_type: text(header::CONTENT_TYPE),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    shared.requests.lock().unwrap().push(recorded.clone());
    let reply = (shared.handler)(&recorded);
    let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
    if let Some(delay) = reply.delay {
        tokio::time::sleep(delay).await;
    }
    shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    let mut response = (
        StatusCode::from_u16(reply.status).unwrap(),
        [(header::CONTENT_TYPE, reply.content_type)],
        reply.body,
    )
        .into_response();
    if let Some(wait) = reply.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, wait.parse().unwrap());
    }
    response
}
