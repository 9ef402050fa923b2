//! slack_search_messages: Slack's own search, ranked by chatkey's modes.
//!
//! Slack can search everything the person sees in one request (search.messages), so the
//! word modes ask it for the messages holding every word of the query in the window (one
//! search per conversation when `channels` is given) and rank what comes back locally:
//! `exact` asks for the quoted phrase and keeps the whole phrase only, `relevance` and
//! `hybrid` take Slack's best matches and order them by the shared rankers. Only the pages
//! the answer needs are read (one page of 100 for up to 50 results): search.messages is
//! Tier 2, 20 requests a minute, so every page beyond that is seconds of the person's wait.
//! Slack cannot search a regular expression, so `regex` reads the window's history of each
//! conversation instead, as get_my_mentions does, and matches locally. The result says which
//! path was taken and how much was looked at.

use std::collections::HashMap;
use std::sync::Arc;

use futures::stream::{self, StreamExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::channels::ChannelRef;
use super::super::client::SlackClient;
use super::super::models::{Message, SearchMatch, SearchResult};
use super::super::ts;
use super::catchup::{check_channels, conversations};
use super::views::{MessageView, message_views};
use super::window::{channel_name, window_messages};
use crate::providers::ProviderId;
use crate::providers::slack::Context;
use crate::search::{Mode, snippet};
use crate::time_window::last_days;
use crate::tools::{Hints, ToolError, ToolSpec};

const P: Option<ProviderId> = Some(ProviderId::Slack);
/// Matches read per search.messages page (Slack's maximum is 100).
const PAGE: u64 = 100;
/// Candidates read per result asked for: local re-ranking needs more than Slack's own top
/// `max_results`, and a page of 100 costs the same as a page of 20.
const CANDIDATES_PER_RESULT: u64 = 2;
/// Messages read per conversation in `regex` mode.
const SCAN_CAP: usize = 2000;
const CONCURRENT: usize = 4;
const SNIPPET_CHARS: usize = 160;

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![ToolSpec::new(
        "slack_search_messages",
        "Search Slack messages",
        "Search the signed-in person's Slack messages of the last `days_window` days (default 7, max 90) in every \
         conversation they can see, or only in `channels` (ids or names like `#eng`). Modes: `hybrid` (default: \
         whole-phrase hits first, then the others best first), `exact` (only messages with the whole phrase, ignoring \
         case, accents and contractions), `relevance` (BM25 word ranking) — these three use Slack's own search, which \
         finds messages holding every word — and `regex` (a case-insensitive regular expression; Slack cannot search \
         one, so chatkey reads each conversation's history of the window, slower on big workspaces). Results come best \
         first with score, conversation name, sender name, snippet and link, plus a `searched` block saying what was \
         looked at. At most `max_results` (1–200, default 20). For @-mentions of the person use slack_get_my_mentions.",
        P,
        Hints::READ,
        search_messages,
    )]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    /// What to look for: words, a phrase, or a regular expression when `mode` is `regex` (up to 1,000 characters).
    pub query: String,
    /// `hybrid` (default), `exact`, `relevance` or `regex`.
    pub mode: Option<Mode>,
    /// Conversations to search: ids (`C…`, `G…`, `D…`) or names (`#eng`); default: everything the person sees.
    pub channels: Option<Vec<String>>,
    /// How many days back to search (1–90, default 7).
    pub days_window: Option<u32>,
    /// How many results to return (1–200, default 20).
    pub max_results: Option<u32>,
    /// The Slack account to use when several are signed in: its email or workspace domain (`acme`).
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct FoundMessage {
    pub score: f64,
    pub channel_name: String,
    pub snippet: String,
    #[serde(flatten)]
    pub message: MessageView,
}

#[derive(Debug, Serialize)]
pub struct Searched {
    /// `search.messages` or `history` (regex mode).
    pub via: &'static str,
    /// Conversations searched; `None` when Slack searched everything at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channels: Option<usize>,
    /// Messages chatkey ranked.
    pub messages: usize,
    pub since: String,
    /// True when there were more candidates than chatkey read (Slack's best
    /// 2 × `max_results`, at least 100, per search; 2,000 messages per conversation in regex
    /// mode): `total_matches` is then Slack's own count.
    pub truncated: bool,
}

#[derive(Debug, Serialize)]
pub struct SearchOutput {
    pub query: String,
    pub mode: &'static str,
    pub total_matches: usize,
    pub count: usize,
    pub results: Vec<FoundMessage>,
    pub searched: Searched,
}

/// A candidate: where it is and the message as the views read it.
struct Candidate {
    channel: String,
    channel_name: String,
    message: Message,
}

pub async fn search_messages(
    ctx: Arc<Context>,
    args: SearchArgs,
) -> Result<SearchOutput, ToolError> {
    let mode = args.mode.unwrap_or_default();
    let ranker = mode.ranker();
    ranker
        .check(&args.query)
        .map_err(|e| ToolError::invalid_argument(e.0))?;
    if args.days_window.is_some_and(|d| d == 0 || d > 90) {
        return Err(ToolError::invalid_argument(
            "invalid argument `days_window`: use 1 to 90 days",
        ));
    }
    let (since, _) = last_days(args.days_window, 7, 90)?;
    check_channels(args.channels.as_deref())?;
    let max_results = args.max_results.unwrap_or(20);
    if !(1..=200).contains(&max_results) {
        return Err(ToolError::invalid_argument(
            "invalid argument `max_results`: use 1 to 200",
        ));
    }
    let client = ctx.client(args.account.as_deref())?;
    let oldest = ts::from_time(since);
    let targets = match (&args.channels, mode) {
        (None, m) if m != Mode::Regex => None,
        (list, _) => Some(conversations(&ctx, &client, list.as_deref()).await?),
    };
    let (candidates, truncated, slack_total, via) = if mode == Mode::Regex {
        let (c, t) = scan_history(&client, targets.as_deref().unwrap_or_default(), &oldest).await?;
        (c, t, 0, "history")
    } else {
        let read = Reading::for_mode(mode, max_results);
        let term = slack_terms(&args.query, read.phrase);
        let queries = queries_for(&term, targets.as_deref(), since);
        let found = slack_search(&client, queries, read).await?;
        (
            found.candidates,
            found.truncated,
            found.total,
            "search.messages",
        )
    };
    let candidates: Vec<Candidate> = candidates
        .into_iter()
        .filter(|c| ts::cmp(&c.message.ts, &oldest).is_ge())
        .collect();

    let docs: Vec<&str> = candidates
        .iter()
        .map(|c| c.message.text.as_deref().unwrap_or_default())
        .collect();
    // Equal scores newest first, so results are stable.
    let mut ranked = crate::search::rank(ranker.as_ref(), &args.query, &docs, |a, b| {
        ts::cmp(&candidates[b].message.ts, &candidates[a].message.ts)
    })
    .map_err(|e| ToolError::invalid_argument(e.0))?;
    // What was not read cannot be counted here; Slack counted it.
    let total_matches = if truncated {
        ranked.len().max(slack_total)
    } else {
        ranked.len()
    };
    ranked.truncate(max_results as usize);

    // Names and links for the results only, one lookup batch per conversation.
    let mut by_channel: HashMap<&str, Vec<usize>> = HashMap::new();
    for (slot, (i, _)) in ranked.iter().enumerate() {
        by_channel
            .entry(candidates[*i].channel.as_str())
            .or_default()
            .push(slot);
    }
    let mut views: Vec<Option<MessageView>> = (0..ranked.len()).map(|_| None).collect();
    for (channel, slots) in &by_channel {
        let messages: Vec<Message> = slots
            .iter()
            .map(|s| candidates[ranked[*s].0].message.clone())
            .collect();
        let page = message_views(&ctx, &client, channel, &messages).await;
        for (slot, view) in slots.iter().zip(page) {
            views[*slot] = Some(view);
        }
    }
    let results: Vec<FoundMessage> = ranked
        .iter()
        .zip(views)
        .filter_map(|((i, hit), view)| {
            let view = view?;
            let raw = candidates[*i].message.text.as_deref().unwrap_or_default();
            // The span is in the raw text; a snippet of the readable text when it has none.
            let snip = match hit.span {
                Some(_) => snippet(raw, hit.span, SNIPPET_CHARS),
                None => snippet(&view.text, None, SNIPPET_CHARS),
            };
            Some(FoundMessage {
                score: (hit.score * 1000.0).round() / 1000.0,
                channel_name: candidates[*i].channel_name.clone(),
                snippet: snip,
                message: view,
            })
        })
        .collect();
    Ok(SearchOutput {
        query: args.query,
        mode: mode.as_str(),
        total_matches,
        count: results.len(),
        results,
        searched: Searched {
            via,
            channels: targets.as_ref().map(Vec::len),
            messages: candidates.len(),
            since: since.to_rfc3339(),
            truncated,
        },
    })
}

/// The Slack search terms for `query`'s words (quotes and operator characters such as `:`
/// and `@` dropped, so the person's text is searched as text); one quoted phrase when
/// `phrase`.
pub fn slack_terms(query: &str, phrase: bool) -> String {
    let words: Vec<String> = query
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-' || c == '_' || c == '.'))
        .map(|w| w.trim_matches(|c: char| c == '-' || c == '.' || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    let q = words.join(" ");
    if phrase && !q.is_empty() {
        format!("\"{q}\"")
    } else {
        q
    }
}

/// How one search reads Slack's answer: in which order, and how much of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// Quote the query: only the whole phrase matches.
    pub phrase: bool,
    /// `timestamp` (newest first) or `score` (Slack's relevance).
    pub sort: &'static str,
    /// Pages of 100 to read at most.
    pub pages: u64,
}

impl Reading {
    pub fn for_mode(mode: Mode, max_results: u32) -> Self {
        let want = (u64::from(max_results) * CANDIDATES_PER_RESULT).max(PAGE);
        Self {
            phrase: mode == Mode::Exact,
            // Exact hits all score alike and rank newest first; the others re-rank Slack's best.
            sort: if mode == Mode::Exact {
                "timestamp"
            } else {
                "score"
            },
            pages: want.div_ceil(PAGE),
        }
    }
}

/// What the searches found: the candidates read, whether there were more, and how many
/// Slack counted in all.
struct Found {
    candidates: Vec<Candidate>,
    truncated: bool,
    total: usize,
}

/// One search per conversation in `targets`, or one for everything: `term` then `in:` and
/// the window's `after:`.
fn queries_for(
    term: &str,
    targets: Option<&[ChannelRef]>,
    since: chrono::DateTime<chrono::Utc>,
) -> Vec<(Option<ChannelRef>, String)> {
    // `after:` is exclusive and by day: the day before the window starts.
    let day = since.date_naive();
    let after = day.pred_opt().unwrap_or(day);
    let one = |channel: Option<&str>| {
        let mut q = term.to_owned();
        if let Some(c) = channel {
            q.push_str(&format!(" in:<#{c}>"));
        }
        q.push_str(&format!(" after:{after}"));
        q.trim().to_owned()
    };
    match targets {
        None => vec![(None, one(None))],
        Some(list) => list
            .iter()
            .map(|c| (Some(c.clone()), one(Some(&c.id))))
            .collect(),
    }
}

/// Messages that mention `user` (Slack's search for `<@U…>`) since `since`, thread replies
/// included, in every conversation or only `targets`: (conversation id, its name, message),
/// and whether more were left unread.
pub(super) async fn mentioning(
    client: &SlackClient,
    user: &str,
    targets: Option<&[ChannelRef]>,
    since: chrono::DateTime<chrono::Utc>,
    limit: u32,
) -> Result<(Vec<(String, String, Message)>, bool), ToolError> {
    let read = Reading {
        phrase: false,
        sort: "timestamp",
        pages: u64::from(limit).div_ceil(PAGE).max(1),
    };
    let found = slack_search(
        client,
        queries_for(&format!("<@{user}>"), targets, since),
        read,
    )
    .await?;
    Ok((
        found
            .candidates
            .into_iter()
            .map(|c| (c.channel, c.channel_name, c.message))
            .collect(),
        found.truncated,
    ))
}

async fn slack_search(
    client: &SlackClient,
    queries: Vec<(Option<ChannelRef>, String)>,
    read: Reading,
) -> Result<Found, ToolError> {
    let answers: Vec<Result<Found, ToolError>> = stream::iter(queries)
        .map(|(target, q)| async move {
            let mut out = Vec::new();
            let mut page = 1;
            loop {
                let answer: SearchResult = client
                    .call(
                        "search.messages",
                        &json!({"query": q, "count": PAGE, "page": page, "sort": read.sort, "sort_dir": "desc"}),
                    )
                    .await?;
                let next = answer.next_page();
                let total = usize::try_from(answer.messages.total).unwrap_or(usize::MAX);
                out.extend(
                    answer
                        .messages
                        .matches
                        .into_iter()
                        .map(|m| candidate(m, target.as_ref())),
                );
                match next {
                    Some(n) if n <= read.pages => page = n,
                    more => {
                        return Ok(Found {
                            candidates: out,
                            truncated: more.is_some(),
                            total,
                        });
                    }
                }
            }
        })
        .buffered(CONCURRENT)
        .collect()
        .await;
    let mut all = Found {
        candidates: Vec::new(),
        truncated: false,
        total: 0,
    };
    for a in answers {
        let found = a?;
        all.candidates.extend(found.candidates);
        all.truncated |= found.truncated;
        all.total = all.total.saturating_add(found.total);
    }
    Ok(all)
}

/// A search match as a message: its thread comes from the permalink (`?thread_ts=`), which
/// is the only place search.messages says it.
fn candidate(m: SearchMatch, target: Option<&ChannelRef>) -> Candidate {
    let thread_ts = m
        .permalink
        .as_deref()
        .and_then(|p| url::Url::parse(p).ok())
        .and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "thread_ts")
                .map(|(_, v)| v.into_owned())
        });
    let channel_name = match target {
        Some(c) => channel_name(c),
        None => match (&m.channel.name, m.channel.is_im || m.channel.is_mpim) {
            (Some(n), false) => format!("#{n}"),
            (Some(n), true) => n.clone(),
            (None, _) => m.channel.id.clone(),
        },
    };
    Candidate {
        channel: m.channel.id.clone(),
        channel_name,
        message: Message {
            kind: m.kind,
            ts: m.ts,
            thread_ts,
            user: m.user,
            username: m.username,
            text: m.text,
            team: m.team,
            files: m.files,
            ..Default::default()
        },
    }
}

/// A conversation's window as window_messages reads it: the messages, and whether capped.
type Window = Result<(Vec<Message>, bool), ToolError>;

async fn scan_history(
    client: &SlackClient,
    targets: &[ChannelRef],
    oldest: &str,
) -> Result<(Vec<Candidate>, bool), ToolError> {
    let fetched: Vec<(ChannelRef, Window)> = stream::iter(targets.iter().cloned())
        .map(|c| async move {
            let r = window_messages(client, &c.id, oldest, SCAN_CAP).await;
            (c, r)
        })
        .buffered(CONCURRENT)
        .collect()
        .await;
    let mut out = Vec::new();
    let mut truncated = false;
    for (c, r) in fetched {
        let (messages, t) = r?;
        truncated |= t;
        let name = channel_name(&c);
        out.extend(messages.into_iter().map(|m| Candidate {
            channel: c.id.clone(),
            channel_name: name.clone(),
            message: m,
        }));
    }
    Ok((out, truncated))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slack_query_is_the_words_the_channel_and_the_day_before() {
        use chrono::TimeZone;
        let since = chrono::Utc.with_ymd_and_hms(2026, 3, 10, 8, 0, 0).unwrap();
        let terms = slack_terms("\"payments-api\" from:@x, deploy!", false);
        assert_eq!(terms, "payments-api from x deploy");
        assert_eq!(
            queries_for(&terms, None, since),
            vec![(
                None,
                "payments-api from x deploy after:2026-03-09".to_owned()
            )]
        );
        assert_eq!(
            slack_terms("Payments \"API\" down", true),
            "\"Payments API down\""
        );
        assert_eq!(
            queries_for("<@U1>", None, since)[0].1,
            "<@U1> after:2026-03-09"
        );
    }

    #[test]
    fn only_the_pages_the_answer_needs_are_read() {
        let hybrid = Reading::for_mode(Mode::Hybrid, 20);
        assert_eq!(
            (hybrid.phrase, hybrid.sort, hybrid.pages),
            (false, "score", 1)
        );
        assert_eq!(Reading::for_mode(Mode::Relevance, 50).pages, 1);
        assert_eq!(Reading::for_mode(Mode::Relevance, 51).pages, 2);
        let exact = Reading::for_mode(Mode::Exact, 200);
        assert_eq!(
            (exact.phrase, exact.sort, exact.pages),
            (true, "timestamp", 4)
        );
    }
}
