//! An emulator of the Google services chatkey calls: OAuth 2.0 (authorization with a consent
//! page, token, revocation, userinfo), Google Chat v1 and People v1, all on one loopback port.
//!
//! Tests and `chatkey demo` run the real HTTP client against it through the config's endpoint
//! keys (`config_toml`). It is faithful to Google's wire format rather than to chatkey's client:
//! paths and parameters as in the discovery documents, the AIP-193 error envelope, opaque page
//! tokens, token expiry and revocation with Google's exact OAuth errors. Tests bend it through
//! `Knobs` (in process) or `/_emulator/…` (over HTTP), and `discovery` checks every route and
//! every logged request against Google's published discovery documents.

mod admin;
mod auth;
mod authorize;
mod bulk;
mod chat;
mod chat_write;
mod corpus;
mod crypto;
pub mod data;
pub mod discovery;
mod errors;
mod fields;
mod filter;
mod identity;
mod knobs;
mod media;
mod members;
mod oauth;
mod people;
mod reactions;
mod render;
mod route_table;
pub mod routes;
pub mod scopes;
mod seed;
mod server;
mod state;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use url::Url;

pub use knobs::{KnobSettings, Knobs, MintedTokens};
pub use state::{FailureSpec, LoggedRequest, SpaceQuotas};

/// The emulator's OAuth client (a Google "Desktop app" client).
pub const CLIENT_ID: &str = "chatkey-emulator.apps.googleusercontent.com";
pub const CLIENT_SECRET: &str = "emulator-client-secret";
/// When set, every non-admin request is appended to this file as one JSON line.
pub const REQUEST_LOG_ENV: &str = "CHATKEY_EMULATOR_REQUEST_LOG";

/// How to start an emulator.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Skip the consent page: the authorization endpoint redirects at once.
    pub auto_consent: bool,
    /// Lifetime of access tokens (`expires_in`); Google's is an hour.
    pub access_token_lifetime: Duration,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            port: 0,
            auto_consent: false,
            access_token_lifetime: Duration::from_secs(3600),
        }
    }
}

/// A running emulator. Dropping it stops the server in the background; `shutdown` waits.
pub struct EmulatorHandle {
    base_url: Url,
    emu: Arc<state::Emu>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

/// Starts an emulator on 127.0.0.1 with freshly seeded data.
pub async fn start(cfg: EmulatorConfig) -> anyhow::Result<EmulatorHandle> {
    start_with(cfg, axum::Router::new()).await
}

/// Like `start`, also serving `other` (another provider's emulator routes, which must not
/// overlap Google's) on the same port, for `chatkey emulator`.
pub async fn start_with(
    cfg: EmulatorConfig,
    other: axum::Router,
) -> anyhow::Result<EmulatorHandle> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", cfg.port))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{}", cfg.port))?;
    let port = listener.local_addr()?.port();
    let base_url = Url::parse(&format!("http://127.0.0.1:{port}/"))?;
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
    let emu = Arc::new(state::Emu {
        client_id: CLIENT_ID.to_string(),
        client_secret: CLIENT_SECRET.to_string(),
        auto_consent: cfg.auto_consent,
        default_lifetime: cfg.access_token_lifetime,
        state: Mutex::new(state::State {
            chat: seed::seed(state::now()),
            oauth: state::OAuthState::default(),
            settings: state::Settings::new(cfg.access_token_lifetime),
            log: Vec::new(),
            grant_counts: BTreeMap::new(),
            quota_windows: Default::default(),
        }),
        log_file: Mutex::new(log_file),
    });
    let (stop, stopped) = oneshot::channel::<()>();
    let app = server::router(emu.clone()).merge(other);
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    tracing::debug!(url = %base_url, "emulator listening");
    Ok(EmulatorHandle {
        base_url,
        emu,
        stop: Some(stop),
        task: Some(task),
    })
}

impl EmulatorHandle {
    /// `http://127.0.0.1:PORT/`
    pub fn base_url(&self) -> Url {
        self.base_url.clone()
    }

    pub fn client_id(&self) -> &str {
        &self.emu.client_id
    }

    pub fn client_secret(&self) -> &str {
        &self.emu.client_secret
    }

    pub fn knobs(&self) -> Knobs {
        Knobs {
            emu: self.emu.clone(),
        }
    }

    /// A `[providers.google-chat]` section pointing every endpoint at this emulator.
    pub fn config_toml(&self) -> String {
        let base = self.base_url.as_str().trim_end_matches('/');
        format!(
            "[providers.google-chat]\n\
             client_id = \"{id}\"\n\
             client_secret = \"{secret}\"\n\
             auth_url = \"{base}/o/oauth2/v2/auth\"\n\
             token_url = \"{base}/token\"\n\
             revoke_url = \"{base}/revoke\"\n\
             userinfo_url = \"{base}/v1/userinfo\"\n\
             api_url = \"{base}\"\n\
             people_url = \"{base}\"\n",
            id = self.client_id(),
            secret = self.client_secret(),
        )
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

impl EmulatorHandle {
    /// What `chatkey emulator` prints about Google: the config section and the knobs.
    pub fn describe(&self) -> String {
        let base = self.base_url();
        let mut out = String::from(
            "# Add to config.toml (or point CHATKEY_CONFIG_DIR at a directory holding it):\n",
        );
        out.push_str(&self.config_toml());
        out.push_str(&format!(
            "\n# Google: signed-in user {} ({}). Consent: {}.\n# Knobs (JSON over HTTP):\n",
            data::PRIMARY_EMAIL,
            format_args!("users/{}", data::PRIMARY_USER),
            if self.emu.auto_consent {
                "automatic"
            } else {
                "consent page"
            },
        ));
        for (method, path, what) in admin::ENDPOINTS {
            out.push_str(&format!(
                "#   {method:6} {base}{}  {what}\n",
                path.trim_start_matches('/')
            ));
        }
        out
    }
}

/// Waits for SIGINT or SIGTERM (Ctrl-C everywhere else).
pub async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// PKCE's S256 challenge for a verifier (`BASE64URL(SHA256(verifier))`), for tests that
/// drive the authorization endpoint by hand.
pub fn s256_challenge(verifier: &str) -> String {
    crypto::s256_challenge(verifier)
}

/// The request-body field lists the emulator enforces, by discovery schema name, so the
/// discovery test can check them against Google's schemas.
pub fn enforced_field_lists() -> Vec<(&'static str, &'static [&'static str])> {
    vec![("Message", chat_write::MESSAGE_FIELDS)]
}
