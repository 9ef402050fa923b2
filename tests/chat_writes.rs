//! Threads, edits, reactions and batch sends end to end: rmcp client ↔ chatkey's MCP server ↔
//! the real HTTP client ↔ the emulator. Write tools are checked on the wire too (the request
//! log shows `requestId`, `REPLY_MESSAGE_OR_FAIL`, `updateMask`), and every failure path is
//! checked to change nothing.

use chatkey::protocol::SessionOptions;
use chatkey::providers::google_chat::emulator::LoggedRequest;
use chatkey::providers::google_chat::emulator::data::{
    ALEX, DM_ALEX_PRIYA, ENGINEERING, PRIYA, RANDOM,
};
use serde_json::json;

use crate::support::{Client, World, connect, ok, signed_in_world, tool_error};

// Batch sends and their pacing.
mod batch;
// Reactions: add, list with summary, remove own.
mod reactions;

async fn world_and_client() -> (World, Client) {
    let world = signed_in_world(Default::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    (world, client)
}

fn space(id: &str) -> String {
    format!("spaces/{id}")
}

fn q<'a>(r: &'a LoggedRequest, key: &str) -> Option<&'a str> {
    r.query
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn writes(world: &World) -> Vec<LoggedRequest> {
    world
        .emulator
        .knobs()
        .request_log()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect()
}

/// A seeded thread of Engineering with at least two messages: (thread, a reply's name).
async fn seeded_thread(client: &Client) -> (String, String) {
    let page = ok(
        client,
        "google_chat_list_messages",
        json!({"space": space(ENGINEERING), "days_window": 42, "limit": 1000}),
    )
    .await;
    let reply = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["thread_reply"] == true)
        .expect("seeded thread replies");
    (
        reply["thread"].as_str().unwrap().to_owned(),
        reply["name"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn get_thread_reads_the_whole_thread_in_order_from_thread_or_message() {
    let (world, client) = world_and_client().await;
    let (thread, reply) = seeded_thread(&client).await;
    let knobs = world.emulator.knobs();
    knobs.clear_request_log();
    let by_thread = ok(&client, "google_chat_get_thread", json!({"thread": thread})).await;
    let messages = by_thread["messages"].as_array().unwrap();
    assert!(messages.len() >= 2, "{by_thread}");
    assert_eq!(by_thread["count"], messages.len());
    assert_eq!(by_thread["space"], space(ENGINEERING));
    assert_eq!(by_thread["has_more"], false);
    let times: Vec<&str> = messages
        .iter()
        .map(|m| m["create_time"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "oldest first");
    assert!(messages.iter().all(|m| m["thread"] == json!(thread)));
    assert!(
        messages
            .iter()
            .all(|m| m["sender"]["display_name"].is_string())
    );
    let log = knobs.request_log();
    let list = log
        .iter()
        .find(|r| r.path.ends_with("/messages"))
        .expect("a list call");
    assert_eq!(
        q(list, "filter"),
        Some(format!("thread.name = {thread}").as_str())
    );
    assert_eq!(q(list, "orderBy"), Some("createTime asc"));
    let people = log
        .iter()
        .filter(|r| r.path.starts_with("/v1/people"))
        .count();
    assert!(
        people <= 1,
        "names batched into one People call, saw {people}"
    );

    // Any message of the thread leads to the same thread.
    let by_message = ok(&client, "google_chat_get_thread", json!({"message": reply})).await;
    assert_eq!(by_message["thread"], json!(thread));
    assert_eq!(by_message["messages"], by_thread["messages"]);

    // A limit smaller than the thread says there is more.
    let first = ok(
        &client,
        "google_chat_get_thread",
        json!({"thread": thread, "limit": 1}),
    )
    .await;
    assert_eq!(first["count"], 1);
    assert_eq!(first["has_more"], true);
    assert_eq!(first["messages"][0], by_thread["messages"][0]);

    // Bad input is refused before any request; a missing thread is not found.
    knobs.clear_request_log();
    for (args, needle) in [
        (json!({}), "exactly one"),
        (json!({"thread": thread, "message": reply}), "exactly one"),
        (json!({"thread": "spaces/../threads/x"}), "`thread`"),
        (json!({"thread": "abc"}), "bare thread id"),
        (json!({"message": "spaces/A/threads/T"}), "`message`"),
        (json!({"thread": thread, "limit": 0}), "`limit`"),
    ] {
        let err = tool_error(&client, "google_chat_get_thread", args.clone()).await;
        assert!(err.contains(needle), "{args}: {err}");
    }
    assert!(knobs.request_log().is_empty(), "bad input made a request");
    let err = tool_error(
        &client,
        "google_chat_get_thread",
        json!({"thread": format!("{}/threads/nosuchthread", space(ENGINEERING))}),
    )
    .await;
    assert!(
        err.contains(&format!(
            "thread {}/threads/nosuchthread was not found",
            space(ENGINEERING)
        )) && err.contains("has no messages"),
        "{err}"
    );
}

#[tokio::test]
async fn reply_to_thread_stays_in_the_thread_or_posts_nothing() {
    let (world, client) = world_and_client().await;
    let (thread, reply) = seeded_thread(&client).await;
    let thread_id = thread.rsplit('/').next().unwrap().to_owned();
    let knobs = world.emulator.knobs();
    knobs.clear_request_log();
    for args in [
        json!({"thread": thread, "text": "by thread name"}),
        json!({"thread": reply, "text": "by message name"}),
        json!({"space": ENGINEERING, "thread": thread_id, "text": "by id and space"}),
    ] {
        let sent = ok(&client, "google_chat_reply_to_thread", args.clone()).await;
        assert_eq!(sent["thread"], json!(thread), "{args}");
        assert_eq!(sent["space"], space(ENGINEERING));
    }
    let posts = writes(&world);
    assert_eq!(posts.len(), 3);
    let mut ids = std::collections::HashSet::new();
    for post in &posts {
        assert_eq!(post.method, "POST");
        assert_eq!(q(post, "messageReplyOption"), Some("REPLY_MESSAGE_OR_FAIL"));
        let id = q(post, "requestId").expect("requestId on every create");
        assert!(
            id.len() >= 16 && ids.insert(id.to_owned()),
            "fresh requestId"
        );
    }
    let after = ok(&client, "google_chat_get_thread", json!({"thread": thread})).await;
    let texts: Vec<&str> = after["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        &texts[texts.len() - 3..],
        ["by thread name", "by message name", "by id and space"]
    );

    // A missing thread fails as not found and posts nothing (never a new thread).
    let before = ok(
        &client,
        "google_chat_list_messages",
        json!({"space": ENGINEERING, "days_window": 1, "limit": 1000}),
    )
    .await["count"]
        .clone();
    knobs.clear_request_log();
    let err = tool_error(
        &client,
        "google_chat_reply_to_thread",
        json!({"space": ENGINEERING, "thread": "gone123", "text": "hello?"}),
    )
    .await;
    assert!(
        err.contains(&format!(
            "thread {}/threads/gone123 was not found",
            space(ENGINEERING)
        )) && err.contains("nothing was changed"),
        "{err}"
    );
    assert!(err.contains("google_chat_send_message"), "{err}");
    let post = &writes(&world)[0];
    assert_eq!(q(post, "messageReplyOption"), Some("REPLY_MESSAGE_OR_FAIL"));
    assert_eq!(post.status, 404);
    let after = ok(
        &client,
        "google_chat_list_messages",
        json!({"space": ENGINEERING, "days_window": 1, "limit": 1000}),
    )
    .await["count"]
        .clone();
    assert_eq!(before, after, "the failed reply posted something");

    // Disagreeing or malformed input is refused before any request.
    knobs.clear_request_log();
    for (args, needle) in [
        (
            json!({"space": RANDOM, "thread": thread, "text": "x"}),
            "agree",
        ),
        (json!({"thread": thread, "text": "  "}), "`text`"),
        (json!({"thread": "gone123", "text": "x"}), "bare thread id"),
        (
            json!({"thread": "spaces/A/oops/B", "text": "x"}),
            "`thread`",
        ),
    ] {
        let err = tool_error(&client, "google_chat_reply_to_thread", args.clone()).await;
        assert!(err.contains(needle), "{args}: {err}");
    }
    assert!(knobs.request_log().is_empty(), "bad input made a request");
}

#[tokio::test]
async fn update_edits_only_own_messages() {
    let (world, client) = world_and_client().await;
    let sent = ok(
        &client,
        "google_chat_send_message",
        json!({"space": ENGINEERING, "text": "deploy at 3pm"}),
    )
    .await;
    let name = sent["name"].as_str().unwrap().to_owned();
    let knobs = world.emulator.knobs();
    knobs.clear_request_log();
    let updated = ok(
        &client,
        "google_chat_update_message",
        json!({"message": name, "text": "deploy at 4pm"}),
    )
    .await;
    assert_eq!(updated["name"], json!(name));
    assert_eq!(updated["text"], "deploy at 4pm");
    assert!(updated["last_update_time"].is_string(), "{updated}");
    let patch = &writes(&world)[0];
    assert_eq!(patch.method, "PATCH");
    assert_eq!(q(patch, "updateMask"), Some("text"));
    let got = ok(&client, "google_chat_get_message", json!({"message": name})).await;
    assert_eq!(got["text"], "deploy at 4pm");

    // Someone else's message: a clear refusal, and the text is unchanged.
    let page = ok(
        &client,
        "google_chat_list_messages",
        json!({"space": ENGINEERING, "days_window": 42, "limit": 200}),
    )
    .await;
    let theirs = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["sender"]["user"] != json!(format!("users/{ALEX}")))
        .expect("a message from someone else")
        .clone();
    let err = tool_error(
        &client,
        "google_chat_update_message",
        json!({"message": theirs["name"], "text": "hijacked"}),
    )
    .await;
    assert!(err.contains("only messages you sent"), "{err}");
    let unchanged = ok(
        &client,
        "google_chat_get_message",
        json!({"message": theirs["name"]}),
    )
    .await;
    assert_eq!(unchanged["text"], theirs["text"]);

    knobs.clear_request_log();
    for (args, needle) in [
        (json!({"message": name, "text": ""}), "`text`"),
        (
            json!({"message": "spaces/A/messages/../B", "text": "x"}),
            "`message`",
        ),
        (json!({"message": name}), "text"),
    ] {
        let err = tool_error(&client, "google_chat_update_message", args.clone()).await;
        assert!(err.contains(needle), "{args}: {err}");
    }
    assert!(knobs.request_log().is_empty(), "bad input made a request");
}

#[tokio::test]
async fn delete_is_destructive_and_a_second_delete_is_not_found() {
    let (world, client) = world_and_client().await;
    let tools = client.list_all_tools().await.unwrap();
    let hints = |name: &str| {
        tools
            .iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("{name} listed"))
            .annotations
            .clone()
            .unwrap()
    };
    assert_eq!(
        hints("google_chat_delete_message").destructive_hint,
        Some(true)
    );
    assert_eq!(
        hints("google_chat_remove_reaction").destructive_hint,
        Some(true)
    );
    assert_eq!(hints("google_chat_get_thread").read_only_hint, Some(true));
    assert_eq!(
        hints("google_chat_batch_send_messages").read_only_hint,
        Some(false)
    );

    let sent = ok(
        &client,
        "google_chat_send_message",
        json!({"space": DM_ALEX_PRIYA, "text": "oops, wrong chat"}),
    )
    .await;
    let name = sent["name"].as_str().unwrap().to_owned();
    world.emulator.knobs().clear_request_log();
    let deleted = ok(
        &client,
        "google_chat_delete_message",
        json!({"message": name}),
    )
    .await;
    assert_eq!(deleted, json!({"name": name, "deleted": true}));
    assert_eq!(writes(&world)[0].method, "DELETE");
    let err = tool_error(&client, "google_chat_get_message", json!({"message": name})).await;
    assert!(err.contains("not found"), "{err}");
    let err = tool_error(
        &client,
        "google_chat_delete_message",
        json!({"message": name}),
    )
    .await;
    assert!(
        err.contains(&format!("message {name} was not found"))
            && err.contains("nothing was changed"),
        "{err}"
    );

    // Priya's message in the DM is hers to delete, not Alex's.
    let page = ok(
        &client,
        "google_chat_list_messages",
        json!({"space": DM_ALEX_PRIYA, "days_window": 42, "limit": 200}),
    )
    .await;
    let hers = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["sender"]["user"] == json!(format!("users/{PRIYA}")))
        .expect("a message from Priya")["name"]
        .clone();
    let err = tool_error(
        &client,
        "google_chat_delete_message",
        json!({"message": hers}),
    )
    .await;
    assert!(err.contains("only messages you sent"), "{err}");
    ok(&client, "google_chat_get_message", json!({"message": hers})).await;
}
