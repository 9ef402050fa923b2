//! Files between this computer and Slack: upload a local file into a conversation (or a
//! thread), download a file from a message (to a file, or inline when it is small text), and
//! post a text file's content as a code block. Every local path goes through `crate::files`,
//! which keeps reads and writes inside the allowed directories and under the size limits; the
//! tools have the same contract as Google Chat's.
//!
//! `mod.rs` declares the tools and holds the upload (Slack's three steps are in the client
//! layer, `upload.rs`); `download.rs` and `share.rs` hold the other two.

mod download;
mod share;

pub use download::{DownloadArgs, DownloadResult, download_attachment};
pub use share::{ShareArgs, ShareResult, share_file_content};

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::channels::ChannelRef;
use super::super::client::SlackClient;
use super::super::models::{File, FileInfo};
use super::super::ts;
use super::super::upload::NewUpload;
use super::channels::{about, check_channel};
use super::writes::{check_parent, check_text, resolve};
use crate::files::{self, Confinement, MAX_UPLOAD_BYTES, blocking, file_name};
use crate::providers::ProviderId;
use crate::providers::slack::Context;
use crate::tools::{Hints, ToolError, ToolSpec};

const P: Option<ProviderId> = Some(ProviderId::Slack);
/// The longest file title chatkey sends (Slack cuts titles far shorter than this anyway).
const MAX_TITLE_CHARS: usize = 250;

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![
        ToolSpec::new(
            "slack_upload_attachment",
            "Upload a file to Slack",
            "Upload a local file (up to 200 MB) to a Slack conversation, optionally with a message `text` and into an \
             existing thread (`thread_ts`, a parent message's `ts`; the call fails, uploading nothing, if no such \
             message exists). `channel` is an id (`C…`, `G…`, `D…`) or a name (`#eng`, `eng`). `path` must be inside \
             the directories chatkey may use (by default the home directory without hidden directories; \
             `[files] allowed_dirs` in config.toml). Returns the file's id and the `ts` of the message that shows it. \
             To post a text file's content readably in the message itself, use slack_share_file_content instead.",
            P,
            Hints::WRITE,
            upload_attachment,
        ),
        ToolSpec::new(
            "slack_download_attachment",
            "Download a file from a Slack message",
            "Download a file shared in the Slack message `{channel, ts}` (from slack_list_messages or \
             slack_get_message, whose `files` list each file's `id` and `name`). When the message has several files, \
             `file` (an id `F…` or a name) says which. With `save_to` (a file path, or a directory to keep the file's \
             own name) the file is saved there, inside the allowed directories, never replacing an existing file \
             unless `overwrite` is true. Without `save_to`, text up to 256 KB is returned inline as `content`; \
             anything else needs `save_to`.",
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
            "slack_share_file_content",
            "Post a text file's content to Slack",
            "Post the content of a local text file (a log, a script, a config) to a Slack conversation as a code \
             block, so the team can read it in the conversation. Files over Slack's 40,000-character message limit \
             are cut at a line boundary and the result says `truncated: true` with how much was posted; binary files \
             are refused (use slack_upload_attachment for those, or to share the whole file). `path` must be inside \
             the allowed directories (up to 1 MB is read). `thread_ts` posts it into an existing thread.",
            P,
            Hints::WRITE,
            share_file_content,
        ),
    ]
}

/// The confinement the current config describes, re-read on every call.
pub(super) fn confinement(ctx: &Context) -> Result<Confinement, ToolError> {
    files::confinement(&ctx.config().files, &ctx.env.paths.config_file())
}

/// `thread_ts` parsed, if given.
fn thread_of(thread_ts: Option<&str>) -> Result<Option<String>, ToolError> {
    thread_ts.map(|t| ts::parse("thread_ts", t)).transpose()
}

/// The conversation and, for a reply, its checked parent: everything Slack is asked before a
/// file or message is sent.
async fn target_of(
    ctx: &Context,
    client: &SlackClient,
    channel: &str,
    thread_ts: Option<&str>,
) -> Result<ChannelRef, ToolError> {
    let target = resolve(ctx, client, channel).await?;
    if let Some(parent) = thread_ts {
        check_parent(client, &target, parent).await?;
    }
    Ok(target)
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadArgs {
    /// The conversation: an id (`C…`, `G…`, `D…`) or a name (`#eng`, `eng`; `@Name` for a DM).
    pub channel: String,
    /// Absolute path of the local file (or `~/…`), inside the allowed directories; at most 200 MB.
    pub path: String,
    /// Message text to post with the file (Slack mrkdwn, optional, up to 40,000 characters).
    pub text: Option<String>,
    /// Upload into the thread of this parent message `ts`; fails if no such message exists.
    pub thread_ts: Option<String>,
    /// The title Slack shows for the file (default: its file name).
    pub title: Option<String>,
    /// The Slack account to use when several are signed in: its email or workspace domain (`acme`).
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct UploadResult {
    pub channel: String,
    /// The message that shows the file, when Slack has reported it yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ts: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_ts: Option<String>,
    pub text: String,
    /// The local file that was sent.
    pub file: String,
    pub file_id: String,
    pub file_name: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    pub bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permalink: Option<String>,
}

fn check_title(title: Option<&str>) -> Result<Option<String>, ToolError> {
    let Some(title) = title.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if title.chars().count() > MAX_TITLE_CHARS || title.chars().any(char::is_control) {
        return Err(ToolError::invalid_argument(format!(
            "invalid argument `title`: give one line of at most {MAX_TITLE_CHARS} characters"
        )));
    }
    Ok(Some(title.to_owned()))
}

pub async fn upload_attachment(
    ctx: Arc<Context>,
    args: UploadArgs,
) -> Result<UploadResult, ToolError> {
    check_channel(&args.channel)?;
    let thread_ts = thread_of(args.thread_ts.as_deref())?;
    let text = args.text.filter(|t| !t.trim().is_empty());
    if let Some(text) = &text {
        check_text("text", text)?;
    }
    let title = check_title(args.title.as_deref())?;
    let conf = confinement(&ctx)?;
    let input = args.path.clone();
    let purpose = "uploads";
    let (path, bytes) = blocking(move || {
        let opened = conf.open_read("path", &input, MAX_UPLOAD_BYTES, purpose)?;
        let path = opened.path.clone();
        Ok((path, opened.read_all(MAX_UPLOAD_BYTES, purpose)?))
    })
    .await?;
    if bytes.is_empty() {
        return Err(ToolError::invalid_argument(format!(
            "`path`: `{}` is empty, and Slack takes no empty files; nothing was sent",
            args.path.trim()
        )));
    }
    let name = file_name(&path);
    let size = bytes.len() as u64;
    let client = ctx.client(args.account.as_deref())?;
    let target = target_of(&ctx, &client, &args.channel, thread_ts.as_deref()).await?;
    let uploaded = client
        .upload_file(NewUpload {
            filename: &name,
            title: title.as_deref(),
            bytes: bytes.into(),
            channel_id: &target.id,
            thread_ts: thread_ts.as_deref(),
            initial_comment: text.as_deref(),
        })
        .await
        .map_err(about(&target))?;
    // Slack shares the file as it finishes processing it; files.info says where, when it has.
    let info = file_info(&client, &uploaded.id).await;
    let share = info.as_ref().and_then(|f| {
        f.shares
            .in_channel(&target.id)
            .max_by(|a, b| ts::cmp(&a.ts, &b.ts))
            .cloned()
    });
    Ok(UploadResult {
        channel: target.id,
        ts: share.as_ref().map(|s| s.ts.clone()),
        thread_ts: share.and_then(|s| s.thread_ts).or(thread_ts),
        text: text.unwrap_or_default(),
        file: path.display().to_string(),
        file_id: uploaded.id,
        file_name: name,
        title: uploaded.title,
        content_type: info.as_ref().and_then(|f| f.mimetype.clone()),
        bytes: size,
        permalink: info.and_then(|f| f.permalink),
    })
}

/// files.info for `id`; `None` (logged) when it fails: the upload itself went through.
async fn file_info(client: &SlackClient, id: &str) -> Option<File> {
    match client
        .call::<FileInfo>("files.info", &json!({"file": id}))
        .await
    {
        Ok(info) => Some(info.file),
        Err(e) => {
            tracing::debug!(error = %e, "files.info after an upload failed");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_one_short_line() {
        assert_eq!(check_title(None).unwrap(), None);
        assert_eq!(check_title(Some("  ")).unwrap(), None);
        assert_eq!(
            check_title(Some(" Q3 report ")).unwrap().as_deref(),
            Some("Q3 report")
        );
        assert!(check_title(Some("a\nb")).is_err());
        assert!(check_title(Some(&"x".repeat(MAX_TITLE_CHARS + 1))).is_err());
    }
}
