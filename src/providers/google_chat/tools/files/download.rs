//! `google_chat_download_attachment`: fetch an attachment's bytes (`media.download` with
//! `alt=media`) and save them inside the allowed directories, or return small text inline.

use std::sync::Arc;

use reqwest::Response;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::super::models::{Attachment, Message};
use super::super::super::names;
use super::super::super::not_found::{Kind, Resource};
use super::{TRANSFER_TIMEOUT, confinement, send_raw};
use crate::files::{self, MAX_INLINE_BYTES, MAX_UPLOAD_BYTES, as_text, blocking, is_binary_type};
use crate::providers::google_chat::Context;
use crate::tools::{ToolError, ToolErrorKind};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DownloadArgs {
    /// The message (`spaces/AAA/messages/BBB`) or one attachment (`spaces/AAA/messages/BBB/attachments/CCC`).
    pub message: String,
    /// Where to save: an absolute file path (or `~/…`), or an existing directory to keep the attachment's name; inside the allowed directories. Default: return small text inline.
    pub save_to: Option<String>,
    /// Which attachment of the message, counting from 0 (default 0); ignored when `message` names an attachment.
    pub attachment_index: Option<u32>,
    /// Replace an existing file at `save_to` (default false: an existing file is left unchanged and the call fails).
    pub overwrite: Option<bool>,
    /// Email of the Google account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct DownloadResult {
    pub message: String,
    pub attachment: Option<String>,
    pub file_name: String,
    pub content_type: String,
    pub bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saved_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

/// `(message name, attachment name if one was named)`.
fn parse_download_target(input: &str) -> Result<(String, Option<String>), ToolError> {
    let trimmed = input.trim();
    let parts: Vec<&str> = trimmed.split('/').collect();
    if parts.len() == 6 && parts[4] == "attachments" {
        let message = names::message(&parts[..4].join("/"))?;
        let id = parts[5];
        let ok = !id.is_empty()
            && id.len() <= 256
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
            && id != "."
            && id != "..";
        if !ok {
            return Err(ToolError::invalid_argument(format!(
                "invalid argument `message`: `{trimmed}` is not an attachment name; use the `name` of an attachment from google_chat_get_message"
            )));
        }
        return Ok((message, Some(trimmed.to_owned())));
    }
    Ok((names::message(trimmed)?, None))
}

pub async fn download_attachment(
    ctx: Arc<Context>,
    args: DownloadArgs,
) -> Result<DownloadResult, ToolError> {
    let (message_name, wanted) = parse_download_target(&args.message)?;
    let target = match &args.save_to {
        Some(save_to) => {
            let conf = confinement(&ctx)?;
            let (save_to, overwrite) = (save_to.clone(), args.overwrite.unwrap_or(false));
            Some(blocking(move || conf.prepare_write("save_to", &save_to, overwrite)).await?)
        }
        None => None,
    };
    let client = ctx.client(args.account.as_deref())?;
    let message = client.get_message(&message_name).await?;
    let attachment = pick_attachment(&message, wanted.as_deref(), args.attachment_index)?;
    let file_name = attachment
        .content_name
        .clone()
        .unwrap_or_else(|| "attachment".into());
    let content_type = attachment
        .content_type
        .clone()
        .unwrap_or_else(|| "application/octet-stream".into());
    let resource = attachment
        .attachment_data_ref
        .as_ref()
        .and_then(|r| r.resource_name.clone())
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            ToolError::invalid_argument(format!(
                "`{file_name}` is a Google Drive file, not an uploaded attachment; open it in Google Drive (chatkey downloads uploaded files only)"
            ))
        })?;
    if target.is_none() && is_binary_type(&content_type) {
        return Err(needs_save_to(&file_name, &content_type, &ctx));
    }
    // A directory destination gets the attachment's name now, so a clash is refused before
    // anything is downloaded.
    let target = match target {
        Some(t) if t.needs_name() => Some(t.with_name(&file_name)?),
        other => other,
    };
    let limit = if target.is_some() {
        MAX_UPLOAD_BYTES
    } else {
        MAX_INLINE_BYTES
    };
    let space = message_name
        .split('/')
        .take(2)
        .collect::<Vec<_>>()
        .join("/");
    ctx.quotas.read(&space).await;
    let url = client.endpoints().media(&resource);
    let about = Resource::new(
        Kind::Attachment,
        attachment.name.clone().unwrap_or_else(|| resource.clone()),
    );
    let response = send_raw(&client, &about, true, |token| {
        ctx.env
            .http
            .get(url.clone())
            .query(&[("alt", "media")])
            .bearer_auth(token)
            .timeout(TRANSFER_TIMEOUT)
    })
    .await?;
    let bytes = read_limited(response, limit).await.map_err(|e| match (e, &target) {
        (Download::CutOff(e), _) => ToolError::new(
            ToolErrorKind::Unavailable,
            format!("the download of `{file_name}` was cut off ({e}); nothing was saved; try again"),
        ),
        (Download::TooLarge(size), Some(_)) => ToolError::invalid_argument(format!(
            "`{file_name}` is larger than {} ({size}+ bytes); chatkey saves attachments up to that size",
            files::human_size(MAX_UPLOAD_BYTES)
        )),
        (Download::TooLarge(_), None) => ToolError::invalid_argument(format!(
            "`{file_name}` is larger than the {} chatkey returns inline; pass `save_to` with a path inside the allowed directories to save it",
            files::human_size(MAX_INLINE_BYTES)
        )),
    })?;
    let size = bytes.len() as u64;
    let attachment_name = attachment.name.clone();
    let Some(target) = target else {
        let content =
            as_text(bytes).ok_or_else(|| needs_save_to(&file_name, &content_type, &ctx))?;
        return Ok(DownloadResult {
            message: message_name,
            attachment: attachment_name,
            file_name,
            content_type,
            bytes: size,
            saved_to: None,
            content: Some(content),
        });
    };
    let saved = blocking(move || target.write(&bytes)).await?;
    Ok(DownloadResult {
        message: message_name,
        attachment: attachment_name,
        file_name,
        content_type,
        bytes: size,
        saved_to: Some(saved.display().to_string()),
        content: None,
    })
}

fn pick_attachment<'m>(
    message: &'m Message,
    wanted: Option<&str>,
    index: Option<u32>,
) -> Result<&'m Attachment, ToolError> {
    let list = &message.attachment;
    if let Some(wanted) = wanted {
        return list
            .iter()
            .find(|a| a.name.as_deref() == Some(wanted))
            .ok_or_else(|| {
                Resource::new(Kind::Attachment, wanted).not_found_because(&format!(
                    "{} has no attachment by that name; use an attachment `name` from google_chat_get_message",
                    message.name
                ))
            });
    }
    if list.is_empty() {
        return Err(ToolError::not_found(format!(
            "message {} has no attachments; find one with google_chat_list_messages (messages with `attachments`)",
            message.name
        )));
    }
    let i = index.unwrap_or(0) as usize;
    list.get(i).ok_or_else(|| {
        ToolError::invalid_argument(format!(
            "invalid argument `attachment_index`: `{}` has {} attachment(s); use 0 to {}",
            message.name,
            list.len(),
            list.len() - 1
        ))
    })
}

fn needs_save_to(file_name: &str, content_type: &str, ctx: &Context) -> ToolError {
    let dirs = confinement(ctx)
        .map(|c| c.describe())
        .unwrap_or_else(|e| e.message);
    ToolError::invalid_argument(format!(
        "`{file_name}` is binary ({content_type}) and cannot be returned as text; pass `save_to` with a path inside the allowed directories ({dirs})"
    ))
}

/// The body, refused as soon as it passes `limit`.
async fn read_limited(mut response: Response, limit: u64) -> Result<Vec<u8>, Download> {
    if let Some(length) = response.content_length()
        && length > limit
    {
        return Err(Download::TooLarge(length));
    }
    let mut bytes = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                bytes.extend_from_slice(&chunk);
                if bytes.len() as u64 > limit {
                    return Err(Download::TooLarge(bytes.len() as u64));
                }
            }
            Ok(None) => return Ok(bytes),
            Err(e) => return Err(Download::CutOff(e.without_url().to_string())),
        }
    }
}

enum Download {
    TooLarge(u64),
    CutOff(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_targets_parse() {
        let (m, a) = parse_download_target("spaces/A/messages/B/attachments/C").unwrap();
        assert_eq!(
            (m.as_str(), a.as_deref()),
            (
                "spaces/A/messages/B",
                Some("spaces/A/messages/B/attachments/C")
            )
        );
        assert!(parse_download_target("spaces/A/messages/B/attachments/..").is_err());
        assert!(
            parse_download_target("spaces/A/messages/B")
                .unwrap()
                .1
                .is_none()
        );
    }
}
