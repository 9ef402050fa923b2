//! The one authenticated-request path to Slack's Web API.
//!
//! `SlackClient::call` POSTs a method's arguments to `{api_url}/{method}` (a form, or JSON
//! where the method takes structured arguments) with the account's token in the
//! `Authorization` header, never in a URL or body. It waits for the method's pacing slot
//! (`rate`), retries 429s and, for methods that can be repeated safely, server errors (the
//! shared `http::send_with_retry`), retries once with a fresh token when Slack answers
//! `invalid_auth` or `token_expired` (the token may have died between the check and the
//! call), and reads Slack's `{"ok": false, "error": …}` envelope into an error that says what
//! to do.

use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::endpoints::SlackEndpoints;
use super::errors::{ApiError, SlackError};
use super::rate::{RateLimits, method_info};
use crate::accounts::{Account, needs_sign_in};
use crate::http::{RetryPolicy, retry_after, send_with_retry};
use crate::providers::ProviderId;
use crate::tools::{ToolError, ToolErrorKind};

/// Slack's answers to a token it will not take.
const REFRESHABLE: &[&str] = &["invalid_auth", "token_expired"];
const SIGN_IN_AGAIN: &[&str] = &[
    "not_authed",
    "token_revoked",
    "account_inactive",
    "invalid_auth",
    "token_expired",
];

/// A client for one account. Cheap to build per call: everything in it is shared.
#[derive(Clone)]
pub struct SlackClient {
    http: reqwest::Client,
    endpoints: SlackEndpoints,
    account: Arc<Account>,
    rate: Arc<RateLimits>,
    retry: RetryPolicy,
}

/// The envelope every Web API answer has.
#[derive(serde::Deserialize)]
struct Envelope {
    ok: bool,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    needed: Option<String>,
    #[serde(default)]
    provided: Option<String>,
    #[serde(default)]
    warning: Option<String>,
}

impl SlackClient {
    pub fn new(
        http: reqwest::Client,
        endpoints: SlackEndpoints,
        account: Arc<Account>,
        rate: Arc<RateLimits>,
    ) -> Self {
        Self {
            http,
            endpoints,
            account,
            rate,
            retry: RetryPolicy::default(),
        }
    }

    /// Replaces the retry policy (tests use short waits).
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn account(&self) -> &Arc<Account> {
        &self.account
    }

    pub fn endpoints(&self) -> &SlackEndpoints {
        &self.endpoints
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The key this account's caches and pacing live under.
    pub fn account_key(&self) -> String {
        self.account.id.to_string()
    }

    /// Calls `method` with `args` (any value that serialises to a JSON object; `None` fields
    /// are left out) and reads the answer as `T`.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        args: &impl Serialize,
    ) -> Result<T, SlackError> {
        let url = self
            .endpoints
            .method(method)
            .map_err(|e| SlackError::Other(ToolError::internal(e.to_string())))?;
        let args = match serde_json::to_value(args) {
            Ok(Value::Object(map)) => map,
            Ok(Value::Null) => Map::new(),
            Ok(_) | Err(_) => {
                return Err(SlackError::Other(ToolError::internal(format!(
                    "chatkey built arguments for {method} that are not an object"
                ))));
            }
        };
        let info = method_info(method);
        let channel = channel_of(&args);
        let body = Body::new(&args, info.json);
        let account_key = self.account_key();

        let mut refreshed = false;
        loop {
            self.rate
                .acquire(&account_key, method, channel.as_deref())
                .await;
            let token = self.account.access_token().await?;
            let response = send_with_retry(&self.retry, info.idempotent, || {
                body.apply(
                    self.http
                        .post(url.clone())
                        .bearer_auth(token.expose_secret()),
                )
            })
            .await
            .map_err(|e| {
                SlackError::Other(ToolError::new(
                    ToolErrorKind::Unavailable,
                    format!("could not reach Slack ({e}); check the network and try again"),
                ))
            })?;
            let status = response.status();
            let wait = retry_after(&response);
            let bytes = response.bytes().await.map_err(|e| {
                SlackError::Other(ToolError::new(
                    ToolErrorKind::Unavailable,
                    format!("Slack's answer was cut off ({e}); try again"),
                ))
            })?;
            if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
                let wait = wait.unwrap_or(Duration::from_secs(60));
                self.rate.hold(&account_key, method, wait);
                return Err(SlackError::Api(ApiError {
                    method: method.to_owned(),
                    code: "ratelimited".to_owned(),
                    channel,
                    retry_after: Some(wait),
                    ..ApiError::default()
                }));
            }
            let Ok(envelope) = serde_json::from_slice::<Envelope>(&bytes) else {
                return Err(SlackError::Other(unreadable(method, status)));
            };
            if let Some(warning) = &envelope.warning {
                tracing::debug!(method, warning, "Slack warned");
            }
            if envelope.ok {
                return serde_json::from_slice(&bytes).map_err(|e| {
                    SlackError::Other(ToolError::internal(format!(
                        "Slack sent an answer to {method} that chatkey cannot read ({e})"
                    )))
                });
            }
            let code = envelope.error.unwrap_or_else(|| "unknown_error".to_owned());
            if REFRESHABLE.contains(&code.as_str()) && !refreshed {
                tracing::debug!(method, code, "access token refused; refreshing once");
                self.account.token_rejected(&token).await;
                refreshed = true;
                continue;
            }
            if SIGN_IN_AGAIN.contains(&code.as_str()) {
                let reason = if !refreshed {
                    format!("Slack answered `{code}`")
                } else {
                    format!("Slack refused a freshly refreshed token with `{code}`")
                };
                return Err(SlackError::Other(needs_sign_in(ProviderId::Slack, &reason)));
            }
            return Err(SlackError::Api(ApiError {
                method: method.to_owned(),
                code,
                needed: envelope.needed,
                provided: envelope.provided,
                channel,
                retry_after: wait,
            }));
        }
    }
}

/// An answer that is not Slack's envelope: a proxy's error page, a 5xx, an outage.
fn unreadable(method: &str, status: reqwest::StatusCode) -> ToolError {
    if status.is_server_error() {
        ToolError::new(
            ToolErrorKind::Unavailable,
            format!("Slack is having trouble ({status}) with {method}; try again shortly"),
        )
    } else {
        ToolError::new(
            ToolErrorKind::Unavailable,
            format!(
                "Slack answered {method} with {status} and no readable result; check the network (a proxy?) and try again"
            ),
        )
    }
}

/// The conversation a call is about, for pacing and for naming it in errors.
fn channel_of(args: &Map<String, Value>) -> Option<String> {
    ["channel", "channel_id"]
        .iter()
        .find_map(|k| args.get(*k).and_then(Value::as_str))
        .map(str::to_owned)
}

/// A request body, encoded once and reused by every retry.
enum Body {
    Json(Value),
    Form(Vec<(String, String)>),
}

impl Body {
    fn new(args: &Map<String, Value>, json: bool) -> Self {
        if json {
            let object = args
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            return Body::Json(Value::Object(object));
        }
        Body::Form(form_fields(args))
    }

    fn apply(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Body::Json(value) => request.json(value),
            Body::Form(fields) => request.form(fields),
        }
    }
}

/// Form fields as Slack reads them: strings as they are, numbers and booleans as text, arrays
/// and objects as JSON text (what Slack's SDKs send for e.g. `files` of
/// files.completeUploadExternal), `null` left out.
pub fn form_fields(args: &Map<String, Value>) -> Vec<(String, String)> {
    args.iter()
        .filter_map(|(k, v)| {
            let text = match v {
                Value::Null => return None,
                Value::String(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                other => other.to_string(),
            };
            Some((k.clone(), text))
        })
        .collect()
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
