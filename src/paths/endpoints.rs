//! Endpoint URLs, built from the configured base URLs: Google's here, and the one segment-encoded
//! join (`join_segments`) every provider's URL builder goes through.
//!
//! Resource names that reach here come from callers (assistants), so every segment is pushed
//! through `url`'s segment encoder: a `/`, `?` or `#` inside an id can never change which
//! endpoint is called. Names are validated before they get here; encoding is the second fence.

use url::Url;

/// Every Google URL chatkey calls. Defaults are Google's production endpoints; tests and the
/// demo point them at the emulator through `config.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoogleEndpoints {
    pub auth_url: Url,
    pub token_url: Url,
    pub revoke_url: Url,
    pub userinfo_url: Url,
    pub api_url: Url,
    pub people_url: Url,
}

pub const GOOGLE_AUTH_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
pub const GOOGLE_REVOKE_URL: &str = "https://oauth2.googleapis.com/revoke";
pub const GOOGLE_USERINFO_URL: &str = "https://openidconnect.googleapis.com/v1/userinfo";
pub const GOOGLE_CHAT_API_URL: &str = "https://chat.googleapis.com";
pub const GOOGLE_PEOPLE_API_URL: &str = "https://people.googleapis.com";

impl Default for GoogleEndpoints {
    fn default() -> Self {
        Self {
            auth_url: defaults::auth(),
            token_url: defaults::token(),
            revoke_url: defaults::revoke(),
            userinfo_url: defaults::userinfo(),
            api_url: defaults::api(),
            people_url: defaults::people(),
        }
    }
}

impl GoogleEndpoints {
    /// `{api}/v1/spaces`
    pub fn spaces(&self) -> Url {
        join(&self.api_url, &["v1", "spaces"])
    }
    /// `{api}/v1/{name}` for any Chat resource name (`spaces/A`, `spaces/A/messages/B`, …).
    pub fn chat_resource(&self, name: &str) -> Url {
        let mut segments = vec!["v1"];
        segments.extend(name.split('/'));
        join(&self.api_url, &segments)
    }
    /// `{api}/v1/{parent}/{collection}` (`spaces/A` + `messages`).
    pub fn chat_collection(&self, parent: &str, collection: &str) -> Url {
        let mut segments = vec!["v1"];
        segments.extend(parent.split('/'));
        segments.push(collection);
        join(&self.api_url, &segments)
    }
    /// `{api}/v1/spaces:findDirectMessage`
    pub fn find_direct_message(&self) -> Url {
        join(&self.api_url, &["v1", "spaces:findDirectMessage"])
    }
    /// `{api}/upload/v1/{parent}/attachments:upload`
    pub fn upload_attachment(&self, space: &str) -> Url {
        let mut segments = vec!["upload", "v1"];
        segments.extend(space.split('/'));
        segments.push("attachments:upload");
        join(&self.api_url, &segments)
    }
    /// `{api}/v1/media/{resourceName}` (download with `alt=media`).
    pub fn media(&self, resource_name: &str) -> Url {
        let mut segments = vec!["v1", "media"];
        segments.extend(resource_name.split('/'));
        join(&self.api_url, &segments)
    }
    /// `{api}/v1/users/me/spaces/{space}/spaceReadState`
    pub fn space_read_state(&self, space_id: &str) -> Url {
        join(
            &self.api_url,
            &["v1", "users", "me", "spaces", space_id, "spaceReadState"],
        )
    }
    /// `{people}/v1/people:batchGet`
    pub fn people_batch_get(&self) -> Url {
        join(&self.people_url, &["v1", "people:batchGet"])
    }
    /// `{people}/v1/people/{id}`
    pub fn person(&self, id: &str) -> Url {
        join(&self.people_url, &["v1", "people", id])
    }
}

fn join(base: &Url, segments: &[&str]) -> Url {
    join_segments(base, segments)
}

/// `base` with `segments` appended, each one percent-encoded as a single path segment (a `/`,
/// `?` or `#` inside a segment stays inside it), the base's query and fragment dropped and a
/// trailing empty segment of the base (`…/api/`) not doubled. Every provider builds its URLs
/// through this.
pub fn join_segments(base: &Url, segments: &[&str]) -> Url {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_google_paths() {
        let e = GoogleEndpoints::default();
        assert_eq!(e.spaces().as_str(), "https://chat.googleapis.com/v1/spaces");
        assert_eq!(
            e.chat_collection("spaces/AAA", "messages").as_str(),
            "https://chat.googleapis.com/v1/spaces/AAA/messages"
        );
        assert_eq!(
            e.people_batch_get().as_str(),
            "https://people.googleapis.com/v1/people:batchGet"
        );
    }

    #[test]
    fn keeps_a_base_path_and_encodes_hostile_segments() {
        let e = GoogleEndpoints {
            api_url: Url::parse("http://127.0.0.1:9/prefix/").unwrap(),
            ..Default::default()
        };
        assert_eq!(
            e.chat_resource("spaces/A?x=1#y").as_str(),
            "http://127.0.0.1:9/prefix/v1/spaces/A%3Fx=1%23y"
        );
    }
}

/// Serde defaults for the endpoint keys of `config.toml`.
pub mod defaults {
    use url::Url;

    fn parse(s: &str) -> Url {
        Url::parse(s).expect("built-in endpoint URLs are valid")
    }
    pub fn auth() -> Url {
        parse(super::GOOGLE_AUTH_URL)
    }
    pub fn token() -> Url {
        parse(super::GOOGLE_TOKEN_URL)
    }
    pub fn revoke() -> Url {
        parse(super::GOOGLE_REVOKE_URL)
    }
    pub fn userinfo() -> Url {
        parse(super::GOOGLE_USERINFO_URL)
    }
    pub fn api() -> Url {
        parse(super::GOOGLE_CHAT_API_URL)
    }
    pub fn people() -> Url {
        parse(super::GOOGLE_PEOPLE_API_URL)
    }
}
