//! The token and revocation endpoints: Google's error bodies, client authentication,
//! refresh, revocation (endpoint and knob), expiry, scopes and refresh-token rotation.

use std::time::Duration;

use chatkey::providers::google_chat::emulator::{EmulatorConfig, data};
use serde_json::json;

use super::support::*;

#[tokio::test]
async fn token_endpoint_errors_match_google() {
    let h = start().await;
    let (verifier, challenge) = pkce();
    let code = || async {
        let resp = http()
            .get(auth_url(&h, &challenge, &[]))
            .send()
            .await
            .unwrap();
        location(&resp)["code"].clone()
    };
    let id = h.client_id().to_string();
    let secret = h.client_secret().to_string();
    let c = code().await;
    let base = |code: &str| {
        vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", code.to_string()),
            ("redirect_uri", REDIRECT.to_string()),
            ("client_id", id.clone()),
            ("code_verifier", verifier.clone()),
        ]
    };
    let send = |form: Vec<(&'static str, String)>| {
        let h = &h;
        async move {
            let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            token(h, &f).await
        }
    };
    let (s, b) = send(base(&c)).await;
    assert_eq!(
        (s, b),
        (
            400,
            json!({"error": "invalid_request", "error_description": "client_secret is missing."})
        )
    );
    let mut wrong = base(&c);
    wrong.push(("client_secret", "nope".into()));
    assert_eq!(
        send(wrong).await,
        (
            401,
            json!({"error": "invalid_client", "error_description": "Unauthorized"})
        )
    );
    let mut bad_type = base(&c);
    bad_type[0].1 = "password".into();
    bad_type.push(("client_secret", secret.clone()));
    assert_eq!(
        send(bad_type).await,
        (
            400,
            json!({"error": "unsupported_grant_type", "error_description": "Invalid grant_type: password"})
        )
    );
    // PKCE mismatch spends the code.
    let mut mismatch = base(&c);
    mismatch[4].1 = "x".repeat(50);
    mismatch.push(("client_secret", secret.clone()));
    assert_eq!(
        send(mismatch).await,
        (
            400,
            json!({"error": "invalid_grant", "error_description": "Invalid code verifier."})
        )
    );
    let mut spent = base(&c);
    spent.push(("client_secret", secret.clone()));
    assert_eq!(
        send(spent).await,
        (
            400,
            json!({"error": "invalid_grant", "error_description": "Bad Request"})
        )
    );
    // A fresh code with the wrong redirect_uri.
    let c2 = code().await;
    let mut redirect = base(&c2);
    redirect[2].1 = "http://127.0.0.1:1/other".into();
    redirect.push(("client_secret", secret.clone()));
    assert_eq!(send(redirect).await.1["error"], "redirect_uri_mismatch");
    // A good exchange works once, then the code is used up.
    let c3 = code().await;
    let mut good = base(&c3);
    good.push(("client_secret", secret.clone()));
    assert_eq!(send(good.clone()).await.0, 200);
    assert_eq!(send(good).await.1["error_description"], "Bad Request");
    assert_eq!(h.knobs().token_grants("authorization_code"), 7);
}

#[tokio::test]
async fn client_credentials_in_basic_auth_are_accepted() {
    let h = start().await;
    let (verifier, challenge) = pkce();
    let resp = http()
        .get(auth_url(&h, &challenge, &[]))
        .send()
        .await
        .unwrap();
    let code = location(&resp)["code"].clone();
    let resp = http()
        .post(url(&h, "/token"))
        .basic_auth(h.client_id(), Some(h.client_secret()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["cache-control"],
        "no-cache, no-store, max-age=0, must-revalidate"
    );
}

#[tokio::test]
async fn refresh_then_revoke() {
    let h = start().await;
    let t = sign_in(&h, &[]).await;
    let refresh = t.refresh.clone().expect("offline gives a refresh token");
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
        ("client_id", h.client_id()),
        ("client_secret", h.client_secret()),
    ];
    let (s, b) = token(&h, &form).await;
    assert_eq!(s, 200, "{b}");
    assert!(
        b.get("refresh_token").is_none(),
        "Google does not rotate: {b}"
    );
    assert_eq!(b["scope"], t.body["scope"]);
    let fresh = b["access_token"].as_str().unwrap().to_string();
    assert_eq!(Api::with_token(&h, &fresh).get("/v1/spaces").await.0, 200);
    assert_eq!(h.knobs().token_grants("refresh_token"), 1);
    // Revoking the refresh token ends the grant: its access tokens die too.
    let resp = http()
        .post(url(&h, "/revoke"))
        .form(&[("token", refresh.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<serde_json::Value>().await.unwrap(), json!({}));
    assert_eq!(
        token(&h, &form).await,
        (
            400,
            json!({"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
        )
    );
    assert_eq!(Api::with_token(&h, &fresh).get("/v1/spaces").await.0, 401);
    let resp = http()
        .post(url(&h, "/revoke?token=unknown"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap(),
        json!({"error": "invalid_token", "error_description": "Token expired or revoked"})
    );
    assert_eq!(h.knobs().token_grants("refresh_token"), 2);
}

#[tokio::test]
async fn knob_revocation_gives_invalid_grant() {
    let h = start().await;
    let t = sign_in(&h, &[]).await;
    assert_eq!(h.knobs().live_refresh_tokens(Some(data::PRIMARY_EMAIL)), 1);
    assert_eq!(
        h.knobs()
            .revoke_refresh_tokens(Some(data::PRIMARY_EMAIL))
            .unwrap(),
        1
    );
    let refresh = t.refresh.unwrap();
    let (s, b) = token(
        &h,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", h.client_id()),
            ("client_secret", h.client_secret()),
        ],
    )
    .await;
    assert_eq!(
        (s, b["error"].as_str(), b["error_description"].as_str()),
        (
            400,
            Some("invalid_grant"),
            Some("Token has been expired or revoked.")
        )
    );
    assert!(
        h.knobs()
            .revoke_refresh_tokens(Some("nobody@example.com"))
            .is_err()
    );
}

#[tokio::test]
async fn expired_access_token_says_access_token_expired() {
    let h = start_with(EmulatorConfig {
        auto_consent: true,
        access_token_lifetime: Duration::from_secs(1),
        ..Default::default()
    })
    .await;
    let t = sign_in(&h, &[]).await;
    assert_eq!(t.body["expires_in"], 1);
    let api = Api::with_token(&h, &t.access);
    assert_eq!(api.get("/v1/spaces").await.0, 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (s, b) = api.get("/v1/spaces").await;
    assert_eq!(s, 401);
    assert_eq!(b["error"]["status"], "UNAUTHENTICATED");
    assert_eq!(reason(&b), "ACCESS_TOKEN_EXPIRED");
    assert_eq!(b["error"]["details"][0]["domain"], "googleapis.com");
    assert_eq!(
        b["error"]["details"][0]["metadata"]["service"],
        "chat.googleapis.com"
    );
    // A refresh brings a working token; the knob can expire it at once.
    h.knobs().set_access_token_lifetime(Duration::from_secs(60));
    let refresh = t.refresh.unwrap();
    let (_, b) = token(
        &h,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", h.client_id()),
            ("client_secret", h.client_secret()),
        ],
    )
    .await;
    assert_eq!(b["expires_in"], 60);
    let api = Api::with_token(&h, b["access_token"].as_str().unwrap());
    assert_eq!(api.get("/v1/spaces").await.0, 200);
    h.knobs().expire_access_tokens();
    assert_eq!(
        reason(&api.get("/v1/spaces").await.1),
        "ACCESS_TOKEN_EXPIRED"
    );
}

#[tokio::test]
async fn missing_and_unknown_tokens_and_scopes() {
    let h = start().await;
    let resp = http().get(url(&h, "/v1/spaces")).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert!(
        resp.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer realm=")
    );
    let b: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(reason(&b), "CREDENTIALS_MISSING");
    let (s, b) = Api::with_token(&h, "ya29.garbage").get("/v1/spaces").await;
    assert_eq!(
        (s, b["error"]["status"].as_str()),
        (401, Some("UNAUTHENTICATED"))
    );
    // A token without Chat scopes is refused per method, by the discovery scope lists.
    let t = sign_in(&h, &[("scope", "openid email")]).await;
    let (s, b) = Api::with_token(&h, &t.access).get("/v1/spaces").await;
    assert_eq!(
        (s, b["error"]["status"].as_str()),
        (403, Some("PERMISSION_DENIED"))
    );
    assert_eq!(reason(&b), "ACCESS_TOKEN_SCOPE_INSUFFICIENT");
    // The token also works as the access_token system parameter.
    let full = sign_in(&h, &[]).await;
    let resp = http()
        .get(url(&h, &format!("/v1/spaces?access_token={}", full.access)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn refresh_tokens_only_for_offline_first_consent() {
    let h = start().await;
    assert!(
        sign_in(&h, &[("access_type", "online")])
            .await
            .refresh
            .is_none()
    );
    assert!(sign_in(&h, &[("prompt", "")]).await.refresh.is_some());
    // Google issues a refresh token again only with prompt=consent.
    assert!(sign_in(&h, &[("prompt", "")]).await.refresh.is_none());
    assert!(
        sign_in(&h, &[("prompt", "consent")])
            .await
            .refresh
            .is_some()
    );
}

#[tokio::test]
async fn rotating_refresh_tokens_retire_after_grace() {
    let h = start().await;
    h.knobs()
        .set_rotating_refresh_tokens(Some(Duration::from_millis(300)));
    let old = sign_in(&h, &[]).await.refresh.unwrap();
    let form = |r: &str| {
        vec![
            ("grant_type", "refresh_token".to_string()),
            ("refresh_token", r.to_string()),
            ("client_id", h.client_id().to_string()),
            ("client_secret", h.client_secret().to_string()),
        ]
    };
    let hr = &h;
    let send = |f: Vec<(&'static str, String)>| async move {
        let f2: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        token(hr, &f2).await
    };
    let (s, b) = send(form(&old)).await;
    assert_eq!(s, 200);
    let new = b["refresh_token"].as_str().expect("rotated").to_string();
    assert_ne!(new, old);
    assert_eq!(
        send(form(&old)).await.0,
        200,
        "old token works during the grace period"
    );
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(
        send(form(&old)).await.1["error_description"],
        "Token has been expired or revoked."
    );
    assert_eq!(send(form(&new)).await.0, 200);
}
