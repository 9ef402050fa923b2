//! `google_chat_share_file_content`: post a local text file's content as a code block, cut
//! at a line boundary to fit Google's 32,000-byte message limit.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::super::names;
use super::super::messages::check_text;
use super::{MAX_TEXT_BYTES, confinement, thread_of};
use crate::files::code_block::{self, CodeBlock, Count, Rules};
use crate::files::{MAX_SHARE_BYTES, as_text, blocking, file_name};
use crate::providers::google_chat::Context;
use crate::tools::ToolError;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareArgs {
    /// The space: `spaces/AAA` or just `AAA`.
    pub space: String,
    /// Absolute path of a local text file (or `~/…`), inside the allowed directories; up to 1 MB is read.
    pub path: String,
    /// Post in this existing thread (`spaces/AAA/threads/CCC` or the thread id); default a new thread.
    pub thread: Option<String>,
    /// Language tag for the code block (`python`, `rust`, `log`…); default guessed from the file extension.
    pub language: Option<String>,
    /// Email of the Google account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ShareResult {
    pub name: String,
    pub space: String,
    pub thread: Option<String>,
    pub create_time: Option<String>,
    pub file: String,
    pub file_name: String,
    pub language: String,
    pub truncated: bool,
    pub bytes_total: u64,
    pub bytes_posted: u64,
    pub lines_total: usize,
    pub lines_posted: usize,
}

pub async fn share_file_content(
    ctx: Arc<Context>,
    args: ShareArgs,
) -> Result<ShareResult, ToolError> {
    let space = names::space(&args.space)?;
    let thread = thread_of(&space, args.thread.as_deref())?;
    if let Some(lang) = &args.language {
        let ok = lang.len() <= 30
            && lang.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'+' | b'#' | b'-' | b'_' | b'.')
            });
        if !ok {
            return Err(ToolError::invalid_argument(
                "invalid argument `language`: use a short tag like `python` or `log` (letters, digits, + # - _ .)",
            ));
        }
    }
    let conf = confinement(&ctx)?;
    let input = args.path.clone();
    let (path, bytes) = blocking(move || {
        let opened = conf.open_read("path", &input, MAX_SHARE_BYTES, "sharing a file's content")?;
        let path = opened.path.clone();
        Ok((
            path,
            opened.read_all(MAX_SHARE_BYTES, "sharing a file's content")?,
        ))
    })
    .await?;
    let name = file_name(&path);
    let total = bytes.len() as u64;
    let content = as_text(bytes).ok_or_else(|| {
        ToolError::invalid_argument(format!(
            "`{}` is not a text file (it is not UTF-8 text); share it with google_chat_upload_attachment instead",
            args.path.trim()
        ))
    })?;
    let language = args
        .language
        .clone()
        .unwrap_or_else(|| language_for(&name).to_owned());
    let post = compose(&name, &language, &content);
    check_text(&post.text)?;
    let client = ctx.client(args.account.as_deref())?;
    let message = client.post_message(&space, post.text, thread).await?;
    Ok(ShareResult {
        name: message.name,
        space,
        thread: message.thread.and_then(|t| t.name),
        create_time: message.create_time,
        file: path.display().to_string(),
        file_name: name,
        language,
        truncated: post.truncated,
        bytes_total: total,
        bytes_posted: post.bytes_posted,
        lines_total: content.lines().count(),
        lines_posted: post.lines_posted,
    })
}

/// A code-block tag from the extension; empty (a plain block) when unknown.
fn language_for(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "py" => "python",
        "rs" => "rust",
        "js" | "mjs" => "javascript",
        "ts" => "typescript",
        "sh" | "bash" => "bash",
        "go" => "go",
        "java" => "java",
        "c" | "h" => "c",
        "cpp" | "hpp" | "cc" => "cpp",
        "rb" => "ruby",
        "sql" => "sql",
        "json" => "json",
        "yaml" | "yml" => "yaml",
        "toml" => "toml",
        "xml" | "html" => "html",
        "md" => "markdown",
        "log" => "log",
        _ => "",
    }
}

/// Google Chat's code blocks: 32,000 bytes a message, content shown as it is.
const RULES: Rules = Rules {
    max: MAX_TEXT_BYTES,
    count: Count::Bytes,
    escape: code_block::no_escape,
};

/// "`name`" then the content in a code block, cut at a line boundary to fit one message.
fn compose(name: &str, language: &str, content: &str) -> CodeBlock {
    code_block::compose(&format!("`{name}`\n```{language}\n"), content, &RULES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_fits_and_reports_truncation() {
        let small = compose("a.py", "python", "print(1)\n");
        assert_eq!(small.text, "`a.py`\n```python\nprint(1)\n```");
        assert!(!small.truncated);
        let big: String = (0..5000).map(|i| format!("line {i} ```\n")).collect();
        let post = compose("big.log", "log", &big);
        assert!(post.truncated);
        assert!(post.text.len() <= MAX_TEXT_BYTES, "{}", post.text.len());
        assert!(post.text.ends_with(" bytes)_"));
        assert_eq!(post.text.matches("```").count(), 2);
        let huge_line = "é".repeat(40_000);
        let post = compose("one.txt", "", &huge_line);
        assert!(post.truncated && post.text.len() <= MAX_TEXT_BYTES);
        assert_eq!(post.lines_posted, 1);
    }
}
