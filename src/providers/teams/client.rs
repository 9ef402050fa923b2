//! The one authenticated-request path to Microsoft Graph.
//!
//! Every request carries the account's token in the `Authorization` header only. 429 and
//! (for requests that can be repeated safely) 5xx are retried with `Retry-After` or backoff
//! (the shared `http::send_with_retry`); a 401 drops the token and retries once with a fresh
//! one (it may have expired between the check and the call), and a second 401 means the
//! person must sign in again. Graph's `{"error": {"code", "message"}}` envelope becomes an
//! error that says what to do; a 403 on channel messages names the admin consent it needs.
//! `@odata.nextLink` is followed only while it points at the configured Graph, so a token is
//! never sent to another host.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use super::config::TeamsEndpoints;
use super::models::Page;
use crate::accounts::{Account, needs_sign_in};
use crate::http::{RetryPolicy, retry_after, send_with_retry};
use crate::pacing::{Pacer, Rate};
use crate::providers::ProviderId;
use crate::tools::{ToolError, ToolErrorKind};

/// Graph's error envelope.
#[derive(serde::Deserialize, Default)]
struct Envelope {
    #[serde(default)]
    error: GraphError,
}

#[derive(serde::Deserialize, Default)]
struct GraphError {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// Graph's published limit for one app on one team's channel or one chat: 4 requests a
/// second. Keeping inside it here queues a burst (a search over many channels, a summary
/// reading 50 threads) instead of collecting 429s.
const CONVERSATION_RATE: Rate = Rate {
    interval: Duration::from_millis(250),
    burst: 4,
};

/// A client for one account. Cheap to build per call.
#[derive(Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    endpoints: TeamsEndpoints,
    account: Arc<Account>,
    retry: RetryPolicy,
    pacer: Arc<Pacer<String>>,
}

/// The pacing key of a request: its account and the chat or channel its path is under.
pub fn pace_key(account: &str, url: &Url) -> Option<String> {
    let segs: Vec<&str> = url.path_segments()?.collect();
    let at = segs.iter().position(|s| *s == "v1.0")?;
    match &segs[at + 1..] {
        ["teams", team, "channels", channel, ..] => Some(format!("{account}|{team}|{channel}")),
        ["chats", chat, ..] => Some(format!("{account}|{chat}")),
        _ => None,
    }
}

impl GraphClient {
    pub fn new(http: reqwest::Client, endpoints: TeamsEndpoints, account: Arc<Account>) -> Self {
        Self {
            http,
            endpoints,
            account,
            retry: RetryPolicy::default(),
            pacer: Arc::new(Pacer::default()),
        }
    }

    /// Shares `pacer` (the provider context's), so every call for a conversation is paced
    /// together.
    pub fn with_pacer(mut self, pacer: Arc<Pacer<String>>) -> Self {
        self.pacer = pacer;
        self
    }

    async fn pace(&self, url: &Url) {
        if let Some(key) = pace_key(&self.account.id.to_string(), url) {
            self.pacer.acquire(&key, CONVERSATION_RATE).await;
        }
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn account(&self) -> &Arc<Account> {
        &self.account
    }

    pub fn endpoints(&self) -> &TeamsEndpoints {
        &self.endpoints
    }

    /// `{graph}/v1.0/{segments…}` with `query`.
    pub fn url(&self, segments: &[&str], query: &[(&str, String)]) -> Url {
        let mut url = self.endpoints.graph(segments);
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        url
    }

    pub async fn get<T: DeserializeOwned>(&self, url: Url) -> Result<T, ToolError> {
        let bytes = self.send(Method::GET, url, None).await?;
        read(&bytes)
    }

    /// POST or PATCH `body`; the answer's JSON, or `None` for 204 No Content.
    pub async fn write<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: &Value,
    ) -> Result<Option<T>, ToolError> {
        let bytes = self.send(method, url, Some(body)).await?;
        if bytes.is_empty() {
            return Ok(None);
        }
        read(&bytes).map(Some)
    }

    /// Reads a collection page after page until `max` items, the last page, or `stop` says
    /// an item is past what is wanted (that item and the rest are left out). Returns the
    /// items and whether more were left unread.
    pub async fn collect<T: DeserializeOwned>(
        &self,
        first: Url,
        max: usize,
        mut stop: impl FnMut(&T) -> bool,
    ) -> Result<(Vec<T>, bool), ToolError> {
        let mut out = Vec::new();
        let mut next = Some(first);
        while let Some(url) = next.take() {
            let page: Page<T> = self.get(url).await?;
            for item in page.value {
                if stop(&item) {
                    return Ok((out, false));
                }
                if out.len() == max {
                    return Ok((out, true));
                }
                out.push(item);
            }
            next = match page.next_link {
                Some(link) => Some(self.next_link(&link)?),
                None => None,
            };
        }
        Ok((out, false))
    }

    /// An `@odata.nextLink`, only when it stays on the configured Graph.
    pub fn next_link(&self, link: &str) -> Result<Url, ToolError> {
        match Url::parse(link) {
            Ok(url) if self.endpoints.is_graph(&url) => Ok(url),
            _ => Err(ToolError::new(
                ToolErrorKind::Unavailable,
                "Microsoft Graph sent a next-page link to another address, so chatkey stopped there; check `graph_url` in config.toml",
            )),
        }
    }

    /// PUTs a file's bytes (a drive item's `content`); the answer is the drive item.
    pub async fn put_bytes<T: DeserializeOwned>(
        &self,
        url: Url,
        bytes: Vec<u8>,
    ) -> Result<T, ToolError> {
        let mut refreshed = false;
        loop {
            let token = self.account.access_token().await?;
            let response = send_with_retry(&self.retry, true, || {
                self.http
                    .put(url.clone())
                    .bearer_auth(token.expose_secret())
                    .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                    .body(bytes.clone())
                    .timeout(Duration::from_secs(600))
            })
            .await
            .map_err(unreachable)?;
            let status = response.status();
            let wait = retry_after(&response);
            let body = response
                .bytes()
                .await
                .map(|b| b.to_vec())
                .unwrap_or_default();
            if status.is_success() {
                return read(&body);
            }
            if status == StatusCode::UNAUTHORIZED && !refreshed {
                self.account.token_rejected(&token).await;
                refreshed = true;
                continue;
            }
            let e = serde_json::from_slice::<Envelope>(&body)
                .unwrap_or_default()
                .error;
            return Err(api_error(&Method::PUT, &url, status, &e, wait));
        }
    }

    /// A file's bytes from a Graph content URL (`/shares/…/driveItem/content`), at most
    /// `max`. Graph answers with a redirect to a short-lived pre-authenticated download URL;
    /// that one is fetched without the token, which goes to Graph only.
    pub async fn download(&self, url: Url, max: u64) -> Result<Download, ToolError> {
        let too_big = || {
            ToolError::invalid_argument(format!(
                "the file is larger than {}, more than chatkey downloads here; open it in Teams instead",
                crate::files::human_size(max)
            ))
        };
        let mut refreshed = false;
        let response = loop {
            let token = self.account.access_token().await?;
            let response = send_with_retry(&self.retry, true, || {
                self.http
                    .get(url.clone())
                    .bearer_auth(token.expose_secret())
                    .timeout(Duration::from_secs(600))
            })
            .await
            .map_err(unreachable)?;
            if response.status() == StatusCode::UNAUTHORIZED && !refreshed {
                self.account.token_rejected(&token).await;
                refreshed = true;
                continue;
            }
            break response;
        };
        let response = if response.status().is_redirection() {
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| url.join(l).ok())
                .filter(|l| l.scheme() == "https" || is_loopback(l))
                .ok_or_else(|| {
                    ToolError::new(
                        ToolErrorKind::Unavailable,
                        "Microsoft Graph sent the file's download address in a form chatkey does not follow (not https); try again",
                    )
                })?;
            // Pre-authenticated: no Authorization header goes with it.
            send_with_retry(&self.retry, true, || {
                self.http
                    .get(location.clone())
                    .timeout(Duration::from_secs(600))
            })
            .await
            .map_err(unreachable)?
        } else {
            response
        };
        let status = response.status();
        if !status.is_success() {
            let wait = retry_after(&response);
            let bytes = response.bytes().await.unwrap_or_default();
            let e = serde_json::from_slice::<Envelope>(&bytes)
                .unwrap_or_default()
                .error;
            return Err(api_error(&Method::GET, &url, status, &e, wait));
        }
        if response.content_length().is_some_and(|n| n > max) {
            return Err(too_big());
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut response = response;
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| {
            ToolError::new(
                ToolErrorKind::Unavailable,
                format!("the download was cut off ({}); try again", e.without_url()),
            )
        })? {
            if bytes.len() as u64 + chunk.len() as u64 > max {
                return Err(too_big());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Download {
            bytes,
            content_type,
        })
    }

    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<Vec<u8>, ToolError> {
        // POSTs create things; repeating one after a lost answer could post twice.
        let idempotent = method != Method::POST;
        let mut refreshed = false;
        loop {
            self.pace(&url).await;
            let token = self.account.access_token().await?;
            let response = send_with_retry(&self.retry, idempotent, || {
                let request = self
                    .http
                    .request(method.clone(), url.clone())
                    .bearer_auth(token.expose_secret());
                match body {
                    Some(b) => request.json(b),
                    None => request,
                }
            })
            .await
            .map_err(|e| {
                ToolError::new(
                    ToolErrorKind::Unavailable,
                    format!(
                        "could not reach Microsoft Graph ({e}); check the network and try again"
                    ),
                )
            })?;
            let status = response.status();
            let wait = retry_after(&response);
            let bytes = response.bytes().await.map(|b| b.to_vec()).map_err(|e| {
                ToolError::new(
                    ToolErrorKind::Unavailable,
                    format!("Microsoft Graph's answer was cut off ({e}); try again"),
                )
            })?;
            if status.is_success() {
                return Ok(bytes);
            }
            let envelope: Envelope = serde_json::from_slice(&bytes).unwrap_or_default();
            let e = envelope.error;
            if status == StatusCode::UNAUTHORIZED {
                if !refreshed {
                    tracing::debug!(
                        code = e.code,
                        "Graph refused the access token; refreshing once"
                    );
                    self.account.token_rejected(&token).await;
                    refreshed = true;
                    continue;
                }
                return Err(needs_sign_in(
                    ProviderId::Teams,
                    "Microsoft Graph refused a freshly refreshed token",
                ));
            }
            return Err(api_error(&method, &url, status, &e, wait));
        }
    }
}

/// A downloaded file.
pub struct Download {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
}

fn unreachable(e: reqwest::Error) -> ToolError {
    ToolError::new(
        ToolErrorKind::Unavailable,
        format!(
            "could not reach Microsoft Graph ({}); check the network and try again",
            e.without_url()
        ),
    )
}

fn is_loopback(url: &Url) -> bool {
    matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
}

fn read<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ToolError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ToolError::internal(format!(
            "Microsoft Graph sent an answer chatkey cannot read ({e})"
        ))
    })
}

/// Graph's message, cut to one readable line.
fn graph_says(e: &GraphError) -> String {
    let message: String = e.message.split_whitespace().collect::<Vec<_>>().join(" ");
    let message: String = message.chars().take(300).collect();
    match (e.code.is_empty(), message.is_empty()) {
        (true, true) => "no details".into(),
        (false, true) => e.code.clone(),
        (true, false) => message,
        (false, false) => format!("{}: {message}", e.code),
    }
}

fn is_channel_messages(url: &Url) -> bool {
    let path = url.path();
    path.contains("/channels/") && path.contains("/messages")
}

fn api_error(
    method: &Method,
    url: &Url,
    status: StatusCode,
    e: &GraphError,
    wait: Option<Duration>,
) -> ToolError {
    let says = graph_says(e);
    match status {
        StatusCode::FORBIDDEN if *method == Method::GET && is_channel_messages(url) => {
            ToolError::new(
                ToolErrorKind::PermissionDenied,
                format!(
                    "reading channel messages needs the permission {} with an administrator's consent, which this organisation has not given chatkey (Graph: {says}); ask your Microsoft 365 admin to grant admin consent for it to your chatkey app registration (Entra admin center → App registrations → API permissions → Grant admin consent), then try again; chats keep working meanwhile",
                    super::ADMIN_SCOPE
                ),
            )
        }
        StatusCode::FORBIDDEN => ToolError::new(
            ToolErrorKind::PermissionDenied,
            format!(
                "Microsoft Graph refused this ({says}); the signed-in account may not be allowed to do it here, or a permission is missing: run `chatkey login teams` again after adding it to `scopes` in config.toml"
            ),
        ),
        StatusCode::NOT_FOUND => ToolError::not_found(format!(
            "Microsoft Graph found nothing there ({says}); check the id with teams_list_chats, teams_list_teams or teams_list_channels"
        )),
        StatusCode::BAD_REQUEST => ToolError::invalid_argument(format!(
            "Microsoft Graph refused the request ({says}); check the arguments"
        )),
        StatusCode::TOO_MANY_REQUESTS => ToolError::new(
            ToolErrorKind::RateLimited,
            format!(
                "Microsoft Graph is throttling this account ({says}); try again in {} seconds",
                wait.map_or(30, |w| w.as_secs().max(1))
            ),
        ),
        s if s.is_server_error() => ToolError::new(
            ToolErrorKind::Unavailable,
            format!(
                "Microsoft Graph had a problem (HTTP {}, {says}); try again in a moment",
                s.as_u16()
            ),
        ),
        s => ToolError::internal(format!(
            "Microsoft Graph answered HTTP {} ({says})",
            s.as_u16()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_paced_per_chat_and_per_channel() {
        let u = |p: &str| Url::parse(&format!("https://graph.microsoft.com/v1.0/{p}")).unwrap();
        assert_eq!(
            pace_key("a", &u("teams/t/channels/c/messages/1/replies")).as_deref(),
            Some("a|t|c")
        );
        assert_eq!(
            pace_key("a", &u("chats/19:x/messages")).as_deref(),
            Some("a|19:x")
        );
        assert_eq!(pace_key("a", &u("me/chats")), None);
        assert_eq!(pace_key("a", &u("teams/t/channels")), None);
    }

    #[test]
    fn channel_reads_without_consent_name_the_permission() {
        let url =
            Url::parse("https://graph.microsoft.com/v1.0/teams/t/channels/c/messages").unwrap();
        let e = GraphError {
            code: "Forbidden".into(),
            message: "Missing scope permissions on the request.".into(),
        };
        let err = api_error(&Method::GET, &url, StatusCode::FORBIDDEN, &e, None);
        assert_eq!(err.kind, ToolErrorKind::PermissionDenied);
        assert!(
            err.message.contains("ChannelMessage.Read.All") && err.message.contains("admin"),
            "{}",
            err.message
        );
        let chat = Url::parse("https://graph.microsoft.com/v1.0/chats/c/messages").unwrap();
        let err = api_error(&Method::GET, &chat, StatusCode::FORBIDDEN, &e, None);
        assert!(
            !err.message.contains("ChannelMessage.Read.All"),
            "{}",
            err.message
        );
        let err = api_error(
            &Method::GET,
            &chat,
            StatusCode::TOO_MANY_REQUESTS,
            &e,
            Some(Duration::from_secs(7)),
        );
        assert!(err.message.contains("7 seconds"), "{}", err.message);
    }
}
