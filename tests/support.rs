//! Shared set-up for the integration tests: an emulator, a private profile, a signed-in app,
//! and an MCP client connected to it in-process.

#![allow(dead_code)]

use std::ffi::OsString;
use std::path::Path;
use std::sync::Arc;

use chatkey::app::App;
use chatkey::paths::Paths;
use chatkey::protocol::SessionOptions;
use chatkey::providers::ProviderId;
use chatkey::providers::google_chat::emulator::{self, EmulatorConfig, EmulatorHandle};
use chatkey::tokens::{AccountId, AccountRecord, Accounts, MemoryStore, SecretStore};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::{RoleClient, RunningService};
use serde_json::Value;

pub struct World {
    pub emulator: EmulatorHandle,
    pub paths: Paths,
    pub app: Arc<App>,
    pub store: Arc<MemoryStore>,
    pub dir: tempfile::TempDir,
}

/// Paths for a private profile under `root`.
pub fn paths_in(root: &Path) -> Paths {
    profile_paths(root, "test")
}

/// An emulator plus an app signed in through the real OAuth loop (auto-consent; reqwest plays
/// the browser), with the refresh token in an in-memory store.
pub async fn signed_in_world(cfg: EmulatorConfig) -> World {
    let emulator = emulator::start(EmulatorConfig {
        auto_consent: true,
        ..cfg
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let paths = paths_in(dir.path());
    std::fs::create_dir_all(paths.config_dir()).unwrap();
    std::fs::write(paths.config_file(), emulator.config_toml()).unwrap();

    let config = chatkey::config::Config::load(&paths.config_file()).unwrap();
    let google = chatkey::providers::google_chat::config::section(&config).unwrap();
    let oauth = chatkey::providers::google_chat::oauth_config(google);
    let http = chatkey::http::client();
    let tokens = chatkey::oauth::authorize(
        &oauth,
        &http,
        chatkey::oauth::AuthorizeOptions {
            open_browser: false,
            timeout: std::time::Duration::from_secs(20),
            login_hint: None,
        },
        |url| {
            let url = url.clone();
            tokio::spawn(async move { reqwest::get(url).await.map(|_| ()) });
        },
    )
    .await
    .unwrap();
    let me = chatkey::providers::google_chat::identity::whoami(
        &http,
        &google.endpoints(),
        &tokens.access_token,
    )
    .await
    .unwrap();
    let store = Arc::new(MemoryStore::default());
    store
        .save(
            &AccountId {
                provider: ProviderId::GoogleChat,
                email: me.email.clone(),
            },
            tokens.refresh_token.as_ref().unwrap(),
        )
        .unwrap();
    let mut accounts = Accounts::load(&paths.accounts_file()).unwrap();
    accounts.upsert(AccountRecord {
        provider: ProviderId::GoogleChat,
        email: me.email,
        user_id: me.user_id,
        display_name: me.display_name,
        scopes: oauth.scopes.clone(),
        signed_in_at: chrono::Utc::now(),
        aliases: Vec::new(),
        secret_kind: Default::default(),
    });
    accounts.save(&paths.accounts_file()).unwrap();
    let app = App::new(paths.clone(), store.clone(), http).await.unwrap();
    World {
        emulator,
        paths,
        app,
        store,
        dir,
    }
}

pub type Client = RunningService<RoleClient, ()>;

/// An rmcp client session with the app over an in-memory pipe.
pub async fn connect(app: &Arc<App>, opts: SessionOptions) -> Client {
    let (client_io, server_io) = tokio::io::duplex(1 << 20);
    let app = app.clone();
    tokio::spawn(async move { chatkey::mcp::serve(app, server_io, opts).await });
    ().serve(client_io).await.unwrap()
}

pub async fn call(client: &Client, tool: &str, args: Value) -> CallToolResult {
    let params = CallToolRequestParams::new(tool.to_owned())
        .with_arguments(args.as_object().cloned().unwrap_or_default());
    client.call_tool(params).await.unwrap()
}

/// The structured result of a call that must succeed.
pub async fn ok(client: &Client, tool: &str, args: Value) -> Value {
    let result = call(client, tool, args).await;
    assert_ne!(
        result.is_error,
        Some(true),
        "{tool} failed: {:?}",
        result.content
    );
    result.structured_content.expect("structured content")
}

/// The message of a call that must fail as a tool error.
pub async fn tool_error(client: &Client, tool: &str, args: Value) -> String {
    let result = call(client, tool, args).await;
    assert_eq!(result.is_error, Some(true), "{tool} should fail");
    result.structured_content.unwrap()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Paths for profile `profile` with every directory under `root`.
pub fn profile_paths(root: &Path, profile: &str) -> Paths {
    let root = root.to_owned();
    let profile = profile.to_owned();
    Paths::from_lookup(move |name| {
        let v: Option<OsString> = match name {
            "CHATKEY_PROFILE" => Some(profile.clone().into()),
            "CHATKEY_CONFIG_DIR" => Some(root.join("config").into()),
            "CHATKEY_RUNTIME_DIR" => Some(root.join("run").into()),
            "CHATKEY_STATE_DIR" => Some(root.join("state").into()),
            _ => None,
        };
        v
    })
    .unwrap()
}

/// Runs a blocking keyring call on a plain thread: the Secret Service client blocks on its
/// own runtime, which may not start (or be dropped) inside the test's.
pub fn off_runtime<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(f).join().unwrap()
}

/// Signs `email` in for the profile of `paths` the way `chatkey login` leaves it: the refresh
/// token in the real keyring, then the account record (with the default scopes).
pub fn store_signed_in_account(
    paths: &Paths,
    email: &str,
    display_name: Option<&str>,
    refresh_token: &str,
) -> AccountId {
    let id = AccountId {
        provider: ProviderId::GoogleChat,
        email: email.to_owned(),
    };
    let (service, save_id, token) = (
        paths.keyring_service(),
        id.clone(),
        refresh_token.to_owned(),
    );
    off_runtime(move || {
        chatkey::tokens::KeyringStore::new(service)
            .unwrap()
            .save(&save_id, &secrecy::SecretString::from(token))
            .unwrap()
    });
    let mut accounts = Accounts::load(&paths.accounts_file()).unwrap();
    accounts.upsert(AccountRecord {
        provider: ProviderId::GoogleChat,
        email: email.to_owned(),
        user_id: None,
        display_name: display_name.map(str::to_owned),
        scopes: chatkey::providers::google_chat::DEFAULT_SCOPES
            .iter()
            .map(|s| s.to_string())
            .collect(),
        signed_in_at: chrono::Utc::now(),
        aliases: Vec::new(),
        secret_kind: Default::default(),
    });
    accounts.save(&paths.accounts_file()).unwrap();
    id
}

pub struct SlackWorld {
    pub emulator: chatkey::providers::slack::emulator::EmulatorHandle,
    pub paths: Paths,
    pub app: Arc<App>,
    pub store: Arc<MemoryStore>,
    pub dir: tempfile::TempDir,
}

/// A free loopback port for a Slack app's registered redirect URL (Slack matches the port
/// exactly, so parallel tests must not share one).
///
/// Not one the kernel hands out: a port from the ephemeral range is free when checked, then
/// taken by some other test's outgoing connection before sign-in binds it (CI saw exactly
/// that). Ports below Linux's ephemeral range (32768 up) are only ever taken by a listener,
/// so a random one that binds now stays free unless another test draws the same number.
pub fn free_port() -> u16 {
    loop {
        let port = rand::random_range(20_000..32_000);
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A Slack emulator plus an app signed in to it through the real OAuth v2 loop (PKCE,
/// `user_scope`, the registered port; auto-consent, reqwest plays the browser) and
/// `signin::login_into`, with the refresh token in an in-memory store.
pub async fn signed_in_slack_world(
    cfg: chatkey::providers::slack::emulator::EmulatorConfig,
) -> SlackWorld {
    let emulator = chatkey::providers::slack::emulator::start(
        chatkey::providers::slack::emulator::EmulatorConfig {
            auto_consent: true,
            redirect_port: free_port(),
            ..cfg
        },
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let paths = paths_in(dir.path());
    std::fs::create_dir_all(paths.config_dir()).unwrap();
    std::fs::write(paths.config_file(), emulator.config_toml()).unwrap();
    let store = Arc::new(MemoryStore::default());
    let record = chatkey::signin::login_into(
        &paths,
        ProviderId::Slack,
        chatkey::signin::LoginOptions {
            open_browser: false,
            login_hint: None,
            timeout: std::time::Duration::from_secs(20),
        },
        store.clone(),
        |url| {
            let url = url.clone();
            tokio::spawn(async move { reqwest::get(url).await.map(|_| ()) });
        },
    )
    .await
    .expect("slack sign-in through the emulator");
    assert_eq!(record.provider, ProviderId::Slack);
    let app = App::new(paths.clone(), store.clone(), chatkey::http::client())
        .await
        .unwrap();
    SlackWorld {
        emulator,
        paths,
        app,
        store,
        dir,
    }
}

/// Signs in again to `world`'s emulator (its scopes as the emulator now grants them), into a
/// fresh store; returns an app that uses the new sign-in.
pub async fn signed_in_slack_world_with(world: &SlackWorld) -> Arc<App> {
    let store = Arc::new(MemoryStore::default());
    chatkey::signin::login_into(
        &world.paths,
        ProviderId::Slack,
        chatkey::signin::LoginOptions {
            open_browser: false,
            login_hint: None,
            timeout: std::time::Duration::from_secs(20),
        },
        store.clone(),
        |url| {
            let url = url.clone();
            tokio::spawn(async move { reqwest::get(url).await.map(|_| ()) });
        },
    )
    .await
    .expect("slack sign-in again through the emulator");
    App::new(world.paths.clone(), store, chatkey::http::client())
        .await
        .unwrap()
}

/// Whether the real keyring (Secret Service) answers. When it does not, says why on stderr
/// and returns false (the caller skips), unless `CHATKEY_REQUIRE_KEYRING` makes it a failure.
pub fn keyring_ready(test: &str) -> bool {
    let probe = off_runtime(|| {
        chatkey::tokens::KeyringStore::new("chatkey-test-probe".into()).and_then(|s| {
            s.load(&AccountId {
                provider: ProviderId::GoogleChat,
                email: "probe@invalid".into(),
            })
        })
    });
    match probe {
        Ok(_) => true,
        Err(e) if std::env::var_os("CHATKEY_REQUIRE_KEYRING").is_some_and(|v| !v.is_empty()) => {
            panic!("{test} needs a Secret Service: {e}")
        }
        Err(e) => {
            eprintln!(
                "SKIPPED {test}: no Secret Service ({e}); run through scripts/with-session.sh"
            );
            false
        }
    }
}

/// Confines the file tools of `app` (whose profile is `paths`) to a new directory `work`
/// under `root`, beside a directory `private` holding a secret (`secret.txt`,
/// `api_key=hunter2`) the tools must never read; returns `(work, private)`.
pub async fn confine_files(
    root: &Path,
    paths: &Paths,
    app: &App,
) -> (std::path::PathBuf, std::path::PathBuf) {
    let allowed = root.join("work");
    let outside = root.join("private");
    std::fs::create_dir_all(&allowed).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), "api_key=hunter2\n").unwrap();
    let config = paths.config_file();
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[files]\nallowed_dirs = [{:?}]\n",
        allowed.display().to_string()
    ));
    std::fs::write(&config, text).unwrap();
    app.reload().await.unwrap();
    (allowed, outside)
}
