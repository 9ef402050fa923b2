//! OAuth scopes: which user scopes exist, and which one each conversation type needs.
//!
//! Slack splits conversation permissions by type: reading a public channel's history takes
//! `channels:history`, a private channel's `groups:history`, a DM's `im:history` and a group
//! DM's `mpim:history` (and the same for `:read` and `:write`). A method that touches a
//! conversation checks the scope for that conversation's type, and a list filtered by `types`
//! needs the `:read` scope of every type asked for.

use super::errors::SlackError;
use super::state::ConvKind;

/// User-token scopes an app can request (`user_scope`).
pub const USER_SCOPES: &[&str] = &[
    "bookmarks:read",
    "bookmarks:write",
    "calls:read",
    "calls:write",
    "canvases:read",
    "canvases:write",
    "channels:history",
    "channels:read",
    "channels:write",
    "channels:write.invites",
    "channels:write.topic",
    "chat:write",
    "dnd:read",
    "dnd:write",
    "emoji:read",
    "files:read",
    "files:write",
    "groups:history",
    "groups:read",
    "groups:write",
    "groups:write.invites",
    "groups:write.topic",
    "identity.avatar",
    "identity.basic",
    "identity.email",
    "identity.team",
    "im:history",
    "im:read",
    "im:write",
    "im:write.topic",
    "links:read",
    "links:write",
    "lists:read",
    "lists:write",
    "mpim:history",
    "mpim:read",
    "mpim:write",
    "mpim:write.topic",
    "pins:read",
    "pins:write",
    "reactions:read",
    "reactions:write",
    "reminders:read",
    "reminders:write",
    "remote_files:read",
    "remote_files:share",
    "search:read",
    "stars:read",
    "stars:write",
    "team:read",
    "usergroups:read",
    "usergroups:write",
    "users.profile:read",
    "users.profile:write",
    "users:read",
    "users:read.email",
    "users:write",
];

/// The scopes chatkey's Slack tools need, for tests that want a fully able token.
pub const FULL_USER_SCOPES: &[&str] = &[
    "channels:history",
    "channels:read",
    "channels:write",
    "chat:write",
    "files:read",
    "files:write",
    "groups:history",
    "groups:read",
    "groups:write",
    "im:history",
    "im:read",
    "im:write",
    "mpim:history",
    "mpim:read",
    "mpim:write",
    "reactions:read",
    "reactions:write",
    "search:read",
    "team:read",
    "users.profile:read",
    "users:read",
    "users:read.email",
];

pub fn is_user_scope(scope: &str) -> bool {
    USER_SCOPES.contains(&scope)
}

/// The three conversation permission families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    History,
    Read,
    Write,
}

/// The scope a conversation type needs for a family (`groups:history`, `im:read`, …).
pub fn for_kind(kind: ConvKind, family: Family) -> &'static str {
    use ConvKind::*;
    use Family::*;
    match (kind, family) {
        (Public, History) => "channels:history",
        (Private, History) => "groups:history",
        (Im, History) => "im:history",
        (Mpim, History) => "mpim:history",
        (Public, Read) => "channels:read",
        (Private, Read) => "groups:read",
        (Im, Read) => "im:read",
        (Mpim, Read) => "mpim:read",
        (Public, Write) => "channels:write",
        (Private, Write) => "groups:write",
        (Im, Write) => "im:write",
        (Mpim, Write) => "mpim:write",
    }
}

/// `Ok` when `granted` holds `needed`, else Slack's `missing_scope` naming it.
pub fn require(granted: &[String], needed: &str) -> Result<(), SlackError> {
    if granted.iter().any(|g| g == needed) {
        Ok(())
    } else {
        Err(SlackError::missing_scope(needed, granted))
    }
}

/// Every type in `kinds` needs its `:read` scope; `missing_scope` names all that are missing.
pub fn require_read_for(granted: &[String], kinds: &[ConvKind]) -> Result<(), SlackError> {
    let missing: Vec<&str> = kinds
        .iter()
        .map(|k| for_kind(*k, Family::Read))
        .filter(|s| !granted.iter().any(|g| g == s))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(SlackError::missing_scope(&missing.join(","), granted))
    }
}

/// Splits `user_scope` / `scope` (comma-separated; Slack also tolerates spaces).
pub fn split(list: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in list
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_checks() {
        assert_eq!(
            for_kind(ConvKind::Private, Family::History),
            "groups:history"
        );
        assert_eq!(for_kind(ConvKind::Mpim, Family::Write), "mpim:write");
        let granted = vec!["channels:read".to_string(), "chat:write".to_string()];
        assert!(require(&granted, "chat:write").is_ok());
        let e = require_read_for(&granted, &[ConvKind::Public, ConvKind::Im, ConvKind::Mpim])
            .unwrap_err();
        assert_eq!(e.needed.as_deref(), Some("im:read,mpim:read"));
        assert_eq!(e.provided.as_deref(), Some("channels:read,chat:write"));
        assert_eq!(split("a:b, c:d,,a:b"), ["a:b", "c:d"]);
        assert!(FULL_USER_SCOPES.iter().all(|s| is_user_scope(s)));
    }
}
