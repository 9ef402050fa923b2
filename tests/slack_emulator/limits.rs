//! Rate tiers (429 with Retry-After), injected failures and latency, the Marketplace rule,
//! bulk data, and the knobs over HTTP.

use std::time::{Duration, Instant};

use chatkey::providers::slack::emulator::{self, EmulatorConfig, FailureSpec, Tier, data};
use serde_json::{Value, json};

use super::support::*;

#[tokio::test]
async fn slack_rate_tiers_answer_429_with_retry_after() {
    let h = start().await;
    let api = Api::new(&h).await;
    assert_eq!(emulator::method_tier("conversations.list"), Some(Tier::T2));
    assert_eq!(
        emulator::method_tier("conversations.history"),
        Some(Tier::T3)
    );
    assert_eq!(emulator::method_tier("users.info"), Some(Tier::T4));
    // Off by default: no limit however often.
    for _ in 0..30 {
        assert_eq!(api.post("conversations.list", &[]).await["ok"], true);
    }
    // Tier 2 at a twentieth: one request a minute.
    h.knobs().set_rate_limit_scale(Some(0.05));
    assert_eq!(api.post("conversations.list", &[]).await["ok"], true);
    let (status, body) = api.post_status("conversations.list", &[]).await;
    assert_eq!((status, err(&body)), (429, "ratelimited"));
    let resp = http()
        .post(format!("{}/conversations.list", h.api_url()))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Limits are per method: another method still answers.
    assert_eq!(
        api.post("users.info", &[("user", data::PRIYA)]).await["ok"],
        true
    );
    // chat.postMessage is limited per channel.
    h.knobs().set_rate_limit_scale(Some(0.2));
    assert_eq!(
        api.post("chat.postMessage", &[("channel", data::ENG), ("text", "a")])
            .await["ok"],
        true
    );
    assert_eq!(
        err(&api
            .post("chat.postMessage", &[("channel", data::ENG), ("text", "b")])
            .await),
        "ratelimited"
    );
    assert_eq!(
        api.post(
            "chat.postMessage",
            &[("channel", data::RANDOM), ("text", "c")]
        )
        .await["ok"],
        true
    );
    h.knobs().set_rate_limit_scale(None);
    assert_eq!(api.post("conversations.list", &[]).await["ok"], true);
}

#[tokio::test]
async fn slack_injected_failures_and_latency() {
    let h = start().await;
    let api = Api::new(&h).await;
    let k = h.knobs();
    k.fail_next(FailureSpec {
        method: Some("chat.postMessage".into()),
        status: 429,
        error: None,
        retry_after: Some(7),
        count: 1,
    });
    let resp = http()
        .post(format!("{}/chat.postMessage", h.api_url()))
        .bearer_auth(&api.token)
        .form(&[("channel", data::ENG), ("text", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "7");
    assert_eq!(err(&resp.json::<Value>().await.unwrap()), "ratelimited");
    k.fail_next(FailureSpec {
        method: None,
        status: 503,
        error: None,
        retry_after: None,
        count: 1,
    });
    let (status, body) = api.post_status("auth.test", &[]).await;
    assert_eq!((status, err(&body)), (503, "service_unavailable"));
    k.fail_next(FailureSpec {
        method: Some("conversations.history".into()),
        status: 200,
        error: Some("fatal_error".into()),
        retry_after: None,
        count: 2,
    });
    assert_eq!(
        api.post("auth.test", &[]).await["ok"],
        true,
        "other methods unaffected"
    );
    assert_eq!(
        err(&api
            .post("conversations.history", &[("channel", data::ENG)])
            .await),
        "fatal_error"
    );
    assert_eq!(
        err(&api
            .post("conversations.history", &[("channel", data::ENG)])
            .await),
        "fatal_error"
    );
    assert_eq!(
        api.post("conversations.history", &[("channel", data::ENG)])
            .await["ok"],
        true,
        "count spent"
    );
    k.set_method_latency("users.info", Duration::from_millis(200));
    let t = Instant::now();
    api.post("users.info", &[("user", data::PRIYA)]).await;
    assert!(t.elapsed() >= Duration::from_millis(200));
    assert!(k.calls_of("conversations.history") >= 3);
}

#[tokio::test]
async fn slack_marketplace_restricted_apps_get_tier_1_and_15_messages() {
    let h = start_with(EmulatorConfig {
        auto_consent: true,
        rate_limit_scale: Some(1.0),
        ..EmulatorConfig::default()
    })
    .await;
    let api = Api::new(&h).await;
    h.knobs().set_marketplace_restricted(true);
    let page = api
        .get(
            "conversations.history",
            &[("channel", data::ENG), ("limit", "200")],
        )
        .await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 15);
    assert_eq!(page["has_more"], true);
    let second = api
        .get("conversations.history", &[("channel", data::ENG)])
        .await;
    assert_eq!(err(&second), "ratelimited", "Tier 1: one a minute");
}

#[tokio::test]
async fn slack_bulk_channels_for_benchmarks() {
    let h = start().await;
    let api = Api::new(&h).await;
    let ids = h.knobs().add_bulk_channels(3, 1000).unwrap();
    assert_eq!(ids.len(), 3);
    let (messages, _) = api
        .list_all(
            "conversations.history",
            &[("channel", &ids[0]), ("limit", "999")],
            "messages",
        )
        .await;
    assert!(
        messages.len() > 600,
        "top-level messages: {}",
        messages.len()
    );
    let sender = messages[0]["user"].as_str().unwrap();
    assert_eq!(api.get("users.info", &[("user", sender)]).await["ok"], true);
    let found = api
        .get(
            "search.messages",
            &[("query", &format!("in:#bulk-000 from:<@{sender}>"))],
        )
        .await;
    assert!(found["messages"]["total"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn slack_knobs_over_http() {
    let h = start().await;
    let admin = |path: &str| format!("{}_emulator/slack{path}", h.base_url());
    let index: Value = http()
        .get(admin(""))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(index["endpoints"].as_array().unwrap().len() > 15);
    assert_eq!(index["seed"]["team"]["domain"], "acme");
    assert_eq!(
        index["seed"]["refs"]["file_id"],
        h.knobs().seed_refs().file_id.as_str()
    );
    let post = |path: &'static str, body: Value| {
        let url = admin(path);
        async move { http().post(url).json(&body).send().await.unwrap() }
    };
    let minted: Value = post(
        "/mint-tokens",
        json!({"user": "priya.natarajan@example.com", "scopes": ["chat:write"]}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(minted["user_id"], data::PRIYA);
    let teammate = Api::with_token(&h, minted["access_token"].as_str().unwrap());
    let said = teammate
        .post(
            "chat.postMessage",
            &[("channel", data::DM_ALEX_PRIYA), ("text", "ping")],
        )
        .await;
    assert_eq!(said["message"]["user"], data::PRIYA);
    assert_eq!(
        post("/rate-limits", json!({"scale": 0.05})).await.status(),
        200
    );
    assert_eq!(h.knobs().settings().rate_limit_scale, Some(0.05));
    assert_eq!(
        post("/rate-limits", json!({"scale": -1})).await.status(),
        400
    );
    assert_eq!(
        post("/failures", json!({"status": 200})).await.status(),
        400,
        "an ok:false failure needs its error"
    );
    assert_eq!(post("/app", json!({"pkce": false})).await.status(), 200);
    assert!(h.config_toml().contains("client_secret"));
    assert_eq!(
        post("/token-lifetime", json!({"seconds": 5}))
            .await
            .status(),
        200
    );
    assert_eq!(h.knobs().settings().access_token_lifetime_secs, 5.0);
    assert_eq!(post("/reset", json!({})).await.status(), 200);
    assert_eq!(h.knobs().settings().rate_limit_scale, None);
    assert!(h.knobs().app().pkce);
    let log: Value = http()
        .get(admin("/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(log.as_array().unwrap().is_empty(), "reset cleared the log");
    let nothing = http().get(admin("/nope")).send().await.unwrap();
    assert_eq!(nothing.status(), 404);
}
