//! The Teams tools that look across conversations or at people, against the Graph emulator:
//! reactions by character or Teams name, unread from each chat's read position and marking
//! it read, real mentions only, search in every mode with channels only under admin
//! consent, members, people, participants and the summary window.

use chatkey::protocol::SessionOptions;
use chatkey::providers::teams::emulator::{EmulatorConfig, data};
use serde_json::json;

use crate::support::{connect, ok, tool_error};
use crate::teams::{signed_in, with_allowed_dir};

#[tokio::test]
async fn teams_reactions_by_character_or_name() {
    let world = signed_in(EmulatorConfig::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let sent = ok(
        &client,
        "teams_send_message",
        json!({"chat": data::CHAT_ANA, "text": "lunch?"}),
    )
    .await;
    let id = sent["id"].as_str().unwrap();
    let at = json!({"chat": data::CHAT_ANA, "message": id});
    let mut args = at.clone();
    args["emoji"] = json!("like");
    let added = ok(&client, "teams_add_reaction", args).await;
    assert_eq!(added["reactions"][0]["emoji"], "👍");
    // Graph names the author by id only; chatkey names them.
    assert_eq!(added["reactions"][0]["people"][0], "Alex Rivera");
    let mut args = at.clone();
    args["emoji"] = json!("🎉");
    ok(&client, "teams_add_reaction", args).await;
    let listed = ok(&client, "teams_list_reactions", at.clone()).await;
    assert_eq!(listed["reactions"].as_array().unwrap().len(), 2, "{listed}");
    let mut args = at.clone();
    args["emoji"] = json!("👍");
    let left = ok(&client, "teams_remove_reaction", args).await;
    assert_eq!(left["reactions"][0]["emoji"], "🎉");
    let before = world.emulator.knobs().log().len();
    let mut args = at.clone();
    args["emoji"] = json!("thumbs");
    let err = tool_error(&client, "teams_add_reaction", args).await;
    assert!(err.contains("like, heart"), "{err}");
    assert_eq!(world.emulator.knobs().log().len(), before);
}

#[tokio::test]
async fn teams_unread_counts_others_after_last_read_and_mark_read_clears_it() {
    let world = signed_in(EmulatorConfig::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let unread = ok(&client, "teams_get_unread", json!({})).await;
    let chats = unread["chats"].as_array().unwrap();
    let count = |id: &str| {
        chats
            .iter()
            .find(|c| c["chat"] == id)
            .map(|c| c["unread"].as_u64().unwrap())
    };
    // Ana's last two; in Launch crew, Dana's mention (Alex's own answer does not count).
    assert_eq!(count(data::CHAT_ANA), Some(2), "{unread}");
    assert_eq!(count(data::CHAT_LAUNCH), Some(1), "{unread}");
    assert_eq!(count(data::CHAT_UNTITLED), None, "{unread}");
    assert_eq!(unread["total"], 3);
    assert!(unread["note"].as_str().unwrap().contains("channels"));

    ok(&client, "teams_mark_read", json!({"chat": data::CHAT_ANA})).await;
    let after = ok(&client, "teams_get_unread", json!({})).await;
    assert_eq!(after["total"], 1, "{after}");
    let err = tool_error(
        &client,
        "teams_mark_read",
        json!({"chat": data::ENG_GENERAL.replace("19:", "")}),
    )
    .await;
    assert!(err.contains("19:"), "{err}");
}

#[tokio::test]
async fn teams_mentions_are_real_mentions_and_channels_need_consent() {
    let world = signed_in(EmulatorConfig::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    // A message with Alex's name as plain text is not a mention.
    ok(
        &client,
        "teams_send_message",
        json!({"chat": data::CHAT_UNTITLED, "text": "Alex Rivera said hi"}),
    )
    .await;
    let chats_only = ok(&client, "teams_get_my_mentions", json!({"days_window": 10})).await;
    assert_eq!(chats_only["total"], 1, "{chats_only}");
    assert_eq!(chats_only["mentions"][0]["mention"], "direct");
    assert_eq!(
        chats_only["mentions"][0]["conversation_name"],
        "Launch crew"
    );
    assert!(
        chats_only["searched"]["channels_skipped"]
            .as_str()
            .unwrap()
            .contains("ChannelMessage.Read.All")
    );

    world.emulator.knobs().set_admin_consent(true);
    world.emulator.knobs().expire_access_tokens();
    // The account record keeps the scopes of the sign-in; a new sign-in picks up consent.
    let world = signed_in(EmulatorConfig {
        admin_consent: true,
        ..Default::default()
    })
    .await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let all = ok(&client, "teams_get_my_mentions", json!({"days_window": 10})).await;
    assert_eq!(all["total"], 1, "{all}");
    assert_eq!(all["searched"]["channels"], 4, "{all}");
}

#[tokio::test]
async fn teams_search_in_every_mode_says_what_it_read() {
    let world = signed_in(EmulatorConfig {
        admin_consent: true,
        ..Default::default()
    })
    .await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let found = ok(
        &client,
        "teams_search_messages",
        json!({"query": "payments-api", "days_window": 10}),
    )
    .await;
    let texts: Vec<&str> = found["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["text"].as_str().unwrap())
        .collect();
    assert!(
        texts.contains(&"Morning! Did the payments-api canary finish?"),
        "{found}"
    );
    assert!(
        texts.contains(&"Deploy of payments-api 2.4 starts at 14:00 UTC"),
        "{found}"
    );
    assert_eq!(found["searched"]["chats"], 4);
    assert_eq!(found["searched"]["channels"], 4);
    let exact = ok(
        &client,
        "teams_search_messages",
        json!({"query": "launch date", "mode": "exact", "days_window": 10}),
    )
    .await;
    assert_eq!(exact["count"], 1, "{exact}");
    assert_eq!(
        exact["results"][0]["conversation"]["chat"],
        data::CHAT_LAUNCH
    );
    let regex = ok(
        &client,
        "teams_search_messages",
        json!({"query": "latency\\s+spike", "mode": "regex"}),
    )
    .await;
    assert_eq!(
        regex["results"][0]["conversation_name"], "Engineering › Incidents",
        "{regex}"
    );
    let err = tool_error(
        &client,
        "teams_search_messages",
        json!({"query": "(", "mode": "regex"}),
    )
    .await;
    assert!(err.contains("query"), "{err}");
}

#[tokio::test]
async fn teams_people_members_participants_and_summary() {
    let world = signed_in(EmulatorConfig {
        admin_consent: true,
        ..Default::default()
    })
    .await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let ana = ok(
        &client,
        "teams_get_user_info",
        json!({"user": "ana.lima@contoso.com"}),
    )
    .await;
    assert_eq!(ana["id"], data::ANA);
    assert_eq!(ana["jobTitle"], "Staff Engineer");
    let err = tool_error(
        &client,
        "teams_get_user_info",
        json!({"user": "nobody@contoso.com"}),
    )
    .await;
    assert!(err.contains("nobody@contoso.com"), "{err}");

    let members = ok(
        &client,
        "teams_list_members",
        json!({"chat": data::CHAT_LAUNCH}),
    )
    .await;
    assert_eq!(members["count"], 4);
    let err = tool_error(
        &client,
        "teams_list_members",
        json!({"team": "Engineering", "channel": "General"}),
    )
    .await;
    assert!(err.contains("ChannelMember.Read.All"), "{err}");

    let people = ok(
        &client,
        "teams_get_conversation_participants",
        json!({"team": "Engineering", "channel": "General", "days_window": 10}),
    )
    .await;
    let names: Vec<&str> = people["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    // Most messages first; equal counts, the most recent poster first.
    assert_eq!(names, ["Ben Okafor", "Ana Lima", "Alex Rivera"], "{people}");

    let summary = ok(
        &client,
        "teams_summarize_conversation",
        json!({"team": "Engineering", "channel": "General", "days_window": 10}),
    )
    .await;
    let texts: Vec<&str> = summary["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "Welcome to Engineering! Runbooks are pinned.",
            "Deploy of payments-api 2.4 starts at 14:00 UTC",
            "Migrations are backwards compatible.",
            "@Alex Rivera please approve the change request",
        ]
    );
}

#[tokio::test]
async fn teams_share_file_content_posts_escaped_text_from_allowed_dirs_only() {
    let world = signed_in(EmulatorConfig::default()).await;
    let files = tempfile::tempdir().unwrap();
    let allowed = files.path().join("shared");
    std::fs::create_dir_all(&allowed).unwrap();
    let app = with_allowed_dir(&world, &allowed).await;
    let client = connect(&app, SessionOptions::default()).await;
    let log = allowed.join("deploy.log");
    std::fs::write(&log, "step 1 <ok>\nstep 2 & done\n").unwrap();
    let shared = ok(
        &client,
        "teams_share_file_content",
        json!({"chat": data::CHAT_LAUNCH, "path": log.display().to_string()}),
    )
    .await;
    assert_eq!(
        shared["text"], "deploy.log\nstep 1 <ok>\nstep 2 & done",
        "{shared}"
    );
    assert_eq!(shared["lines_posted"], 2);
    assert_eq!(shared["truncated"], false);

    let outside = files.path().join("secret.txt");
    std::fs::write(&outside, "no").unwrap();
    let before = world.emulator.knobs().log().len();
    let err = tool_error(
        &client,
        "teams_share_file_content",
        json!({"chat": data::CHAT_LAUNCH, "path": outside.display().to_string()}),
    )
    .await;
    assert!(err.contains("allowed"), "{err}");
    assert_eq!(
        world.emulator.knobs().log().len(),
        before,
        "nothing was sent"
    );
}

#[tokio::test]
async fn teams_download_attachment_inline_text_or_saved_and_never_overwrites() {
    let world = signed_in(EmulatorConfig::default()).await;
    let files = tempfile::tempdir().unwrap();
    let app = with_allowed_dir(&world, files.path()).await;
    let client = connect(&app, SessionOptions::default()).await;
    let ana = ok(
        &client,
        "teams_list_messages",
        json!({"chat": data::CHAT_ANA, "days_window": 10}),
    )
    .await;
    let with_file = ana["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["attachments"].as_array().is_some_and(|a| !a.is_empty()))
        .cloned()
        .expect("Ana's notes");
    assert_eq!(
        with_file["text"],
        "My notes from the rollout\n[file: rollout-notes.txt]"
    );
    let id = with_file["id"].as_str().unwrap();
    let inline = ok(
        &client,
        "teams_download_attachment",
        json!({"chat": data::CHAT_ANA, "message": id}),
    )
    .await;
    assert_eq!(
        inline["content"],
        "Rollout notes\n1. canary at 5%\n2. 50% after an hour\n"
    );
    assert_eq!(inline["file_name"], "rollout-notes.txt");

    let dir = files.path().display().to_string();
    let saved = ok(
        &client,
        "teams_download_attachment",
        json!({"chat": data::CHAT_ANA, "message": id, "save_to": dir}),
    )
    .await;
    let path = files.path().join("rollout-notes.txt");
    assert_eq!(saved["saved_to"], path.display().to_string());
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("Rollout notes")
    );
    let err = tool_error(
        &client,
        "teams_download_attachment",
        json!({"chat": data::CHAT_ANA, "message": id, "save_to": dir}),
    )
    .await;
    assert!(err.contains("overwrite") || err.contains("exists"), "{err}");

    // A Word file is not inline text.
    let launch = ok(
        &client,
        "teams_list_messages",
        json!({"chat": data::CHAT_LAUNCH, "days_window": 10}),
    )
    .await;
    let doc = launch["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["attachments"].as_array().is_some_and(|a| !a.is_empty()))
        .cloned()
        .unwrap();
    let err = tool_error(
        &client,
        "teams_download_attachment",
        json!({"chat": data::CHAT_LAUNCH, "message": doc["id"]}),
    )
    .await;
    assert!(err.contains("save_to"), "{err}");
    let err = tool_error(
        &client,
        "teams_download_attachment",
        json!({"chat": data::CHAT_LAUNCH, "message": doc["id"], "save_to": "/etc/x.docx"}),
    )
    .await;
    assert!(err.contains("allowed"), "{err}");
}

#[tokio::test]
async fn teams_upload_attachment_stores_shares_posts_and_never_replaces() {
    let world = signed_in(EmulatorConfig {
        admin_consent: true,
        ..Default::default()
    })
    .await;
    let files = tempfile::tempdir().unwrap();
    let app = with_allowed_dir(&world, files.path()).await;
    let client = connect(&app, SessionOptions::default()).await;
    let report = files.path().join("report.csv");
    std::fs::write(&report, "quarter,revenue\nQ3,42\n").unwrap();
    let path = report.display().to_string();

    let up = ok(
        &client,
        "teams_upload_attachment",
        json!({"chat": data::CHAT_LAUNCH, "path": path, "text": "Q3 numbers"}),
    )
    .await;
    assert_eq!(up["text"], "Q3 numbers\n[file: report.csv]", "{up}");
    assert_eq!(up["file"]["name"], "report.csv");
    let shared: Vec<&str> = up["file"]["shared_with"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert_eq!(
        shared,
        [
            "ben.okafor@contoso.com",
            "chen.wei@contoso.com",
            "dana.kim@contoso.com"
        ]
    );
    // What was posted downloads back byte for byte.
    let back = ok(
        &client,
        "teams_download_attachment",
        json!({"chat": data::CHAT_LAUNCH, "message": up["id"]}),
    )
    .await;
    assert_eq!(back["content"], "quarter,revenue\nQ3,42\n");

    // The same name again is a new file, not a replacement.
    let again = ok(
        &client,
        "teams_upload_attachment",
        json!({"chat": data::CHAT_LAUNCH, "path": path}),
    )
    .await;
    assert_eq!(again["file"]["name"], "report (1).csv", "{again}");

    // A channel: its files folder, no sharing needed; into a post's thread.
    let posts = ok(
        &client,
        "teams_list_messages",
        json!({"team": "Engineering", "channel": "General", "days_window": 10}),
    )
    .await;
    let post = posts["messages"][0]["id"].clone();
    let in_channel = ok(
        &client,
        "teams_upload_attachment",
        json!({"team": "Engineering", "channel": "General", "message": post, "path": path}),
    )
    .await;
    assert_eq!(in_channel["reply_to"], post);
    assert!(
        in_channel["file"].get("shared_with").is_none(),
        "{in_channel}"
    );

    let before = world.emulator.knobs().log().len();
    for bad in [
        json!({"chat": data::CHAT_LAUNCH, "path": "/etc/hostname"}),
        json!({"chat": data::CHAT_LAUNCH, "path": path, "message": "1"}),
    ] {
        tool_error(&client, "teams_upload_attachment", bad).await;
    }
    assert_eq!(
        world.emulator.knobs().log().len(),
        before,
        "bad input sent requests"
    );
}
