//! A text file's content as one chat message's code block, cut at a line boundary to fit the
//! service's message limit: what every provider's `share_file_content` posts. Each service
//! says how it counts its limit (bytes or characters) and which characters its markup needs
//! escaped; a "```" inside the file is broken with a zero-width space so it cannot close the
//! block early.

/// What a message limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Bytes,
    Chars,
}

impl Count {
    pub fn of(self, text: &str) -> usize {
        match self {
            Count::Bytes => text.len(),
            Count::Chars => text.chars().count(),
        }
    }
}

/// One service's rules for a message holding a code block.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// The longest message, counted as `count` says.
    pub max: usize,
    pub count: Count,
    /// What a character of the file becomes inside the block (`None`: itself).
    pub escape: fn(char) -> Option<&'static str>,
}

/// Nothing to escape (Google Chat's code blocks show their content as it is).
pub fn no_escape(_: char) -> Option<&'static str> {
    None
}

/// The message to post, and how much of the file it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeBlock {
    pub text: String,
    pub truncated: bool,
    pub bytes_posted: u64,
    pub lines_posted: usize,
}

/// `head` (which opens the block, e.g. "`name`\n```rust\n") then the content, then the
/// closing fence; when the content does not fit, the longest prefix that ends at a line break
/// and a note saying how much was posted.
pub fn compose(head: &str, content: &str, rules: &Rules) -> CodeBlock {
    let tail = "\n```";
    // Room for the note a truncated post ends with.
    let note_room = 120;
    let budget = rules
        .max
        .saturating_sub(rules.count.of(head) + rules.count.of(tail) + note_room);
    let (body, posted) = escaped_prefix(content, budget, rules);
    let truncated = posted < content.len();
    let lines = content[..posted].lines().count();
    let mut text = format!("{head}{}{tail}", body.trim_end_matches('\n'));
    if truncated {
        text.push_str(&format!(
            "\n_(truncated: first {lines} of {} lines, {posted} of {} bytes)_",
            content.lines().count(),
            content.len()
        ));
    }
    CodeBlock {
        text,
        truncated,
        bytes_posted: posted as u64,
        lines_posted: lines,
    }
}

/// The longest prefix of `content` whose escaped form fits `budget`, ending at a line break
/// when one fits; returns the escaped text and how many bytes of `content` it holds. Every
/// third backtick in a row gets a zero-width space before it, as
/// `replace("```", "``\u{200B}`")` would.
fn escaped_prefix(content: &str, budget: usize, rules: &Rules) -> (String, usize) {
    const ZWSP: char = '\u{200B}';
    let mut out = String::new();
    let mut used = 0;
    let mut run = 0;
    let mut last_line_end: Option<(usize, usize)> = None;
    let mut buf = [0u8; 4];
    for (i, ch) in content.char_indices() {
        let fence = ch == '`' && run == 2;
        let piece = (rules.escape)(ch).unwrap_or_else(|| ch.encode_utf8(&mut buf));
        let cost = rules.count.of(piece) + if fence { rules.count.of("\u{200B}") } else { 0 };
        if used + cost > budget {
            return match last_line_end {
                Some((out_len, consumed)) => {
                    out.truncate(out_len);
                    (out, consumed)
                }
                None => (out, i),
            };
        }
        if fence {
            out.push(ZWSP);
            run = 0;
        } else if ch == '`' {
            run += 1;
        } else {
            run = 0;
        }
        out.push_str(piece);
        used += cost;
        if ch == '\n' {
            last_line_end = Some((out.len(), i + 1));
        }
    }
    (out, content.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BYTES: Rules = Rules {
        max: 32_000,
        count: Count::Bytes,
        escape: no_escape,
    };

    fn html(ch: char) -> Option<&'static str> {
        match ch {
            '&' => Some("&amp;"),
            '<' => Some("&lt;"),
            '>' => Some("&gt;"),
            _ => None,
        }
    }

    #[test]
    fn fits_and_reports_truncation() {
        let small = compose("`a.py`\n```python\n", "print(1)\n", &BYTES);
        assert_eq!(small.text, "`a.py`\n```python\nprint(1)\n```");
        assert!(!small.truncated);
        let big: String = (0..5000).map(|i| format!("line {i} ```\n")).collect();
        let post = compose("`big.log`\n```\n", &big, &BYTES);
        assert!(post.truncated);
        assert!(post.text.len() <= BYTES.max, "{}", post.text.len());
        assert!(post.text.ends_with(" bytes)_"));
        assert_eq!(post.text.matches("```").count(), 2);
        let huge_line = "é".repeat(40_000);
        let post = compose("`one.txt`\n```\n", &huge_line, &BYTES);
        assert!(post.truncated && post.text.len() <= BYTES.max);
        assert_eq!(post.lines_posted, 1);
    }

    #[test]
    fn characters_and_escapes_count_against_the_limit() {
        let rules = Rules {
            max: 300,
            count: Count::Chars,
            escape: html,
        };
        let post = compose("```\n", "a < b && c\n", &rules);
        assert_eq!(post.text, "```\na &lt; b &amp;&amp; c\n```");
        // 100 lines of "é<" are 300 characters with their line breaks, 600 once escaped.
        let content = "é<\n".repeat(100);
        let post = compose("```\n", &content, &rules);
        assert!(post.truncated);
        assert!(Count::Chars.of(&post.text) <= rules.max, "{}", post.text);
        let lines = post.lines_posted;
        assert!(lines > 10 && lines < 100, "{lines}");
        assert_eq!(post.bytes_posted as usize, lines * "é<\n".len());
    }
}
