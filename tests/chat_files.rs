//! The file tools (upload, download, share a file's content) end to end against the emulator,
//! and the confinement behind them: every way out of the allowed directories is a tool error
//! that sends nothing to Google and leaves the disk as it was.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use chatkey::files::MAX_SHARE_BYTES;
use chatkey::protocol::SessionOptions;
use chatkey::providers::google_chat::emulator::data;
use chatkey::providers::google_chat::models_attachments::related_body;
use serde_json::{Value, json};

use crate::support::{Client, World, confine_files, connect, ok, signed_in_world, tool_error};

struct Setup {
    world: World,
    client: Client,
    allowed: PathBuf,
    outside: PathBuf,
}

/// A signed-in world whose config allows one directory (`allowed`), with a sibling directory
/// (`outside`) holding a secret the tools must never read.
async fn setup() -> Setup {
    let world = signed_in_world(Default::default()).await;
    let (allowed, outside) = confine_files(world.dir.path(), &world.paths, &world.app).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    Setup {
        world,
        client,
        allowed,
        outside,
    }
}

fn space(id: &str) -> String {
    format!("spaces/{id}")
}

/// Requests that would change something at Google or fetch a file: none may follow bad input.
fn writes_and_downloads(world: &World) -> Vec<String> {
    world
        .emulator
        .knobs()
        .request_log()
        .into_iter()
        .filter(|r| r.method != "GET" || r.path.contains("/media/"))
        .filter(|r| !r.path.contains("token"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[tokio::test]
async fn share_an_error_log_with_the_team() {
    let s = setup().await;
    let log = s.allowed.join("api-server.log");
    let text = "2026-11-20T09:14:02Z ERROR db pool exhausted (max=20)\n2026-11-20T09:14:03Z WARN retrying in 2s\n";
    std::fs::write(&log, text).unwrap();
    let shared = ok(
        &s.client,
        "google_chat_share_file_content",
        json!({"space": data::ENGINEERING, "path": log.display().to_string()}),
    )
    .await;
    assert_eq!(shared["truncated"], false);
    assert_eq!(shared["bytes_posted"], text.len());
    assert_eq!(shared["lines_posted"], 2);
    assert_eq!(shared["language"], "log");
    let posted = ok(
        &s.client,
        "google_chat_get_message",
        json!({"message": shared["name"]}),
    )
    .await;
    let body = posted["text"].as_str().unwrap();
    assert!(
        body.starts_with("`api-server.log`\n```log\n2026-11-20T09:14:02Z ERROR db pool"),
        "{body}"
    );
    assert!(body.ends_with("retrying in 2s\n```"), "{body}");

    // A log bigger than one message is cut at a line and says so, in the result and the post.
    let big: String = (0..3000)
        .map(|i| format!("2026-11-20T09:{:02}:00Z ERROR request {i} failed\n", i % 60))
        .collect();
    std::fs::write(&log, &big).unwrap();
    let shared = ok(
        &s.client,
        "google_chat_share_file_content",
        json!({"space": space(data::ENGINEERING), "path": log.display().to_string(), "language": "text"}),
    )
    .await;
    assert_eq!(shared["truncated"], true);
    assert_eq!(shared["bytes_total"], big.len());
    let posted_bytes = shared["bytes_posted"].as_u64().unwrap() as usize;
    assert!(
        posted_bytes < big.len() && posted_bytes > 25_000,
        "{shared}"
    );
    assert!(
        big[..posted_bytes].ends_with('\n'),
        "cut at a line boundary"
    );
    let posted = ok(
        &s.client,
        "google_chat_get_message",
        json!({"message": shared["name"]}),
    )
    .await;
    let body = posted["text"].as_str().unwrap();
    assert!(body.len() <= 32_000, "{}", body.len());
    assert!(
        body.contains("_(truncated: first"),
        "{}",
        &body[body.len() - 200..]
    );

    // Binary content is refused before anything is posted.
    let before = writes_and_downloads(&s.world);
    let bin = s.allowed.join("core.dump");
    std::fs::write(&bin, [0x7f, b'E', b'L', b'F', 0, 0, 1, 2]).unwrap();
    let err = tool_error(
        &s.client,
        "google_chat_share_file_content",
        json!({"space": data::ENGINEERING, "path": bin.display().to_string()}),
    )
    .await;
    assert!(err.contains("google_chat_upload_attachment"), "{err}");
    assert_eq!(writes_and_downloads(&s.world), before);
}

/// Priya (through her own token, straight to the API) uploads a script to her DM with Alex.
async fn priya_shares_a_script(world: &World, script: &[u8]) -> String {
    let token = world
        .emulator
        .knobs()
        .mint_tokens(
            data::PRIYA,
            &["https://www.googleapis.com/auth/chat.messages"],
        )
        .unwrap()
        .access_token;
    let base = world.emulator.base_url();
    let base = base.as_str().trim_end_matches('/');
    let dm = data::DM_ALEX_PRIYA;
    let (body, content_type) = related_body("rotate-keys.sh", "application/x-sh", script);
    let http = reqwest::Client::new();
    let uploaded: Value = http
        .post(format!(
            "{base}/upload/v1/spaces/{dm}/attachments:upload?uploadType=multipart"
        ))
        .bearer_auth(&token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let message: Value = http
        .post(format!("{base}/v1/spaces/{dm}/messages"))
        .bearer_auth(&token)
        .json(&json!({"text": "here's the script", "attachment": [{"attachmentDataRef": uploaded["attachmentDataRef"]}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    message["name"]
        .as_str()
        .expect("message created")
        .to_owned()
}

#[tokio::test]
async fn teammate_shared_a_script_download_it() {
    let s = setup().await;
    let script = b"#!/bin/sh\nset -eu\necho rotating keys\n";
    let message = priya_shares_a_script(&s.world, script).await;

    // Alex finds it through the tools, reads it inline, then saves it.
    let listed = ok(
        &s.client,
        "google_chat_list_messages",
        json!({"space": data::DM_ALEX_PRIYA, "days_window": 1}),
    )
    .await;
    let found = listed["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == message.as_str())
        .expect("the shared script is listed");
    assert_eq!(found["attachments"][0]["file_name"], "rotate-keys.sh");
    let attachment = found["attachments"][0]["name"].as_str().unwrap().to_owned();

    let inline = ok(
        &s.client,
        "google_chat_download_attachment",
        json!({"message": message}),
    )
    .await;
    assert_eq!(inline["content"], std::str::from_utf8(script).unwrap());
    assert_eq!(inline["file_name"], "rotate-keys.sh");
    assert!(inline.get("saved_to").is_none());

    let saved = ok(
        &s.client,
        "google_chat_download_attachment",
        json!({"message": attachment, "save_to": s.allowed.display().to_string()}),
    )
    .await;
    let path = s.allowed.join("rotate-keys.sh");
    assert_eq!(saved["saved_to"], path.display().to_string());
    assert_eq!(std::fs::read(&path).unwrap(), script);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "downloads are private to the user");

    // Saving again is refused and leaves the file as it was, unless overwrite is asked for.
    std::fs::write(&path, "my local edits\n").unwrap();
    let args = json!({"message": message, "save_to": path.display().to_string()});
    let err = tool_error(&s.client, "google_chat_download_attachment", args.clone()).await;
    assert!(
        err.contains("already exists") && err.contains("overwrite"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "my local edits\n");
    let mut args = args;
    args["overwrite"] = json!(true);
    ok(&s.client, "google_chat_download_attachment", args).await;
    assert_eq!(std::fs::read(&path).unwrap(), script);
    let leftovers: Vec<_> = std::fs::read_dir(&s.allowed)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test]
async fn upload_round_trips_and_binary_needs_save_to() {
    let s = setup().await;
    let png: Vec<u8> = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13].to_vec();
    let file = s.allowed.join("chart.png");
    std::fs::write(&file, &png).unwrap();
    let sent = ok(
        &s.client,
        "google_chat_upload_attachment",
        json!({"space": data::ENGINEERING, "path": file.display().to_string(), "text": "latency chart"}),
    )
    .await;
    assert_eq!(sent["content_type"], "image/png");
    assert_eq!(sent["bytes"], png.len());
    assert_eq!(sent["text"], "latency chart");
    let upload = s
        .world
        .emulator
        .knobs()
        .request_log()
        .into_iter()
        .find(|r| r.path.ends_with("attachments:upload"))
        .unwrap();
    assert!(
        upload
            .query
            .contains(&("uploadType".into(), "multipart".into()))
    );

    let err = tool_error(
        &s.client,
        "google_chat_download_attachment",
        json!({"message": sent["name"]}),
    )
    .await;
    assert!(err.contains("save_to") && err.contains("binary"), "{err}");
    let back = s.allowed.join("downloads");
    std::fs::create_dir(&back).unwrap();
    let saved = ok(
        &s.client,
        "google_chat_download_attachment",
        json!({"message": sent["name"], "save_to": format!("{}/copy.png", back.display())}),
    )
    .await;
    assert_eq!(saved["bytes"], png.len());
    assert_eq!(std::fs::read(back.join("copy.png")).unwrap(), png);
}

#[tokio::test]
async fn every_escape_is_refused_and_changes_nothing() {
    let s = setup().await;
    let secret = s.outside.join("secret.txt");
    std::os::unix::fs::symlink(&secret, s.allowed.join("notes.txt")).unwrap();
    std::os::unix::fs::symlink(&s.outside, s.allowed.join("shared")).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        s.allowed.join("pipe"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    let huge = s.allowed.join("huge.bin");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(200 * 1024 * 1024 + 1)
        .unwrap();
    std::fs::write(
        s.allowed.join("big.log"),
        "x".repeat(MAX_SHARE_BYTES as usize + 1),
    )
    .unwrap();
    let allowed = s.allowed.display().to_string();
    let before = writes_and_downloads(&s.world);

    let a = &s.allowed;
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "upload",
            json!(format!("{allowed}/../private/secret.txt")),
            "outside",
        ),
        ("upload", json!(secret.display().to_string()), "outside"),
        ("share", json!("/etc/passwd"), "outside"),
        (
            "share",
            json!(a.join("notes.txt").display().to_string()),
            "resolves to",
        ),
        (
            "upload",
            json!(a.join("shared/secret.txt").display().to_string()),
            "outside",
        ),
        (
            "share",
            json!(a.join("pipe").display().to_string()),
            "not a regular file",
        ),
        ("share", json!(allowed.clone()), "directory"),
        ("upload", json!(huge.display().to_string()), "200.0 MB"),
        (
            "share",
            json!(a.join("big.log").display().to_string()),
            "1.0 MB",
        ),
        ("share", json!("relative/file.txt"), "absolute"),
        (
            "share",
            json!(a.join("missing.txt").display().to_string()),
            "does not exist",
        ),
    ];
    for (tool, path, expected) in cases {
        let (name, args) = match tool {
            "upload" => (
                "google_chat_upload_attachment",
                json!({"space": data::ENGINEERING, "path": path}),
            ),
            _ => (
                "google_chat_share_file_content",
                json!({"space": data::ENGINEERING, "path": path}),
            ),
        };
        let err = tool_error(&s.client, name, args).await;
        assert!(err.contains(expected), "{path}: {err}");
        if expected == "outside" || expected == "resolves to" {
            assert!(
                err.contains(&allowed) && err.contains("allowed_dirs"),
                "{err}"
            );
            assert!(!err.contains("hunter2"));
        }
    }

    assert_eq!(
        writes_and_downloads(&s.world),
        before,
        "nothing was sent for refused input"
    );

    // Downloads: a destination outside, through a symlinked directory, or a symlink itself,
    // is refused before the message is even fetched.
    std::fs::write(s.outside.join("target.sh"), "original\n").unwrap();
    std::os::unix::fs::symlink(s.outside.join("target.sh"), a.join("link.sh")).unwrap();
    let message = priya_shares_a_script(&s.world, b"echo hi\n").await;
    let before = writes_and_downloads(&s.world);
    for (save_to, expected) in [
        (format!("{allowed}/../private/out.sh"), "outside"),
        (a.join("shared/out.sh").display().to_string(), "outside"),
        (a.join("link.sh").display().to_string(), "symbolic link"),
        (
            a.join("no/such/dir/out.sh").display().to_string(),
            "does not exist",
        ),
    ] {
        let err = tool_error(
            &s.client,
            "google_chat_download_attachment",
            json!({"message": message, "save_to": save_to, "overwrite": true}),
        )
        .await;
        assert!(err.contains(expected), "{save_to}: {err}");
    }
    assert_eq!(
        std::fs::read_to_string(s.outside.join("target.sh")).unwrap(),
        "original\n"
    );
    assert!(!s.outside.join("out.sh").exists());
    assert_eq!(
        writes_and_downloads(&s.world),
        before,
        "nothing was fetched for refused input"
    );
}
