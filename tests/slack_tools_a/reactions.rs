//! `slack_add_reaction`, `slack_list_reactions`, `slack_remove_reaction`.

use chatkey::protocol::SessionOptions;
use chatkey::providers::slack::emulator::EmulatorConfig;
use chatkey::providers::slack::emulator::data::ENG;
use serde_json::{Value, json};

use crate::support::{connect, ok, signed_in_slack_world, tool_error};

fn mine<'a>(list: &'a Value, name: &str) -> Option<&'a Value> {
    list["reactions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["emoji"] == name)
}

#[tokio::test]
async fn reactions_by_name_or_character_add_list_and_remove() {
    let world = signed_in_slack_world(EmulatorConfig::default()).await;
    let knobs = world.emulator.knobs();
    let refs = knobs.seed_refs();
    let client = connect(&world.app, SessionOptions::default()).await;
    let at = json!({"channel": ENG, "ts": refs.release_thread_ts});
    let with = |emoji: &str| {
        let mut a = at.clone();
        a["emoji"] = json!(emoji);
        a
    };
    let added = ok(&client, "slack_add_reaction", with("🎉")).await;
    assert_eq!(added["emoji"], "tada");
    assert_eq!(added["status"], "added");
    ok(&client, "slack_add_reaction", with(":white_check_mark:")).await;
    let list = ok(&client, "slack_list_reactions", at.clone()).await;
    let tada = mine(&list, "tada").expect("tada listed");
    assert!(
        tada["users"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u == "Alex"),
        "{list:#}"
    );
    assert!(mine(&list, "white_check_mark").is_some());

    let e = tool_error(&client, "slack_add_reaction", with("tada")).await;
    assert!(e.contains("already reacted"), "{e}");
    let removed = ok(&client, "slack_remove_reaction", with("tada")).await;
    assert_eq!(removed["status"], "removed");
    let list = ok(&client, "slack_list_reactions", at.clone()).await;
    assert!(
        mine(&list, "tada").is_none_or(|r| !r["users"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u == "Alex"))
    );

    let before = knobs.calls_of("reactions.add");
    for bad in ["", "Not An Emoji!", "::"] {
        let e = tool_error(&client, "slack_add_reaction", with(bad)).await;
        assert!(e.contains("emoji"), "{bad}: {e}");
    }
    let e = tool_error(
        &client,
        "slack_add_reaction",
        json!({"channel": ENG, "ts": "x", "emoji": "tada"}),
    )
    .await;
    assert!(e.contains("`ts`"), "{e}");
    assert_eq!(knobs.calls_of("reactions.add"), before);
}
