//! `hybrid` mode (the default): exact phrase hits and BM25 relevance combined by reciprocal
//! rank fusion, so a message containing the whole phrase ranks first and messages sharing
//! only some words still appear below it. RRF needs no score calibration between the two.

use super::bm25::Bm25;
use super::exact::Exact;
use super::{Hit, Ranker, SearchError};

/// RRF's damping constant (60 in the original paper); larger flattens rank differences.
const K: f64 = 60.0;

#[derive(Debug, Default)]
pub struct Hybrid {
    pub exact: Exact,
    pub bm25: Bm25,
}

/// Document indexes ordered best first; ties keep document order.
fn ranking(hits: &[Option<Hit>]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..hits.len()).filter(|&i| hits[i].is_some()).collect();
    order.sort_by(|&a, &b| {
        let (sa, sb) = (
            hits[a].as_ref().map(|h| h.score),
            hits[b].as_ref().map(|h| h.score),
        );
        sb.partial_cmp(&sa).unwrap_or(std::cmp::Ordering::Equal)
    });
    order
}

impl Ranker for Hybrid {
    fn score(&self, query: &str, docs: &[&str]) -> Result<Vec<Option<Hit>>, SearchError> {
        self.check(query)?;
        let exact = self.exact.score(query, docs)?;
        // A query of symbols has no words for BM25; the exact phrase still counts.
        let relevance = self
            .bm25
            .score(query, docs)
            .unwrap_or_else(|_| vec![None; docs.len()]);
        let mut out: Vec<Option<Hit>> = vec![None; docs.len()];
        for (hits, weight) in [(&exact, 2.0), (&relevance, 1.0)] {
            for (rank, i) in ranking(hits).into_iter().enumerate() {
                let add = weight / (K + rank as f64 + 1.0);
                let span = hits[i].as_ref().and_then(|h| h.span);
                match &mut out[i] {
                    Some(h) => h.score += add,
                    slot => *slot = Some(Hit { score: add, span }),
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrase_hits_outrank_word_hits() {
        let docs = [
            "rollback failed, deploy paused",
            "the deploy failed at 10:02",
            "lunch",
            "failed deploy of the deploy failed? deploy deploy",
        ];
        let h = Hybrid::default().score("deploy failed", &docs).unwrap();
        assert!(h[2].is_none());
        let s = |i: usize| h[i].as_ref().unwrap().score;
        assert!(s(1) > s(0), "{h:?}");
        assert!(s(3) > s(0), "{h:?}");
        // The phrase's span is shown, not the first lone word.
        let span = h[1].as_ref().unwrap().span.unwrap();
        assert_eq!(&docs[1][span.0..span.1], "deploy failed");
    }

    #[test]
    fn symbols_fall_back_to_exact() {
        let h = Hybrid::default()
            .score("#4021", &["see #4021", "none"])
            .unwrap();
        assert!(h[0].is_some() && h[1].is_none());
    }
}
