//! `slack_download_attachment`: fetch a file shared in a message (`url_private_download`,
//! with the token in the `Authorization` header only) and save it inside the allowed
//! directories, or return small text inline, as Google Chat's download does.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::super::client::SlackClient;
use super::super::super::models::{File, FileInfo};
use super::super::super::ts;
use super::super::channels::{about, check_channel};
use super::super::messages::fetch_message;
use super::super::writes::resolve;
use super::confinement;
use crate::files::{self, MAX_INLINE_BYTES, MAX_UPLOAD_BYTES, as_text, blocking, is_binary_type};
use crate::providers::slack::Context;
use crate::tools::{ToolError, ToolErrorKind};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DownloadArgs {
    /// The conversation: an id (`C…`, `G…`, `D…`) or a name (`#eng`, `eng`; `@Name` for a DM).
    pub channel: String,
    /// The `ts` of the message the file was shared in.
    pub ts: String,
    /// Which file, when the message has several: its id (`F…`) or its name, from the message's `files`.
    pub file: Option<String>,
    /// Where to save: an absolute file path (or `~/…`), or an existing directory to keep the file's name; inside the allowed directories. Default: return small text inline.
    pub save_to: Option<String>,
    /// Replace an existing file at `save_to` (default false: an existing file is left unchanged and the call fails).
    pub overwrite: Option<bool>,
    /// The Slack account to use when several are signed in: its email or workspace domain (`acme`).
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct DownloadResult {
    pub channel: String,
    pub ts: String,
    pub file_id: String,
    pub file_name: String,
    pub content_type: String,
    pub bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saved_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

pub async fn download_attachment(
    ctx: Arc<Context>,
    args: DownloadArgs,
) -> Result<DownloadResult, ToolError> {
    check_channel(&args.channel)?;
    let ts = ts::parse("ts", &args.ts)?;
    let wanted = args.file.as_deref().map(str::trim);
    if wanted.is_some_and(str::is_empty) {
        return Err(ToolError::invalid_argument(
            "invalid argument `file`: give a file's id (`F…`) or name from the message's `files`, or leave it out",
        ));
    }
    let target = match &args.save_to {
        Some(save_to) => {
            let conf = confinement(&ctx)?;
            let (save_to, overwrite) = (save_to.clone(), args.overwrite.unwrap_or(false));
            Some(blocking(move || conf.prepare_write("save_to", &save_to, overwrite)).await?)
        }
        None => None,
    };
    let client = ctx.client(args.account.as_deref())?;
    let channel = resolve(&ctx, &client, &args.channel).await?;
    let message = fetch_message(&client, &channel.id, &ts)
        .await
        .map_err(about(&channel))?
        .ok_or_else(|| {
            ToolError::not_found(format!(
                "no message with `ts` `{ts}` in {}: check it with slack_list_messages",
                channel.label()
            ))
        })?;
    let where_ = format!("the message `{ts}` in {}", channel.label());
    let file = pick_file(&message.files, wanted, &where_)?.clone();
    check_downloadable(&file)?;
    let file_name = file
        .name
        .clone()
        .or_else(|| file.title.clone())
        .unwrap_or_else(|| file.id.clone());
    let content_type = file
        .mimetype
        .clone()
        .unwrap_or_else(|| "application/octet-stream".into());
    if target.is_none() && is_binary_type(&content_type) {
        return Err(needs_save_to(&file_name, &content_type, &ctx));
    }
    // A directory destination gets the file's name now, so a clash is refused before
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
    if let Some(size) = file.size.filter(|s| *s > limit) {
        return Err(too_large(&file_name, size, target.is_some()));
    }
    let url = match download_url(&file) {
        Some(url) => url,
        None => {
            download_url(&file_info(&client, &file.id).await?).ok_or_else(|| no_url(&file_name))?
        }
    };
    // Slack's `size` was checked above; the download stops at the same limit if it was wrong.
    let downloaded = client.download(&url, limit).await?;
    let bytes = downloaded.bytes;
    let size = bytes.len() as u64;
    let (saved_to, content) = match target {
        Some(target) => {
            let saved = blocking(move || target.write(&bytes)).await?;
            (Some(saved.display().to_string()), None)
        }
        None => {
            let text =
                as_text(bytes).ok_or_else(|| needs_save_to(&file_name, &content_type, &ctx))?;
            (None, Some(text))
        }
    };
    Ok(DownloadResult {
        channel: channel.id,
        ts,
        file_id: file.id,
        file_name,
        content_type,
        bytes: size,
        saved_to,
        content,
    })
}

/// The file `wanted` names (an id, else a name or title), or the only one; when that does not
/// single one out, the error lists the files there are.
fn pick_file<'m>(
    files: &'m [File],
    wanted: Option<&str>,
    where_: &str,
) -> Result<&'m File, ToolError> {
    if files.is_empty() {
        return Err(ToolError::not_found(format!(
            "{where_} has no files; find one with slack_list_messages (messages with `files`)"
        )));
    }
    let listing = || {
        files
            .iter()
            .map(|f| match f.name.as_deref().or(f.title.as_deref()) {
                Some(name) => format!("`{name}` ({})", f.id),
                None => format!("`{}`", f.id),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(wanted) = wanted else {
        return match files {
            [only] => Ok(only),
            _ => Err(ToolError::invalid_argument(format!(
                "{where_} has {} files: {}; pass `file` with the id or name of the one you want",
                files.len(),
                listing()
            ))),
        };
    };
    if let Some(f) = files.iter().find(|f| f.id == wanted) {
        return Ok(f);
    }
    let named = |exact: bool| -> Vec<&'m File> {
        files
            .iter()
            .filter(|f| {
                [f.name.as_deref(), f.title.as_deref()]
                    .into_iter()
                    .flatten()
                    .any(|n| {
                        if exact {
                            n == wanted
                        } else {
                            n.eq_ignore_ascii_case(wanted)
                        }
                    })
            })
            .collect()
    };
    let mut found = named(true);
    if found.is_empty() {
        found = named(false);
    }
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(ToolError::not_found(format!(
            "{where_} has no file `{wanted}`; it has {}",
            listing()
        ))),
        several => Err(ToolError::invalid_argument(format!(
            "invalid argument `file`: {} files in {where_} are named `{wanted}` ({}); pass the id of the one you want",
            several.len(),
            several
                .iter()
                .map(|f| f.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Files Slack keeps the bytes of; a deleted one, one hidden by the workspace's plan, or one
/// stored elsewhere (Google Drive, Dropbox…) has nothing to download here.
fn check_downloadable(file: &File) -> Result<(), ToolError> {
    let name = file.name.as_deref().unwrap_or(&file.id);
    match file.mode.as_deref() {
        Some("tombstone") => Err(ToolError::not_found(format!(
            "`{name}` was deleted from Slack; nothing to download"
        ))),
        Some("hidden_by_limit") => Err(ToolError::new(
            ToolErrorKind::PermissionDenied,
            format!(
                "`{name}` is hidden by the workspace's plan (older than its history limit); it cannot be downloaded"
            ),
        )),
        _ if file.is_external || file.mode.as_deref() == Some("external") => {
            Err(ToolError::invalid_argument(format!(
                "`{name}` is stored outside Slack; open it from its own link{}",
                file.permalink
                    .as_deref()
                    .map(|p| format!(" ({p})"))
                    .unwrap_or_default()
            )))
        }
        _ => Ok(()),
    }
}

fn download_url(file: &File) -> Option<String> {
    file.url_private_download
        .clone()
        .or_else(|| file.url_private.clone())
        .filter(|u| !u.is_empty())
}

/// files.info, for a file whose message did not carry its download URL.
async fn file_info(client: &SlackClient, id: &str) -> Result<File, ToolError> {
    let info: FileInfo = client.call("files.info", &json!({"file": id})).await?;
    Ok(info.file)
}

fn no_url(file_name: &str) -> ToolError {
    ToolError::not_found(format!(
        "Slack gives no download link for `{file_name}`; open it in Slack instead"
    ))
}

fn too_large(file_name: &str, size: u64, saving: bool) -> ToolError {
    if saving {
        ToolError::invalid_argument(format!(
            "`{file_name}` is larger than {} ({size} bytes); chatkey saves files up to that size",
            files::human_size(MAX_UPLOAD_BYTES)
        ))
    } else {
        ToolError::invalid_argument(format!(
            "`{file_name}` is larger than the {} chatkey returns inline; pass `save_to` with a path inside the allowed directories to save it",
            files::human_size(MAX_INLINE_BYTES)
        ))
    }
}

fn needs_save_to(file_name: &str, content_type: &str, ctx: &Context) -> ToolError {
    let dirs = confinement(ctx)
        .map(|c| c.describe())
        .unwrap_or_else(|e| e.message);
    ToolError::invalid_argument(format!(
        "`{file_name}` is binary ({content_type}) and cannot be returned as text; pass `save_to` with a path inside the allowed directories ({dirs})"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(id: &str, name: &str) -> File {
        File {
            id: id.into(),
            name: Some(name.into()),
            ..File::default()
        }
    }

    #[test]
    fn the_file_is_picked_by_id_or_name_or_named_in_the_error() {
        let files = [
            file("F1", "notes.md"),
            file("F2", "Chart.png"),
            file("F3", "notes.md"),
        ];
        let at = "the message `1.2` in #eng (C1)";
        assert_eq!(pick_file(&files[..1], None, at).unwrap().id, "F1");
        let e = pick_file(&files, None, at).unwrap_err();
        assert_eq!(e.kind, ToolErrorKind::InvalidArgument);
        assert!(
            e.message
                .contains("3 files: `notes.md` (F1), `Chart.png` (F2), `notes.md` (F3)"),
            "{}",
            e.message
        );
        assert_eq!(pick_file(&files, Some("F3"), at).unwrap().id, "F3");
        assert_eq!(pick_file(&files, Some("chart.PNG"), at).unwrap().id, "F2");
        let e = pick_file(&files, Some("notes.md"), at).unwrap_err();
        assert!(e.message.contains("F1, F3"), "{}", e.message);
        let e = pick_file(&files, Some("x.txt"), at).unwrap_err();
        assert_eq!(e.kind, ToolErrorKind::NotFound);
        assert!(e.message.contains("`Chart.png` (F2)"), "{}", e.message);
        let e = pick_file(&[], None, at).unwrap_err();
        assert!(e.message.contains("has no files"), "{}", e.message);
    }

    #[test]
    fn only_files_slack_keeps_are_downloaded() {
        assert!(check_downloadable(&file("F1", "a.txt")).is_ok());
        let gone = File {
            mode: Some("tombstone".into()),
            ..file("F1", "a.txt")
        };
        assert_eq!(
            check_downloadable(&gone).unwrap_err().kind,
            ToolErrorKind::NotFound
        );
        let drive = File {
            is_external: true,
            permalink: Some("https://drive.example/x".into()),
            ..file("F2", "plan.gdoc")
        };
        let e = check_downloadable(&drive).unwrap_err();
        assert!(e.message.contains("outside Slack"), "{}", e.message);
        let url = File {
            url_private: Some("https://files.slack.com/a".into()),
            ..file("F1", "a")
        };
        assert_eq!(
            download_url(&url).as_deref(),
            Some("https://files.slack.com/a")
        );
        let both = File {
            url_private_download: Some("https://files.slack.com/a/download".into()),
            ..url
        };
        assert!(download_url(&both).unwrap().ends_with("/download"));
    }
}
