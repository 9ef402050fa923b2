//! Reading one time window from many spaces at once, for the tools that look across
//! spaces (search, mentions, unread).
//!
//! Spaces are fetched concurrently, `CONCURRENT_SPACES` at a time (per-space read pacing is
//! applied by `ChatClient::call`), each newest first and capped at `PER_SPACE_CAP` messages,
//! and the caller is told which spaces were capped or skipped, so an answer never pretends
//! to be complete when it is not.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use futures::stream::{self, StreamExt};
use serde::Serialize;

use super::super::client::ChatClient;
use super::super::models::{Message, Space};
use super::super::names;
use super::super::not_found::{Kind, Resource};
use super::messages::window_filter;
use crate::search::Mode;
use crate::tools::{ToolError, ToolErrorKind};

/// Spaces fetched at once: enough to hide latency, few enough to stay polite.
pub const CONCURRENT_SPACES: usize = 8;
/// Messages read per space per call; the newest are kept when a space has more.
pub const PER_SPACE_CAP: usize = 2000;

/// One space's messages (newest first) and whether the cap cut them off.
type Fetched = Result<(Vec<Message>, bool), ToolError>;

/// One space's share of a window fetch.
pub struct SpaceMessages {
    pub space: Space,
    pub messages: Vec<Message>,
    pub capped: bool,
}

/// What was searched, so the assistant can tell the person how complete the answer is.
#[derive(Debug, Serialize)]
pub struct Searched {
    pub space_count: usize,
    pub spaces: Vec<String>,
    pub since: String,
    pub until: String,
    pub messages_scanned: usize,
    pub capped_spaces: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped_spaces: Vec<SkippedSpace>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct SkippedSpace {
    pub space: String,
    pub reason: String,
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Validated, de-duplicated `spaces/…` names (input order kept).
pub fn space_names(spaces: Option<&[String]>) -> Result<Option<Vec<String>>, ToolError> {
    let Some(list) = spaces else { return Ok(None) };
    if list.is_empty() {
        return Err(ToolError::invalid_argument(
            "invalid argument `spaces`: the list is empty; leave it out to use every space",
        ));
    }
    if list.len() > 500 {
        return Err(ToolError::invalid_argument(
            "invalid argument `spaces`: give at most 500 spaces",
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for s in list {
        let name = names::space(s).map_err(|e| {
            ToolError::invalid_argument(e.message.replacen("`space`", "`spaces`", 1))
        })?;
        if !out.contains(&name) {
            out.push(name);
        }
    }
    Ok(Some(out))
}

/// The spaces to read: every space of the person, or the requested ones (which must be
/// among them, so a typo fails before anything is fetched).
pub async fn resolve_spaces(
    client: &ChatClient,
    wanted: Option<Vec<String>>,
) -> Result<Vec<Space>, ToolError> {
    let all = client.list_all_spaces(None).await?;
    let Some(wanted) = wanted else { return Ok(all) };
    let mut by_name: HashMap<String, Space> =
        all.into_iter().map(|s| (s.name.clone(), s)).collect();
    wanted
        .into_iter()
        .map(|name| {
            by_name.remove(&name).ok_or_else(|| {
                Resource::new(Kind::Space, name.clone()).not_found_because(
                    "it is not a space you are a member of; check the name with google_chat_list_spaces",
                )
            })
        })
        .collect()
}

pub fn space_label(space: &Space) -> String {
    space
        .display_name
        .clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| space.name.clone())
}

/// Reads `[since, until)` of every space, `CONCURRENT_SPACES` at a time. A space that fails
/// (left it meanwhile, say) is reported as skipped; losing the sign-in or the rate limit
/// fails the whole call, since every other space would fail the same way.
pub async fn fetch_window(
    client: &ChatClient,
    spaces: Vec<Space>,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<(Vec<SpaceMessages>, Vec<SkippedSpace>), ToolError> {
    let filter = window_filter(since, until);
    let results: Vec<(Space, Fetched)> = stream::iter(spaces)
        .map(|space| {
            let filter = filter.clone();
            async move {
                let r = fetch_space(client, &space.name, &filter, PER_SPACE_CAP).await;
                (space, r)
            }
        })
        .buffered(CONCURRENT_SPACES)
        .collect()
        .await;
    let mut fetched = Vec::new();
    let mut skipped = Vec::new();
    for (space, result) in results {
        match result {
            Ok((messages, capped)) => fetched.push(SpaceMessages {
                space,
                messages,
                capped,
            }),
            Err(e)
                if matches!(
                    e.kind,
                    ToolErrorKind::NeedsSignIn
                        | ToolErrorKind::RateLimited
                        | ToolErrorKind::Unavailable
                ) =>
            {
                return Err(e);
            }
            Err(e) => skipped.push(SkippedSpace {
                space: space_label(&space),
                reason: e.message,
            }),
        }
    }
    Ok((fetched, skipped))
}

/// One space's messages matching `filter`, newest first, all pages up to `cap`.
pub async fn fetch_space(
    client: &ChatClient,
    space: &str,
    filter: &str,
    cap: usize,
) -> Result<(Vec<Message>, bool), ToolError> {
    let mut messages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let want = (cap - messages.len()).min(1000) as u32;
        let page = client
            .list_messages(
                space,
                Some(filter),
                "createTime desc",
                want,
                token.as_deref(),
            )
            .await?;
        messages.extend(page.messages);
        token = page.next_page_token.filter(|t| !t.is_empty());
        if token.is_none() {
            return Ok((messages, false));
        }
        if messages.len() >= cap {
            messages.truncate(cap);
            return Ok((messages, true));
        }
    }
}

pub fn searched(
    fetched: &[SpaceMessages],
    skipped: Vec<SkippedSpace>,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    mode: Option<Mode>,
) -> Searched {
    Searched {
        space_count: fetched.len(),
        spaces: fetched.iter().map(|f| space_label(&f.space)).collect(),
        since: rfc3339(since),
        until: rfc3339(until),
        messages_scanned: fetched.iter().map(|f| f.messages.len()).sum(),
        capped_spaces: fetched
            .iter()
            .filter(|f| f.capped)
            .map(|f| space_label(&f.space))
            .collect(),
        skipped_spaces: skipped,
        mode: mode.map(Mode::as_str),
    }
}

pub fn time_of(m: &Message) -> Option<DateTime<Utc>> {
    m.create_time
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_lists_are_checked() {
        assert!(space_names(Some(&[])).is_err());
        let e = space_names(Some(&["../x".into()])).unwrap_err();
        assert!(e.message.contains("`spaces`"), "{}", e.message);
        let ok = space_names(Some(&["A".into(), "spaces/A".into()]))
            .unwrap()
            .unwrap();
        assert_eq!(ok, ["spaces/A"]);
    }
}
