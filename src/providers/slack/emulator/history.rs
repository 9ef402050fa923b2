//! conversations.history and conversations.replies.
//!
//! History is newest first and holds top-level messages and thread broadcasts; replies are
//! oldest first, the parent leading. `oldest`/`latest` bound the range (exclusive unless
//! `inclusive`), `limit` caps a page (Slack: 100 by default, at most 999 for history and 1000
//! for replies), and the cursor carries the ts where the next page starts, so messages posted
//! while a client pages do not shift it. An app distributed outside the Marketplace gets at
//! most 15 messages a page (`Settings::marketplace_restricted`).

use serde_json::{Map, Value, json};

use super::conversations::visible;
use super::errors::{ApiResult, SlackError};
use super::paging;
use super::render::{self, MsgView};
use super::scopes::Family;
use super::server::Call;
use super::state::{Message, Ts};

/// The most messages a restricted (non-Marketplace) app gets per page.
pub const RESTRICTED_LIMIT: usize = 15;

struct Range {
    oldest: Ts,
    latest: Ts,
    inclusive: bool,
}

impl Range {
    fn from_args(call: &Call) -> Result<Self, SlackError> {
        let parse = |name: &str, error: &str, default: Ts| -> Result<Ts, SlackError> {
            match call.args.text(name) {
                None => Ok(default),
                Some(t) => Ts::parse(&t).ok_or_else(|| SlackError::new(error)),
            }
        };
        Ok(Self {
            oldest: parse("oldest", "invalid_ts_oldest", Ts(0))?,
            latest: parse("latest", "invalid_ts_latest", Ts(i64::MAX))?,
            inclusive: call.args.flag("inclusive"),
        })
    }

    fn contains(&self, ts: Ts) -> bool {
        if self.inclusive {
            ts >= self.oldest && ts <= self.latest
        } else {
            ts > self.oldest && ts < self.latest
        }
    }

    fn key(&self) -> String {
        format!("{}|{}|{}", self.oldest, self.latest, self.inclusive)
    }
}

fn page_limit(call: &Call, default: usize, max: usize) -> Result<usize, SlackError> {
    let limit = paging::limit(&call.args, default, max)?;
    Ok(if call.st.settings.marketplace_restricted {
        limit.min(RESTRICTED_LIMIT)
    } else {
        limit
    })
}

fn anchor(key: &str, call: &Call) -> Result<(Option<Ts>, u32), SlackError> {
    match paging::decode(key, call.args.str("cursor").as_deref())? {
        None => Ok((None, 0)),
        Some(p) => Ok((
            Some(Ts::parse(&p.at).ok_or_else(|| SlackError::new("invalid_cursor"))?),
            p.page,
        )),
    }
}

fn finish(messages: Vec<Value>, has_more: bool, next: String) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("messages".into(), json!(messages));
    out.insert("has_more".into(), json!(has_more));
    out.insert("response_metadata".into(), json!({ "next_cursor": next }));
    out
}

pub fn history(call: &mut Call) -> ApiResult {
    let id = call.args.required("channel")?;
    let conv = visible(call, &id, Family::History)?;
    let range = Range::from_args(call)?;
    let limit = page_limit(call, 100, 999)?;
    let key = format!("conversations.history|{}|{}", conv.id, range.key());
    let (before, page) = anchor(&key, call)?;
    let size = paging::page_size(&call.st.settings, limit, page);
    let ws = &call.st.ws;
    let newest_first: Vec<&Message> = ws
        .messages
        .get(&conv.id)
        .into_iter()
        .flatten()
        .rev()
        .filter(|m| m.in_history() && range.contains(m.ts))
        .filter(|m| before.is_none_or(|b| m.ts < b))
        .collect();
    let has_more = newest_first.len() > size;
    let shown = &newest_first[..size.min(newest_first.len())];
    let next = match (has_more, shown.last()) {
        (true, Some(last)) => paging::encode(&key, &last.ts.to_string(), page + 1),
        _ => String::new(),
    };
    let user = call.user();
    let items = shown
        .iter()
        .map(|m| {
            Value::Object(render::message(
                ws,
                &conv.id,
                m,
                user,
                &call.base,
                MsgView::History,
            ))
        })
        .collect();
    let mut out = finish(items, has_more, next);
    out.insert("pin_count".into(), json!(0));
    out.insert("channel_actions_count".into(), json!(0));
    Ok(out)
}

pub fn replies(call: &mut Call) -> ApiResult {
    let id = call.args.required("channel")?;
    let conv = visible(call, &id, Family::History)?;
    let ts = call.args.required("ts")?;
    let ts = Ts::parse(&ts).ok_or_else(|| SlackError::new("thread_not_found"))?;
    let range = Range::from_args(call)?;
    let limit = page_limit(call, 1000, 1000)?;
    let ws = &call.st.ws;
    let target = ws
        .message(&conv.id, ts)
        .ok_or_else(|| SlackError::new("thread_not_found"))?;
    // A reply's ts shows that reply alone; a parent's shows the whole thread.
    let parent_ts = if target.is_reply() { target.ts } else { ts };
    let mut thread: Vec<&Message> = vec![target];
    if !target.is_reply() {
        thread.extend(
            ws.replies(&conv.id, parent_ts)
                .filter(|r| range.contains(r.ts)),
        );
    }
    let key = format!(
        "conversations.replies|{}|{}|{}",
        conv.id,
        parent_ts,
        range.key()
    );
    let (after, page) = anchor(&key, call)?;
    let size = paging::page_size(&call.st.settings, limit, page);
    let rest: Vec<&Message> = thread
        .into_iter()
        .enumerate()
        .filter(|(i, m)| match after {
            // The parent leads the first page only.
            Some(a) => *i > 0 && m.ts > a,
            None => true,
        })
        .map(|(_, m)| m)
        .collect();
    let has_more = rest.len() > size;
    let shown = &rest[..size.min(rest.len())];
    let next = match (has_more, shown.last()) {
        (true, Some(last)) => paging::encode(&key, &last.ts.to_string(), page + 1),
        _ => String::new(),
    };
    let user = call.user();
    let items = shown
        .iter()
        .map(|m| {
            Value::Object(render::message(
                ws,
                &conv.id,
                m,
                user,
                &call.base,
                MsgView::Replies,
            ))
        })
        .collect();
    Ok(finish(items, has_more, next))
}
