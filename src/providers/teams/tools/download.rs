//! `teams_download_attachment`: a file attached to a Teams message (a reference to the
//! sender's OneDrive or the channel's SharePoint), through Graph's shares API
//! (`/shares/u!…/driveItem/content`), saved inside the allowed directories or, when it is
//! small text, returned inline, with the same contract as the other providers' downloads.

use std::sync::Arc;

use base64::Engine as _;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::conversations::{Where, check, check_id, resolve};
use super::super::models::Attachment;
use super::messages::{ConversationView, conversation_view, fetch};
use crate::files::{self, MAX_INLINE_BYTES, MAX_UPLOAD_BYTES, as_text, blocking, is_binary_type};
use crate::providers::ProviderId;
use crate::providers::teams::Context;
use crate::tools::{Hints, ToolError, ToolSpec};

const P: Option<ProviderId> = Some(ProviderId::Teams);

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![ToolSpec::new(
        "teams_download_attachment",
        "Download a file from a Teams message",
        "Download a file attached to a Teams message (`message` in `chat` or `team`+`channel`; a channel reply also \
         needs `reply_to`). When the message has several files, `attachment` (its id or name, from the message's \
         `attachments`) says which. With `save_to` (a file path, or a directory to keep the file's name) it is saved \
         there, inside the allowed directories, never replacing an existing file unless `overwrite` is true. \
         Without `save_to`, text up to 256 KB is returned inline as `content`.",
        P,
        Hints {
            read_only: false,
            destructive: false,
            idempotent: true,
            open_world: true,
        },
        download_attachment,
    )]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DownloadArgs {
    /// A chat's id (`19:…`). Give either `chat`, or `team` and `channel`.
    pub chat: Option<String>,
    /// A team: its id or display name.
    pub team: Option<String>,
    /// A channel of `team`: its id or display name.
    pub channel: Option<String>,
    /// The message's id.
    pub message: String,
    /// For a reply in a channel: the id of the post it answers.
    pub reply_to: Option<String>,
    /// Which file, when the message has several: its id or name, from the message's `attachments`.
    pub attachment: Option<String>,
    /// Where to save: an absolute file path (or `~/…`), or an existing directory to keep the file's name; inside the allowed directories. Default: return small text inline.
    pub save_to: Option<String>,
    /// Replace an existing file at `save_to` (default false).
    pub overwrite: Option<bool>,
    /// The Microsoft account (email) to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct DownloadResult {
    pub conversation: ConversationView,
    pub message: String,
    pub attachment: String,
    pub file_name: String,
    pub content_type: String,
    pub bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saved_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

/// Graph's share id for a sharing URL: `u!` and the URL in unpadded base64url.
pub fn share_id(url: &str) -> String {
    format!(
        "u!{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(url.trim_end_matches('/'))
    )
}

fn pick<'a>(
    files: &'a [&'a Attachment],
    wanted: Option<&str>,
) -> Result<&'a Attachment, ToolError> {
    let listing = || {
        files
            .iter()
            .map(|a| format!("`{}`", a.name.as_deref().or(a.id.as_deref()).unwrap_or("?")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (wanted, files) {
        (_, []) => Err(ToolError::not_found(
            "this message has no files; teams_list_messages shows each message's `attachments`",
        )),
        (None, [only]) => Ok(only),
        (None, _) => Err(ToolError::invalid_argument(format!(
            "this message has {} files: {}; pass `attachment` with the id or name of the one you want",
            files.len(),
            listing()
        ))),
        (Some(w), _) => files
            .iter()
            .find(|a| a.id.as_deref() == Some(w))
            .or_else(|| {
                files
                    .iter()
                    .find(|a| a.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(w)))
            })
            .copied()
            .ok_or_else(|| {
                ToolError::not_found(format!(
                    "this message has no file `{w}`; its files are {}",
                    listing()
                ))
            }),
    }
}

pub async fn download_attachment(
    ctx: Arc<Context>,
    args: DownloadArgs,
) -> Result<DownloadResult, ToolError> {
    let place = Where {
        chat: args.chat.clone(),
        team: args.team.clone(),
        channel: args.channel.clone(),
    };
    check(&place)?;
    check_id("message", &args.message)?;
    if let Some(a) = &args.attachment {
        check_id("attachment", a)?;
    }
    let target = match &args.save_to {
        Some(save_to) => {
            let conf = files::confinement(&ctx.env.config().files, &ctx.env.paths.config_file())?;
            let (save_to, overwrite) = (save_to.clone(), args.overwrite.unwrap_or(false));
            Some(blocking(move || conf.prepare_write("save_to", &save_to, overwrite)).await?)
        }
        None => None,
    };
    let client = ctx.client(args.account.as_deref())?;
    let conversation = resolve(&client, &place).await?;
    let id = args.message.trim();
    let m = fetch(&client, &conversation, id, args.reply_to.as_deref()).await?;
    let refs: Vec<&Attachment> = m
        .attachments
        .iter()
        .filter(|a| a.content_type.as_deref() == Some("reference") && a.content_url.is_some())
        .collect();
    let file = pick(&refs, args.attachment.as_deref().map(str::trim))?;
    let file_name = file
        .name
        .clone()
        .or(file.id.clone())
        .unwrap_or_else(|| "attachment".into());
    let target = match target {
        Some(t) if t.needs_name() => Some(t.with_name(&file_name)?),
        other => other,
    };
    let limit = if target.is_some() {
        MAX_UPLOAD_BYTES
    } else {
        MAX_INLINE_BYTES
    };
    let content_url = file.content_url.clone().unwrap_or_default();
    let url = client.url(
        &["shares", &share_id(&content_url), "driveItem", "content"],
        &[],
    );
    let got = client.download(url, limit).await?;
    let content_type = got
        .content_type
        .clone()
        .unwrap_or_else(|| "application/octet-stream".into());
    let size = got.bytes.len() as u64;
    let needs_save_to = || {
        ToolError::invalid_argument(format!(
            "`{file_name}` is not text ({content_type}); pass `save_to` to save it inside the allowed directories"
        ))
    };
    let (saved_to, content) = match target {
        Some(target) => {
            let bytes = got.bytes;
            let saved = blocking(move || target.write(&bytes)).await?;
            (Some(saved.display().to_string()), None)
        }
        None => {
            if is_binary_type(&content_type) {
                return Err(needs_save_to());
            }
            (None, Some(as_text(got.bytes).ok_or_else(needs_save_to)?))
        }
    };
    Ok(DownloadResult {
        conversation: conversation_view(&conversation),
        message: id.to_owned(),
        attachment: file.id.clone().unwrap_or_default(),
        file_name,
        content_type,
        bytes: size,
        saved_to,
        content,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_ids_are_unpadded_base64url() {
        // Microsoft's documented example.
        assert_eq!(
            share_id(
                "https://onedrive.live.com/redir?resid=1231244193912!12&authKey=1201919!12921!1"
            ),
            "u!aHR0cHM6Ly9vbmVkcml2ZS5saXZlLmNvbS9yZWRpcj9yZXNpZD0xMjMxMjQ0MTkzOTEyITEyJmF1dGhLZXk9MTIwMTkxOSExMjkyMSEx"
        );
    }
}
