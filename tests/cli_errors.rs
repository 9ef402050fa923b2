//! Errors as the real `chatkey` binary prints them (`main` prints `{:#}`): each cause once,
//! never "X: X". A config file that is a directory or not UTF-8, a state dir that cannot be
//! made, a runtime dir that cannot be made, a lock that is a directory, an assistant config or
//! client-secret file that is a directory.
//!
//! None of these needs the keyring: each fails before chatkey reaches it.

use std::path::Path;
use std::process::{Command, Stdio};

const CHATKEY: &str = env!("CARGO_BIN_EXE_chatkey");

fn chatkey(root: &Path, args: &[&str], env: &[(&str, &Path)]) -> String {
    let mut cmd = Command::new(CHATKEY);
    cmd.args(args)
        .env("CHATKEY_PROFILE", "t-errors")
        .env("CHATKEY_CONFIG_DIR", root.join("config"))
        .env("CHATKEY_RUNTIME_DIR", root.join("run"))
        .env("CHATKEY_STATE_DIR", root.join("state"))
        .env("CHATKEY_NO_BROWSER", "1")
        .env("HOME", root.join("home"))
        .env("XDG_CONFIG_HOME", root.join("home/.config"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("CHATKEY_LOG")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "{args:?} succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `stderr` names `cause` exactly once and repeats no ": "-separated part.
fn once(stderr: &str, cause: &str) {
    assert_eq!(
        stderr.matches(cause).count(),
        1,
        "`{cause}` not printed exactly once:\n{stderr}"
    );
    for line in stderr.lines() {
        let parts: Vec<&str> = line.split(": ").collect();
        for (i, part) in parts.iter().enumerate() {
            assert!(
                !parts[i + 1..].contains(part),
                "`{part}` repeated in: {line}"
            );
        }
    }
}

#[test]
fn every_cause_is_printed_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("home")).unwrap();

    // config.toml is a directory.
    std::fs::create_dir_all(root.join("config/config.toml")).unwrap();
    let err = chatkey(root, &["login", "google-chat", "--no-browser"], &[]);
    assert!(err.contains("config.toml"), "{err}");
    once(&err, "Is a directory");

    // config.toml is not UTF-8: the message says so, once, and what to do.
    std::fs::remove_dir(root.join("config/config.toml")).unwrap();
    std::fs::write(root.join("config/config.toml"), b"\xff\xfe[providers]\n").unwrap();
    let err = chatkey(root, &["login", "google-chat", "--no-browser"], &[]);
    once(&err, "not UTF-8");
    assert!(!err.contains("stream did not contain"), "{err}");
    std::fs::remove_file(root.join("config/config.toml")).unwrap();

    // The client-secret file named to `setup` is a directory.
    std::fs::create_dir_all(root.join("secret.json")).unwrap();
    let secret = root.join("secret.json").display().to_string();
    let err = chatkey(
        root,
        &["setup", "google-chat", "--client-secret", &secret],
        &[],
    );
    once(&err, "Is a directory");

    // The assistant's config file is a directory.
    std::fs::create_dir_all(root.join("home/.cursor/mcp.json")).unwrap();
    let err = chatkey(root, &["install-client", "cursor"], &[]);
    assert!(err.contains("mcp.json"), "{err}");
    once(&err, "Is a directory");

    // The state dir (where the logs go) cannot be created: a file is in the way.
    std::fs::write(root.join("blocker"), "").unwrap();
    let state = root.join("blocker/state");
    let err = chatkey(
        root,
        &["daemon", "--headless"],
        &[("CHATKEY_STATE_DIR", &state)],
    );
    once(&err, "Not a directory");

    // The runtime dir (socket and lock) cannot be created: a file is in the way.
    let run = root.join("blocker/run");
    let err = chatkey(
        root,
        &["daemon", "--headless"],
        &[("CHATKEY_RUNTIME_DIR", &run)],
    );
    assert!(err.contains("runtime directory"), "{err}");
    once(&err, "Not a directory");

    // The single-instance lock is a directory.
    std::fs::create_dir_all(root.join("run2/chatkey.lock")).unwrap();
    let run2 = root.join("run2");
    let err = chatkey(
        root,
        &["daemon", "--headless"],
        &[("CHATKEY_RUNTIME_DIR", &run2)],
    );
    assert!(err.contains("chatkey.lock"), "{err}");
    once(&err, "Is a directory");
}
