//! `regex` mode: a regular expression over the original text, case-insensitive. The `regex`
//! crate runs in linear time (no backtracking), and the compiled program and its lazy DFA are
//! capped, so a hostile pattern costs an error message, not the daemon's CPU or memory.

use regex::{Regex, RegexBuilder};

use super::{Hit, Ranker, SearchError};

/// Longest pattern accepted, in characters.
pub const MAX_PATTERN_CHARS: usize = 500;
/// Compiled program size cap (bytes).
const SIZE_LIMIT: usize = 1 << 20;
/// Lazy DFA cache cap (bytes).
const DFA_SIZE_LIMIT: usize = 2 << 20;

#[derive(Debug, Default)]
pub struct Pattern;

/// Compiles `query` within the limits, or says what is wrong with it.
pub fn compile(query: &str) -> Result<Regex, SearchError> {
    super::check_query(query)?;
    let chars = query.chars().count();
    if chars > MAX_PATTERN_CHARS {
        return Err(SearchError(format!(
            "invalid argument `query`: a regex of {chars} characters is over the limit of {MAX_PATTERN_CHARS}; use a shorter pattern"
        )));
    }
    RegexBuilder::new(query)
        .case_insensitive(true)
        .size_limit(SIZE_LIMIT)
        .dfa_size_limit(DFA_SIZE_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(_) => SearchError(
                "invalid argument `query`: the regex is too complex (it compiles too big); simplify it, e.g. fewer or smaller repetitions".into(),
            ),
            other => SearchError(format!(
                "invalid argument `query`: not a valid regex ({}); fix the pattern or use mode `exact` for plain text",
                other.to_string().lines().last().unwrap_or("syntax error").trim()
            )),
        })
}

impl Ranker for Pattern {
    fn check(&self, query: &str) -> Result<(), SearchError> {
        compile(query).map(|_| ())
    }

    fn score(&self, query: &str, docs: &[&str]) -> Result<Vec<Option<Hit>>, SearchError> {
        let re = compile(query)?;
        Ok(docs
            .iter()
            .map(|doc| {
                let mut found = re.find_iter(doc).filter(|m| !m.is_empty());
                let first = found.next()?;
                Some(Hit {
                    score: 1.0 + found.count() as f64,
                    span: Some((first.start(), first.end())),
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_case_insensitively() {
        let docs = ["PR #1234 merged", "pr 99", "nothing"];
        let h = Pattern.score(r"pr #?\d{4}", &docs).unwrap();
        assert_eq!(h[0].as_ref().unwrap().span, Some((0, 8)));
        assert!(h[1].is_none() && h[2].is_none());
    }

    #[test]
    fn bad_and_huge_patterns_are_refused() {
        let e = Pattern.check("(unclosed").unwrap_err();
        assert!(e.0.contains("not a valid regex"), "{}", e.0);
        let e = Pattern.check(r"\w{1000}\w{1000}\w{1000}").unwrap_err();
        assert!(e.0.contains("too complex"), "{}", e.0);
        let e = Pattern
            .check(&"a".repeat(MAX_PATTERN_CHARS + 1))
            .unwrap_err();
        assert!(e.0.contains("limit"), "{}", e.0);
    }

    #[test]
    fn empty_matches_do_not_count() {
        let h = Pattern.score("x*", &["abc", "xx"]).unwrap();
        assert!(h[0].is_none());
        assert!(h[1].is_some());
    }
}
