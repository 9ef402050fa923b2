//! What the Teams tools run with: the daemon's shared env (accounts, live config, HTTP,
//! paths), and the one way a tool gets a Graph client for the account it was asked to use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::client::GraphClient;
use super::config;
use crate::providers::{ProviderEnv, ProviderId};
use crate::tools::{ToolError, ToolErrorKind};

/// People's names by id: Graph names reaction authors by id only.
const NAMES_CAP: usize = 5000;

pub struct Context {
    pub env: Arc<ProviderEnv>,
    names: Mutex<HashMap<String, String>>,
    /// Every session's calls for one chat or channel, paced together.
    pacer: Arc<crate::pacing::Pacer<String>>,
}

impl Context {
    pub fn new(env: Arc<ProviderEnv>) -> Self {
        Self {
            env,
            names: Mutex::new(HashMap::new()),
            pacer: Arc::default(),
        }
    }

    /// A person's display name, from the cache or one `/users/{id}` lookup; `None` when Graph
    /// will not say (a guest from another tenant, a deleted account).
    pub async fn name_of(&self, client: &GraphClient, id: &str) -> Option<String> {
        if let Some(n) = self.names.lock().unwrap().get(id) {
            return Some(n.clone());
        }
        let url = client.url(&["users", id], &[("$select", "id,displayName".into())]);
        let user: super::models::User = client.get(url).await.ok()?;
        let name = user.display_name?;
        let mut names = self.names.lock().unwrap();
        if names.len() >= NAMES_CAP {
            names.clear();
        }
        names.insert(id.to_owned(), name.clone());
        Some(name)
    }

    /// Names reactions whose author Graph left unnamed.
    pub async fn name_reactions(
        &self,
        client: &GraphClient,
        reactions: &mut [super::tools::views::ReactionView],
    ) {
        for r in reactions.iter_mut() {
            for who in r.people.iter_mut() {
                if is_object_id(who)
                    && let Some(name) = self.name_of(client, who).await
                {
                    *who = name;
                }
            }
        }
    }

    /// A Graph client for the named account (its email), or the only one.
    pub fn client(&self, account: Option<&str>) -> Result<GraphClient, ToolError> {
        let account = self.env.accounts.resolve(ProviderId::Teams, account)?;
        let config = self.env.config();
        let endpoints = config::section(&config)
            .map_err(|e| ToolError::new(ToolErrorKind::NeedsSignIn, e.to_string()))?
            .endpoints();
        Ok(GraphClient::new(self.env.http.clone(), endpoints, account)
            .with_pacer(self.pacer.clone()))
    }
}

/// Entra object ids are GUIDs.
fn is_object_id(s: &str) -> bool {
    super::config::is_client_id(s)
}
