//! `relevance` mode: Okapi BM25 over the fetched messages (the collection is the window that
//! was fetched, so IDF says how rare a word is in this conversation). Words are normalised
//! and contractions expanded, so "can't" and "cannot" are the same words.

use std::collections::{HashMap, HashSet};

use super::normalize::{Normalizer, expand_contractions};
use super::{Hit, Ranker, SearchError};

#[derive(Debug)]
pub struct Bm25 {
    pub k1: f64,
    pub b: f64,
    pub normalizer: Normalizer,
}

impl Default for Bm25 {
    fn default() -> Self {
        Self {
            k1: 1.2,
            b: 0.75,
            normalizer: Normalizer::default(),
        }
    }
}

/// Lower-case words: runs of letters and digits after normalisation.
pub fn tokenize(normalizer: &Normalizer, text: &str) -> Vec<String> {
    let folded = expand_contractions(&normalizer.normalize(text).text);
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

impl Ranker for Bm25 {
    fn score(&self, query: &str, docs: &[&str]) -> Result<Vec<Option<Hit>>, SearchError> {
        self.check(query)?;
        let terms: Vec<String> = {
            let mut seen = HashSet::new();
            tokenize(&self.normalizer, query)
                .into_iter()
                .filter(|t| seen.insert(t.clone()))
                .collect()
        };
        if terms.is_empty() {
            return Err(SearchError(
                "invalid argument `query`: it has no words to rank by; use mode `regex` to search for symbols".into(),
            ));
        }
        let tokenized: Vec<Vec<String>> =
            docs.iter().map(|d| tokenize(&self.normalizer, d)).collect();
        let n = docs.len() as f64;
        let avg_len = (tokenized.iter().map(Vec::len).sum::<usize>() as f64 / n.max(1.0)).max(1.0);
        let mut df: HashMap<&str, f64> = HashMap::new();
        for doc in &tokenized {
            let unique: HashSet<&str> = doc.iter().map(String::as_str).collect();
            for t in &terms {
                if unique.contains(t.as_str()) {
                    *df.entry(t.as_str()).or_default() += 1.0;
                }
            }
        }
        Ok(docs
            .iter()
            .zip(&tokenized)
            .map(|(doc, words)| {
                let len = words.len() as f64;
                let mut score = 0.0;
                for t in &terms {
                    let tf = words.iter().filter(|w| *w == t).count() as f64;
                    if tf == 0.0 {
                        continue;
                    }
                    let d = df.get(t.as_str()).copied().unwrap_or(0.0);
                    let idf = (1.0 + (n - d + 0.5) / (d + 0.5)).ln();
                    score += idf * tf * (self.k1 + 1.0)
                        / (tf + self.k1 * (1.0 - self.b + self.b * len / avg_len));
                }
                (score > 0.0).then(|| Hit {
                    score,
                    span: self.first_term(doc, &terms),
                })
            })
            .collect())
    }
}

impl Bm25 {
    /// Where the earliest query word appears, for the snippet.
    fn first_term(&self, doc: &str, terms: &[String]) -> Option<(usize, usize)> {
        let n = self.normalizer.normalize(doc);
        terms
            .iter()
            .filter_map(|t| n.text.find(t.as_str()).map(|at| (at, at + t.len())))
            .min()
            .map(|(s, e)| n.original_span(s, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rare_words_and_more_matches_rank_higher() {
        let docs = [
            "the deploy of the checkout service failed",
            "the the the the",
            "deploy went fine",
            "checkout deploy failed again, checkout rollback",
            "lunch?",
        ];
        let h = Bm25::default()
            .score("checkout deploy failed", &docs)
            .unwrap();
        assert!(h[1].is_none() && h[4].is_none());
        let s = |i: usize| h[i].as_ref().unwrap().score;
        assert!(s(3) > s(2) && s(0) > s(2), "{h:?}");
        let span = h[2].as_ref().unwrap().span.unwrap();
        assert_eq!(&docs[2][span.0..span.1], "deploy");
    }

    #[test]
    fn contractions_are_words() {
        assert_eq!(
            tokenize(&Normalizer::default(), "We CAN'T—it's Tomás’s"),
            ["we", "cannot", "it", "is", "tomas", "s"]
        );
        let h = Bm25::default()
            .score("cannot", &["I can't", "I can"])
            .unwrap();
        assert!(h[0].is_some() && h[1].is_none());
    }

    #[test]
    fn a_query_of_symbols_is_refused() {
        assert!(Bm25::default().score("!!!", &["x"]).is_err());
    }
}
