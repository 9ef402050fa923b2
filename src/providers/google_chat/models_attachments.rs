//! Attachments on the wire: the `media.upload` request (a `multipart/related` body, which
//! reqwest's form-data `multipart` cannot produce) and its answer, and a message that carries
//! an uploaded file.

use serde::{Deserialize, Serialize};

use super::models::{AttachmentDataRef, Thread};

/// `UploadAttachmentResponse`: the reference to put into the message's `attachment`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UploadAttachmentResponse {
    pub attachment_data_ref: Option<UploadedDataRef>,
}

/// `AttachmentDataRef` as the upload returns it; sent back unchanged in the message.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UploadedDataRef {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachment_upload_token: Option<String>,
}

/// The body of `spaces.messages.create` with uploaded files.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewMessageWithAttachment {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread: Option<Thread>,
    pub attachment: Vec<NewAttachment>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewAttachment {
    pub attachment_data_ref: UploadedDataRef,
}

impl From<&AttachmentDataRef> for UploadedDataRef {
    fn from(r: &AttachmentDataRef) -> Self {
        Self {
            resource_name: r.resource_name.clone(),
            attachment_upload_token: None,
        }
    }
}

/// A `multipart/related` upload body: the JSON metadata part (`{"filename": …}`) then the
/// file's bytes. Returns the body and its `Content-Type` (with the boundary).
pub fn related_body(filename: &str, content_type: &str, bytes: &[u8]) -> (Vec<u8>, String) {
    let boundary = boundary_for(bytes);
    let meta = serde_json::json!({ "filename": filename }).to_string();
    let mut body = Vec::with_capacity(bytes.len() + meta.len() + 256);
    body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
    body.extend_from_slice(b"Content-Type: application/json; charset=UTF-8\r\n\r\n");
    body.extend_from_slice(meta.as_bytes());
    body.extend_from_slice(format!("\r\n--{boundary}\r\n").as_bytes());
    body.extend_from_slice(format!("Content-Type: {content_type}\r\n\r\n").as_bytes());
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (body, format!("multipart/related; boundary={boundary}"))
}

/// A random boundary that does not occur in the file (checked, not assumed).
fn boundary_for(bytes: &[u8]) -> String {
    use rand::Rng;
    loop {
        let tag: u64 = rand::rng().random();
        let boundary = format!("chatkey_{tag:016x}");
        let needle = boundary.as_bytes();
        if !bytes.windows(needle.len()).any(|w| w == needle) {
            return boundary;
        }
    }
}

/// The content type Google records for a file, from its extension; unknown types are sent
/// as `application/octet-stream`, which Chat shows as a plain download.
pub fn content_type_for(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" | "log" | "text" | "out" | "err" => "text/plain",
        "md" | "markdown" => "text/markdown",
        "csv" => "text/csv",
        "tsv" => "text/tab-separated-values",
        "html" | "htm" => "text/html",
        "css" => "text/css",
        "xml" => "application/xml",
        "json" => "application/json",
        "yaml" | "yml" => "application/yaml",
        "toml" => "application/toml",
        "js" | "mjs" => "text/javascript",
        "py" => "text/x-python",
        "rs" => "text/x-rust",
        "sh" | "bash" => "application/x-sh",
        "go" | "java" | "c" | "h" | "cpp" | "hpp" | "ts" | "rb" | "sql" | "kt" | "swift" => {
            "text/plain"
        }
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" | "tgz" => "application/gzip",
        "tar" => "application/x-tar",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "mp4" => "video/mp4",
        "mov" => "video/quicktime",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn related_body_has_metadata_then_bytes() {
        let (body, content_type) = related_body("a.log", "text/plain", b"hello");
        let boundary = content_type.split("boundary=").nth(1).unwrap();
        let text = String::from_utf8(body).unwrap();
        assert!(text.starts_with(&format!("--{boundary}\r\n")));
        assert!(text.contains("{\"filename\":\"a.log\"}"));
        assert!(text.ends_with(&format!("\r\nhello\r\n--{boundary}--\r\n")));
        assert_eq!(content_type_for("X.PNG"), "image/png");
        assert_eq!(content_type_for("noext"), "application/octet-stream");
    }
}
