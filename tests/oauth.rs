//! The OAuth client against the emulator's Google OAuth endpoints: the full consent loop
//! (the "browser" is reqwest following the auto-consent redirect to our loopback listener),
//! refresh, revocation, and the errors a person meets (revoked grant, wrong client secret,
//! a flaky token endpoint).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chatkey::oauth::{self, AuthorizeOptions, OAuthClientConfig, OAuthError, TokenResponse};
use chatkey::providers::google_chat::emulator::{EmulatorConfig, EmulatorHandle, FailureSpec};
use secrecy::{ExposeSecret, SecretString};
use tokio::task::JoinHandle;
use url::Url;

const SCOPES: [&str; 2] = [
    "https://www.googleapis.com/auth/chat.spaces.readonly",
    "https://www.googleapis.com/auth/userinfo.email",
];

async fn emulator() -> EmulatorHandle {
    chatkey::providers::google_chat::emulator::start(EmulatorConfig {
        port: 0,
        auto_consent: true,
        ..Default::default()
    })
    .await
    .expect("the emulator starts")
}

fn config(emu: &EmulatorHandle) -> OAuthClientConfig {
    let base = emu.base_url();
    OAuthClientConfig {
        client_id: emu.client_id().to_owned(),
        client_secret: Some(SecretString::from(emu.client_secret().to_owned())),
        auth_url: base.join("o/oauth2/v2/auth").unwrap(),
        token_url: base.join("token").unwrap(),
        revoke_url: Some(base.join("revoke").unwrap()),
        scopes: SCOPES.iter().map(|s| s.to_string()).collect(),
        extra_auth_params: vec![
            ("access_type".into(), "offline".into()),
            ("prompt".into(), "consent".into()),
        ],
        redirect: chatkey::oauth::Redirect::LOOPBACK_IP,
        scope_param: chatkey::oauth::ScopeParam::Standard,
        token_dialect: None,
    }
}

/// Runs the consent loop with a "browser" that opens the URL and follows the emulator's
/// redirect back to the loopback listener. Returns the tokens and the final page's text.
async fn sign_in(cfg: &OAuthClientConfig) -> (Result<TokenResponse, OAuthError>, Option<String>) {
    let browser: Arc<Mutex<Option<JoinHandle<reqwest::Result<String>>>>> = Arc::default();
    let slot = browser.clone();
    let result = oauth::authorize(
        cfg,
        &chatkey::http::client(),
        AuthorizeOptions {
            open_browser: false,
            timeout: Duration::from_secs(20),
            login_hint: None,
        },
        move |url: &Url| {
            let url = url.clone();
            // A plain client follows redirects, as a browser does.
            let task = tokio::spawn(async move { reqwest::get(url).await?.text().await });
            *slot.lock().unwrap() = Some(task);
        },
    )
    .await;
    let task = browser.lock().unwrap().take();
    let page = match task {
        Some(task) => task.await.unwrap().ok(),
        None => None,
    };
    (result, page)
}

#[tokio::test]
async fn consent_loop_then_refresh_then_revoke() {
    let emu = emulator().await;
    let cfg = config(&emu);
    let (result, page) = sign_in(&cfg).await;
    let tokens = result.expect("sign-in against the emulator succeeds");
    assert!(
        page.as_deref()
            .is_some_and(|p| p.contains("signed in to chatkey")),
        "{page:?}"
    );
    let refresh_token = tokens
        .refresh_token
        .clone()
        .expect("access_type=offline yields a refresh token");
    assert!(!tokens.access_token.expose_secret().is_empty());
    assert!(tokens.expires_in.is_some_and(|d| d > Duration::ZERO));
    let granted = tokens.scopes.clone().unwrap_or_default();
    assert!(
        granted.iter().any(|s| s.ends_with("chat.spaces.readonly")),
        "{granted:?}"
    );

    let http = chatkey::http::client();
    let refreshed = oauth::refresh(&cfg, &http, &refresh_token).await.unwrap();
    assert_ne!(
        refreshed.access_token.expose_secret(),
        tokens.access_token.expose_secret(),
        "a refresh mints a new access token"
    );

    oauth::revoke(&cfg, &http, &refresh_token).await.unwrap();
    let err = oauth::refresh(&cfg, &http, &refresh_token)
        .await
        .unwrap_err();
    assert!(matches!(err, OAuthError::InvalidGrant { .. }), "{err:?}");
    assert!(!err.is_transient());
    assert!(err.to_string().contains("chatkey login"), "{err}");
    // Revoking again: nothing is left to revoke, which the caller may treat as done.
    let again = oauth::revoke(&cfg, &http, &refresh_token)
        .await
        .unwrap_err();
    assert!(
        matches!(again, OAuthError::InvalidGrant { .. }),
        "{again:?}"
    );
    for text in [err.to_string(), format!("{err:?}"), again.to_string()] {
        assert!(!text.contains(refresh_token.expose_secret()), "{text}");
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn revoked_grant_from_the_provider_side_needs_sign_in() {
    let emu = emulator().await;
    let cfg = config(&emu);
    let tokens = sign_in(&cfg).await.0.unwrap();
    let refresh_token = tokens.refresh_token.unwrap();
    let revoked = emu.knobs().revoke_refresh_tokens(None).unwrap();
    assert!(revoked >= 1);
    let err = oauth::refresh(&cfg, &chatkey::http::client(), &refresh_token)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, OAuthError::InvalidGrant { description } if description.contains("revoked")),
        "{err:?}"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn wrong_client_secret_is_invalid_client() {
    let emu = emulator().await;
    let good = config(&emu);
    let refresh_token = sign_in(&good).await.0.unwrap().refresh_token.unwrap();

    let mut bad = good.clone();
    bad.client_secret = Some(SecretString::from("not-the-secret"));
    let err = oauth::refresh(&bad, &chatkey::http::client(), &refresh_token)
        .await
        .unwrap_err();
    assert!(matches!(err, OAuthError::InvalidClient { .. }), "{err:?}");
    assert!(err.to_string().contains("chatkey setup"), "{err}");

    // The same during the consent loop: the code exchange fails and the page says so.
    let (result, page) = sign_in(&bad).await;
    let err = result.unwrap_err();
    assert!(matches!(err, OAuthError::InvalidClient { .. }), "{err:?}");
    assert!(
        page.as_deref()
            .is_some_and(|p| p.contains("did not complete")),
        "{page:?}"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn token_endpoint_outage_is_transient() {
    let emu = emulator().await;
    let cfg = config(&emu);
    let refresh_token = sign_in(&cfg).await.0.unwrap().refresh_token.unwrap();
    for status in [503, 429] {
        emu.knobs().fail_next(FailureSpec {
            status,
            count: 1,
            path_prefix: Some("/token".into()),
            retry_after: None,
        });
        let err = oauth::refresh(&cfg, &chatkey::http::client(), &refresh_token)
            .await
            .unwrap_err();
        assert!(err.is_transient(), "{status}: {err:?}");
    }
    // The injected failures are used up; the grant itself is fine.
    oauth::refresh(&cfg, &chatkey::http::client(), &refresh_token)
        .await
        .unwrap();
    emu.shutdown().await;
}

#[tokio::test]
async fn unreachable_token_endpoint_is_transient() {
    let emu = emulator().await;
    let mut cfg = config(&emu);
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    cfg.token_url = Url::parse(&format!("http://127.0.0.1:{port}/token")).unwrap();
    let err = oauth::refresh(&cfg, &chatkey::http::client(), &SecretString::from("1//x"))
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    emu.shutdown().await;
}
