//! Files between this computer and Google Chat: upload a local file as an attachment,
//! download an attachment (to a file, or inline when it is small text), and post a text
//! file's content as a code block. Every local path goes through `crate::files`, which keeps
//! reads and writes inside the allowed directories and under the size limits.
//!
//! `mod.rs` declares the tools and holds the upload and the raw (non-JSON) transport;
//! `download.rs` and `share.rs` hold the other two tools.

mod download;
mod share;

pub use download::{DownloadArgs, DownloadResult, download_attachment};
pub use share::{ShareArgs, ShareResult, share_file_content};

use std::sync::Arc;

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use schemars::JsonSchema;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use super::super::client::request_id;
use super::super::client::{ChatClient, map_error, to_value};
use super::super::models::{Message, Thread};
use super::super::models_attachments::{
    NewAttachment, NewMessageWithAttachment, UploadAttachmentResponse, content_type_for,
    related_body,
};
use super::super::names;
use super::super::not_found::{Kind, Resource};
use super::messages::check_text;
use crate::files::{self, Confinement, MAX_UPLOAD_BYTES, blocking, file_name};
use crate::http::{RetryPolicy, send_with_retry};
use crate::providers::ProviderId;
use crate::providers::google_chat::Context;
use crate::tools::{Hints, ToolError, ToolErrorKind, ToolSpec};

use super::GOOGLE_CHAT as P;

/// Google's limit for a message's text.
pub(super) const MAX_TEXT_BYTES: usize = 32_000;
/// A 200 MB upload over a slow link takes longer than the client's default 60 s.
pub(super) const TRANSFER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15 * 60);

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![
        ToolSpec::new(
            "google_chat_upload_attachment",
            "Upload a file to a space",
            "Upload a local file (up to 200 MB) to a Google Chat space as an attachment, optionally with a message `text` \
             and in an existing `thread`. `path` must be inside the directories chatkey may use (by default the home \
             directory without hidden directories; `[files] allowed_dirs` in config.toml). To post a text file's \
             content readably in the message itself, use google_chat_share_file_content instead.",
            P,
            Hints::WRITE,
            upload_attachment,
        ),
        ToolSpec::new(
            "google_chat_download_attachment",
            "Download an attachment",
            "Download a file attached to a Google Chat message. `message` is the message name (`spaces/…/messages/…`; \
             its first attachment unless `attachment_index` says otherwise) or an attachment name \
             (`spaces/…/messages/…/attachments/…`) from google_chat_get_message or google_chat_list_messages. \
             With `save_to` (a file path, or a directory to keep the attachment's own name) the file is saved there, \
             inside the allowed directories, never replacing an existing file unless `overwrite` is true. \
             Without `save_to`, text up to 256 KB is returned inline as `content`; anything else needs `save_to`.",
            P,
            Hints {
                read_only: false,
                destructive: false,
                idempotent: true,
                open_world: true,
            },
            download_attachment,
        ),
        ToolSpec::new(
            "google_chat_share_file_content",
            "Post a text file's content",
            "Post the content of a local text file (a log, a script, a config) to a Google Chat space as a code block, \
             so the team can read it in the conversation. Files over Google's 32,000-byte message limit are cut at a \
             line boundary and the result says `truncated: true` with how much was posted; binary files are refused \
             (use google_chat_upload_attachment for those, or to share the whole file). `path` must be inside the \
             allowed directories (up to 1 MB is read).",
            P,
            Hints::WRITE,
            share_file_content,
        ),
    ]
}

/// The confinement the current config describes, re-read on every call.
pub fn confinement(ctx: &Context) -> Result<Confinement, ToolError> {
    files::confinement(&ctx.config().files, &ctx.env.paths.config_file())
}

pub(super) fn thread_of(space: &str, thread: Option<&str>) -> Result<Option<String>, ToolError> {
    thread.map(|t| names::thread(space, t)).transpose()
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadArgs {
    /// The space: `spaces/AAA` or just `AAA`.
    pub space: String,
    /// Absolute path of the local file (or `~/…`), inside the allowed directories; at most 200 MB.
    pub path: String,
    /// Message text to post with the file (optional, up to 32,000 bytes).
    pub text: Option<String>,
    /// Post in this existing thread (`spaces/AAA/threads/CCC` or the thread id); default a new thread.
    pub thread: Option<String>,
    /// Email of the Google account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct UploadResult {
    pub name: String,
    pub space: String,
    pub thread: Option<String>,
    pub create_time: Option<String>,
    pub text: String,
    pub file: String,
    pub file_name: String,
    pub content_type: String,
    pub bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachment: Option<String>,
}

pub async fn upload_attachment(
    ctx: Arc<Context>,
    args: UploadArgs,
) -> Result<UploadResult, ToolError> {
    let space = names::space(&args.space)?;
    let thread = thread_of(&space, args.thread.as_deref())?;
    let text = args.text.filter(|t| !t.trim().is_empty());
    if let Some(text) = &text {
        check_text(text)?;
    }
    let conf = confinement(&ctx)?;
    let input = args.path.clone();
    let (path, bytes) = blocking(move || {
        let opened = conf.open_read(
            "path",
            &input,
            MAX_UPLOAD_BYTES,
            "attachments (Google Chat's limit)",
        )?;
        let path = opened.path.clone();
        let bytes = opened.read_all(MAX_UPLOAD_BYTES, "attachments (Google Chat's limit)")?;
        Ok((path, bytes))
    })
    .await?;
    let name = file_name(&path);
    let content_type = content_type_for(&name);
    let client = ctx.client(args.account.as_deref())?;

    let (body, multipart_type) = related_body(&name, content_type, &bytes);
    let body = axum::body::Bytes::from(body);
    let url = client.endpoints().upload_attachment(&space);
    ctx.quotas.write(&space).await;
    // Repeating an upload only leaves an unreferenced copy behind, so retrying is harmless.
    let response = send_raw(
        &client,
        &Resource::new(Kind::Space, space.clone()),
        true,
        |token| {
            ctx.env
                .http
                .post(url.clone())
                .query(&[("uploadType", "multipart")])
                .bearer_auth(token)
                .header(reqwest::header::CONTENT_TYPE, &multipart_type)
                .timeout(TRANSFER_TIMEOUT)
                .body(body.clone())
        },
    )
    .await?;
    let uploaded: UploadAttachmentResponse = read_json(response).await?;
    let data_ref = uploaded.attachment_data_ref.ok_or_else(|| {
        ToolError::internal(
            "Google accepted the upload but returned no attachment reference; try again",
        )
    })?;

    let message = NewMessageWithAttachment {
        text: text.clone(),
        thread: thread.clone().map(|name| Thread {
            name: Some(name),
            thread_key: None,
        }),
        attachment: vec![NewAttachment {
            attachment_data_ref: data_ref,
        }],
    };
    let mut query = vec![("requestId", request_id())];
    if thread.is_some() {
        query.push(("messageReplyOption", "REPLY_MESSAGE_OR_FAIL".to_owned()));
    }
    let created: Message = client
        .call(
            Method::POST,
            client.endpoints().chat_collection(&space, "messages"),
            &query,
            Some(&to_value(&message)?),
            true,
        )
        .await?;
    Ok(UploadResult {
        space,
        thread: created.thread.and_then(|t| t.name),
        create_time: created.create_time,
        text: created.text.or(text).unwrap_or_default(),
        file: path.display().to_string(),
        file_name: name,
        content_type: content_type.to_owned(),
        bytes: bytes.len() as u64,
        attachment: created.attachment.first().and_then(|a| a.name.clone()),
        name: created.name,
    })
}

async fn read_json<T: serde::de::DeserializeOwned>(response: Response) -> Result<T, ToolError> {
    let bytes = response.bytes().await.map_err(|e| {
        ToolError::new(
            ToolErrorKind::Unavailable,
            format!("Google's answer was cut off ({e}); try again"),
        )
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ToolError::internal(format!("Google sent an answer chatkey cannot read ({e})"))
    })
}

/// A request whose body or answer is not JSON (uploads, media): the same bearer auth, retry
/// and one-refresh-on-401 rule as `ChatClient::call`, with Google's errors mapped the same way.
pub(super) async fn send_raw(
    client: &ChatClient,
    about: &Resource,
    idempotent: bool,
    build: impl Fn(&str) -> RequestBuilder,
) -> Result<Response, ToolError> {
    let retry = RetryPolicy::default();
    for attempt in 0..2 {
        let token = client.account().access_token().await?;
        let response = send_with_retry(&retry, idempotent, || build(token.expose_secret()))
            .await
            .map_err(|e| {
                ToolError::new(
                    ToolErrorKind::Unavailable,
                    format!(
                        "could not reach Google ({}); check the network and try again",
                        e.without_url()
                    ),
                )
            })?;
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED && attempt == 0 {
            client.account().token_rejected(&token).await;
            continue;
        }
        if !status.is_success() {
            let body = response.bytes().await.unwrap_or_default();
            return Err(map_error(status, &body, Some(about)));
        }
        return Ok(response);
    }
    Err(crate::accounts::needs_sign_in(
        ProviderId::GoogleChat,
        "Google refused a freshly refreshed token",
    ))
}
