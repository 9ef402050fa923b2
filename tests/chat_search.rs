//! Search, mentions and catch-up tools end to end against the emulator: search modes and
//! contraction variants, regex and argument errors (which send nothing), stable paging,
//! spaces fetched in parallel, exact mentions, unread before and after mark_read, and the
//! conversation window for summaries.

use std::time::{Duration, Instant};

use chatkey::protocol::SessionOptions;
use chatkey::providers::google_chat::emulator::data;
use serde_json::{Value, json};

use crate::support::{Client, World, connect, ok, signed_in_world, tool_error};

// Unread, mark read and conversation summaries.
mod catchup;

pub(crate) const ME: &str = "users/114503258279116830001";

/// Posts `text` as Priya through her own token, straight to the API (so the message is not
/// Alex's own). `<users/ID>` markup becomes a real mention annotation.
pub(crate) async fn priya_posts(world: &World, space: &str, text: &str) -> Value {
    let token = world
        .emulator
        .knobs()
        .mint_tokens(
            data::PRIYA,
            &["https://www.googleapis.com/auth/chat.messages"],
        )
        .unwrap()
        .access_token;
    let base = world.emulator.base_url();
    let base = base.as_str().trim_end_matches('/');
    let response = reqwest::Client::new()
        .post(format!("{base}/v1/spaces/{space}/messages"))
        .bearer_auth(&token)
        .json(&json!({ "text": text }))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{:?}", response.status());
    response.json().await.unwrap()
}

async fn send(client: &Client, space: &str, text: &str) {
    ok(
        client,
        "google_chat_send_message",
        json!({"space": space, "text": text}),
    )
    .await;
}

fn texts(result: &Value) -> Vec<String> {
    result["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["text"].as_str().unwrap().to_owned())
        .collect()
}

fn chat_requests(world: &World) -> Vec<chatkey::providers::google_chat::emulator::LoggedRequest> {
    world
        .emulator
        .knobs()
        .request_log()
        .into_iter()
        .filter(|r| r.path.starts_with("/v1/"))
        .collect()
}

#[tokio::test]
async fn search_modes_find_the_right_messages() {
    let world = signed_in_world(Default::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    send(
        &client,
        data::ENGINEERING,
        "We do NOT deploy the zebrafish service on Fridays",
    )
    .await;
    send(
        &client,
        data::RANDOM,
        "the zebrafish rollout can't wait for Tomás",
    )
    .await;
    send(
        &client,
        data::ENGINEERING,
        "filed ZEBRAFISH-4021 for the flaky test",
    )
    .await;

    let r = ok(
        &client,
        "google_chat_search_messages",
        json!({"query": "don't deploy the zebrafish", "mode": "exact"}),
    )
    .await;
    assert_eq!(
        texts(&r),
        ["We do NOT deploy the zebrafish service on Fridays"]
    );
    let hit = &r["results"][0];
    assert_eq!(hit["space_name"], "Engineering");
    assert_eq!(hit["space"], format!("spaces/{}", data::ENGINEERING));
    assert_eq!(hit["sender"]["display_name"], "Alex Rivera");
    assert!(
        hit["snippet"]
            .as_str()
            .unwrap()
            .contains("do NOT deploy the zebrafish"),
        "{hit}"
    );
    assert_eq!(r["searched"]["mode"], "exact");
    let spaces = ok(&client, "google_chat_list_spaces", json!({})).await;
    assert_eq!(r["searched"]["space_count"], spaces["count"]);
    assert!(
        r["searched"]["messages_scanned"].as_u64().unwrap() > 20,
        "{}",
        r["searched"]
    );
    assert!(
        r["searched"]["spaces"]
            .as_array()
            .unwrap()
            .contains(&json!("Random"))
    );

    // The other direction of a contraction, and accents folded away.
    let r = ok(
        &client,
        "google_chat_search_messages",
        json!({"query": "ZebraFish rollout cannot wait for tomas", "mode": "exact"}),
    )
    .await;
    assert_eq!(texts(&r), ["the zebrafish rollout can't wait for Tomás"]);
    assert_eq!(r["results"][0]["space_name"], "Random");

    let r = ok(
        &client,
        "google_chat_search_messages",
        json!({"query": r"zebrafish-\d{4}", "mode": "regex"}),
    )
    .await;
    assert_eq!(texts(&r), ["filed ZEBRAFISH-4021 for the flaky test"]);
    assert!(
        r["results"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("ZEBRAFISH-4021")
    );

    let r = ok(
        &client,
        "google_chat_search_messages",
        json!({"query": "zebrafish rollout", "mode": "relevance"}),
    )
    .await;
    assert_eq!(r["total_matches"], 3, "{r}");
    assert_eq!(texts(&r)[0], "the zebrafish rollout can't wait for Tomás");

    // Hybrid (default): the whole phrase first, word matches after it.
    let r = ok(&client, "google_chat_search_messages", json!({"query": "zebrafish service", "spaces": [data::ENGINEERING, format!("spaces/{}", data::ENGINEERING)]})).await;
    assert_eq!(r["searched"]["mode"], "hybrid");
    assert_eq!(r["searched"]["space_count"], 1);
    assert_eq!(
        texts(&r)[0],
        "We do NOT deploy the zebrafish service on Fridays"
    );
    assert_eq!(r["total_matches"], 2, "Random was not searched: {r}");
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let world = signed_in_world(Default::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    world.emulator.knobs().clear_request_log();
    let cases = [
        (
            json!({"query": "(unclosed", "mode": "regex"}),
            "not a valid regex",
        ),
        (
            json!({"query": r"\w{500}\w{500}\w{500}", "mode": "regex"}),
            "too complex",
        ),
        (json!({"query": "a".repeat(600), "mode": "regex"}), "limit"),
        (json!({"query": "  "}), "empty"),
        (json!({"query": "x", "spaces": ["../etc"]}), "`spaces`"),
        (json!({"query": "x", "max_results": 0}), "`max_results`"),
        (json!({"query": "x", "days_window": 400}), "`days_window`"),
        (
            json!({"query": "x", "page_token": "not-a-token"}),
            "`page_token`",
        ),
        (json!({"query": "x", "mode": "fuzzy"}), "mode"),
        (json!({"query": "x", "colour": "red"}), "colour"),
    ];
    for (args, expected) in cases {
        let e = tool_error(&client, "google_chat_search_messages", args.clone()).await;
        assert!(e.contains(expected), "{args}: {e}");
    }
    let e = tool_error(&client, "google_chat_get_my_mentions", json!({"limit": 0})).await;
    assert!(e.contains("`limit`"), "{e}");
    let e = tool_error(
        &client,
        "google_chat_get_unread",
        json!({"limit_per_space": 101}),
    )
    .await;
    assert!(e.contains("`limit_per_space`"), "{e}");
    let e = tool_error(&client, "google_chat_mark_read", json!({"space": "A/B"})).await;
    assert!(e.contains("`space`"), "{e}");
    let e = tool_error(
        &client,
        "google_chat_mark_read",
        json!({"space": "A", "until": "soon"}),
    )
    .await;
    assert!(e.contains("`until`"), "{e}");
    let e = tool_error(
        &client,
        "google_chat_summarize_conversation",
        json!({"space": "A", "limit": 5000}),
    )
    .await;
    assert!(e.contains("`limit`"), "{e}");
    assert!(
        chat_requests(&world).is_empty(),
        "{:?}",
        chat_requests(&world)
    );

    // A space the person is not in fails by name, before any message is read.
    let e = tool_error(
        &client,
        "google_chat_search_messages",
        json!({"query": "x", "spaces": ["AAAAnotMine"]}),
    )
    .await;
    assert!(
        e.contains("spaces/AAAAnotMine") && e.contains("google_chat_list_spaces"),
        "{e}"
    );
    assert!(
        chat_requests(&world)
            .iter()
            .all(|r| !r.path.ends_with("/messages"))
    );
}

#[tokio::test]
async fn paging_is_stable_and_tied_to_the_query() {
    let world = signed_in_world(Default::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let args = json!({"query": "the", "mode": "relevance", "days_window": 42, "max_results": 7});
    let first = ok(&client, "google_chat_search_messages", args.clone()).await;
    let total = first["total_matches"].as_u64().unwrap();
    assert!(total > 21, "{total}");
    // A new matching message after the first page must not shift later pages.
    send(&client, data::ENGINEERING, "the the the newest message").await;
    let mut seen: Vec<String> = Vec::new();
    let mut page = first;
    for _ in 0..3 {
        assert_eq!(page["total_matches"].as_u64().unwrap(), total);
        assert_eq!(page["count"], 7);
        for r in page["results"].as_array().unwrap() {
            let name = r["name"].as_str().unwrap().to_owned();
            assert!(!seen.contains(&name), "{name} twice");
            assert_ne!(r["text"], "the the the newest message");
            seen.push(name);
        }
        let scores: Vec<f64> = page["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["score"].as_f64().unwrap())
            .collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
        let token = page["next_page_token"].as_str().unwrap().to_owned();
        let mut next = args.clone();
        next["page_token"] = json!(token);
        page = ok(&client, "google_chat_search_messages", next).await;
    }
    let mut other = args.clone();
    other["query"] = json!("deploy");
    other["page_token"] = page["next_page_token"].clone();
    let e = tool_error(&client, "google_chat_search_messages", other).await;
    assert!(e.contains("`page_token`"), "{e}");
}

#[tokio::test]
async fn spaces_are_fetched_in_parallel() {
    let world = signed_in_world(Default::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let latency = Duration::from_millis(400);
    world.emulator.knobs().set_latency(latency);
    world.emulator.knobs().clear_request_log();
    let started = Instant::now();
    let r = ok(
        &client,
        "google_chat_search_messages",
        json!({"query": "deploy", "days_window": 14}),
    )
    .await;
    let elapsed = started.elapsed();
    let spaces = r["searched"]["space_count"].as_u64().unwrap() as u32;
    assert!(spaces >= 5, "{r}");
    let lists: Vec<_> = chat_requests(&world)
        .into_iter()
        .filter(|q| q.path.ends_with("/messages"))
        .collect();
    assert!(lists.len() as u32 >= spaces);
    let times: Vec<chrono::DateTime<chrono::Utc>> = lists
        .iter()
        .take(spaces as usize)
        .map(|q| q.time.parse().unwrap())
        .collect();
    let spread = *times.iter().max().unwrap() - *times.iter().min().unwrap();
    assert!(
        spread.to_std().unwrap() < latency / 2,
        "{spaces} spaces started {spread} apart"
    );
    // One at a time would take spaces × latency for the message lists alone (logged, not
    // asserted: wall-clock totals belong in the benchmark; the spread above proves the overlap).
    eprintln!("{elapsed:?} for {spaces} spaces");
}

#[tokio::test]
async fn mentions_are_annotations_not_names() {
    let world = signed_in_world(Default::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let plain = priya_posts(
        &world,
        data::DM_ALEX_PRIYA,
        "Alex Rivera said the quokka build is green",
    )
    .await;
    let real = priya_posts(
        &world,
        data::DM_ALEX_PRIYA,
        &format!("<{ME}> can you look at the quokka build?"),
    )
    .await;
    let r = ok(
        &client,
        "google_chat_get_my_mentions",
        json!({"days_window": 42, "limit": 500}),
    )
    .await;
    assert_eq!(r["user"], ME);
    let mentions = r["mentions"].as_array().unwrap();
    let names: Vec<&str> = mentions
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&real["name"].as_str().unwrap()), "{names:?}");
    assert!(!names.contains(&plain["name"].as_str().unwrap()));
    let newest = &mentions[0];
    assert_eq!(newest["name"], real["name"]);
    assert_eq!(newest["mention"], "direct");
    assert_eq!(newest["sender"]["display_name"], "Priya Natarajan");
    assert_eq!(newest["space"], format!("spaces/{}", data::DM_ALEX_PRIYA));
    // The seeded history has both kinds; every result really is annotated for Alex or @all.
    assert!(mentions.iter().any(|m| m["mention"] == "all"));
    assert!(mentions.iter().filter(|m| m["mention"] == "direct").count() > 1);
    for m in mentions {
        let targets: Vec<&str> = m["mentions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["user"].as_str().unwrap())
            .collect();
        assert!(
            targets.contains(&ME) || targets.contains(&"users/all"),
            "{m}"
        );
        assert_ne!(m["sender"]["user"], ME, "own messages are not mentions");
    }
    assert_eq!(r["total"].as_u64().unwrap() as usize, mentions.len());
    let one = ok(
        &client,
        "google_chat_get_my_mentions",
        json!({"days_window": 42, "limit": 1}),
    )
    .await;
    assert_eq!(one["count"], 1);
    assert_eq!(one["truncated"], true);
}

#[tokio::test]
async fn big_spaces_are_capped_and_at_most_eight_are_read_at_once() {
    let world = signed_in_world(Default::default()).await;
    let knobs = world.emulator.knobs();
    let big = knobs.add_bulk_spaces(1, 2300, 6).unwrap().remove(0);
    let small = knobs.add_bulk_spaces(9, 3, 3).unwrap();
    let client = connect(&world.app, SessionOptions::default()).await;
    let latency = Duration::from_millis(300);
    knobs.set_latency(latency);
    knobs.clear_request_log();
    let mut spaces = small.clone();
    spaces.push(big.clone());
    let r = ok(
        &client,
        "google_chat_search_messages",
        json!({"query": "the", "spaces": spaces, "days_window": 31, "mode": "exact"}),
    )
    .await;
    let searched = &r["searched"];
    assert_eq!(searched["space_count"], 10);
    assert_eq!(
        searched["capped_spaces"].as_array().unwrap().len(),
        1,
        "{searched}"
    );
    assert_eq!(
        searched["messages_scanned"].as_u64().unwrap(),
        2000 + 9 * 3,
        "{searched}"
    );
    // The first page of each space: eight start together, the rest wait for a free slot.
    let mut firsts: Vec<chrono::DateTime<chrono::Utc>> = Vec::new();
    let mut seen = Vec::new();
    for q in chat_requests(&world) {
        if q.path.ends_with("/messages") && !seen.contains(&q.path) {
            seen.push(q.path.clone());
            firsts.push(q.time.parse().unwrap());
        }
    }
    assert_eq!(firsts.len(), 10);
    firsts.sort();
    let gap = |a: usize, b: usize| (firsts[b] - firsts[a]).to_std().unwrap();
    assert!(
        gap(0, 7) < latency / 2,
        "first eight spread {:?}",
        gap(0, 7)
    );
    assert!(
        gap(0, 8) >= latency * 9 / 10,
        "ninth started after {:?}",
        gap(0, 8)
    );
}
