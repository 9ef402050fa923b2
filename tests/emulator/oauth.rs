//! The authorization endpoint against Google's documented behaviour: the consent page's Allow
//! and Deny paths, error pages, account choice and the userinfo endpoints.

use chatkey::providers::google_chat::emulator::{EmulatorConfig, data};
use serde_json::json;

use super::support::*;

fn consent_id(html: &str) -> String {
    let marker = "name=\"consent_id\" value=\"";
    let start = html.find(marker).expect("consent id field") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

#[tokio::test]
async fn consent_page_allow_issues_a_working_code() {
    let h = start_with(EmulatorConfig::default()).await;
    let (verifier, challenge) = pkce();
    let resp = http()
        .get(auth_url(&h, &challenge, &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("chatkey wants access to your Google Account"),
        "{html}"
    );
    assert!(html.contains(data::PRIMARY_EMAIL) && html.contains("Alex Rivera"));
    assert!(html.contains("See, compose, send, update, and delete messages"));
    assert!(html.contains("value=\"allow\"") && html.contains("value=\"deny\""));
    let id = consent_id(&html);
    let form = [("consent_id", id.as_str()), ("decision", "allow")];
    let resp = http()
        .post(url(&h, "/signin/oauth/consent"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let q = location(&resp);
    assert_eq!(q["state"], "st-123");
    assert!(q["code"].starts_with("4/0A"));
    let (status, body) = token(
        &h,
        &[
            ("grant_type", "authorization_code"),
            ("code", &q["code"]),
            ("redirect_uri", REDIRECT),
            ("client_id", h.client_id()),
            ("client_secret", h.client_secret()),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].as_str().unwrap().starts_with("ya29."));
    assert!(body["refresh_token"].as_str().unwrap().starts_with("1//"));
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert!(
        body["scope"]
            .as_str()
            .unwrap()
            .contains("https://www.googleapis.com/auth/userinfo.email")
    );
    // The consent request is single-use.
    let again = http()
        .post(url(&h, "/signin/oauth/consent"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 400);
    h.shutdown().await;
}

#[tokio::test]
async fn consent_page_deny_redirects_access_denied() {
    let h = start_with(EmulatorConfig::default()).await;
    let (_, challenge) = pkce();
    let html = http()
        .get(auth_url(&h, &challenge, &[]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let id = consent_id(&html);
    let resp = http()
        .post(url(&h, "/signin/oauth/consent"))
        .form(&[("consent_id", id.as_str()), ("decision", "deny")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let q = location(&resp);
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "st-123");
    assert!(!q.contains_key("code"));
}

#[tokio::test]
async fn authorization_request_errors_are_pages_not_redirects() {
    let h = start().await;
    let (_, challenge) = pkce();
    // (parameter overrides, status, text the page must show)
    type Case<'a> = (&'a [(&'a str, &'a str)], u16, &'a str);
    let cases: &[Case] = &[
        (
            &[("client_id", "someone-else.apps.googleusercontent.com")],
            401,
            "Error 401: invalid_client",
        ),
        (
            &[("redirect_uri", "https://evil.example/cb")],
            400,
            "redirect_uri_mismatch",
        ),
        (
            &[("code_challenge_method", "plain")],
            400,
            "invalid_request",
        ),
        (&[("code_challenge_method", "")], 400, "invalid_request"),
        (&[("code_challenge", "")], 400, "code_challenge"),
        (&[("scope", "")], 400, "scope"),
        (
            &[("scope", "openid https://www.googleapis.com/auth/chat.bot")],
            400,
            "invalid_scope",
        ),
        (
            &[("response_type", "token")],
            400,
            "unsupported_response_type",
        ),
    ];
    for (extra, status, needle) in cases {
        let resp = http()
            .get(auth_url(&h, &challenge, extra))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), *status, "{extra:?}");
        assert!(
            resp.headers().get("location").is_none(),
            "{extra:?} redirected"
        );
        let html = resp.text().await.unwrap();
        assert!(html.contains(needle), "{extra:?}: {html}");
    }
    // localhost and an IPv6 loopback are fine for a Desktop client.
    for redirect in ["http://localhost:8080/", "http://[::1]:9/cb"] {
        let resp = http()
            .get(auth_url(&h, &challenge, &[("redirect_uri", redirect)]))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 302, "{redirect}");
    }
}

#[tokio::test]
async fn login_hint_and_consent_user_knob_choose_the_account() {
    let h = start().await;
    let t = sign_in(&h, &[("login_hint", "priya.natarajan@example.com")]).await;
    let (_, me) = Api::with_token(&h, &t.access).get("/v1/userinfo").await;
    assert_eq!(me["email"], "priya.natarajan@example.com");
    h.knobs()
        .set_consent_user(Some("marcus.chen@example.com"))
        .unwrap();
    let t = sign_in(&h, &[("login_hint", "priya.natarajan@example.com")]).await;
    let (_, me) = Api::with_token(&h, &t.access).get("/v1/userinfo").await;
    assert_eq!(me["email"], "marcus.chen@example.com");
    assert!(
        h.knobs()
            .set_consent_user(Some("nobody@example.com"))
            .is_err()
    );
}

#[tokio::test]
async fn userinfo_endpoints() {
    let h = start().await;
    let api = Api::new(&h).await;
    let (s, oidc) = api.get("/v1/userinfo").await;
    assert_eq!(s, 200);
    assert_eq!(oidc["sub"], data::PRIMARY_USER);
    assert_eq!(oidc["email"], data::PRIMARY_EMAIL);
    assert_eq!(oidc["email_verified"], true);
    assert_eq!(oidc["name"], "Alex Rivera");
    assert_eq!(oidc["given_name"], "Alex");
    assert_eq!(oidc["family_name"], "Rivera");
    assert!(oidc["picture"].as_str().unwrap().starts_with("https://"));
    let (s, v2) = api.get("/oauth2/v2/userinfo").await;
    assert_eq!(s, 200);
    assert_eq!(v2["id"], data::PRIMARY_USER);
    assert_eq!(v2["verified_email"], true);
    let (s, b) = Api::with_token(&h, "nope").get("/v1/userinfo").await;
    assert_eq!(
        (s, b),
        (
            401,
            json!({"error": "invalid_request", "error_description": "Invalid Credentials"})
        )
    );
}
