//! `chatkey demo`: the whole loop against the built-in emulators, narrated, with nothing to
//! set up and nothing left behind.
//!
//! It uses the real parts: the OAuth loopback flow of every provider (the emulators consent
//! at once and a tiny built-in "browser" follows the redirect), the system keyring under a
//! throwaway profile, one daemon, and `chatkey-mcp` spoken to over stdio exactly as an
//! assistant would. What it does with each provider is that provider's [`DemoTour`].

mod session;
mod tour;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use serde_json::json;
use tokio::process::Command;

use crate::paths::Paths;
use crate::providers::{self, Provider, RunningEmulator};
use crate::signin::{self, LoginOptions};
use session::McpSession;

pub async fn run() -> anyhow::Result<()> {
    let dir = tempfile::Builder::new()
        .prefix("chatkey-demo-")
        .tempdir()
        .context("failed to create a temporary directory for the demo")?;
    let profile = format!("demo-{}", std::process::id());
    let env = DemoEnv::new(dir.path(), &profile);
    let paths = env.paths()?;
    let mut steps = Steps::default();
    let names: Vec<&str> = providers::all().map(|p| p.id().display_name()).collect();
    println!(
        "chatkey demo: the whole loop against the built-in emulators of {}.",
        names.join(" and ")
    );
    println!(
        "Nothing here touches your real configuration; the demo's keyring entries are removed at the end."
    );
    let emulators = start_emulators(&paths, &mut steps).await;
    let outcome = match &emulators {
        Ok(_) => run_in(&env, &paths, &mut steps).await,
        Err(_) => Ok(()),
    };
    // Clean up whatever happened: stop the daemon, sign out (the emulators still run, so
    // each provider's revocation is real too), then stop the emulators.
    let _ = crate::daemon::control(&paths, crate::protocol::ControlRequest::Shutdown).await;
    if let Ok(accounts) = crate::tokens::Accounts::load(&paths.accounts_file()) {
        for provider in providers::all() {
            if accounts.for_provider(provider.id()).next().is_some() {
                let _ = signin::logout(&paths, provider.id(), None).await;
            }
        }
    }
    let emulators = emulators?;
    for emulator in emulators {
        emulator.shutdown().await;
    }
    outcome
}

struct DemoEnv {
    vars: Vec<(&'static str, PathBuf)>,
    profile: String,
}

impl DemoEnv {
    fn new(root: &Path, profile: &str) -> Self {
        Self {
            vars: vec![
                ("CHATKEY_CONFIG_DIR", root.join("config")),
                ("CHATKEY_RUNTIME_DIR", root.join("run")),
                ("CHATKEY_STATE_DIR", root.join("state")),
            ],
            profile: profile.to_owned(),
        }
    }

    fn paths(&self) -> anyhow::Result<Paths> {
        Ok(Paths::from_lookup(|name| {
            if name == "CHATKEY_PROFILE" {
                return Some(self.profile.clone().into());
            }
            self.vars
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone().into_os_string())
        })?)
    }

    fn apply(&self, cmd: &mut Command) {
        cmd.env("CHATKEY_PROFILE", &self.profile)
            .env("CHATKEY_NO_BROWSER", "1");
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
    }
}

/// Numbered headings, bold on a terminal; plain in a pipe, a log or under `NO_COLOR`
/// (anstream strips the style there).
#[derive(Default)]
struct Steps(u32);

impl Steps {
    fn next(&mut self, text: &str) {
        self.0 += 1;
        let bold = anstyle::Style::new().bold();
        anstream::println!("\n{bold}{}. {text}{bold:#}", self.0);
    }
}

/// Every provider's emulator on its own loopback port, and one config.toml that points
/// chatkey at all of them.
async fn start_emulators(
    paths: &Paths,
    steps: &mut Steps,
) -> anyhow::Result<Vec<Box<dyn RunningEmulator>>> {
    steps.next("Starting the emulators (OAuth and the chat APIs, on 127.0.0.1)");
    let mut emulators = Vec::new();
    let mut config = String::new();
    for provider in providers::all() {
        let emulator = provider.start_emulator(0, true).await.with_context(|| {
            format!("cannot start the {} emulator", provider.id().display_name())
        })?;
        println!(
            "   {:<16} {}",
            provider.id().display_name(),
            emulator.base_url()
        );
        config.push_str(&emulator.config_toml());
        config.push('\n');
        emulators.push(emulator);
    }
    std::fs::create_dir_all(paths.config_dir())?;
    crate::atomic_write::write_atomic(&paths.config_file(), config.as_bytes(), 0o600)?;
    println!("   wrote {}", paths.config_file().display());
    Ok(emulators)
}

async fn run_in(env: &DemoEnv, paths: &Paths, steps: &mut Steps) -> anyhow::Result<()> {
    for provider in providers::all() {
        sign_in(paths, provider, steps).await?;
    }

    steps.next("Starting chatkey-mcp as an assistant would (it starts the daemon itself)");
    let shim = sibling_binary("chatkey-mcp")?;
    let mut cmd = Command::new(&shim);
    env.apply(&mut cmd);
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("failed to start {}", shim.display()))?;
    let mut session = McpSession::new(&mut child)?;
    let init = session
        .request(
            "initialize",
            json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "chatkey-demo", "version": env!("CARGO_PKG_VERSION")}
            }),
        )
        .await?;
    session
        .notify("notifications/initialized", json!({}))
        .await?;
    println!(
        "   connected to {} {}: one daemon for every provider",
        init["serverInfo"]["name"].as_str().unwrap_or("?"),
        init["serverInfo"]["version"].as_str().unwrap_or("?")
    );
    let tools = session.request("tools/list", json!({})).await?;
    let names: Vec<&str> = tools["tools"]
        .as_array()
        .map(|t| t.iter().filter_map(|t| t["name"].as_str()).collect())
        .unwrap_or_default();
    println!("   {} tools:", names.len());
    for provider in providers::all() {
        let prefix = provider.id().tool_prefix();
        let own = names.iter().filter(|n| n.starts_with(prefix)).count();
        println!(
            "     {:<16} {own} ({prefix}…)",
            provider.id().display_name()
        );
    }
    let shared = names
        .iter()
        .filter(|n| !providers::all().any(|p| n.starts_with(p.id().tool_prefix())))
        .copied()
        .collect::<Vec<_>>();
    println!("     {:<16} {}", "shared", shared.join(", "));

    for provider in providers::all() {
        if let Some(t) = provider.demo_tour() {
            tour::run(&mut session, provider.id().display_name(), &t, steps).await?;
        }
    }
    session.close().await;
    let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;

    steps.next("Add chatkey to your assistant");
    println!("   Claude Desktop (claude_desktop_config.json), Cursor (~/.cursor/mcp.json):");
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({"mcpServers": {"chatkey": {"command": shim}}}))?
            .lines()
            .map(|l| format!("     {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    println!(
        "   Claude Code: claude mcp add chatkey -- {}",
        shim.display()
    );
    println!("\nFor real, set up each service you use, then sign in:");
    for provider in providers::all() {
        println!(
            "   {}: {}; then `chatkey login {}`",
            provider.id().display_name(),
            provider.setup_hint(),
            provider.id()
        );
    }
    Ok(())
}

/// The real OAuth loop against one emulator: PKCE, state, the loopback listener.
async fn sign_in(paths: &Paths, provider: &dyn Provider, steps: &mut Steps) -> anyhow::Result<()> {
    let id = provider.id();
    steps.next(&format!(
        "Signing in to {} through the real OAuth loop (PKCE, state, loopback listener)",
        id.display_name()
    ));
    let record = signin::login(
        paths,
        id,
        LoginOptions {
            open_browser: false,
            ..LoginOptions::default()
        },
        |url| {
            println!(
                "   sign-in URL: {}…",
                &url.as_str()[..url.as_str().len().min(90)]
            );
            println!("   (the emulator consents at once; a built-in browser follows the redirect)");
            let url = url.clone();
            tokio::spawn(async move {
                if let Err(e) = reqwest::get(url).await {
                    eprintln!("demo browser: {e}");
                }
            });
        },
    )
    .await?;
    println!(
        "   signed in as {}; the refresh token is in the system keyring (service `{}`)",
        record.email,
        paths.keyring_service()
    );
    Ok(())
}

/// A binary installed next to the running `chatkey`.
pub fn sibling_binary(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot find the running chatkey binary")?;
    let path = exe
        .parent()
        .context("the chatkey binary has no directory")?
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    anyhow::ensure!(
        path.exists(),
        "{} is missing; install chatkey-mcp next to chatkey",
        path.display()
    );
    Ok(path)
}
