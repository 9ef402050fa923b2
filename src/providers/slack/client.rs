//! The one authenticated-request path to Slack's Web API.
//!
//! `SlackClient::call` POSTs a method's arguments to `{api_url}/{method}` (a form, or JSON
//! where the method takes structured arguments) with the account's token in the
//! `Authorization` header, never in a URL or body. It waits for the method's pacing slot
//! (`rate`), retries 429s and, for methods that can be repeated safely, server errors (the
//! shared `http::send_with_retry`), retries once with a fresh token when Slack answers
//! `invalid_auth` or `token_expired` (the token may have died between the check and the
//! call), and reads Slack's `{"ok": false, "error": …}` envelope into an error that says what
//! to do. `download` fetches files Slack keeps the same way, and only from Slack's hosts; a
//! sign-in page instead of the file gets one fresh-token retry, then an error that says why.
//! The upload flow (`upload.rs`) stands on `call` too.

use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use url::Url;

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

    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
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
            if matches!(code.as_str(), "ratelimited" | "rate_limited") {
                // Some methods say it in a 200 answer rather than a 429.
                self.rate.hold(
                    &account_key,
                    method,
                    wait.unwrap_or(Duration::from_secs(60)),
                );
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

/// A file's bytes, from `SlackClient::download`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
}

impl SlackClient {
    /// Whether the token may go to `url`: https on Slack's own hosts (`slack.com`,
    /// `slack-gov.com` and their subdomains, where `url_private` points), or the configured
    /// API host (the emulator). An external file's `url_private` points elsewhere, and the
    /// token must never follow it there.
    pub fn may_send_token_to(&self, url: &Url) -> bool {
        let api = &self.endpoints.api_url;
        if url.scheme() == api.scheme()
            && url.host_str() == api.host_str()
            && url.port_or_known_default() == api.port_or_known_default()
        {
            return true;
        }
        let host = url.host_str().unwrap_or_default();
        url.scheme() == "https"
            && ["slack.com", "slack-gov.com"]
                .iter()
                .any(|d| host == *d || host.ends_with(&format!(".{d}")))
    }

    /// Downloads a file Slack keeps (`url_private` / `url_private_download`) with the token in
    /// the `Authorization` header, refusing anything over `max_bytes`.
    pub async fn download(&self, url: &str, max_bytes: u64) -> Result<Download, SlackError> {
        let url = Url::parse(url).map_err(|_| {
            SlackError::Other(ToolError::invalid_argument(format!(
                "`{url}` is not a URL of a Slack file"
            )))
        })?;
        if !self.may_send_token_to(&url) {
            return Err(SlackError::Other(ToolError::invalid_argument(
                "that file is stored outside Slack, and chatkey sends your Slack sign-in only to Slack: open the file's own link instead",
            )));
        }
        let mut refreshed = false;
        let (mut response, status) = loop {
            let token = self.account.access_token().await?;
            let response = send_with_retry(&self.retry, true, || {
                self.http
                    .get(url.clone())
                    .bearer_auth(token.expose_secret())
                    .timeout(super::upload::TRANSFER_TIMEOUT)
            })
            .await
            .map_err(|e| {
                SlackError::Other(ToolError::new(
                    ToolErrorKind::Unavailable,
                    format!(
                        "could not reach Slack ({}); check the network and try again",
                        e.without_url()
                    ),
                ))
            })?;
            let status = response.status();
            if !is_sign_in_page(&url, &response) {
                break (response, status);
            }
            // Slack sends a token it does not take to the sign-in page rather than answering
            // 401. The token may have expired since it was checked: one fresh try, unless the
            // sign-in is known to lack the scope.
            let has_scope = self.has_scope("files:read");
            if refreshed || has_scope == Some(false) {
                return Err(SlackError::Other(sign_in_page(has_scope)));
            }
            tracing::debug!("Slack answered a download with its sign-in page; refreshing once");
            self.account.token_rejected(&token).await;
            refreshed = true;
        };
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if !status.is_success() {
            let (kind, what) = match status.as_u16() {
                404 | 410 => (ToolErrorKind::NotFound, "Slack has no such file any more"),
                401 | 403 => (
                    ToolErrorKind::PermissionDenied,
                    "Slack does not let you download that file",
                ),
                _ => (
                    ToolErrorKind::Unavailable,
                    "Slack could not serve the file; try again shortly",
                ),
            };
            return Err(SlackError::Other(ToolError::new(
                kind,
                format!("{what} ({status})"),
            )));
        }
        let too_big = || {
            SlackError::Other(ToolError::invalid_argument(format!(
                "the file is larger than the {} chatkey may download here",
                crate::files::human_size(max_bytes)
            )))
        };
        if response.content_length().is_some_and(|n| n > max_bytes) {
            return Err(too_big());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| {
            SlackError::Other(ToolError::new(
                ToolErrorKind::Unavailable,
                format!("the download from Slack was cut off ({e}); try again"),
            ))
        })? {
            if bytes.len() as u64 + chunk.len() as u64 > max_bytes {
                return Err(too_big());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Download {
            bytes,
            content_type,
        })
    }
}

impl SlackClient {
    /// Whether the sign-in was granted `scope`, when the account record knows its scopes.
    pub fn has_scope(&self, scope: &str) -> Option<bool> {
        let scopes = &self.account.record().scopes;
        (!scopes.is_empty()).then(|| scopes.iter().any(|s| s == scope))
    }
}

/// Whether a download was answered with the workspace's sign-in page (a redirect, or an HTML
/// page where a file was asked for) instead of the file.
fn is_sign_in_page(url: &Url, response: &reqwest::Response) -> bool {
    let html = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("text/html"));
    let path = url.path().to_ascii_lowercase();
    response.status().is_redirection()
        || (html && !path.ends_with(".html") && !path.ends_with(".htm"))
}

fn sign_in_page(has_scope: Option<bool>) -> ToolError {
    let message = if has_scope == Some(true) {
        "Slack answered with its sign-in page instead of the file, although this sign-in has `files:read`: the file may have been deleted or made private; check it in Slack, and if it opens there, run `chatkey login slack` again"
    } else {
        "Slack answered with its sign-in page instead of the file: the sign-in needs the `files:read` permission; add it to your Slack app's user token scopes (see `chatkey setup slack --print-manifest`) and run `chatkey login slack` again"
    };
    ToolError::new(ToolErrorKind::PermissionDenied, message)
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
