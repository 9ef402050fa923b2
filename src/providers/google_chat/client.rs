//! The Google Chat and People REST client used by the tools.
//!
//! It adds the account's bearer token, retries rate limits and server errors (see `http`),
//! retries once with a fresh token when Google answers 401 (the token may have expired
//! between the check and the call, or been revoked and re-issued), and turns Google's error
//! envelope into a `ToolError` that tells the assistant what to do.

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use super::endpoints::GoogleEndpoints;
use super::models::*;
use super::not_found::{Kind, Resource};
use super::quota::SpaceQuotas;
use crate::accounts::{Account, needs_sign_in};
use crate::http::{RetryPolicy, send_with_retry};
use crate::providers::ProviderId;
use crate::tools::{ToolError, ToolErrorKind};

/// How many pages `list_spaces` follows before giving up; a person in more than 50,000
/// spaces is not a case to stall a tool call on.
const MAX_SPACE_PAGES: usize = 50;

#[derive(Clone)]
pub struct ChatClient {
    http: reqwest::Client,
    endpoints: GoogleEndpoints,
    account: Arc<Account>,
    retry: RetryPolicy,
    quotas: Arc<SpaceQuotas>,
}

impl ChatClient {
    pub fn new(
        http: reqwest::Client,
        endpoints: GoogleEndpoints,
        account: Arc<Account>,
        quotas: Arc<SpaceQuotas>,
    ) -> Self {
        Self {
            http,
            endpoints,
            account,
            retry: RetryPolicy::default(),
            quotas,
        }
    }

    /// Fails early, naming the permission, when the sign-in did not grant `scope` (the
    /// part after `https://www.googleapis.com/auth/`), instead of a vague 403 from Google.
    pub fn require_scope(&self, scope: &str) -> Result<(), ToolError> {
        let granted = &self.account.record().scopes;
        let full = format!("https://www.googleapis.com/auth/{scope}");
        if granted.is_empty() || granted.iter().any(|s| s == &full || s == scope) {
            return Ok(());
        }
        Err(ToolError::new(
            ToolErrorKind::PermissionDenied,
            format!(
                "this needs the Google permission `{scope}`, which this sign-in did not grant: run `chatkey login google-chat` and allow every requested access"
            ),
        ))
    }

    pub fn endpoints(&self) -> &GoogleEndpoints {
        &self.endpoints
    }

    pub fn account(&self) -> &Arc<Account> {
        &self.account
    }

    /// One request with auth, retries and error mapping; `None` body for GET/DELETE. A 404
    /// names the resource the URL is about.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        query: &[(&str, String)],
        body: Option<&Value>,
        idempotent: bool,
    ) -> Result<T, ToolError> {
        let about = Resource::of_url(&url);
        self.call_about(method, url, query, body, idempotent, about.as_ref())
            .await
    }

    /// `call`, naming `about` in a 404 (for a request whose URL names a broader resource
    /// than the one that can be missing, like a reply's thread inside its space's URL).
    pub async fn call_about<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        query: &[(&str, String)],
        body: Option<&Value>,
        idempotent: bool,
        about: Option<&Resource>,
    ) -> Result<T, ToolError> {
        if let Some(space) = super::quota::space_of(url.path()) {
            if method == Method::GET {
                self.quotas.read(&space).await;
            } else {
                self.quotas.write(&space).await;
            }
        }
        for attempt in 0..2 {
            let token = self.account.access_token().await?;
            let response = send_with_retry(&self.retry, idempotent, || {
                let mut request = self
                    .http
                    .request(method.clone(), url.clone())
                    .query(query)
                    .bearer_auth(token.expose_secret());
                if let Some(body) = body {
                    request = request.json(body);
                }
                request
            })
            .await
            .map_err(|e| {
                ToolError::new(
                    ToolErrorKind::Unavailable,
                    format!("could not reach Google ({e}); check the network and try again"),
                )
            })?;
            let status = response.status();
            let bytes = response.bytes().await.map_err(|e| {
                ToolError::new(
                    ToolErrorKind::Unavailable,
                    format!("Google's answer was cut off ({e}); try again"),
                )
            })?;
            if status == StatusCode::UNAUTHORIZED && attempt == 0 {
                tracing::debug!("access token refused; refreshing once");
                self.account.token_rejected(&token).await;
                continue;
            }
            if !status.is_success() {
                let mut error = map_error(status, &bytes, about);
                if error.kind == ToolErrorKind::NotFound && method != Method::GET {
                    error.message.push_str("; nothing was changed");
                }
                return Err(error);
            }
            let body: &[u8] = if bytes.is_empty() { b"{}" } else { &bytes };
            return serde_json::from_slice(body).map_err(|e| {
                ToolError::internal(format!("Google sent an answer chatkey cannot read ({e})"))
            });
        }
        Err(needs_sign_in(
            ProviderId::GoogleChat,
            "Google refused a freshly refreshed token",
        ))
    }

    pub async fn get<T: DeserializeOwned>(
        &self,
        url: Url,
        query: &[(&str, String)],
    ) -> Result<T, ToolError> {
        self.call(Method::GET, url, query, None, true).await
    }

    pub async fn list_spaces_page(
        &self,
        filter: Option<&str>,
        page_token: Option<&str>,
    ) -> Result<ListSpacesResponse, ToolError> {
        let mut query = vec![("pageSize", "1000".to_owned())];
        if let Some(filter) = filter {
            query.push(("filter", filter.to_owned()));
        }
        if let Some(token) = page_token {
            query.push(("pageToken", token.to_owned()));
        }
        self.get(self.endpoints.spaces(), &query).await
    }

    /// Every space the person is a member of, following all pages.
    pub async fn list_all_spaces(&self, filter: Option<&str>) -> Result<Vec<Space>, ToolError> {
        let mut spaces = Vec::new();
        let mut page_token: Option<String> = None;
        for _ in 0..MAX_SPACE_PAGES {
            let page = self.list_spaces_page(filter, page_token.as_deref()).await?;
            spaces.extend(page.spaces);
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(token) => page_token = Some(token),
                None => return Ok(spaces),
            }
        }
        Ok(spaces)
    }

    pub async fn get_space(&self, name: &str) -> Result<Space, ToolError> {
        self.get(self.endpoints.chat_resource(name), &[]).await
    }

    pub async fn list_messages(
        &self,
        space: &str,
        filter: Option<&str>,
        order_by: &str,
        page_size: u32,
        page_token: Option<&str>,
    ) -> Result<ListMessagesResponse, ToolError> {
        let mut query = vec![
            ("pageSize", page_size.to_string()),
            ("orderBy", order_by.to_owned()),
        ];
        if let Some(filter) = filter {
            query.push(("filter", filter.to_owned()));
        }
        if let Some(token) = page_token {
            query.push(("pageToken", token.to_owned()));
        }
        self.get(self.endpoints.chat_collection(space, "messages"), &query)
            .await
    }

    pub async fn get_message(&self, name: &str) -> Result<Message, ToolError> {
        self.get(self.endpoints.chat_resource(name), &[]).await
    }

    /// Posts `text` to `space`; with `thread`, as a reply that fails rather than silently
    /// starting a new thread when the thread is gone (`REPLY_MESSAGE_OR_FAIL`). A fresh
    /// `requestId` makes the call idempotent: Google returns the message already created with
    /// that id instead of posting twice, so the retries in `call` are safe.
    pub async fn post_message(
        &self,
        space: &str,
        text: String,
        thread: Option<String>,
    ) -> Result<Message, ToolError> {
        let mut query = vec![("requestId", request_id())];
        if thread.is_some() {
            query.push(("messageReplyOption", "REPLY_MESSAGE_OR_FAIL".to_owned()));
        }
        // Replying, the thread is what goes missing: a space that is gone names itself
        // in the thread's name.
        let about = Resource::new(
            thread.as_ref().map_or(Kind::Space, |_| Kind::Thread),
            thread.clone().unwrap_or_else(|| space.to_owned()),
        );
        let body = to_value(&NewMessage {
            text,
            thread: thread.map(|name| Thread {
                name: Some(name),
                thread_key: None,
            }),
        })?;
        self.call_about(
            Method::POST,
            self.endpoints.chat_collection(space, "messages"),
            &query,
            Some(&body),
            true,
            Some(&about),
        )
        .await
    }

    /// `people:batchGet` for up to 200 `people/…` names.
    pub async fn batch_get_people(
        &self,
        resource_names: &[String],
    ) -> Result<BatchGetPeopleResponse, ToolError> {
        let mut query: Vec<(&str, String)> = resource_names
            .iter()
            .map(|n| ("resourceNames", n.clone()))
            .collect();
        query.push(("personFields", "names,emailAddresses".to_owned()));
        self.get(self.endpoints.people_batch_get(), &query).await
    }
}

/// A fresh `requestId` (128 random bits, hex).
pub fn request_id() -> String {
    use rand::Rng;
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn to_value<T: Serialize>(value: &T) -> Result<Value, ToolError> {
    serde_json::to_value(value)
        .map_err(|e| ToolError::internal(format!("failed to encode the request: {e}")))
}

/// Google's error envelope → what the assistant should do about it; a 404 names `about`,
/// the resource the request was for.
pub fn map_error(status: StatusCode, body: &[u8], about: Option<&Resource>) -> ToolError {
    let envelope: ErrorEnvelope = serde_json::from_slice(body).unwrap_or_default();
    let error = envelope.error;
    let message = if error.message.is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        error.message.trim_end_matches('.').to_owned()
    };
    match status {
        StatusCode::BAD_REQUEST => {
            ToolError::invalid_argument(format!("Google Chat rejected the request: {message}"))
        }
        StatusCode::UNAUTHORIZED => needs_sign_in(ProviderId::GoogleChat, &message),
        StatusCode::FORBIDDEN if error.reason() == Some("ACCESS_TOKEN_SCOPE_INSUFFICIENT") => {
            ToolError::new(
                ToolErrorKind::PermissionDenied,
                "this needs a Google permission the sign-in did not grant: run `chatkey login google-chat` and allow every requested access",
            )
        }
        StatusCode::FORBIDDEN => ToolError::new(
            ToolErrorKind::PermissionDenied,
            format!("Google Chat refused: {message} (are you a member of that space?)"),
        ),
        StatusCode::NOT_FOUND => match about {
            Some(resource) => resource.not_found(),
            None => ToolError::not_found(format!(
                "not found: {message}; check the name with google_chat_list_spaces or google_chat_list_messages"
            )),
        },
        StatusCode::TOO_MANY_REQUESTS => ToolError::new(
            ToolErrorKind::RateLimited,
            "Google Chat's rate limit is still exceeded after retrying: wait a minute, then try again with fewer requests",
        ),
        s if s.is_server_error() => ToolError::new(
            ToolErrorKind::Unavailable,
            format!("Google Chat is having trouble ({s}: {message}); try again shortly"),
        ),
        s => ToolError::internal(format!("Google Chat answered {s}: {message}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_google_errors_to_actions() {
        let body = br#"{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND"}}"#;
        let space = Resource::new(Kind::Space, "spaces/NOPE");
        let e = map_error(StatusCode::NOT_FOUND, body, Some(&space));
        assert_eq!(e.kind, ToolErrorKind::NotFound);
        assert!(
            e.message.starts_with("space spaces/NOPE was not found;"),
            "{}",
            e.message
        );
        let e = map_error(StatusCode::NOT_FOUND, body, None);
        assert!(
            e.message.contains("Requested entity was not found;"),
            "{}",
            e.message
        );

        let body = br#"{"error":{"code":403,"message":"Request had insufficient authentication scopes.","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"ACCESS_TOKEN_SCOPE_INSUFFICIENT"}]}}"#;
        let e = map_error(StatusCode::FORBIDDEN, body, None);
        assert_eq!(e.kind, ToolErrorKind::PermissionDenied);
        assert!(e.message.contains("chatkey login google-chat"));

        let e = map_error(StatusCode::BAD_GATEWAY, b"<html>", None);
        assert_eq!(e.kind, ToolErrorKind::Unavailable);
    }
}
