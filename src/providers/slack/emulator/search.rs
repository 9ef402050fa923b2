//! search.messages: Slack's query language over everything the caller can see.
//!
//! Supported: words (whole-word, case-insensitive; `deploy*` for a prefix), `"exact phrases"`,
//! `-excluded` words, `in:#channel` / `in:<#C…>` / `in:@person` (the DM with them),
//! `from:@person` / `from:<@U…>` / `from:me`, `before:`/`after:`/`on:` a date
//! (`YYYY-MM-DD`, UTC, bounds exclusive as in Slack) and `during:` a month or day,
//! `has:link`, `has:reaction`, `is:thread`, and `<@U…>` (messages mentioning that person).
//! Mentions also match by handle (`<@U…>` is searchable as `@alex.rivera`). Results page by
//! `count` and `page` (`messages.paging` and `messages.pagination`), or by `cursor` (`*`
//! first) with `response_metadata.next_cursor`;
//! `highlight=true` wraps matched words in U+E000 … U+E001 as Slack does.

use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::{Map, Value, json};

use super::data::TEAM;
use super::errors::{ApiResult, SlackError};
use super::paging;
use super::render;
use super::server::Call;
use super::state::{ConvKind, Conversation, Message, Ts, Workspace};

#[derive(Debug, Default)]
struct Query {
    words: Vec<String>,
    phrases: Vec<String>,
    excluded: Vec<String>,
    channels: Vec<String>,
    from: Vec<String>,
    after: Option<Ts>,
    before: Option<Ts>,
    has_link: bool,
    has_reaction: bool,
    is_thread: bool,
    /// `<@U…>` tokens: messages that mention these people.
    mentions: Vec<String>,
}

fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// A query token's words; a trailing `*` stays on the last one (a prefix search).
fn query_words(token: &str) -> Vec<String> {
    let mut out = words(token);
    if token.ends_with('*')
        && let Some(last) = out.last_mut()
    {
        last.push('*');
    }
    out
}

fn day_start(date: &str) -> Option<Ts> {
    let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let t = Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?);
    Some(Ts::from_datetime(t))
}

const DAY: i64 = 86_400_000_000;

/// A person named in `from:` / `in:@`: `@handle`, `<@U…>`, `U…`, or `me`.
fn person(ws: &Workspace, text: &str, caller: &str) -> Option<String> {
    if text == "me" {
        return Some(caller.to_string());
    }
    let t = text.trim_start_matches("<@").trim_end_matches('>');
    let t = t.split('|').next().unwrap_or(t).trim_start_matches('@');
    ws.users
        .iter()
        .find(|u| {
            u.id == t || u.name.eq_ignore_ascii_case(t) || u.display_name.eq_ignore_ascii_case(t)
        })
        .map(|u| u.id.clone())
}

fn parse(ws: &Workspace, text: &str, caller: &str) -> Query {
    let mut q = Query::default();
    let mut rest = text;
    let mut tokens: Vec<(bool, String)> = Vec::new();
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            rest = &rest[c.len_utf8()..];
        } else if c == '"' {
            let end = rest[1..].find('"').map(|i| i + 1).unwrap_or(rest.len());
            tokens.push((true, rest[1..end].to_string()));
            rest = rest.get(end + 1..).unwrap_or("");
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            tokens.push((false, rest[..end].to_string()));
            rest = &rest[end..];
        }
    }
    for (quoted, token) in tokens {
        if quoted {
            q.phrases.push(token.to_lowercase());
            continue;
        }
        let (key, value) = token.split_once(':').unwrap_or(("", &token));
        match key.to_ascii_lowercase().as_str() {
            "in" => {
                let v = value.trim_start_matches("<#").trim_end_matches('>');
                let v = v.split('|').next().unwrap_or(v).trim_start_matches('#');
                if value.starts_with('@') || value.starts_with("<@") {
                    if let Some(u) = person(ws, value, caller)
                        && let Some(dm) = ws.convs.iter().find(|c| {
                            c.kind == ConvKind::Im
                                && c.is_member(caller)
                                && c.im_peer(caller) == Some(u.as_str())
                        })
                    {
                        q.channels.push(dm.id.clone());
                        continue;
                    }
                    q.channels.push("-".into());
                } else if let Some(c) = ws
                    .convs
                    .iter()
                    .find(|c| c.id == v || (!c.name.is_empty() && c.name == v))
                {
                    q.channels.push(c.id.clone());
                } else {
                    q.channels.push("-".into());
                }
            }
            "from" => q
                .from
                .push(person(ws, value, caller).unwrap_or_else(|| "-".into())),
            "after" => q.after = day_start(value).map(|t| Ts(t.0 + DAY - 1)),
            "before" => q.before = day_start(value),
            "on" => {
                if let Some(t) = day_start(value) {
                    q.after = Some(Ts(t.0 - 1));
                    q.before = Some(Ts(t.0 + DAY));
                }
            }
            "during" => {
                let (start, end) = match day_start(value) {
                    Some(t) => (Some(t), Some(Ts(t.0 + DAY))),
                    None => {
                        let start = day_start(&format!("{value}-01"));
                        let end = start.and_then(|s| {
                            let d = chrono::DateTime::from_timestamp_micros(s.0)?.date_naive();
                            let next = d.checked_add_months(chrono::Months::new(1))?;
                            day_start(&next.format("%Y-%m-%d").to_string())
                        });
                        (start, end)
                    }
                };
                q.after = start.map(|t| Ts(t.0 - 1));
                q.before = end;
            }
            "has" if value == "link" => q.has_link = true,
            "has" if value == "reaction" || value.starts_with(':') => q.has_reaction = true,
            "is" if value == "thread" => q.is_thread = true,
            // `<@U…>` (as chat text holds a mention): messages that mention that person.
            _ if token.starts_with("<@") && token.ends_with('>') => q.mentions.push(
                token[2..token.len() - 1]
                    .split('|')
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            ),
            _ if token.starts_with('-') && token.len() > 1 => {
                q.excluded.extend(query_words(&token[1..]))
            }
            _ => q.words.extend(query_words(&token)),
        }
    }
    q
}

/// What search sees of a message: mentions as `@handle`, channel links as `#name`, link labels
/// and URLs, entities decoded.
fn searchable(ws: &Workspace, text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let inner = &rest[open + 1..open + close];
        rest = &rest[open + close + 1..];
        let (target, label) = inner.split_once('|').unwrap_or((inner, ""));
        if let Some(id) = target.strip_prefix('@') {
            out.push('@');
            out.push_str(ws.user(id).map(|u| u.name.as_str()).unwrap_or(id));
        } else if let Some(id) = target.strip_prefix('#') {
            out.push('#');
            out.push_str(if label.is_empty() {
                ws.conv(id).map(|c| c.name.as_str()).unwrap_or(id)
            } else {
                label
            });
        } else if let Some(special) = target.strip_prefix('!') {
            out.push('@');
            out.push_str(special);
        } else {
            out.push_str(label);
            out.push(' ');
            out.push_str(target);
        }
    }
    out.push_str(rest);
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn word_matches(term: &str, text_words: &[String]) -> usize {
    match term.strip_suffix('*') {
        Some(prefix) => text_words.iter().filter(|w| w.starts_with(prefix)).count(),
        None => text_words.iter().filter(|w| *w == term).count(),
    }
}

/// The score of a message, `None` when it does not match.
fn score(q: &Query, ws: &Workspace, conv: &Conversation, m: &Message) -> Option<usize> {
    if m.tombstone
        || (!q.channels.is_empty() && !q.channels.contains(&conv.id))
        || (!q.from.is_empty() && !q.from.contains(&m.user))
        || q.after.is_some_and(|a| m.ts <= a)
        || q.before.is_some_and(|b| m.ts >= b)
        || (q.has_reaction && m.reactions.is_empty())
        || (q.is_thread && m.thread_ts.is_none())
        || q.mentions
            .iter()
            .any(|u| !(m.text.contains(&format!("<@{u}>")) || m.text.contains(&format!("<@{u}|"))))
        || (q.has_link && !m.text.contains("<http"))
    {
        return None;
    }
    let text = searchable(ws, &m.text).to_lowercase();
    let text_words = words(&text);
    let mut total = 0;
    for w in &q.words {
        match word_matches(w, &text_words) {
            0 => return None,
            n => total += n,
        }
    }
    for p in &q.phrases {
        if !text.contains(p.as_str()) {
            return None;
        }
        total += 2;
    }
    if q.excluded.iter().any(|e| word_matches(e, &text_words) > 0) {
        return None;
    }
    Some(total)
}

fn highlight(text: &str, q: &Query) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let lw = word.to_lowercase();
        let hit = q.words.iter().any(|t| match t.strip_suffix('*') {
            Some(p) => lw.starts_with(p),
            None => *t == lw,
        });
        if hit && !word.is_empty() {
            out.push('\u{e000}');
            out.push_str(word);
            out.push('\u{e001}');
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

pub fn messages(call: &mut Call) -> ApiResult {
    let text = call
        .args
        .text("query")
        .ok_or_else(|| SlackError::new("no_query"))?;
    let count = match call.args.int("count")? {
        None | Some(0) => 20,
        Some(n) => n.clamp(1, 100) as usize,
    };
    let sort = call.args.text("sort").unwrap_or_else(|| "score".into());
    let asc = call.args.text("sort_dir").is_some_and(|d| d == "asc");
    let do_highlight = call.args.flag("highlight");
    let caller = call.user().to_string();
    let ws = &call.st.ws;
    let q = parse(ws, &text, &caller);
    let mut hits: Vec<(usize, &Conversation, &Message)> = Vec::new();
    for conv in ws.convs.iter().filter(|c| c.visible_to(&caller)) {
        for m in ws.messages.get(&conv.id).into_iter().flatten() {
            if let Some(s) = score(&q, ws, conv, m) {
                hits.push((s, conv, m));
            }
        }
    }
    hits.sort_by(|a, b| {
        let key = if sort == "timestamp" {
            a.2.ts.cmp(&b.2.ts)
        } else {
            a.0.cmp(&b.0).then(a.2.ts.cmp(&b.2.ts))
        };
        if asc { key } else { key.reverse() }
    });
    let total = hits.len();
    let pages = total.div_ceil(count).max(1);
    let cursor = call.args.text("cursor");
    let key = format!("search.messages|{text}|{sort}|{asc}|{count}");
    let page = match cursor.as_deref() {
        Some("*") => 1,
        Some(c) => paging::decode(&key, Some(c))?
            .map(|p| p.page as usize)
            .unwrap_or(1),
        None => match call.args.int("page")? {
            None | Some(0) => 1,
            Some(n) => n.clamp(1, 100) as usize,
        },
    };
    let start = (page - 1) * count;
    let matches: Vec<Value> = hits
        .iter()
        .skip(start)
        .take(count)
        .map(|(s, conv, m)| {
            Value::Object(match_json(
                ws,
                conv,
                m,
                &caller,
                *s,
                &call.base,
                do_highlight.then_some(&q),
            ))
        })
        .collect();
    let last = (start + count).min(total);
    let mut messages = Map::new();
    messages.insert("total".into(), json!(total));
    messages.insert(
        "pagination".into(),
        json!({ "total_count": total, "page": page, "per_page": count, "page_count": pages, "first": (start + 1).min(total), "last": last }),
    );
    messages.insert(
        "paging".into(),
        json!({ "count": count, "total": total, "page": page, "pages": pages }),
    );
    messages.insert("matches".into(), json!(matches));
    let mut out = Map::new();
    out.insert("query".into(), json!(text));
    out.insert("messages".into(), Value::Object(messages));
    if cursor.is_some() {
        let next = if last < total {
            paging::encode(&key, &(page + 1).to_string(), page as u32 + 1)
        } else {
            String::new()
        };
        out.insert("response_metadata".into(), json!({ "next_cursor": next }));
    }
    Ok(out)
}

fn match_json(
    ws: &Workspace,
    conv: &Conversation,
    m: &Message,
    caller: &str,
    score: usize,
    base: &str,
    hl: Option<&Query>,
) -> Map<String, Value> {
    let mut channel = Map::new();
    channel.insert("id".into(), json!(conv.id));
    let (name, is_im) = match conv.kind {
        ConvKind::Im => (conv.im_peer(caller).unwrap_or("").to_string(), true),
        _ => (conv.name.clone(), false),
    };
    channel.insert("is_channel".into(), json!(conv.kind == ConvKind::Public));
    channel.insert(
        "is_group".into(),
        json!(conv.kind == ConvKind::Private && conv.id.starts_with('G')),
    );
    channel.insert("is_im".into(), json!(is_im));
    channel.insert("is_mpim".into(), json!(conv.kind == ConvKind::Mpim));
    channel.insert("is_private".into(), json!(conv.kind != ConvKind::Public));
    channel.insert("is_shared".into(), json!(false));
    channel.insert("is_org_shared".into(), json!(false));
    channel.insert("is_ext_shared".into(), json!(false));
    channel.insert("is_pending_ext_shared".into(), json!(false));
    channel.insert("pending_shared".into(), json!([]));
    channel.insert("name".into(), json!(name));
    if is_im {
        channel.insert("user".into(), json!(name));
    }
    let mut out = Map::new();
    out.insert(
        "iid".into(),
        json!(format!("{}-{}", conv.id, m.ts.permalink_id())),
    );
    out.insert("team".into(), json!(TEAM.id));
    out.insert("channel".into(), Value::Object(channel));
    out.insert("type".into(), json!("message"));
    out.insert("user".into(), json!(m.user));
    out.insert(
        "username".into(),
        json!(ws.user(&m.user).map(|u| u.name.clone()).unwrap_or_default()),
    );
    out.insert("ts".into(), json!(m.ts.to_string()));
    out.insert(
        "text".into(),
        json!(match hl {
            Some(q) => highlight(&m.text, q),
            None => m.text.clone(),
        }),
    );
    out.insert("permalink".into(), json!(render::permalink(&conv.id, m)));
    out.insert("score".into(), json!(score));
    if !m.files.is_empty() {
        let files: Vec<Value> = m
            .files
            .iter()
            .filter_map(|f| ws.files.get(f))
            .map(|f| Value::Object(render::file(f, base, false)))
            .collect();
        out.insert("files".into(), json!(files));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::slack::emulator::data;

    #[test]
    fn parses_modifiers() {
        let (ws, _) = crate::providers::slack::emulator::seed::seed(Utc::now());
        let q = parse(
            &ws,
            "deploy* \"go/no-go\" -flaky in:#eng from:@priya.natarajan after:2026-01-01 has:link",
            data::ALEX,
        );
        assert_eq!(q.words, ["deploy*"]);
        assert_eq!(q.phrases, ["go/no-go"]);
        assert_eq!(q.excluded, ["flaky"]);
        assert_eq!(q.channels, [data::ENG]);
        assert_eq!(q.from, [data::PRIYA]);
        assert_eq!(q.after.unwrap(), Ts(day_start("2026-01-02").unwrap().0 - 1));
        assert!(q.has_link);
        let q = parse(&ws, "in:@priya.natarajan from:me on:2026-02-03", data::ALEX);
        assert_eq!(q.channels, [data::DM_ALEX_PRIYA]);
        assert_eq!(q.from, [data::ALEX]);
        assert_eq!(q.before.unwrap(), day_start("2026-02-04").unwrap());
        assert_eq!(parse(&ws, "in:#nope", data::ALEX).channels, ["-"]);
    }

    #[test]
    fn searchable_text_and_highlights() {
        let (ws, _) = crate::providers::slack::emulator::seed::seed(Utc::now());
        let s = searchable(
            &ws,
            "hi <@U01ALEXRIV> see <#C02ENGINEER|eng> <https://x.example|the doc> &amp; <!here>",
        );
        assert_eq!(
            s,
            "hi @alex.rivera see #eng the doc https://x.example & @here"
        );
        let q = Query {
            words: vec!["deploy".into()],
            ..Query::default()
        };
        assert_eq!(
            highlight("Deploy now, deploying later", &q),
            "\u{e000}Deploy\u{e001} now, deploying later"
        );
    }
}
