//! The real `chatkey` and `chatkey-mcp` binaries against the in-process emulator and the real
//! keyring: setup, import/export, status, logout, bad config, and bad bytes on the shim's
//! stdin (the session and the daemon survive).
//!
//! Needs a Secret Service (the Makefile runs the suite inside scripts/with-session.sh); when
//! none answers the tests say so and skip, unless CHATKEY_REQUIRE_KEYRING is set.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Output, Stdio};

use chatkey::providers::google_chat::emulator::{self, EmulatorConfig, EmulatorHandle};
use serde_json::{Value, json};

const CHATKEY: &str = env!("CARGO_BIN_EXE_chatkey");
const SHIM: &str = env!("CARGO_BIN_EXE_chatkey-mcp");

struct Profile {
    dir: tempfile::TempDir,
    name: String,
}

impl Profile {
    fn new(tag: &str) -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            name: format!("t-{tag}-{}", std::process::id()),
        }
    }
    fn path(&self, leaf: &str) -> PathBuf {
        self.dir.path().join(leaf)
    }
    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("CHATKEY_PROFILE", &self.name)
            .env("CHATKEY_CONFIG_DIR", self.path("config"))
            .env("CHATKEY_RUNTIME_DIR", self.path("run"))
            .env("CHATKEY_STATE_DIR", self.path("state"))
            .env("CHATKEY_NO_BROWSER", "1")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::null());
        cmd
    }
    fn chatkey(&self, args: &[&str]) -> Output {
        self.command(CHATKEY).args(args).output().unwrap()
    }
    fn write_config(&self, text: &str) {
        std::fs::create_dir_all(self.path("config")).unwrap();
        std::fs::write(self.path("config/config.toml"), text).unwrap();
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        // Stop a daemon the test started, whatever happened.
        let lock = self.path("run/chatkey.lock");
        if let Ok(text) = std::fs::read_to_string(lock)
            && let Ok(info) = serde_json::from_str::<Value>(&text)
            && let Some(pid) = info["pid"].as_u64()
        {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Whether the real keyring answers; prints why not and skips unless it is required.
fn keyring_ready(test: &str) -> bool {
    // On a plain thread: the keyring client must not run (or be dropped) inside a runtime.
    let probe = std::thread::spawn(|| {
        chatkey::tokens::KeyringStore::new("chatkey-test-probe".into()).and_then(|s| {
            use chatkey::tokens::SecretStore;
            s.load(&chatkey::tokens::AccountId {
                provider: chatkey::providers::ProviderId::GoogleChat,
                email: "probe@invalid".into(),
            })
        })
    })
    .join()
    .expect("the keyring probe thread panicked");
    match probe {
        Ok(_) => true,
        Err(e) if std::env::var_os("CHATKEY_REQUIRE_KEYRING").is_some() => {
            panic!("cli::{test} needs a Secret Service: {e}")
        }
        Err(e) => {
            eprintln!(
                "SKIPPED cli::{test}: no Secret Service ({e}); run through scripts/with-session.sh"
            );
            false
        }
    }
}

async fn emulator() -> EmulatorHandle {
    emulator::start(EmulatorConfig {
        auto_consent: true,
        ..Default::default()
    })
    .await
    .unwrap()
}

#[test]
fn setup_reads_a_desktop_client_and_refuses_others() {
    let p = Profile::new("setup");
    let good = p.path("client.json");
    std::fs::write(
        &good,
        r#"{"installed":{"client_id":"123-abc.apps.googleusercontent.com","project_id":"p","auth_uri":"https://accounts.google.com/o/oauth2/auth","token_uri":"https://oauth2.googleapis.com/token","client_secret":"GOCSPX-secret","redirect_uris":["http://localhost"]}}"#,
    )
    .unwrap();
    let out = p.chatkey(&[
        "setup",
        "google-chat",
        "--client-secret",
        good.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("chatkey login google-chat"));
    let config = std::fs::read_to_string(p.path("config/config.toml")).unwrap();
    assert!(config.contains("123-abc.apps.googleusercontent.com"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(p.path("config/config.toml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let web = p.path("web.json");
    std::fs::write(&web, r#"{"web":{"client_id":"x","client_secret":"y"}}"#).unwrap();
    let out = p.chatkey(&[
        "setup",
        "google-chat",
        "--client-secret",
        web.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("Desktop app"), "{}", stderr(&out));
    let after = std::fs::read_to_string(p.path("config/config.toml")).unwrap();
    assert_eq!(after, config, "a refused setup changes nothing");
}

#[test]
fn malformed_config_names_file_line_and_key() {
    let p = Profile::new("badcfg");
    p.write_config(
        "[providers.google-chat]\nclient_id = \"a\"\nclient_secret = \"b\"\ntoken_url = 42\n",
    );
    let out = p.chatkey(&["login", "google-chat", "--no-browser"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("config.toml:4:"), "{err}");
    assert!(err.contains("`token_url`"), "{err}");
}

#[test]
fn unknown_provider_and_usage_errors_are_clear() {
    let p = Profile::new("usage");
    let out = p.chatkey(&["login", "hipchat"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("google-chat"), "{}", stderr(&out));
    // Teams and Slack are supported: without their sections, login says how to set them up.
    let out = p.chatkey(&["login", "teams"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("teams is not set up") && err.contains("chatkey setup teams --client-id"),
        "{err}"
    );
    // Slack is supported: without its section, login says how to set it up.
    let out = p.chatkey(&["login", "slack"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("slack is not set up") && err.contains("--print-manifest"),
        "{err}"
    );
}

#[test]
fn setup_slack_prints_the_manifest_and_stores_only_a_valid_client_id() {
    let p = Profile::new("slacksetup");
    let out = p.chatkey(&[
        "setup",
        "slack",
        "--print-manifest",
        "--redirect-port",
        "50123",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let json_start = text.find('{').expect("a JSON manifest");
    let manifest: Value = serde_json::from_str(text[json_start..].trim()).unwrap();
    assert_eq!(
        manifest["oauth_config"]["redirect_urls"][0],
        "http://localhost:50123/callback"
    );
    assert!(
        manifest["oauth_config"]["scopes"]["user"]
            .as_array()
            .unwrap()
            .len()
            > 10
    );
    assert!(manifest["oauth_config"]["scopes"].get("bot").is_none());
    assert!(
        !p.path("config/config.toml").exists(),
        "printing changes nothing"
    );

    let out = p.chatkey(&["setup", "slack", "--client-id", "not-an-id"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("Client ID"), "{}", stderr(&out));
    assert!(
        !p.path("config/config.toml").exists(),
        "a refused setup changes nothing"
    );

    p.write_config("# keep me\n[files]\nallowed_dirs = [\"/tmp\"]\n");
    let out = p.chatkey(&[
        "setup",
        "slack",
        "--client-id",
        "1234567890.987654321",
        "--redirect-port",
        "50123",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("chatkey login slack"),
        "{}",
        stdout(&out)
    );
    let config = std::fs::read_to_string(p.path("config/config.toml")).unwrap();
    assert!(
        config.contains("# keep me") && config.contains("allowed_dirs"),
        "{config}"
    );
    assert!(
        config.contains("client_id = \"1234567890.987654321\"")
            && config.contains("redirect_port = 50123"),
        "{config}"
    );
}

#[test]
fn status_reports_a_config_that_does_not_parse_and_fails() {
    let p = Profile::new("statuscfg");
    p.write_config("[providers.google-chat]\nclient_id = 42\nclient_secret = \"b\"\n");
    let out = p.chatkey(&["status"]);
    assert!(!out.status.success(), "a broken config is a failure");
    let text = stdout(&out);
    assert!(
        text.contains("config.toml:2:") && text.contains("`client_id`"),
        "{text}"
    );
    let out = p.chatkey(&["status", "--json"]);
    assert!(!out.status.success());
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(
        report["status"]["problem"]
            .as_str()
            .unwrap()
            .contains("client_id")
    );
}

#[test]
fn status_with_nothing_set_up_says_how_to_start() {
    let p = Profile::new("statusnew");
    let out = p.chatkey(&["status"]);
    let text = stdout(&out);
    assert!(
        text.contains("chatkey setup google-chat") && text.contains("chatkey setup slack"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn import_slack_token_from_stdin_checks_it_first() {
    if !keyring_ready("import_slack_token_from_stdin_checks_it_first") {
        return;
    }
    let emu = chatkey::providers::slack::emulator::start(
        chatkey::providers::slack::emulator::EmulatorConfig {
            auto_consent: true,
            token_rotation: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let minted = emu
        .knobs()
        .mint_tokens(
            "alex.rivera@example.com",
            &["users:read", "users:read.email"],
        )
        .unwrap();
    assert!(
        minted.access_token.starts_with("xoxp-"),
        "a long-lived user token"
    );
    let p = Profile::new("slackimport");
    // Only endpoint overrides: an imported token needs no app of ours.
    p.write_config(&format!(
        "[providers.slack]\nclient_id = \"1.2\"\napi_url = \"{}\"\n",
        emu.api_url()
    ));
    let import = |token: String| {
        let mut child = p
            .command(CHATKEY)
            .args(["import", "slack", "--token-stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(token.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    // The emulator serves from the runtime's other worker threads while these block.
    let bad = import("xoxp-1-not-a-real-token\n".to_owned());
    assert!(!bad.status.success());
    assert!(
        !stderr(&bad).contains("xoxp-1-not"),
        "the token is never echoed: {}",
        stderr(&bad)
    );
    let accounts_file = p.path("config/accounts.json");
    assert!(
        !accounts_file.exists()
            || !std::fs::read_to_string(&accounts_file)
                .unwrap()
                .contains("slack")
    );
    let good = import(format!("{}\n", minted.access_token));
    assert!(good.status.success(), "{}", stderr(&good));
    assert!(
        stdout(&good).contains("alex.rivera@example.com"),
        "{}",
        stdout(&good)
    );
    let status = p.chatkey(&["status", "--json"]);
    let report: Value = serde_json::from_str(&stdout(&status)).unwrap();
    let accounts = report["status"]["accounts"].as_array().unwrap();
    assert!(
        accounts
            .iter()
            .any(|a| a["provider"] == "slack" && a["state"] == "ok"),
        "{report}"
    );
    let out = p.chatkey(&["logout", "slack"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(emu.knobs().calls_of("auth.revoke"), 1, "revoked at Slack");
}

#[tokio::test(flavor = "multi_thread")]
async fn import_status_export_logout_round_trip() {
    if !keyring_ready("import_status_export_logout_round_trip") {
        return;
    }
    let emu = emulator().await;
    let p = Profile::new("import");
    p.write_config(&emu.config_toml());
    let minted = emu
        .knobs()
        .mint_tokens(
            chatkey::providers::google_chat::emulator::data::PRIMARY_USER,
            chatkey::providers::google_chat::DEFAULT_SCOPES,
        )
        .unwrap();
    // The Python server's token.json, as google-auth writes it.
    let token_json = p.path("token.json");
    std::fs::write(
        &token_json,
        json!({
            "token": minted.access_token,
            "refresh_token": minted.refresh_token,
            "token_uri": emu.base_url().join("token").unwrap().to_string(),
            "client_id": emu.client_id(),
            "client_secret": emu.client_secret(),
            "scopes": chatkey::providers::google_chat::DEFAULT_SCOPES,
            "universe_domain": "googleapis.com",
            "account": "",
            "expiry": "2026-01-01T00:00:00.000000Z"
        })
        .to_string(),
    )
    .unwrap();
    let out = run(
        &p,
        &[
            "import",
            "google-chat",
            "--token-json",
            token_json.to_str().unwrap(),
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("alex.rivera@example.com"),
        "{}",
        stdout(&out)
    );
    assert!(
        !token_json.exists(),
        "import moves the plaintext file into the keyring"
    );

    let out = run(&p, &["status", "--json"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    let account = &status["status"]["accounts"][0];
    assert_eq!(account["email"], "alex.rivera@example.com");
    assert_eq!(account["state"], "ok");
    assert!(
        !stdout(&out).contains(&minted.refresh_token),
        "status leaked a token"
    );

    let exported = p.path("out/token.json");
    std::fs::create_dir_all(p.path("out")).unwrap();
    let out = run(
        &p,
        &[
            "export",
            "google-chat",
            "--token-json",
            exported.to_str().unwrap(),
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("plaintext"),
        "the export warns: {}",
        stderr(&out)
    );
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&exported).unwrap()).unwrap();
    for key in [
        "token",
        "refresh_token",
        "token_uri",
        "client_id",
        "client_secret",
        "scopes",
        "expiry",
    ] {
        assert!(
            written.get(key).is_some(),
            "token.json lacks {key}: {written}"
        );
    }
    assert_eq!(written["refresh_token"], minted.refresh_token);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&exported).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let out = run(&p, &["logout", "google-chat"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        emu.knobs().live_refresh_tokens(None),
        0,
        "logout revokes at the provider"
    );
    let out = run(&p, &["status", "--json"]).await;
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["status"]["accounts"], json!([]));
}

/// Runs the CLI off the async runtime so the in-process emulator keeps answering.
async fn run(p: &Profile, args: &[&str]) -> Output {
    let mut cmd = p.command(CHATKEY);
    cmd.args(args);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

struct Shim {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Shim {
    fn start(p: &Profile) -> Self {
        let mut child = p
            .command(SHIM)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        Self {
            stdin: child.stdin.take(),
            stdout: BufReader::new(child.stdout.take().unwrap()),
            child,
        }
    }
    fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }
    fn read(&mut self) -> Value {
        let mut line = String::new();
        assert!(
            self.stdout.read_line(&mut line).unwrap() > 0,
            "the shim closed stdout"
        );
        serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("stdout carried a non-JSON line ({e}): {line}"))
    }
    fn initialize(&mut self, id: u64) -> Value {
        self.send_raw(
            format!(
                "{}\n",
                json!({"jsonrpc":"2.0","id":id,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}})
            )
            .as_bytes(),
        );
        self.read()
    }
    fn finish(mut self) -> std::process::ExitStatus {
        self.stdin.take();
        self.child.wait().unwrap()
    }
}

#[test]
fn garbage_and_oversized_lines_get_errors_and_everything_survives() {
    if !keyring_ready("garbage_and_oversized_lines") {
        return;
    }
    let p = Profile::new("garbage");
    let mut shim = Shim::start(&p);
    let init = shim.initialize(1);
    assert_eq!(init["result"]["serverInfo"]["name"], "chatkey", "{init}");

    shim.send_raw(b"this is not json\n");
    let reply = shim.read();
    assert_eq!(reply["error"]["code"], -32700, "{reply}");
    assert_eq!(reply["id"], Value::Null);

    let mut big = vec![b'x'; 5 * 1024 * 1024];
    big.push(b'\n');
    shim.send_raw(&big);
    let reply = shim.read();
    assert_eq!(reply["error"]["code"], -32600, "{reply}");
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("too large")
    );

    // The same session still works.
    shim.send_raw(b"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n");
    shim.send_raw(b"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}\n");
    let tools = shim.read();
    assert!(tools["result"]["tools"].is_array(), "{tools}");
    assert!(shim.finish().success());

    // And so does the daemon: a new session is served.
    let mut again = Shim::start(&p);
    assert_eq!(
        again.initialize(1)["result"]["serverInfo"]["name"],
        "chatkey"
    );
    assert!(again.finish().success());
}
