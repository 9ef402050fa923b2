//! The consent loop against a tiny in-test token endpoint: what the authorization URL
//! carries, how redirects are judged, that the listener is gone afterwards, and how token
//! endpoint answers map to errors without ever echoing a token.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;

use super::*;

const ACCESS: &str = "ya29.access-SENTINEL-1";
const REFRESH: &str = "1//refresh-SENTINEL-2";

/// What the fake token endpoint answers, and what it was sent.
#[derive(Clone)]
struct Fake {
    status: StatusCode,
    body: &'static str,
    content_type: &'static str,
    seen: Arc<Mutex<Vec<HashMap<String, String>>>>,
}

async fn token(
    State(f): State<Fake>,
    Form(form): Form<HashMap<String, String>>,
) -> impl IntoResponse {
    f.seen.lock().unwrap().push(form);
    (
        f.status,
        [(axum::http::header::CONTENT_TYPE, f.content_type)],
        f.body,
    )
}

async fn fake(status: StatusCode, body: &'static str) -> (OAuthClientConfig, Fake) {
    let f = Fake {
        status,
        body,
        content_type: "application/json",
        seen: Arc::default(),
    };
    let app = axum::Router::new()
        .route("/token", axum::routing::post(token))
        .route("/revoke", axum::routing::post(token))
        .with_state(f.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let cfg = OAuthClientConfig {
        client_id: "cid.apps.example".into(),
        client_secret: Some(SecretString::from("client-secret-SENTINEL-3")),
        auth_url: Url::parse("https://accounts.example/o/oauth2/v2/auth").unwrap(),
        token_url: Url::parse(&format!("{base}/token")).unwrap(),
        revoke_url: Some(Url::parse(&format!("{base}/revoke")).unwrap()),
        scopes: vec!["scope.a".into(), "scope.b".into()],
        extra_auth_params: vec![
            ("access_type".into(), "offline".into()),
            ("prompt".into(), "consent".into()),
        ],
        redirect: Redirect::LOOPBACK_IP,
        scope_param: ScopeParam::Standard,
        token_dialect: None,
    };
    (cfg, f)
}

fn ok_body() -> &'static str {
    r#"{"access_token":"ya29.access-SENTINEL-1","expires_in":3599,"refresh_token":"1//refresh-SENTINEL-2","scope":"scope.a scope.b","token_type":"Bearer"}"#
}

fn opts(timeout: Duration) -> AuthorizeOptions {
    AuthorizeOptions {
        open_browser: false,
        timeout,
        login_hint: Some("alex@example.com".into()),
    }
}

/// Starts `authorize` in the background and returns the URL it printed.
async fn start(
    cfg: OAuthClientConfig,
    timeout: Duration,
) -> (
    Url,
    tokio::task::JoinHandle<Result<TokenResponse, OAuthError>>,
) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        authorize(&cfg, &crate::http::client(), opts(timeout), move |url| {
            tx.send(url.clone()).unwrap();
        })
        .await
    });
    (rx.await.unwrap(), task)
}

fn query(url: &Url) -> HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

fn redirect_with(auth_url: &Url, extra: &str) -> (String, u16) {
    let q = query(auth_url);
    let redirect = Url::parse(&q["redirect_uri"]).unwrap();
    (format!("{redirect}?{extra}"), redirect.port().unwrap())
}

async fn port_is_closed(port: u16) -> bool {
    tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
}

#[tokio::test]
async fn full_flow_sends_pkce_and_secret_and_returns_tokens() {
    let (cfg, fake) = fake(StatusCode::OK, ok_body()).await;
    let (url, task) = start(cfg, Duration::from_secs(20)).await;
    let q = query(&url);
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], "cid.apps.example");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43, "base64url of a SHA-256");
    assert!(q["state"].len() >= 16);
    assert_eq!(q["access_type"], "offline");
    assert_eq!(q["prompt"], "consent");
    assert_eq!(q["login_hint"], "alex@example.com");
    assert_eq!(q["scope"], "scope.a scope.b");
    let redirect = Url::parse(&q["redirect_uri"]).unwrap();
    assert_eq!(redirect.scheme(), "http");
    assert_eq!(redirect.host_str(), Some("127.0.0.1"));
    assert_eq!(redirect.path(), "/");
    assert!(redirect.port().is_some_and(|p| p > 0));

    let (callback, port) = redirect_with(&url, &format!("code=4%2Fcode-xyz&state={}", q["state"]));
    let page = reqwest::get(&callback).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("signed in to chatkey"));

    let tokens = task.await.unwrap().unwrap();
    assert_eq!(tokens.access_token.expose_secret(), ACCESS);
    assert_eq!(
        tokens.refresh_token.as_ref().unwrap().expose_secret(),
        REFRESH
    );
    assert_eq!(tokens.expires_in, Some(Duration::from_secs(3599)));
    assert_eq!(tokens.scopes.as_deref().unwrap(), ["scope.a", "scope.b"]);
    let debug = format!("{tokens:?}");
    assert!(!debug.contains("SENTINEL"), "{debug}");

    let seen = fake.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let form = &seen[0];
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["code"], "4/code-xyz");
    assert_eq!(form["client_secret"], "client-secret-SENTINEL-3");
    assert_eq!(form["redirect_uri"], q["redirect_uri"]);
    assert!(form["code_verifier"].len() >= 43);
    assert!(port_is_closed(port).await, "listener must be gone");
}

#[tokio::test]
async fn a_stray_redirect_is_refused_and_the_sign_in_keeps_waiting() {
    let (cfg, fake) = fake(StatusCode::OK, ok_body()).await;
    let (url, task) = start(cfg, Duration::from_secs(20)).await;
    // Forged, stateless and doubled-state redirects: each gets the error page, none ends it.
    let state = query(&url)["state"].clone();
    for extra in [
        "code=stolen&state=forged".to_owned(),
        "code=abc".to_owned(),
        format!("code=abc&state={state}&state=other"),
        "error=access_denied&state=forged".to_owned(),
    ] {
        let (callback, _) = redirect_with(&url, &extra);
        let page = reqwest::get(&callback).await.unwrap();
        assert_eq!(page.status(), 400, "{extra}");
        assert!(page.text().await.unwrap().contains("not from chatkey"));
        assert!(!task.is_finished(), "{extra} must not end the sign-in");
    }
    assert!(fake.seen.lock().unwrap().is_empty(), "no code exchange yet");
    // The genuine redirect still completes it.
    let (callback, port) = redirect_with(&url, &format!("code=real&state={state}"));
    assert_eq!(reqwest::get(&callback).await.unwrap().status(), 200);
    let tokens = task.await.unwrap().unwrap();
    assert_eq!(tokens.access_token.expose_secret(), ACCESS);
    let seen = fake.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["code"], "real");
    assert!(port_is_closed(port).await, "listener must be gone");
}

#[tokio::test]
async fn only_stray_redirects_time_out_and_say_how_many_were_ignored() {
    let (cfg, fake) = fake(StatusCode::OK, ok_body()).await;
    let (url, task) = start(cfg, Duration::from_millis(1500)).await;
    let (callback, port) = redirect_with(&url, "code=stolen&state=forged");
    reqwest::get(&callback).await.unwrap();
    let err = task.await.unwrap().unwrap_err();
    assert!(
        matches!(err, OAuthError::TimedOut { ignored: 1, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("was ignored"), "{err}");
    assert!(fake.seen.lock().unwrap().is_empty(), "no code exchange");
    assert!(port_is_closed(port).await, "listener must be gone");
}

/// Slack's shape: a registered fixed port, `localhost`, `/callback`, `user_scope` with
/// commas, no client secret, and an answer that needs its dialect to read.
#[tokio::test]
async fn fixed_port_named_scopes_public_client_and_a_dialect() {
    fn dialect(status: u16, body: &[u8]) -> Option<(u16, Vec<u8>)> {
        let v: serde_json::Value = serde_json::from_slice(body).ok()?;
        let user = v.get("authed_user")?;
        Some((status, serde_json::to_vec(user).unwrap()))
    }
    let (mut cfg, fake) = fake(
        StatusCode::OK,
        r#"{"ok":true,"authed_user":{"access_token":"ya29.access-SENTINEL-1","token_type":"user","expires_in":43200,"refresh_token":"1//refresh-SENTINEL-2","scope":"a,b"}}"#,
    )
    .await;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    cfg.client_secret = None;
    cfg.extra_auth_params.clear();
    cfg.redirect = Redirect {
        host: RedirectHost::Localhost,
        port: Some(port),
        path: "/callback",
    };
    cfg.scope_param = ScopeParam::Named {
        name: "user_scope",
        separator: ",",
    };
    cfg.token_dialect = Some(dialect);
    let (url, task) = start(cfg.clone(), Duration::from_secs(20)).await;
    let q = query(&url);
    assert_eq!(
        q["redirect_uri"],
        format!("http://localhost:{port}/callback")
    );
    assert_eq!(q["user_scope"], "scope.a,scope.b");
    assert!(!q.contains_key("scope"), "no bot scopes: {q:?}");
    // The same port cannot be taken twice: the second sign-in says so plainly.
    let err = authorize(
        &cfg,
        &crate::http::client(),
        opts(Duration::from_secs(1)),
        |_| {},
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, OAuthError::PortInUse { port: p } if p == port),
        "{err}"
    );
    // The wrong path is not the callback.
    let stray = format!("http://127.0.0.1:{port}/?code=x&state={}", q["state"]);
    assert_eq!(reqwest::get(&stray).await.unwrap().status(), 404);
    let callback = format!(
        "http://127.0.0.1:{port}/callback?code=c&state={}",
        q["state"]
    );
    assert_eq!(reqwest::get(&callback).await.unwrap().status(), 200);
    let tokens = task.await.unwrap().unwrap();
    assert_eq!(tokens.access_token.expose_secret(), ACCESS);
    assert_eq!(tokens.expires_in, Some(Duration::from_secs(43200)));
    let form = fake.seen.lock().unwrap()[0].clone();
    assert!(
        !form.contains_key("client_secret"),
        "public client: {form:?}"
    );
    assert_eq!(
        form["redirect_uri"],
        format!("http://localhost:{port}/callback")
    );
}

#[tokio::test]
async fn access_denied_and_provider_errors() {
    let (cfg, _) = fake(StatusCode::OK, ok_body()).await;
    let (url, task) = start(cfg.clone(), Duration::from_secs(20)).await;
    let state = query(&url)["state"].clone();
    let (callback, _) = redirect_with(&url, &format!("error=access_denied&state={state}"));
    let page = reqwest::get(&callback).await.unwrap().text().await.unwrap();
    assert!(page.contains("Sign-in was cancelled"));
    let err = task.await.unwrap().unwrap_err();
    assert!(matches!(err, OAuthError::AccessDenied), "{err}");
    assert!(err.to_string().contains("chatkey login"));

    let (url, task) = start(cfg.clone(), Duration::from_secs(20)).await;
    let state = query(&url)["state"].clone();
    let extra = format!("error=invalid_scope&error_description=bad+scope&state={state}");
    reqwest::get(&redirect_with(&url, &extra).0).await.unwrap();
    let err = task.await.unwrap().unwrap_err();
    assert!(
        matches!(&err, OAuthError::ProviderError { error, description } if error == "invalid_scope" && description.as_deref() == Some("bad scope")),
        "{err}"
    );

    let (url, task) = start(cfg, Duration::from_secs(20)).await;
    let state = query(&url)["state"].clone();
    reqwest::get(&redirect_with(&url, &format!("state={state}")).0)
        .await
        .unwrap();
    let err = task.await.unwrap().unwrap_err();
    assert!(matches!(err, OAuthError::MissingCode), "{err}");
}

#[tokio::test]
async fn times_out_and_closes_the_port() {
    let (cfg, _) = fake(StatusCode::OK, ok_body()).await;
    let (url, task) = start(cfg, Duration::from_millis(300)).await;
    let (_, port) = redirect_with(&url, "");
    let err = task.await.unwrap().unwrap_err();
    assert!(matches!(err, OAuthError::TimedOut { .. }), "{err}");
    assert!(port_is_closed(port).await);
}

#[tokio::test]
async fn dropping_the_sign_in_closes_the_port() {
    let (cfg, _) = fake(StatusCode::OK, ok_body()).await;
    let (url, task) = start(cfg, Duration::from_secs(20)).await;
    let (_, port) = redirect_with(&url, "");
    task.abort();
    let _ = task.await;
    // The abort of the server task is asynchronous; give the runtime a moment.
    for _ in 0..50 {
        if port_is_closed(port).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the listener outlived its sign-in");
}

#[tokio::test]
async fn token_endpoint_errors_map_to_variants() {
    let refresh_token = SecretString::from("1//old-refresh-SENTINEL-4");
    type Case = (StatusCode, &'static str, fn(&OAuthError) -> bool);
    let cases: [Case; 5] = [
        (
            StatusCode::BAD_REQUEST,
            r#"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#,
            |e| matches!(e, OAuthError::InvalidGrant { description } if description == "Token has been expired or revoked."),
        ),
        (
            StatusCode::UNAUTHORIZED,
            r#"{"error":"invalid_client","error_description":"Unauthorized"}"#,
            |e| matches!(e, OAuthError::InvalidClient { .. }),
        ),
        (StatusCode::SERVICE_UNAVAILABLE, "<html>down</html>", |e| {
            e.is_transient()
        }),
        (StatusCode::TOO_MANY_REQUESTS, "{}", |e| e.is_transient()),
        // A success status whose body does not parse: may contain a token, never echoed.
        (
            StatusCode::OK,
            r#"{"access_token":"ya29.access-SENTINEL-1","expires_in":"soon"}"#,
            |e| matches!(e, OAuthError::Protocol { .. }),
        ),
    ];
    for (status, body, check) in cases {
        let (cfg, fake) = fake(status, body).await;
        let err = refresh(&cfg, &crate::http::client(), &refresh_token)
            .await
            .unwrap_err();
        assert!(check(&err), "{status}: {err:?}");
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(!text.contains("SENTINEL"), "{text}");
        }
        let form = fake.seen.lock().unwrap()[0].clone();
        assert_eq!(form["grant_type"], "refresh_token");
        assert_eq!(form["refresh_token"], "1//old-refresh-SENTINEL-4");
        assert_eq!(form["client_id"], "cid.apps.example");
    }
}

#[tokio::test]
async fn refresh_and_revoke_succeed() {
    let (cfg, fake) = fake(
        StatusCode::OK,
        r#"{"access_token":"ya29.access-SENTINEL-1","expires_in":3599,"token_type":"Bearer"}"#,
    )
    .await;
    let http = crate::http::client();
    let rt = SecretString::from("1//r");
    let tokens = refresh(&cfg, &http, &rt).await.unwrap();
    assert_eq!(tokens.access_token.expose_secret(), ACCESS);
    assert!(tokens.refresh_token.is_none());
    revoke(&cfg, &http, &rt).await.unwrap();
    let seen = fake.seen.lock().unwrap().clone();
    assert_eq!(
        seen[1],
        HashMap::from([("token".to_owned(), "1//r".to_owned())])
    );
}

#[tokio::test]
async fn revoke_of_an_already_revoked_token_is_invalid_grant() {
    let (cfg, _) = fake(
        StatusCode::BAD_REQUEST,
        r#"{"error":"invalid_token","error_description":"Token expired or revoked"}"#,
    )
    .await;
    let err = revoke(&cfg, &crate::http::client(), &SecretString::from("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, OAuthError::InvalidGrant { .. }), "{err}");
}

#[tokio::test]
async fn redirects_from_the_token_endpoint_are_not_followed() {
    let app = axum::Router::new().route(
        "/token",
        axum::routing::post(|| async {
            (
                StatusCode::TEMPORARY_REDIRECT,
                [(axum::http::header::LOCATION, "http://127.0.0.1:9/steal")],
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let (mut cfg, _) = fake(StatusCode::OK, ok_body()).await;
    cfg.token_url = Url::parse(&format!("{base}/token")).unwrap();
    let err = refresh(&cfg, &crate::http::client(), &SecretString::from("r"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, OAuthError::Protocol { detail } if detail.contains("redirect")),
        "{err}"
    );
}

#[test]
fn constant_time_eq_compares() {
    assert!(constant_time_eq(b"abc", b"abc"));
    assert!(!constant_time_eq(b"abc", b"abd"));
    assert!(!constant_time_eq(b"abc", b"abcd"));
}
