//! What a newcomer's first commands install and run: `make demo` builds headless and asks
//! apt only for a Secret Service (no Xvfb, dunst, xdotool, imagemagick, trayer or GTK), and
//! `scripts/with-session.sh --no-display`, which it uses when no keyring runs, works on a
//! machine where none of the display tools exists; `make test` packages the .deb under a
//! profile cargo-deb accepts (never `dev`).

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The recipe `make -n TARGET` would run, or `None` when make is not installed.
fn dry_run(target: &str) -> Option<String> {
    let out = Command::new("make")
        .args(["-n", "--no-print-directory", target])
        .current_dir(repo())
        .env_remove("MAKEFLAGS")
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "make -n {target}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

const DISPLAY_TOOLS: [&str; 8] = [
    "xvfb",
    "xauth",
    "dunst",
    "xdotool",
    "x11-utils",
    "imagemagick",
    "trayer",
    "libgtk",
];

#[test]
fn make_demo_installs_only_a_secret_service() {
    let Some(recipe) = dry_run("demo") else {
        eprintln!("SKIPPED first_run::make_demo: no make");
        return;
    };
    let installs: Vec<&str> = recipe
        .lines()
        .filter_map(|l| l.trim().split_once("ensure-apt.sh "))
        .map(|(_, pkgs)| pkgs.trim_end_matches([';', '\\', ' ']))
        .collect();
    assert!(!installs.is_empty(), "the demo installs nothing?\n{recipe}");
    for pkgs in &installs {
        for pkg in pkgs.split_whitespace() {
            assert!(
                ["dbus", "gnome-keyring", "libsecret-tools"].contains(&pkg),
                "`make demo` installs {pkg}:\n{recipe}"
            );
        }
    }
    for tool in DISPLAY_TOOLS {
        assert!(!recipe.contains(tool), "{tool} in:\n{recipe}");
    }
    assert!(
        recipe.contains("build --bins --no-default-features"),
        "the demo builds the tray:\n{recipe}"
    );
    assert!(recipe.contains("with-session.sh --no-display"), "{recipe}");
}

#[test]
fn make_test_packages_the_deb_under_a_profile_cargo_deb_accepts() {
    let Some(recipe) = dry_run("test") else {
        eprintln!("SKIPPED first_run::make_test: no make");
        return;
    };
    let deb = recipe
        .lines()
        .find(|l| l.contains(" deb --profile"))
        .unwrap_or_else(|| panic!("no cargo deb step in:\n{recipe}"));
    let profile = deb
        .split_whitespace()
        .skip_while(|w| *w != "--profile")
        .nth(1)
        .unwrap();
    assert!(
        !["dev", "debug", "test"].contains(&profile),
        "cargo-deb warns that `{profile}` will be a hard error: {deb}"
    );
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    let doc: toml::Table = toml::from_str(&manifest).unwrap();
    if profile != "release" {
        let defined = &doc["profile"][profile];
        assert_ne!(
            defined.get("inherits").and_then(|v| v.as_str()),
            Some("dev"),
            "[profile.{profile}] inherits dev"
        );
    }
}

/// A directory of links to every program on `PATH` except `hidden`.
fn path_without(dir: &Path, hidden: &[&str]) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let path = std::env::var_os("PATH").unwrap();
    for entry in std::env::split_paths(&path) {
        let Ok(list) = std::fs::read_dir(&entry) else {
            continue;
        };
        for program in list.flatten() {
            let name = program.file_name();
            let link = bin.join(&name);
            if hidden.iter().any(|h| name == *h) || link.exists() {
                continue;
            }
            let _ = std::os::unix::fs::symlink(program.path(), link);
        }
    }
    bin
}

#[test]
fn with_session_no_display_needs_neither_x_nor_a_notification_server() {
    let have = |p: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {p}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !(have("gnome-keyring-daemon") && have("dbus-run-session") && have("secret-tool")) {
        assert!(
            std::env::var_os("CHATKEY_REQUIRE_KEYRING").is_none(),
            "gnome-keyring, dbus and secret-tool are required here"
        );
        eprintln!("SKIPPED first_run::with_session_no_display: no gnome-keyring/dbus/secret-tool");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let bin = path_without(
        tmp.path(),
        &["xvfb-run", "Xvfb", "xauth", "dunst", "xdotool", "trayer"],
    );
    let out = Command::new(repo().join("scripts/with-session.sh"))
        .args([
            "--no-display",
            "--",
            "sh",
            "-c",
            "test -z \"${DISPLAY:-}\" && echo v | secret-tool store --label=t k v && secret-tool lookup k v",
        ])
        .env("PATH", &bin)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim_end(),
        "v",
        "{stderr}"
    );
    assert!(stderr.contains("no display"), "{stderr}");

    // Without --no-display the same PATH is missing what a display needs, and says so.
    let out = Command::new(repo().join("scripts/with-session.sh"))
        .args(["--", "true"])
        .env("PATH", &bin)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("xvfb-run"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
