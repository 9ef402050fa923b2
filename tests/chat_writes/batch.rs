//! Batch sends end to end: per-item results, the per-space write pace measured on the
//! emulator's request log, order within a space, and validation before anything is sent.

use chatkey::providers::google_chat::emulator::LoggedRequest;
use chatkey::providers::google_chat::emulator::data::{DM_ALEX_PRIYA, ENGINEERING, RANDOM};
use serde_json::{Value, json};

use super::{q, seeded_thread, space, world_and_client, writes};
use crate::support::{ok, tool_error};

fn millis_between(a: &LoggedRequest, b: &LoggedRequest) -> i64 {
    let t = |r: &LoggedRequest| r.time.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    (t(b) - t(a)).num_milliseconds()
}

#[tokio::test]
async fn batch_send_reports_each_item_and_keeps_the_space_pace() {
    let (world, client) = world_and_client().await;
    let (thread, _) = seeded_thread(&client).await;
    let knobs = world.emulator.knobs();
    knobs.clear_request_log();
    let result = ok(
        &client,
        "google_chat_batch_send_messages",
        json!({"messages": [
            {"space": ENGINEERING, "text": "batch 1"},
            {"space": RANDOM, "text": "batch to random"},
            {"space": ENGINEERING, "text": "batch 2", "thread": thread},
            {"space": "spaces/doesnotexist", "text": "lost"},
            {"space": ENGINEERING, "text": "batch 3"},
            {"space": RANDOM, "text": "no thread", "thread": "gone123"},
            {"space": DM_ALEX_PRIYA, "text": "batch to priya"},
        ]}),
    )
    .await;
    assert_eq!(result["sent"], 5, "{result}");
    assert_eq!(result["failed"], 2);
    let results = result["results"].as_array().unwrap();
    let oks: Vec<bool> = results.iter().map(|r| r["ok"] == true).collect();
    assert_eq!(oks, [true, true, true, false, true, false, true]);
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r["index"], i);
    }
    assert_eq!(results[2]["thread"], json!(thread));
    assert_eq!(results[3]["error"]["kind"], "not_found");
    assert_eq!(results[5]["error"]["kind"], "not_found");
    assert!(
        results[5]["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with(&format!(
                "thread {}/threads/gone123 was not found",
                space(RANDOM)
            )),
        "{}",
        results[5]["error"]
    );
    assert!(
        results[5]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("leaving out `thread`")
    );

    let posts = writes(&world);
    assert_eq!(posts.len(), 7, "one POST per item, none retried");
    let mut ids = std::collections::HashSet::new();
    for post in &posts {
        assert!(ids.insert(q(post, "requestId").expect("requestId").to_owned()));
        let threaded = post.query.iter().any(|(k, _)| k == "messageReplyOption");
        let expect = q(post, "messageReplyOption") == Some("REPLY_MESSAGE_OR_FAIL");
        assert_eq!(threaded, expect);
    }
    assert_eq!(
        posts
            .iter()
            .filter(|p| q(p, "messageReplyOption") == Some("REPLY_MESSAGE_OR_FAIL"))
            .count(),
        2
    );
    // One write per second per space; different spaces do not wait for each other.
    let eng: Vec<&LoggedRequest> = posts
        .iter()
        .filter(|p| p.path.contains(ENGINEERING))
        .collect();
    assert_eq!(eng.len(), 3);
    for pair in eng.windows(2) {
        let gap = millis_between(pair[0], pair[1]);
        assert!(gap >= 950, "Engineering writes {gap} ms apart");
    }
    let dm = posts
        .iter()
        .find(|p| p.path.contains(DM_ALEX_PRIYA))
        .unwrap();
    let gap = millis_between(eng[0], dm).abs();
    assert!(
        gap < 900,
        "other spaces go in parallel, not behind Engineering: {gap} ms"
    );

    // Messages to one space arrive in the order given.
    let recent = ok(
        &client,
        "google_chat_list_messages",
        json!({"space": ENGINEERING, "days_window": 1, "order": "oldest_first", "limit": 1000}),
    )
    .await;
    let texts: Vec<&str> = recent["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["text"].as_str().filter(|t| t.starts_with("batch ")))
        .collect();
    assert_eq!(texts, ["batch 1", "batch 2", "batch 3"]);
}

#[tokio::test]
async fn batch_send_checks_every_item_before_sending_any() {
    let (world, client) = world_and_client().await;
    let knobs = world.emulator.knobs();
    knobs.clear_request_log();
    let too_many: Vec<Value> = (0..51)
        .map(|i| json!({"space": RANDOM, "text": format!("m{i}")}))
        .collect();
    for (messages, needle) in [
        (json!([]), "1 to 50"),
        (Value::Array(too_many), "1 to 50"),
        (
            json!([{"space": RANDOM, "text": "fine"}, {"space": RANDOM, "text": " "}]),
            "`messages[1]`",
        ),
        (
            json!([{"space": RANDOM, "text": "fine"}, {"space": "a/b", "text": "x"}]),
            "`messages[1]`",
        ),
        (
            json!([{"space": RANDOM, "text": "x", "thread": format!("{}/threads/T", space(ENGINEERING))}]),
            "another space",
        ),
        (
            json!([{"space": RANDOM, "text": "x", "colour": "red"}]),
            "colour",
        ),
    ] {
        let err = tool_error(
            &client,
            "google_chat_batch_send_messages",
            json!({"messages": messages}),
        )
        .await;
        assert!(err.contains(needle), "{err}");
    }
    assert!(knobs.request_log().is_empty(), "bad input made a request");
}
