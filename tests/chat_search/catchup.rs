//! Catching up against the emulator: unread counts from the read state (own messages never
//! count), mark_read (all, or up to a time), and the conversation window for summaries.

use chatkey::protocol::SessionOptions;
use chatkey::providers::google_chat::emulator::data;
use serde_json::{Value, json};

use super::{ME, priya_posts};
use crate::support::{connect, ok, signed_in_world, tool_error};

fn unread_of<'a>(r: &'a Value, space: &str) -> Option<&'a Value> {
    r["unread"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["space"] == format!("spaces/{space}"))
}

#[tokio::test]
async fn unread_before_and_after_mark_read() {
    let world = signed_in_world(Default::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let r = ok(
        &client,
        "google_chat_get_unread",
        json!({"limit_per_space": 2}),
    )
    .await;
    let eng = unread_of(&r, data::ENGINEERING).expect("Engineering has unread messages");
    let count = eng["unread_count"].as_u64().unwrap();
    assert!((1..=5).contains(&count), "{eng}");
    assert_eq!(eng["space_name"], "Engineering");
    let shown = eng["messages"].as_array().unwrap();
    assert_eq!(shown.len() as u64, count.min(2));
    assert!(
        shown
            .iter()
            .all(|m| m["sender"]["display_name"].is_string() && m["sender"]["user"] != ME)
    );
    if shown.len() == 2 {
        assert!(
            shown[0]["create_time"].as_str() < shown[1]["create_time"].as_str(),
            "chronological"
        );
    }
    assert!(unread_of(&r, data::RANDOM).is_some());
    assert!(
        r["up_to_date"]
            .as_array()
            .unwrap()
            .contains(&json!("Incidents")),
        "{r}"
    );
    assert_eq!(
        r["total_unread"].as_u64().unwrap(),
        r["unread"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["unread_count"].as_u64().unwrap())
            .sum::<u64>()
    );

    let marked = ok(
        &client,
        "google_chat_mark_read",
        json!({"space": data::ENGINEERING}),
    )
    .await;
    assert!(marked["last_read_time"].is_string(), "{marked}");
    let after = ok(
        &client,
        "google_chat_get_unread",
        json!({"spaces": [data::ENGINEERING, data::RANDOM]}),
    )
    .await;
    assert!(unread_of(&after, data::ENGINEERING).is_none(), "{after}");
    assert_eq!(after["up_to_date"], json!(["Engineering"]));
    assert!(
        unread_of(&after, data::RANDOM).is_some(),
        "other spaces stay unread"
    );

    // A new message from someone else is unread again; marking up to a past time keeps it so.
    let posted = priya_posts(&world, data::DM_ALEX_PRIYA, "lunch at noon?").await;
    let r = ok(
        &client,
        "google_chat_get_unread",
        json!({"spaces": [data::DM_ALEX_PRIYA]}),
    )
    .await;
    let dm = unread_of(&r, data::DM_ALEX_PRIYA).expect("the new DM is unread");
    let last = dm["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["name"], posted["name"]);
    assert_eq!(last["sender"]["display_name"], "Priya Natarajan");
    ok(
        &client,
        "google_chat_mark_read",
        json!({"space": data::DM_ALEX_PRIYA, "until": "2020-01-01"}),
    )
    .await;
    let r = ok(
        &client,
        "google_chat_get_unread",
        json!({"spaces": [data::DM_ALEX_PRIYA]}),
    )
    .await;
    assert!(
        unread_of(&r, data::DM_ALEX_PRIYA).unwrap()["unread_count"]
            .as_u64()
            .unwrap()
            > dm["unread_count"].as_u64().unwrap()
    );
    ok(
        &client,
        "google_chat_mark_read",
        json!({"space": format!("spaces/{}", data::DM_ALEX_PRIYA)}),
    )
    .await;
    let r = ok(
        &client,
        "google_chat_get_unread",
        json!({"spaces": [data::DM_ALEX_PRIYA]}),
    )
    .await;
    assert!(unread_of(&r, data::DM_ALEX_PRIYA).is_none(), "{r}");
}

#[tokio::test]
async fn summarize_lays_out_the_window_in_order() {
    let world = signed_in_world(Default::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let r = ok(
        &client,
        "google_chat_summarize_conversation",
        json!({"space": data::ENGINEERING, "days_window": 14}),
    )
    .await;
    assert_eq!(r["space"]["display_name"], "Engineering");
    assert_eq!(r["truncated"], false);
    let messages = r["messages"].as_array().unwrap();
    assert!(messages.len() > 5);
    assert_eq!(
        r["message_count"].as_u64().unwrap() as usize,
        messages.len()
    );
    let times: Vec<&str> = messages
        .iter()
        .map(|m| m["create_time"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "chronological");
    let participants = r["participants"].as_array().unwrap();
    assert!(participants.iter().all(|p| p["display_name"].is_string()));
    assert_eq!(
        participants
            .iter()
            .map(|p| p["messages"].as_u64().unwrap())
            .sum::<u64>() as usize,
        messages.len()
    );
    let threads = r["threads"].as_array().unwrap();
    assert!(
        !threads.is_empty(),
        "Engineering is threaded and has replies"
    );
    assert!(threads.iter().all(|t| t["messages"].as_u64().unwrap() > 1));

    let cut = ok(
        &client,
        "google_chat_summarize_conversation",
        json!({"space": data::ENGINEERING, "days_window": 14, "limit": 3}),
    )
    .await;
    assert_eq!(cut["truncated"], true);
    let newest: Vec<&Value> = messages.iter().rev().take(3).rev().collect();
    let kept: Vec<&Value> = cut["messages"].as_array().unwrap().iter().collect();
    assert_eq!(
        kept.iter().map(|m| &m["name"]).collect::<Vec<_>>(),
        newest.iter().map(|m| &m["name"]).collect::<Vec<_>>()
    );
    let e = tool_error(
        &client,
        "google_chat_summarize_conversation",
        json!({"space": data::ENGINEERING, "days_window": 3, "since": "2026-01-01"}),
    )
    .await;
    assert!(e.contains("not both"), "{e}");
}
