//! `make bench`: what chatkey costs an assistant. Runs the real binaries against the built-in
//! emulator under a throwaway profile and prints a table:
//! shim cold start to the `initialize` answer (median of 50), a `google_chat_list_spaces`
//! round trip through shim + daemon (median of 1000), and the idle memory of both processes.
//!
//! Needs a Secret Service on the session bus (the Makefile runs it inside
//! `scripts/with-session.sh`).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

const COLD_STARTS: usize = 50;
const ROUND_TRIPS: usize = 1000;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn vars(&self) -> Vec<(&'static str, PathBuf)> {
        let root = self.dir.path();
        vec![
            ("CHATKEY_CONFIG_DIR", root.join("config")),
            ("CHATKEY_RUNTIME_DIR", root.join("run")),
            ("CHATKEY_STATE_DIR", root.join("state")),
        ]
    }
    fn apply(&self, cmd: &mut Command) {
        cmd.env("CHATKEY_PROFILE", "bench")
            .env("CHATKEY_NO_BROWSER", "1");
        for (k, v) in self.vars() {
            cmd.env(k, v);
        }
    }
    fn paths(&self) -> chatkey::paths::Paths {
        let vars = self.vars();
        chatkey::paths::Paths::from_lookup(|name| {
            if name == "CHATKEY_PROFILE" {
                return Some("bench".into());
            }
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone().into_os_string())
        })
        .unwrap()
    }
}

struct Session {
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Session {
    fn new(child: &mut Child) -> Self {
        Self {
            stdin: child.stdin.take().unwrap(),
            stdout: BufReader::new(child.stdout.take().unwrap()),
            next_id: 1,
        }
    }
    async fn send(&mut self, v: Value) {
        let mut line = v.to_string();
        line.push('\n');
        self.stdin.write_all(line.as_bytes()).await.unwrap();
        self.stdin.flush().await.unwrap();
    }
    async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc":"2.0","id":id,"method":method,"params":params}))
            .await;
        let mut line = String::new();
        loop {
            line.clear();
            let n = self.stdout.read_line(&mut line).await.unwrap();
            assert!(n > 0, "chatkey-mcp closed the session");
            let v: Value = serde_json::from_str(&line).unwrap();
            if v["id"] == json!(id) {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
        }
    }
    async fn initialize(&mut self) {
        self.request(
            "initialize",
            json!({"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"0"}}),
        )
        .await;
        self.send(json!({"jsonrpc":"2.0","method":"notifications/initialized"}))
            .await;
    }
}

fn shim(env: &Env) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chatkey-mcp"));
    env.apply(&mut cmd);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    cmd
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn percentile(samples: &[Duration], p: f64) -> Duration {
    let mut s = samples.to_vec();
    s.sort();
    s[((s.len() as f64 - 1.0) * p).round() as usize]
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn daemon_pid(runtime_dir: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(runtime_dir.join("chatkey.lock")).ok()?;
    text.split(|c: char| !c.is_ascii_digit())
        .find(|s| !s.is_empty())?
        .parse()
        .ok()
}

#[tokio::main]
async fn main() {
    let env = Env {
        dir: tempfile::tempdir().unwrap(),
    };
    let paths = env.paths();
    let emulator = chatkey::providers::google_chat::emulator::start(
        chatkey::providers::google_chat::emulator::EmulatorConfig {
            auto_consent: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    std::fs::create_dir_all(paths.config_dir()).unwrap();
    std::fs::write(paths.config_file(), emulator.config_toml()).unwrap();
    chatkey::signin::login(
        &paths,
        chatkey::providers::ProviderId::GoogleChat,
        chatkey::signin::LoginOptions {
            open_browser: false,
            ..Default::default()
        },
        |url| {
            let url = url.clone();
            tokio::spawn(async move { reqwest::get(url).await.map(|_| ()) });
        },
    )
    .await
    .expect("sign-in against the emulator (is a Secret Service running? use `make bench`)");

    // Warm-up: the first shim starts the daemon; every later one finds it running.
    let mut first = shim(&env).spawn().unwrap();
    Session::new(&mut first).initialize().await;
    drop(first);

    let mut cold = Vec::new();
    for _ in 0..COLD_STARTS {
        let started = Instant::now();
        let mut child = shim(&env).spawn().unwrap();
        let mut session = Session::new(&mut child);
        session.initialize().await;
        cold.push(started.elapsed());
        drop(session);
        let _ = child.wait().await;
    }

    let mut child = shim(&env).spawn().unwrap();
    let shim_pid = child.id().unwrap();
    let mut session = Session::new(&mut child);
    session.initialize().await;
    let mut trips = Vec::new();
    for _ in 0..ROUND_TRIPS {
        let started = Instant::now();
        let result = session
            .request(
                "tools/call",
                json!({"name":"google_chat_list_spaces","arguments":{}}),
            )
            .await;
        trips.push(started.elapsed());
        assert_ne!(result["isError"], json!(true), "{result}");
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let daemon_rss = daemon_pid(paths.runtime_dir()).and_then(rss_kib);
    let shim_rss = rss_kib(shim_pid);

    println!();
    println!("| measurement | result |");
    println!("|---|---|");
    println!(
        "| shim cold start → `initialize` answer (daemon running), median of {COLD_STARTS} | {:.1} ms (p90 {:.1} ms) |",
        ms(median(cold.clone())),
        ms(percentile(&cold, 0.9))
    );
    println!(
        "| `google_chat_list_spaces` round trip via shim + daemon + emulator, median of {ROUND_TRIPS} | {:.2} ms (p99 {:.2} ms) |",
        ms(median(trips.clone())),
        ms(percentile(&trips, 0.99))
    );
    println!(
        "| idle RSS, headless daemon (after the runs above) | {} |",
        kib(daemon_rss)
    );
    println!("| idle RSS, chatkey-mcp shim | {} |", kib(shim_rss));

    drop(session);
    let _ = child.wait().await;
    let _ = chatkey::daemon::control(&paths, chatkey::protocol::ControlRequest::Shutdown).await;
    let _ = chatkey::signin::logout(&paths, chatkey::providers::ProviderId::GoogleChat, None).await;
    emulator.shutdown().await;
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn kib(v: Option<u64>) -> String {
    match v {
        Some(k) => format!("{:.1} MiB", k as f64 / 1024.0),
        None => "n/a (no /proc)".to_owned(),
    }
}
