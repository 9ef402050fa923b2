//! Cursor paging as Slack does it: `limit` plus an opaque `cursor`, answered with
//! `response_metadata.next_cursor` (`""` on the last page).
//!
//! A cursor is bound to the query that produced it (method and the arguments that shape the
//! result), so replaying it against another channel is `invalid_cursor`. Pages may hold fewer
//! items than `limit` even when more follow: lists that Slack filters after fetching
//! (conversations.list by `types`) come out short naturally, and with
//! `Settings::short_pages` every second page of the other lists is cut to two thirds, so a
//! client that stops at a short page instead of following `next_cursor` misses data.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use super::args::Args;
use super::errors::SlackError;
use super::state::Settings;

/// Where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// An offset or a ts, as the method's list needs.
    pub at: String,
    /// Pages already served (0 for the first).
    pub page: u32,
}

fn query_hash(key: &str) -> String {
    Sha256::digest(key.as_bytes())[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn encode(key: &str, at: &str, page: u32) -> String {
    STANDARD.encode(format!("next:{at};page:{page};q:{}", query_hash(key)))
}

/// The position a cursor names, `None` for the first page.
pub fn decode(key: &str, cursor: Option<&str>) -> Result<Option<Position>, SlackError> {
    let Some(cursor) = cursor.filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let bad = || SlackError::new("invalid_cursor");
    let text = STANDARD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(bad)?;
    let rest = text.strip_prefix("next:").ok_or_else(bad)?;
    let (at, rest) = rest.split_once(";page:").ok_or_else(bad)?;
    let (page, hash) = rest.split_once(";q:").ok_or_else(bad)?;
    if hash != query_hash(key) {
        return Err(bad());
    }
    Ok(Some(Position {
        at: at.to_string(),
        page: page.parse().map_err(|_| bad())?,
    }))
}

/// `limit` within Slack's bounds: absent or 0 is the method's default, more than `max` is
/// `max`.
pub fn limit(args: &Args, default: usize, max: usize) -> Result<usize, SlackError> {
    match args.int("limit")? {
        None | Some(0) => Ok(default),
        Some(n) if n < 0 => Err(SlackError::new("invalid_limit")),
        Some(n) => Ok((n as usize).min(max)),
    }
}

/// How many items page `page` holds.
pub fn page_size(settings: &Settings, limit: usize, page: u32) -> usize {
    if settings.short_pages && page % 2 == 1 && limit > 1 {
        (limit * 2).div_ceil(3)
    } else {
        limit
    }
}

/// One page of an ordered list by offset. Returns the page and the next cursor (`""` at the
/// end).
pub fn by_offset<T: Clone>(
    settings: &Settings,
    key: &str,
    cursor: Option<&str>,
    items: &[T],
    limit: usize,
) -> Result<(Vec<T>, String), SlackError> {
    let pos = decode(key, cursor)?;
    let (start, page) = match &pos {
        Some(p) => (
            p.at.parse::<usize>()
                .map_err(|_| SlackError::new("invalid_cursor"))?,
            p.page,
        ),
        None => (0, 0),
    };
    let size = page_size(settings, limit, page);
    let end = (start + size).min(items.len());
    let slice = items
        .get(start.min(items.len())..end)
        .unwrap_or_default()
        .to_vec();
    let next = if end < items.len() {
        encode(key, &end.to_string(), page + 1)
    } else {
        String::new()
    };
    Ok((slice, next))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::slack::emulator::args::parse;

    fn settings(short: bool) -> Settings {
        let mut s = crate::providers::slack::emulator::EmulatorConfig::default().settings();
        s.short_pages = short;
        s
    }

    #[test]
    fn cursors_are_bound_to_their_query() {
        let c = encode("conversations.history|C1", "1712.000001", 3);
        let p = decode("conversations.history|C1", Some(&c))
            .unwrap()
            .unwrap();
        assert_eq!(
            p,
            Position {
                at: "1712.000001".into(),
                page: 3
            }
        );
        assert_eq!(
            decode("conversations.history|C2", Some(&c))
                .unwrap_err()
                .error,
            "invalid_cursor"
        );
        assert_eq!(
            decode("k", Some("not base64!")).unwrap_err().error,
            "invalid_cursor"
        );
        assert_eq!(decode("k", Some("")).unwrap(), None);
    }

    #[test]
    fn offset_pages_cover_everything_once_even_when_short() {
        let items: Vec<u32> = (0..23).collect();
        for short in [false, true] {
            let s = settings(short);
            let mut seen = Vec::new();
            let mut cursor = String::new();
            let mut sizes = Vec::new();
            loop {
                let (page, next) = by_offset(&s, "k", Some(&cursor), &items, 6).unwrap();
                sizes.push(page.len());
                seen.extend(page);
                if next.is_empty() {
                    break;
                }
                cursor = next;
            }
            assert_eq!(seen, items);
            if short {
                assert!(sizes.contains(&4), "{sizes:?}");
            } else {
                assert_eq!(sizes, [6, 6, 6, 5]);
            }
        }
    }

    #[test]
    fn limits_clamp() {
        let raw = parse("limit=5000", None, b"", false).unwrap();
        assert_eq!(
            limit(&Args::new(&raw, "m", &["limit"]), 100, 1000).unwrap(),
            1000
        );
        let raw = parse("", None, b"", false).unwrap();
        assert_eq!(
            limit(&Args::new(&raw, "m", &["limit"]), 100, 1000).unwrap(),
            100
        );
        let raw = parse("limit=-1", None, b"", false).unwrap();
        assert_eq!(
            limit(&Args::new(&raw, "m", &["limit"]), 100, 1000)
                .unwrap_err()
                .error,
            "invalid_limit"
        );
    }
}
