//! The Web API over real HTTP, part two: reactions, people, search, scopes per conversation
//! type, how tokens and bodies may be sent, and the router merged with another emulator's.

use chatkey::providers::slack::emulator::data;
use serde_json::{Value, json};

use super::support::*;

#[tokio::test]
async fn slack_reactions() {
    let h = start().await;
    let api = Api::new(&h).await;
    let ts = h.knobs().seed_refs().unread_mention_ts;
    let item = |name: &'static str| {
        vec![
            ("channel", data::ENG),
            ("timestamp", ts.as_str()),
            ("name", name),
        ]
    };
    assert_eq!(
        api.json(
            "reactions.add",
            json!({"channel": data::ENG, "timestamp": ts, "name": "tada"})
        )
        .await["ok"],
        true
    );
    assert_eq!(
        err(&api.post("reactions.add", &item("tada")).await),
        "already_reacted"
    );
    assert_eq!(
        api.post("reactions.add", &item("thumbsup")).await["ok"],
        true
    );
    assert_eq!(
        err(&api.post("reactions.add", &item(":tada:")).await),
        "invalid_name"
    );
    assert_eq!(
        err(&api
            .post("reactions.add", &item("not_an_emoji_at_all"))
            .await),
        "invalid_name"
    );
    let got = api
        .get(
            "reactions.get",
            &[("channel", data::ENG), ("timestamp", &ts), ("full", "true")],
        )
        .await;
    let names: Vec<&str> = got["message"]["reactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["tada", "+1"],
        "aliases are stored under Slack's name"
    );
    assert_eq!(
        got["message"]["reactions"][0]["users"][0],
        data::PRIMARY_USER
    );
    assert_eq!(
        api.post("reactions.remove", &item("tada")).await["ok"],
        true
    );
    assert_eq!(
        err(&api.post("reactions.remove", &item("tada")).await),
        "no_reaction"
    );
    assert_eq!(
        err(&api.post("reactions.add", &[("name", "tada")]).await),
        "no_item_specified"
    );
    let bad_ts = vec![
        ("channel", data::ENG),
        ("timestamp", "1000000000.000001"),
        ("name", "tada"),
    ];
    assert_eq!(
        err(&api.post("reactions.add", &bad_ts).await),
        "message_not_found"
    );
}

#[tokio::test]
async fn slack_people_and_team() {
    let h = start().await;
    let api = Api::new(&h).await;
    let u = api.get("users.info", &[("user", data::TOMAS)]).await;
    assert_eq!(u["user"]["real_name"], "Tomás García");
    assert_eq!(u["user"]["profile"]["real_name_normalized"], "Tomas Garcia");
    assert_eq!(u["user"]["profile"]["email"], "tomas.garcia@example.com");
    assert_eq!(
        err(&api.get("users.info", &[("user", "U0NOBODY00")]).await),
        "user_not_found"
    );
    let (everyone, sizes) = api.list_all("users.list", &[], "members").await;
    assert_eq!(sizes.len(), 1, "no limit: everyone at once");
    assert!(everyone.iter().any(|m| m["id"] == "USLACKBOT"));
    assert_eq!(
        everyone.iter().find(|m| m["id"] == data::OLIVER).unwrap()["deleted"],
        true
    );
    let (paged, sizes) = api
        .list_all("users.list", &[("limit", "3")], "members")
        .await;
    assert_eq!(paged.len(), everyone.len());
    assert!(sizes.len() > 2);
    let found = api
        .get(
            "users.lookupByEmail",
            &[("email", "Priya.Natarajan@example.com")],
        )
        .await;
    assert_eq!(found["user"]["id"], data::PRIYA);
    assert_eq!(
        err(&api
            .get("users.lookupByEmail", &[("email", "nobody@example.com")])
            .await),
        "users_not_found"
    );
    let me = api.get("users.profile.get", &[]).await;
    assert_eq!(me["profile"]["email"], data::PRIMARY_EMAIL);
    let team = api.get("team.info", &[]).await;
    assert_eq!(
        (team["team"]["domain"].clone(), team["team"]["id"].clone()),
        (json!("acme"), json!(data::TEAM.id))
    );

    // Without users:read.email no email is shown, and lookupByEmail needs it.
    let narrow = h
        .knobs()
        .mint_tokens(data::PRIMARY_USER, &["users:read"])
        .unwrap();
    let narrow = Api::with_token(&h, &narrow.access_token);
    assert!(
        narrow.get("users.info", &[("user", data::TOMAS)]).await["user"]["profile"]
            .get("email")
            .is_none()
    );
    let needs = narrow
        .get("users.lookupByEmail", &[("email", data::PRIMARY_EMAIL)])
        .await;
    assert_eq!(
        (err(&needs), needs["needed"].as_str()),
        ("missing_scope", Some("users:read.email"))
    );
}

#[tokio::test]
async fn slack_scopes_follow_the_conversation_type() {
    let h = start().await;
    let t = h
        .knobs()
        .mint_tokens(
            data::PRIMARY_USER,
            &["channels:history", "channels:read", "chat:write"],
        )
        .unwrap();
    let api = Api::with_token(&h, &t.access_token);
    assert_eq!(
        api.get("conversations.history", &[("channel", data::ENG)])
            .await["ok"],
        true
    );
    for (channel, needed) in [
        (data::LEADERSHIP, "groups:history"),
        (data::DM_ALEX_PRIYA, "im:history"),
        (data::MPIM_LAUNCH, "mpim:history"),
    ] {
        let body = api
            .get("conversations.history", &[("channel", channel)])
            .await;
        assert_eq!(
            (err(&body), body["needed"].as_str()),
            ("missing_scope", Some(needed)),
            "{channel}"
        );
        assert_eq!(
            body["provided"],
            "channels:history,channels:read,chat:write"
        );
    }
    let list = api
        .get("conversations.list", &[("types", "public_channel,im")])
        .await;
    assert_eq!(list["needed"], "im:read");
    assert_eq!(
        err(&api.get("conversations.list", &[("types", "dm")]).await),
        "invalid_types"
    );
    assert_eq!(
        err(&api
            .post(
                "reactions.add",
                &[
                    ("channel", data::ENG),
                    ("timestamp", "1.1"),
                    ("name", "tada")
                ]
            )
            .await),
        "missing_scope"
    );
    assert_eq!(
        api.get("search.messages", &[("query", "deploy")]).await["needed"],
        "search:read"
    );
}

#[tokio::test]
async fn slack_token_may_come_as_a_form_argument_but_not_in_json() {
    let h = start().await;
    let t = sign_in(&h).await;
    let (_, body) = post_form(&h, "auth.test", None, &[("token", &t.access)]).await;
    assert_eq!(body["ok"], true, "{body}");
    let resp = http()
        .get(format!("{}/auth.test?token={}", h.api_url(), t.access))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.json::<Value>().await.unwrap()["ok"], true);
    let resp = http()
        .post(format!("{}/chat.postMessage", h.api_url()))
        .header("content-type", "application/json; charset=utf-8")
        .body(json!({"token": t.access, "channel": data::ENG, "text": "x"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(err(&resp.json::<Value>().await.unwrap()), "not_authed");
}

#[tokio::test]
async fn slack_unknown_methods_and_bad_bodies() {
    let h = start().await;
    log_off(&h);
    let api = Api::new(&h).await;
    let (status, body) = api.post_status("chat.postMessag", &[]).await;
    assert_eq!((status, err(&body)), (404, "unknown_method"));
    let resp = http()
        .post(format!("{}/chat.postMessage", h.api_url()))
        .bearer_auth(&api.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(err(&resp.json::<Value>().await.unwrap()), "invalid_json");
    let resp = http()
        .post(format!("{}/conversations.history", h.api_url()))
        .bearer_auth(&api.token)
        .header("content-type", "application/xml")
        .body("<x/>")
        .send()
        .await
        .unwrap();
    assert_eq!(
        err(&resp.json::<Value>().await.unwrap()),
        "invalid_post_type"
    );
    // conversations.history takes no JSON: the body is ignored, so the channel is missing.
    let body = api
        .json("conversations.history", json!({"channel": data::ENG}))
        .await;
    assert_eq!(err(&body), "invalid_arguments");
    assert_eq!(
        body["response_metadata"]["messages"][0],
        "[ERROR] missing required field: channel"
    );
}

#[tokio::test]
async fn slack_search_messages() {
    let h = start().await;
    let api = Api::new(&h).await;
    let refs = h.knobs().seed_refs();
    let r = api
        .get(
            "search.messages",
            &[
                ("query", "go/no-go in:#eng from:@priya.natarajan"),
                ("highlight", "true"),
            ],
        )
        .await;
    assert_eq!(r["ok"], true, "{r}");
    let matches = r["messages"]["matches"].as_array().unwrap();
    assert_eq!(matches.len(), 1, "{r}");
    assert_eq!(matches[0]["ts"], refs.release_thread_ts.as_str());
    assert_eq!(matches[0]["channel"]["name"], "eng");
    assert_eq!(matches[0]["username"], "priya.natarajan");
    assert!(
        matches[0]["text"]
            .as_str()
            .unwrap()
            .contains("\u{e000}go\u{e001}/\u{e000}no\u{e001}")
    );
    let mention = api
        .get("search.messages", &[("query", "@alex.rivera approve")])
        .await;
    assert!(
        mention["messages"]["matches"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["ts"] == refs.unread_mention_ts.as_str())
    );
    // Nothing from a conversation the caller cannot see.
    let all = api
        .get("search.messages", &[("query", "the"), ("count", "100")])
        .await;
    assert!(
        all["messages"]["matches"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["channel"]["id"] != data::SALES_DEALS
                && m["channel"]["id"] != data::DM_PRIYA_SOFIA)
    );
    // Page-based paging covers the results once.
    let first = api
        .get(
            "search.messages",
            &[("query", "the"), ("count", "7"), ("sort", "timestamp")],
        )
        .await;
    let total = first["messages"]["total"].as_u64().unwrap() as usize;
    let pages = first["messages"]["paging"]["pages"].as_u64().unwrap();
    assert_eq!(first["messages"]["pagination"]["per_page"], 7);
    let mut seen = Vec::new();
    for page in 1..=pages {
        let p = api
            .get(
                "search.messages",
                &[
                    ("query", "the"),
                    ("count", "7"),
                    ("sort", "timestamp"),
                    ("page", &page.to_string()),
                ],
            )
            .await;
        for m in p["messages"]["matches"].as_array().unwrap() {
            seen.push(format!("{}/{}", m["channel"]["id"], m["ts"]));
        }
    }
    assert_eq!(seen.len(), total);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), total, "no match twice");
    let dated = api
        .get("search.messages", &[("query", "before:2000-01-01")])
        .await;
    assert_eq!(dated["messages"]["total"], 0);
}

#[tokio::test]
async fn slack_router_merges_with_another_emulators_fallback() {
    use chatkey::providers::slack::emulator::{EmulatorConfig, SlackEmulator};
    // The Google emulator's router answers everything through a fallback; Slack's explicit
    // routes must win over it in one merged server.
    let slack = SlackEmulator::new(&EmulatorConfig {
        auto_consent: true,
        ..EmulatorConfig::default()
    })
    .unwrap();
    slack.knobs().set_request_log_file(None).unwrap();
    let other = axum::Router::new().fallback(|| async { "other emulator" });
    let app = other.merge(slack.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let token = slack
        .knobs()
        .mint_tokens(data::PRIMARY_USER, &["chat:write"])
        .unwrap()
        .access_token;
    let resp = http()
        .post(format!("{base}/api/auth.test"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.json::<Value>().await.unwrap()["user_id"],
        data::PRIMARY_USER
    );
    let resp = http()
        .get(format!("{base}/v1/spaces"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), "other emulator");
    let admin = http()
        .get(format!("{base}/_emulator/slack/knobs"))
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), 200);
    let toml = slack.config_toml(&url::Url::parse(&base).unwrap());
    assert!(
        toml.contains(&format!("api_url = \"{base}/api\"")),
        "{toml}"
    );
}
