//! chatkey's own tools (always listed, whatever is signed in) and the full tool catalogue:
//! `chatkey_status` says what is signed in and what needs attention; `chatkey_sign_in` starts
//! the browser sign-in inside the daemon, so an assistant can fix "needs sign-in" itself.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::accounts::Health;
use crate::app::{App, SignInStarted, Status};
use crate::providers::{ProviderId, google_chat};
use crate::tools::{Hints, ToolDef, ToolError};

/// Every tool chatkey offers; sessions filter it by sign-in, `--provider` and `--read-only`.
pub fn catalogue() -> Vec<ToolDef> {
    let mut tools = vec![ToolDef::new(
        "chatkey_status",
        "chatkey status",
        "Show which chat accounts are signed in to chatkey, whether each works, when its token was last refreshed, \
         and what to do when one needs attention. Call this when a chat tool fails with a sign-in error, \
         or when the person asks which accounts are connected.",
        None,
        Hints::LOCAL_READ,
        status,
    )];
    tools.push(ToolDef::new(
        "chatkey_sign_in",
        "Sign in to a chat account",
        "Start signing the person in to a chat account (Google Chat) in their web browser, for when a tool says \
         the account needs signing in, or to add another account. Returns at once with a sign-in URL; the \
         browser opens on the person's desktop when it can. Tell the person to finish signing in in the \
         browser (show them the URL in case no browser opened), wait for them to say they are done, then \
         call chatkey_status to confirm. chatkey picks the new sign-in up by itself; no restart is needed.",
        None,
        // Sign-in reads and changes no chat data, so read-only assistants may offer it too.
        Hints {
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: true,
        },
        sign_in,
    ));
    tools.extend(google_chat::tools::all());
    tools
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusArgs {}

#[derive(Debug, Serialize)]
pub struct StatusResult {
    #[serde(flatten)]
    pub status: Status,
    /// One sentence per account that needs the person's attention, saying what to do.
    pub attention: Vec<String>,
}

async fn status(app: Arc<App>, _args: StatusArgs) -> Result<StatusResult, ToolError> {
    let status = app.status();
    let mut attention = Vec::new();
    if let Some(problem) = &status.problem {
        attention.push(problem.clone());
    }
    if status.accounts.is_empty() {
        attention.push(
            "no chat account is signed in: run `chatkey login google-chat` (after `chatkey setup google-chat --client-secret FILE`)"
                .to_owned(),
        );
    }
    for account in &status.accounts {
        match &account.health {
            Health::Ok => {}
            Health::NeedsSignIn { reason } => attention.push(format!(
                "{} ({}) needs you to sign in again ({reason}): call chatkey_sign_in, use the tray menu, or run `chatkey login {}`",
                account.provider.display_name(),
                account.email,
                account.provider.name()
            )),
            Health::RefreshFailing { detail } => attention.push(format!(
                "{} ({}) cannot refresh its sign-in right now ({detail}); chatkey keeps retrying",
                account.provider.display_name(),
                account.email
            )),
        }
    }
    Ok(StatusResult { status, attention })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInArgs {
    /// Which chat service: `google-chat` (the default; the only one supported so far).
    #[serde(default)]
    pub provider: Option<String>,
    /// The email of the account to sign in (pre-selects it on the consent screen). Optional.
    #[serde(default)]
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SignInResult {
    #[serde(flatten)]
    pub started: SignInStarted,
    /// What the assistant should do next.
    pub next_step: String,
}

async fn sign_in(app: Arc<App>, args: SignInArgs) -> Result<SignInResult, ToolError> {
    let provider: ProviderId = match args.provider.as_deref() {
        None => ProviderId::GoogleChat,
        Some(name) => name.parse().map_err(|_| {
            ToolError::invalid_argument(format!(
                "`provider`: unknown chat service `{name}`; use `google-chat`"
            ))
        })?,
    };
    if !provider.is_supported() {
        return Err(ToolError::invalid_argument(format!(
            "`provider`: {} is not supported by this version of chatkey yet; use `google-chat`",
            provider.display_name()
        )));
    }
    let started = app.start_sign_in(provider, args.account).await?;
    let next_step = format!(
        "Ask the person to open {} (it may already be open in their browser) and finish signing in to {}. \
         When they say they are done, call chatkey_status to confirm the account shows as ok, then retry what failed.",
        started.url,
        provider.display_name()
    );
    Ok(SignInResult { started, next_step })
}
