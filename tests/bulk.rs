//! The emulator's bulk data (`Knobs::add_bulk_spaces`) read through chatkey's tools: the new
//! spaces are listed, their messages come from the requested pool of senders whose names
//! People resolves, and naming them costs one batched People request, then none.

use chatkey::protocol::SessionOptions;
use serde_json::json;

use crate::support::{connect, ok, signed_in_world};

fn people_requests(world: &crate::support::World) -> usize {
    world
        .emulator
        .knobs()
        .request_log()
        .iter()
        .filter(|r| r.path.starts_with("/v1/people"))
        .count()
}

#[tokio::test]
async fn bulk_spaces_are_listed_and_their_senders_named_with_one_people_call() {
    let world = signed_in_world(Default::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let before = ok(&client, "google_chat_list_spaces", json!({})).await["spaces"]
        .as_array()
        .unwrap()
        .len();
    let added = world.emulator.knobs().add_bulk_spaces(3, 120, 6).unwrap();
    assert_eq!(added.len(), 3);

    let spaces = ok(&client, "google_chat_list_spaces", json!({})).await;
    let spaces = spaces["spaces"].as_array().unwrap();
    assert_eq!(spaces.len(), before + 3);
    for name in &added {
        let space = spaces
            .iter()
            .find(|s| s["name"] == json!(name))
            .expect("a bulk space is listed");
        assert!(
            space["display_name"]
                .as_str()
                .is_some_and(|n| !n.is_empty())
        );
        assert_eq!(
            space["member_count"], 7,
            "the signed-in user plus 6 senders"
        );
    }

    world.emulator.knobs().clear_request_log();
    let page = ok(
        &client,
        "google_chat_list_messages",
        json!({"space": added[0], "days_window": 31, "limit": 500}),
    )
    .await;
    let messages = page["messages"].as_array().unwrap();
    assert_eq!(
        messages.len(),
        120,
        "all bulk messages lie in the last 30 days"
    );
    assert!(page.get("next_page_token").is_none());
    let mut senders: Vec<&str> = messages
        .iter()
        .map(|m| {
            assert!(
                m["sender"]["display_name"].is_string(),
                "sender without a name: {m}"
            );
            m["sender"]["user"].as_str().unwrap()
        })
        .collect();
    senders.sort();
    senders.dedup();
    assert_eq!(senders.len(), 6, "messages come from exactly the pool");
    assert!(messages.iter().any(|m| m["thread_reply"] == true));
    assert_eq!(
        people_requests(&world),
        1,
        "one batched People call per page"
    );

    world.emulator.knobs().clear_request_log();
    let again = ok(
        &client,
        "google_chat_list_messages",
        json!({"space": added[0], "days_window": 31, "limit": 500}),
    )
    .await;
    assert_eq!(again["messages"], page["messages"]);
    assert_eq!(
        people_requests(&world),
        0,
        "a second read finds every name cached"
    );
}

#[tokio::test]
async fn bulk_knob_refuses_bad_sizes_and_adds_nothing() {
    let world = signed_in_world(Default::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let before = ok(&client, "google_chat_list_spaces", json!({})).await["spaces"]
        .as_array()
        .unwrap()
        .len();
    let knobs = world.emulator.knobs();
    for (spaces, messages, senders) in [(0, 10, 5), (2, 10, 0), (2, 10, 10_000), (2, 1_000_000, 5)]
    {
        let err = knobs
            .add_bulk_spaces(spaces, messages, senders)
            .unwrap_err();
        assert!(err.contains("must be"), "{err}");
    }
    let after = ok(&client, "google_chat_list_spaces", json!({})).await["spaces"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(after, before);
}
