//! The daemon's log files hold no message text and no file content at any level: the real
//! `chatkey daemon --headless` at `CHATKEY_LOG=trace` (and with rmcp asked for trace by
//! name), driven through the real `chatkey-mcp` by rmcp's client, sends a message, uploads,
//! downloads and shares files; afterwards none of those texts or bytes is in the log dir.
//!
//! Needs a Secret Service (scripts/with-session.sh); skips when none answers unless
//! CHATKEY_REQUIRE_KEYRING is set.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use chatkey::protocol::ControlRequest;
use chatkey::providers::google_chat::emulator::{self, EmulatorConfig, data};
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};

use crate::support::{keyring_ready, off_runtime, profile_paths, store_signed_in_account};

const CHATKEY: &str = env!("CARGO_BIN_EXE_chatkey");
const SHIM: &str = env!("CARGO_BIN_EXE_chatkey-mcp");

fn log_text(dir: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap_or_default();
        text.push_str(&String::from_utf8_lossy(&bytes));
    }
    text
}

fn env(cmd: &mut tokio::process::Command, root: &Path, profile: &str, log: &str) {
    cmd.env("CHATKEY_PROFILE", profile)
        .env("CHATKEY_CONFIG_DIR", root.join("config"))
        .env("CHATKEY_RUNTIME_DIR", root.join("run"))
        .env("CHATKEY_STATE_DIR", root.join("state"))
        .env("CHATKEY_NO_BROWSER", "1")
        .env("CHATKEY_LOG", log)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY");
}

async fn call(
    client: &rmcp::service::RunningService<rmcp::RoleClient, ()>,
    tool: &str,
    args: Value,
) -> Value {
    let result = client
        .call_tool(
            CallToolRequestParams::new(tool.to_owned())
                .with_arguments(args.as_object().unwrap().clone()),
        )
        .await
        .unwrap();
    assert_ne!(result.is_error, Some(true), "{tool}: {:?}", result.content);
    result.structured_content.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_logs_hold_no_message_text_or_file_bytes() {
    if !keyring_ready("logs::trace_logs_hold_no_message_text_or_file_bytes") {
        return;
    }
    let emu = emulator::start(EmulatorConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let profile = format!("t-logs-{}", std::process::id());
    let paths = profile_paths(root, &profile);
    let files = root.join("files");
    std::fs::create_dir_all(&files).unwrap();
    std::fs::create_dir_all(paths.config_dir()).unwrap();
    std::fs::write(
        paths.config_file(),
        format!(
            "{}\n[files]\nallowed_dirs = [{:?}]\n",
            emu.config_toml(),
            files.display().to_string()
        ),
    )
    .unwrap();
    let tokens = emu
        .knobs()
        .mint_tokens(
            data::PRIMARY_USER,
            chatkey::providers::google_chat::DEFAULT_SCOPES,
        )
        .unwrap();
    let id = store_signed_in_account(&paths, data::PRIMARY_EMAIL, None, &tokens.refresh_token);

    // Canaries: each appears in one payload only (a message, an upload, a share, a download).
    let tag = format!("{:016x}", rand::random::<u64>());
    let text = format!("message-text-canary-{tag}");
    let uploaded = format!("upload-bytes-canary-{tag}\n");
    let shared = format!("shared-content-canary-{tag}\n");
    std::fs::write(files.join("upload.txt"), &uploaded).unwrap();
    std::fs::write(files.join("share.txt"), &shared).unwrap();

    // rmcp asked for by name at trace too: the cap must win over the filter.
    let log = "trace,rmcp=trace";
    let mut daemon = tokio::process::Command::new(CHATKEY);
    daemon
        .args(["daemon", "--headless"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    env(&mut daemon, root, &profile, log);
    let mut daemon = daemon.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while chatkey::daemon::control(&paths, ControlRequest::Status)
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "the daemon did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let mut shim = tokio::process::Command::new(SHIM);
    env(&mut shim, root, &profile, log);
    let client = ().serve(TokioChildProcess::new(shim).unwrap()).await.unwrap();
    let space = format!("spaces/{}", data::ENGINEERING);
    call(
        &client,
        "google_chat_send_message",
        json!({"space": space, "text": text}),
    )
    .await;
    let listed = call(
        &client,
        "google_chat_list_messages",
        json!({"space": space, "days_window": 1, "limit": 5}),
    )
    .await;
    assert!(
        listed.to_string().contains(&text),
        "the message was not posted"
    );
    let up = call(
        &client,
        "google_chat_upload_attachment",
        json!({"space": space, "path": files.join("upload.txt").display().to_string()}),
    )
    .await;
    let down = call(
        &client,
        "google_chat_download_attachment",
        json!({"message": up["name"]}),
    )
    .await;
    assert_eq!(down["content"], uploaded, "the download returned the file");
    call(
        &client,
        "google_chat_download_attachment",
        json!({"message": up["name"], "save_to": files.join("copy.txt").display().to_string()}),
    )
    .await;
    call(
        &client,
        "google_chat_share_file_content",
        json!({"space": space, "path": files.join("share.txt").display().to_string()}),
    )
    .await;
    client.cancel().await.unwrap();
    let _ = chatkey::daemon::control(&paths, ControlRequest::Shutdown).await;
    let _ = tokio::time::timeout(Duration::from_secs(10), daemon.wait()).await;
    let _ = daemon.kill().await;
    let service = paths.keyring_service();
    off_runtime(move || {
        use chatkey::tokens::SecretStore;
        if let Ok(store) = chatkey::tokens::KeyringStore::new(service) {
            let _ = store.delete(&id);
        }
    });

    let logs = log_text(&paths.log_dir());
    assert!(
        logs.contains("tool call ok") && logs.contains("TRACE"),
        "the daemon wrote no trace log:\n{logs}"
    );
    for (what, canary) in [
        ("message text", text.as_str()),
        ("uploaded file bytes", uploaded.trim_end()),
        ("shared file content", shared.trim_end()),
    ] {
        assert!(
            !logs.contains(canary),
            "{what} is in the daemon's log: {}",
            logs.lines().find(|l| l.contains(canary)).unwrap_or("")
        );
    }
    assert!(!logs.contains(&tag), "a canary's tag is in the log");
}
