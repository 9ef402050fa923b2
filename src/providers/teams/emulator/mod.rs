//! An emulator of the Microsoft services chatkey's Teams provider calls: Entra's v2.0
//! authorize and token endpoints for a public client, and the Microsoft Graph v1.0 routes the
//! Teams tools use, on one loopback port (`/teams-login/{tenant}/oauth2/v2.0/…` and
//! `/graph/v1.0/…`).
//!
//! It follows Microsoft's documented wire rather than chatkey's client: Entra's error bodies
//! with AADSTS codes, a new refresh token on every refresh, Graph's `@odata.nextLink` paging
//! and `$top` limits, its error envelope, 401 `InvalidAuthenticationToken` after
//! `expires_in`, scope checks (channel messages need ChannelMessage.Read.All, which only an
//! administrator's consent grants: `Knobs::set_admin_consent`), 429 with `Retry-After`.
//! Tests bend it through `Knobs`. It depends on nothing in chatkey outside this folder.

pub mod data;
mod device;
mod graph;
mod oauth;
mod render;
pub mod spec;
mod state;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::routing::{any, get, post};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use url::Url;

pub use state::{Failure, LoggedRequest};

/// The emulated app registration's Application (client) ID.
pub const CLIENT_ID: &str = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";
/// When set, every Graph request is appended to this file as one JSON line.
pub const REQUEST_LOG_ENV: &str = "CHATKEY_TEAMS_EMULATOR_REQUEST_LOG";
pub const LOGIN_PREFIX: &str = "/teams-login";
pub const GRAPH_PREFIX: &str = "/graph/v1.0/";

#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Skip the consent page: the authorize page redirects at once.
    pub auto_consent: bool,
    /// Entra's default is 60–90 minutes.
    pub access_token_lifetime: Duration,
    /// An administrator consented to ChannelMessage.Read.All for the organisation.
    pub admin_consent: bool,
    /// The polling interval device-code sign-ins are told (Entra's is 5 s).
    pub device_interval: Duration,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            port: 0,
            auto_consent: false,
            access_token_lifetime: Duration::from_secs(3599),
            admin_consent: false,
            device_interval: Duration::from_secs(5),
        }
    }
}

pub(crate) struct Emu {
    pub auto_consent: bool,
    pub state: Mutex<state::State>,
    log_file: Mutex<Option<std::fs::File>>,
}

impl Emu {
    fn log(&self, entry: LoggedRequest) {
        if let Some(file) = self.log_file.lock().unwrap().as_mut() {
            use std::io::Write;
            let line = serde_json::to_string(&entry).unwrap_or_default();
            let _ = writeln!(file, "{line}");
        }
        self.state.lock().unwrap().log.push(entry);
    }
}

/// An emulator not bound to a port: its router can be served alone (`start`) or merged with
/// the other providers' emulators into one server.
pub struct TeamsEmulator {
    emu: Arc<Emu>,
}

impl TeamsEmulator {
    /// Seeds the organisation relative to now and opens `$CHATKEY_TEAMS_EMULATOR_REQUEST_LOG`.
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
        let state = state::State {
            org: data::seed(chrono::Utc::now()),
            settings: state::Settings {
                access_token_lifetime: cfg.access_token_lifetime,
                admin_consent: cfg.admin_consent,
                latency: Duration::ZERO,
                failures: Vec::new(),
                device_interval: cfg.device_interval,
                slow_downs: 0,
            },
            access: HashMap::new(),
            refresh: HashMap::new(),
            codes: HashMap::new(),
            consents: HashMap::new(),
            devices: HashMap::new(),
            log: Vec::new(),
            token_calls: BTreeMap::new(),
        };
        Ok(Self {
            emu: Arc::new(Emu {
                auto_consent: cfg.auto_consent,
                state: Mutex::new(state),
                log_file: Mutex::new(log_file),
            }),
        })
    }

    /// The routes, with no fallback, so they merge with another emulator's router.
    pub fn router(&self) -> axum::Router {
        let login = format!("{LOGIN_PREFIX}/{{tenant}}/oauth2/v2.0");
        axum::Router::new()
            .route(&format!("{login}/authorize"), get(oauth::authorize))
            .route(
                &format!("{login}/authorize/decision"),
                post(oauth::decision),
            )
            .route(&format!("{login}/token"), post(oauth::token_endpoint))
            .route(&format!("{login}/devicecode"), post(device::start))
            .route(
                &format!("{LOGIN_PREFIX}/devicelogin"),
                get(device::page).post(device::enter),
            )
            .route("/graph/v1.0/{*rest}", any(graph::handle))
            .route("/teams-files/{token}", get(graph::download))
            .with_state(self.emu.clone())
    }

    pub fn knobs(&self) -> Knobs {
        Knobs {
            emu: self.emu.clone(),
        }
    }

    /// A `[providers.teams]` section pointing chatkey at this emulator served at `base`.
    pub fn config_toml(&self, base: &Url) -> String {
        let base = base.as_str().trim_end_matches('/');
        format!(
            "[providers.teams]\nclient_id = \"{CLIENT_ID}\"\ntenant = \"organizations\"\nauthority_url = \"{base}{LOGIN_PREFIX}\"\ngraph_url = \"{base}/graph\"\n"
        )
    }

    /// What `chatkey emulator` prints about Teams.
    pub fn describe(&self, base: &Url) -> String {
        format!(
            "{}\n# Microsoft 365 organisation Contoso; signed-in user: {} ({}).\n",
            self.config_toml(base),
            data::ME_EMAIL,
            data::ME
        )
    }
}

/// How tests bend the emulator.
#[derive(Clone)]
pub struct Knobs {
    emu: Arc<Emu>,
}

impl Knobs {
    fn with<T>(&self, f: impl FnOnce(&mut state::State) -> T) -> T {
        f(&mut self.emu.state.lock().unwrap())
    }

    pub fn set_access_token_lifetime(&self, d: Duration) {
        self.with(|st| st.settings.access_token_lifetime = d);
    }

    /// Grants (or withdraws) the organisation-wide consent to ChannelMessage.Read.All; tokens
    /// issued from then on carry it.
    pub fn set_admin_consent(&self, on: bool) {
        self.with(|st| st.settings.admin_consent = on);
    }

    /// Every access token issued so far expires now.
    pub fn expire_access_tokens(&self) {
        self.with(|st| {
            st.access
                .values_mut()
                .for_each(|a| a.expires = Instant::now())
        });
    }

    /// Every refresh token issued so far is refused with `AADSTS{code}: {text}` (a password
    /// change is 50173, inactivity 700082, withdrawn consent 65001).
    pub fn refuse_refresh_tokens(&self, code: u32, text: &str) {
        self.with(|st| {
            st.refresh
                .values_mut()
                .for_each(|r| r.refused = Some((code, text.to_owned())))
        });
    }

    pub fn fail(&self, failure: Failure) {
        self.with(|st| st.settings.failures.push(failure));
    }

    /// Adds `chats` group chats of `messages` messages each (from three of the seeded
    /// people, spread over the last 30 days, every tenth mentioning the signed-in person and
    /// every seventh about `payments-api`), read up to a day ago; returns their ids.
    pub fn add_bulk_chats(&self, chats: usize, messages: usize) -> Vec<String> {
        self.with(|st| data::add_bulk_chats(&mut st.org, chrono::Utc::now(), chats, messages))
    }

    /// The next `n` device-code polls are answered `slow_down`.
    pub fn slow_down_next(&self, n: u32) {
        self.with(|st| st.settings.slow_downs = n);
    }

    /// Device-code polls so far.
    pub fn device_polls(&self) -> u64 {
        self.token_calls("urn:ietf:params:oauth:grant-type:device_code")
    }

    pub fn set_latency(&self, d: Duration) {
        self.with(|st| st.settings.latency = d);
    }

    /// Graph requests so far.
    pub fn log(&self) -> Vec<LoggedRequest> {
        self.with(|st| st.log.clone())
    }

    /// Token-endpoint requests of `grant_type`.
    pub fn token_calls(&self, grant_type: &str) -> u64 {
        self.with(|st| st.token_calls.get(grant_type).copied().unwrap_or(0))
    }

    /// Refresh tokens issued and not refused.
    pub fn live_refresh_tokens(&self) -> usize {
        self.with(|st| st.refresh.values().filter(|r| r.refused.is_none()).count())
    }
}

/// A running emulator. Dropping it stops the server in the background; `shutdown` waits.
pub struct EmulatorHandle {
    base_url: Url,
    emulator: TeamsEmulator,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

/// Starts an emulator on 127.0.0.1 with a freshly seeded organisation.
pub async fn start(cfg: EmulatorConfig) -> anyhow::Result<EmulatorHandle> {
    let emulator = TeamsEmulator::new(&cfg)?;
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
    tracing::debug!(url = %base_url, "teams emulator listening");
    Ok(EmulatorHandle {
        base_url,
        emulator,
        stop: Some(stop),
        task: Some(task),
    })
}

impl EmulatorHandle {
    pub fn base_url(&self) -> Url {
        self.base_url.clone()
    }

    pub fn knobs(&self) -> Knobs {
        self.emulator.knobs()
    }

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
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(3), &mut task)
                .await
                .is_err()
        {
            task.abort();
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
