//! Teams bodies are HTML; assistants read and write text. `to_text` gives the readable text
//! (mentions as `@Name`, links kept as `label (url)`, line breaks, list items, emoji by their
//! character, file and card placeholders by name); `from_text` turns an assistant's
//! Markdown-ish text into Teams HTML with everything the person wrote escaped, so text can
//! never become markup: only the few constructs below are produced, by us.

use std::sync::LazyLock;

use regex::Regex;

/// A tag: its name (lowercase later), whether it closes, and its attributes' text.
static TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s)<(/?)([A-Za-z][A-Za-z0-9]*)\b([^>]*)>|<!--.*?-->").expect("tag pattern")
});
static ATTR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\b([a-z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))"#).expect("attr pattern")
});

fn attr(attrs: &str, name: &str) -> Option<String> {
    ATTR.captures_iter(attrs).find_map(|c| {
        c[1].eq_ignore_ascii_case(name).then(|| {
            let v = c
                .get(2)
                .or(c.get(3))
                .or(c.get(4))
                .map_or("", |m| m.as_str());
            html_escape::decode_html_entities(v).into_owned()
        })
    })
}

/// The readable text of a Teams HTML body.
pub fn to_text(html: &str) -> String {
    let mut out = String::new();
    let mut last = 0;
    // Open links: their href, and where their label starts in `out`.
    let mut links: Vec<(Option<String>, usize)> = Vec::new();
    let mut skip_depth = 0usize;
    for cap in TAG.captures_iter(html) {
        let whole = cap.get(0).expect("a match");
        if skip_depth == 0 {
            out.push_str(&html_escape::decode_html_entities(
                &html[last..whole.start()],
            ));
        }
        last = whole.end();
        let Some(name) = cap.get(2) else { continue };
        let name = name.as_str().to_ascii_lowercase();
        let closing = !cap[1].is_empty();
        let attrs = cap.get(3).map_or("", |m| m.as_str());
        match (name.as_str(), closing) {
            ("style" | "script", false) => skip_depth += 1,
            ("style" | "script", true) => skip_depth = skip_depth.saturating_sub(1),
            _ if skip_depth > 0 => {}
            ("at", false) => out.push('@'),
            ("br", _) => out.push('\n'),
            (
                "p" | "div" | "tr" | "h1" | "h2" | "h3" | "h4" | "blockquote" | "pre" | "ul" | "ol"
                | "li",
                true,
            ) => newline(&mut out),
            ("p" | "div" | "ul" | "ol" | "table" | "pre" | "blockquote", false) => {
                newline(&mut out)
            }
            ("li", false) => {
                newline(&mut out);
                out.push_str("- ");
            }
            ("td" | "th", true) => out.push('\t'),
            ("a", false) => links.push((attr(attrs, "href"), out.len())),
            ("a", true) => {
                if let Some((Some(href), start)) = links.pop() {
                    let label = out[start..].trim().to_owned();
                    if label.is_empty() {
                        out.push_str(&href);
                    } else if label != href && !href.starts_with("mailto:") {
                        out.push_str(&format!(" ({href})"));
                    }
                }
            }
            ("emoji", false) => {
                if let Some(alt) = attr(attrs, "alt") {
                    out.push_str(&alt);
                }
            }
            ("img", false) => match attr(attrs, "alt").filter(|a| !a.is_empty()) {
                Some(alt) => out.push_str(&format!("[image: {alt}]")),
                None => out.push_str("[image]"),
            },
            ("attachment", false) => out.push_str("[attachment]"),
            _ => {}
        }
    }
    if skip_depth == 0 {
        out.push_str(&html_escape::decode_html_entities(&html[last..]));
    }
    tidy(&out.replace('\u{a0}', " "))
}

fn newline(out: &mut String) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

/// Trailing spaces off each line, at most one blank line in a row, none at the ends.
fn tidy(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim_end) {
        if line.is_empty() && out.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

static CODE_BLOCK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)```[A-Za-z0-9_+-]*\n?(.*?)```").expect("code block"));
static INLINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"`([^`\n]+)`|\*\*([^*\n]+)\*\*|\*([^*\n]+)\*|\[([^\]\n]+)\]\((https?://[^\s)]+)\)|(https?://[^\s<]+[^\s<.,;:!?)\]])",
    )
    .expect("inline pattern")
});

/// Teams HTML for an assistant's text: ``` blocks, `code`, **bold**, *italic*, [label](url)
/// and bare http(s) links; line breaks kept; everything else escaped.
pub fn from_text(text: &str) -> String {
    let mut out = String::new();
    let mut last = 0;
    for cap in CODE_BLOCK.captures_iter(text) {
        let whole = cap.get(0).expect("a match");
        out.push_str(&inline(&text[last..whole.start()]));
        out.push_str("<pre><code>");
        out.push_str(&html_escape::encode_text(cap[1].trim_end_matches('\n')));
        out.push_str("</code></pre>");
        last = whole.end();
    }
    out.push_str(&inline(&text[last..]));
    out
}

fn inline(text: &str) -> String {
    let mut out = String::new();
    let mut last = 0;
    for cap in INLINE.captures_iter(text) {
        let whole = cap.get(0).expect("a match");
        out.push_str(&plain(&text[last..whole.start()]));
        last = whole.end();
        if let Some(code) = cap.get(1) {
            out.push_str(&format!(
                "<code>{}</code>",
                html_escape::encode_text(code.as_str())
            ));
        } else if let Some(bold) = cap.get(2) {
            out.push_str(&format!("<strong>{}</strong>", plain(bold.as_str())));
        } else if let Some(em) = cap.get(3) {
            out.push_str(&format!("<em>{}</em>", plain(em.as_str())));
        } else if let (Some(label), Some(url)) = (cap.get(4), cap.get(5)) {
            out.push_str(&link(url.as_str(), &plain(label.as_str())));
        } else if let Some(url) = cap.get(6) {
            out.push_str(&link(url.as_str(), &html_escape::encode_text(url.as_str())));
        }
    }
    out.push_str(&plain(&text[last..]));
    out
}

fn link(url: &str, label: &str) -> String {
    format!(
        "<a href=\"{}\">{label}</a>",
        html_escape::encode_double_quoted_attribute(url)
    )
}

fn plain(text: &str) -> String {
    html_escape::encode_text(text).replace('\n', "<br>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_read_as_text_with_mentions_links_and_breaks() {
        let html = "<div><p>Hi <at id=\"0\">Ana Lima</at>, the deploy &amp; rollback doc: \
                    <a href=\"https://contoso.sharepoint.com/d\">runbook</a><br>Thanks&nbsp;!</p>\
                    <ul><li>one</li><li>two</li></ul><emoji alt=\"🎉\" id=\"party\"></emoji>\
                    <attachment id=\"abc\"></attachment></div>";
        assert_eq!(
            to_text(html),
            "Hi @Ana Lima, the deploy & rollback doc: runbook (https://contoso.sharepoint.com/d)\nThanks !\n- one\n- two\n🎉[attachment]"
        );
        assert_eq!(to_text("plain &lt;b&gt; text"), "plain <b> text");
        assert_eq!(to_text("<style>p{}</style><p>x</p>"), "x");
        assert_eq!(
            to_text("<a href=\"https://x.test/\">https://x.test/</a>"),
            "https://x.test/"
        );
    }

    #[test]
    fn text_becomes_safe_html() {
        assert_eq!(
            from_text(
                "<script>alert(1)</script> **bold** & *it* `a<b`\nsee [docs](https://x.test/a?b=1&c=\"2\") or https://y.test/p."
            ),
            "&lt;script&gt;alert(1)&lt;/script&gt; <strong>bold</strong> &amp; <em>it</em> <code>a&lt;b</code><br>see <a href=\"https://x.test/a?b=1&amp;c=&quot;2&quot;\">docs</a> or <a href=\"https://y.test/p\">https://y.test/p</a>."
        );
        assert_eq!(
            from_text("run:\n```sh\nls <dir>\n```\ndone"),
            "run:<br><pre><code>ls &lt;dir&gt;</code></pre><br>done"
        );
        // javascript: links are not links.
        assert_eq!(
            from_text("[x](javascript:alert(1))"),
            "[x](javascript:alert(1))"
        );
    }

    #[test]
    fn round_trip_keeps_the_words() {
        let text = "a **b** [c](https://d.test/) <e>";
        assert_eq!(to_text(&from_text(text)), "a b c (https://d.test/) <e>");
    }
}
