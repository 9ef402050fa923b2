//! chatkey's own tools (always listed, whatever is signed in) and the full tool catalogue:
//! `chatkey_status` says what is signed in and what needs attention; `chatkey_sign_in` starts
//! the browser sign-in inside the daemon, so an assistant can fix "needs sign-in" itself.

use std::sync::{Arc, Weak};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::accounts::Health;
use crate::app::{App, SignInStarted, Status};
use crate::providers::{self, ProviderEnv, ProviderId};
use crate::tools::{Hints, ToolDef, ToolError, ToolSpec, bind_all};

/// What chatkey's own tools run with: the app they belong to. Weak, because the app holds
/// the catalogue that holds these tools.
pub struct Core(Weak<App>);

impl Core {
    fn app(&self) -> Result<Arc<App>, ToolError> {
        self.0
            .upgrade()
            .ok_or_else(|| ToolError::internal("chatkey is shutting down; try again in a moment"))
    }
}

/// Every tool chatkey offers; sessions filter it by sign-in, `--provider` and `--read-only`.
pub fn catalogue(app: Weak<App>, env: &Arc<ProviderEnv>) -> Vec<ToolDef> {
    let mut tools = bind_all(core_tools(), &Arc::new(Core(app)));
    for provider in providers::all() {
        tools.extend(provider.tools(env));
    }
    tools
}

fn core_tools() -> Vec<ToolSpec<Core>> {
    let mut tools = vec![ToolSpec::new(
        "chatkey_status",
        "chatkey status",
        "Show which chat accounts are signed in to chatkey, whether each works, when its token was last refreshed, \
         and what to do when one needs attention. Call this when a chat tool fails with a sign-in error, \
         or when the person asks which accounts are connected.",
        None,
        Hints::LOCAL_READ,
        status,
    )];
    tools.push(ToolSpec::new(
        "chatkey_sign_in",
        "Sign in to a chat account",
        "Start signing the person in to a chat account (Google Chat, Slack or Microsoft Teams) in their web browser, for when a tool says \
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

async fn status(core: Arc<Core>, _args: StatusArgs) -> Result<StatusResult, ToolError> {
    let status = core.app()?.status();
    let mut attention = Vec::new();
    if let Some(problem) = &status.problem {
        attention.push(problem.clone());
    }
    if status.accounts.is_empty() {
        attention.push(no_account_advice(&status));
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
    /// Which chat service: `google-chat`, `slack` or `teams`. Optional when only one is set up.
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

async fn sign_in(core: Arc<Core>, args: SignInArgs) -> Result<SignInResult, ToolError> {
    let app = core.app()?;
    let provider = match args.provider.as_deref() {
        Some(name) => name.parse().map_err(|_| {
            ToolError::invalid_argument(format!(
                "`provider`: unknown chat service `{name}`; use one of {}",
                providers::supported_names()
            ))
        })?,
        None => only_configured_provider(&app)?,
    };
    if providers::get(provider).is_none() {
        return Err(ToolError::invalid_argument(format!(
            "`provider`: {}",
            providers::Unsupported(provider)
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

/// With no `provider` argument: the one provider that is set up (or, with none set up, the
/// first this build supports, whose sign-in then says how to set it up).
fn only_configured_provider(app: &App) -> Result<ProviderId, ToolError> {
    let config = app.config();
    let configured: Vec<_> = providers::all()
        .filter(|p| p.is_configured(&config))
        .map(|p| p.id())
        .collect();
    match configured.as_slice() {
        [one] => Ok(*one),
        [] => Ok(providers::all()
            .next()
            .map(|p| p.id())
            .unwrap_or(ProviderId::GoogleChat)),
        many => Err(ToolError::invalid_argument(format!(
            "`provider`: several chat services are set up ({}); pass `provider` with the one to sign in to",
            many.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// What to do when nothing is signed in: set up (if needed) and sign in to a provider.
fn no_account_advice(status: &Status) -> String {
    match status.configured_providers.as_slice() {
        [] => format!(
            "no chat account is signed in and no chat service is set up: {}; then run `chatkey login <service>`",
            providers::all()
                .map(|p| p.setup_hint())
                .collect::<Vec<_>>()
                .join("; or ")
        ),
        configured => format!(
            "no chat account is signed in: call chatkey_sign_in, or run {}",
            configured
                .iter()
                .map(|p| format!("`chatkey login {p}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
    }
}
