//! The Slack file tools (upload, download, share a file's content) end to end against the
//! Slack emulator, signed in as Alex through the real OAuth loop, and the confinement behind
//! them: every way out of the allowed directories is a tool error that sends nothing to Slack
//! (the emulator's request log says so) and leaves the disk as it was.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use chatkey::protocol::SessionOptions;
use chatkey::providers::slack::emulator::EmulatorConfig;
use chatkey::providers::slack::emulator::data::{ENG, PRIYA};
use serde_json::{Value, json};

use crate::support::{
    Client, SlackWorld, confine_files, connect, ok, signed_in_slack_world, tool_error,
};

struct Setup {
    world: SlackWorld,
    client: Client,
    allowed: PathBuf,
    outside: PathBuf,
}

/// A signed-in world whose config allows one directory (`allowed`), with a sibling directory
/// (`outside`) holding a secret the tools must never read.
async fn setup() -> Setup {
    let world = signed_in_slack_world(EmulatorConfig::default()).await;
    let (allowed, outside) = confine_files(world.dir.path(), &world.paths, &world.app).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    Setup {
        world,
        client,
        allowed,
        outside,
    }
}

fn path(p: &std::path::Path) -> String {
    p.display().to_string()
}

/// Requests that upload, share, post or fetch a file: none may follow bad input.
fn file_traffic(world: &SlackWorld) -> Vec<String> {
    world
        .emulator
        .knobs()
        .request_log()
        .into_iter()
        .filter(|r| {
            r.api_method.is_empty()
                || r.api_method.starts_with("files.")
                || r.api_method == "chat.postMessage"
        })
        .filter(|r| !r.path.contains("oauth"))
        .map(|r| format!("{} {} {}", r.http_method, r.path, r.api_method))
        .collect()
}

/// Priya, through her own token straight to the Web API, shares `files` in one message in
/// `#eng`; returns the message's `ts` and the files' ids.
async fn priya_shares(
    world: &SlackWorld,
    files: &[(&str, &[u8])],
    text: &str,
) -> (String, Vec<String>) {
    let token = world
        .emulator
        .knobs()
        .mint_tokens(
            PRIYA,
            &[
                "files:write",
                "files:read",
                "channels:read",
                "channels:history",
            ],
        )
        .unwrap()
        .access_token;
    let api = world.emulator.api_url();
    let http = reqwest::Client::new();
    let call = |method: &str, form: Vec<(&str, String)>| {
        let request = http
            .post(format!("{api}/{method}"))
            .bearer_auth(&token)
            .form(&form);
        async move {
            let answer: Value = request.send().await.unwrap().json().await.unwrap();
            assert_eq!(answer["ok"], true, "{answer}");
            answer
        }
    };
    let mut ids = Vec::new();
    for (name, bytes) in files {
        let slot = call(
            "files.getUploadURLExternal",
            vec![
                ("filename", name.to_string()),
                ("length", bytes.len().to_string()),
            ],
        )
        .await;
        let sent = http
            .post(slot["upload_url"].as_str().unwrap())
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap();
        assert!(sent.status().is_success());
        ids.push(slot["file_id"].as_str().unwrap().to_owned());
    }
    let list: Vec<Value> = ids.iter().map(|id| json!({"id": id})).collect();
    call(
        "files.completeUploadExternal",
        vec![
            ("files", Value::Array(list).to_string()),
            ("channel_id", ENG.to_owned()),
            ("initial_comment", text.to_owned()),
        ],
    )
    .await;
    let info = call("files.info", vec![("file", ids[0].clone())]).await;
    let ts = info["file"]["shares"]["public"][ENG][0]["ts"]
        .as_str()
        .unwrap()
        .to_owned();
    (ts, ids)
}

#[tokio::test]
async fn upload_a_report_to_a_channel_and_into_a_thread() {
    let s = setup().await;
    let report = s.allowed.join("q3-report.csv");
    let bytes = b"region,revenue\nemea,1200\namer,3400\n";
    std::fs::write(&report, bytes).unwrap();
    let up = ok(
        &s.client,
        "slack_upload_attachment",
        json!({"channel": "#eng", "path": path(&report), "text": "Q3 numbers", "title": "Q3 report"}),
    )
    .await;
    assert_eq!(up["channel"], ENG);
    assert_eq!(up["file_name"], "q3-report.csv");
    assert_eq!(up["title"], "Q3 report");
    assert_eq!(up["bytes"], bytes.len());
    let file_id = up["file_id"].as_str().unwrap().to_owned();
    let ts = up["ts"]
        .as_str()
        .expect("the message showing the file")
        .to_owned();
    let shown = ok(
        &s.client,
        "slack_get_message",
        json!({"channel": ENG, "ts": ts}),
    )
    .await;
    assert_eq!(shown["text"], "Q3 numbers");
    assert_eq!(shown["files"][0]["id"], file_id.as_str(), "{shown:#}");
    assert_eq!(shown["files"][0]["name"], "q3-report.csv");

    // What was uploaded downloads byte for byte.
    let back = ok(
        &s.client,
        "slack_download_attachment",
        json!({"channel": "eng", "ts": ts}),
    )
    .await;
    assert_eq!(back["content"], std::str::from_utf8(bytes).unwrap());

    // Into a thread: the file is a reply there.
    let refs = s.world.emulator.knobs().seed_refs();
    let up = ok(
        &s.client,
        "slack_upload_attachment",
        json!({"channel": ENG, "path": path(&report), "thread_ts": refs.release_thread_ts}),
    )
    .await;
    assert_eq!(up["thread_ts"], refs.release_thread_ts.as_str());
    let thread = ok(
        &s.client,
        "slack_get_thread",
        json!({"channel": ENG, "thread_ts": refs.release_thread_ts}),
    )
    .await;
    let reply = thread["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["ts"] == up["ts"])
        .expect("the upload is in the thread");
    assert_eq!(reply["is_reply"], true);
    assert_eq!(reply["files"][0]["id"], up["file_id"]);

    // A thread that does not exist uploads nothing (Slack would post it top-level).
    let before = file_traffic(&s.world);
    let e = tool_error(
        &s.client,
        "slack_upload_attachment",
        json!({"channel": ENG, "path": path(&report), "thread_ts": "1000000000.000001"}),
    )
    .await;
    assert!(e.contains("nothing was sent"), "{e}");
    assert_eq!(file_traffic(&s.world), before);

    let log = s.world.emulator.knobs().request_log();
    assert!(
        log.iter().all(|r| r.api_method != "files.upload"),
        "the retired files.upload is never called"
    );
    let uploads = log
        .iter()
        .filter(|r| r.api_method.is_empty() && r.path.starts_with("/slack-upload/"))
        .count();
    assert_eq!(uploads, 2, "one POST of the bytes per upload");
}

#[tokio::test]
async fn files_outside_the_allowed_directories_are_never_sent() {
    let s = setup().await;
    let secret = s.outside.join("secret.txt");
    let link = s.allowed.join("innocent.txt");
    std::os::unix::fs::symlink(&secret, &link).unwrap();
    let hidden = s.allowed.join(".env");
    std::fs::write(&hidden, "TOKEN=x\n").unwrap();
    let dotdot = format!("{}/../private/secret.txt", path(&s.allowed));
    let before = file_traffic(&s.world);
    for (tool, p) in [
        ("slack_upload_attachment", path(&secret)),
        ("slack_upload_attachment", path(&link)),
        ("slack_upload_attachment", dotdot.clone()),
        ("slack_upload_attachment", path(&hidden)),
        ("slack_upload_attachment", "relative/file.txt".to_owned()),
        ("slack_share_file_content", path(&secret)),
        ("slack_share_file_content", path(&link)),
        ("slack_share_file_content", dotdot.clone()),
    ] {
        let e = tool_error(&s.client, tool, json!({"channel": "#eng", "path": p})).await;
        assert!(
            e.contains("outside") || e.contains("hidden") || e.contains("absolute"),
            "{tool} {p}: {e}"
        );
        assert!(!e.contains("hunter2"), "{e}");
    }
    // An empty file is refused before Slack is asked for anything.
    let empty = s.allowed.join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    let e = tool_error(
        &s.client,
        "slack_upload_attachment",
        json!({"channel": "#eng", "path": path(&empty)}),
    )
    .await;
    assert!(e.contains("empty"), "{e}");
    assert_eq!(file_traffic(&s.world), before, "nothing was sent to Slack");
}

#[tokio::test]
async fn download_saves_the_exact_bytes_and_only_inside() {
    let s = setup().await;
    let refs = s.world.emulator.knobs().seed_refs();
    let args = json!({"channel": "#eng", "ts": refs.file_message_ts});
    let inline = ok(&s.client, "slack_download_attachment", args.clone()).await;
    assert_eq!(inline["file_id"], refs.file_id.as_str());
    assert_eq!(inline["file_name"], "deploy-checklist.md");
    let body = inline["content"].as_str().unwrap().to_owned();
    assert!(body.starts_with("# Deploy checklist\n"), "{body}");
    assert!(inline.get("saved_to").is_none());

    let mut save = args.clone();
    save["save_to"] = json!(path(&s.allowed));
    let saved = ok(&s.client, "slack_download_attachment", save.clone()).await;
    let file = s.allowed.join("deploy-checklist.md");
    assert_eq!(saved["saved_to"], path(&file));
    assert_eq!(std::fs::read(&file).unwrap(), body.as_bytes());
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "downloads are private to the user");

    // Saving again is refused and leaves the file alone, unless overwrite is asked for.
    std::fs::write(&file, "my edits\n").unwrap();
    let e = tool_error(&s.client, "slack_download_attachment", save.clone()).await;
    assert!(
        e.contains("already exists") && e.contains("overwrite"),
        "{e}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "my edits\n");
    save["overwrite"] = json!(true);
    ok(&s.client, "slack_download_attachment", save).await;
    assert_eq!(std::fs::read(&file).unwrap(), body.as_bytes());

    // Destinations outside are refused before anything is fetched.
    let downloads = |w: &SlackWorld| {
        w.emulator
            .knobs()
            .request_log()
            .into_iter()
            .filter(|r| r.path.starts_with("/files-pri/"))
            .count()
    };
    let fetched = downloads(&s.world);
    std::os::unix::fs::symlink(&s.outside, s.allowed.join("out")).unwrap();
    for save_to in [
        path(&s.outside.join("checklist.md")),
        format!("{}/../private/checklist.md", path(&s.allowed)),
        path(&s.allowed.join("out/checklist.md")),
        path(&s.allowed.join(".hidden.md")),
    ] {
        let mut a = args.clone();
        a["save_to"] = json!(save_to);
        let e = tool_error(&s.client, "slack_download_attachment", a).await;
        assert!(
            e.contains("outside") || e.contains("hidden"),
            "{save_to}: {e}"
        );
    }
    assert_eq!(downloads(&s.world), fetched, "nothing was downloaded");
    assert_eq!(
        std::fs::read_dir(&s.outside).unwrap().count(),
        1,
        "only the secret is there"
    );

    // The token travels in the Authorization header only: no download URL carries one.
    let log = s.world.emulator.knobs().request_log();
    let files: Vec<_> = log
        .iter()
        .filter(|r| r.path.starts_with("/files-pri/"))
        .collect();
    assert!(files.len() >= 3);
    for r in files {
        assert!(
            r.params.is_empty(),
            "no query on {}: {:?}",
            r.path,
            r.params
        );
        assert!(!r.path.contains("xox"), "{}", r.path);
        assert_eq!(r.status, 200, "{}", r.path);
    }
}

#[tokio::test]
async fn several_files_in_one_message_are_picked_by_id_or_name() {
    let s = setup().await;
    let png = [0x89, b'P', b'N', b'G', 0, 1, 2, 3];
    let (ts, ids) = priya_shares(
        &s.world,
        &[
            ("notes.txt", &b"first notes\n"[..]),
            ("chart.png", &png[..]),
        ],
        "notes and the chart",
    )
    .await;
    let e = tool_error(
        &s.client,
        "slack_download_attachment",
        json!({"channel": ENG, "ts": ts}),
    )
    .await;
    assert!(e.contains("2 files"), "{e}");
    assert!(
        e.contains(&format!("`notes.txt` ({})", ids[0]))
            && e.contains(&format!("`chart.png` ({})", ids[1])),
        "{e}"
    );
    let notes = ok(
        &s.client,
        "slack_download_attachment",
        json!({"channel": ENG, "ts": ts, "file": "notes.txt"}),
    )
    .await;
    assert_eq!(notes["content"], "first notes\n");

    // The image needs `save_to`: it is not fetched to be returned as text.
    let fetched = s.world.emulator.knobs().request_log().len();
    let e = tool_error(
        &s.client,
        "slack_download_attachment",
        json!({"channel": ENG, "ts": ts, "file": ids[1]}),
    )
    .await;
    assert!(e.contains("save_to"), "{e}");
    assert!(
        s.world.emulator.knobs().request_log()[fetched..]
            .iter()
            .all(|r| !r.path.starts_with("/files-pri/"))
    );
    let saved = ok(
        &s.client,
        "slack_download_attachment",
        json!({"channel": ENG, "ts": ts, "file": ids[1], "save_to": path(&s.allowed.join("chart.png"))}),
    )
    .await;
    assert_eq!(saved["content_type"], "image/png");
    assert_eq!(std::fs::read(s.allowed.join("chart.png")).unwrap(), png);

    let e = tool_error(
        &s.client,
        "slack_download_attachment",
        json!({"channel": ENG, "ts": ts, "file": "slides.pdf"}),
    )
    .await;
    assert!(
        e.contains("no file `slides.pdf`") && e.contains("chart.png"),
        "{e}"
    );
}

#[tokio::test]
async fn share_a_log_as_a_code_block() {
    let s = setup().await;
    let log = s.allowed.join("deploy.log");
    let text = "09:14:02 ERROR <!channel> pool exhausted & retrying\n09:14:03 WARN ```done```\n";
    std::fs::write(&log, text).unwrap();
    let shared = ok(
        &s.client,
        "slack_share_file_content",
        json!({"channel": "#eng", "path": path(&log)}),
    )
    .await;
    assert_eq!(shared["truncated"], false);
    assert_eq!(shared["bytes_posted"], text.len());
    assert_eq!(shared["lines_posted"], 2);
    let posted = ok(
        &s.client,
        "slack_get_message",
        json!({"channel": ENG, "ts": shared["ts"]}),
    )
    .await;
    let body = posted["text"].as_str().unwrap();
    assert!(
        body.starts_with(
            "`deploy.log`\n```\n09:14:02 ERROR <!channel> pool exhausted & retrying\n"
        ),
        "{body}"
    );
    assert!(body.ends_with("\n```"), "{body}");
    assert_eq!(
        body.matches("```").count(),
        2,
        "the file's fences are broken: {body}"
    );
    // The raw text Slack stored has the markup escaped: no one is notified.
    let token = s
        .world
        .emulator
        .knobs()
        .mint_tokens(PRIYA, &["channels:history"])
        .unwrap()
        .access_token;
    let raw: Value = reqwest::Client::new()
        .post(format!(
            "{}/conversations.history",
            s.world.emulator.api_url()
        ))
        .bearer_auth(&token)
        .form(&[
            ("channel", ENG),
            ("latest", shared["ts"].as_str().unwrap()),
            ("inclusive", "true"),
            ("limit", "1"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let stored = raw["messages"][0]["text"].as_str().unwrap();
    assert!(
        stored.contains("&lt;!channel&gt; pool exhausted &amp; retrying"),
        "{stored}"
    );

    // A log bigger than one message is cut at a line and says so; into a thread.
    let refs = s.world.emulator.knobs().seed_refs();
    let big: String = (0..4000)
        .map(|i| format!("09:{:02}:00 ERROR request {i} failed\n", i % 60))
        .collect();
    std::fs::write(&log, &big).unwrap();
    let shared = ok(
        &s.client,
        "slack_share_file_content",
        json!({"channel": ENG, "path": path(&log), "thread_ts": refs.release_thread_ts}),
    )
    .await;
    assert_eq!(shared["truncated"], true);
    assert_eq!(shared["thread_ts"], refs.release_thread_ts.as_str());
    let posted_bytes = shared["bytes_posted"].as_u64().unwrap() as usize;
    assert!(
        posted_bytes > 30_000 && posted_bytes < big.len(),
        "{shared}"
    );
    assert!(
        big[..posted_bytes].ends_with('\n'),
        "cut at a line boundary"
    );

    // Binary content is refused before anything is posted.
    let before = file_traffic(&s.world);
    let bin = s.allowed.join("core.dump");
    std::fs::write(&bin, [0x7f, b'E', b'L', b'F', 0, 0, 1, 2]).unwrap();
    let e = tool_error(
        &s.client,
        "slack_share_file_content",
        json!({"channel": ENG, "path": path(&bin)}),
    )
    .await;
    assert!(e.contains("slack_upload_attachment"), "{e}");
    assert_eq!(file_traffic(&s.world), before);
}

#[tokio::test]
async fn read_only_sessions_have_no_file_writes() {
    let s = setup().await;
    let tools = s.client.list_all_tools().await.unwrap();
    for name in [
        "slack_upload_attachment",
        "slack_download_attachment",
        "slack_share_file_content",
    ] {
        let tool = tools.iter().find(|t| t.name == name).expect(name);
        let hints = tool.annotations.as_ref().unwrap();
        assert_eq!(hints.read_only_hint, Some(false), "{name}");
        assert_eq!(hints.destructive_hint, Some(false), "{name}");
    }
    let read_only = connect(
        &s.world.app,
        SessionOptions {
            read_only: true,
            ..Default::default()
        },
    )
    .await;
    let names: Vec<String> = read_only
        .list_all_tools()
        .await
        .unwrap()
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    assert!(names.contains(&"slack_get_message".to_owned()), "{names:?}");
    // Like Google Chat's, the download writes a local file, so it is not read-only either.
    for hidden in [
        "slack_upload_attachment",
        "slack_share_file_content",
        "slack_download_attachment",
    ] {
        assert!(!names.contains(&hidden.to_owned()), "{hidden}");
    }
    let report = s.allowed.join("r.txt");
    std::fs::write(&report, "x\n").unwrap();
    let before = file_traffic(&s.world);
    let e = tool_error(
        &read_only,
        "slack_upload_attachment",
        json!({"channel": ENG, "path": path(&report)}),
    )
    .await;
    assert!(e.contains("--read-only"), "{e}");
    assert_eq!(file_traffic(&s.world), before);
}
