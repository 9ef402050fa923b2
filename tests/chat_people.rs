//! Spaces, people and members tools end to end against the emulator: get_space,
//! find_direct_message, whoami, get_user_info, list_members, manage_members and
//! get_conversation_participants, each with its failure paths (bad input that sends nothing,
//! unknown spaces, spaces the person is not in, missing scopes, no DM yet).

use std::collections::HashSet;

use chatkey::protocol::SessionOptions;
use chatkey::providers::ProviderId;
use chatkey::providers::google_chat::emulator::data::{
    ALEX, DM_ALEX_MARCUS, DM_ALEX_PRIYA, ENGINEERING, HANNAH, INCIDENTS, MARCUS, PRIMARY_EMAIL,
    PRIYA, SALES_LEADERSHIP, SOFIA,
};
use chatkey::tokens::{AccountId, Accounts, SecretStore};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::support::{Client, World, call, connect, ok, signed_in_world, tool_error};

// list_members and manage_members, with their scope and permission failures.
mod members;

pub(super) const FULL_SCOPES: &[&str] = chatkey::providers::google_chat::DEFAULT_SCOPES;

pub(super) async fn world() -> (World, Client) {
    let world = signed_in_world(Default::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    (world, client)
}

/// Re-signs the primary account with a refresh token granting `token_scopes`, and an account
/// record that says `record_scopes` were granted: the two ways a scope can be missing.
pub(super) async fn resign(world: &World, token_scopes: &[&str], record_scopes: &[&str]) {
    let minted = world
        .emulator
        .knobs()
        .mint_tokens(PRIMARY_EMAIL, token_scopes)
        .unwrap();
    let id = AccountId {
        provider: ProviderId::GoogleChat,
        email: PRIMARY_EMAIL.to_owned(),
    };
    world
        .store
        .save(&id, &SecretString::from(minted.refresh_token))
        .unwrap();
    let mut accounts = Accounts::load(&world.paths.accounts_file()).unwrap();
    let mut record = accounts
        .get(ProviderId::GoogleChat, PRIMARY_EMAIL)
        .unwrap()
        .clone();
    record.scopes = record_scopes.iter().map(|s| s.to_string()).collect();
    accounts.upsert(record);
    accounts.save(&world.paths.accounts_file()).unwrap();
    world.app.reload().await.unwrap();
}

pub(super) fn without(scope: &str) -> Vec<&'static str> {
    FULL_SCOPES
        .iter()
        .copied()
        .filter(|s| !s.ends_with(&format!("/{scope}")))
        .collect()
}

/// Requests the emulator saw since the log was last cleared, as `METHOD path`.
pub(super) fn requests(world: &World) -> Vec<String> {
    world
        .emulator
        .knobs()
        .request_log()
        .into_iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

pub(super) fn users(list: &Value, key: &str) -> HashSet<String> {
    list[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn get_space_shows_details_and_names_the_dm_partner() {
    let (world, client) = world().await;
    let eng = ok(
        &client,
        "google_chat_get_space",
        json!({"space": ENGINEERING}),
    )
    .await;
    assert_eq!(eng["name"], format!("spaces/{ENGINEERING}"));
    assert_eq!(eng["display_name"], "Engineering");
    assert_eq!(eng["type"], "space");
    assert_eq!(eng["threaded"], true);
    assert_eq!(eng["member_count"], 8);
    assert_eq!(eng["history_on"], true);
    assert!(eng["description"].as_str().unwrap().contains("Backend"));
    assert!(
        eng["url"]
            .as_str()
            .unwrap()
            .starts_with("https://chat.google.com/")
    );
    assert!(eng["create_time"].is_string() && eng["last_active_time"].is_string());
    assert!(eng.get("dm_with").is_none());

    let dm = ok(
        &client,
        "google_chat_get_space",
        json!({"space": format!("spaces/{DM_ALEX_PRIYA}")}),
    )
    .await;
    assert_eq!(dm["type"], "direct_message");
    assert_eq!(dm["dm_with"]["user"], format!("users/{PRIYA}"));
    assert_eq!(dm["dm_with"]["display_name"], "Priya Natarajan");

    let missing = tool_error(
        &client,
        "google_chat_get_space",
        json!({"space": "AAAAzzzzzzz"}),
    )
    .await;
    assert!(missing.contains("not found"), "{missing}");
    let outsider = tool_error(
        &client,
        "google_chat_get_space",
        json!({"space": SALES_LEADERSHIP}),
    )
    .await;
    assert!(outsider.contains("member"), "{outsider}");

    world.emulator.knobs().clear_request_log();
    let bad = tool_error(&client, "google_chat_get_space", json!({"space": "../x"})).await;
    assert!(bad.contains("`space`"), "{bad}");
    let extra = tool_error(
        &client,
        "google_chat_get_space",
        json!({"space": ENGINEERING, "bogus": 1}),
    )
    .await;
    assert!(extra.contains("bogus"), "{extra}");
    assert!(requests(&world).is_empty(), "{:?}", requests(&world));
}

#[tokio::test]
async fn find_direct_message_by_email_or_id_and_says_when_there_is_none() {
    let (world, client) = world().await;
    let priya = ok(
        &client,
        "google_chat_find_direct_message",
        json!({"user": "Priya.Natarajan@example.com"}),
    )
    .await;
    assert_eq!(priya["found"], true);
    assert_eq!(priya["space"]["name"], format!("spaces/{DM_ALEX_PRIYA}"));
    assert_eq!(priya["space"]["type"], "direct_message");
    assert_eq!(priya["with"]["user"], format!("users/{PRIYA}"));
    assert_eq!(priya["with"]["display_name"], "Priya Natarajan");

    let marcus = ok(
        &client,
        "google_chat_find_direct_message",
        json!({"user": format!("users/{MARCUS}")}),
    )
    .await;
    assert_eq!(marcus["space"]["name"], format!("spaces/{DM_ALEX_MARCUS}"));
    assert_eq!(marcus["with"]["display_name"], "Marcus Chen");

    // Sofia and Alex share spaces but have never had a DM: a clear answer, not an error.
    let sofia = ok(
        &client,
        "google_chat_find_direct_message",
        json!({"user": "sofia.lindqvist@example.com"}),
    )
    .await;
    assert_eq!(sofia["found"], false);
    assert!(sofia.get("space").is_none());
    let message = sofia["message"].as_str().unwrap();
    assert!(
        message.contains("no direct message") && message.contains("start"),
        "{message}"
    );

    let nobody = ok(
        &client,
        "google_chat_find_direct_message",
        json!({"user": "nobody@example.com"}),
    )
    .await;
    assert_eq!(nobody["found"], false);

    world.emulator.knobs().clear_request_log();
    for bad in ["priya", "users/a/b", "", "x@y"] {
        let e = tool_error(
            &client,
            "google_chat_find_direct_message",
            json!({"user": bad}),
        )
        .await;
        assert!(e.contains("`user`"), "{bad}: {e}");
    }
    assert!(requests(&world).is_empty());
}

#[tokio::test]
async fn whoami_reports_the_account_and_what_it_may_do() {
    let (world, client) = world().await;
    let result = call(&client, "google_chat_whoami", json!({})).await;
    let text = format!("{:?}", result.content);
    let me = result.structured_content.unwrap();
    assert_eq!(me["email"], PRIMARY_EMAIL);
    assert_eq!(me["display_name"], "Alex Rivera");
    assert_eq!(me["user"], format!("users/{ALEX}"));
    assert!(me["photo_url"].as_str().unwrap().starts_with("https://"));
    let scopes: Vec<&str> = me["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(scopes.contains(&"chat.memberships") && scopes.contains(&"openid"));
    assert!(me.get("missing_scopes").is_none(), "{me}");
    // Tokens never reach a result: neither access (ya29.) nor refresh (1//) tokens.
    for secret in ["ya29.", "1//"] {
        assert!(!text.contains(secret) && !me.to_string().contains(secret));
    }

    let err = tool_error(
        &client,
        "google_chat_whoami",
        json!({"account": "who@example.com"}),
    )
    .await;
    assert!(err.contains("chatkey status"), "{err}");

    let reduced = without("chat.memberships");
    resign(&world, &reduced, &reduced).await;
    let me = ok(&client, "google_chat_whoami", json!({})).await;
    assert_eq!(me["missing_scopes"], json!(["chat.memberships"]));
}

#[tokio::test]
async fn get_user_info_by_user_name_people_name_or_email() {
    let (world, client) = world().await;
    let priya = ok(
        &client,
        "google_chat_get_user_info",
        json!({"user": format!("users/{PRIYA}")}),
    )
    .await;
    assert_eq!(priya["user"], format!("users/{PRIYA}"));
    assert_eq!(priya["person"], format!("people/{PRIYA}"));
    assert_eq!(priya["display_name"], "Priya Natarajan");
    assert_eq!(priya["email"], "priya.natarajan@example.com");
    assert_eq!(priya["is_me"], false);
    assert!(priya["photo_url"].is_string());

    let me = ok(
        &client,
        "google_chat_get_user_info",
        json!({"user": format!("people/{ALEX}")}),
    )
    .await;
    assert_eq!(me["is_me"], true);

    // No DM with Hannah: the email is resolved through a space they share.
    let hannah = ok(
        &client,
        "google_chat_get_user_info",
        json!({"user": "hannah.becker@example.com"}),
    )
    .await;
    assert_eq!(hannah["user"], format!("users/{HANNAH}"));
    assert_eq!(hannah["display_name"], "Hannah Becker");

    let unknown = tool_error(
        &client,
        "google_chat_get_user_info",
        json!({"user": "stranger@elsewhere.org"}),
    )
    .await;
    assert!(
        unknown.contains("person stranger@elsewhere.org was not found")
            && unknown.contains("users/"),
        "{unknown}"
    );
    let no_person = tool_error(
        &client,
        "google_chat_get_user_info",
        json!({"user": "users/100000000000000000009"}),
    )
    .await;
    assert!(
        no_person.contains("person users/100000000000000000009 was not found"),
        "{no_person}"
    );

    world.emulator.knobs().clear_request_log();
    let bad = tool_error(
        &client,
        "google_chat_get_user_info",
        json!({"user": "hannah"}),
    )
    .await;
    assert!(bad.contains("`user`") && bad.contains("email"), "{bad}");
    assert!(requests(&world).is_empty());
}

#[tokio::test]
async fn conversation_participants_count_posts_and_list_silent_members() {
    let (world, client) = world().await;
    let before = ok(
        &client,
        "google_chat_get_conversation_participants",
        json!({"space": ENGINEERING, "days_window": 7}),
    )
    .await;
    let listed = ok(
        &client,
        "google_chat_list_messages",
        json!({"space": ENGINEERING, "days_window": 7, "limit": 1000}),
    )
    .await;
    assert_eq!(before["message_count"], listed["count"]);
    let participants = before["participants"].as_array().unwrap();
    assert_eq!(before["participant_count"], participants.len());
    let total: u64 = participants
        .iter()
        .map(|p| p["message_count"].as_u64().unwrap())
        .sum();
    assert_eq!(json!(total), before["message_count"]);
    let counts: Vec<u64> = participants
        .iter()
        .map(|p| p["message_count"].as_u64().unwrap())
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    for p in participants {
        assert!(
            p["display_name"].is_string() && p["email"].is_string(),
            "{p}"
        );
        assert_eq!(p["is_member"], true);
        assert!(p["last_message_time"].is_string());
    }
    // Posters and silent members together are exactly the members, with no overlap.
    let posters = users(&before, "participants");
    let silent = users(&before, "silent_members");
    assert!(posters.is_disjoint(&silent));
    let members = ok(
        &client,
        "google_chat_list_members",
        json!({"space": ENGINEERING}),
    )
    .await;
    assert_eq!(&posters | &silent, users(&members, "members"));

    // A member who never posted there is listed as silent, named, with their role.
    ok(
        &client,
        "google_chat_manage_members",
        json!({"space": INCIDENTS, "action": "add", "users": ["sofia.lindqvist@example.com"]}),
    )
    .await;
    let incidents = ok(
        &client,
        "google_chat_get_conversation_participants",
        json!({"space": INCIDENTS, "days_window": 30}),
    )
    .await;
    let sofia = incidents["silent_members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user"] == format!("users/{SOFIA}"))
        .expect("Sofia is silent in Incidents");
    assert_eq!(sofia["display_name"], "Sofia Lindqvist");
    assert_eq!(sofia["role"], "member");
    assert!(!users(&incidents, "participants").contains(&format!("users/{SOFIA}")));

    ok(
        &client,
        "google_chat_send_message",
        json!({"space": ENGINEERING, "text": "participants check"}),
    )
    .await;
    let after = ok(
        &client,
        "google_chat_get_conversation_participants",
        json!({"space": ENGINEERING, "days_window": 7}),
    )
    .await;
    let count_of = |v: &Value| {
        v["participants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["user"] == format!("users/{ALEX}"))
            .map_or(0, |p| p["message_count"].as_u64().unwrap())
    };
    assert_eq!(count_of(&after), count_of(&before) + 1);

    for args in [
        json!({"space": ENGINEERING, "days_window": 0}),
        json!({"space": ENGINEERING, "days_window": 400}),
        json!({"space": "a/b"}),
    ] {
        let e = tool_error(
            &client,
            "google_chat_get_conversation_participants",
            args.clone(),
        )
        .await;
        assert!(e.contains("invalid argument"), "{args}: {e}");
    }
    let missing = tool_error(
        &client,
        "google_chat_get_conversation_participants",
        json!({"space": "AAAAzzzzzzz"}),
    )
    .await;
    assert!(missing.contains("not found"), "{missing}");

    // Without a memberships scope the posters are still answered, with a note.
    let reduced = without("chat.memberships");
    resign(&world, &reduced, &reduced).await;
    let partial = ok(
        &client,
        "google_chat_get_conversation_participants",
        json!({"space": ENGINEERING, "days_window": 7}),
    )
    .await;
    assert!(partial.get("silent_members").is_none());
    assert!(
        partial["note"]
            .as_str()
            .unwrap()
            .contains("chat.memberships")
    );
    assert_eq!(partial["message_count"], after["message_count"]);
}
