//! `slack_send_message`, `slack_reply_to_thread`, `slack_update_message`,
//! `slack_delete_message`, `slack_batch_send_messages`.

use chatkey::protocol::SessionOptions;
use chatkey::providers::slack::emulator::EmulatorConfig;
use chatkey::providers::slack::emulator::data::{ALEX, ENG, RANDOM};
use serde_json::json;

use crate::support::{connect, ok, signed_in_slack_world, tool_error};

#[tokio::test]
async fn send_edit_and_delete_a_message() {
    let world = signed_in_slack_world(EmulatorConfig::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let sent = ok(
        &client,
        "slack_send_message",
        json!({"channel": "#random", "text": "hello *team*"}),
    )
    .await;
    assert_eq!(sent["channel"], RANDOM);
    assert_eq!(sent["sender"]["id"], ALEX);
    let ts = sent["ts"].as_str().unwrap().to_owned();
    let got = ok(
        &client,
        "slack_get_message",
        json!({"channel": RANDOM, "ts": ts}),
    )
    .await;
    assert_eq!(got["text"], "hello *team*");

    let edited = ok(
        &client,
        "slack_update_message",
        json!({"channel": RANDOM, "ts": ts, "text": "hello again"}),
    )
    .await;
    assert_eq!(edited["edited"], true);
    let got = ok(
        &client,
        "slack_get_message",
        json!({"channel": RANDOM, "ts": ts}),
    )
    .await;
    assert_eq!(got["text"], "hello again");
    assert_eq!(got["edited"], true);

    let deleted = ok(
        &client,
        "slack_delete_message",
        json!({"channel": RANDOM, "ts": ts}),
    )
    .await;
    assert_eq!(deleted["deleted"], true);
    let e = tool_error(
        &client,
        "slack_get_message",
        json!({"channel": RANDOM, "ts": ts}),
    )
    .await;
    assert!(e.contains(&ts), "{e}");

    // Someone else's message cannot be edited.
    let refs = world.emulator.knobs().seed_refs();
    let e = tool_error(
        &client,
        "slack_update_message",
        json!({"channel": ENG, "ts": refs.release_thread_ts, "text": "x"}),
    )
    .await;
    assert!(e.contains("your own"), "{e}");
}

#[tokio::test]
async fn replies_go_only_to_threads_that_exist() {
    let world = signed_in_slack_world(EmulatorConfig::default()).await;
    let knobs = world.emulator.knobs();
    let refs = knobs.seed_refs();
    let client = connect(&world.app, SessionOptions::default()).await;
    let reply = ok(
        &client,
        "slack_reply_to_thread",
        json!({"channel": ENG, "thread_ts": refs.release_thread_ts, "text": "go from me", "broadcast": true}),
    )
    .await;
    assert_eq!(reply["thread_ts"], refs.release_thread_ts.as_str());
    assert_eq!(reply["broadcast"], true, "{reply:#}");
    let thread = ok(
        &client,
        "slack_get_thread",
        json!({"channel": ENG, "thread_ts": refs.release_thread_ts}),
    )
    .await;
    assert!(
        thread["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["ts"] == reply["ts"])
    );

    let in_thread = ok(
        &client,
        "slack_send_message",
        json!({"channel": ENG, "thread_ts": refs.release_thread_ts, "text": "and again"}),
    )
    .await;
    assert_eq!(in_thread["is_reply"], true);

    let posts = knobs.calls_of("chat.postMessage");
    let e = tool_error(
        &client,
        "slack_reply_to_thread",
        json!({"channel": ENG, "thread_ts": "1000000000.000001", "text": "lost"}),
    )
    .await;
    assert!(e.contains("nothing was sent"), "{e}");
    let e = tool_error(
        &client,
        "slack_send_message",
        json!({"channel": ENG, "thread_ts": "1000000000.000001", "text": "lost"}),
    )
    .await;
    assert!(e.contains("`thread_ts`"), "{e}");
    let e = tool_error(
        &client,
        "slack_reply_to_thread",
        json!({"channel": ENG, "thread_ts": reply["ts"], "text": "reply to a reply"}),
    )
    .await;
    assert!(e.contains(refs.release_thread_ts.as_str()), "{e}");
    for (tool, args, param) in [
        (
            "slack_send_message",
            json!({"channel": ENG, "text": "  "}),
            "`text`",
        ),
        (
            "slack_send_message",
            json!({"channel": ENG, "text": "x".repeat(40_001)}),
            "`text`",
        ),
        (
            "slack_reply_to_thread",
            json!({"channel": ENG, "thread_ts": "12", "text": "x"}),
            "`thread_ts`",
        ),
        (
            "slack_update_message",
            json!({"channel": ENG, "ts": "", "text": "x"}),
            "`ts`",
        ),
        (
            "slack_delete_message",
            json!({"channel": "", "ts": refs.release_thread_ts}),
            "`channel`",
        ),
    ] {
        let e = tool_error(&client, tool, args).await;
        assert!(e.contains(param), "{tool}: {e}");
    }
    assert_eq!(knobs.calls_of("chat.postMessage"), posts, "nothing posted");
}

#[tokio::test]
async fn batches_are_checked_whole_then_sent_with_per_item_results() {
    let world = signed_in_slack_world(EmulatorConfig::default()).await;
    let knobs = world.emulator.knobs();
    let refs = knobs.seed_refs();
    let client = connect(&world.app, SessionOptions::default()).await;
    let e = tool_error(
        &client,
        "slack_batch_send_messages",
        json!({"messages": [{"channel": ENG, "text": "one"}, {"channel": ENG, "text": ""}]}),
    )
    .await;
    assert!(
        e.contains("messages[1]") && e.contains("nothing was sent"),
        "{e}"
    );
    let e = tool_error(
        &client,
        "slack_batch_send_messages",
        json!({"messages": []}),
    )
    .await;
    assert!(e.contains("`messages`"), "{e}");
    assert_eq!(knobs.calls_of("chat.postMessage"), 0);

    let done = ok(
        &client,
        "slack_batch_send_messages",
        json!({"messages": [
            {"channel": "#random", "text": "first"},
            {"channel": ENG, "text": "lost reply", "thread_ts": "1000000000.000001"},
            {"channel": ENG, "text": "in the thread", "thread_ts": refs.release_thread_ts},
        ]}),
    )
    .await;
    assert_eq!(done["sent"], 2, "{done:#}");
    assert_eq!(done["failed"], 1);
    let results = done["results"].as_array().unwrap();
    assert_eq!(results[0]["ok"], true);
    assert_eq!(results[0]["channel"], RANDOM);
    assert_eq!(results[1]["ok"], false);
    assert!(results[1]["error"].as_str().unwrap().contains("thread_ts"));
    assert_eq!(results[2]["ok"], true);
    assert_eq!(knobs.calls_of("chat.postMessage"), 2);
}
