//! The first Google Chat tools and chatkey_status, end to end in-process: rmcp client ↔
//! chatkey's MCP server ↔ the real HTTP client ↔ the emulator.

use chatkey::protocol::SessionOptions;
use serde_json::{Value, json};

use crate::support::{call, connect, ok, signed_in_world, tool_error};

async fn engineering(client: &crate::support::Client) -> String {
    let spaces = ok(client, "google_chat_list_spaces", json!({})).await;
    spaces["spaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["display_name"] == "Engineering")
        .expect("the seeded Engineering space")["name"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn lists_tools_with_schemas_and_annotations() {
    let world = signed_in_world(Default::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<_> = tools.iter().map(|t| t.name.to_string()).collect();
    for expected in [
        "chatkey_status",
        "google_chat_list_spaces",
        "google_chat_list_messages",
        "google_chat_get_message",
        "google_chat_send_message",
    ] {
        assert!(
            names.contains(&expected.to_owned()),
            "{expected} missing: {names:?}"
        );
    }
    for tool in &tools {
        assert!(
            tool.description.as_ref().is_some_and(|d| d.len() > 40),
            "{}",
            tool.name
        );
        let annotations = tool.annotations.as_ref().unwrap();
        assert!(annotations.read_only_hint.is_some(), "{}", tool.name);
        assert_eq!(tool.input_schema["type"], "object");
    }
    let send = tools
        .iter()
        .find(|t| t.name == "google_chat_send_message")
        .unwrap();
    assert_eq!(
        send.annotations.as_ref().unwrap().read_only_hint,
        Some(false)
    );
    assert!(send.input_schema["properties"]["text"]["description"].is_string());

    let read_only = connect(
        &world.app,
        SessionOptions {
            read_only: true,
            ..Default::default()
        },
    )
    .await;
    let names: Vec<_> = read_only
        .list_all_tools()
        .await
        .unwrap()
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    assert!(!names.contains(&"google_chat_send_message".to_owned()));
    assert!(names.contains(&"google_chat_list_spaces".to_owned()));
    let err = tool_error(
        &read_only,
        "google_chat_send_message",
        json!({"space": "AAA", "text": "x"}),
    )
    .await;
    assert!(err.contains("--read-only"), "{err}");
}

#[tokio::test]
async fn list_spaces_reads_every_page() {
    let world = signed_in_world(Default::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let spaces = ok(&client, "google_chat_list_spaces", json!({})).await;
    let list = spaces["spaces"].as_array().unwrap();
    assert_eq!(spaces["count"], list.len());
    assert!(list.iter().any(|s| s["type"] == "direct_message"));
    let only_dms = ok(
        &client,
        "google_chat_list_spaces",
        json!({"type": "direct_message"}),
    )
    .await;
    assert!(
        only_dms["spaces"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["type"] == "direct_message")
    );
}

#[tokio::test]
async fn list_messages_windows_are_exact_and_named() {
    let world = signed_in_world(Default::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let space = engineering(&client).await;
    let mut seen = std::collections::HashSet::new();
    for k in 0..3 {
        let page = ok(
            &client,
            "google_chat_list_messages",
            json!({"space": space, "days_window": 7, "offset": 7 * k, "limit": 1000}),
        )
        .await;
        let since: chrono::DateTime<chrono::Utc> =
            page["window"]["since"].as_str().unwrap().parse().unwrap();
        let until: chrono::DateTime<chrono::Utc> =
            page["window"]["until"].as_str().unwrap().parse().unwrap();
        assert_eq!(until - since, chrono::TimeDelta::days(7));
        for m in page["messages"].as_array().unwrap() {
            let t: chrono::DateTime<chrono::Utc> =
                m["create_time"].as_str().unwrap().parse().unwrap();
            assert!(t >= since && t < until, "{t} outside [{since}, {until})");
            assert!(
                seen.insert(m["name"].as_str().unwrap().to_owned()),
                "windows overlap"
            );
            assert!(
                m["sender"]["display_name"].is_string(),
                "sender name missing: {m}"
            );
        }
    }
    assert!(
        seen.len() > 20,
        "expected weeks of seeded messages, saw {}",
        seen.len()
    );

    // limit + page_token continue without repeats.
    let first = ok(
        &client,
        "google_chat_list_messages",
        json!({"space": space, "days_window": 14, "limit": 5}),
    )
    .await;
    assert_eq!(first["count"], 5);
    let token = first["next_page_token"]
        .as_str()
        .expect("more pages")
        .to_owned();
    let second = ok(
        &client,
        "google_chat_list_messages",
        json!({"space": space, "days_window": 14, "limit": 5, "page_token": token}),
    )
    .await;
    let a: Vec<&Value> = first["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["name"])
        .collect();
    assert!(
        second["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| !a.contains(&&m["name"]))
    );
}

#[tokio::test]
async fn send_then_get_and_list() {
    let world = signed_in_world(Default::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let space = engineering(&client).await;
    let sent = ok(
        &client,
        "google_chat_send_message",
        json!({"space": space, "text": "deploy done ✅"}),
    )
    .await;
    let name = sent["name"].as_str().unwrap().to_owned();
    assert!(name.starts_with(&format!("{space}/messages/")));
    let got = ok(&client, "google_chat_get_message", json!({"message": name})).await;
    assert_eq!(got["text"], "deploy done ✅");
    assert!(got["sender"]["display_name"].is_string());
    let recent = ok(
        &client,
        "google_chat_list_messages",
        json!({"space": space, "days_window": 1, "limit": 3}),
    )
    .await;
    assert_eq!(recent["messages"][0]["name"], json!(name), "newest first");

    // Replying in a thread that does not exist fails loudly instead of starting a new one.
    let err = tool_error(
        &client,
        "google_chat_send_message",
        json!({"space": space, "text": "hi", "thread": "no-such-thread"}),
    )
    .await;
    assert!(err.contains("not found"), "{err}");
}

#[tokio::test]
async fn bad_input_is_named_and_changes_nothing() {
    let world = signed_in_world(Default::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let err = tool_error(
        &client,
        "google_chat_list_messages",
        json!({"space": "AAA", "days_window": "seven"}),
    )
    .await;
    assert!(err.contains("`days_window`"), "{err}");
    let err = tool_error(
        &client,
        "google_chat_list_messages",
        json!({"space": "spaces/../../x"}),
    )
    .await;
    assert!(err.contains("`space`"), "{err}");
    let err = tool_error(
        &client,
        "google_chat_list_messages",
        json!({"space": "spaces/doesnotexist"}),
    )
    .await;
    assert!(err.contains("not found"), "{err}");
    let err = tool_error(
        &client,
        "google_chat_send_message",
        json!({"space": "AAA", "text": "   "}),
    )
    .await;
    assert!(err.contains("`text`"), "{err}");
    let err = tool_error(&client, "google_chat_list_spaces", json!({"colour": "red"})).await;
    assert!(err.contains("colour"), "{err}");

    let params = rmcp::model::CallToolRequestParams::new("google_chat_no_such_tool");
    let unknown = client.call_tool(params).await.unwrap_err().to_string();
    assert!(unknown.contains("unknown tool"), "{unknown}");
}

#[tokio::test]
async fn status_reports_the_account() {
    let world = signed_in_world(Default::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let status = ok(&client, "chatkey_status", json!({})).await;
    let account = &status["accounts"][0];
    assert_eq!(account["provider"], "google-chat");
    assert_eq!(account["state"], "ok");
    assert!(account["email"].as_str().unwrap().contains('@'));
    let text = serde_json::to_string(&status).unwrap();
    assert!(!text.contains("ya29."), "a token leaked into status");
}

#[tokio::test]
async fn expired_access_tokens_are_refreshed_transparently() {
    let world = signed_in_world(chatkey::providers::google_chat::emulator::EmulatorConfig {
        access_token_lifetime: std::time::Duration::from_secs(2),
        ..Default::default()
    })
    .await;
    let client = connect(&world.app, SessionOptions::default()).await;
    ok(&client, "google_chat_list_spaces", json!({})).await;
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    ok(&client, "google_chat_list_spaces", json!({})).await;
}

#[tokio::test]
async fn unknown_tool_result_shape_for_unsigned_provider() {
    // A session on an app with no account lists only chatkey's own tools.
    let dir = tempfile::tempdir().unwrap();
    let paths = crate::support::paths_in(dir.path());
    let app = chatkey::app::App::new(
        paths,
        std::sync::Arc::new(chatkey::tokens::MemoryStore::default()),
        chatkey::http::client(),
    )
    .await
    .unwrap();
    let client = connect(&app, SessionOptions::default()).await;
    let names: Vec<_> = client
        .list_all_tools()
        .await
        .unwrap()
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(
        names,
        vec!["chatkey_sign_in".to_owned(), "chatkey_status".to_owned()]
    );
    let err = tool_error(&client, "google_chat_list_spaces", json!({})).await;
    assert!(err.contains("chatkey login google-chat"), "{err}");
    let result = call(&client, "chatkey_status", json!({})).await;
    assert_ne!(result.is_error, Some(true));
}

#[tokio::test]
async fn transient_server_errors_and_rate_limits_are_retried() {
    use chatkey::providers::google_chat::emulator::FailureSpec;
    let world = signed_in_world(Default::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    ok(&client, "google_chat_list_spaces", json!({})).await;
    let knobs = world.emulator.knobs();
    knobs.clear_request_log();
    knobs.fail_next(FailureSpec {
        status: 503,
        count: 2,
        path_prefix: Some("/v1/spaces".into()),
        retry_after: None,
    });
    ok(&client, "google_chat_list_spaces", json!({})).await;
    let attempts = knobs
        .request_log()
        .iter()
        .filter(|r| r.path == "/v1/spaces")
        .count();
    assert_eq!(attempts, 3, "two 503s then a success");

    knobs.fail_next(FailureSpec {
        status: 429,
        count: 1,
        path_prefix: Some("/v1/spaces".into()),
        retry_after: Some(1),
    });
    let started = std::time::Instant::now();
    ok(&client, "google_chat_list_spaces", json!({})).await;
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(900),
        "Retry-After honoured"
    );

    // A failure that outlasts the retries becomes an actionable tool error.
    knobs.fail_next(FailureSpec {
        status: 500,
        count: 10,
        path_prefix: Some("/v1/spaces".into()),
        retry_after: None,
    });
    let err = tool_error(&client, "google_chat_list_spaces", json!({})).await;
    assert!(err.contains("try again"), "{err}");
    knobs.clear_failures();
}

#[tokio::test]
async fn sender_names_cost_one_people_call_per_page_and_none_when_cached() {
    let world = signed_in_world(Default::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let space = engineering(&client).await;
    let knobs = world.emulator.knobs();
    let people_calls = || {
        knobs
            .request_log()
            .iter()
            .filter(|r| r.path.starts_with("/v1/people"))
            .count()
    };
    knobs.clear_request_log();
    let page = ok(
        &client,
        "google_chat_list_messages",
        json!({"space": space, "days_window": 30, "limit": 200}),
    )
    .await;
    assert!(page["count"].as_u64().unwrap() > 50);
    assert_eq!(
        people_calls(),
        1,
        "one batched People call for the whole page"
    );
    knobs.clear_request_log();
    ok(
        &client,
        "google_chat_list_messages",
        json!({"space": space, "days_window": 30, "limit": 200}),
    )
    .await;
    assert_eq!(people_calls(), 0, "names come from the cache");
}
