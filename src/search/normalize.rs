//! Text normalisation for matching: NFKC-compatible folding, lower case, optional accent
//! stripping, one kind of apostrophe, collapsed whitespace — with a map back to the original
//! text so a match can be shown in a snippet.
//!
//! Also the contraction variants the old server matched ("don't" finds "do not" and back):
//! people type either, and a phrase search that misses half the messages is worse than none.

use std::sync::LazyLock;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// A normalised text and, for each of its bytes, the byte in the original it came from.
#[derive(Debug, Clone)]
pub struct Normalized {
    pub text: String,
    map: Vec<usize>,
    original_len: usize,
}

impl Normalized {
    /// The original byte range behind the normalised range `[start, end)`.
    pub fn original_span(&self, start: usize, end: usize) -> (usize, usize) {
        let from = self.map.get(start).copied().unwrap_or(self.original_len);
        let to = if end >= self.map.len() {
            self.original_len
        } else {
            self.map[end]
        };
        (from, to.max(from))
    }
}

/// How text is folded before matching.
#[derive(Debug, Clone, Copy)]
pub struct Normalizer {
    pub strip_diacritics: bool,
}

impl Default for Normalizer {
    fn default() -> Self {
        Self {
            strip_diacritics: true,
        }
    }
}

impl Normalizer {
    pub fn normalize(&self, text: &str) -> Normalized {
        let mut out = String::with_capacity(text.len());
        let mut map = Vec::with_capacity(text.len());
        let mut last_space = true;
        for (i, c) in text.char_indices() {
            // Compatibility decomposition folds ligatures, full-width forms and the like;
            // both sides of a match go through the same folding, so composition order does
            // not matter.
            for d in std::iter::once(c).nfkd() {
                if self.strip_diacritics && is_combining_mark(d) {
                    continue;
                }
                let d = match d {
                    '\u{2018}' | '\u{2019}' | '\u{02BC}' | '\u{FF07}' | '`' => '\'',
                    other => other,
                };
                if d.is_whitespace() {
                    if !last_space {
                        out.push(' ');
                        map.push(i);
                    }
                    last_space = true;
                    continue;
                }
                last_space = false;
                for l in d.to_lowercase() {
                    let before = out.len();
                    out.push(l);
                    map.extend(std::iter::repeat_n(i, out.len() - before));
                }
            }
        }
        if out.ends_with(' ') {
            out.pop();
            map.pop();
        }
        Normalized {
            text: out,
            map,
            original_len: text.len(),
        }
    }
}

/// Contracted form and its expansion, lower case, straight apostrophe.
pub const CONTRACTIONS: &[(&str, &str)] = &[
    ("don't", "do not"),
    ("doesn't", "does not"),
    ("didn't", "did not"),
    ("can't", "cannot"),
    ("couldn't", "could not"),
    ("won't", "will not"),
    ("wouldn't", "would not"),
    ("shouldn't", "should not"),
    ("isn't", "is not"),
    ("aren't", "are not"),
    ("wasn't", "was not"),
    ("weren't", "were not"),
    ("hasn't", "has not"),
    ("haven't", "have not"),
    ("hadn't", "had not"),
    ("i'm", "i am"),
    ("i've", "i have"),
    ("i'll", "i will"),
    ("i'd", "i would"),
    ("you're", "you are"),
    ("we're", "we are"),
    ("they're", "they are"),
    ("it's", "it is"),
    ("that's", "that is"),
    ("there's", "there is"),
    ("what's", "what is"),
    ("let's", "let us"),
    ("we'll", "we will"),
    ("you'll", "you will"),
    ("we've", "we have"),
];

/// At most this many spellings of one query are matched; each contraction doubles them.
const MAX_VARIANTS: usize = 32;

struct Pair {
    contracted: Regex,
    expanded: Regex,
    short: &'static str,
    long: &'static str,
}

static PAIRS: LazyLock<Vec<Pair>> = LazyLock::new(|| {
    let word = |s: &str| {
        Regex::new(&format!(r"\b{}\b", regex::escape(s))).expect("contraction patterns are valid")
    };
    CONTRACTIONS
        .iter()
        .map(|(short, long)| Pair {
            contracted: word(short),
            expanded: word(long),
            short,
            long,
        })
        .collect()
});

/// Every spelling of an already normalised phrase: itself, plus each contraction swapped
/// for its expansion and back (whole words only, so "cannot" is not found inside "scannot").
pub fn variants(normalized_query: &str) -> Vec<String> {
    let mut out = vec![normalized_query.to_owned()];
    for pair in PAIRS.iter() {
        let mut added = Vec::new();
        for v in &out {
            if pair.contracted.is_match(v) {
                added.push(pair.contracted.replace_all(v, pair.long).into_owned());
            }
            if pair.expanded.is_match(v) {
                added.push(pair.expanded.replace_all(v, pair.short).into_owned());
            }
        }
        for a in added {
            if out.len() < MAX_VARIANTS && !out.contains(&a) {
                out.push(a);
            }
        }
    }
    out
}

/// Rewrites every contraction as its expansion, for word-level matching (BM25 sees
/// "don't" as the words "do" and "not").
pub fn expand_contractions(normalized: &str) -> String {
    let mut text = normalized.to_owned();
    for pair in PAIRS.iter() {
        if text.contains('\'') && pair.contracted.is_match(&text) {
            text = pair.contracted.replace_all(&text, pair.long).into_owned();
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_accents_width_and_space() {
        let n = Normalizer::default().normalize("  Tomás  SAYS\n\tＨｉ ﬁne  ");
        assert_eq!(n.text, "tomas says hi fine");
        let keep = Normalizer {
            strip_diacritics: false,
        };
        assert_ne!(keep.normalize("Tomás").text, "tomas");
        assert_eq!(
            Normalizer::default().normalize("Don\u{2019}t").text,
            "don't"
        );
    }

    #[test]
    fn maps_back_to_the_original() {
        let original = "Hé  Straße ok";
        let n = Normalizer::default().normalize(original);
        let at = n
            .text
            .find("strasse")
            .unwrap_or_else(|| n.text.find("straße").unwrap());
        let (s, e) = n.original_span(at, at + "straße".len());
        assert!(original[s..e].starts_with("Stra"), "{}", &original[s..e]);
        let at = n.text.find("ok").unwrap();
        assert_eq!(
            n.original_span(at, at + 2),
            (original.len() - 2, original.len())
        );
    }

    #[test]
    fn contraction_variants_go_both_ways() {
        let v = variants("we can't ship, it's broken");
        assert!(
            v.contains(&"we cannot ship, it is broken".to_owned()),
            "{v:?}"
        );
        assert!(
            v.contains(&"we can't ship, it is broken".to_owned()),
            "{v:?}"
        );
        let v = variants("do not merge");
        assert!(v.contains(&"don't merge".to_owned()), "{v:?}");
        assert_eq!(variants("scannot"), vec!["scannot".to_owned()]);
        assert_eq!(
            expand_contractions("i'm sure it won't"),
            "i am sure it will not"
        );
    }
}
