//! teams_search_messages: every chat (and every channel, when the sign-in may read them)
//! over a window, read concurrently and ranked locally by the shared rankers (`exact`,
//! `regex`, `relevance`, `hybrid`). Microsoft Search's `/search/query` would need
//! ChannelMessage.Read.All for any chat search, so chatkey reads the windows itself; the
//! result says what was read and what was skipped.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::messages::{ConversationView, conversation_view, time_of};
use super::scan::{self, Scanned};
use super::views::{MessageView, message_view};
use crate::providers::ProviderId;
use crate::providers::teams::Context;
use crate::search::{Mode, snippet};
use crate::time_window::last_days;
use crate::tools::{Hints, ToolError, ToolSpec};

const P: Option<ProviderId> = Some(ProviderId::Teams);
/// Messages read per conversation.
const SCAN_CAP: usize = 1000;
const SNIPPET_CHARS: usize = 160;

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![ToolSpec::new(
        "teams_search_messages",
        "Search Teams messages",
        "Search the signed-in person's Teams messages of the last `days_window` days (default 7, max 30) in every chat, \
         and in every channel when the sign-in may read channels (admin consent; otherwise the result says channels \
         were skipped). Modes: `hybrid` (default: whole-phrase hits first, then the others best first), `exact` (the \
         whole phrase, ignoring case, accents and contractions), `relevance` (BM25 word ranking), `regex` (a \
         case-insensitive regular expression). Results best first with score, conversation, sender, snippet and \
         link, plus a `searched` block. At most `max_results` (1–200, default 20).",
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
    /// How many days back to search (1–30, default 7).
    pub days_window: Option<u32>,
    /// How many results to return (1–200, default 20).
    pub max_results: Option<u32>,
    /// The Microsoft account (email) to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Found {
    pub score: f64,
    pub conversation: ConversationView,
    pub conversation_name: String,
    pub snippet: String,
    #[serde(flatten)]
    pub message: MessageView,
}

#[derive(Debug, Serialize)]
pub struct SearchResult {
    pub query: String,
    pub mode: &'static str,
    pub total_matches: usize,
    pub count: usize,
    pub results: Vec<Found>,
    pub searched: Scanned,
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
    let (since, until) = last_days(args.days_window, 7, 30)?;
    let max_results = args.max_results.unwrap_or(20);
    if !(1..=200).contains(&max_results) {
        return Err(ToolError::invalid_argument(
            "invalid argument `max_results`: use 1 to 200",
        ));
    }
    let client = ctx.client(args.account.as_deref())?;
    let mut scanned = Scanned::default();
    let targets = scan::conversations(&client, true, &mut scanned).await?;
    let read = scan::windows(&client, targets, since, until, SCAN_CAP, &mut scanned).await?;
    let candidates: Vec<(&scan::Named, MessageView)> = read
        .iter()
        .flat_map(|(n, messages)| {
            messages
                .iter()
                .filter(|m| !m.is_deleted() && m.message_type.as_deref() == Some("message"))
                .map(move |m| (n, message_view(m, false)))
        })
        .collect();
    let docs: Vec<&str> = candidates.iter().map(|(_, v)| v.text.as_str()).collect();
    let ranked = crate::search::rank(ranker.as_ref(), &args.query, &docs, |a, b| {
        time_of(candidates[b].1.time.as_deref()).cmp(&time_of(candidates[a].1.time.as_deref()))
    })
    .map_err(|e| ToolError::invalid_argument(e.0))?;
    let total_matches = ranked.len();
    let results: Vec<Found> = ranked
        .into_iter()
        .take(max_results as usize)
        .map(|(i, hit)| {
            let (n, view) = &candidates[i];
            Found {
                score: (hit.score * 1000.0).round() / 1000.0,
                conversation: conversation_view(&n.conversation),
                conversation_name: n.name.clone(),
                snippet: snippet(&view.text, hit.span, SNIPPET_CHARS),
                message: view.clone(),
            }
        })
        .collect();
    Ok(SearchResult {
        query: args.query,
        mode: mode.as_str(),
        total_matches,
        count: results.len(),
        results,
        searched: scanned,
    })
}
