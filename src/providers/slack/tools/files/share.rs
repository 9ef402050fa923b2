//! `slack_share_file_content`: post a local text file's content as a code block, cut at a
//! line boundary to fit Slack's 40,000-character message limit, as Google Chat's tool does.
//!
//! Slack's mrkdwn needs `&`, `<` and `>` escaped everywhere, code blocks included: unescaped,
//! a `<!channel>` in a log would notify the whole channel. Its code blocks take no language
//! tag (one would show as the block's first line), so unlike Google's tool there is no
//! `language` parameter.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::channels::check_channel;
use super::super::writes::{MAX_TEXT_CHARS, post};
use super::{confinement, target_of, thread_of};
use crate::files::code_block::{self, CodeBlock, Count, Rules};
use crate::files::{MAX_SHARE_BYTES, as_text, blocking, file_name};
use crate::providers::slack::Context;
use crate::tools::ToolError;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareArgs {
    /// The conversation: an id (`C…`, `G…`, `D…`) or a name (`#eng`, `eng`; `@Name` for a DM).
    pub channel: String,
    /// Absolute path of a local text file (or `~/…`), inside the allowed directories; up to 1 MB is read.
    pub path: String,
    /// Post into the thread of this parent message `ts`; fails if no such message exists.
    pub thread_ts: Option<String>,
    /// The Slack account to use when several are signed in: its email or workspace domain (`acme`).
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ShareResult {
    pub channel: String,
    pub ts: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_ts: Option<String>,
    pub file: String,
    pub file_name: String,
    pub truncated: bool,
    pub bytes_total: u64,
    pub bytes_posted: u64,
    pub lines_total: usize,
    pub lines_posted: usize,
}

/// Slack's messages: 40,000 characters, markup characters escaped as entities.
const RULES: Rules = Rules {
    max: MAX_TEXT_CHARS,
    count: Count::Chars,
    escape: escape_char,
};

fn escape_char(ch: char) -> Option<&'static str> {
    match ch {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        _ => None,
    }
}

/// "`name`" then the content in a code block, cut at a line boundary to fit one message.
fn compose(name: &str, content: &str) -> CodeBlock {
    let name: String = name
        .chars()
        .filter(|c| *c != '`')
        .map(|c| escape_char(c).map_or_else(|| c.to_string(), str::to_owned))
        .collect();
    code_block::compose(&format!("`{name}`\n```\n"), content, &RULES)
}

pub async fn share_file_content(
    ctx: Arc<Context>,
    args: ShareArgs,
) -> Result<ShareResult, ToolError> {
    check_channel(&args.channel)?;
    let thread_ts = thread_of(args.thread_ts.as_deref())?;
    let conf = confinement(&ctx)?;
    let input = args.path.clone();
    let purpose = "sharing a file's content";
    let (path, bytes) = blocking(move || {
        let opened = conf.open_read("path", &input, MAX_SHARE_BYTES, purpose)?;
        let path = opened.path.clone();
        Ok((path, opened.read_all(MAX_SHARE_BYTES, purpose)?))
    })
    .await?;
    let name = file_name(&path);
    let total = bytes.len() as u64;
    let content = as_text(bytes).ok_or_else(|| {
        ToolError::invalid_argument(format!(
            "`{}` is not a text file (it is not UTF-8 text); share it with slack_upload_attachment instead",
            args.path.trim()
        ))
    })?;
    let post_text = compose(&name, &content);
    let client = ctx.client(args.account.as_deref())?;
    let target = target_of(&ctx, &client, &args.channel, thread_ts.as_deref()).await?;
    let posted = post(
        &ctx,
        &client,
        &target,
        &post_text.text,
        thread_ts.as_deref(),
        false,
    )
    .await?;
    Ok(ShareResult {
        channel: posted.channel,
        ts: posted.ts,
        thread_ts: posted.thread_ts.or(thread_ts),
        file: path.display().to_string(),
        file_name: name,
        truncated: post_text.truncated,
        bytes_total: total,
        bytes_posted: post_text.bytes_posted,
        lines_total: content.lines().count(),
        lines_posted: post_text.lines_posted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped_and_the_limit_is_in_characters() {
        let post = compose("a<b>.log", "<!channel> x && y\n");
        assert_eq!(
            post.text,
            "`a&lt;b&gt;.log`\n```\n&lt;!channel&gt; x &amp;&amp; y\n```"
        );
        // 30,000 two-byte characters a line, two lines: 60,000 bytes but fewer characters
        // than bytes; only the first line fits in 40,000 characters.
        let line = "é".repeat(30_000);
        let post = compose("big.txt", &format!("{line}\n{line}\n"));
        assert!(post.truncated);
        assert_eq!(post.lines_posted, 1);
        assert!(post.text.chars().count() <= MAX_TEXT_CHARS);
        let fits = compose("ok.txt", &"é".repeat(39_000));
        assert!(
            !fits.truncated,
            "39,000 characters fit though they are 78,000 bytes"
        );
    }
}
