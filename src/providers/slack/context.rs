//! What the Slack tools run with: the daemon's shared env (accounts, live config, HTTP,
//! paths) plus Slack's shared state (pacing, people, conversations), and the one way a tool
//! gets a client for the account it was asked to use.

use std::sync::Arc;

use super::client::SlackClient;
use super::config;
use super::state::SlackState;
use crate::config::Config;
use crate::providers::{ProviderEnv, ProviderId};
use crate::tools::{ToolError, ToolErrorKind};

pub struct Context {
    pub env: Arc<ProviderEnv>,
    pub state: SlackState,
}

impl Context {
    pub fn new(env: Arc<ProviderEnv>) -> Self {
        Self {
            env,
            state: SlackState::default(),
        }
    }

    pub fn config(&self) -> Arc<Config> {
        self.env.config()
    }

    /// A Slack client for the named account (email or workspace domain), or the only one.
    pub fn client(&self, account: Option<&str>) -> Result<SlackClient, ToolError> {
        let account = self.env.accounts.resolve(ProviderId::Slack, account)?;
        let config = self.config();
        // An imported token works without an app of our own: Slack's default endpoints then.
        let endpoints = match config::section(&config) {
            Ok(slack) => slack.endpoints(),
            Err(_) if account.record().secret_kind == crate::tokens::SecretKind::LongLived => {
                Default::default()
            }
            Err(e) => return Err(ToolError::new(ToolErrorKind::NeedsSignIn, e.to_string())),
        };
        Ok(self.state.client(self.env.http.clone(), endpoints, account))
    }
}
