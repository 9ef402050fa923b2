//! Uploading a file the way Slack requires since files.upload was shut down (2025-11-12):
//! files.getUploadURLExternal (`filename`, `length`) hands out an upload URL and a file id,
//! the bytes are POSTed to that URL, and files.completeUploadExternal (`files` as
//! `[{id, title}]`, `channel_id`, optional `thread_ts` and `initial_comment`) creates the
//! file and shares it in one message.
//!
//! The two methods go through `SlackClient::call` (pacing, retries, the fresh-token retry,
//! Slack's errors). The upload URL is not a Web API method: it is pre-signed, so it gets the
//! bytes and no token, and only when it is on Slack's own hosts (the file's content must not
//! go anywhere an altered answer points). Sending the same bytes to it again is harmless, so
//! that POST is retried like a read.

use std::time::Duration;

use serde_json::json;
use url::Url;

use super::client::SlackClient;
use super::errors::SlackError;
use super::models::{CompletedUpload, UploadUrl};
use crate::http::send_with_retry;
use crate::tools::{ToolError, ToolErrorKind};

/// A 200 MB upload over a slow link takes longer than the client's default 60 s.
pub const TRANSFER_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// A file to upload and where to share it.
pub struct NewUpload<'a> {
    pub filename: &'a str,
    /// The title Slack shows (default: the file name).
    pub title: Option<&'a str>,
    pub bytes: axum::body::Bytes,
    /// The conversation to share it in (an id).
    pub channel_id: &'a str,
    /// Share it as a reply in this thread (a parent message's `ts`, checked by the caller).
    pub thread_ts: Option<&'a str>,
    /// The message text that goes with it.
    pub initial_comment: Option<&'a str>,
}

/// The file Slack created: its id and title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    pub id: String,
    pub title: String,
}

impl SlackClient {
    /// Uploads `upload.bytes` and shares the file in `upload.channel_id`; the three steps in
    /// order, stopping at the first that fails (an upload URL that is never completed expires).
    pub async fn upload_file(&self, upload: NewUpload<'_>) -> Result<Uploaded, SlackError> {
        let slot: UploadUrl = self
            .call(
                "files.getUploadURLExternal",
                &json!({"filename": upload.filename, "length": upload.bytes.len()}),
            )
            .await?;
        if slot.file_id.is_empty() {
            return Err(SlackError::Other(ToolError::internal(
                "Slack handed out an upload URL without a file id; try again",
            )));
        }
        self.send_bytes(&slot.upload_url, &upload.bytes).await?;
        let title = upload.title.unwrap_or(upload.filename);
        let done: CompletedUpload = self
            .call(
                "files.completeUploadExternal",
                &json!({
                    "files": [{"id": slot.file_id, "title": title}],
                    "channel_id": upload.channel_id,
                    "thread_ts": upload.thread_ts,
                    "initial_comment": upload.initial_comment,
                }),
            )
            .await?;
        let file = done.files.into_iter().find(|f| f.id == slot.file_id);
        Ok(Uploaded {
            id: slot.file_id,
            title: file
                .and_then(|f| f.title)
                .unwrap_or_else(|| title.to_owned()),
        })
    }

    /// POSTs the bytes to a pre-signed upload URL (raw, as Slack accepts), without the token.
    async fn send_bytes(
        &self,
        upload_url: &str,
        bytes: &axum::body::Bytes,
    ) -> Result<(), SlackError> {
        let url = Url::parse(upload_url)
            .ok()
            .filter(|u| self.may_send_token_to(u))
            .ok_or_else(|| {
                SlackError::Other(ToolError::new(
                    ToolErrorKind::Unavailable,
                    "Slack handed out an upload URL outside Slack, so nothing was uploaded; try again",
                ))
            })?;
        let response = send_with_retry(self.retry(), true, || {
            self.http()
                .post(url.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .timeout(TRANSFER_TIMEOUT)
                .body(bytes.clone())
        })
        .await
        .map_err(|e| {
            SlackError::Other(ToolError::new(
                ToolErrorKind::Unavailable,
                format!(
                    "could not send the file to Slack ({}); check the network and try again",
                    e.without_url()
                ),
            ))
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let body = response.text().await.unwrap_or_default();
        let said: String = body.trim().chars().take(200).collect();
        Err(SlackError::Other(ToolError::new(
            ToolErrorKind::Unavailable,
            format!(
                "Slack refused the file's bytes ({status}: {said}); nothing was shared; try again"
            ),
        )))
    }
}

#[cfg(test)]
#[path = "upload_tests.rs"]
mod tests;
