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

/// A private session bus on which nothing provides (or can start) a Secret Service. A
/// `silent` bus also drops every reply to us, so calls wait forever: the case the per-call
/// timeout exists for.
struct BareBus {
    pid: String,
    address: String,
    _dir: tempfile::TempDir,
}

impl BareBus {
    fn start(silent: bool) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("bus.conf");
        // Debian's session policy, minus service directories. Leaving out the `eavesdrop`
        // allowances makes dbus-daemon drop replies (measured): that is the silent bus.
        let policy = if silent {
            r#"<allow send_destination="*"/><allow own="*"/>"#
        } else {
            r#"<allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/>"#
        };
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">{policy}</policy>
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

/// A command that runs `keyring_child` in a fresh process in `mode` (the session bus
/// address is read once per process, so broken buses cannot be tested in-process).
fn child(mode: &str) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "keyring::keyring_child",
        "--ignored",
        "--nocapture",
    ])
    .env(CHILD_ENV, mode);
    cmd
}

/// Runs a child with a time limit, so a hang shows up as a failure, not as a stuck test.
fn run(mut cmd: Command, what: &str) -> String {
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the keyring child ({what}) hung for 60 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child ({what}) failed:\n{stdout}\n{stderr}"
    );
    for line in stdout.lines().filter(|l| l.starts_with("RESULT ")) {
        eprintln!("keyring child ({what}): {}", &line["RESULT ".len()..]);
    }
    stdout
}

fn run_child(mode: &str, bus_address: &str) -> String {
    let mut cmd = child(mode);
    cmd.env("DBUS_SESSION_BUS_ADDRESS", bus_address);
    run(cmd, mode)
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A locked login keyring, in a private session of its own (locking the shared test
/// session's keyring would break every other test). Without a display, gnome-keyring's
/// unlock prompt cannot be shown and the call fails at once; on a desktop the person would
/// see the prompt instead.
#[test]
fn locked_keyring_is_reported_as_locked() {
    let tools = ["dbus-run-session", "gnome-keyring-daemon", "gdbus"];
    if let Some(missing) = tools.iter().find(|t| !have(t)) {
        assert!(
            !required(),
            "{missing} is needed for the locked-keyring test"
        );
        eprintln!("SKIPPED keyring::locked: {missing} is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let runtime = dir.path().join("run");
    std::fs::create_dir(&runtime).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let test_binary = child("locked").get_program().to_owned();
    let mut cmd = Command::new("dbus-run-session");
    cmd.args([
        "--",
        "sh",
        "-c",
        "printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec \"$0\" --exact keyring::keyring_child --ignored --nocapture",
    ])
    .arg(test_binary)
    .env(CHILD_ENV, "locked")
    .env("HOME", dir.path())
    .env("XDG_DATA_HOME", dir.path().join("data"))
    .env("XDG_CONFIG_HOME", dir.path().join("config"))
    .env("XDG_CACHE_HOME", dir.path().join("cache"))
    .env("XDG_RUNTIME_DIR", &runtime)
    .env_remove("DISPLAY")
    .env_remove("WAYLAND_DISPLAY")
    .env_remove("DBUS_SESSION_BUS_ADDRESS")
    .env_remove("GNOME_KEYRING_CONTROL");
    let out = run(cmd, "locked");
    assert!(out.contains("the keyring is locked"), "{out}");
}

#[test]
fn bus_without_secret_service_is_unavailable_with_the_fix() {
    let Some(bus) = BareBus::start(false) else {
        return;
    };
    let out = run_child("unavailable", &bus.address);
    assert!(out.contains("org.freedesktop.secrets"), "{out}");
}

#[test]
fn missing_session_bus_is_unavailable_with_the_fix() {
    let out = run_child("unavailable", "unix:path=/nonexistent/chatkey-test-bus");
    assert!(out.contains("D-Bus session bus"), "{out}");
}

#[test]
fn a_bus_that_never_answers_times_out_instead_of_hanging() {
    let Some(bus) = BareBus::start(true) else {
        return;
    };
    let out = run_child("silent", &bus.address);
    assert!(out.contains("did not answer"), "{out}");
}

#[test]
#[ignore = "helper: run in a child process by the keyring tests that break the session bus"]
fn keyring_child() {
    let mode = std::env::var(CHILD_ENV).unwrap_or_else(|_| {
        panic!("this helper runs only as a child of the keyring tests (it needs {CHILD_ENV} and a broken DBUS_SESSION_BUS_ADDRESS)")
    });
    if mode == "locked" {
        let store = KeyringStore::new(unique_service("locked")).unwrap();
        let alex = account("alex@example.com");
        store
            .save(&alex, &SecretString::from("1//before-lock"))
            .unwrap();
        let lock = Command::new("gdbus")
            .args([
                "call",
                "--session",
                "--dest",
                "org.freedesktop.secrets",
                "--object-path",
                "/org/freedesktop/secrets",
                "--method",
                "org.freedesktop.Secret.Service.Lock",
                "['/org/freedesktop/secrets/collection/login']",
            ])
            .status()
            .unwrap();
        assert!(lock.success());
        let err = store.load(&alex).unwrap_err();
        println!("RESULT load from a locked keyring: {err}");
        assert_eq!(err, StoreError::Locked);
        assert!(err.to_string().contains("unlock"), "{err}");
        let err = store
            .save(&alex, &SecretString::from("1//after"))
            .unwrap_err();
        assert_eq!(err, StoreError::Locked);
        return;
    }
    let started = std::time::Instant::now();
    let err = match mode.as_str() {
        "silent" => {
            KeyringStore::with_timeout(unique_service("child"), std::time::Duration::from_secs(2))
        }
        _ => KeyringStore::new(unique_service("child")),
    }
    .unwrap_err();
    let text = err.to_string();
    println!(
        "RESULT KeyringStore::new error after {:?}: {text}",
        started.elapsed()
    );
    assert!(matches!(err, StoreError::Unavailable { .. }), "{err:?}");
    assert!(text.contains("gnome-keyring"), "{text}");
    assert!(text.contains("then run chatkey again"), "{text}");
    if mode == "silent" {
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }
}
