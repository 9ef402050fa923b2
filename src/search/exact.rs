//! `exact` mode: the query as a phrase, found anywhere in a message after both are
//! normalised (case, accents, apostrophes, whitespace) and with contraction variants, so
//! "don't deploy" finds "Do NOT deploy". The score is the number of occurrences.

use super::normalize::{Normalizer, variants};
use super::{Hit, Ranker, SearchError};

#[derive(Debug, Default)]
pub struct Exact {
    pub normalizer: Normalizer,
}

impl Exact {
    /// The spellings to look for, normalised.
    pub fn needles(&self, query: &str) -> Vec<String> {
        variants(&self.normalizer.normalize(query).text)
    }

    /// The hit for one document given the needles, if any.
    pub fn find(&self, needles: &[String], doc: &str) -> Option<Hit> {
        let n = self.normalizer.normalize(doc);
        let mut count = 0usize;
        let mut first: Option<(usize, usize)> = None;
        for needle in needles.iter().filter(|n| !n.is_empty()) {
            for (at, m) in n.text.match_indices(needle.as_str()) {
                count += 1;
                if first.is_none_or(|(s, _)| at < s) {
                    first = Some((at, at + m.len()));
                }
            }
        }
        let (start, end) = first?;
        Some(Hit {
            score: count as f64,
            span: Some(n.original_span(start, end)),
        })
    }
}

impl Ranker for Exact {
    fn score(&self, query: &str, docs: &[&str]) -> Result<Vec<Option<Hit>>, SearchError> {
        self.check(query)?;
        let needles = self.needles(query);
        Ok(docs.iter().map(|d| self.find(&needles, d)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(query: &str, docs: &[&str]) -> Vec<Option<Hit>> {
        Exact::default().score(query, docs).unwrap()
    }

    #[test]
    fn phrase_match_is_folded() {
        let docs = [
            "We do NOT deploy on Fridays",
            "don\u{2019}t deploy today",
            "deploy do not",
            "Café meeting",
        ];
        let h = hits("don't deploy", &docs);
        assert!(h[1].is_some());
        assert!(h[2].is_none(), "words out of order are not the phrase");
        let h = hits("do not deploy", &docs);
        assert!(h[0].is_some() && h[1].is_some());
        let h = hits("cafe", &docs);
        let span = h[3].as_ref().unwrap().span.unwrap();
        assert_eq!(&docs[3][span.0..span.1], "Café");
    }

    #[test]
    fn counts_occurrences() {
        let h = hits("ok", &["ok ok OK", "ok", "nothing"]);
        assert_eq!(h[0].as_ref().unwrap().score, 3.0);
        assert_eq!(h[1].as_ref().unwrap().score, 1.0);
        assert!(h[2].is_none());
    }

    #[test]
    fn contractions_both_ways() {
        let docs = [
            "I am on it",
            "I'm on it",
            "it is done",
            "it's done",
            "let us go",
        ];
        let h = hits("i'm on it", &docs);
        assert!(h[0].is_some() && h[1].is_some());
        let h = hits("it is done", &docs);
        assert!(h[2].is_some() && h[3].is_some());
        assert!(hits("let's go", &docs)[4].is_some());
    }
}
