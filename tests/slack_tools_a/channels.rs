//! `slack_list_channels`, `slack_get_channel`, `slack_find_direct_message`.

use chatkey::protocol::SessionOptions;
use chatkey::providers::slack::emulator::EmulatorConfig;
use chatkey::providers::slack::emulator::data::{
    DESIGN, DM_ALEX_PRIYA, ENG, LEADERSHIP, MPIM_LAUNCH, PHOENIX, PRIYA, SALES_DEALS,
};
use serde_json::{Value, json};

use crate::support::{connect, ok, signed_in_slack_world, tool_error};

fn ids(answer: &Value) -> Vec<String> {
    answer["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

fn find<'a>(answer: &'a Value, id: &str) -> &'a Value {
    answer["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {answer:#}"))
}

#[tokio::test]
async fn list_channels_shows_every_kind_the_person_is_in_with_dms_named() {
    let world = signed_in_slack_world(EmulatorConfig::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let all = ok(&client, "slack_list_channels", json!({})).await;
    let listed = ids(&all);
    assert_eq!(all["count"], listed.len());
    for id in [ENG, LEADERSHIP, DM_ALEX_PRIYA, MPIM_LAUNCH] {
        assert!(listed.contains(&id.to_owned()), "{id} missing: {listed:?}");
    }
    // Not a member, archived, and private without Alex.
    for id in [DESIGN, PHOENIX, SALES_DEALS] {
        assert!(!listed.contains(&id.to_owned()), "{id} listed: {listed:?}");
    }
    let eng = find(&all, ENG);
    assert_eq!(eng["name"], "eng");
    assert_eq!(eng["type"], "public_channel");
    assert_eq!(find(&all, LEADERSHIP)["type"], "private_channel");
    let dm = find(&all, DM_ALEX_PRIYA);
    assert_eq!(dm["type"], "im");
    assert_eq!(dm["name"], "priya");
    assert_eq!(find(&all, MPIM_LAUNCH)["type"], "mpim");

    let dms = ok(&client, "slack_list_channels", json!({"types": ["im"]})).await;
    assert!(!ids(&dms).is_empty());
    assert!(
        dms["channels"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["type"] == "im")
    );

    let archived = ok(
        &client,
        "slack_list_channels",
        json!({"include_archived": true}),
    )
    .await;
    assert!(ids(&archived).contains(&PHOENIX.to_owned()));

    let one = ok(&client, "slack_list_channels", json!({"limit": 1})).await;
    assert_eq!(one["count"], 1);
    assert_eq!(one["total"], listed.len());
    // One listing served all four calls.
    assert_eq!(world.emulator.knobs().calls_of("conversations.list"), 1);
}

#[tokio::test]
async fn list_channels_checks_its_arguments_before_asking_slack() {
    let world = signed_in_slack_world(EmulatorConfig::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let before = world.emulator.knobs().request_log().len();
    for (args, param) in [
        (json!({"limit": 0}), "`limit`"),
        (json!({"limit": 5000}), "`limit`"),
        (json!({"types": []}), "`types`"),
    ] {
        let e = tool_error(&client, "slack_list_channels", args).await;
        assert!(e.contains(param), "{e}");
    }
    let e = tool_error(&client, "slack_list_channels", json!({"types": ["dm"]})).await;
    assert!(e.contains("types") || e.contains("dm"), "{e}");
    assert_eq!(world.emulator.knobs().request_log().len(), before);
}

#[tokio::test]
async fn get_channel_by_id_or_name_with_last_read_and_the_dm_partner() {
    let world = signed_in_slack_world(EmulatorConfig::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    for channel in [ENG, "#eng", "eng", "#ENG"] {
        let eng = ok(&client, "slack_get_channel", json!({"channel": channel})).await;
        assert_eq!(eng["id"], ENG, "{channel}");
        assert_eq!(eng["name"], "eng");
        assert_eq!(eng["topic"], "Release 2.14 freeze on Friday");
        assert!(eng["member_count"].as_u64().unwrap() >= 5, "{eng:#}");
        assert!(eng["last_read"].is_string(), "{eng:#}");
    }
    let dm = ok(&client, "slack_get_channel", json!({"channel": "@priya"})).await;
    assert_eq!(dm["id"], DM_ALEX_PRIYA);
    assert_eq!(dm["type"], "im");
    assert_eq!(dm["with"]["id"], PRIYA);

    let e = tool_error(
        &client,
        "slack_get_channel",
        json!({"channel": "#nope-no-such"}),
    )
    .await;
    assert!(e.contains("slack_list_channels"), "{e}");
    let e = tool_error(
        &client,
        "slack_get_channel",
        json!({"channel": SALES_DEALS}),
    )
    .await;
    assert!(e.contains(SALES_DEALS), "{e}");
    let e = tool_error(&client, "slack_get_channel", json!({"channel": "  "})).await;
    assert!(e.contains("`channel`"), "{e}");
}

#[tokio::test]
async fn find_direct_message_by_email_or_id_opens_the_dm() {
    let world = signed_in_slack_world(EmulatorConfig::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let by_email = ok(
        &client,
        "slack_find_direct_message",
        json!({"user": "priya.natarajan@example.com"}),
    )
    .await;
    assert_eq!(by_email["found"], true);
    assert_eq!(by_email["channel"], DM_ALEX_PRIYA);
    assert_eq!(by_email["with"]["id"], PRIYA);
    assert_eq!(by_email["with"]["name"], "priya");
    let by_id = ok(&client, "slack_find_direct_message", json!({"user": PRIYA})).await;
    assert_eq!(by_id["channel"], DM_ALEX_PRIYA);

    let knobs = world.emulator.knobs();
    let opens = knobs.calls_of("conversations.open");
    let e = tool_error(
        &client,
        "slack_find_direct_message",
        json!({"user": "priya"}),
    )
    .await;
    assert!(e.contains("`user`"), "{e}");
    let e = tool_error(
        &client,
        "slack_find_direct_message",
        json!({"user": "nobody@example.com"}),
    )
    .await;
    assert!(e.contains("nobody@example.com"), "{e}");
    assert_eq!(knobs.calls_of("conversations.open"), opens);
}
