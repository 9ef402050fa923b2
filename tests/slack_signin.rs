//! Signing in to Slack through the real OAuth v2 loop against the Slack emulator: a user
//! token with PKCE and no secret on the registered port, who signed in, rotation written to
//! the store before use, a dead refresh token → needs sign-in, and the token never in errors.

use std::time::Duration;

use chatkey::accounts::Health;
use chatkey::providers::ProviderId;
use chatkey::providers::slack::emulator::{self, EmulatorConfig};
use chatkey::tokens::{AccountId, SecretStore};
use secrecy::ExposeSecret;

use crate::support::{free_port, signed_in_slack_world};

#[tokio::test]
async fn sign_in_names_the_person_and_rotates_refresh_tokens_keyring_first() {
    let world = signed_in_slack_world(EmulatorConfig::default()).await;
    let knobs = world.emulator.knobs();
    let accounts = world.app.accounts.all();
    assert_eq!(accounts.len(), 1);
    let account = &accounts[0];
    let record = account.record();
    assert_eq!(record.email, emulator::data::PRIMARY_EMAIL);
    assert_eq!(
        record.user_id.as_deref(),
        Some(emulator::data::PRIMARY_USER)
    );
    assert_eq!(record.aliases, vec!["acme".to_owned()]);
    assert!(
        record.scopes.iter().any(|s| s == "chat:write"),
        "{:?}",
        record.scopes
    );
    // `account` accepts the workspace's domain as well as the email.
    let by_domain = world
        .app
        .accounts
        .resolve(ProviderId::Slack, Some("ACME"))
        .unwrap();
    assert_eq!(by_domain.id, account.id);

    let id = AccountId {
        provider: ProviderId::Slack,
        email: record.email.clone(),
    };
    let first = world.store.load(&id).unwrap().unwrap();
    assert!(
        first.expose_secret().starts_with("xoxe-"),
        "a rotating refresh token"
    );
    account.access_token().await.unwrap();
    let second = world.store.load(&id).unwrap().unwrap();
    assert_ne!(
        first.expose_secret(),
        second.expose_secret(),
        "rotated and stored"
    );
    account.refresh_if_due(true).await.unwrap();
    let third = world.store.load(&id).unwrap().unwrap();
    assert_ne!(second.expose_secret(), third.expose_secret());
    // Only the newest refresh token is alive at Slack, and it is the one stored.
    assert_eq!(knobs.live_refresh_tokens(None), 1);

    // Slack ends the sign-in: the next refresh makes the account need a sign-in.
    knobs.revoke_refresh_tokens(None).unwrap();
    let err = account.refresh_if_due(true).await.unwrap_err();
    let _ = err;
    match account.health() {
        Health::NeedsSignIn { reason } => {
            assert!(
                reason.contains("invalid_refresh_token") || reason.contains("invalid_grant"),
                "{reason}"
            );
            assert!(!reason.contains(third.expose_secret()));
        }
        other => panic!("expected needs sign-in, got {other:?}"),
    }
}

#[tokio::test]
async fn a_taken_redirect_port_is_named_and_nothing_is_stored() {
    let port = free_port();
    let emulator = emulator::start(EmulatorConfig {
        auto_consent: true,
        redirect_port: port,
        ..Default::default()
    })
    .await
    .unwrap();
    let _holder = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let paths = crate::support::paths_in(dir.path());
    std::fs::create_dir_all(paths.config_dir()).unwrap();
    std::fs::write(paths.config_file(), emulator.config_toml()).unwrap();
    let store = std::sync::Arc::new(chatkey::tokens::MemoryStore::default());
    let err = chatkey::signin::login_into(
        &paths,
        ProviderId::Slack,
        chatkey::signin::LoginOptions {
            open_browser: false,
            login_hint: None,
            timeout: Duration::from_secs(5),
        },
        store,
        |_| {},
    )
    .await
    .unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains(&format!("port {port}")) && text.contains("redirect_port"),
        "{text}"
    );
    assert!(!paths.accounts_file().exists(), "nothing stored");
}
