//! `chatkey demo`: the whole loop against the built-in emulator, narrated, with nothing to
//! set up and nothing left behind.
//!
//! It uses the real parts: the OAuth loopback flow (the emulator consents at once and a tiny
//! built-in "browser" follows the redirect), the system keyring under a throwaway profile,
//! the daemon, and `chatkey-mcp` spoken to over stdio exactly as an assistant would.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::paths::Paths;
use crate::providers::{self, ProviderId};
use crate::signin::{self, LoginOptions};

/// The window of "recent messages" the demo reads, in days.
const RECENT_DAYS: u32 = 2;

/// One listed message as the demo prints it: time, sender, the first 70 characters.
fn message_line(m: &Value) -> String {
    let text: String = m["text"].as_str().unwrap_or("").chars().take(70).collect();
    format!(
        "{} {}: {}",
        m["create_time"]
            .as_str()
            .unwrap_or("")
            .get(..16)
            .unwrap_or(""),
        m["sender"]["display_name"].as_str().unwrap_or("?"),
        text.replace('\n', " ")
    )
}

pub async fn run() -> anyhow::Result<()> {
    let dir = tempfile::Builder::new()
        .prefix("chatkey-demo-")
        .tempdir()
        .context("failed to create a temporary directory for the demo")?;
    let profile = format!("demo-{}", std::process::id());
    let env = DemoEnv::new(dir.path(), &profile);
    let paths = env.paths()?;
    let outcome = run_in(&env, &paths).await;
    // Clean up whatever happened: stop the daemon, delete the demo's keyring entry.
    let _ = crate::daemon::control(&paths, crate::protocol::ControlRequest::Shutdown).await;
    if let Ok(accounts) = crate::tokens::Accounts::load(&paths.accounts_file())
        && accounts
            .for_provider(ProviderId::GoogleChat)
            .next()
            .is_some()
    {
        let _ = signin::logout(&paths, ProviderId::GoogleChat, None).await;
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

/// A numbered heading, bold on a terminal; plain in a pipe, a log or under `NO_COLOR`
/// (anstream strips the style there).
fn step(n: u32, text: &str) {
    let bold = anstyle::Style::new().bold();
    anstream::println!("\n{bold}{n}. {text}{bold:#}");
}

async fn run_in(env: &DemoEnv, paths: &Paths) -> anyhow::Result<()> {
    println!("chatkey demo: the whole loop against the built-in Google emulator.");
    println!(
        "Nothing here touches your real configuration; the demo's keyring entry is removed at the end."
    );

    step(
        1,
        "Starting the Google emulator (OAuth, Chat and People APIs on 127.0.0.1)",
    );
    let emulator = providers::require(ProviderId::GoogleChat)?
        .start_emulator(0, true)
        .await?;
    println!("   listening on {}", emulator.base_url());
    std::fs::create_dir_all(paths.config_dir())?;
    crate::atomic_write::write_atomic(
        &paths.config_file(),
        emulator.config_toml().as_bytes(),
        0o600,
    )?;
    println!("   wrote {}", paths.config_file().display());

    step(
        2,
        "Signing in through the real OAuth loop (PKCE, state, loopback listener)",
    );
    let record = signin::login(
        paths,
        ProviderId::GoogleChat,
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

    step(
        3,
        "Starting chatkey-mcp as an assistant would (it starts the daemon itself)",
    );
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
        "   connected to {} {}",
        init["serverInfo"]["name"].as_str().unwrap_or("?"),
        init["serverInfo"]["version"].as_str().unwrap_or("?")
    );
    let tools = session.request("tools/list", json!({})).await?;
    let names: Vec<&str> = tools["tools"]
        .as_array()
        .map(|t| t.iter().filter_map(|t| t["name"].as_str()).collect())
        .unwrap_or_default();
    let shown: Vec<&str> = names.iter().copied().take(6).collect();
    println!(
        "   {} tools: {}{}",
        names.len(),
        shown.join(", "),
        if names.len() > shown.len() {
            ", …"
        } else {
            ""
        }
    );

    step(4, "google_chat_list_spaces");
    let spaces = session
        .call_tool("google_chat_list_spaces", json!({}))
        .await?;
    let list = spaces["spaces"].as_array().cloned().unwrap_or_default();
    for s in &list {
        println!(
            "   {:<28} {:<16} {}",
            s["display_name"]
                .as_str()
                .unwrap_or(if s["type"] == "group_chat" {
                    "(group chat)"
                } else {
                    "(direct message)"
                }),
            s["type"].as_str().unwrap_or(""),
            s["name"].as_str().unwrap_or("")
        );
    }
    // The first named space with messages in the window, so the next step shows real
    // content; every space is asked, since any of them may be quiet on a given day.
    let mut candidates: Vec<&Value> = list.iter().filter(|s| s["type"] == "space").collect();
    candidates.extend(list.iter().filter(|s| s["type"] != "space"));
    let first = candidates
        .first()
        .and_then(|s| s["name"].as_str())
        .context("the emulator listed no spaces")?
        .to_owned();
    let window = json!({"days_window": RECENT_DAYS, "limit": 5});
    let mut chosen: Option<(String, Value)> = None;
    for candidate in &candidates {
        let Some(name) = candidate["name"].as_str() else {
            continue;
        };
        let mut args = window.clone();
        args["space"] = json!(name);
        let messages = session.call_tool("google_chat_list_messages", args).await?;
        if messages["count"].as_u64().unwrap_or(0) > 0 {
            chosen = Some((name.to_owned(), messages));
            break;
        }
    }
    let space = chosen
        .as_ref()
        .map_or(first.clone(), |(name, _)| name.clone());

    step(
        5,
        &format!(
            "google_chat_list_messages {{space: {space}, days_window: {RECENT_DAYS}, limit: 5}}"
        ),
    );
    match &chosen {
        Some((_, messages)) => {
            for m in messages["messages"].as_array().cloned().unwrap_or_default() {
                println!("   {}", message_line(&m));
            }
        }
        None => println!(
            "   no space has messages from the last {RECENT_DAYS} days, so there is nothing to show here (the tool answered with an empty list, which is not an error)"
        ),
    }

    step(6, "google_chat_send_message");
    let sent = session
        .call_tool(
            "google_chat_send_message",
            json!({"space": space, "text": "Hello from the chatkey demo 👋"}),
        )
        .await?;
    println!("   posted {}", sent["name"].as_str().unwrap_or("?"));
    session.close().await;
    let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
    emulator.shutdown().await;

    step(7, "Add chatkey to your assistant");
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
    println!(
        "\nFor real: chatkey setup google-chat --client-secret FILE, then chatkey login google-chat."
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

/// Just enough of an MCP client to narrate: newline-delimited JSON-RPC over the shim's stdio.
struct McpSession {
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl McpSession {
    fn new(child: &mut Child) -> anyhow::Result<Self> {
        Ok(Self {
            stdin: child.stdin.take(),
            stdout: BufReader::new(child.stdout.take().context("no stdout from chatkey-mcp")?),
            next_id: 1,
        })
    }

    async fn send(&mut self, message: Value) -> anyhow::Result<()> {
        let stdin = self.stdin.as_mut().context("the session is closed")?;
        let mut line = message.to_string();
        line.push('\n');
        stdin.write_all(line.as_bytes()).await?;
        stdin.flush().await?;
        Ok(())
    }

    async fn notify(&mut self, method: &str, params: Value) -> anyhow::Result<()> {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}))
            .await
    }

    async fn request(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await?;
        let mut line = String::new();
        loop {
            line.clear();
            let n = tokio::time::timeout(Duration::from_secs(30), self.stdout.read_line(&mut line))
                .await
                .context("chatkey-mcp did not answer within 30 s")??;
            anyhow::ensure!(n > 0, "chatkey-mcp closed the session");
            let message: Value = serde_json::from_str(&line)?;
            if message["id"] != json!(id) {
                continue; // a notification
            }
            if let Some(error) = message.get("error") {
                anyhow::bail!("{method} failed: {}", error["message"]);
            }
            return Ok(message["result"].clone());
        }
    }

    async fn call_tool(&mut self, name: &str, arguments: Value) -> anyhow::Result<Value> {
        let result = self
            .request("tools/call", json!({"name": name, "arguments": arguments}))
            .await?;
        if result["isError"] == json!(true) {
            anyhow::bail!(
                "{name} failed: {}",
                result["content"][0]["text"].as_str().unwrap_or("?")
            );
        }
        Ok(result["structuredContent"].clone())
    }

    async fn close(&mut self) {
        self.stdin.take();
    }
}
