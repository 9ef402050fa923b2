//! chatkey's own tools (always listed, whatever is signed in) and the full tool catalogue.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::accounts::Health;
use crate::app::{App, Status};
use crate::providers::google_chat;
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
                "{} ({}) needs you to sign in again ({reason}): use the tray menu or run `chatkey login {}`",
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
