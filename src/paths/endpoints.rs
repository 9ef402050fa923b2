//! Endpoint URLs, built from configured base URLs.
//!
//! Resource names that reach here come from callers (assistants), so every segment is pushed
//! through `url`'s segment encoder: a `/`, `?` or `#` inside an id can never change which
//! endpoint is called. Providers validate names before they get here; encoding is the second
//! fence. Each provider's endpoint struct (in its folder) builds every URL with [`join`].

use url::Url;

/// `base` with `segments` appended, each percent-encoded as one path segment; the base's
/// query and fragment are dropped.
pub fn join(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    {
        let mut path = url
            .path_segments_mut()
            .expect("http(s) base URLs always have a path");
        path.pop_if_empty();
        for segment in segments {
            path.push(segment);
        }
    }
    url
}

/// A built-in default URL (a constant of ours, so it always parses).
pub fn builtin(url: &str) -> Url {
    Url::parse(url).expect("built-in endpoint URLs are valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_a_base_path_and_encodes_hostile_segments() {
        let base = Url::parse("http://127.0.0.1:9/prefix/?q=1").unwrap();
        assert_eq!(
            join(&base, &["v1", "spaces", "A?x=1#y", "../b"]).as_str(),
            "http://127.0.0.1:9/prefix/v1/spaces/A%3Fx=1%23y/..%2Fb"
        );
    }
}
