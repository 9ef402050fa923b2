//! Provider-neutral message search: ranking a set of fetched documents against a query.
//!
//! Chat APIs offer no full-text search over a person's messages, so chatkey fetches a time
//! window and ranks it here. Every mode is a `Ranker`: it takes the query and the candidate
//! texts and returns a score (and where the match is, for a snippet) for each text that
//! matches. The trait is the seam for a later semantic ranker; the modes today are `exact`
//! (normalised phrase match with contraction variants), `regex` (linear-time `regex` crate),
//! `relevance` (BM25) and `hybrid` (reciprocal rank fusion of exact and BM25, the default).

pub mod bm25;
pub mod exact;
pub mod hybrid;
pub mod normalize;
pub mod pattern;

use serde::{Deserialize, Serialize};

/// The longest query accepted, in characters; a longer one is a paste, not a search.
pub const MAX_QUERY_CHARS: usize = 1000;

/// One matching document: how well it matches, and where (byte range in the original text).
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub score: f64,
    pub span: Option<(usize, usize)>,
}

/// Why a query cannot be searched; the message says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SearchError(pub String);

/// Scores candidate documents against a query.
pub trait Ranker: Send + Sync {
    /// Checks the query before any document is fetched (a bad regex fails here).
    fn check(&self, query: &str) -> Result<(), SearchError> {
        check_query(query)
    }
    /// One entry per document, in order: `Some(hit)` for documents that match.
    fn score(&self, query: &str, docs: &[&str]) -> Result<Vec<Option<Hit>>, SearchError>;
}

/// The search modes assistants choose from.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Case-, accent- and contraction-insensitive phrase match.
    Exact,
    /// A regular expression (case-insensitive).
    Regex,
    /// BM25 relevance over words; finds messages with some of the words.
    Relevance,
    /// Exact phrase hits first, then relevance (default).
    #[default]
    Hybrid,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Exact => "exact",
            Mode::Regex => "regex",
            Mode::Relevance => "relevance",
            Mode::Hybrid => "hybrid",
        }
    }

    pub fn ranker(self) -> Box<dyn Ranker> {
        match self {
            Mode::Exact => Box::new(exact::Exact::default()),
            Mode::Regex => Box::new(pattern::Pattern),
            Mode::Relevance => Box::new(bm25::Bm25::default()),
            Mode::Hybrid => Box::new(hybrid::Hybrid::default()),
        }
    }
}

/// The documents `ranker` finds for `query`, best first, as (index into `docs`, hit).
/// Equal scores are ordered by `tie` (newest first, say), so a page is the same on every
/// call; every provider's search ranks through here.
pub fn rank(
    ranker: &dyn Ranker,
    query: &str,
    docs: &[&str],
    tie: impl Fn(usize, usize) -> std::cmp::Ordering,
) -> Result<Vec<(usize, Hit)>, SearchError> {
    let mut ranked: Vec<(usize, Hit)> = ranker
        .score(query, docs)?
        .into_iter()
        .enumerate()
        .filter_map(|(i, h)| h.map(|h| (i, h)))
        .collect();
    ranked.sort_by(|a, b| {
        b.1.score
            .partial_cmp(&a.1.score)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| tie(a.0, b.0))
    });
    Ok(ranked)
}

/// The checks every mode shares: something to search for, and not too much of it.
pub fn check_query(query: &str) -> Result<(), SearchError> {
    if query.trim().is_empty() {
        return Err(SearchError(
            "invalid argument `query`: it is empty; give the words or phrase to look for".into(),
        ));
    }
    let chars = query.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(SearchError(format!(
            "invalid argument `query`: {chars} characters is over the limit of {MAX_QUERY_CHARS}; search for a shorter phrase"
        )));
    }
    Ok(())
}

/// About `width` characters of `text` around `span`, on one line, with `…` where cut.
pub fn snippet(text: &str, span: Option<(usize, usize)>, width: usize) -> String {
    let (start, end) = span.unwrap_or((0, 0));
    let start = floor_boundary(text, start.min(text.len()));
    let end = floor_boundary(text, end.clamp(start, text.len()));
    let before: Vec<(usize, char)> = text[..start].char_indices().collect();
    let match_chars = text[start..end].chars().count();
    let context = width.saturating_sub(match_chars) / 2;
    let first = before.len().saturating_sub(context);
    let from = before.get(first).map_or(start, |(i, _)| *i);
    let after_budget = width.saturating_sub(match_chars + (before.len() - first));
    let to = text[end..]
        .char_indices()
        .nth(after_budget)
        .map_or(text.len(), |(i, _)| end + i);
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    out.push_str(&text[from..to]);
    if to < text.len() {
        out.push('…');
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_show_the_match_with_context() {
        let text = format!(
            "{} the deploy failed {}",
            "a ".repeat(100),
            "b ".repeat(100)
        );
        let at = text.find("deploy").unwrap();
        let s = snippet(&text, Some((at, at + 6)), 40);
        assert!(s.contains("the deploy failed"), "{s}");
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.chars().count() <= 45, "{s}");
        assert_eq!(snippet("short\ntext", None, 40), "short text");
        // Multi-byte text and out-of-range spans never panic.
        let s = snippet("Tomás säger hej", Some((4, 200)), 10);
        assert!(s.starts_with("…ás"), "{s}");
    }

    #[test]
    fn queries_are_checked() {
        assert!(check_query("  ").is_err());
        assert!(check_query(&"x".repeat(MAX_QUERY_CHARS + 1)).is_err());
        assert!(check_query("deploy").is_ok());
    }
}
