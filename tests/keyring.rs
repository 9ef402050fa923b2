//! `KeyringStore` against the real Secret Service (gnome-keyring in the private session
//! `scripts/with-session.sh` makes): round trips, profile isolation, calls from
//! `spawn_blocking` inside a multi-thread runtime, that entries really are Secret Service
//! items, and how a session bus without any Secret Service is reported.
//!
//! Tests that need a keyring skip with a loud note when none is reachable, unless
//! `CHATKEY_REQUIRE_KEYRING` is set (the Makefile sets it): then they fail. Every test uses
//! its own `chatkey-test-…` service and deletes what it wrote.

#![cfg(target_os = "linux")]

use std::process::Command;
use std::sync::Arc;

use chatkey::providers::ProviderId;
use chatkey::tokens::{AccountId, KeyringStore, SecretStore, StoreError};
use secrecy::{ExposeSecret, SecretString};

const CHILD_ENV: &str = "CHATKEY_TEST_KEYRING_CHILD";

fn required() -> bool {
    std::env::var_os("CHATKEY_REQUIRE_KEYRING").is_some_and(|v| !v.is_empty())
}

fn unique_service(tag: &str) -> String {
    format!(
        "chatkey-test-{tag}-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    )
}

fn account(email: &str) -> AccountId {
    AccountId {
        provider: ProviderId::GoogleChat,
        email: email.to_owned(),
    }
}

/// A store on the real keyring, or `None` (after saying so) when no Secret Service is
/// reachable and the keyring is not required. Any other failure (locked, denied) fails.
fn real_store(tag: &str) -> Option<Cleanup> {
    let service = unique_service(tag);
    let probe = KeyringStore::new(service.clone())
        .and_then(|s| s.load(&account("probe@invalid")).map(|_| s));
    match probe {
        Ok(store) => Some(Cleanup {
            store: Arc::new(store),
            written: Vec::new(),
        }),
        Err(e @ StoreError::Unavailable { .. }) if !required() => {
            eprintln!(
                "SKIPPED keyring::{tag}: no Secret Service is reachable ({e}). Run the tests through scripts/with-session.sh, or set CHATKEY_REQUIRE_KEYRING=1 to make this a failure"
            );
            None
        }
        Err(e) => panic!("the real keyring is required but does not work: {e}"),
    }
}

/// Deletes every entry a test wrote, even when the test fails half-way.
struct Cleanup {
    store: Arc<KeyringStore>,
    written: Vec<AccountId>,
}

impl Cleanup {
    fn save(&mut self, id: &AccountId, token: &str) {
        self.store
            .save(id, &SecretString::from(token.to_owned()))
            .unwrap();
        self.written.push(id.clone());
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for id in &self.written {
            let _ = self.store.delete(id);
        }
    }
}

fn load(store: &KeyringStore, id: &AccountId) -> Option<String> {
    store
        .load(id)
        .unwrap()
        .map(|s| s.expose_secret().to_owned())
}

#[test]
fn save_load_replace_delete() {
    let Some(mut k) = real_store("round-trip") else {
        return;
    };
    let alex = account("alex@example.com");
    assert_eq!(load(&k.store, &alex), None);
    k.save(&alex, "1//first-refresh-token");
    assert_eq!(
        load(&k.store, &alex).as_deref(),
        Some("1//first-refresh-token")
    );
    k.save(&alex, "1//second-refresh-token");
    assert_eq!(
        load(&k.store, &alex).as_deref(),
        Some("1//second-refresh-token")
    );
    assert!(k.store.delete(&alex).unwrap());
    assert_eq!(load(&k.store, &alex), None);
    assert!(
        !k.store.delete(&alex).unwrap(),
        "deleting a missing entry is false"
    );

    let big = SecretString::from("x".repeat(chatkey::tokens::MAX_SECRET_LEN + 1));
    assert!(matches!(
        k.store.save(&alex, &big),
        Err(StoreError::TooLarge { .. })
    ));
    assert_eq!(
        load(&k.store, &alex),
        None,
        "an oversized token is not half-written"
    );
}

#[test]
fn entries_are_secret_service_items() {
    let Some(mut k) = real_store("items") else {
        return;
    };
    let alex = account("alex@example.com");
    k.save(&alex, "1//visible-to-secret-tool");
    let out = match Command::new("secret-tool")
        .args([
            "lookup",
            "service",
            k.store.service(),
            "username",
            &alex.to_string(),
        ])
        .output()
    {
        Ok(out) => out,
        Err(e) if !required() => {
            eprintln!("SKIPPED part of keyring::items: secret-tool is not installed ({e})");
            return;
        }
        Err(e) => panic!("secret-tool (Debian package libsecret-tools) is needed: {e}"),
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "1//visible-to-secret-tool"
    );
}

#[test]
fn profiles_do_not_see_each_other() {
    let Some(mut work) = real_store("profile-work") else {
        return;
    };
    let Some(mut home) = real_store("profile-home") else {
        return;
    };
    let alex = account("alex@example.com");
    work.save(&alex, "1//work-token");
    assert_eq!(load(&home.store, &alex), None);
    home.save(&alex, "1//home-token");
    assert_eq!(load(&work.store, &alex).as_deref(), Some("1//work-token"));
    assert!(work.store.delete(&alex).unwrap());
    assert_eq!(load(&home.store, &alex).as_deref(), Some("1//home-token"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_from_spawn_blocking_in_a_multi_thread_runtime() {
    let service = unique_service("runtime");
    // Opened on a blocking thread, as the daemon does.
    let opened = tokio::task::spawn_blocking({
        let service = service.clone();
        move || {
            KeyringStore::new(service).and_then(|s| s.load(&account("probe@invalid")).map(|_| s))
        }
    })
    .await
    .unwrap();
    let store = match opened {
        Ok(store) => Arc::new(store),
        Err(e @ StoreError::Unavailable { .. }) if !required() => {
            eprintln!("SKIPPED keyring::runtime: no Secret Service is reachable ({e})");
            return;
        }
        Err(e) => panic!("the real keyring is required but does not work: {e}"),
    };
    let ids: Vec<AccountId> = (0..6)
        .map(|i| account(&format!("user{i}@example.com")))
        .collect();
    let mut tasks = Vec::new();
    for id in ids.clone() {
        let store = store.clone();
        tasks.push(tokio::task::spawn_blocking(move || {
            let token = SecretString::from(format!("1//token-of-{id}"));
            store.save(&id, &token)?;
            let back = store.load(&id)?;
            let deleted = store.delete(&id)?;
            Ok::<_, StoreError>((back.map(|s| s.expose_secret().to_owned()), deleted, id))
        }));
    }
    for task in tasks {
        let (back, deleted, id) = task.await.unwrap().unwrap();
        assert_eq!(back, Some(format!("1//token-of-{id}")));
        assert!(deleted);
    }
    for id in ids {
        let store = store.clone();
        let left = tokio::task::spawn_blocking(move || store.load(&id))
            .await
            .unwrap();
        assert!(left.unwrap().is_none());
    }
}

/// A session bus on which nothing provides (or can start) a Secret Service.
struct BareBus {
    pid: String,
    address: String,
    _dir: tempfile::TempDir,
}

impl BareBus {
    fn start() -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default"><allow send_destination="*"/><allow own="*"/></policy>
</busconfig>"#,
                dir.path().display()
            ),
        )
        .unwrap();
        let out = match Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--print-address=1", "--print-pid=1", "--fork"])
            .output()
        {
            Ok(out) if out.status.success() => out,
            other if !required() => {
                eprintln!("SKIPPED keyring::bare_bus: cannot start dbus-daemon ({other:?})");
                return None;
            }
            other => panic!("dbus-daemon (Debian package dbus-daemon) is needed: {other:?}"),
        };
        let text = String::from_utf8(out.stdout).unwrap();
        let mut lines = text.lines();
        let address = lines.next().unwrap().to_owned();
        let pid = lines.next().unwrap().trim().to_owned();
        Some(Self {
            pid,
            address,
            _dir: dir,
        })
    }
}

impl Drop for BareBus {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(&self.pid).status();
    }
}

/// Runs `child_expects_unavailable` in a fresh process with the given session bus address
/// (the bus address is read once per process, so this cannot be done in-process).
fn run_child(bus_address: &str) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "keyring::child_expects_unavailable",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_ENV, "1")
        .env("DBUS_SESSION_BUS_ADDRESS", bus_address)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child failed:\n{stdout}\n{stderr}"
    );
    stdout
}

#[test]
fn bus_without_secret_service_is_unavailable_with_the_fix() {
    let Some(bus) = BareBus::start() else { return };
    let out = run_child(&bus.address);
    assert!(out.contains("org.freedesktop.secrets"), "{out}");
}

#[test]
fn missing_session_bus_is_unavailable_with_the_fix() {
    let out = run_child("unix:path=/nonexistent/chatkey-test-bus");
    assert!(out.contains("D-Bus session bus"), "{out}");
}

#[test]
#[ignore = "helper: run in a child process by the *_is_unavailable_with_the_fix tests"]
fn child_expects_unavailable() {
    assert!(
        std::env::var_os(CHILD_ENV).is_some(),
        "this helper runs only as a child of the keyring tests (it needs {CHILD_ENV} and a broken DBUS_SESSION_BUS_ADDRESS)"
    );
    let err = KeyringStore::new(unique_service("child")).unwrap_err();
    let text = err.to_string();
    println!("KeyringStore::new error: {text}");
    assert!(matches!(err, StoreError::Unavailable { .. }), "{err:?}");
    assert!(text.contains("gnome-keyring"), "{text}");
    assert!(text.contains("then run chatkey again"), "{text}");
}
