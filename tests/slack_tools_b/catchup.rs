//! slack_get_unread, slack_mark_read, slack_get_my_mentions, slack_summarize_conversation.

use chatkey::protocol::SessionOptions;
use chatkey::providers::slack::emulator::EmulatorConfig;
use serde_json::{Value, json};

use crate::support::{connect, ok, signed_in_slack_world, signed_in_slack_world_with, tool_error};

fn channel<'a>(unread: &'a Value, id: &str) -> Option<&'a Value> {
    unread["unread"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == id)
}

#[tokio::test]
async fn slack_tools_b_unread_then_mark_read_clears_it() {
    let world = signed_in_slack_world(EmulatorConfig::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let refs = world.emulator.knobs().seed_refs();
    let before = ok(&client, "slack_get_unread", json!({})).await;
    let eng = channel(&before, "C02ENGINEER").expect("#eng has unread messages");
    assert_eq!(eng["channel_name"], "#eng");
    let messages = eng["messages"].as_array().unwrap();
    assert!(
        messages
            .iter()
            .any(|m| m["ts"] == refs.unread_mention_ts.as_str()),
        "{eng}"
    );
    // Never the person's own messages, never plain thread replies.
    assert!(
        messages.iter().all(|m| m["sender"]["id"] != "U01ALEXRIV"),
        "{eng}"
    );
    assert!(
        messages
            .iter()
            .all(|m| m["is_reply"] != true || m["broadcast"] == true),
        "{eng}"
    );
    // Chronological, and counted in full.
    let ts: Vec<&str> = messages.iter().map(|m| m["ts"].as_str().unwrap()).collect();
    let mut sorted = ts.clone();
    sorted.sort();
    assert_eq!(ts, sorted);
    assert!(eng["unread_count"].as_u64().unwrap() >= messages.len() as u64);

    let marked = ok(&client, "slack_mark_read", json!({"channel": "#eng"})).await;
    assert_eq!(marked["channel"], "C02ENGINEER");
    assert_eq!(marked["marked"], true);
    let after = ok(&client, "slack_get_unread", json!({"channels": ["eng"]})).await;
    assert!(channel(&after, "C02ENGINEER").is_none(), "{after}");
    assert_eq!(after["up_to_date"], json!(["#eng"]));
    assert_eq!(after["total_unread"], 0);
}

#[tokio::test]
async fn slack_tools_b_mark_read_to_a_given_ts_leaves_later_ones_unread() {
    let world = signed_in_slack_world(EmulatorConfig::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let before = ok(
        &client,
        "slack_get_unread",
        json!({"channels": ["C02ENGINEER"], "limit_per_channel": 100}),
    )
    .await;
    let eng = channel(&before, "C02ENGINEER").expect("#eng has unread messages");
    let count = eng["unread_count"].as_u64().unwrap();
    let msgs = eng["messages"].as_array().unwrap();
    if count < 2 {
        panic!("the seed should leave at least two unread messages in #eng: {eng}");
    }
    let oldest = msgs[0]["ts"].as_str().unwrap();
    let marked = ok(
        &client,
        "slack_mark_read",
        json!({"channel": "C02ENGINEER", "ts": oldest}),
    )
    .await;
    assert_eq!(marked["last_read"], oldest);
    let after = ok(
        &client,
        "slack_get_unread",
        json!({"channels": ["C02ENGINEER"]}),
    )
    .await;
    let eng = channel(&after, "C02ENGINEER").expect("later messages stay unread");
    assert_eq!(eng["unread_count"].as_u64().unwrap(), count - 1);
    assert_eq!(eng["last_read"], oldest);
}

#[tokio::test]
async fn slack_tools_b_catchup_arguments_are_checked_before_any_request() {
    let world = signed_in_slack_world(EmulatorConfig::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let knobs = world.emulator.knobs();
    knobs.clear_request_log();
    let e = tool_error(
        &client,
        "slack_mark_read",
        json!({"channel": "#eng", "ts": "yesterday"}),
    )
    .await;
    assert!(e.contains("`ts`"), "{e}");
    let e = tool_error(&client, "slack_get_unread", json!({"channels": []})).await;
    assert!(e.contains("`channels`"), "{e}");
    let e = tool_error(&client, "slack_get_unread", json!({"limit_per_channel": 0})).await;
    assert!(e.contains("`limit_per_channel`"), "{e}");
    let e = tool_error(&client, "slack_get_my_mentions", json!({"days_window": 91})).await;
    assert!(e.contains("`days_window`"), "{e}");
    let e = tool_error(
        &client,
        "slack_summarize_conversation",
        json!({"channel": "#eng", "limit": 1001}),
    )
    .await;
    assert!(e.contains("`limit`"), "{e}");
    assert!(knobs.request_log().is_empty(), "{:?}", knobs.request_log());
}

#[tokio::test]
async fn slack_tools_b_mentions_are_real_mentions_only() {
    let world = signed_in_slack_world(EmulatorConfig::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let refs = world.emulator.knobs().seed_refs();
    let out = ok(&client, "slack_get_my_mentions", json!({"days_window": 30})).await;
    assert_eq!(out["user"], "U01ALEXRIV");
    let mentions = out["mentions"].as_array().unwrap();
    assert!(
        mentions
            .iter()
            .any(|m| m["ts"] == refs.unread_mention_ts.as_str() && m["mention"] == "direct"),
        "{out}"
    );
    for m in mentions {
        assert_ne!(m["sender"]["id"], "U01ALEXRIV", "{m}");
        let kind = m["mention"].as_str().unwrap();
        assert!(
            ["direct", "here", "channel", "everyone"].contains(&kind),
            "{m}"
        );
        if kind == "direct" {
            // Rendered: the mention shows as a name, not as `<@U…>`.
            assert!(!m["text"].as_str().unwrap().contains("<@"), "{m}");
        }
    }
    let ts: Vec<&str> = mentions.iter().map(|m| m["ts"].as_str().unwrap()).collect();
    let mut newest_first = ts.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(ts, newest_first);
    assert!(out["searched"]["channels"].as_u64().unwrap() >= 3, "{out}");

    let only_random = ok(
        &client,
        "slack_get_my_mentions",
        json!({"days_window": 30, "channels": ["#random"]}),
    )
    .await;
    assert!(
        only_random["mentions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["channel"] == "C04RANDOM")
    );
    assert_eq!(only_random["searched"]["channels"], 1);
}

#[tokio::test]
async fn slack_tools_b_summarize_lays_out_participants_threads_and_messages() {
    let world = signed_in_slack_world(EmulatorConfig::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let refs = world.emulator.knobs().seed_refs();
    let out = ok(
        &client,
        "slack_summarize_conversation",
        json!({"channel": "#eng", "days_window": 30}),
    )
    .await;
    assert_eq!(out["channel"]["id"], "C02ENGINEER");
    let messages = out["messages"].as_array().unwrap();
    assert_eq!(out["message_count"], messages.len());
    let ts: Vec<&str> = messages.iter().map(|m| m["ts"].as_str().unwrap()).collect();
    let mut sorted = ts.clone();
    sorted.sort();
    assert_eq!(ts, sorted, "chronological");
    // The release thread with its replies.
    let release = out["threads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["thread_ts"] == refs.release_thread_ts.as_str())
        .expect("the release thread");
    assert!(release["messages"].as_u64().unwrap() >= 5, "{release}");
    let counted: u64 = out["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["messages"].as_u64().unwrap())
        .sum();
    assert_eq!(counted, messages.len() as u64);

    let small = ok(
        &client,
        "slack_summarize_conversation",
        json!({"channel": "C02ENGINEER", "days_window": 30, "limit": 3}),
    )
    .await;
    assert_eq!(small["message_count"], 3);
    assert_eq!(small["truncated"], true);
    // The newest are kept.
    assert_eq!(small["messages"][2]["ts"], *ts.last().unwrap());
}

#[tokio::test]
async fn slack_tools_b_mentions_without_search_read_the_histories_and_find_the_same() {
    let world = signed_in_slack_world(EmulatorConfig::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let knobs = world.emulator.knobs();
    let searched = ok(&client, "slack_get_my_mentions", json!({"days_window": 30})).await;
    assert_eq!(searched["searched"]["via"], "search.messages", "{searched}");
    // A token without search:read (as an imported one may be): the histories instead.
    let scopes: Vec<String> = chatkey::providers::slack::DEFAULT_USER_SCOPES
        .iter()
        .map(|(s, _)| s.to_string())
        .filter(|s| s != "search:read")
        .collect();
    knobs.set_granted_scopes(Some(scopes)).unwrap();
    let world2 = signed_in_slack_world_with(&world).await;
    let client2 = connect(&world2, SessionOptions::default()).await;
    let read = ok(
        &client2,
        "slack_get_my_mentions",
        json!({"days_window": 30}),
    )
    .await;
    assert_eq!(read["searched"]["via"], "history", "{read}");
    let key = |out: &Value| -> Vec<(String, String)> {
        out["mentions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["ts"].as_str().unwrap().to_owned(),
                    m["mention"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    // Search finds every mention the histories hold; it may find more (a reply in the
    // window to a thread started before it, which no history of the window lists).
    let found = key(&searched);
    for m in key(&read) {
        assert!(found.contains(&m), "{m:?} is missing from {searched}");
    }
}
