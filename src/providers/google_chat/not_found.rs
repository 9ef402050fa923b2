//! What a Google Chat or People request was about, so a "not found" names it.
//!
//! Google answers every missing resource with the same "Requested entity was not found",
//! which leaves an assistant guessing whether the space, the message or the reaction is gone.
//! The client reads the resource from the request's URL (every Chat and People path names
//! it) and this module turns it into the one not-found message all tools share:
//! "space spaces/NOPE was not found; …" plus where to find the right name.

use std::fmt;

use percent_encoding::percent_decode_str;
use url::Url;

use crate::tools::ToolError;

/// The kinds of thing the Google Chat tools read or write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Space,
    Message,
    Thread,
    Member,
    Reaction,
    Attachment,
    Person,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Space => "space",
            Kind::Message => "message",
            Kind::Thread => "thread",
            Kind::Member => "member",
            Kind::Reaction => "reaction",
            Kind::Attachment => "attachment",
            Kind::Person => "person",
        }
    }

    /// Where the assistant finds a name that exists.
    fn hint(self) -> &'static str {
        match self {
            Kind::Space => "check the name with google_chat_list_spaces",
            Kind::Message => {
                "it does not exist or was deleted; find messages with google_chat_list_messages"
            }
            Kind::Thread => {
                "find threads with google_chat_list_messages, or start a new one by leaving out `thread` (google_chat_send_message)"
            }
            Kind::Member => "google_chat_list_members shows who is in the space",
            Kind::Reaction => "google_chat_list_reactions shows the reactions on a message",
            Kind::Attachment => "google_chat_get_message lists a message's attachments",
            Kind::Person => {
                "check the id (a message's sender or a member from google_chat_list_members)"
            }
        }
    }
}

/// One named resource: `space spaces/AAA`, `message spaces/AAA/messages/BBB`, ….
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub kind: Kind,
    pub name: String,
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.label(), self.name)
    }
}

impl Resource {
    pub fn new(kind: Kind, name: impl Into<String>) -> Self {
        Self {
            kind,
            name: name.into(),
        }
    }

    /// The resource a Chat or People request URL is about, read from its path after `v1`
    /// (so a base path in `api_url` does not matter). `None` for calls that name nothing
    /// (`spaces`, `people:batchGet`, `spaces:findDirectMessage`).
    pub fn of_url(url: &Url) -> Option<Self> {
        let segments: Vec<String> = url
            .path_segments()?
            // `url` keeps segments percent-encoded; names are shown as the assistant typed them.
            .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
            .collect();
        let start = segments.iter().rposition(|s| s == "v1")? + 1;
        let rest: Vec<&str> = segments[start..].iter().map(String::as_str).collect();
        let resource = match rest.as_slice() {
            ["spaces", s] | ["spaces", s, "messages" | "members" | "attachments:upload"] => {
                Resource::new(Kind::Space, format!("spaces/{s}"))
            }
            ["users", "me", "spaces", s, "spaceReadState"] => {
                Resource::new(Kind::Space, format!("spaces/{s}"))
            }
            ["spaces", s, "messages", m] | ["spaces", s, "messages", m, "reactions"] => {
                Resource::new(Kind::Message, format!("spaces/{s}/messages/{m}"))
            }
            ["spaces", s, "messages", m, "reactions", r] => Resource::new(
                Kind::Reaction,
                format!("spaces/{s}/messages/{m}/reactions/{r}"),
            ),
            ["spaces", s, "messages", m, "attachments", a] => Resource::new(
                Kind::Attachment,
                format!("spaces/{s}/messages/{m}/attachments/{a}"),
            ),
            ["spaces", s, "members", u] => {
                Resource::new(Kind::Member, format!("spaces/{s}/members/{u}"))
            }
            ["people", p] => Resource::new(Kind::Person, format!("people/{p}")),
            ["media", name @ ..] if !name.is_empty() => {
                Resource::new(Kind::Attachment, name.join("/"))
            }
            _ => return None,
        };
        Some(resource)
    }

    /// "space spaces/NOPE was not found; check the name with google_chat_list_spaces".
    pub fn not_found(&self) -> ToolError {
        ToolError::not_found(format!("{self} was not found; {}", self.kind.hint()))
    }

    /// The same, with why chatkey could not find it in place of the generic hint.
    pub fn not_found_because(&self, why: &str) -> ToolError {
        ToolError::not_found(format!("{self} was not found: {why}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(url: &str) -> Option<String> {
        Resource::of_url(&Url::parse(url).unwrap()).map(|r| r.to_string())
    }

    #[test]
    fn reads_the_resource_from_every_path_the_tools_call() {
        let api = "http://127.0.0.1:9/prefix/v1";
        for (path, expected) in [
            ("spaces/NOPE", Some("space spaces/NOPE")),
            ("spaces/NOPE/messages", Some("space spaces/NOPE")),
            ("spaces/NOPE/members", Some("space spaces/NOPE")),
            (
                "users/me/spaces/NOPE/spaceReadState",
                Some("space spaces/NOPE"),
            ),
            ("spaces/A/messages/B", Some("message spaces/A/messages/B")),
            (
                "spaces/A/messages/B/reactions",
                Some("message spaces/A/messages/B"),
            ),
            (
                "spaces/A/messages/B/reactions/R",
                Some("reaction spaces/A/messages/B/reactions/R"),
            ),
            (
                "spaces/A/messages/B/attachments/C",
                Some("attachment spaces/A/messages/B/attachments/C"),
            ),
            ("spaces/A/members/123", Some("member spaces/A/members/123")),
            ("people/123", Some("person people/123")),
            ("media/ref/xyz", Some("attachment ref/xyz")),
            ("spaces", None),
            ("spaces:findDirectMessage", None),
            ("people:batchGet", None),
        ] {
            assert_eq!(of(&format!("{api}/{path}")).as_deref(), expected, "{path}");
        }
        assert_eq!(
            of("http://h/upload/v1/spaces/A/attachments:upload").as_deref(),
            Some("space spaces/A")
        );
        assert_eq!(
            of("http://h/v1/spaces/A%3Fx").as_deref(),
            Some("space spaces/A?x")
        );
    }

    #[test]
    fn names_the_resource_and_where_to_look() {
        let e = Resource::new(Kind::Space, "spaces/NOPE").not_found();
        assert_eq!(e.kind, crate::tools::ToolErrorKind::NotFound);
        assert!(
            e.message.starts_with(
                "space spaces/NOPE was not found; check the name with google_chat_list_spaces"
            ),
            "{}",
            e.message
        );
    }
}
