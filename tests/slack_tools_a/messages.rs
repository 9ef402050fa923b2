//! `slack_list_messages`, `slack_get_message`, `slack_get_thread`.

use chatkey::protocol::SessionOptions;
use chatkey::providers::slack::emulator::EmulatorConfig;
use chatkey::providers::slack::emulator::data::{ENG, PRIYA};
use serde_json::{Value, json};

use crate::support::{connect, ok, signed_in_slack_world, tool_error};

fn messages(answer: &Value) -> &Vec<Value> {
    answer["messages"].as_array().unwrap()
}

#[tokio::test]
async fn list_messages_is_newest_first_named_and_pages_by_cursor() {
    let world = signed_in_slack_world(EmulatorConfig::default()).await;
    let knobs = world.emulator.knobs();
    knobs.set_short_pages(true);
    let client = connect(&world.app, SessionOptions::default()).await;
    let first = ok(
        &client,
        "slack_list_messages",
        json!({"channel": "#eng", "days_window": 14, "limit": 7}),
    )
    .await;
    assert_eq!(first["channel"], ENG);
    assert_eq!(
        first["count"], 7,
        "short pages are followed up to the limit"
    );
    let page = messages(&first);
    let ts: Vec<f64> = page
        .iter()
        .map(|m| m["ts"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(ts.windows(2).all(|w| w[0] > w[1]), "newest first: {ts:?}");
    assert!(page.iter().all(|m| m["channel"] == ENG));
    assert!(
        page.iter()
            .all(|m| !m["sender"]["name"].as_str().unwrap().starts_with('U')),
        "{page:#?}"
    );
    let cursor = first["next_cursor"].as_str().expect("more to come");
    let second = ok(
        &client,
        "slack_list_messages",
        json!({"channel": ENG, "limit": 7, "cursor": cursor}),
    )
    .await;
    let older: f64 = messages(&second)[0]["ts"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        older < *ts.last().unwrap(),
        "the next page continues where the first stopped"
    );
    assert_eq!(second["window"], first["window"]);

    // Thread replies stay in their thread; the release thread's parent is listed.
    let refs = knobs.seed_refs();
    let all = ok(
        &client,
        "slack_list_messages",
        json!({"channel": ENG, "days_window": 14, "limit": 1000}),
    )
    .await;
    let all = messages(&all);
    assert!(
        all.iter()
            .any(|m| m["ts"] == refs.release_thread_ts.as_str())
    );
    assert!(
        all.iter()
            .all(|m| m["is_reply"].is_null() || m["broadcast"] == true),
        "{all:#?}"
    );
}

#[tokio::test]
async fn list_messages_windows_are_checked_before_any_request() {
    let world = signed_in_slack_world(EmulatorConfig::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let before = world.emulator.knobs().request_log().len();
    for (args, param) in [
        (json!({"channel": ENG, "days_window": 0}), "`days_window`"),
        (json!({"channel": ENG, "since": "last week"}), "`since`"),
        (
            json!({"channel": ENG, "until": "0001-01-01T00:00:00Z"}),
            "`until`",
        ),
        (
            json!({"channel": ENG, "days_window": 3, "since": "2026-01-01"}),
            "`days_window`",
        ),
        (json!({"channel": ENG, "limit": 1001}), "`limit`"),
        (json!({"channel": ENG, "cursor": "garbage"}), "`cursor`"),
        (json!({"channel": ""}), "`channel`"),
    ] {
        let e = tool_error(&client, "slack_list_messages", args.clone()).await;
        assert!(e.contains(param), "{args}: {e}");
    }
    assert_eq!(world.emulator.knobs().request_log().len(), before);
    // A window in the far past is simply empty.
    let old = ok(
        &client,
        "slack_list_messages",
        json!({"channel": ENG, "since": "2001-01-01", "until": "2001-01-02"}),
    )
    .await;
    assert_eq!(old["count"], 0);
}

#[tokio::test]
async fn get_message_finds_top_level_messages_and_replies() {
    let world = signed_in_slack_world(EmulatorConfig::default()).await;
    let refs = world.emulator.knobs().seed_refs();
    let client = connect(&world.app, SessionOptions::default()).await;
    let parent = ok(
        &client,
        "slack_get_message",
        json!({"channel": "eng", "ts": refs.release_thread_ts}),
    )
    .await;
    assert_eq!(parent["ts"], refs.release_thread_ts.as_str());
    assert_eq!(parent["sender"]["id"], PRIYA);
    assert!(
        parent["text"].as_str().unwrap().contains("2.14"),
        "{parent:#}"
    );
    assert!(parent["reply_count"].as_u64().unwrap() >= 4);

    let thread = ok(
        &client,
        "slack_get_thread",
        json!({"channel": ENG, "thread_ts": refs.release_thread_ts}),
    )
    .await;
    let replies = messages(&thread);
    assert_eq!(
        replies[0]["ts"],
        refs.release_thread_ts.as_str(),
        "parent first"
    );
    assert!(replies.len() >= 5, "{thread:#}");
    let reply_ts = replies[2]["ts"].as_str().unwrap();
    let reply = ok(
        &client,
        "slack_get_message",
        json!({"channel": ENG, "ts": reply_ts}),
    )
    .await;
    assert_eq!(reply["ts"], reply_ts);
    assert_eq!(reply["is_reply"], true);
    assert_eq!(reply["thread_ts"], refs.release_thread_ts.as_str());

    let file = ok(
        &client,
        "slack_get_message",
        json!({"channel": ENG, "ts": refs.file_message_ts}),
    )
    .await;
    assert_eq!(file["files"][0]["id"], refs.file_id.as_str());

    let e = tool_error(
        &client,
        "slack_get_message",
        json!({"channel": ENG, "ts": "1000000000.000001"}),
    )
    .await;
    assert!(
        e.contains("1000000000.000001") && e.contains("slack_list_messages"),
        "{e}"
    );
    let e = tool_error(
        &client,
        "slack_get_message",
        json!({"channel": ENG, "ts": "yesterday"}),
    )
    .await;
    assert!(e.contains("`ts`"), "{e}");
    let e = tool_error(
        &client,
        "slack_get_thread",
        json!({"channel": ENG, "thread_ts": "1000000000.000001"}),
    )
    .await;
    assert!(e.contains("`thread_ts`"), "{e}");
}

#[tokio::test]
async fn get_thread_pages_with_the_parent_first() {
    let world = signed_in_slack_world(EmulatorConfig::default()).await;
    let refs = world.emulator.knobs().seed_refs();
    let client = connect(&world.app, SessionOptions::default()).await;
    let first = ok(
        &client,
        "slack_get_thread",
        json!({"channel": ENG, "thread_ts": refs.release_thread_ts, "limit": 2}),
    )
    .await;
    assert_eq!(first["count"], 2);
    assert_eq!(messages(&first)[0]["ts"], refs.release_thread_ts.as_str());
    let cursor = first["next_cursor"].as_str().expect("more replies");
    let rest = ok(
        &client,
        "slack_get_thread",
        json!({"channel": ENG, "thread_ts": refs.release_thread_ts, "cursor": cursor}),
    )
    .await;
    let seen: Vec<&str> = messages(&first)
        .iter()
        .chain(messages(&rest))
        .map(|m| m["ts"].as_str().unwrap())
        .collect();
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(seen, unique, "no message twice");
    assert!(seen.len() >= 5);
}
