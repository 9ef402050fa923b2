//! An emulator of the Slack services chatkey calls: OAuth v2 for user tokens (authorize page
//! with PKCE, `oauth.v2.access` with token rotation) and the Web API methods the Slack tools
//! use, on one loopback port.
//!
//! Tests and `chatkey demo` run the real client against it through the config's endpoint keys
//! (`config_toml`). It follows Slack's documented wire rather than chatkey's client: method
//! names and parameters as in slack_sdk, HTTP 200 `{"ok": false, "error": …}` envelopes,
//! `missing_scope` with `needed`/`provided`, cursor paging with short pages, rate tiers
//! answering 429 with `Retry-After`, expiring and rotating tokens, and the three-step file
//! upload. Tests bend it through `Knobs` (in process) or `/_emulator/slack/…` (HTTP); `spec`
//! checks routes, parameters, answers and the logged traffic against Slack's own SDK sources.
//!
//! The emulator depends on nothing in chatkey outside this folder.

mod admin;
mod args;
mod authorize;
mod bulk;
mod chat;
mod conversations;
mod corpus;
pub mod data;
mod errors;
mod files;
mod history;
mod knobs;
mod methods;
mod oauth;
mod paging;
mod ratelimit;
mod reactions;
mod render;
pub mod scopes;
mod search;
mod seed;
mod server;
pub mod spec;
mod state;
mod users;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use url::Url;

pub use admin::{ENDPOINTS as ADMIN_ENDPOINTS, PREFIX as ADMIN_PREFIX};
pub use knobs::{KnobSettings, Knobs, MintedTokens};
pub use ratelimit::Tier;
pub use seed::SeedRefs;
pub use state::{AppSettings, FailureSpec, LoggedRequest, Settings};

/// The emulated app's client id (Slack's form: two numbers joined by a dot).
pub const CLIENT_ID: &str = "5012345678901.7012345678901";
/// Its secret; only sent when the app is not a PKCE (public) client.
pub const CLIENT_SECRET: &str = "3f1c2e9a7b6d5c4e8f0a1b2c3d4e5f60";
pub const APP_ID: &str = "A07CHATKEY1";
/// When set, every request is appended to this file as one JSON line (a file of its own, so
/// the Slack check reads only Slack traffic).
pub const REQUEST_LOG_ENV: &str = "CHATKEY_SLACK_EMULATOR_REQUEST_LOG";
/// The loopback port chatkey registers by default (`redirect_port`).
pub const DEFAULT_REDIRECT_PORT: u16 = 53682;

/// How to start an emulator.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Skip the consent page: the authorize page redirects at once.
    pub auto_consent: bool,
    /// The app's registered redirect URL is `http://localhost:{redirect_port}/callback`.
    pub redirect_port: u16,
    /// A PKCE app (public client, no secret); `false`: an app whose exchanges need the secret.
    pub pkce: bool,
    /// Expiring access tokens with refresh tokens (`xoxe.xoxp-`); `false`: long-lived `xoxp-`.
    pub token_rotation: bool,
    /// Slack's is 12 hours.
    pub access_token_lifetime: Duration,
    /// PKCE apps' refresh tokens expire after 30 days; `None`: never.
    pub refresh_token_lifetime: Option<Duration>,
    /// Multiplies every rate tier; `None` (the default) never limits.
    pub rate_limit_scale: Option<f64>,
    /// Every second page of cursor-paged lists holds fewer items than `limit`.
    pub short_pages: bool,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            port: 0,
            auto_consent: false,
            redirect_port: DEFAULT_REDIRECT_PORT,
            pkce: true,
            token_rotation: true,
            access_token_lifetime: Duration::from_secs(12 * 3600),
            refresh_token_lifetime: Some(Duration::from_secs(30 * 86_400)),
            rate_limit_scale: None,
            short_pages: true,
        }
    }
}

impl EmulatorConfig {
    /// The knob settings this configuration starts with.
    pub fn settings(&self) -> Settings {
        Settings {
            app: AppSettings {
                redirect_urls: vec![format!("http://localhost:{}/callback", self.redirect_port)],
                pkce: self.pkce,
                token_rotation: self.token_rotation,
            },
            access_token_lifetime: self.access_token_lifetime,
            refresh_token_lifetime: self.refresh_token_lifetime,
            consent_user: None,
            granted_scopes: None,
            latency: Duration::ZERO,
            method_latency: BTreeMap::new(),
            failures: Vec::new(),
            rate_limit_scale: self.rate_limit_scale,
            marketplace_restricted: false,
            short_pages: self.short_pages,
        }
    }
}

/// An emulator not bound to a port: its router can be served alone (`start`) or merged with
/// the other providers' emulators into one server.
pub struct SlackEmulator {
    emu: Arc<state::Emu>,
}

impl SlackEmulator {
    /// Seeds the workspace relative to now and opens `$CHATKEY_SLACK_EMULATOR_REQUEST_LOG`.
    pub fn new(cfg: &EmulatorConfig) -> anyhow::Result<Self> {
        let log_file = match std::env::var_os(REQUEST_LOG_ENV).filter(|v| !v.is_empty()) {
            Some(path) => Some(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .with_context(|| {
                        format!(
                            "cannot open {REQUEST_LOG_ENV} file {}",
                            path.to_string_lossy()
                        )
                    })?,
            ),
            None => None,
        };
        let (ws, refs) = seed::seed(chrono::Utc::now());
        let settings = cfg.settings();
        let emu = state::Emu {
            refs,
            client_id: CLIENT_ID.to_string(),
            client_secret: CLIENT_SECRET.to_string(),
            app_id: APP_ID.to_string(),
            auto_consent: cfg.auto_consent,
            default_settings: settings.clone(),
            state: Mutex::new(state::State {
                ws,
                oauth: state::OAuthState::default(),
                settings,
                log: Vec::new(),
                calls: BTreeMap::new(),
                rate_windows: Default::default(),
                uploads: Default::default(),
            }),
            log_file: Mutex::new(log_file),
        };
        Ok(Self { emu: Arc::new(emu) })
    }

    /// The routes: `/api/{method}`, `/oauth/v2/authorize` (+ its decision form), minted upload
    /// URLs, `/files-pri/…` downloads and `/_emulator/slack/…`. No fallback, so it merges with
    /// another emulator's router.
    pub fn router(&self) -> axum::Router {
        server::router(self.emu.clone())
    }

    pub fn knobs(&self) -> Knobs {
        Knobs {
            emu: self.emu.clone(),
        }
    }

    /// A `[providers.slack]` section pointing chatkey at this emulator served at `base`.
    pub fn config_toml(&self, base: &Url) -> String {
        let base = base.as_str().trim_end_matches('/');
        let app = self.knobs().app();
        let port = app
            .redirect_urls
            .first()
            .and_then(|u| Url::parse(u).ok())
            .and_then(|u| u.port())
            .unwrap_or(DEFAULT_REDIRECT_PORT);
        let mut out = format!("[providers.slack]\nclient_id = \"{CLIENT_ID}\"\n");
        if !app.pkce {
            out.push_str(&format!("client_secret = \"{CLIENT_SECRET}\"\n"));
        }
        out.push_str(&format!(
            "redirect_port = {port}\nauth_url = \"{base}{}\"\napi_url = \"{base}/api\"\n",
            authorize::AUTHORIZE_PATH
        ));
        out
    }

    /// What `chatkey emulator` prints about Slack: the config section and the admin endpoints.
    pub fn describe(&self, base: &Url) -> String {
        let root = base.as_str().trim_end_matches('/');
        let mut out = self.config_toml(base);
        out.push_str(&format!(
            "\n# Slack workspace {} ({}.slack.com); signed-in user: {} ({}).\n# Slack knobs (JSON over HTTP):\n",
            data::TEAM.name,
            data::TEAM.domain,
            data::PRIMARY_EMAIL,
            data::PRIMARY_USER
        ));
        for (method, path, what) in admin::ENDPOINTS {
            out.push_str(&format!(
                "#   {method:6} {root}{}{path}  {what}\n",
                admin::PREFIX
            ));
        }
        out
    }
}

/// A running emulator. Dropping it stops the server in the background; `shutdown` waits.
pub struct EmulatorHandle {
    base_url: Url,
    emulator: SlackEmulator,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

/// Starts an emulator on 127.0.0.1 with a freshly seeded workspace.
pub async fn start(cfg: EmulatorConfig) -> anyhow::Result<EmulatorHandle> {
    let emulator = SlackEmulator::new(&cfg)?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", cfg.port))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{}", cfg.port))?;
    let port = listener.local_addr()?.port();
    let base_url = Url::parse(&format!("http://127.0.0.1:{port}/"))?;
    let (stop, stopped) = oneshot::channel::<()>();
    let app = emulator.router();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    tracing::debug!(url = %base_url, "slack emulator listening");
    Ok(EmulatorHandle {
        base_url,
        emulator,
        stop: Some(stop),
        task: Some(task),
    })
}

impl EmulatorHandle {
    /// `http://127.0.0.1:PORT/`
    pub fn base_url(&self) -> Url {
        self.base_url.clone()
    }

    /// `http://127.0.0.1:PORT/api` (chatkey's `api_url`).
    pub fn api_url(&self) -> String {
        format!("{}api", self.base_url)
    }

    pub fn client_id(&self) -> &str {
        CLIENT_ID
    }

    pub fn client_secret(&self) -> &str {
        CLIENT_SECRET
    }

    /// The first registered redirect URL (`http://localhost:53682/callback` by default).
    pub fn redirect_uri(&self) -> String {
        self.knobs()
            .app()
            .redirect_urls
            .first()
            .cloned()
            .unwrap_or_default()
    }

    pub fn knobs(&self) -> Knobs {
        self.emulator.knobs()
    }

    /// A `[providers.slack]` section pointing every endpoint at this emulator.
    pub fn config_toml(&self) -> String {
        self.emulator.config_toml(&self.base_url)
    }

    pub fn describe(&self) -> String {
        self.emulator.describe(&self.base_url)
    }

    /// Stops accepting requests and waits (at most a few seconds) for in-flight ones.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            // Keep-alive connections held by a client may never close; do not hang on them.
            if tokio::time::timeout(Duration::from_secs(3), &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// PKCE's S256 challenge for a verifier, for tests that drive the authorize page by hand.
pub fn s256_challenge(verifier: &str) -> String {
    oauth::s256_challenge(verifier)
}

/// What the spec test checks: every served Web API method with the parameters its handler
/// may read.
pub fn served_methods() -> Vec<(&'static str, &'static [&'static str])> {
    methods::METHODS
        .iter()
        .map(|m| (m.name, m.params))
        .collect()
}

/// The rate tier of a served method (at scale 1, not Marketplace-restricted).
pub fn method_tier(name: &str) -> Option<Tier> {
    methods::find(name).map(|m| m.tier)
}

/// How the request log names the authorization page (`oauth/v2/authorize`).
pub const AUTHORIZE_LOG_NAME: &str = authorize::AUTHORIZE_METHOD;
