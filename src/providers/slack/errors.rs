//! Slack's `{"ok": false, "error": "…"}` answers, kept as data tools can branch on
//! (`already_reacted`, `message_not_found`, …), and turned into tool errors that say what to
//! do next.

use std::time::Duration;

use crate::tools::{ToolError, ToolErrorKind};

/// Slack refused a call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiError {
    /// The Web API method, e.g. `conversations.history`.
    pub method: String,
    /// Slack's error code, e.g. `channel_not_found`.
    pub code: String,
    /// For `missing_scope`: the scope(s) the method needs.
    pub needed: Option<String>,
    /// For `missing_scope`: the scopes the token has.
    pub provided: Option<String>,
    /// The conversation the call was about, as it should be named in the message (an id, or
    /// `#eng (C123)` once a tool knows the name).
    pub channel: Option<String>,
    /// For `ratelimited`: when Slack said to try again.
    pub retry_after: Option<Duration>,
}

/// What a Slack call can fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlackError {
    /// Slack answered `ok: false` (or 429 after every retry).
    #[error("{}", .0.to_tool_error().message)]
    Api(ApiError),
    /// Everything else (network, sign-in, an unreadable answer), already worded for the
    /// assistant.
    #[error("{0}")]
    Other(ToolError),
}

impl SlackError {
    /// Slack's error code, when Slack gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            SlackError::Api(e) => Some(&e.code),
            SlackError::Other(_) => None,
        }
    }
}

impl From<ToolError> for SlackError {
    fn from(e: ToolError) -> Self {
        SlackError::Other(e)
    }
}

impl From<SlackError> for ToolError {
    fn from(e: SlackError) -> Self {
        match e {
            SlackError::Api(e) => e.to_tool_error(),
            SlackError::Other(e) => e,
        }
    }
}

impl ApiError {
    fn channel_named(&self) -> String {
        match &self.channel {
            Some(c) => format!("channel {c}"),
            None => "that channel".to_owned(),
        }
    }

    /// The error an assistant sees.
    pub fn to_tool_error(&self) -> ToolError {
        use ToolErrorKind::*;
        let method = &self.method;
        let code = self.code.as_str();
        let channel = self.channel_named();
        let (kind, message) = match code {
            "missing_scope" => {
                let needed = self.needed.as_deref().unwrap_or("a scope");
                (
                    PermissionDenied,
                    format!(
                        "Slack's {method} needs the `{needed}` permission, which this sign-in does not have: add `{needed}` to your Slack app's user token scopes (the manifest `chatkey setup slack --print-manifest` prints lists every scope chatkey uses), reinstall the app to your workspace if Slack asks, then run `chatkey login slack` again"
                    ),
                )
            }
            "not_in_channel" => (
                PermissionDenied,
                format!(
                    "you are not a member of {channel}: join it in Slack first, or pick a channel you are in from slack_list_channels"
                ),
            ),
            "channel_not_found" => (
                NotFound,
                format!(
                    "Slack has no {channel} that you can see: check the id or name with slack_list_channels (private channels and DMs are visible only to their members)"
                ),
            ),
            "is_archived" => (
                InvalidArgument,
                format!("{channel} is archived: unarchive it in Slack, or pick another channel"),
            ),
            "ratelimited" | "rate_limited" => {
                let when = match self.retry_after {
                    Some(wait) => format!("in {} s", wait.as_secs().max(1)),
                    None => "in a minute".to_owned(),
                };
                (
                    RateLimited,
                    format!(
                        "Slack is still rate-limiting {method} after chatkey waited and retried: try again {when}, with fewer requests (smaller limits, fewer channels)"
                    ),
                )
            }
            "message_not_found" | "thread_not_found" => (
                NotFound,
                format!(
                    "Slack has no such message in {channel}: check `ts` (or `thread_ts`) with slack_list_messages"
                ),
            ),
            "user_not_found" | "users_not_found" => (
                NotFound,
                "Slack has no such user: check the id (U… or W…) with slack_list_members or slack_get_user_info".to_owned(),
            ),
            "file_not_found" | "file_deleted" => (
                NotFound,
                "Slack has no such file (it may have been deleted): check the file id in the message".to_owned(),
            ),
            "already_reacted" => (
                InvalidArgument,
                "you already reacted with that emoji; nothing changed".to_owned(),
            ),
            "no_reaction" => (
                NotFound,
                "you have no reaction with that emoji on this message; nothing changed".to_owned(),
            ),
            "invalid_name" => (
                InvalidArgument,
                "Slack has no emoji by that name: use a standard emoji (🎉 or `tada`) or one of the workspace's custom emoji".to_owned(),
            ),
            "too_many_reactions" | "too_many_emoji" => (
                InvalidArgument,
                "this message has as many reactions as Slack allows".to_owned(),
            ),
            "cant_update_message" | "cant_delete_message" | "edit_window_closed"
            | "compliance_exports_prevent_deletion" | "cant_delete_file" => (
                PermissionDenied,
                format!(
                    "Slack does not let you change that message (`{code}`): you can edit or delete only your own messages, within the workspace's editing window"
                ),
            ),
            "msg_too_long" => (
                InvalidArgument,
                "the text is longer than Slack allows (about 40,000 characters): split it into several messages".to_owned(),
            ),
            "no_text" => (
                InvalidArgument,
                "the message is empty: give it some text".to_owned(),
            ),
            "restricted_action" | "restricted_action_read_only_channel"
            | "restricted_action_thread_only_channel" | "restricted_action_non_threadable_channel"
            | "access_denied" | "team_access_not_granted" | "ekm_access_denied"
            | "not_allowed_token_type" | "no_permission" | "posting_to_general_channel_denied" => (
                PermissionDenied,
                format!(
                    "Slack does not allow this ({method}: `{code}`): a workspace setting or admin policy forbids it for your account; ask a workspace admin if it should be allowed"
                ),
            ),
            "fatal_error" | "internal_error" | "service_unavailable" | "request_timeout" => (
                Unavailable,
                format!("Slack had trouble with {method} (`{code}`); try again shortly"),
            ),
            "invalid_arguments" | "invalid_arg_name" | "invalid_array_arg" | "invalid_charset"
            | "invalid_form_data" | "invalid_post_type" | "missing_post_type"
            | "invalid_json" | "json_not_object" | "invalid_cursor" | "invalid_ts_latest"
            | "invalid_ts_oldest" | "invalid_limit" => (
                InvalidArgument,
                format!(
                    "Slack rejected the arguments of {method} (`{code}`): check the ids, timestamps and cursor passed"
                ),
            ),
            _ => (
                Internal,
                format!(
                    "Slack refused {method} with `{code}`; docs.slack.dev/reference/methods/{method} says what that means"
                ),
            ),
        };
        ToolError::new(kind, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(code: &str) -> ApiError {
        ApiError {
            method: "conversations.history".into(),
            code: code.into(),
            channel: Some("C123".into()),
            ..Default::default()
        }
    }

    #[test]
    fn missing_scope_names_the_scope_and_the_fix() {
        let e = ApiError {
            needed: Some("channels:history".into()),
            provided: Some("users:read".into()),
            ..err("missing_scope")
        }
        .to_tool_error();
        assert_eq!(e.kind, ToolErrorKind::PermissionDenied);
        for part in [
            "`channels:history`",
            "user token scopes",
            "chatkey setup slack --print-manifest",
            "chatkey login slack",
        ] {
            assert!(e.message.contains(part), "{part}: {}", e.message);
        }
    }

    #[test]
    fn channel_errors_name_the_channel() {
        let e = err("not_in_channel").to_tool_error();
        assert_eq!(e.kind, ToolErrorKind::PermissionDenied);
        assert!(e.message.contains("channel C123"), "{}", e.message);
        let e = ApiError {
            channel: Some("#eng (C123)".into()),
            ..err("channel_not_found")
        }
        .to_tool_error();
        assert_eq!(e.kind, ToolErrorKind::NotFound);
        assert!(e.message.contains("#eng (C123)"), "{}", e.message);
        assert!(e.message.contains("slack_list_channels"), "{}", e.message);
    }

    #[test]
    fn rate_limits_say_when_to_try_again() {
        let e = ApiError {
            retry_after: Some(Duration::from_secs(30)),
            ..err("ratelimited")
        }
        .to_tool_error();
        assert_eq!(e.kind, ToolErrorKind::RateLimited);
        assert!(e.message.contains("try again in 30 s"), "{}", e.message);
        let e = err("ratelimited").to_tool_error();
        assert!(e.message.contains("try again in a minute"), "{}", e.message);
    }

    #[test]
    fn unknown_errors_keep_slacks_code() {
        let e = err("brand_new_error").to_tool_error();
        assert_eq!(e.kind, ToolErrorKind::Internal);
        assert!(e.message.contains("`brand_new_error`"), "{}", e.message);
        assert!(e.message.contains("conversations.history"), "{}", e.message);
        let e = SlackError::Api(err("brand_new_error"));
        assert_eq!(e.code(), Some("brand_new_error"));
        assert_eq!(e.to_string(), ToolError::from(e.clone()).message);
    }

    #[test]
    fn messages_follow_the_house_style() {
        for code in [
            "missing_scope",
            "not_in_channel",
            "channel_not_found",
            "ratelimited",
            "message_not_found",
            "already_reacted",
            "invalid_name",
            "cant_update_message",
            "restricted_action",
            "fatal_error",
            "invalid_cursor",
            "whatever",
        ] {
            let m = err(code).to_tool_error().message;
            assert!(!m.ends_with('.'), "{code}: {m}");
            assert!(
                m.chars()
                    .next()
                    .is_some_and(|c| !c.is_uppercase() || m.starts_with("Slack")),
                "{code}: {m}"
            );
        }
    }
}
