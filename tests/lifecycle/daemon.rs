//! The real `chatkey daemon --headless` process with the real keyring: killed with SIGKILL at
//! random points while it refreshes rotating refresh tokens, it must come back signed in every
//! time; and at `CHATKEY_LOG=trace` its log files must not contain any token it was issued.
//!
//! Needs a Secret Service (scripts/with-session.sh); skips when none answers unless
//! CHATKEY_REQUIRE_KEYRING is set.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chatkey::paths::Paths;
use chatkey::protocol::ControlRequest;
use chatkey::providers::ProviderId;
use chatkey::providers::google_chat::emulator::{self, EmulatorConfig, EmulatorHandle};
use chatkey::tokens::{AccountId, KeyringStore, SecretStore};
use serde_json::Value;

use crate::support::{off_runtime, profile_paths, store_signed_in_account};

const CHATKEY: &str = env!("CARGO_BIN_EXE_chatkey");

pub(super) fn keyring_ready(test: &str) -> bool {
    let probe = off_runtime(|| {
        KeyringStore::new("chatkey-test-probe".into())
            .and_then(|s| {
                s.load(&AccountId {
                    provider: ProviderId::GoogleChat,
                    email: "probe@invalid".into(),
                })
            })
            .map(|_| ())
    });
    match probe {
        Ok(_) => true,
        Err(e) if std::env::var_os("CHATKEY_REQUIRE_KEYRING").is_some() => {
            panic!("{test}: the keyring is required but does not work: {e}")
        }
        Err(e) => {
            eprintln!("skipping {test}: no working keyring ({e})");
            false
        }
    }
}

/// A private profile signed in to the emulator's primary user, token in the real keyring.
pub(super) struct Profile {
    dir: tempfile::TempDir,
    name: String,
    pub(super) paths: Paths,
    /// The keyring entry removed on drop.
    pub(super) id: AccountId,
}

impl Profile {
    fn new(tag: &str, config_toml: &str, refresh_token: &str) -> Self {
        let mut p = Self::bare(tag, config_toml);
        p.id = store_signed_in_account(
            &p.paths,
            chatkey::providers::google_chat::emulator::data::PRIMARY_USER,
            None,
            refresh_token,
        );
        p
    }

    /// A profile with `config_toml` and no account yet (the caller signs one in and sets `id`).
    pub(super) fn bare(tag: &str, config_toml: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let name = format!("t-{tag}-{}", std::process::id());
        let paths = profile_paths(dir.path(), &name);
        std::fs::create_dir_all(paths.config_dir()).unwrap();
        std::fs::write(paths.config_file(), config_toml).unwrap();
        Self {
            dir,
            name,
            paths,
            id: AccountId {
                provider: ProviderId::GoogleChat,
                email: "nobody@invalid".into(),
            },
        }
    }

    pub(super) fn daemon(&self, log: &str) -> Child {
        let root = self.dir.path();
        Command::new(CHATKEY)
            .args(["daemon", "--headless"])
            .env("CHATKEY_PROFILE", &self.name)
            .env("CHATKEY_CONFIG_DIR", root.join("config"))
            .env("CHATKEY_RUNTIME_DIR", root.join("run"))
            .env("CHATKEY_STATE_DIR", root.join("state"))
            .env("CHATKEY_NO_BROWSER", "1")
            .env("CHATKEY_LOG", log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    /// The account's status once the daemon answers and has refreshed (or given up).
    pub(super) async fn settled_account(&self) -> Value {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(reply) = chatkey::daemon::control(&self.paths, ControlRequest::Status).await
                && let Some(account) = reply["status"]["accounts"].get(0)
                && (account["state"] != "ok" || !account["last_refresh"].is_null())
            {
                return account.clone();
            }
            assert!(Instant::now() < deadline, "the daemon did not settle");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        let (service, id) = (self.paths.keyring_service(), self.id.clone());
        off_runtime(move || {
            if let Ok(store) = KeyringStore::new(service) {
                let _ = store.delete(&id);
            }
        });
    }
}

async fn rotating_emulator(lifetime: Duration) -> EmulatorHandle {
    let emu = emulator::start(EmulatorConfig {
        access_token_lifetime: lifetime,
        ..Default::default()
    })
    .await
    .unwrap();
    // Like Microsoft's and Slack's: each refresh returns a new refresh token, and the old one
    // stops working a little later.
    emu.knobs()
        .set_rotating_refresh_tokens(Some(Duration::from_secs(20)));
    // Widens the window in which a kill lands mid-refresh.
    emu.knobs().set_latency(Duration::from_millis(30));
    emu
}

fn mint(emu: &EmulatorHandle) -> (String, String) {
    let t = emu
        .knobs()
        .mint_tokens(
            chatkey::providers::google_chat::emulator::data::PRIMARY_USER,
            chatkey::providers::google_chat::DEFAULT_SCOPES,
        )
        .unwrap();
    (t.access_token, t.refresh_token)
}

pub(super) fn kill9(mut child: Child) {
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_rotating_refreshes_never_loses_the_sign_in() {
    if !keyring_ready("sigkill_during_rotating_refreshes_never_loses_the_sign_in") {
        return;
    }
    let emu = rotating_emulator(Duration::from_secs(3600)).await;
    let (_, refresh) = mint(&emu);
    let p = Profile::new("kill9", &emu.config_toml(), &refresh);
    let started = Instant::now();
    let mut refreshes_hit = 0;
    for round in 0..50 {
        // A daemon refreshes at once on start; kill it somewhere before, during or after.
        let before = emu.knobs().token_grants("refresh_token");
        let child = p.daemon("info");
        tokio::time::sleep(Duration::from_millis(rand::random_range(50..500))).await;
        kill9(child);
        refreshes_hit += emu.knobs().token_grants("refresh_token") - before;
        // Restart: whatever the kill interrupted, the keyring holds a working token.
        let child = p.daemon("info");
        let account = p.settled_account().await;
        assert_eq!(account["state"], "ok", "round {round}: {account}");
        kill9(child);
    }
    let grants = emu.knobs().token_grants("refresh_token");
    eprintln!(
        "kill -9: 50 rounds, {grants} refreshes ({refreshes_hit} in the randomly killed daemons), {:?}",
        started.elapsed()
    );
    assert!(grants >= 50, "{grants} refreshes");
    assert!(refreshes_hit > 0, "no kill landed after a refresh started");
}

/// A pass-through for the token endpoint that remembers every token it carried back.
async fn recording_token_proxy(emu: &EmulatorHandle) -> (url::Url, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let upstream = emu.base_url().join("token").unwrap();
    let http = reqwest::Client::new();
    let record = seen.clone();
    let app = axum::Router::new().route(
        "/token",
        axum::routing::post(move |body: String| {
            let (http, upstream, record) = (http.clone(), upstream.clone(), record.clone());
            async move {
                let response = http
                    .post(upstream)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                let text = response.text().await.unwrap();
                if let Ok(json) = serde_json::from_str::<Value>(&text) {
                    for key in ["access_token", "refresh_token"] {
                        if let Some(token) = json[key].as_str() {
                            record.lock().unwrap().push(token.to_owned());
                        }
                    }
                }
                (
                    axum::http::StatusCode::from_u16(status).unwrap(),
                    [("content-type", "application/json")],
                    text,
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/token", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url.parse().unwrap(), seen)
}

fn log_text(dir: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        text.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default());
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_never_reach_the_log_files_even_at_trace() {
    if !keyring_ready("tokens_never_reach_the_log_files_even_at_trace") {
        return;
    }
    let emu = rotating_emulator(Duration::from_secs(2)).await;
    let (proxy, seen) = recording_token_proxy(&emu).await;
    let config = emu.config_toml().replace(
        &format!("token_url = \"{}\"", emu.base_url().join("token").unwrap()),
        &format!("token_url = \"{proxy}\""),
    );
    assert!(config.contains(proxy.as_str()), "{config}");
    let (access, refresh) = mint(&emu);
    let p = Profile::new("logs", &config, &refresh);
    let child = p.daemon("trace");
    let account = p.settled_account().await;
    assert_eq!(account["state"], "ok", "{account}");
    // Let the refresher renew the short-lived token a few times, then revoke so the
    // needs-sign-in path logs too.
    let deadline = Instant::now() + Duration::from_secs(20);
    while emu.knobs().token_grants("refresh_token") < 4 {
        assert!(Instant::now() < deadline, "the refresher did not run");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    emu.knobs().revoke_refresh_tokens(None).unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let account = p.settled_account().await;
    assert_eq!(account["state"], "needs_sign_in", "{account}");
    let _ = chatkey::daemon::control(&p.paths, ControlRequest::Shutdown).await;
    kill9(child);

    let mut tokens = seen.lock().unwrap().clone();
    tokens.extend([access, refresh]);
    assert!(tokens.len() >= 8, "{} tokens seen", tokens.len());
    let logs = log_text(&p.paths.log_dir());
    assert!(
        logs.contains("access token refreshed"),
        "trace logs were written"
    );
    for token in &tokens {
        assert!(
            !logs.contains(token.as_str()),
            "a token is in the daemon's log"
        );
    }
}
