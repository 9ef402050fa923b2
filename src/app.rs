//! The daemon's shared state: configuration, accounts, per-provider caches and the tool
//! catalogue. One `App` lives for the daemon's life and every MCP session shares it, so a
//! sign-in, a refreshed token or a cached sender name is seen by every assistant at once.

use std::sync::{Arc, RwLock};

use futures::future::BoxFuture;
use serde::Serialize;

use crate::accounts::{AccountStatus, Registry};
use crate::config::Config;
use crate::paths::Paths;
use crate::providers::ProviderId;
use crate::providers::google_chat::{client::ChatClient, people::NameCache, quota::SpaceQuotas};
use crate::tokens::SecretStore;
use crate::tools::{ToolDef, ToolError};

pub struct App {
    pub paths: Paths,
    pub http: reqwest::Client,
    pub accounts: Registry,
    config: RwLock<Arc<Config>>,
    pub google_names: NameCache,
    pub google_quotas: Arc<SpaceQuotas>,
    tools: Vec<ToolDef>,
    /// Why the last reload failed (a malformed config, an unreadable accounts file).
    problem: std::sync::Mutex<Option<String>>,
}

/// What `chatkey status`, the control socket and `chatkey_status` report.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub version: &'static str,
    pub profile: String,
    pub pid: u32,
    pub accounts: Vec<AccountStatus>,
    pub configured_providers: Vec<ProviderId>,
    /// A configuration problem the daemon is working around, with what to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl App {
    /// Builds the app and loads accounts. A broken config is reported, not fatal: the daemon
    /// keeps serving `chatkey_status` with the error until a reload succeeds.
    pub async fn new(
        paths: Paths,
        store: Arc<dyn SecretStore>,
        http: reqwest::Client,
    ) -> anyhow::Result<Arc<Self>> {
        let app = Arc::new(Self {
            accounts: Registry::new(paths.clone(), store, http.clone()),
            paths,
            http,
            config: RwLock::new(Arc::new(Config::default())),
            google_names: NameCache::default(),
            google_quotas: Arc::new(SpaceQuotas::default()),
            tools: crate::core_tools::catalogue(),
            problem: std::sync::Mutex::new(None),
        });
        if let Err(e) = app.reload().await {
            tracing::error!(error = %format!("{e:#}"), "configuration not loaded");
        }
        Ok(app)
    }

    /// Re-reads config and accounts (after `chatkey login`, `logout`, `setup`).
    pub async fn reload(&self) -> anyhow::Result<()> {
        let outcome = async {
            let config = Config::load(&self.paths.config_file())?;
            *self.config.write().unwrap() = Arc::new(config);
            self.accounts.reload().await
        }
        .await;
        *self.problem.lock().unwrap() = outcome
            .as_ref()
            .err()
            .map(|e| format!("{e:#}; fix it, then run `chatkey status` to check"));
        outcome
    }

    pub fn config(&self) -> Arc<Config> {
        self.config.read().unwrap().clone()
    }

    pub fn tools(&self) -> &[ToolDef] {
        &self.tools
    }

    /// A Google Chat client for the named account (or the only one).
    pub fn google_chat(&self, account: Option<&str>) -> Result<ChatClient, ToolError> {
        let account = self.accounts.resolve(ProviderId::GoogleChat, account)?;
        let config = self.config();
        let google = config
            .google_chat()
            .map_err(|e| ToolError::new(crate::tools::ToolErrorKind::NeedsSignIn, e.to_string()))?;
        Ok(ChatClient::new(
            self.http.clone(),
            google.endpoints(),
            account,
            self.google_quotas.clone(),
        ))
    }

    pub fn status(&self) -> Status {
        let config = self.config();
        let mut configured = Vec::new();
        if config.providers.google_chat.is_some() {
            configured.push(ProviderId::GoogleChat);
        }
        Status {
            version: env!("CARGO_PKG_VERSION"),
            profile: self.paths.profile().to_owned(),
            pid: std::process::id(),
            accounts: self.accounts.all().iter().map(|a| a.status()).collect(),
            configured_providers: configured,
            problem: self.problem.lock().unwrap().clone(),
        }
    }
}

/// The daemon's view of the app, for the socket layer.
pub struct DaemonServices(pub Arc<App>);

impl crate::daemon::Services for DaemonServices {
    fn serve_mcp(
        &self,
        conn: crate::ipc::Connection,
        opts: crate::protocol::SessionOptions,
    ) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(crate::mcp::serve(self.0.clone(), conn, opts))
    }

    fn status(&self) -> BoxFuture<'static, serde_json::Value> {
        let app = self.0.clone();
        Box::pin(async move { serde_json::to_value(app.status()).unwrap_or_default() })
    }

    fn reload(&self) -> BoxFuture<'static, anyhow::Result<()>> {
        let app = self.0.clone();
        Box::pin(async move { app.reload().await })
    }
}
