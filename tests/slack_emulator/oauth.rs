//! OAuth v2 for user tokens: the authorize page, PKCE, token rotation, expiry and revocation,
//! with Slack's answer shapes and error codes.

use std::time::Duration;

use chatkey::providers::slack::emulator::{AppSettings, EmulatorConfig, data};
use serde_json::Value;

use super::support::*;

#[tokio::test]
async fn slack_code_exchange_answers_a_user_token_only() {
    let h = start().await;
    let t = sign_in(&h).await;
    let b = &t.body;
    assert_eq!(b["app_id"], "A07CHATKEY1");
    assert_eq!(b["team"]["id"], data::TEAM.id);
    assert_eq!(b["team"]["name"], "Acme");
    assert_eq!(b["is_enterprise_install"], false);
    assert!(b["enterprise"].is_null());
    assert!(
        b.get("access_token").is_none(),
        "no bot token at the top level: {b}"
    );
    let u = &b["authed_user"];
    assert_eq!(u["id"], data::PRIMARY_USER);
    assert_eq!(u["token_type"], "user");
    assert_eq!(u["expires_in"], 43200);
    assert!(
        u["access_token"]
            .as_str()
            .unwrap()
            .starts_with("xoxe.xoxp-1-")
    );
    assert!(u["refresh_token"].as_str().unwrap().starts_with("xoxe-1-"));
    assert!(
        u["scope"]
            .as_str()
            .unwrap()
            .split(',')
            .any(|s| s == "channels:history")
    );
    let who = Api::with_token(&h, &t.access).post("auth.test", &[]).await;
    assert_eq!(who["ok"], true);
    assert_eq!(who["user_id"], data::PRIMARY_USER);
    assert_eq!(who["user"], "alex.rivera");
    assert_eq!(who["team_id"], data::TEAM.id);
    assert_eq!(who["url"], "https://acme.slack.com/");
    assert!(who["expires_in"].as_u64().unwrap() > 43000);
}

#[tokio::test]
async fn slack_authorize_refuses_what_slack_refuses() {
    let h = start().await;
    let (_, challenge) = pkce();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("client_id", "1.2")], "invalid_client_id"),
        // Slack matches redirect URIs exactly: another port is not the registered URL.
        (
            &[("redirect_uri", "http://localhost:9999/callback")],
            "bad_redirect_uri",
        ),
        (
            &[("redirect_uri", "http://127.0.0.1:53682/callback")],
            "bad_redirect_uri",
        ),
        (&[("scope", "chat:write")], "invalid_scope"),
        (
            &[("user_scope", "chat:write,teleport:write")],
            "invalid_scope",
        ),
        (&[("user_scope", "")], "invalid_scope"),
        (
            &[("code_challenge_method", "plain")],
            "invalid_code_challenge_method",
        ),
        (&[("code_challenge", "short")], "invalid_code_challenge"),
    ];
    for (extra, error) in cases {
        let resp = http()
            .get(authorize_url(&h, &challenge, extra))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{extra:?}");
        let page = resp.text().await.unwrap();
        assert!(page.contains(error), "{extra:?}: {page}");
    }
    // No redirect_uri: the first registered one is used, and the exchange must not name one.
    let (verifier, challenge) = pkce();
    let resp = http()
        .get(authorize_url(&h, &challenge, &[("redirect_uri", "")]))
        .send()
        .await
        .unwrap();
    let q = location(&h, &resp);
    let body = access(
        &h,
        &[
            ("client_id", h.client_id()),
            ("code", &q["code"]),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(body["ok"], true, "{body}");
}

#[tokio::test]
async fn slack_consent_page_allow_and_deny() {
    let h = start_with(EmulatorConfig::default()).await;
    for decision in ["deny", "allow"] {
        let (_, challenge) = pkce();
        let resp = http()
            .get(authorize_url(&h, &challenge, &[]))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let page = resp.text().await.unwrap();
        assert!(page.contains("Acme Slack workspace") && page.contains("alex.rivera@example.com"));
        assert!(page.contains("data-scope=\"search:read\""));
        let id = page
            .split("name=\"consent_id\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let resp = http()
            .post(url(&h, "/oauth/v2/authorize/decision"))
            .form(&[("consent_id", id), ("decision", decision)])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 302);
        let q = location(&h, &resp);
        assert_eq!(q["state"], "st-42");
        if decision == "deny" {
            assert_eq!(q["error"], "access_denied");
        } else {
            assert!(q["code"].split('.').count() == 3, "{q:?}");
        }
        // A consent answers once.
        let again = http()
            .post(url(&h, "/oauth/v2/authorize/decision"))
            .form(&[("consent_id", id), ("decision", "allow")])
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 400);
    }
}

async fn code(h: &chatkey::providers::slack::emulator::EmulatorHandle) -> (String, String) {
    let (verifier, challenge) = pkce();
    let resp = http()
        .get(authorize_url(h, &challenge, &[]))
        .send()
        .await
        .unwrap();
    (location(h, &resp)["code"].clone(), verifier)
}

#[tokio::test]
async fn slack_code_exchange_errors() {
    let h = start().await;
    let redirect = h.redirect_uri();
    let id = h.client_id().to_string();
    let (c, v) = code(&h).await;
    let bad = access(
        &h,
        &[
            ("client_id", &id),
            ("code", &c),
            ("redirect_uri", &redirect),
            (
                "code_verifier",
                "not-the-verifier-but-long-enough-to-look-real-0123",
            ),
        ],
    )
    .await;
    assert_eq!(
        (bad["ok"].clone(), err(&bad)),
        (Value::Bool(false), "invalid_grant")
    );
    // The code was spent by the failed attempt.
    let spent = access(
        &h,
        &[("client_id", &id), ("code", &c), ("code_verifier", &v)],
    )
    .await;
    assert_eq!(err(&spent), "invalid_code");
    let (c, v) = code(&h).await;
    assert_eq!(
        err(&access(
            &h,
            &[
                ("client_id", &id),
                ("code", &c),
                ("redirect_uri", &redirect)
            ]
        )
        .await),
        "invalid_grant",
        "PKCE code without verifier"
    );
    let (c, v2) = code(&h).await;
    let wrong_uri = access(
        &h,
        &[
            ("client_id", &id),
            ("code", &c),
            ("code_verifier", &v2),
            ("redirect_uri", "http://localhost:1/x"),
        ],
    )
    .await;
    assert_eq!(err(&wrong_uri), "bad_redirect_uri");
    let (c, v3) = code(&h).await;
    assert_eq!(
        err(&access(
            &h,
            &[("client_id", "9.9"), ("code", &c), ("code_verifier", &v3)]
        )
        .await),
        "invalid_client_id"
    );
    // A public (PKCE) client must not send a secret along with the verifier.
    let mixed = access(
        &h,
        &[
            ("client_id", &id),
            ("client_secret", h.client_secret()),
            ("code", &c),
            ("code_verifier", &v3),
            ("redirect_uri", &redirect),
        ],
    )
    .await;
    assert_eq!(err(&mixed), "internal_error");
    assert_eq!(
        err(&access(
            &h,
            &[("client_id", &id), ("code", "1.2.3"), ("code_verifier", &v)]
        )
        .await),
        "invalid_code"
    );
    assert_eq!(
        err(&access(&h, &[("client_id", &id), ("grant_type", "password")]).await),
        "invalid_grant_type"
    );
}

#[tokio::test]
async fn slack_secret_app_requires_its_secret_by_basic_or_form() {
    let h = start_with(EmulatorConfig {
        auto_consent: true,
        pkce: false,
        ..EmulatorConfig::default()
    })
    .await;
    assert!(
        h.config_toml()
            .contains(&format!("client_secret = \"{}\"", h.client_secret()))
    );
    let id = h.client_id().to_string();
    let (c, v) = code(&h).await;
    assert_eq!(
        err(&access(
            &h,
            &[("client_id", &id), ("code", &c), ("code_verifier", &v)]
        )
        .await),
        "bad_client_secret"
    );
    let (c, v) = code(&h).await;
    assert_eq!(
        err(&access(
            &h,
            &[
                ("client_id", &id),
                ("client_secret", "nope"),
                ("code", &c),
                ("code_verifier", &v)
            ]
        )
        .await),
        "bad_client_secret"
    );
    let (c, v) = code(&h).await;
    let resp = http()
        .post(format!("{}/oauth.v2.access", h.api_url()))
        .basic_auth(&id, Some(h.client_secret()))
        .form(&[
            ("code", c.as_str()),
            ("code_verifier", v.as_str()),
            ("redirect_uri", h.redirect_uri().as_str()),
        ])
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["ok"], true, "{body}");
    let refresh = body["authed_user"]["refresh_token"].as_str().unwrap();
    let body = access(
        &h,
        &[
            ("client_id", &id),
            ("client_secret", h.client_secret()),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
        ],
    )
    .await;
    assert_eq!(body["ok"], true, "{body}");
}

#[tokio::test]
async fn slack_refresh_rotates_and_kills_the_old_refresh_token() {
    let h = start().await;
    let id = h.client_id().to_string();
    let t = sign_in(&h).await;
    let first = t.refresh.unwrap();
    let body = access(
        &h,
        &[
            ("client_id", &id),
            ("grant_type", "refresh_token"),
            ("refresh_token", &first),
        ],
    )
    .await;
    assert_eq!(body["ok"], true, "{body}");
    assert_eq!(body["token_type"], "user");
    assert_eq!(body["expires_in"], 43200);
    let access_token = body["access_token"].as_str().unwrap();
    assert!(access_token.starts_with("xoxe.xoxp-") && access_token != t.access);
    let second = body["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(second, first);
    assert!(body.get("authed_user").is_none());
    assert_eq!(body["team"]["id"], data::TEAM.id);
    let reused = access(
        &h,
        &[
            ("client_id", &id),
            ("grant_type", "refresh_token"),
            ("refresh_token", &first),
        ],
    )
    .await;
    assert_eq!(err(&reused), "invalid_refresh_token");
    // The new access token works; the one it replaced still does until it expires.
    assert_eq!(
        Api::with_token(&h, access_token)
            .post("auth.test", &[])
            .await["ok"],
        true
    );
    assert_eq!(
        Api::with_token(&h, &t.access).post("auth.test", &[]).await["ok"],
        true
    );
    assert_eq!(h.knobs().live_refresh_tokens(Some(data::PRIMARY_EMAIL)), 1);
    h.knobs().expire_refresh_tokens();
    let expired = access(
        &h,
        &[
            ("client_id", &id),
            ("grant_type", "refresh_token"),
            ("refresh_token", &second),
        ],
    )
    .await;
    assert_eq!(err(&expired), "invalid_refresh_token");
}

#[tokio::test]
async fn slack_tokens_expire_and_revoke() {
    let h = start().await;
    h.knobs()
        .set_access_token_lifetime(Duration::from_millis(300));
    let t = sign_in(&h).await;
    assert_eq!(t.body["authed_user"]["expires_in"], 0);
    let api = Api::with_token(&h, &t.access);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        err(&api.post("conversations.list", &[]).await),
        "token_expired"
    );
    h.knobs()
        .set_access_token_lifetime(Duration::from_secs(3600));
    let t = sign_in(&h).await;
    let api = Api::with_token(&h, &t.access);
    assert_eq!(
        api.post("auth.revoke", &[("test", "true")]).await["revoked"],
        false
    );
    let revoked = api.post("auth.revoke", &[]).await;
    assert_eq!(
        (revoked["ok"].clone(), revoked["revoked"].clone()),
        (Value::Bool(true), Value::Bool(true))
    );
    assert_eq!(err(&api.post("auth.test", &[]).await), "token_revoked");
    let refresh = access(
        &h,
        &[
            ("client_id", h.client_id()),
            ("grant_type", "refresh_token"),
            ("refresh_token", &t.refresh.unwrap()),
        ],
    )
    .await;
    assert_eq!(err(&refresh), "invalid_refresh_token");
    assert_eq!(
        err(&Api::with_token(&h, "xoxp-made-up")
            .post("auth.test", &[])
            .await),
        "invalid_auth"
    );
    assert_eq!(
        err(&post_form(&h, "auth.test", None, &[]).await.1),
        "not_authed"
    );
    // The knob ends a grant as auth.revoke does.
    let t = sign_in(&h).await;
    // Two live grants remain: the expired sign-in's and this one (auth.revoke ended the other).
    assert_eq!(h.knobs().revoke_tokens(Some("alex.rivera")).unwrap(), 2);
    assert_eq!(
        err(&Api::with_token(&h, &t.access).post("auth.test", &[]).await),
        "token_revoked"
    );
}

#[tokio::test]
async fn slack_without_rotation_tokens_are_long_lived_xoxp() {
    let h = start().await;
    h.knobs().set_app(AppSettings {
        token_rotation: false,
        ..h.knobs().app()
    });
    let t = sign_in(&h).await;
    assert!(t.access.starts_with("xoxp-"), "{}", t.access);
    assert!(t.refresh.is_none());
    assert!(t.body["authed_user"].get("expires_in").is_none());
    assert!(
        Api::with_token(&h, &t.access)
            .post("auth.test", &[])
            .await
            .get("expires_in")
            .is_none()
    );
}

#[tokio::test]
async fn slack_registered_redirects_and_granted_scopes_are_knobs() {
    let h = start_with(EmulatorConfig {
        auto_consent: true,
        redirect_port: 41000,
        ..EmulatorConfig::default()
    })
    .await;
    assert_eq!(h.redirect_uri(), "http://localhost:41000/callback");
    let toml = h.config_toml();
    assert!(toml.starts_with("[providers.slack]\n"), "{toml}");
    assert!(toml.contains("redirect_port = 41000"));
    assert!(toml.contains(&format!("api_url = \"{}\"", h.api_url())));
    assert!(toml.contains("/oauth/v2/authorize\""));
    assert!(
        !toml.contains("client_secret"),
        "a PKCE app has no secret in the config"
    );
    h.knobs()
        .set_granted_scopes(Some(vec!["chat:write".into()]))
        .unwrap();
    let t = sign_in(&h).await;
    assert_eq!(t.body["authed_user"]["scope"], "chat:write");
    let body = Api::with_token(&h, &t.access)
        .post("conversations.history", &[("channel", data::ENG)])
        .await;
    assert_eq!(err(&body), "missing_scope");
    assert_eq!(body["needed"], "channels:history");
    assert_eq!(body["provided"], "chat:write");
    assert!(
        h.knobs()
            .set_granted_scopes(Some(vec!["bogus".into()]))
            .is_err()
    );
}
