//! Searching messages and finding mentions across spaces.
//!
//! Google Chat has no full-text search over a person's messages, so both tools fetch the
//! window from every space concurrently (8 spaces at a time; per-space read pacing is applied
//! by `ChatClient::call`), at most `PER_SPACE_CAP` messages per space, newest first, and then
//! rank (`crate::search`) or filter (mention annotations) locally.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::models::{Message, Space};
use super::fanout::{
    Searched, fetch_window, resolve_spaces, searched, space_label, space_names, time_of,
};
use super::views::{MessageView, message_views};
use crate::providers::google_chat::Context;
use crate::search::{Mode, snippet};
use crate::time_window::last_days;
use crate::tools::{Hints, ToolError, ToolErrorKind, ToolSpec};

use super::GOOGLE_CHAT as P;

const SNIPPET_CHARS: usize = 160;

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![
        ToolSpec::new(
            "google_chat_search_messages",
            "Search messages across spaces",
            "Search the signed-in person's Google Chat messages of the last `days_window` days (default 7, max 90) in every space \
             they are in, or only in `spaces`. Modes: `hybrid` (default: whole-phrase hits first, then messages sharing the words), \
             `exact` (the phrase, ignoring case, accents and contractions: \"don't\" also finds \"do not\"), `relevance` (BM25 word \
             ranking) and `regex` (case-insensitive regular expression). Results come best first with score, space name, sender \
             name and a snippet, plus a `searched` block (spaces, window, messages scanned, spaces capped at 2,000 messages). \
             Returns `max_results` results (default 20, max 200); pass `next_page_token` back as `page_token` with the same \
             arguments for more. To read a whole conversation use google_chat_list_messages; for @-mentions of the person use \
             google_chat_get_my_mentions.",
            P,
            Hints::READ,
            search_messages,
        ),
        ToolSpec::new(
            "google_chat_get_my_mentions",
            "Find messages that mention me",
            "Messages of the last `days_window` days (default 7, max 90) that @-mention the signed-in person, or @all, across every \
             space they are in (or only `spaces`), newest first, at most `limit` (default 50, max 500). Uses Google Chat's mention \
             annotations, so a message that merely contains the person's name is not a mention. Each result says `mention` = \
             `direct` or `all`. To search text use google_chat_search_messages.",
            P,
            Hints::READ,
            get_my_mentions,
        ),
    ]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    /// What to look for: words, a phrase, or a regular expression when `mode` is `regex` (up to 1,000 characters).
    pub query: String,
    /// `hybrid` (default), `exact`, `relevance` or `regex`.
    pub mode: Option<Mode>,
    /// Spaces to search (`spaces/AAA` or `AAA`); default: every space the person is in.
    pub spaces: Option<Vec<String>>,
    /// How many days back to search (1–90, default 7).
    pub days_window: Option<u32>,
    /// Results per page (1–200, default 20).
    pub max_results: Option<u32>,
    /// `next_page_token` from a previous call with the same arguments.
    pub page_token: Option<String>,
    /// Email of the Google account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct FoundMessage {
    pub score: f64,
    pub space: String,
    pub space_name: String,
    pub snippet: String,
    #[serde(flatten)]
    pub message: MessageView,
}

#[derive(Debug, Serialize)]
pub struct SearchResult {
    pub query: String,
    pub total_matches: usize,
    pub count: usize,
    pub results: Vec<FoundMessage>,
    pub searched: Searched,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
}

/// The page token: where the next page starts, plus the exact window and a fingerprint of
/// the query, so a next page ranks the same messages the same way.
#[derive(Debug, Serialize, Deserialize)]
struct SearchToken {
    offset: usize,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    fingerprint: u64,
}

fn fingerprint(query: &str, mode: Mode, spaces: &[String]) -> u64 {
    // FNV-1a: stable across builds and processes, unlike `DefaultHasher`.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [query, mode.as_str()]
        .into_iter()
        .chain(spaces.iter().map(String::as_str))
    {
        for b in part.bytes().chain([0]) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

fn bad_token() -> ToolError {
    ToolError::invalid_argument(
        "invalid argument `page_token`: pass the `next_page_token` of the previous result unchanged, with the same query, mode and spaces",
    )
}

impl SearchToken {
    fn encode(&self) -> String {
        use base64::Engine;
        let json = serde_json::to_vec(self).expect("a page token always serialises");
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }
    fn decode(token: &str) -> Result<Self, ToolError> {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.trim())
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(bad_token)
    }
}

pub async fn search_messages(
    ctx: Arc<Context>,
    args: SearchArgs,
) -> Result<SearchResult, ToolError> {
    let mode = args.mode.unwrap_or_default();
    let ranker = mode.ranker();
    ranker
        .check(&args.query)
        .map_err(|e| ToolError::invalid_argument(e.0))?;
    let wanted = space_names(args.spaces.as_deref())?;
    let max_results = args.max_results.unwrap_or(20);
    if !(1..=200).contains(&max_results) {
        return Err(ToolError::invalid_argument(
            "invalid argument `max_results`: use 1 to 200",
        ));
    }
    let print = fingerprint(&args.query, mode, wanted.as_deref().unwrap_or_default());
    let continued = args
        .page_token
        .as_deref()
        .filter(|t| !t.is_empty())
        .map(SearchToken::decode)
        .transpose()?;
    let (since, until, offset) = match continued {
        Some(t) if t.fingerprint != print => return Err(bad_token()),
        Some(t) => (t.since, t.until, t.offset),
        None => {
            let (s, u) = last_days(args.days_window, 7, 90)?;
            (s, u, 0)
        }
    };
    let client = ctx.client(args.account.as_deref())?;
    let spaces = resolve_spaces(&client, wanted).await?;
    let (fetched, skipped) = fetch_window(&client, spaces, since, until).await?;

    let mut candidates: Vec<(&Space, &Message)> = fetched
        .iter()
        .flat_map(|f| f.messages.iter().map(move |m| (&f.space, m)))
        .collect();
    candidates.retain(|(_, m)| m.text.as_deref().is_some_and(|t| !t.is_empty()));
    let docs: Vec<&str> = candidates
        .iter()
        .map(|(_, m)| m.text.as_deref().unwrap_or_default())
        .collect();
    // Equal scores newest first, then by name, so pages are stable.
    let ranked = crate::search::rank(ranker.as_ref(), &args.query, &docs, |a, b| {
        time_of(candidates[b].1)
            .cmp(&time_of(candidates[a].1))
            .then_with(|| candidates[a].1.name.cmp(&candidates[b].1.name))
    })
    .map_err(|e| ToolError::invalid_argument(e.0))?;
    let total = ranked.len();
    let page: Vec<_> = ranked
        .into_iter()
        .skip(offset)
        .take(max_results as usize)
        .collect();
    let views = message_views(
        &ctx,
        &client,
        page.iter().map(|(i, _)| candidates[*i].1.clone()).collect(),
    )
    .await;
    let results: Vec<FoundMessage> = page
        .iter()
        .zip(views)
        .map(|((i, hit), message)| {
            let (space, m) = candidates[*i];
            FoundMessage {
                score: (hit.score * 10_000.0).round() / 10_000.0,
                space: space.name.clone(),
                space_name: space_label(space),
                snippet: snippet(
                    m.text.as_deref().unwrap_or_default(),
                    hit.span,
                    SNIPPET_CHARS,
                ),
                message,
            }
        })
        .collect();
    let next = offset + results.len();
    Ok(SearchResult {
        query: args.query,
        total_matches: total,
        count: results.len(),
        results,
        searched: searched(&fetched, skipped, since, until, Some(mode)),
        next_page_token: (next < total).then(|| {
            SearchToken {
                offset: next,
                since,
                until,
                fingerprint: print,
            }
            .encode()
        }),
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MentionsArgs {
    /// How many days back to look (1–90, default 7).
    pub days_window: Option<u32>,
    /// Spaces to look in (`spaces/AAA` or `AAA`); default: every space the person is in.
    pub spaces: Option<Vec<String>>,
    /// Most mentions to return, newest first (1–500, default 50).
    pub limit: Option<u32>,
    /// Email of the Google account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Mention {
    /// `direct` (the person by name) or `all` (@all).
    pub mention: &'static str,
    pub space: String,
    pub space_name: String,
    #[serde(flatten)]
    pub message: MessageView,
}

#[derive(Debug, Serialize)]
pub struct MentionsResult {
    pub user: String,
    pub total: usize,
    pub count: usize,
    pub truncated: bool,
    pub mentions: Vec<Mention>,
    pub searched: Searched,
}

/// How `message` mentions `me`, from its annotations: `direct`, `all`, or not at all.
pub fn mention_kind(message: &Message, me: &str) -> Option<&'static str> {
    let mut kind = None;
    for a in message
        .annotations
        .iter()
        .filter(|a| a.kind.as_deref() == Some("USER_MENTION"))
    {
        let Some(um) = &a.user_mention else { continue };
        let user = um.user.as_ref().map(|u| u.name.as_str());
        if user == Some(me) {
            return Some("direct");
        }
        if user == Some("users/all") || um.kind.as_deref() == Some("MENTION_ALL") {
            kind = Some("all");
        }
    }
    kind
}

pub async fn get_my_mentions(
    ctx: Arc<Context>,
    args: MentionsArgs,
) -> Result<MentionsResult, ToolError> {
    let (since, until) = last_days(args.days_window, 7, 90)?;
    let wanted = space_names(args.spaces.as_deref())?;
    let limit = args.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ToolError::invalid_argument(
            "invalid argument `limit`: use 1 to 500",
        ));
    }
    let client = ctx.client(args.account.as_deref())?;
    let me = client.account().record().user_id.clone().ok_or_else(|| {
        ToolError::new(
            ToolErrorKind::NeedsSignIn,
            "chatkey does not know this account's Google user id: run `chatkey login google-chat` again",
        )
    })?;
    let spaces = resolve_spaces(&client, wanted).await?;
    let (fetched, skipped) = fetch_window(&client, spaces, since, until).await?;
    let mut found: Vec<(&'static str, &Space, &Message)> = fetched
        .iter()
        .flat_map(|f| f.messages.iter().map(move |m| (&f.space, m)))
        // Your own @all is not a mention of you.
        .filter(|(_, m)| m.sender.as_ref().is_none_or(|s| s.name != me))
        .filter_map(|(s, m)| mention_kind(m, &me).map(|k| (k, s, m)))
        .collect();
    found.sort_by(|a, b| {
        time_of(b.2)
            .cmp(&time_of(a.2))
            .then_with(|| a.2.name.cmp(&b.2.name))
    });
    let total = found.len();
    found.truncate(limit as usize);
    let views = message_views(
        &ctx,
        &client,
        found.iter().map(|(_, _, m)| (*m).clone()).collect(),
    )
    .await;
    let mentions: Vec<Mention> = found
        .iter()
        .zip(views)
        .map(|((kind, space, _), message)| Mention {
            mention: kind,
            space: space.name.clone(),
            space_name: space_label(space),
            message,
        })
        .collect();
    Ok(MentionsResult {
        user: me,
        total,
        count: mentions.len(),
        truncated: total > mentions.len(),
        mentions,
        searched: searched(&fetched, skipped, since, until, None),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::google_chat::models::{Annotation, User, UserMention};

    fn mentioning(user: &str, kind: &str) -> Message {
        Message {
            annotations: vec![Annotation {
                kind: Some("USER_MENTION".into()),
                user_mention: Some(UserMention {
                    user: Some(User {
                        name: user.into(),
                        ..Default::default()
                    }),
                    kind: Some(kind.into()),
                }),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn mentions_come_from_annotations() {
        assert_eq!(
            mention_kind(&mentioning("users/1", "MENTION"), "users/1"),
            Some("direct")
        );
        assert_eq!(
            mention_kind(&mentioning("users/2", "MENTION"), "users/1"),
            None
        );
        assert_eq!(
            mention_kind(&mentioning("users/all", "MENTION"), "users/1"),
            Some("all")
        );
        assert_eq!(
            mention_kind(&mentioning("users/9", "MENTION_ALL"), "users/1"),
            Some("all")
        );
        let plain = Message {
            text: Some("thanks users/1 Alex".into()),
            ..Default::default()
        };
        assert_eq!(mention_kind(&plain, "users/1"), None);
    }

    #[test]
    fn tokens_carry_the_window_and_refuse_another_query() {
        let t = SearchToken {
            offset: 20,
            since: Utc::now(),
            until: Utc::now(),
            fingerprint: fingerprint("a", Mode::Exact, &[]),
        };
        let back = SearchToken::decode(&t.encode()).unwrap();
        assert_eq!(back.offset, 20);
        assert_ne!(back.fingerprint, fingerprint("b", Mode::Exact, &[]));
        assert_ne!(back.fingerprint, fingerprint("a", Mode::Regex, &[]));
        assert!(SearchToken::decode("garbage!").is_err());
    }
}
