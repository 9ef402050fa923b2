//! Attachments: `media.upload` (multipart), `media.download` (`alt=media`) and
//! `spaces.messages.attachments.get`.
//!
//! Google's upload protocol is `multipart/related`: a JSON metadata part
//! (`{"filename": …}`, the `UploadAttachmentRequest`) followed by the file bytes with their own
//! `Content-Type`. A simple `uploadType=media` upload has nowhere to put the required filename,
//! so it is refused. `attachments.get` is app-only in the discovery document (`chat.bot`), so a
//! user's token gets 403 before reaching it, as with Google.

use serde_json::{Value, json};

use super::chat::member_space;
use super::errors::ApiError;
use super::render::attachment_json;
use super::server::{ApiResult, Call, Reply};
use super::state::{Media, random_id};

/// One part of a multipart body.
#[derive(Debug, PartialEq)]
pub struct Part {
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| &hay[i..i + needle.len()] == needle)
}

/// Splits a `multipart/*` body on `boundary`.
pub fn parse_multipart(body: &[u8], boundary: &str) -> Option<Vec<Part>> {
    let delim = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut pos = find(body, delim.as_bytes(), 0)? + delim.len();
    loop {
        if body[pos..].starts_with(b"--") {
            return Some(parts);
        }
        let start = pos
            + if body[pos..].starts_with(b"\r\n") {
                2
            } else {
                1
            };
        let head_end = find(body, b"\r\n\r\n", start)?;
        let headers = String::from_utf8_lossy(&body[start..head_end]).into_owned();
        let next = find(body, format!("\r\n{delim}").as_bytes(), head_end + 4)?;
        let content_type = headers.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("content-type")
                .then(|| v.trim().to_string())
        });
        parts.push(Part {
            content_type,
            body: body[head_end + 4..next].to_vec(),
        });
        pos = next + 2 + delim.len();
    }
}

fn boundary_of(content_type: &str) -> Option<String> {
    content_type.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.eq_ignore_ascii_case("boundary")
            .then(|| v.trim_matches('"').to_string())
    })
}

pub fn upload(call: &Call) -> ApiResult {
    let content_type = call
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match call.q("uploadType") {
        Some("multipart") => {}
        Some("media") | Some("resumable") | Some("raw") => {
            return Err(ApiError::invalid(
                "Chat attachment uploads need a filename: use uploadType=multipart with a JSON metadata part.",
            ));
        }
        _ => {
            return Err(ApiError::invalid(
                "Upload requests must include an uploadType URL parameter and a URL path beginning with /upload/",
            ));
        }
    }
    if !content_type
        .to_ascii_lowercase()
        .starts_with("multipart/related")
    {
        return Err(ApiError::invalid(format!(
            "Invalid multipart request with Content-Type {content_type}; expected multipart/related."
        )));
    }
    let parts = boundary_of(content_type)
        .and_then(|b| parse_multipart(&call.body, &b))
        .filter(|p| p.len() == 2)
        .ok_or_else(|| {
            ApiError::invalid(
                "Invalid multipart request: expected a metadata part and a media part.",
            )
        })?;
    let meta: Value = serde_json::from_slice(&parts[0].body)
        .map_err(|e| ApiError::bad_json(&format!("Syntax error: {e}")))?;
    let filename = meta
        .get("filename")
        .and_then(Value::as_str)
        .filter(|f| !f.is_empty())
        .ok_or_else(|| ApiError::invalid("filename is required."))?;
    let space = call.cap("spacesId").to_string();
    let media_type = parts[1]
        .content_type
        .clone()
        .unwrap_or_else(|| "application/octet-stream".into());
    let mut st = call.emu.lock();
    member_space(&st.chat, call, &space)?;
    let key = format!("{}{}", random_id(40), random_id(40));
    st.chat.media.insert(
        key.clone(),
        Media {
            space,
            filename: filename.to_string(),
            content_type: media_type,
            bytes: parts[1].body.clone(),
        },
    );
    Ok(Reply::Json(json!({
        "attachmentDataRef": { "resourceName": key, "attachmentUploadToken": random_id(60) }
    })))
}

pub fn download(call: &Call) -> ApiResult {
    let name = call.cap("resourceName");
    let st = call.emu.lock();
    let media = st.chat.media.get(name).ok_or_else(ApiError::not_found)?;
    member_space(&st.chat, call, &media.space.clone())?;
    if call.q("alt") != Some("media") {
        return Ok(Reply::Json(json!({ "resourceName": name })));
    }
    Ok(Reply::Media {
        content_type: media.content_type.clone(),
        filename: media.filename.clone(),
        bytes: media.bytes.clone(),
    })
}

pub fn attachment_get(call: &Call) -> ApiResult {
    let st = call.emu.lock();
    let space = call.cap("spacesId");
    member_space(&st.chat, call, space)?;
    let message = st
        .chat
        .message(space, call.cap("messagesId"))
        .ok_or_else(ApiError::not_found)?;
    let attachment = message
        .attachments
        .iter()
        .find(|a| a.id == call.cap("attachmentsId"))
        .ok_or_else(ApiError::not_found)?;
    Ok(Reply::Json(attachment_json(message, attachment)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_related_parts() {
        let body = b"--xyz\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{\"filename\":\"a.txt\"}\r\n--xyz\r\nContent-Type: text/plain\r\n\r\nhello\r\nworld\r\n--xyz--\r\n";
        let parts = parse_multipart(body, "xyz").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].body, b"{\"filename\":\"a.txt\"}");
        assert_eq!(parts[1].content_type.as_deref(), Some("text/plain"));
        assert_eq!(parts[1].body, b"hello\r\nworld");
        assert_eq!(
            boundary_of("multipart/related; boundary=\"xyz\"").unwrap(),
            "xyz"
        );
        assert!(parse_multipart(b"garbage", "xyz").is_none());
    }
}
