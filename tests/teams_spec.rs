//! The Teams emulator against msgraph-sdk 1.65.0 (`$CHATKEY_SPECS_DIR/graph`, from `make
//! specs`): every request the Teams tools sent while using every tool is a route some
//! request builder declares, with its HTTP method and query parameters; and every object
//! the emulator answers with (people, chats and their members, teams, channels, messages
//! with bodies, senders, mentions, reactions, files, events) has only fields of its model.

use chatkey::protocol::SessionOptions;
use chatkey::providers::teams::emulator::spec::GraphSpecs;
use chatkey::providers::teams::emulator::{CLIENT_ID, EmulatorConfig, data};
use chatkey::tokens::SecretStore;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::support::{connect, ok};
use crate::teams::{id, signed_in, with_allowed_dir};

fn specs() -> Option<GraphSpecs> {
    match GraphSpecs::from_env() {
        Ok(Some(s)) => Some(s),
        Ok(None) => {
            eprintln!(
                "skipped: no Graph specs (run `make specs`, or scripts/fetch-graph-specs.sh target/specs/graph, and set CHATKEY_SPECS_DIR=target/specs)"
            );
            None
        }
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test]
async fn teams_spec_every_request_and_answer_is_graphs() {
    let Some(specs) = specs() else { return };
    let world = signed_in(EmulatorConfig {
        admin_consent: true,
        ..Default::default()
    })
    .await;
    let client = connect(&world.app, SessionOptions::default()).await;
    ok(&client, "teams_whoami", json!({})).await;
    ok(&client, "teams_list_chats", json!({"limit": 2})).await;
    ok(&client, "teams_list_teams", json!({})).await;
    ok(
        &client,
        "teams_list_channels",
        json!({"team": "Engineering"}),
    )
    .await;
    let page = ok(
        &client,
        "teams_list_messages",
        json!({"chat": data::CHAT_LAUNCH, "days_window": 10, "limit": 2}),
    )
    .await;
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    ok(
        &client,
        "teams_list_messages",
        json!({"chat": data::CHAT_LAUNCH, "cursor": cursor}),
    )
    .await;
    let posts = ok(
        &client,
        "teams_list_messages",
        json!({"team": "Engineering", "channel": "General", "days_window": 10}),
    )
    .await;
    let post = posts["messages"][0]["id"].as_str().unwrap().to_owned();
    let thread = ok(
        &client,
        "teams_get_thread",
        json!({"team": "Engineering", "channel": "General", "message": post}),
    )
    .await;
    let reply = thread["messages"][1]["id"].as_str().unwrap().to_owned();
    ok(
        &client,
        "teams_get_message",
        json!({"team": data::TEAM_ENG, "channel": data::ENG_GENERAL, "message": reply, "reply_to": post}),
    )
    .await;
    let sent = ok(
        &client,
        "teams_send_message",
        json!({"chat": data::CHAT_ANA, "text": "spec check"}),
    )
    .await;
    let sent_id = sent["id"].as_str().unwrap().to_owned();
    ok(
        &client,
        "teams_update_message",
        json!({"chat": data::CHAT_ANA, "message": sent_id, "text": "spec check, edited"}),
    )
    .await;
    ok(
        &client,
        "teams_delete_message",
        json!({"chat": data::CHAT_ANA, "message": sent_id}),
    )
    .await;
    let mine = ok(
        &client,
        "teams_reply_to_thread",
        json!({"team": data::TEAM_ENG, "channel": data::ENG_GENERAL, "message": post, "text": "ack"}),
    )
    .await;
    let mine = mine["id"].as_str().unwrap().to_owned();
    ok(
        &client,
        "teams_update_message",
        json!({"team": data::TEAM_ENG, "channel": data::ENG_GENERAL, "message": mine, "reply_to": post, "text": "ack!"}),
    )
    .await;
    ok(
        &client,
        "teams_delete_message",
        json!({"team": data::TEAM_ENG, "channel": data::ENG_GENERAL, "message": mine, "reply_to": post}),
    )
    .await;
    ok(
        &client,
        "teams_send_message",
        json!({"team": data::TEAM_ENG, "channel": data::ENG_GENERAL, "text": "post", "subject": "s"}),
    )
    .await;
    // The tools that look across conversations or at people.
    let react = json!({"team": data::TEAM_ENG, "channel": data::ENG_GENERAL, "message": post, "emoji": "heart"});
    ok(&client, "teams_add_reaction", react.clone()).await;
    ok(&client, "teams_remove_reaction", react).await;
    let react =
        json!({"chat": data::CHAT_LAUNCH, "message": page["messages"][0]["id"], "emoji": "👍"});
    ok(&client, "teams_add_reaction", react.clone()).await;
    ok(
        &client,
        "teams_list_reactions",
        json!({"chat": data::CHAT_LAUNCH, "message": page["messages"][0]["id"]}),
    )
    .await;
    ok(&client, "teams_remove_reaction", react).await;
    ok(&client, "teams_get_unread", json!({})).await;
    ok(
        &client,
        "teams_mark_read",
        json!({"chat": data::CHAT_LAUNCH}),
    )
    .await;
    ok(&client, "teams_get_my_mentions", json!({})).await;
    ok(&client, "teams_search_messages", json!({"query": "deploy"})).await;
    ok(&client, "teams_get_user_info", json!({"user": data::ANA})).await;
    ok(
        &client,
        "teams_list_members",
        json!({"chat": data::CHAT_LAUNCH}),
    )
    .await;
    ok(
        &client,
        "teams_get_conversation_participants",
        json!({"team": "Engineering", "channel": "General"}),
    )
    .await;
    ok(
        &client,
        "teams_summarize_conversation",
        json!({"chat": data::CHAT_ANA}),
    )
    .await;

    // Files: a download, and uploads into a chat and a channel.
    let ana = ok(
        &client,
        "teams_list_messages",
        json!({"chat": data::CHAT_ANA, "days_window": 10}),
    )
    .await;
    let notes = ana["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m.get("attachments").is_some())
        .unwrap()["id"]
        .clone();
    ok(
        &client,
        "teams_download_attachment",
        json!({"chat": data::CHAT_ANA, "message": notes}),
    )
    .await;
    let files = tempfile::tempdir().unwrap();
    let app = with_allowed_dir(&world, files.path()).await;
    let uploads = connect(&app, SessionOptions::default()).await;
    let file = files.path().join("a.txt");
    std::fs::write(&file, "a").unwrap();
    let path = file.display().to_string();
    ok(
        &uploads,
        "teams_upload_attachment",
        json!({"chat": data::CHAT_LAUNCH, "path": path}),
    )
    .await;
    ok(
        &uploads,
        "teams_upload_attachment",
        json!({"team": "Engineering", "channel": "General", "path": path}),
    )
    .await;

    let log = world.emulator.knobs().log();
    assert!(log.len() >= 15, "{}", log.len());
    let mut problems = Vec::new();
    for r in &log {
        let path = r.path.strip_prefix("/graph/v1.0").unwrap_or(&r.path);
        let query: Vec<&str> = r.query.keys().map(String::as_str).collect();
        if let Err(e) = specs.check_request(&r.method, path, &query) {
            problems.push(e);
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");

    // The answers, as Graph's models name their fields.
    let refresh = world.store.load(&id()).unwrap().unwrap();
    let base = world.emulator.base_url();
    let http = reqwest::Client::new();
    let tokens: Value = http
        .post(format!("{base}teams-login/organizations/oauth2/v2.0/token"))
        .form(&[
            ("client_id", CLIENT_ID),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.expose_secret()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = tokens["access_token"].as_str().unwrap().to_owned();
    let get = |path: String| {
        let (http, token, base) = (http.clone(), token.clone(), base.clone());
        async move {
            let v: Value = http
                .get(format!("{base}graph/v1.0/{path}"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v
        }
    };
    let eng = data::TEAM_ENG;
    let general = data::ENG_GENERAL;
    let checks: Vec<(&str, Value)> = vec![
        ("user", get("me".into()).await),
        ("user", get(format!("users/{}", data::ANA)).await),
        (
            "chat",
            get("me/chats?$expand=members&$top=50".into()).await["value"].clone(),
        ),
        (
            "chatMessage",
            get(format!("chats/{}/messages?$top=50", data::CHAT_LAUNCH)).await["value"].clone(),
        ),
        (
            "chatMessage",
            get(format!("chats/{}/messages?$top=50", data::CHAT_ANA)).await["value"].clone(),
        ),
        ("team", get("me/joinedTeams".into()).await["value"].clone()),
        (
            "channel",
            get(format!("teams/{eng}/channels")).await["value"].clone(),
        ),
        (
            "chatMessage",
            get(format!("teams/{eng}/channels/{general}/messages?$top=50")).await["value"].clone(),
        ),
        (
            "chatMessage",
            get(format!(
                "teams/{eng}/channels/{general}/messages/{post}/replies?$top=50"
            ))
            .await["value"]
                .clone(),
        ),
    ];
    for (model, value) in &checks {
        assert!(
            value.is_object() || value.as_array().is_some_and(|a| !a.is_empty()),
            "{model}: {value}"
        );
        problems.extend(specs.check_object(model, value));
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Every request the whole suite sent to Teams emulators (`CHATKEY_TEAMS_EMULATOR_REQUEST_LOG`,
/// end-to-end tests included): `make graph-check` runs it last.
#[test]
fn teams_request_log() {
    let Some(specs) = specs() else { return };
    let Some(path) = std::env::var_os(chatkey::providers::teams::emulator::REQUEST_LOG_ENV) else {
        eprintln!(
            "skipped: CHATKEY_TEAMS_EMULATOR_REQUEST_LOG is not set (make graph-check sets it)"
        );
        return;
    };
    let text = std::fs::read_to_string(&path).expect("the Teams request log");
    let mut problems = Vec::new();
    let mut checked = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let r: Value = serde_json::from_str(line).expect("a logged request is JSON");
        let method = r["method"].as_str().unwrap();
        let full = r["path"].as_str().unwrap();
        let path = full.strip_prefix("/graph/v1.0").unwrap_or(full);
        let query: Vec<&str> = r["query"]
            .as_object()
            .map(|q| q.keys().map(String::as_str).collect())
            .unwrap_or_default();
        if let Err(e) = specs.check_request(method, path, &query) {
            problems.push(e);
        }
        checked += 1;
    }
    assert!(checked > 0, "the Teams emulator logged no requests");
    problems.sort();
    problems.dedup();
    assert!(problems.is_empty(), "{problems:#?}");
}
