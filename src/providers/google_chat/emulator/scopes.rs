//! The OAuth scopes the authorization endpoint accepts, with the words the consent page uses.
//!
//! Descriptions are the discovery documents' own (`auth.oauth2.scopes`); the discovery test
//! checks every entry against them. `email` and `profile` are the OpenID Connect shorthands
//! Google normalises to the `userinfo.*` URLs in the granted scope string.

use super::routes::full_scope;

/// Short name (after `https://www.googleapis.com/auth/`, or `openid`) → description.
pub static SCOPES: &[(&str, &str)] = &[
    ("openid", "Associate you with your personal info on Google"),
    (
        "userinfo.email",
        "See your primary Google Account email address",
    ),
    (
        "userinfo.profile",
        "See your personal info, including any personal info you've made publicly available",
    ),
    (
        "chat.spaces",
        "Create conversations and spaces and see or update metadata (including history settings and access settings) in Google Chat",
    ),
    (
        "chat.spaces.readonly",
        "View chat and spaces in Google Chat",
    ),
    (
        "chat.spaces.create",
        "Create new conversations and spaces in Google Chat",
    ),
    (
        "chat.messages",
        "See, compose, send, update, and delete messages, their content, and attached cards; add, see, and delete reactions to messages.",
    ),
    (
        "chat.messages.readonly",
        "See messages as well as their reactions and message content in Google Chat",
    ),
    (
        "chat.messages.create",
        "Compose and send messages and attach cards",
    ),
    (
        "chat.messages.reactions",
        "See, add, and delete reactions as well as their reaction content to messages in Google Chat",
    ),
    (
        "chat.messages.reactions.create",
        "Add reactions to messages in Google Chat",
    ),
    (
        "chat.messages.reactions.readonly",
        "View reactions as well as their reaction content to messages in Google Chat",
    ),
    (
        "chat.memberships",
        "See, add, update, and remove members from conversations and spaces in Google Chat",
    ),
    (
        "chat.memberships.readonly",
        "View members in Google Chat conversations.",
    ),
    (
        "chat.memberships.app",
        "Add and remove itself from conversations and spaces in Google Chat",
    ),
    (
        "chat.users.readstate",
        "View and modify last read time for Google Chat conversations",
    ),
    (
        "chat.users.readstate.readonly",
        "View last read time for Google Chat conversations",
    ),
    (
        "chat.delete",
        "Delete conversations and spaces and remove access to associated files in Google Chat",
    ),
    (
        "chat.customemojis",
        "View, create, and delete custom emoji in Google Chat",
    ),
    (
        "chat.customemojis.readonly",
        "View custom emoji in Google Chat",
    ),
    (
        "chat.users.spacesettings",
        "Read and update your space settings",
    ),
    (
        "chat.users.sections",
        "View, create, update, and delete your sections in Google Chat; move and list your section items in Google Chat",
    ),
    (
        "chat.users.sections.readonly",
        "View your sections and their section items in Google Chat",
    ),
    (
        "chat.spaces.pins",
        "See, add, and remove pins in your Google Chat spaces",
    ),
    (
        "chat.spaces.pins.readonly",
        "See pins in your Google Chat spaces",
    ),
    (
        "chat.import",
        "Import spaces, messages, and memberships into Google Chat.",
    ),
    (
        "directory.readonly",
        "See and download your organization's Google Workspace directory",
    ),
    (
        "contacts",
        "See, edit, download, and permanently delete your contacts",
    ),
    ("contacts.readonly", "See and download your contacts"),
    (
        "contacts.other.readonly",
        "See and download contact info automatically saved in your \"Other contacts\"",
    ),
    (
        "user.emails.read",
        "See and download all of your Google Account email addresses",
    ),
    (
        "user.organization.read",
        "See your education, work history and org info",
    ),
];

/// Normalises a requested scope to the full form Google grants; `None` if unknown.
pub fn normalise(scope: &str) -> Option<String> {
    let short = match scope {
        "email" => "userinfo.email",
        "profile" => "userinfo.profile",
        "openid" => "openid",
        s => s.strip_prefix("https://www.googleapis.com/auth/")?,
    };
    SCOPES
        .iter()
        .any(|(s, _)| *s == short)
        .then(|| full_scope(short))
}

/// The consent page's words for a granted scope.
pub fn describe(full: &str) -> &'static str {
    let short = full
        .strip_prefix("https://www.googleapis.com/auth/")
        .unwrap_or(full);
    SCOPES
        .iter()
        .find(|(s, _)| *s == short)
        .map(|(_, d)| *d)
        .unwrap_or("Access your Google Account data")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_shorthands() {
        assert_eq!(
            normalise("email").unwrap(),
            "https://www.googleapis.com/auth/userinfo.email"
        );
        assert_eq!(normalise("openid").unwrap(), "openid");
        assert!(normalise("https://www.googleapis.com/auth/chat.bot").is_none());
        assert!(normalise("chat.messages").is_none());
    }
}
