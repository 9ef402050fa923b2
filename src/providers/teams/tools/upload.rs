//! `teams_upload_attachment`: a local file into a chat or channel the way Teams itself does
//! it. For a chat, the file goes to the sender's OneDrive folder "Microsoft Teams Chat
//! Files" and is shared (read) with the chat's other members; for a channel, into the
//! channel's files folder (the team's SharePoint), which its members can read already. Then
//! a message carries it as a reference attachment. A file of the same name is never
//! replaced: the upload takes the next free name, as Teams does ("report (1).pdf").

use std::sync::Arc;

use reqwest::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::client::GraphClient;
use super::super::conversations::{Conversation, Where, check, check_id, resolve};
use super::super::html;
use super::super::models::ConversationMember;
use super::writes::{MAX_HTML, SentResult, post};
use crate::files::{self, MAX_UPLOAD_BYTES, blocking, file_name};
use crate::providers::ProviderId;
use crate::providers::teams::Context;
use crate::tools::{Hints, ToolError, ToolErrorKind, ToolSpec};

const P: Option<ProviderId> = Some(ProviderId::Teams);
const CHAT_FOLDER: &str = "Microsoft Teams Chat Files";

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![ToolSpec::new(
        "teams_upload_attachment",
        "Upload a file to Teams",
        "Upload a local file (up to 200 MB) to a chat (`chat`) or channel (`team`, `channel`; into a post's thread \
         with `message`) and post it, with an optional `text`. In a chat the file is stored in your OneDrive \
         (\"Microsoft Teams Chat Files\") and shared with the chat's members; in a channel, in the channel's files. \
         An existing file of the same name is never replaced. `path` must be inside the directories chatkey may use \
         (`[files] allowed_dirs` in config.toml). To post a text file's content readably, use \
         teams_share_file_content.",
        P,
        Hints::WRITE,
        upload_attachment,
    )]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadArgs {
    /// A chat's id (`19:…`). Give either `chat`, or `team` and `channel`.
    pub chat: Option<String>,
    /// A team: its id or display name.
    pub team: Option<String>,
    /// A channel of `team`: its id or display name.
    pub channel: Option<String>,
    /// Post into the thread of this channel post (its id).
    pub message: Option<String>,
    /// Absolute path of the local file (or `~/…`), inside the allowed directories.
    pub path: String,
    /// A message to go with the file.
    pub text: Option<String>,
    /// The Microsoft account (email) to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct UploadedFile {
    pub name: String,
    pub bytes: u64,
    pub web_url: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shared_with: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct UploadResult {
    #[serde(flatten)]
    pub sent: SentResult,
    pub file: UploadedFile,
    pub local_file: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ItemRef {
    id: String,
    name: Option<String>,
    web_url: Option<String>,
    e_tag: Option<String>,
    parent_reference: Option<ParentRef>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ParentRef {
    drive_id: Option<String>,
}

/// The GUID in a drive item's `eTag` (`"{GUID},1"`), which Teams uses as the attachment id.
fn guid_of(etag: &str) -> Option<String> {
    let start = etag.find('{')? + 1;
    let end = etag[start..].find('}')? + start;
    Some(etag[start..end].to_lowercase())
}

/// `report.pdf`, then `report (1).pdf`, `report (2).pdf`, …
fn candidate(name: &str, n: usize) -> String {
    if n == 0 {
        return name.to_owned();
    }
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem} ({n}).{ext}"),
        _ => format!("{name} ({n})"),
    }
}

/// The drive and the item-path prefix files go under for `c`.
async fn destination(
    client: &GraphClient,
    c: &Conversation,
) -> Result<(String, String), ToolError> {
    match c {
        Conversation::Chat { .. } => {
            let drive: ItemRef = client.get(client.url(&["me", "drive"], &[])).await?;
            Ok((drive.id, format!("root:/{CHAT_FOLDER}")))
        }
        Conversation::Channel { team, channel, .. } => {
            let folder: ItemRef = client
                .get(client.url(&["teams", team, "channels", channel, "filesFolder"], &[]))
                .await?;
            let drive = folder
                .parent_reference
                .and_then(|p| p.drive_id)
                .ok_or_else(|| {
                    ToolError::internal(
                        "Microsoft Graph named no drive for the channel's files; try again",
                    )
                })?;
            Ok((drive, format!("{}:", folder.id)))
        }
    }
}

pub async fn upload_attachment(
    ctx: Arc<Context>,
    args: UploadArgs,
) -> Result<UploadResult, ToolError> {
    let place = Where {
        chat: args.chat.clone(),
        team: args.team.clone(),
        channel: args.channel.clone(),
    };
    check(&place)?;
    if let Some(m) = &args.message {
        check_id("message", m)?;
        if args.chat.is_some() {
            return Err(ToolError::invalid_argument(
                "invalid argument `message`: chats have no threads; leave it out",
            ));
        }
    }
    let text = args.text.clone().filter(|t| !t.trim().is_empty());
    if text
        .as_deref()
        .is_some_and(|t| html::from_text(t).len() > MAX_HTML - 500)
    {
        return Err(ToolError::invalid_argument(
            "invalid argument `text`: too long for one Teams message; shorten it",
        ));
    }
    let conf = files::confinement(&ctx.env.config().files, &ctx.env.paths.config_file())?;
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
            "`path`: `{}` is empty; nothing was sent",
            args.path.trim()
        )));
    }
    let local_name = file_name(&path);
    let size = bytes.len() as u64;
    let client = ctx.client(args.account.as_deref())?;
    let conversation = resolve(&client, &place).await?;
    let (drive, prefix) = destination(&client, &conversation).await?;
    // The first free name: an existing file is never replaced.
    let mut name = None;
    for n in 0..50 {
        let try_name = candidate(&local_name, n);
        let item = format!("{prefix}/{try_name}:");
        match client
            .get::<ItemRef>(client.url(&["drives", &drive, "items", &item], &[]))
            .await
        {
            Err(e) if e.kind == ToolErrorKind::NotFound => {
                name = Some(try_name);
                break;
            }
            Err(e) => return Err(e),
            Ok(_) => continue,
        }
    }
    let name = name.ok_or_else(|| {
        ToolError::invalid_argument(format!(
            "50 files named like `{local_name}` are there already; rename the file and try again"
        ))
    })?;
    let item = format!("{prefix}/{name}:");
    let uploaded: ItemRef = client
        .put_bytes(
            client.url(&["drives", &drive, "items", &item, "content"], &[]),
            bytes,
        )
        .await?;
    let guid = uploaded
        .e_tag
        .as_deref()
        .and_then(guid_of)
        .ok_or_else(|| ToolError::internal("Microsoft Graph's answer to the upload had no eTag; the file is uploaded but not posted"))?;
    let web_url = uploaded.web_url.clone().unwrap_or_default();
    let shown = uploaded.name.clone().unwrap_or(name.clone());
    // Chat members other than the sender need the file shared with them.
    let mut shared_with = Vec::new();
    if let Conversation::Chat { id } = &conversation {
        let me = client.account().record().email.to_lowercase();
        let (members, _) = client
            .collect::<ConversationMember>(client.url(&["chats", id, "members"], &[]), 500, |_| {
                false
            })
            .await?;
        shared_with = members
            .into_iter()
            .filter_map(|m| m.email)
            .filter(|e| e.to_lowercase() != me)
            .collect();
        if !shared_with.is_empty() {
            let recipients: Vec<serde_json::Value> =
                shared_with.iter().map(|e| json!({"email": e})).collect();
            client
                .write::<serde_json::Value>(
                    Method::POST,
                    client.url(&["drives", &drive, "items", &uploaded.id, "invite"], &[]),
                    &json!({"recipients": recipients, "roles": ["read"], "requireSignIn": true, "sendInvitation": false}),
                )
                .await?;
        }
    }
    let mut content = text
        .as_deref()
        .map(|t| format!("<p>{}</p>", html::from_text(t)))
        .unwrap_or_default();
    content.push_str(&format!("<attachment id=\"{guid}\"></attachment>"));
    let payload = json!({
        "body": {"contentType": "html", "content": content},
        "attachments": [{"id": guid, "contentType": "reference", "contentUrl": web_url, "name": shown}],
    });
    let sent = post(
        &ctx,
        args.account.as_deref(),
        &place,
        args.message.as_deref().map(str::trim),
        payload,
    )
    .await?;
    Ok(UploadResult {
        sent,
        file: UploadedFile {
            name: shown,
            bytes: size,
            web_url,
            shared_with,
        },
        local_file: path.display().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_guids() {
        assert_eq!(candidate("report.pdf", 0), "report.pdf");
        assert_eq!(candidate("report.pdf", 2), "report (2).pdf");
        assert_eq!(candidate("README", 1), "README (1)");
        assert_eq!(candidate(".env", 1), ".env (1)");
        assert_eq!(
            guid_of("\"{1C4E5A1B-2D3C-4B5A-9E8F-7A6B5C4D3E2F},1\"").as_deref(),
            Some("1c4e5a1b-2d3c-4b5a-9e8f-7a6b5c4d3e2f")
        );
        assert_eq!(guid_of("nope"), None);
    }
}
