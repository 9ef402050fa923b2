//! slack_whoami, slack_get_user_info, slack_list_members, slack_get_conversation_participants.

use chatkey::protocol::SessionOptions;
use chatkey::providers::slack::emulator::EmulatorConfig;
use serde_json::json;

use crate::support::{connect, ok, signed_in_slack_world, tool_error};

#[tokio::test]
async fn slack_tools_b_whoami_names_the_signed_in_person_and_workspace() {
    let world = signed_in_slack_world(EmulatorConfig::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let me = ok(&client, "slack_whoami", json!({})).await;
    assert_eq!(me["user_id"], "U01ALEXRIV");
    assert_eq!(me["email"], "alex.rivera@example.com");
    assert_eq!(me["domain"], "acme");
    assert!(
        me["scopes"].as_array().is_some_and(|s| !s.is_empty()),
        "{me}"
    );
    // The workspace domain picks the account too.
    let again = ok(&client, "slack_whoami", json!({"account": "acme"})).await;
    assert_eq!(again["user_id"], "U01ALEXRIV");
}

#[tokio::test]
async fn slack_tools_b_get_user_info_by_id_email_and_handle() {
    let world = signed_in_slack_world(EmulatorConfig::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let by_id = ok(
        &client,
        "slack_get_user_info",
        json!({"user": "U02PRIYANT"}),
    )
    .await;
    assert_eq!(by_id["id"], "U02PRIYANT");
    assert!(
        by_id["real_name"].as_str().unwrap().starts_with("Priya"),
        "{by_id}"
    );
    let email = by_id["email"].as_str().unwrap().to_owned();
    let handle = by_id["handle"].as_str().unwrap().to_owned();

    let by_email = ok(
        &client,
        "slack_get_user_info",
        json!({"user": email.to_uppercase()}),
    )
    .await;
    assert_eq!(by_email["id"], "U02PRIYANT");
    let by_handle = ok(
        &client,
        "slack_get_user_info",
        json!({"user": format!("@{handle}")}),
    )
    .await;
    assert_eq!(by_handle["id"], "U02PRIYANT");

    let missing = tool_error(
        &client,
        "slack_get_user_info",
        json!({"user": "nobody@example.com"}),
    )
    .await;
    assert!(missing.contains("nobody@example.com"), "{missing}");
    let unknown = tool_error(
        &client,
        "slack_get_user_info",
        json!({"user": "U0NOBODY00"}),
    )
    .await;
    assert!(unknown.contains("U0NOBODY00"), "{unknown}");
}

#[tokio::test]
async fn slack_tools_b_bad_people_arguments_send_nothing() {
    let world = signed_in_slack_world(EmulatorConfig::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let knobs = world.emulator.knobs();
    knobs.clear_request_log();
    let bad = tool_error(&client, "slack_get_user_info", json!({"user": "priya"})).await;
    assert!(bad.contains("`user`"), "{bad}");
    let bad = tool_error(
        &client,
        "slack_list_members",
        json!({"channel": "#eng", "limit": 0}),
    )
    .await;
    assert!(bad.contains("`limit`"), "{bad}");
    let bad = tool_error(
        &client,
        "slack_get_conversation_participants",
        json!({"channel": "#eng", "days_window": 400}),
    )
    .await;
    assert!(bad.contains("`days_window`"), "{bad}");
    let bad = tool_error(&client, "slack_list_members", json!({"channel": "#"})).await;
    assert!(bad.contains("`channel`"), "{bad}");
    assert!(knobs.request_log().is_empty(), "{:?}", knobs.request_log());
}

#[tokio::test]
async fn slack_tools_b_list_members_names_everyone_and_pages() {
    let world = signed_in_slack_world(EmulatorConfig::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let all = ok(&client, "slack_list_members", json!({"channel": "#eng"})).await;
    assert_eq!(all["channel"], "C02ENGINEER");
    assert_eq!(all["channel_name"], "#eng");
    let members = all["members"].as_array().unwrap();
    assert!(members.len() >= 3, "{all}");
    assert_eq!(all["count"], members.len());
    assert!(members.iter().any(|m| m["id"] == "U01ALEXRIV"));
    // Every member is named from the users cache, not shown as a bare id.
    assert!(members.iter().all(|m| m["name"] != m["id"]), "{all}");

    let first = ok(
        &client,
        "slack_list_members",
        json!({"channel": "C02ENGINEER", "limit": 2}),
    )
    .await;
    assert_eq!(first["count"], 2);
    let cursor = first["next_cursor"]
        .as_str()
        .expect("more members")
        .to_owned();
    let rest = ok(
        &client,
        "slack_list_members",
        json!({"channel": "C02ENGINEER", "limit": 1000, "cursor": cursor}),
    )
    .await;
    let mut ids: Vec<String> = first["members"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest["members"].as_array().unwrap())
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    let mut want: Vec<String> = members
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    want.sort();
    assert_eq!(ids, want);
}

#[tokio::test]
async fn slack_tools_b_participants_count_posters_with_thread_replies() {
    let world = signed_in_slack_world(EmulatorConfig::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let out = ok(
        &client,
        "slack_get_conversation_participants",
        json!({"channel": "eng", "days_window": 30}),
    )
    .await;
    assert_eq!(out["channel"]["id"], "C02ENGINEER");
    let people = out["participants"].as_array().unwrap();
    assert!(!people.is_empty(), "{out}");
    let total: u64 = people.iter().map(|p| p["messages"].as_u64().unwrap()).sum();
    assert_eq!(total, out["message_count"].as_u64().unwrap());
    // Most active first, each named.
    let counts: Vec<u64> = people
        .iter()
        .map(|p| p["messages"].as_u64().unwrap())
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    assert!(people.iter().all(|p| p["name"] != p["id"]), "{out}");
    // The release thread's replies were read.
    assert!(world.emulator.knobs().calls_of("conversations.replies") >= 1);
    // Priya started the release thread, so she posted.
    assert!(people.iter().any(|p| p["id"] == "U02PRIYANT"), "{out}");
}
