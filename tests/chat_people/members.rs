//! list_members and manage_members against the emulator: names from one batched People
//! call, paging, per-user outcomes, roles, direct messages, and missing scopes (in the
//! account record, or only in the token so that Google itself refuses).

use std::collections::HashSet;

use chatkey::providers::google_chat::emulator::data::{
    ALEX, DANIEL, DM_ALEX_PRIYA, ENGINEERING, HANNAH, INCIDENTS, MARCUS, PRIYA, SALES_LEADERSHIP,
    SOFIA, TOMAS, YUKI,
};
use serde_json::json;

use super::{FULL_SCOPES, requests, resign, users, without, world};
use crate::support::{ok, tool_error};

#[tokio::test]
async fn list_members_names_everyone_in_one_people_call_and_pages() {
    let (world, client) = world().await;
    let knobs = world.emulator.knobs();
    knobs.clear_request_log();
    let all = ok(
        &client,
        "google_chat_list_members",
        json!({"space": ENGINEERING}),
    )
    .await;
    assert_eq!(all["count"], 8);
    assert!(all.get("next_page_token").is_none());
    let members = all["members"].as_array().unwrap();
    for m in members {
        assert!(
            m["display_name"].is_string() && m["email"].is_string(),
            "{m}"
        );
        assert_eq!(m["type"], "human");
        assert_eq!(m["state"], "joined");
        assert!(m["join_time"].is_string());
        assert!(
            m["membership"]
                .as_str()
                .unwrap()
                .starts_with(&format!("spaces/{ENGINEERING}/members/"))
        );
    }
    let alex = members
        .iter()
        .find(|m| m["user"] == format!("users/{ALEX}"))
        .unwrap();
    assert_eq!(alex["role"], "manager");
    assert_eq!(alex["display_name"], "Alex Rivera");
    let marcus = members
        .iter()
        .find(|m| m["user"] == format!("users/{MARCUS}"))
        .unwrap();
    assert_eq!(marcus["role"], "member");
    let people_calls = requests(&world)
        .iter()
        .filter(|r| r.contains("/people"))
        .count();
    assert_eq!(people_calls, 1, "{:?}", requests(&world));

    // Pages of 3 walk the same 8 members without overlap.
    let mut seen = HashSet::new();
    let mut token: Option<String> = None;
    for _ in 0..3 {
        let mut args = json!({"space": ENGINEERING, "limit": 3, "include_groups": true});
        if let Some(t) = &token {
            args["page_token"] = json!(t);
        }
        let page = ok(&client, "google_chat_list_members", args).await;
        assert!(page["count"].as_u64().unwrap() <= 3);
        for u in users(&page, "members") {
            assert!(seen.insert(u));
        }
        token = page["next_page_token"].as_str().map(str::to_owned);
    }
    assert!(token.is_none());
    assert_eq!(seen, users(&all, "members"));

    let outsider = tool_error(
        &client,
        "google_chat_list_members",
        json!({"space": SALES_LEADERSHIP}),
    )
    .await;
    assert!(outsider.contains("member"), "{outsider}");
    let missing = tool_error(
        &client,
        "google_chat_list_members",
        json!({"space": "AAAAzzzzzzz"}),
    )
    .await;
    assert!(missing.contains("not found"), "{missing}");
    knobs.clear_request_log();
    let e = tool_error(
        &client,
        "google_chat_list_members",
        json!({"space": ENGINEERING, "limit": 0}),
    )
    .await;
    assert!(e.contains("`limit`"), "{e}");
    assert!(requests(&world).is_empty());

    // A sign-in without any memberships scope is told what to grant before any request.
    let reduced = without("chat.memberships");
    resign(&world, &reduced, &reduced).await;
    knobs.clear_request_log();
    let e = tool_error(
        &client,
        "google_chat_list_members",
        json!({"space": ENGINEERING}),
    )
    .await;
    assert!(
        e.contains("chat.memberships") && e.contains("chatkey login"),
        "{e}"
    );
    assert!(!requests(&world).iter().any(|r| r.contains("/members")));
}

#[tokio::test]
async fn manage_members_reports_each_user_and_changes_only_what_it_says() {
    let (world, client) = world().await;
    let knobs = world.emulator.knobs();
    let tools = client.list_all_tools().await.unwrap();
    let manage = tools
        .iter()
        .find(|t| t.name == "google_chat_manage_members")
        .unwrap();
    let hints = manage.annotations.as_ref().unwrap();
    assert_eq!(hints.read_only_hint, Some(false));
    assert_eq!(hints.destructive_hint, Some(true));

    let added = ok(
        &client,
        "google_chat_manage_members",
        json!({"space": INCIDENTS, "action": "add", "users": [
            "sofia.lindqvist@example.com", format!("users/{TOMAS}"), format!("users/{PRIYA}"),
            "ghost@example.com", format!("users/{TOMAS}")
        ]}),
    )
    .await;
    let results = added["results"].as_array().unwrap();
    assert_eq!(results.len(), 4, "duplicates are done once: {added}");
    let status = |i: usize| results[i]["status"].as_str().unwrap().to_owned();
    assert_eq!(
        (status(0), status(1), status(2), status(3)),
        (
            "added".into(),
            "added".into(),
            "already_member".into(),
            "failed".into()
        )
    );
    assert_eq!(results[0]["display_name"], "Sofia Lindqvist");
    assert!(results[3]["error"].as_str().unwrap().contains("not found"));
    assert_eq!(
        (added["succeeded"].clone(), added["failed"].clone()),
        (json!(3), json!(1))
    );
    let now = ok(
        &client,
        "google_chat_list_members",
        json!({"space": INCIDENTS}),
    )
    .await;
    let in_incidents = users(&now, "members");
    for id in [SOFIA, TOMAS, PRIYA, ALEX, MARCUS, DANIEL, YUKI] {
        assert!(in_incidents.contains(&format!("users/{id}")), "{id}");
    }
    assert_eq!(in_incidents.len(), 7);

    // Alex is a plain member of Incidents: removing someone else is refused, per user.
    let refused = ok(
        &client,
        "google_chat_manage_members",
        json!({"space": INCIDENTS, "action": "remove", "users": [format!("users/{SOFIA}"), "ghost@example.com"]}),
    )
    .await;
    assert_eq!(refused["results"][0]["status"], "failed");
    assert!(
        refused["results"][0]["error"]
            .as_str()
            .unwrap()
            .contains("manager"),
        "{refused}"
    );
    assert_eq!(refused["results"][1]["status"], "not_a_member");
    // One user, one reason: the call itself fails.
    let alone = tool_error(
        &client,
        "google_chat_manage_members",
        json!({"space": INCIDENTS, "action": "remove", "users": [format!("users/{SOFIA}")]}),
    )
    .await;
    assert!(alone.contains("only a manager"), "{alone}");
    let still = ok(
        &client,
        "google_chat_list_members",
        json!({"space": INCIDENTS}),
    )
    .await;
    assert!(users(&still, "members").contains(&format!("users/{SOFIA}")));

    // Alex manages Engineering: removal works, and a non-member is reported as such.
    let removed = ok(
        &client,
        "google_chat_manage_members",
        json!({"space": ENGINEERING, "action": "remove", "users": ["yuki.tanaka@example.com", "ghost@example.com"]}),
    )
    .await;
    assert_eq!(removed["results"][0]["status"], "removed");
    assert_eq!(
        removed["results"][0]["membership"],
        format!("spaces/{ENGINEERING}/members/{YUKI}")
    );
    assert_eq!(removed["results"][1]["status"], "not_a_member");
    let eng = ok(
        &client,
        "google_chat_list_members",
        json!({"space": ENGINEERING}),
    )
    .await;
    assert!(!users(&eng, "members").contains(&format!("users/{YUKI}")));
    assert_eq!(eng["count"], 7);

    let dm = tool_error(
        &client,
        "google_chat_manage_members",
        json!({"space": DM_ALEX_PRIYA, "action": "add", "users": ["sofia.lindqvist@example.com"]}),
    )
    .await;
    assert!(dm.contains("direct message"), "{dm}");
    let outsider = tool_error(
        &client,
        "google_chat_manage_members",
        json!({"space": SALES_LEADERSHIP, "action": "add", "users": [format!("users/{ALEX}")]}),
    )
    .await;
    assert!(outsider.contains("member"), "{outsider}");

    // Bad input changes nothing: one bad user among good ones stops the whole call.
    knobs.clear_request_log();
    for args in [
        json!({"space": ENGINEERING, "action": "add", "users": [format!("users/{YUKI}"), "yuki"]}),
        json!({"space": ENGINEERING, "action": "add", "users": []}),
        json!({"space": ENGINEERING, "action": "kick", "users": [format!("users/{YUKI}")]}),
    ] {
        let e = tool_error(&client, "google_chat_manage_members", args.clone()).await;
        assert!(e.contains("invalid"), "{args}: {e}");
    }
    let e = tool_error(
        &client,
        "google_chat_manage_members",
        json!({"space": ENGINEERING, "action": "add", "users": ["yuki"]}),
    )
    .await;
    assert!(e.contains("`users[0]`"), "{e}");
    assert!(requests(&world).is_empty(), "{:?}", requests(&world));

    // A sign-in that holds only the read-only memberships scope cannot manage members.
    let mut reduced = without("chat.memberships");
    reduced.push("https://www.googleapis.com/auth/chat.memberships.readonly");
    resign(&world, &reduced, &reduced).await;
    knobs.clear_request_log();
    let e = tool_error(
        &client,
        "google_chat_manage_members",
        json!({"space": ENGINEERING, "action": "add", "users": [format!("users/{YUKI}")]}),
    )
    .await;
    assert!(
        e.contains("chat.memberships") && e.contains("chatkey login"),
        "{e}"
    );
    assert!(
        requests(&world)
            .iter()
            .all(|r| r.starts_with("POST /token")),
        "{:?}",
        requests(&world)
    );
    // Listing still works on the read-only scope.
    ok(
        &client,
        "google_chat_list_members",
        json!({"space": ENGINEERING}),
    )
    .await;
}

#[tokio::test]
async fn manage_members_when_google_refuses_the_token_scope() {
    let (world, client) = world().await;
    // The record claims every scope but the token lacks memberships: Google's 403 is mapped
    // and, being the same for every user, fails the call as a whole.
    resign(&world, &without("chat.memberships"), FULL_SCOPES).await;
    world.emulator.knobs().clear_request_log();
    let e = tool_error(
        &client,
        "google_chat_manage_members",
        json!({"space": INCIDENTS, "action": "add", "users": [format!("users/{SOFIA}"), format!("users/{HANNAH}")]}),
    )
    .await;
    assert!(e.contains("chatkey login"), "{e}");
    assert!(
        !requests(&world)
            .iter()
            .any(|r| r.starts_with("POST /v1/spaces"))
    );
    let members = tool_error(
        &client,
        "google_chat_list_members",
        json!({"space": INCIDENTS}),
    )
    .await;
    assert!(members.contains("permission"), "{members}");
}
