//! slack_search_messages against the Slack emulator, signed in as Alex through the real OAuth
//! loop: Slack's search for the word modes (one request for everything, one per conversation
//! with `channels`), the history path for `regex`, ranking, and bad input refused before any
//! request.

use chatkey::protocol::SessionOptions;
use chatkey::providers::slack::emulator::EmulatorConfig;
use chatkey::providers::slack::emulator::data::{ENG, RANDOM};
use serde_json::{Value, json};

use crate::support::{Client, SlackWorld, connect, ok, signed_in_slack_world, tool_error};

/// A world where Alex has posted `text` in #eng and `other` in #random.
async fn posted(text: &str, other: &str) -> (SlackWorld, Client) {
    let world = signed_in_slack_world(EmulatorConfig::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    ok(
        &client,
        "slack_send_message",
        json!({"channel": ENG, "text": text}),
    )
    .await;
    ok(
        &client,
        "slack_send_message",
        json!({"channel": RANDOM, "text": other}),
    )
    .await;
    (world, client)
}

fn texts(out: &Value) -> Vec<String> {
    out["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["text"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn slack_search_finds_a_phrase_with_one_search_and_ranks_the_phrase_first() {
    let (world, client) = posted(
        "the zebra migration finished tonight",
        "tonight a migration of the zebra herd",
    )
    .await;
    let knobs = world.emulator.knobs();
    let before = knobs.calls_of("search.messages");
    let out = ok(
        &client,
        "slack_search_messages",
        json!({"query": "zebra migration", "days_window": 1}),
    )
    .await;
    assert_eq!(knobs.calls_of("search.messages") - before, 1, "{out}");
    let found = texts(&out);
    assert_eq!(found.len(), 2, "{out}");
    // hybrid: the whole phrase first.
    assert_eq!(found[0], "the zebra migration finished tonight", "{out}");
    assert_eq!(out["results"][0]["channel"], ENG);
    assert_eq!(out["results"][0]["channel_name"], "#eng");
    assert_eq!(out["results"][0]["sender"]["id"], "U01ALEXRIV");
    assert_eq!(out["searched"]["via"], "search.messages");

    let exact = ok(
        &client,
        "slack_search_messages",
        json!({"query": "zebra migration", "mode": "exact", "days_window": 1}),
    )
    .await;
    assert_eq!(texts(&exact), vec!["the zebra migration finished tonight"]);
}

#[tokio::test]
async fn slack_search_channels_restrict_and_regex_reads_history() {
    let (world, client) = posted("zebra-42 is ready", "zebra-77 is ready").await;
    let only_random = ok(
        &client,
        "slack_search_messages",
        json!({"query": "zebra", "channels": ["#random"], "days_window": 1}),
    )
    .await;
    assert_eq!(
        texts(&only_random),
        vec!["zebra-77 is ready"],
        "{only_random}"
    );
    assert_eq!(only_random["searched"]["channels"], 1);

    let knobs = world.emulator.knobs();
    let before = knobs.calls_of("search.messages");
    let regex = ok(
        &client,
        "slack_search_messages",
        json!({"query": "zebra-4\\d", "mode": "regex", "channels": ["#eng", "#random"], "days_window": 1}),
    )
    .await;
    assert_eq!(texts(&regex), vec!["zebra-42 is ready"], "{regex}");
    assert_eq!(regex["searched"]["via"], "history");
    assert_eq!(
        knobs.calls_of("search.messages"),
        before,
        "regex never uses search"
    );
}

#[tokio::test]
async fn slack_search_refuses_bad_input_before_any_request() {
    let world = signed_in_slack_world(EmulatorConfig::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let knobs = world.emulator.knobs();
    knobs.clear_request_log();
    for (args, needle) in [
        (json!({"query": ""}), "query"),
        (json!({"query": "x", "days_window": 91}), "`days_window`"),
        (json!({"query": "x", "max_results": 0}), "`max_results`"),
        (json!({"query": "x", "channels": []}), "`channels`"),
        (json!({"query": "(", "mode": "regex"}), "not a valid regex"),
    ] {
        let e = tool_error(&client, "slack_search_messages", args.clone()).await;
        assert!(e.contains(needle), "{args}: {e}");
    }
    assert!(knobs.request_log().is_empty(), "{:?}", knobs.request_log());
}

#[tokio::test]
async fn slack_search_reads_only_the_pages_the_answer_needs() {
    let world = signed_in_slack_world(EmulatorConfig::default()).await;
    let knobs = world.emulator.knobs();
    knobs.add_bulk_channels(5, 1000).unwrap();
    let client = connect(&world.app, SessionOptions::default()).await;
    let search = |max: u32| json!({"query": "payments-api", "days_window": 31, "max_results": max});

    let before = knobs.calls_of("search.messages");
    let out = ok(&client, "slack_search_messages", search(20)).await;
    assert_eq!(knobs.calls_of("search.messages") - before, 1, "{out}");
    assert_eq!(out["count"], 20, "{out}");
    assert_eq!(out["searched"]["messages"], 100, "{out}");
    assert_eq!(out["searched"]["truncated"], true, "{out}");
    // What was not read is counted by Slack, so the total is more than was ranked.
    let total = out["total_matches"].as_u64().unwrap();
    assert!(total > 100, "{out}");

    // 100 results: twice as many candidates, two pages; the same total.
    let before = knobs.calls_of("search.messages");
    let more = ok(&client, "slack_search_messages", search(100)).await;
    assert_eq!(knobs.calls_of("search.messages") - before, 2, "{more}");
    assert_eq!(more["count"], 100, "{more}");
    assert_eq!(more["total_matches"].as_u64(), Some(total), "{more}");
    // Every result holds what was searched for.
    let first: Vec<_> = texts(&out);
    assert!(
        first
            .iter()
            .all(|t| t.to_lowercase().contains("payments-api")),
        "{out}"
    );
}
