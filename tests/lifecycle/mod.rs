//! The token lifecycle against the emulator with access tokens that live seconds: one refresh
//! per expiry however many calls race, the background refresher keeping calls off the
//! refresh path, revocation turning into "needs sign-in" (tool error, status, a desktop
//! notification seen on the session bus), and `chatkey_sign_in` bringing the account back
//! without a restart. `daemon.rs` does the same with the real daemon process and keyring, `slack_daemon.rs` the kill -9
//! test for Slack's single-use refresh tokens.

mod daemon;
mod slack_daemon;

use std::process::Stdio;
use std::time::{Duration, Instant};

use chatkey::accounts::{AccountEvent, Health};
use chatkey::protocol::SessionOptions;
use chatkey::providers::google_chat::emulator::EmulatorConfig;
use chatkey::refresher::Refresher;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::{self, Client, World};

const LIFETIME: Duration = Duration::from_secs(2);

async fn short_lived_world() -> World {
    support::signed_in_world(EmulatorConfig {
        access_token_lifetime: LIFETIME,
        ..Default::default()
    })
    .await
}

/// `n` concurrent `google_chat_list_spaces` calls spread over `clients`; all must succeed.
async fn burst(clients: &[Client], n: usize) -> Vec<Duration> {
    let calls = (0..n).map(|i| {
        let client = &clients[i % clients.len()];
        async move {
            let started = Instant::now();
            let result = support::call(client, "google_chat_list_spaces", json!({})).await;
            assert_ne!(
                result.is_error,
                Some(true),
                "call {i} failed: {:?}",
                result.content
            );
            started.elapsed()
        }
    });
    futures::future::join_all(calls).await
}

async fn clients(world: &World, n: usize) -> Vec<Client> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(support::connect(&world.app, SessionOptions::default()).await);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_calls_share_one_refresh_per_expiry() {
    let world = short_lived_world().await;
    let clients = clients(&world, 4).await;
    let knobs = world.emulator.knobs();
    let account = world.app.accounts.all()[0].clone();
    for round in 0..3 {
        // Past the previous token's expiry (nothing is cached before the first round).
        if round > 0 {
            tokio::time::sleep(LIFETIME + Duration::from_millis(100)).await;
        }
        let before = knobs.token_grants("refresh_token");
        burst(&clients, 200).await;
        assert_eq!(
            knobs.token_grants("refresh_token") - before,
            1,
            "round {round}: 200 concurrent calls must share exactly one refresh"
        );
    }
    assert_eq!(account.call_path_refreshes(), 3);
    assert_eq!(account.health(), Health::Ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refresher_renews_ahead_so_calls_never_wait() {
    let world = short_lived_world().await;
    let clients = clients(&world, 4).await;
    let knobs = world.emulator.knobs();
    let mut events = world.app.accounts.events();
    let (refresher, task) = Refresher::spawn(world.app.clone());
    let mut refreshed = 0u64;
    // The refresher fetches a token at once, before any call needs one.
    wait_for(&mut events, |e| matches!(e, AccountEvent::Refreshed { .. })).await;
    refreshed += 1;
    let grants_at_start = knobs.token_grants("refresh_token");
    let account = world.app.accounts.all()[0].clone();
    assert_eq!(account.call_path_refreshes(), 0);

    // 200 calls in waves across about four token lifetimes.
    let started = Instant::now();
    let mut latencies = Vec::new();
    while started.elapsed() < LIFETIME * 4 {
        latencies.extend(burst(&clients, 20).await);
        tokio::time::sleep(Duration::from_millis(70)).await;
    }
    while let Ok(event) = events.try_recv() {
        if let AccountEvent::Refreshed { on_call_path, .. } = event {
            assert!(!on_call_path, "a tool call had to refresh");
            refreshed += 1;
        }
    }
    refresher.stop().await;
    task.await.unwrap();
    assert!(latencies.len() >= 200, "{} calls", latencies.len());
    assert_eq!(
        account.call_path_refreshes(),
        0,
        "no call may wait for a refresh"
    );
    let grants = knobs.token_grants("refresh_token");
    assert_eq!(
        grants - grants_at_start + 1,
        refreshed,
        "every refresh was the refresher's"
    );
    // One refresh per lifetime (75–85 % of it), not one per call.
    assert!(
        (4..=7).contains(&refreshed),
        "{refreshed} refreshes in 4 lifetimes"
    );
    latencies.sort();
    eprintln!(
        "refresher: {} calls, {refreshed} refreshes, p50 {:?}, p99 {:?}",
        latencies.len(),
        latencies[latencies.len() / 2],
        latencies[latencies.len() * 99 / 100]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transient_failures_are_retried_with_backoff() {
    let world = short_lived_world().await;
    let knobs = world.emulator.knobs();
    let mut events = world.app.accounts.events();
    knobs.fail_next(chatkey::providers::google_chat::emulator::FailureSpec {
        status: 503,
        count: 2,
        path_prefix: Some("/token".into()),
        retry_after: None,
    });
    let (refresher, task) = Refresher::spawn(world.app.clone());
    wait_for(&mut events, |e| {
        matches!(
            e,
            AccountEvent::Health {
                health: Health::RefreshFailing { .. },
                ..
            }
        )
    })
    .await;
    let event = wait_for(&mut events, |e| matches!(e, AccountEvent::Refreshed { .. })).await;
    assert!(matches!(
        event,
        AccountEvent::Refreshed {
            on_call_path: false,
            ..
        }
    ));
    assert_eq!(world.app.accounts.all()[0].health(), Health::Ok);
    refresher.stop().await;
    task.await.unwrap();
}

/// A `dbus-monitor` watching `Notify` calls on the session bus, when there is one.
struct BusMonitor {
    child: tokio::process::Child,
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl BusMonitor {
    async fn start() -> Option<Self> {
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
            assert!(
                std::env::var_os("CHATKEY_REQUIRE_KEYRING").is_none(),
                "no session bus; run inside scripts/with-session.sh"
            );
            eprintln!("skipping the notification check: no session bus");
            return None;
        }
        let mut child = tokio::process::Command::new("dbus-monitor")
            .args([
                "--session",
                "interface='org.freedesktop.Notifications',member='Notify'",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("dbus-monitor runs");
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // dbus-monitor prints its own NameAcquired signal once it is listening.
        let mut monitor = Self { child, lines };
        monitor.expect("NameAcquired").await;
        Some(monitor)
    }

    async fn expect(&mut self, text: &str) {
        let found = tokio::time::timeout(Duration::from_secs(15), async {
            while let Some(line) = self.lines.next_line().await.unwrap() {
                if line.contains(text) {
                    return;
                }
            }
            panic!("dbus-monitor ended");
        })
        .await;
        assert!(
            found.is_ok(),
            "no Notify call containing {text:?} on the session bus"
        );
    }
}

impl Drop for BusMonitor {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn revoked_sign_in_needs_sign_in_then_chatkey_sign_in_brings_it_back() {
    let world = short_lived_world().await;
    world
        .app
        .sign_in_opens_browser
        .store(false, std::sync::atomic::Ordering::Relaxed);
    let client = support::connect(&world.app, SessionOptions::default()).await;
    let knobs = world.emulator.knobs();
    let mut monitor = BusMonitor::start().await;
    let notifier = chatkey::notify::spawn(world.app.clone());
    let mut events = world.app.accounts.events();
    let (refresher, task) = Refresher::spawn(world.app.clone());
    wait_for(&mut events, |e| matches!(e, AccountEvent::Refreshed { .. })).await;
    support::ok(&client, "google_chat_list_spaces", json!({})).await;

    // The person removes chatkey's access at Google (which also ends its access tokens).
    knobs.revoke_refresh_tokens(None).unwrap();
    knobs.expire_access_tokens();
    let before = knobs.token_grants("refresh_token");
    refresher.force(None).await;
    wait_for(&mut events, |e| {
        matches!(
            e,
            AccountEvent::Health {
                health: Health::NeedsSignIn { .. },
                ..
            }
        )
    })
    .await;
    assert_eq!(
        knobs.token_grants("refresh_token") - before,
        1,
        "one attempt decides"
    );

    let message = support::tool_error(&client, "google_chat_list_spaces", json!({})).await;
    assert!(message.contains("needs you to sign in again"), "{message}");
    assert!(
        message.contains("Token has been expired or revoked"),
        "{message}"
    );
    assert!(message.contains("chatkey login google-chat"), "{message}");
    assert!(message.contains("chatkey_sign_in"), "{message}");
    // Tool calls do not hammer the provider with a refresh token it refused.
    support::tool_error(&client, "google_chat_list_spaces", json!({})).await;
    assert_eq!(knobs.token_grants("refresh_token") - before, 1);

    let status = support::ok(&client, "chatkey_status", json!({})).await;
    assert_eq!(status["accounts"][0]["state"], "needs_sign_in", "{status}");
    assert!(
        status["accounts"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("revoked")
    );
    assert!(
        status["attention"][0]
            .as_str()
            .unwrap()
            .contains("chatkey_sign_in")
    );
    if let Some(monitor) = monitor.as_mut() {
        monitor
            .expect("Google Chat needs you to sign in again")
            .await;
    }

    // The assistant starts the sign-in; the person finishes it in the browser (reqwest plays
    // the browser against the auto-consenting emulator).
    let started = support::ok(&client, "chatkey_sign_in", json!({})).await;
    let url = started["url"].as_str().unwrap().to_owned();
    assert!(
        started["next_step"]
            .as_str()
            .unwrap()
            .contains("chatkey_status")
    );
    let again = support::ok(
        &client,
        "chatkey_sign_in",
        json!({"provider": "google-chat"}),
    )
    .await;
    assert_eq!(again["url"], url.as_str());
    assert_eq!(again["already_running"], true);
    reqwest::get(&url).await.unwrap();
    wait_for(&mut events, |e| matches!(e, AccountEvent::SignedIn { .. })).await;
    support::ok(&client, "google_chat_list_spaces", json!({})).await;
    let status = support::ok(&client, "chatkey_status", json!({})).await;
    assert_eq!(status["accounts"][0]["state"], "ok", "{status}");
    if let Some(monitor) = monitor.as_mut() {
        monitor.expect("Signed in to Google Chat").await;
    }
    refresher.stop().await;
    task.await.unwrap();
    notifier.abort();
}

#[tokio::test]
async fn chatkey_sign_in_refuses_unknown_providers() {
    let world = short_lived_world().await;
    let client = support::connect(&world.app, SessionOptions::default()).await;
    let message = support::tool_error(&client, "chatkey_sign_in", json!({"provider": "icq"})).await;
    assert!(
        message.contains("`provider`") && message.contains("google-chat"),
        "{message}"
    );
}

/// The next event matching `want` (within 20 s).
async fn wait_for(
    events: &mut tokio::sync::broadcast::Receiver<AccountEvent>,
    want: impl Fn(&AccountEvent) -> bool,
) -> AccountEvent {
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match events.recv().await {
                Ok(event) if want(&event) => return event,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("events ended: {e}"),
            }
        }
    })
    .await
    .expect("the expected account event did not arrive")
}
