//! Knobs in process and over HTTP: failures, latency, quotas, request log, token minting, and
//! the front end's generic behaviour (unknown paths and parameters, `fields`, `prettyPrint`).

use std::time::{Duration, Instant};

use chatkey::providers::google_chat::emulator::{
    self, EmulatorConfig, FailureSpec, SpaceQuotas, data,
};
use serde_json::{Value, json};

use super::support::*;

#[tokio::test]
async fn injected_failures_use_googles_envelope() {
    let h = start().await;
    let api = Api::new(&h).await;
    let k = h.knobs();
    k.fail_next(FailureSpec {
        status: 429,
        count: 2,
        path_prefix: Some("/v1/spaces".into()),
        retry_after: Some(3),
    });
    let resp = http()
        .get(url(&h, "/v1/spaces"))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "3");
    let b: Value = resp.json().await.unwrap();
    assert_eq!(b["error"]["status"], "RESOURCE_EXHAUSTED");
    assert_eq!(
        api.get("/v1/people/me?personFields=names").await.0,
        200,
        "other paths unaffected"
    );
    assert_eq!(api.get("/v1/spaces").await.0, 429);
    assert_eq!(api.get("/v1/spaces").await.0, 200, "count exhausted");
    k.fail_next(FailureSpec {
        status: 503,
        count: 1,
        path_prefix: None,
        retry_after: None,
    });
    let (s, b) = api.get("/v1/spaces").await;
    assert_eq!(
        (s, b["error"]["status"].as_str()),
        (503, Some("UNAVAILABLE"))
    );
    k.fail_next(FailureSpec {
        status: 500,
        count: 1,
        path_prefix: Some("/token".into()),
        retry_after: None,
    });
    let (s, b) = token(&h, &[("grant_type", "refresh_token")]).await;
    assert_eq!((s, b["error"]["status"].as_str()), (500, Some("INTERNAL")));
    k.fail_next(FailureSpec {
        status: 500,
        count: 5,
        path_prefix: None,
        retry_after: None,
    });
    k.clear_failures();
    assert_eq!(api.get("/v1/spaces").await.0, 200);
}

#[tokio::test]
async fn latency_and_quotas() {
    let h = start().await;
    let api = Api::new(&h).await;
    h.knobs().set_latency(Duration::from_millis(150));
    let t = Instant::now();
    api.get("/v1/spaces").await;
    assert!(t.elapsed() >= Duration::from_millis(150));
    h.knobs().set_latency(Duration::ZERO);
    h.knobs().set_space_quotas(Some(SpaceQuotas {
        reads_per_minute: 3,
        writes_per_minute: 1,
    }));
    let path = format!("/v1/spaces/{}/messages?pageSize=1", data::RANDOM);
    for _ in 0..3 {
        assert_eq!(api.get(&path).await.0, 200);
    }
    let (s, b) = api.get(&path).await;
    assert_eq!(
        (s, b["error"]["status"].as_str()),
        (429, Some("RESOURCE_EXHAUSTED"))
    );
    assert_eq!(reason(&b), "RATE_LIMIT_EXCEEDED");
    assert_eq!(
        api.get(&format!("/v1/spaces/{}", data::ENGINEERING))
            .await
            .0,
        200,
        "quotas are per space"
    );
    let post = format!("/v1/spaces/{}/messages", data::RANDOM);
    assert_eq!(api.post(&post, json!({"text": "one"})).await.0, 200);
    assert_eq!(api.post(&post, json!({"text": "two"})).await.0, 429);
    h.knobs().set_space_quotas(None);
    assert_eq!(api.get(&path).await.0, 200);
}

#[tokio::test]
async fn request_log_never_holds_secrets() {
    let h = start().await;
    let api = Api::new(&h).await;
    h.knobs().clear_request_log();
    api.get(&format!("/v1/spaces?pageSize=2&access_token={}", api.token))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("requests.jsonl");
    h.knobs().set_request_log_file(Some(&file)).unwrap();
    api.get(&format!(
        "/v1/spaces/{}/messages?pageSize=1",
        data::INCIDENTS
    ))
    .await;
    http()
        .post(url(&h, "/revoke"))
        .form(&[("token", "x")])
        .send()
        .await
        .unwrap();
    let log = h.knobs().request_log();
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].method, "GET");
    assert_eq!(log[0].path, "/v1/spaces");
    assert_eq!(
        log[0].query,
        vec![
            ("pageSize".to_string(), "2".to_string()),
            ("access_token".to_string(), "REDACTED".to_string())
        ]
    );
    assert_eq!(log[0].status, 200);
    assert_eq!(log[2].status, 400);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains(&api.token));
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0],
        json!({"method": "GET", "path": format!("/v1/spaces/{}/messages", data::INCIDENTS), "query": [["pageSize", "1"]], "status": 200})
    );
    h.knobs().clear_request_log();
    assert!(h.knobs().request_log().is_empty());
}

#[tokio::test]
async fn admin_endpoints_drive_the_knobs() {
    let h = start().await;
    let c = http();
    let admin = |p: &str| url(&h, p);
    let root: Value = c
        .get(admin("/_emulator"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(root["endpoints"].as_array().unwrap().len() > 10);
    assert_eq!(root["seed"]["users"][0]["email"], data::PRIMARY_EMAIL);
    let resp = c
        .post(admin("/_emulator/failures"))
        .json(&json!({"status": 503, "path_prefix": "/v1/"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let api = Api::new(&h).await;
    assert_eq!(api.get("/v1/spaces").await.0, 503);
    c.post(admin("/_emulator/token-lifetime"))
        .json(&json!({"seconds": 0.5}))
        .send()
        .await
        .unwrap();
    let t = sign_in(&h, &[]).await;
    assert_eq!(t.body["expires_in"], 0);
    let counts: Value = c
        .get(admin("/_emulator/token-grants"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(counts["authorization_code"], 2);
    let revoked: Value = c
        .post(admin("/_emulator/revoke-refresh-tokens"))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(revoked["revoked"], 2);
    let log: Value = c
        .get(admin("/_emulator/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .all(|e| !e["path"].as_str().unwrap().starts_with("/_emulator"))
    );
    let knobs: Value = c
        .post(admin("/_emulator/rotating-refresh-tokens"))
        .json(&json!({"enabled": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(knobs["rotating_refresh_tokens"], true);
    let resp = c
        .post(admin("/_emulator/consent-user"))
        .json(&json!({"user": "nobody@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(
        c.post(admin("/_emulator/latency"))
            .body("{")
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        c.get(admin("/_emulator/nothing"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let reset: Value = c
        .post(admin("/_emulator/reset"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reset["access_token_lifetime_secs"], 3600.0);
    assert_eq!(reset["failures"], json!([]));
}

#[tokio::test]
async fn minted_tokens_and_config() {
    let h = start().await;
    let t = h
        .knobs()
        .mint_tokens(
            "priya.natarajan@example.com",
            &[
                "openid",
                "email",
                "https://www.googleapis.com/auth/chat.spaces.readonly",
            ],
        )
        .unwrap();
    let api = Api::with_token(&h, &t.access_token);
    let (_, me) = api.get("/v1/userinfo").await;
    assert_eq!(me["email"], "priya.natarajan@example.com");
    let (_, spaces) = api.get("/v1/spaces").await;
    assert!(
        spaces["spaces"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == format!("spaces/{}", data::DM_PRIYA_SOFIA))
    );
    let (s, _) = token(
        &h,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &t.refresh_token),
            ("client_id", h.client_id()),
            ("client_secret", h.client_secret()),
        ],
    )
    .await;
    assert_eq!(s, 200);
    assert!(h.knobs().mint_tokens("nobody", &[]).is_err());
    let toml = h.config_toml();
    let base = h.base_url().as_str().trim_end_matches('/').to_string();
    assert!(toml.starts_with("[providers.google-chat]\n"));
    for line in [
        format!("client_id = \"{}\"", emulator::CLIENT_ID),
        format!("client_secret = \"{}\"", emulator::CLIENT_SECRET),
        format!("auth_url = \"{base}/o/oauth2/v2/auth\""),
        format!("token_url = \"{base}/token\""),
        format!("revoke_url = \"{base}/revoke\""),
        format!("userinfo_url = \"{base}/v1/userinfo\""),
        format!("api_url = \"{base}\""),
        format!("people_url = \"{base}\""),
    ] {
        assert!(toml.contains(&line), "{line} missing from {toml}");
    }
    assert!(h.base_url().as_str().starts_with("http://127.0.0.1:"));
    let port = h.base_url().port().unwrap();
    h.shutdown().await;
    assert!(
        http()
            .get(format!("http://127.0.0.1:{port}/v1/spaces"))
            .send()
            .await
            .is_err()
    );
    // A fixed port can be reused after shutdown.
    let again = start_with(EmulatorConfig {
        port,
        ..Default::default()
    })
    .await;
    assert_eq!(again.base_url().port(), Some(port));
}

#[tokio::test]
async fn front_end_behaviour() {
    let h = start().await;
    let api = Api::new(&h).await;
    let resp = http()
        .get(url(&h, "/v1/nothing"))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(resp.text().await.unwrap().contains("That’s an error."));
    let (s, b) = api.get("/v1/spaces?pagesize=2").await;
    assert_eq!(s, 400);
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Cannot bind query parameter")
    );
    assert_eq!(
        b["error"]["details"][0]["@type"],
        "type.googleapis.com/google.rpc.BadRequest"
    );
    let (_, trimmed) = api
        .get("/v1/spaces?pageSize=1&fields=nextPageToken,spaces(name,spaceType)")
        .await;
    let space = trimmed["spaces"][0].as_object().unwrap();
    assert_eq!(space.keys().collect::<Vec<_>>(), ["name", "spaceType"]);
    assert!(trimmed["nextPageToken"].is_string());
    let resp = http()
        .get(url(&h, "/v1/spaces?prettyPrint=false"))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()["content-type"],
        "application/json; charset=UTF-8"
    );
    assert!(!resp.text().await.unwrap().contains('\n'));
    let pretty = http()
        .get(url(&h, "/v1/spaces"))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(pretty.contains("\n  "));
}
