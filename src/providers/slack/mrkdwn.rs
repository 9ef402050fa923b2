//! Slack's message text ("mrkdwn") both ways.
//!
//! Reading: Slack writes mentions, channels, links and dates as control sequences in angle
//! brackets (`<@U123>`, `<#C123|eng>`, `<https://x|label>`, `<!here>`, `<!date^…|fallback>`)
//! and escapes `&`, `<` and `>` in everything else. `render` shows that to an assistant as a
//! person would read it (`@Alex`, `#eng`, `label (https://x)`), taking names from a `Names`
//! resolver so this stays pure: callers collect the ids of a whole page first
//! (`references`), resolve them in one go from the users and channels caches, then render.
//!
//! Writing: `escape` makes what an assistant writes safe to send: `&`, `<` and `>` are
//! escaped, except in the control sequences it wrote on purpose (`<@U123>`, `<#C123>`,
//! `<!here>`, links), which Slack would otherwise show as text.
//!
//! `mention_of` says whether a message really mentions someone: a `<@U…>` of theirs or an
//! `@here`/`@channel`/`@everyone`, never their name appearing in the text.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

/// Where names come from.
pub trait Names {
    /// The name to show for a user id (`U…`, `W…`).
    fn user(&self, id: &str) -> Option<String>;
    /// The name of a conversation id (`C…`, `G…`, `D…`).
    fn channel(&self, id: &str) -> Option<String>;
    /// The handle of a user group (`S…`), without `@`.
    fn usergroup(&self, _id: &str) -> Option<String> {
        None
    }
}

/// Names from maps, as tools build them from the caches.
#[derive(Debug, Clone, Default)]
pub struct NameMaps {
    pub users: HashMap<String, String>,
    pub channels: HashMap<String, String>,
    pub usergroups: HashMap<String, String>,
}

impl Names for NameMaps {
    fn user(&self, id: &str) -> Option<String> {
        self.users.get(id).cloned()
    }
    fn channel(&self, id: &str) -> Option<String> {
        self.channels.get(id).cloned()
    }
    fn usergroup(&self, id: &str) -> Option<String> {
        self.usergroups.get(id).cloned()
    }
}

/// A piece of raw Slack text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment<'a> {
    /// Escaped text.
    Text(&'a str),
    /// What is between `<` and `>`.
    Control(&'a str),
}

/// Splits raw text into text and control sequences. Slack escapes `<` in text, so every
/// `<` opens a sequence; one that never closes is shown as text.
fn segments(text: &str) -> impl Iterator<Item = Segment<'_>> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        if let Some(inner) = rest.strip_prefix('<')
            && let Some(end) = inner.find('>')
            && !inner[..end].contains('<')
        {
            rest = &inner[end + 1..];
            return Some(Segment::Control(&inner[..end]));
        }
        // Text up to the next `<` that could open a sequence (skip a leading unclosed one).
        let from = usize::from(rest.starts_with('<'));
        let end = rest[from..].find('<').map_or(rest.len(), |i| i + from);
        let (text, tail) = rest.split_at(end);
        rest = tail;
        Some(Segment::Text(text))
    })
}

/// `&amp;`, `&lt;`, `&gt;` back to characters (the only entities Slack writes), in one pass so
/// `&amp;lt;` stays `&lt;`.
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let (ch, len) = if tail.starts_with("&amp;") {
            ('&', 5)
        } else if tail.starts_with("&lt;") {
            ('<', 4)
        } else if tail.starts_with("&gt;") {
            ('>', 4)
        } else {
            ('&', 1)
        };
        out.push(ch);
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

/// `id|label` → (`id`, label if non-empty).
fn split_label(inner: &str) -> (&str, Option<&str>) {
    match inner.split_once('|') {
        Some((id, label)) if !label.is_empty() => (id, Some(label)),
        Some((id, _)) => (id, None),
        None => (inner, None),
    }
}

/// Raw Slack text as a person reads it.
pub fn render(text: &str, names: &impl Names) -> String {
    let mut out = String::with_capacity(text.len());
    for segment in segments(text) {
        match segment {
            Segment::Text(t) => out.push_str(&unescape(t)),
            Segment::Control(inner) => render_control(inner, names, &mut out),
        }
    }
    out
}

fn render_control(inner: &str, names: &impl Names, out: &mut String) {
    let (target, label) = split_label(inner);
    let label = label.map(unescape);
    if let Some(id) = target.strip_prefix('@') {
        let name = names.user(id).or(label).unwrap_or_else(|| id.to_owned());
        out.push('@');
        out.push_str(name.trim_start_matches('@'));
    } else if let Some(id) = target.strip_prefix('#') {
        let name = names.channel(id).or(label).unwrap_or_else(|| id.to_owned());
        out.push('#');
        out.push_str(name.trim_start_matches('#'));
    } else if let Some(command) = target.strip_prefix('!') {
        render_command(command, label, names, out);
    } else {
        let url = unescape(target);
        let shown = url.strip_prefix("mailto:").unwrap_or(&url);
        match label {
            Some(label) if label != url && label != shown => {
                out.push_str(&label);
                out.push_str(" (");
                out.push_str(shown);
                out.push(')');
            }
            _ => out.push_str(shown),
        }
    }
}

fn render_command(command: &str, label: Option<String>, names: &impl Names, out: &mut String) {
    let mut parts = command.split('^');
    match parts.next().unwrap_or_default() {
        word @ ("here" | "channel" | "everyone") => {
            out.push('@');
            out.push_str(word);
        }
        "subteam" => {
            let id = parts.next().unwrap_or_default();
            let name = names
                .usergroup(id)
                .or(label)
                .unwrap_or_else(|| id.to_owned());
            out.push('@');
            out.push_str(name.trim_start_matches('@'));
        }
        "date" => match label {
            Some(fallback) => out.push_str(&fallback),
            None => {
                let when = parts
                    .next()
                    .and_then(|secs| secs.parse::<i64>().ok())
                    .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0));
                match when {
                    Some(when) => out.push_str(&when.format("%Y-%m-%d %H:%M UTC").to_string()),
                    None => out.push_str(command),
                }
            }
        },
        other => out.push_str(label.as_deref().unwrap_or(other)),
    }
}

/// The ids a piece of text refers to, for resolving a whole page's names at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct References {
    pub users: Vec<String>,
    pub channels: Vec<String>,
    pub usergroups: Vec<String>,
}

impl References {
    /// Adds the ids in `text` (each once).
    pub fn add(&mut self, text: &str) {
        fn push(list: &mut Vec<String>, id: &str) {
            if !id.is_empty() && !list.iter().any(|x| x == id) {
                list.push(id.to_owned());
            }
        }
        for segment in segments(text) {
            let Segment::Control(inner) = segment else {
                continue;
            };
            let (target, _) = split_label(inner);
            if let Some(id) = target.strip_prefix('@') {
                push(&mut self.users, id);
            } else if let Some(id) = target.strip_prefix('#') {
                push(&mut self.channels, id);
            } else if let Some(id) = target.strip_prefix("!subteam^") {
                push(&mut self.usergroups, id);
            }
        }
    }
}

/// The ids referred to in `text`.
pub fn references(text: &str) -> References {
    let mut refs = References::default();
    refs.add(text);
    refs
}

/// How a message mentions a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mention {
    /// `<@U…>` with their id.
    Direct,
    Here,
    Channel,
    Everyone,
}

/// Whether (and how) raw `text` mentions `user_id`. A direct mention wins over `@here`.
pub fn mention_of(text: &str, user_id: &str) -> Option<Mention> {
    let mut found = None;
    for segment in segments(text) {
        let Segment::Control(inner) = segment else {
            continue;
        };
        let (target, _) = split_label(inner);
        let kind = match target {
            t if t.strip_prefix('@') == Some(user_id) => return Some(Mention::Direct),
            "!here" => Mention::Here,
            "!channel" => Mention::Channel,
            "!everyone" => Mention::Everyone,
            _ => continue,
        };
        found = found.or(Some(kind));
    }
    found
}

/// Whether raw `text` mentions `user_id` (directly, or by `@here`, `@channel`, `@everyone`).
pub fn mentions(text: &str, user_id: &str) -> bool {
    mention_of(text, user_id).is_some()
}

/// The control sequences an assistant may write on purpose; everything else is text.
static KEPT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^<(?:@[UW][A-Z0-9]+|#[CGD][A-Z0-9]+|!(?:here|channel|everyone)|!subteam\^S[A-Z0-9]+|!date\^[0-9]+\^[^|<>]*|(?:https?://|mailto:)[^|<>\s]+)(?:\|[^<>]*)?>",
    )
    .expect("the control-sequence pattern is valid")
});

/// What an assistant wrote, ready for Slack's `text`: `&`, `<`, `>` escaped, except inside
/// the control sequences it wrote on purpose (`<@U123>`, `<#C123|eng>`, `<!here>`,
/// `<https://x|label>`), which are kept as they are.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        if rest.starts_with('<')
            && let Some(m) = KEPT.find(rest)
        {
            out.push_str(m.as_str());
            i += m.end();
            continue;
        }
        let ch = rest.chars().next().expect("i is on a char boundary");
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
        i += ch.len_utf8();
    }
    out
}

#[cfg(test)]
#[path = "mrkdwn_tests.rs"]
mod tests;
