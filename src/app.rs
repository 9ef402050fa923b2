//! The daemon's shared state: configuration, accounts, per-provider caches and the tool
//! catalogue. One `App` lives for the daemon's life and every MCP session shares it, so a
//! sign-in, a refreshed token or a cached sender name is seen by every assistant at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::future::BoxFuture;
use serde::Serialize;

use crate::accounts::{AccountStatus, Registry};
use crate::config::{Config, LiveConfig};
use crate::paths::Paths;
use crate::providers::{self, ProviderEnv, ProviderId};
use crate::tokens::SecretStore;
use crate::tools::{ToolDef, ToolError, ToolErrorKind};

pub struct App {
    pub paths: Paths,
    pub http: reqwest::Client,
    pub accounts: Arc<Registry>,
    config: Arc<LiveConfig>,
    /// What every provider's tools share (accounts, config, HTTP, paths).
    env: Arc<ProviderEnv>,
    tools: Vec<ToolDef>,
    /// Why the last reload failed (a malformed config, an unreadable accounts file).
    problem: std::sync::Mutex<Option<String>>,
    /// The keyring the daemon uses; sign-ins started inside the daemon write to it.
    store: Arc<dyn SecretStore>,
    /// Sign-ins started inside the daemon (`chatkey_sign_in`, a notification's button).
    sign_in: tokio::sync::Mutex<Option<SignInFlow>>,
    /// Whether those sign-ins open a browser (off in tests and with `CHATKEY_NO_BROWSER=1`).
    pub sign_in_opens_browser: AtomicBool,
}

/// A browser sign-in running inside the daemon.
struct SignInFlow {
    provider: ProviderId,
    url: url::Url,
    task: tokio::task::JoinHandle<()>,
}

/// What `start_sign_in` hands back: where the person finishes signing in.
#[derive(Debug, Clone, Serialize)]
pub struct SignInStarted {
    pub provider: ProviderId,
    pub url: url::Url,
    /// A sign-in was already waiting for the browser; this is its URL.
    pub already_running: bool,
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
        let accounts = Arc::new(Registry::new(
            paths.clone(),
            store.clone(),
            http.clone(),
            Arc::new(providers::AccountRules),
        ));
        let config = Arc::new(LiveConfig::default());
        let env = Arc::new(ProviderEnv {
            paths: paths.clone(),
            http: http.clone(),
            accounts: accounts.clone(),
            config: config.clone(),
        });
        let app = Arc::new_cyclic(|me| Self {
            tools: crate::core_tools::catalogue(me.clone(), &env),
            accounts,
            paths,
            http,
            config,
            env,
            problem: std::sync::Mutex::new(None),
            store,
            sign_in: tokio::sync::Mutex::new(None),
            sign_in_opens_browser: AtomicBool::new(
                crate::signin::LoginOptions::default().open_browser,
            ),
        });
        if let Err(e) = app.reload().await {
            tracing::error!(error = %format!("{e:#}"), "configuration not loaded");
        }
        Ok(app)
    }

    /// Re-reads config and accounts (after `chatkey login`, `logout`, `setup`).
    pub async fn reload(&self) -> anyhow::Result<()> {
        let outcome = async {
            self.config.set(Config::load(&self.paths.config_file())?);
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
        self.config.get()
    }

    /// What providers' tools run with; also how code outside the daemon (benchmarks) builds
    /// a provider's context over this app.
    pub fn env(&self) -> &Arc<ProviderEnv> {
        &self.env
    }

    pub fn tools(&self) -> &[ToolDef] {
        &self.tools
    }

    /// The MCP instructions: what chatkey is, then a line per provider this build supports.
    pub fn instructions(&self) -> String {
        let mut text = String::from(
            "chatkey gives access to the person's team chat. Only the chat services the person signed in to have tools. \
             If a tool says an account needs signing in, call chatkey_status and tell the person what it says (chatkey_sign_in \
             starts a sign-in).",
        );
        for provider in providers::all() {
            text.push(' ');
            text.push_str(provider.instructions());
        }
        text
    }

    /// Starts the browser sign-in inside the daemon and returns its URL at once; the daemon
    /// picks the new token up when the person finishes (reload, `tools/list_changed`, a
    /// "signed in" notification). One sign-in at a time: asking again returns the same URL.
    pub async fn start_sign_in(
        self: &Arc<Self>,
        provider: ProviderId,
        login_hint: Option<String>,
    ) -> Result<SignInStarted, ToolError> {
        let mut slot = self.sign_in.lock().await;
        if let Some(flow) = slot.as_ref()
            && !flow.task.is_finished()
        {
            if flow.provider == provider {
                return Ok(SignInStarted {
                    provider,
                    url: flow.url.clone(),
                    already_running: true,
                });
            }
            // Only one loopback sign-in at a time; the older one is abandoned.
            flow.task.abort();
        }
        let (url_tx, url_rx) = tokio::sync::oneshot::channel();
        let (err_tx, err_rx) = tokio::sync::oneshot::channel::<String>();
        let app = self.clone();
        let opts = crate::signin::LoginOptions {
            open_browser: self.sign_in_opens_browser.load(Ordering::Relaxed),
            login_hint,
            ..Default::default()
        };
        let task = tokio::spawn(async move {
            let on_url = move |url: &url::Url| {
                let _ = url_tx.send(url.clone());
            };
            let store = app.store.clone();
            match crate::signin::login_into(&app.paths, provider, opts, store, on_url).await {
                Ok(record) => {
                    tracing::info!(provider = %provider, email = %record.email, "sign-in finished in the daemon");
                    if let Err(e) = app.reload().await {
                        tracing::error!(error = %format!("{e:#}"), "could not load the new sign-in");
                    }
                }
                Err(e) => {
                    let message = format!("{e:#}");
                    tracing::warn!(provider = %provider, error = %message, "sign-in did not finish");
                    let _ = err_tx.send(message);
                }
            }
        });
        let url = tokio::select! {
            Ok(url) = url_rx => url,
            Ok(message) = err_rx => {
                return Err(ToolError::new(ToolErrorKind::Unavailable, format!("could not start the sign-in: {message}")));
            }
            _ = tokio::time::sleep(std::time::Duration::from_secs(20)) => {
                task.abort();
                return Err(ToolError::new(ToolErrorKind::Unavailable, "the sign-in did not start within 20 s; check `chatkey status` and try again"));
            }
        };
        *slot = Some(SignInFlow {
            provider,
            url: url.clone(),
            task,
        });
        Ok(SignInStarted {
            provider,
            url,
            already_running: false,
        })
    }

    /// Whether a sign-in started inside the daemon is still waiting for the browser (or is
    /// being started right now).
    pub fn sign_in_running(&self) -> bool {
        match self.sign_in.try_lock() {
            Ok(slot) => slot.as_ref().is_some_and(|flow| !flow.task.is_finished()),
            Err(_) => true,
        }
    }

    pub fn status(&self) -> Status {
        let config = self.config();
        let configured = providers::all()
            .filter(|p| p.is_configured(&config))
            .map(|p| p.id())
            .collect();
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

    fn menu(&self) -> Option<serde_json::Value> {
        Some(crate::tray::menu_report(&self.0))
    }

    fn activate(&self) -> BoxFuture<'static, ()> {
        Box::pin(crate::tray::announce_already_running())
    }
}
