//! Files: the external upload flow, files.info, private downloads, and the retired
//! files.upload.
//!
//! Uploading is three steps, as Slack has required since files.upload was shut down on
//! 2025-11-12: files.getUploadURLExternal (`filename`, `length`) hands out an upload URL and a
//! file id; the client POSTs the bytes there (raw, or `multipart/form-data` with one file
//! part; the answer is `OK - <bytes>`); files.completeUploadExternal (`files` as a JSON array
//! of `{id, title}`, optional `channel_id`, `thread_ts`, `initial_comment`) creates the file
//! and shares it as a message carrying `files`. `url_private` and `url_private_download`
//! serve the bytes only with `Authorization: Bearer` (a token with `files:read` that can see
//! the file); like Slack, anything else is redirected to the workspace sign-in page, and a
//! `token` in the URL's query is not accepted. files.upload answers `method_deprecated`.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::args::multipart_parts;
use super::conversations::visible;
use super::data::TEAM;
use super::errors::{ApiResult, SlackError};
use super::oauth;
use super::render;
use super::scopes::Family;
use super::server::{Call, bearer};
use super::state::{Emu, File, Message, State, Ts, random_upper};

/// Where minted upload URLs point (Slack's live on files.slack.com; only the URL matters).
pub const UPLOAD_PATH: &str = "/slack-upload/v1";

/// An upload URL handed out and not yet completed.
#[derive(Debug, Clone)]
pub struct PendingUpload {
    pub file_id: String,
    pub filename: String,
    pub length: u64,
    pub user: String,
    pub alt_txt: Option<String>,
    pub bytes: Option<Vec<u8>>,
}

pub fn get_upload_url(call: &mut Call) -> ApiResult {
    let filename = call.args.required("filename")?;
    let length = call
        .args
        .int("length")?
        .ok_or_else(|| SlackError::missing_field("length"))?;
    if length < 1 {
        return Err(SlackError::invalid_arguments("length must be at least 1"));
    }
    let alt_txt = call.args.text("alt_txt");
    let _ = call.args.text("snippet_type");
    let key = random_upper(40);
    let file_id = format!("F0{}", random_upper(9));
    call.st.uploads.insert(
        key.clone(),
        PendingUpload {
            file_id: file_id.clone(),
            filename,
            length: length as u64,
            user: call.user().to_string(),
            alt_txt,
            bytes: None,
        },
    );
    let mut out = Map::new();
    out.insert(
        "upload_url".into(),
        json!(format!("{}{UPLOAD_PATH}/{key}", call.base)),
    );
    out.insert("file_id".into(), json!(file_id));
    Ok(out)
}

/// `POST` to an upload URL: raw bytes or one `multipart/form-data` file part.
pub fn receive_upload(emu: &Emu, key: &str, content_type: Option<&str>, body: &[u8]) -> Response {
    let bytes = match content_type.map(|c| c.to_ascii_lowercase()) {
        Some(ct) if ct.starts_with("multipart/form-data") => {
            let original = content_type.unwrap_or("");
            let boundary = original
                .split(';')
                .find_map(|p| p.trim().strip_prefix("boundary="))
                .map(|b| b.trim_matches('"').to_string());
            let part = boundary
                .and_then(|b| multipart_parts(body, &b).ok())
                .and_then(|parts| {
                    parts
                        .into_iter()
                        .find(|p| p.filename.is_some() || p.name == "file")
                });
            match part {
                Some(p) => p.data,
                None => return (StatusCode::BAD_REQUEST, "invalid multipart body").into_response(),
            }
        }
        _ => body.to_vec(),
    };
    let mut st = emu.lock();
    let Some(upload) = st.uploads.get_mut(key) else {
        return (
            StatusCode::NOT_FOUND,
            "upload URL not found or already used",
        )
            .into_response();
    };
    let len = bytes.len();
    // The URL was minted for `length` bytes; a different size is refused so a client that
    // declares one size and sends another finds out here rather than with a corrupt file.
    if len as u64 != upload.length {
        let msg = format!(
            "expected {} bytes (the length given to files.getUploadURLExternal), got {len}",
            upload.length
        );
        return (StatusCode::BAD_REQUEST, msg).into_response();
    }
    upload.bytes = Some(bytes);
    let mut resp = (StatusCode::OK, format!("OK - {len}")).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

fn guess_type(name: &str) -> (&'static str, &'static str, &'static str) {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" => ("text/plain", "text", "Plain Text"),
        "md" => ("text/markdown", "markdown", "Markdown (raw)"),
        "csv" => ("text/csv", "csv", "CSV"),
        "json" => ("application/json", "json", "JSON"),
        "pdf" => ("application/pdf", "pdf", "PDF"),
        "png" => ("image/png", "png", "PNG"),
        "jpg" | "jpeg" => ("image/jpeg", "jpg", "JPEG"),
        "gif" => ("image/gif", "gif", "GIF"),
        "zip" => ("application/zip", "zip", "Zip"),
        _ => ("application/octet-stream", "binary", "Binary"),
    }
}

pub fn complete_upload(call: &mut Call) -> ApiResult {
    let list = call
        .args
        .json("files")
        .ok_or_else(|| SlackError::missing_field("files"))??;
    let entries = list
        .as_array()
        .filter(|a| !a.is_empty())
        .ok_or_else(|| SlackError::new("invalid_arguments"))?;
    let channel = call.args.text("channel_id").or_else(|| {
        call.args
            .text("channels")
            .and_then(|c| c.split(',').next().map(|s| s.trim().to_string()))
    });
    let conv = match &channel {
        Some(id) => {
            let conv = visible(call, id, Family::Read).map_err(|e| {
                if e.error == "missing_scope" {
                    e
                } else {
                    SlackError::new("channel_not_found")
                }
            })?;
            if !conv.is_member(call.user()) {
                return Err(SlackError::new("not_in_channel"));
            }
            Some(conv)
        }
        None => None,
    };
    let user = call.user().to_string();
    let mut made = Vec::new();
    for entry in entries {
        let id = entry["id"]
            .as_str()
            .ok_or_else(|| SlackError::new("invalid_arguments"))?;
        let key = call
            .st
            .uploads
            .iter()
            .find(|(_, u)| u.file_id == id && u.user == user && u.bytes.is_some())
            .map(|(k, _)| k.clone())
            .ok_or_else(|| SlackError::new("file_not_found"))?;
        let title = entry["title"].as_str().map(str::to_string);
        made.push((key, title));
    }
    let initial_comment = call.args.str("initial_comment").unwrap_or_default();
    let thread = call.args.text("thread_ts").and_then(|t| Ts::parse(&t));
    let mut ids = Vec::new();
    let mut answer = Vec::new();
    for (key, title) in made {
        let Some(up) = call.st.uploads.remove(&key) else {
            continue;
        };
        let (mimetype, filetype, pretty) = guess_type(&up.filename);
        let file = File {
            id: up.file_id.clone(),
            title: title.unwrap_or_else(|| up.filename.clone()),
            name: up.filename,
            mimetype: mimetype.into(),
            filetype: filetype.into(),
            pretty_type: pretty.into(),
            user: user.clone(),
            created: Ts::now().secs(),
            bytes: up.bytes.unwrap_or_default(),
            alt_txt: up.alt_txt,
            shares: Vec::new(),
        };
        answer.push(json!({ "id": file.id, "title": file.title }));
        ids.push(file.id.clone());
        call.st.ws.files.insert(file.id.clone(), file);
    }
    if let Some(conv) = conv {
        let ws = &mut call.st.ws;
        let ts = ws.next_ts(&conv.id);
        let parent = thread
            .and_then(|t| ws.message(&conv.id, t))
            .map(|m| m.thread_ts.filter(|p| *p != m.ts).unwrap_or(m.ts));
        if let Some(p) = parent.and_then(|p| ws.message_mut(&conv.id, p)) {
            p.thread_ts = Some(p.ts);
        }
        ws.insert_message(
            &conv.id,
            Message {
                ts,
                user: user.clone(),
                text: initial_comment,
                thread_ts: parent,
                broadcast: false,
                tombstone: false,
                edited: None,
                reactions: Vec::new(),
                files: ids.clone(),
                client_msg_id: None,
            },
        );
        for id in &ids {
            if let Some(f) = ws.files.get_mut(id) {
                f.shares.push((conv.id.clone(), ts));
            }
        }
    }
    let mut out = Map::new();
    out.insert("files".into(), json!(answer));
    Ok(out)
}

/// Whether `user` may see `file`: the uploader, or anyone who can see a conversation it was
/// shared to.
fn can_see(st: &State, user: &str, file: &File) -> bool {
    file.user == user
        || file
            .shares
            .iter()
            .any(|(c, _)| st.ws.conv(c).is_some_and(|c| c.visible_to(user)))
}

pub fn info(call: &mut Call) -> ApiResult {
    let id = call.args.required("file")?;
    let user = call.user().to_string();
    let file = call
        .st
        .ws
        .files
        .get(&id)
        .filter(|f| can_see(call.st, &user, f))
        .cloned()
        .ok_or_else(|| SlackError::new("file_not_found"))?;
    let mut out = Map::new();
    out.insert(
        "file".into(),
        Value::Object(render::file(&file, &call.base, true)),
    );
    out.insert("comments".into(), json!([]));
    out.insert("response_metadata".into(), json!({ "next_cursor": "" }));
    Ok(out)
}

/// files.upload was shut down on 2025-11-12; Slack answers every call this way.
pub fn upload_retired(_call: &mut Call) -> ApiResult {
    Err(SlackError::new("method_deprecated"))
}

/// `GET` of `url_private` / `url_private_download`: `file` is the `T…-F…` path segment.
pub fn download(emu: &Emu, file: &str, headers: &HeaderMap, _query: &str) -> Response {
    let sign_in = || {
        let mut resp = StatusCode::FOUND.into_response();
        let target = format!(
            "https://{}.slack.com/?redir=%2Ffiles-pri%2F{file}",
            TEAM.domain
        );
        if let Ok(v) = HeaderValue::from_str(&target) {
            resp.headers_mut().insert(header::LOCATION, v);
        }
        resp
    };
    let st = emu.lock();
    // The token counts only in the Authorization header, never from the URL.
    let Ok(caller) = oauth::authenticate(&st, bearer(headers).as_deref()) else {
        return sign_in();
    };
    if !caller.scopes.iter().any(|s| s == "files:read") {
        return sign_in();
    }
    let id = file.split_once('-').map(|(_, f)| f).unwrap_or("");
    let Some(f) = st
        .ws
        .files
        .get(id)
        .filter(|f| can_see(&st, &caller.user, f))
    else {
        return (StatusCode::NOT_FOUND, "file not found").into_response();
    };
    let mut resp = (StatusCode::OK, f.bytes.clone()).into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&f.mimetype) {
        h.insert(header::CONTENT_TYPE, v);
    }
    let disposition = format!("attachment; filename=\"{}\"", f.name.replace('"', ""));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}
