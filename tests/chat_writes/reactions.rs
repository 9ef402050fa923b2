//! Reactions end to end: add (and add again), list with names and a per-emoji summary,
//! remove only one's own, with another person's reactions made through the emulator directly.

use chatkey::providers::google_chat::emulator::data::{ALEX, ENGINEERING, PRIYA};
use serde_json::json;

use super::{q, space, world_and_client};
use crate::support::{World, ok, tool_error};

/// Priya reacts through the emulator directly, with her own token.
async fn priya_reacts(world: &World, message: &str, emoji: &str) {
    let tokens = world
        .emulator
        .knobs()
        .mint_tokens(PRIYA, &["https://www.googleapis.com/auth/chat.messages"])
        .unwrap();
    let url = world
        .emulator
        .base_url()
        .join(&format!("v1/{message}/reactions"))
        .unwrap();
    let status = reqwest::Client::new()
        .post(url)
        .bearer_auth(&tokens.access_token)
        .json(&json!({"emoji": {"unicode": emoji}}))
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "{status}");
}

#[tokio::test]
async fn reactions_add_list_summarize_and_remove_own() {
    let (world, client) = world_and_client().await;
    let sent = ok(
        &client,
        "google_chat_send_message",
        json!({"space": ENGINEERING, "text": "v2 is live"}),
    )
    .await;
    let message = sent["name"].as_str().unwrap().to_owned();
    priya_reacts(&world, &message, "🎉").await;
    priya_reacts(&world, &message, "🚀").await;

    let added = ok(
        &client,
        "google_chat_add_reaction",
        json!({"message": message, "emoji": "🚀"}),
    )
    .await;
    assert!(added["reaction"].as_str().unwrap().starts_with(&message));
    assert!(added.get("already_present").is_none(), "{added}");
    let again = ok(
        &client,
        "google_chat_add_reaction",
        json!({"message": message, "emoji": "🚀"}),
    )
    .await;
    assert_eq!(again["already_present"], true);
    assert_eq!(again["reaction"], added["reaction"]);

    let knobs = world.emulator.knobs();
    knobs.clear_request_log();
    let listed = ok(
        &client,
        "google_chat_list_reactions",
        json!({"message": message}),
    )
    .await;
    assert_eq!(listed["count"], 3, "{listed}");
    assert_eq!(
        listed["summary"][0],
        json!({"emoji": "🚀", "count": 2, "people": ["Priya Natarajan", "Alex Rivera"]})
    );
    assert_eq!(
        listed["summary"][1],
        json!({"emoji": "🎉", "count": 1, "people": ["Priya Natarajan"]})
    );
    let people = knobs
        .request_log()
        .iter()
        .filter(|r| r.path.starts_with("/v1/people"))
        .count();
    assert!(people <= 1, "names batched, saw {people} People calls");

    // Only Alex's own 🚀 goes; Priya's stays, and her 🎉 cannot be removed by Alex.
    knobs.clear_request_log();
    let removed = ok(
        &client,
        "google_chat_remove_reaction",
        json!({"message": message, "emoji": "🚀"}),
    )
    .await;
    assert_eq!(removed["removed"], true);
    assert_eq!(removed["reaction"], added["reaction"]);
    let log = knobs.request_log();
    let lookup = log.iter().find(|r| r.method == "GET").unwrap();
    assert_eq!(
        q(lookup, "filter"),
        Some(format!(r#"emoji.unicode = "🚀" AND user.name = "users/{ALEX}""#).as_str())
    );
    let listed = ok(
        &client,
        "google_chat_list_reactions",
        json!({"message": message}),
    )
    .await;
    assert_eq!(listed["count"], 2);
    assert!(
        listed["reactions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["user"]["user"] == json!(format!("users/{PRIYA}")))
    );
    for emoji in ["🚀", "🎉"] {
        let err = tool_error(
            &client,
            "google_chat_remove_reaction",
            json!({"message": message, "emoji": emoji}),
        )
        .await;
        assert!(err.contains("you have not reacted"), "{emoji}: {err}");
    }

    knobs.clear_request_log();
    for (tool, args, needle) in [
        (
            "google_chat_add_reaction",
            json!({"message": message, "emoji": ":rocket:"}),
            "`emoji`",
        ),
        (
            "google_chat_add_reaction",
            json!({"message": message, "emoji": "+1"}),
            "`emoji`",
        ),
        (
            "google_chat_remove_reaction",
            json!({"message": "spaces/A", "emoji": "👍"}),
            "`message`",
        ),
        (
            "google_chat_list_reactions",
            json!({"message": message, "limit": 5000}),
            "`limit`",
        ),
    ] {
        let err = tool_error(&client, tool, args.clone()).await;
        assert!(err.contains(needle), "{tool} {args}: {err}");
    }
    assert!(knobs.request_log().is_empty(), "bad input made a request");
    let err = tool_error(
        &client,
        "google_chat_add_reaction",
        json!({"message": format!("{}/messages/nope", space(ENGINEERING)), "emoji": "👍"}),
    )
    .await;
    assert!(err.contains("does not exist"), "{err}");
}
