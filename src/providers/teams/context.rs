//! What the Teams tools run with: the daemon's shared env (accounts, live config, HTTP,
//! paths), and the one way a tool gets a Graph client for the account it was asked to use.

use std::sync::Arc;

use super::client::GraphClient;
use super::config;
use crate::providers::{ProviderEnv, ProviderId};
use crate::tools::{ToolError, ToolErrorKind};

pub struct Context {
    pub env: Arc<ProviderEnv>,
}

impl Context {
    pub fn new(env: Arc<ProviderEnv>) -> Self {
        Self { env }
    }

    /// A Graph client for the named account (its email), or the only one.
    pub fn client(&self, account: Option<&str>) -> Result<GraphClient, ToolError> {
        let account = self.env.accounts.resolve(ProviderId::Teams, account)?;
        let config = self.env.config();
        let endpoints = config::section(&config)
            .map_err(|e| ToolError::new(ToolErrorKind::NeedsSignIn, e.to_string()))?
            .endpoints();
        Ok(GraphClient::new(self.env.http.clone(), endpoints, account))
    }
}
