//! Cursor paging: short pages that still continue, cursors bound to their query, and history
//! pages that stay put while new messages arrive.

use std::collections::BTreeSet;

use chatkey::providers::slack::emulator::data;

use super::support::*;

#[tokio::test]
async fn slack_pages_may_be_short_while_more_follow() {
    let h = start().await;
    let api = Api::new(&h).await;
    let (all, sizes) = api
        .list_all(
            "conversations.history",
            &[("channel", data::ENG), ("limit", "9")],
            "messages",
        )
        .await;
    assert!(sizes.len() > 3, "{sizes:?}");
    assert!(
        sizes[..sizes.len() - 1].iter().any(|s| *s < 9),
        "a short page before the end: {sizes:?}"
    );
    let ts: Vec<&str> = all.iter().map(|m| m["ts"].as_str().unwrap()).collect();
    let unique: BTreeSet<&str> = ts.iter().copied().collect();
    assert_eq!(unique.len(), ts.len(), "every message once");
    let one_page = api
        .get(
            "conversations.history",
            &[("channel", data::ENG), ("limit", "999")],
        )
        .await;
    assert_eq!(one_page["messages"].as_array().unwrap().len(), all.len());
    assert_eq!(one_page["has_more"], false);
    assert_eq!(one_page["response_metadata"]["next_cursor"], "");

    // conversations.list filters after reading `limit` conversations: pages can even be empty.
    let (dms, sizes) = api
        .list_all(
            "conversations.list",
            &[("types", "im"), ("limit", "3")],
            "channels",
        )
        .await;
    assert_eq!(dms.len(), 2);
    assert!(sizes.contains(&0), "{sizes:?}");

    h.knobs().set_short_pages(false);
    let (_, sizes) = api
        .list_all(
            "conversations.members",
            &[("channel", data::GENERAL), ("limit", "3")],
            "members",
        )
        .await;
    assert_eq!(sizes, [3, 3, 2]);
}

#[tokio::test]
async fn slack_cursors_are_opaque_and_bound_to_their_query() {
    let h = start().await;
    let api = Api::new(&h).await;
    let first = api
        .get(
            "conversations.history",
            &[("channel", data::ENG), ("limit", "3")],
        )
        .await;
    let cursor = first["response_metadata"]["next_cursor"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!cursor.is_empty());
    let elsewhere = api
        .get(
            "conversations.history",
            &[
                ("channel", data::RANDOM),
                ("limit", "3"),
                ("cursor", &cursor),
            ],
        )
        .await;
    assert_eq!(err(&elsewhere), "invalid_cursor");
    let garbage = api
        .get(
            "conversations.history",
            &[("channel", data::ENG), ("cursor", "bm90IGEgY3Vyc29y")],
        )
        .await;
    assert_eq!(err(&garbage), "invalid_cursor");
    // A message posted meanwhile does not shift the next page.
    let second = api
        .get(
            "conversations.history",
            &[("channel", data::ENG), ("limit", "3"), ("cursor", &cursor)],
        )
        .await;
    api.post(
        "chat.postMessage",
        &[("channel", data::ENG), ("text", "meanwhile")],
    )
    .await;
    let again = api
        .get(
            "conversations.history",
            &[("channel", data::ENG), ("limit", "3"), ("cursor", &cursor)],
        )
        .await;
    assert_eq!(second["messages"], again["messages"]);
    let last_first = first["messages"][2]["ts"].as_str().unwrap();
    assert!(second["messages"][0]["ts"].as_str().unwrap() < last_first);
}

#[tokio::test]
async fn slack_thread_pages_keep_the_parent_first() {
    let h = start().await;
    let api = Api::new(&h).await;
    let ts = h.knobs().seed_refs().release_thread_ts;
    let (all, sizes) = api
        .list_all(
            "conversations.replies",
            &[("channel", data::ENG), ("ts", &ts), ("limit", "2")],
            "messages",
        )
        .await;
    assert_eq!(all.len(), 5, "{sizes:?}");
    assert_eq!(all[0]["ts"], ts.as_str());
    let stamps: Vec<&str> = all.iter().map(|m| m["ts"].as_str().unwrap()).collect();
    assert!(
        stamps.windows(2).all(|w| w[0] < w[1]),
        "oldest first, no repeats: {stamps:?}"
    );
}
