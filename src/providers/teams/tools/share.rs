//! `teams_share_file_content`: post a local text file's content as a code block in a chat,
//! a channel, or a channel thread, cut at a line boundary to fit Teams' message size, as
//! the other providers' tools do. Teams bodies are HTML, so the file is escaped whole: no
//! line of it can become markup. The path goes through `crate::files` (allowed
//! directories, no hidden files, no symlinks out, 1 MB read at most).

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::conversations::{Where, check, check_id};
use super::writes::{MAX_HTML, SentResult, post};
use crate::files::{self, MAX_SHARE_BYTES, as_text, blocking, file_name};
use crate::providers::ProviderId;
use crate::providers::teams::Context;
use crate::tools::{Hints, ToolError, ToolSpec};

const P: Option<ProviderId> = Some(ProviderId::Teams);

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![ToolSpec::new(
        "teams_share_file_content",
        "Share a text file's content in Teams",
        "Post a local text file's content as a code block to a chat (`chat`), a channel (`team`, `channel`) or a \
         channel thread (`message`: the post to reply to). `path` must be inside the directories chatkey may use \
         (by default the home directory without hidden directories; `[files] allowed_dirs` in config.toml); up to \
         1 MB is read, and what does not fit one message (about 28 KB) is cut at a line, saying so.",
        P,
        Hints::WRITE,
        share_file_content,
    )]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareArgs {
    /// A chat's id (`19:…`). Give either `chat`, or `team` and `channel`.
    pub chat: Option<String>,
    /// A team: its id or display name.
    pub team: Option<String>,
    /// A channel of `team`: its id or display name.
    pub channel: Option<String>,
    /// Reply in the thread of this channel post (its id) instead of starting a new post.
    pub message: Option<String>,
    /// Absolute path of a local text file (or `~/…`), inside the allowed directories.
    pub path: String,
    /// The Microsoft account (email) to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ShareResult {
    #[serde(flatten)]
    pub sent: SentResult,
    pub file: String,
    pub file_name: String,
    pub truncated: bool,
    pub bytes_total: u64,
    pub bytes_posted: u64,
    pub lines_total: usize,
    pub lines_posted: usize,
}

/// The post's HTML: the file's name, then as many whole lines as fit, escaped.
pub struct Composed {
    pub html: String,
    pub truncated: bool,
    pub bytes_posted: u64,
    pub lines_posted: usize,
}

pub fn compose(name: &str, content: &str) -> Composed {
    let head = format!(
        "<p><code>{}</code></p><pre><code>",
        html_escape::encode_text(name)
    );
    let tail = "</code></pre>";
    // Room for the note a cut post ends with.
    let budget = MAX_HTML.saturating_sub(head.len() + tail.len() + 200);
    let mut body = String::new();
    let (mut bytes, mut lines) = (0usize, 0usize);
    for line in content.split_inclusive('\n') {
        let escaped = html_escape::encode_text(line);
        if body.len() + escaped.len() > budget {
            break;
        }
        body.push_str(&escaped);
        bytes += line.len();
        lines += 1;
    }
    let truncated = bytes < content.len();
    let mut html = format!("{head}{}{tail}", body.trim_end_matches('\n'));
    if truncated {
        html.push_str(&format!(
            "<p><em>The first {lines} of {} lines ({} of {}); the rest did not fit one message.</em></p>",
            content.lines().count(),
            files::human_size(bytes as u64),
            files::human_size(content.len() as u64)
        ));
    }
    Composed {
        html,
        truncated,
        bytes_posted: bytes as u64,
        lines_posted: lines,
    }
}

pub async fn share_file_content(
    ctx: Arc<Context>,
    args: ShareArgs,
) -> Result<ShareResult, ToolError> {
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
    let conf = files::confinement(&ctx.env.config().files, &ctx.env.paths.config_file())?;
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
            "`{}` is not a text file (it is not UTF-8 text); chatkey shares text files only",
            args.path.trim()
        ))
    })?;
    let composed = compose(&name, &content);
    let sent = post(
        &ctx,
        args.account.as_deref(),
        &place,
        args.message.as_deref().map(str::trim),
        json!({"body": {"contentType": "html", "content": composed.html}}),
    )
    .await?;
    Ok(ShareResult {
        sent,
        file: path.display().to_string(),
        file_name: name,
        truncated: composed.truncated,
        bytes_total: total,
        bytes_posted: composed.bytes_posted,
        lines_total: content.lines().count(),
        lines_posted: composed.lines_posted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_escaped_and_cut_at_a_line() {
        let c = compose("a<b>.log", "<script>x</script> & y\nsecond\n");
        assert_eq!(
            c.html,
            "<p><code>a&lt;b&gt;.log</code></p><pre><code>&lt;script&gt;x&lt;/script&gt; &amp; y\nsecond</code></pre>"
        );
        assert!(!c.truncated && c.lines_posted == 2);
        let line = format!("{}\n", "<".repeat(1000));
        let big = line.repeat(40);
        let c = compose("big.txt", &big);
        assert!(c.truncated && c.html.len() <= MAX_HTML, "{}", c.html.len());
        assert_eq!(c.bytes_posted as usize, c.lines_posted * line.len());
    }
}
