//! The Web API method table: every method the emulator serves, with its rate tier, the scope
//! checked before the handler runs, the parameters the handler may read, and whether it takes
//! a JSON body.
//!
//! One table drives dispatch, scopes, rate limits and the spec test, so a method cannot be
//! served without its parameters being checked against slack_sdk's signatures. Scopes that
//! depend on the conversation's type are checked inside the handler (`conversations::visible`).

use super::errors::ApiResult;
use super::ratelimit::{POST_MESSAGE, Tier};
use super::server::Call;
use super::state::Settings;
use super::{chat, conversations, files, history, oauth, reactions, search, users};

pub type Handler = fn(&mut Call) -> ApiResult;

pub struct Method {
    pub name: &'static str,
    pub tier: Tier,
    /// The scope the method always needs; `None` when none is or it depends on the channel.
    pub scope: Option<&'static str>,
    /// The only arguments the handler reads (`token` is read by the front for every method).
    pub params: &'static [&'static str],
    /// Accepts `application/json` bodies (Slack's write methods do; reads take form data).
    pub json: bool,
    /// Needs a user token (oauth.v2.access authenticates the app instead).
    pub auth: bool,
    pub handler: Handler,
}

const fn m(
    name: &'static str,
    tier: Tier,
    scope: Option<&'static str>,
    params: &'static [&'static str],
    json: bool,
    handler: Handler,
) -> Method {
    Method {
        name,
        tier,
        scope,
        params,
        json,
        auth: true,
        handler,
    }
}

const HISTORY_PARAMS: &[&str] = &[
    "channel",
    "cursor",
    "inclusive",
    "latest",
    "limit",
    "oldest",
];
const REPLIES_PARAMS: &[&str] = &[
    "channel",
    "cursor",
    "inclusive",
    "latest",
    "limit",
    "oldest",
    "ts",
];
const LIST_PARAMS: &[&str] = &["cursor", "exclude_archived", "limit", "team_id", "types"];
const REACTION_PARAMS: &[&str] = &["channel", "name", "timestamp"];

pub static METHODS: &[Method] = &[
    Method {
        name: "oauth.v2.access",
        tier: Tier::T4,
        scope: None,
        params: &[
            "client_id",
            "client_secret",
            "code",
            "code_verifier",
            "grant_type",
            "redirect_uri",
            "refresh_token",
        ],
        json: false,
        auth: false,
        handler: oauth::oauth_v2_access,
    },
    m("auth.test", Tier::T4, None, &[], false, oauth::auth_test),
    m(
        "auth.revoke",
        Tier::T3,
        None,
        &["test"],
        false,
        oauth::auth_revoke,
    ),
    m(
        "conversations.list",
        Tier::T2,
        None,
        LIST_PARAMS,
        false,
        conversations::list,
    ),
    m(
        "users.conversations",
        Tier::T3,
        None,
        &[
            "cursor",
            "exclude_archived",
            "limit",
            "team_id",
            "types",
            "user",
        ],
        false,
        conversations::users_conversations,
    ),
    m(
        "conversations.info",
        Tier::T3,
        None,
        &["channel", "include_locale", "include_num_members"],
        false,
        conversations::info,
    ),
    m(
        "conversations.history",
        Tier::T3,
        None,
        HISTORY_PARAMS,
        false,
        history::history,
    ),
    m(
        "conversations.replies",
        Tier::T3,
        None,
        REPLIES_PARAMS,
        false,
        history::replies,
    ),
    m(
        "conversations.members",
        Tier::T4,
        None,
        &["channel", "cursor", "limit"],
        false,
        conversations::members,
    ),
    m(
        "conversations.open",
        Tier::T3,
        None,
        &["channel", "return_im", "users"],
        true,
        conversations::open,
    ),
    m(
        "conversations.mark",
        Tier::T3,
        None,
        &["channel", "ts"],
        true,
        conversations::mark,
    ),
    m(
        "chat.postMessage",
        POST_MESSAGE,
        Some("chat:write"),
        &[
            "channel",
            "mrkdwn",
            "reply_broadcast",
            "text",
            "thread_ts",
            "unfurl_links",
            "unfurl_media",
        ],
        true,
        chat::post_message,
    ),
    m(
        "chat.update",
        Tier::T3,
        Some("chat:write"),
        &["channel", "text", "ts"],
        true,
        chat::update,
    ),
    m(
        "chat.delete",
        Tier::T3,
        Some("chat:write"),
        &["channel", "ts"],
        true,
        chat::delete,
    ),
    m(
        "chat.getPermalink",
        Tier::T4,
        None,
        &["channel", "message_ts"],
        false,
        chat::get_permalink,
    ),
    m(
        "reactions.add",
        Tier::T3,
        Some("reactions:write"),
        REACTION_PARAMS,
        true,
        reactions::add,
    ),
    m(
        "reactions.remove",
        Tier::T2,
        Some("reactions:write"),
        REACTION_PARAMS,
        true,
        reactions::remove,
    ),
    m(
        "reactions.get",
        Tier::T3,
        Some("reactions:read"),
        &["channel", "full", "timestamp"],
        false,
        reactions::get,
    ),
    m(
        "users.info",
        Tier::T4,
        Some("users:read"),
        &["include_locale", "user"],
        false,
        users::info,
    ),
    m(
        "users.list",
        Tier::T2,
        Some("users:read"),
        &["cursor", "include_locale", "limit", "team_id"],
        false,
        users::list,
    ),
    m(
        "users.lookupByEmail",
        Tier::T3,
        Some("users:read.email"),
        &["email"],
        false,
        users::lookup_by_email,
    ),
    m(
        "users.profile.get",
        Tier::T4,
        Some("users.profile:read"),
        &["include_labels", "user"],
        false,
        users::profile_get,
    ),
    m(
        "team.info",
        Tier::T3,
        Some("team:read"),
        &["domain", "team"],
        false,
        users::team_info,
    ),
    m(
        "search.messages",
        Tier::T2,
        Some("search:read"),
        &[
            "count",
            "cursor",
            "highlight",
            "page",
            "query",
            "sort",
            "sort_dir",
            "team_id",
        ],
        false,
        search::messages,
    ),
    m(
        "files.getUploadURLExternal",
        Tier::T4,
        Some("files:write"),
        &["alt_txt", "filename", "length", "snippet_type"],
        false,
        files::get_upload_url,
    ),
    m(
        "files.completeUploadExternal",
        Tier::T4,
        Some("files:write"),
        &[
            "channel_id",
            "channels",
            "files",
            "initial_comment",
            "thread_ts",
        ],
        true,
        files::complete_upload,
    ),
    m(
        "files.info",
        Tier::T4,
        Some("files:read"),
        &["file"],
        false,
        files::info,
    ),
    m(
        "files.upload",
        Tier::T2,
        None,
        &[],
        false,
        files::upload_retired,
    ),
];

pub fn find(name: &str) -> Option<&'static Method> {
    METHODS.iter().find(|m| m.name == name)
}

/// The tier in force: an app distributed outside the Marketplace reads history and threads
/// at Tier 1.
pub fn effective_tier(method: &Method, settings: &Settings) -> Tier {
    let restricted = matches!(
        method.name,
        "conversations.history" | "conversations.replies"
    );
    if restricted && settings.marketplace_restricted {
        Tier::T1
    } else {
        method.tier
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_within_params_and_unique() {
        let mut names: Vec<&str> = METHODS.iter().map(|m| m.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), METHODS.len());
        for m in METHODS {
            assert!(
                m.params.windows(2).all(|w| w[0] < w[1]),
                "{} params sorted",
                m.name
            );
            assert!(
                !m.params.contains(&"token"),
                "{}: the front reads the token",
                m.name
            );
        }
    }
}
