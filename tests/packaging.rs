//! The packages: the .deb `make deb` built, unpacked into a temporary root with `dpkg -x`, runs
//! from there and passes lintian with no errors; and the packaging sources agree with the
//! crate (every cargo-deb asset exists, desktop entries and the systemd unit start commands
//! that exist, the macOS plists parse and `build-app.sh` assembles a bundle, the Windows
//! installer's files exist).
//!
//! The .deb is found at `CHATKEY_DEB` or as `target/debian/chatkey_*.deb`. When there is none
//! the test says so and skips, unless `CHATKEY_REQUIRE_DEB` is set (`make test` sets it after
//! building the package).

use std::path::{Path, PathBuf};
use std::process::Command;

const CHATKEY: &str = env!("CARGO_BIN_EXE_chatkey");
const SHIM: &str = env!("CARGO_BIN_EXE_chatkey-mcp");
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn find_deb() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHATKEY_DEB").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let mut debs: Vec<PathBuf> = std::fs::read_dir(target.join("debian"))
        .ok()?
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with(&format!("chatkey_{VERSION}")) && name.ends_with(".deb")
        })
        .collect();
    debs.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    debs.pop()
}

fn required() -> bool {
    std::env::var_os("CHATKEY_REQUIRE_DEB").is_some_and(|v| !v.is_empty())
}

fn run(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn the_deb_unpacks_and_its_binaries_run() {
    let Some(deb) = find_deb() else {
        assert!(
            !required(),
            "no chatkey_{VERSION}*.deb in target/debian: run `make deb`"
        );
        eprintln!("SKIP: no .deb built (run `make deb`, or set CHATKEY_DEB)");
        return;
    };
    let dest = tempfile::tempdir().unwrap();
    run(Command::new("dpkg").arg("-x").arg(&deb).arg(dest.path()));
    let installed = dest.path();
    for rel in [
        "usr/bin/chatkey",
        "usr/bin/chatkey-mcp",
        "usr/share/applications/chatkey.desktop",
        "etc/xdg/autostart/chatkey.desktop",
        "usr/lib/systemd/user/chatkey.service",
        "usr/share/icons/hicolor/48x48/apps/chatkey.png",
        "usr/share/icons/hicolor/scalable/apps/chatkey.svg",
    ] {
        assert!(
            installed.join(rel).is_file(),
            "{rel} is not in {}",
            deb.display()
        );
    }

    let version = run(Command::new(installed.join("usr/bin/chatkey")).arg("--version"));
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("chatkey {VERSION}")
    );
    let help = run(Command::new(installed.join("usr/bin/chatkey-mcp")).arg("--help"));
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("Usage: chatkey-mcp"), "{help}");
    assert!(help.contains("--read-only"), "{help}");

    let depends = run(Command::new("dpkg-deb")
        .args(["-f"])
        .arg(&deb)
        .arg("Depends"));
    let depends = String::from_utf8_lossy(&depends.stdout);
    assert!(depends.contains("libayatana-appindicator3-1"), "{depends}");
    assert!(depends.contains("libc6"), "shlibdeps ran: {depends}");

    // The tray's "Start at login" hides exactly this system entry with a personal one.
    let autostart =
        std::fs::read_to_string(installed.join("etc/xdg/autostart/chatkey.desktop")).unwrap();
    assert!(autostart.contains("Exec=/usr/bin/chatkey\n"), "{autostart}");

    if which("lintian") {
        let out = Command::new("lintian")
            .args(["--fail-on", "error", "--no-tag-display-limit"])
            .arg(&deb)
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "lintian reported errors:\n{report}");
        assert!(!report.lines().any(|l| l.starts_with("E: ")), "{report}");
    } else {
        assert!(
            !required(),
            "lintian is not installed (make deb installs it)"
        );
        eprintln!("SKIP lintian: not installed");
    }
}

fn which(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The `[package.metadata.deb]` assets' source paths (the part before the first comma).
fn deb_assets() -> Vec<String> {
    let manifest: toml::Value = toml::from_str(&read("Cargo.toml")).unwrap();
    manifest["package"]["metadata"]["deb"]["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a[0].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn every_deb_asset_exists_in_the_tree() {
    let assets = deb_assets();
    assert!(assets.len() >= 8, "{assets:?}");
    for src in assets {
        if src.starts_with("target/") {
            continue; // built by cargo-deb
        }
        assert!(
            root().join(&src).is_file(),
            "cargo-deb asset {src} is missing"
        );
    }
}

#[test]
fn the_debian_changelog_names_this_version() {
    let changelog = read("packaging/linux/changelog");
    let first = changelog.lines().next().unwrap();
    assert!(
        first.starts_with(&format!("chatkey ({VERSION}-1) ")),
        "packaging/linux/changelog's top entry `{first}` is not for {VERSION}: add an entry"
    );
}

#[test]
fn desktop_entries_and_the_service_start_real_commands() {
    for rel in [
        "packaging/linux/chatkey.desktop",
        "packaging/linux/chatkey-autostart.desktop",
    ] {
        let text = read(rel);
        assert!(text.starts_with("[Desktop Entry]\n"), "{rel}");
        for key in [
            "Type=Application",
            "Name=chatkey",
            "Exec=/usr/bin/chatkey\n",
            "Icon=chatkey\n",
        ] {
            assert!(text.contains(key), "{rel} lacks {key:?}");
        }
    }
    // The unit's ExecStart is a command line chatkey accepts.
    let unit = read("packaging/linux/chatkey.service");
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart=/usr/bin/chatkey "))
        .expect("ExecStart=/usr/bin/chatkey …");
    let mut args: Vec<&str> = exec.split_whitespace().collect();
    args.push("--help");
    run(Command::new(CHATKEY).args(&args));
    assert!(unit.contains("WantedBy=default.target"));
}

#[test]
fn macos_plists_parse_and_build_app_assembles_a_bundle() {
    let out = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    // Linux binaries stand in for the macOS ones: this checks the layout, not the code.
    for (name, src) in [("chatkey", CHATKEY), ("chatkey-mcp", SHIM)] {
        std::fs::copy(src, bin.path().join(name)).unwrap();
    }
    run(Command::new(root().join("packaging/macos/build-app.sh"))
        .arg("--bin-dir")
        .arg(bin.path())
        .arg("--out")
        .arg(out.path()));
    let app = out.path().join("chatkey.app/Contents");
    for rel in [
        "MacOS/chatkey",
        "MacOS/chatkey-mcp",
        "Resources/dev.chatkey.chatkey.plist",
    ] {
        assert!(app.join(rel).is_file(), "{rel}");
    }
    // plistlib is a strict parser; print the keys the bundle and the agent depend on.
    let script = r#"
import plistlib, sys
info = plistlib.load(open(sys.argv[1], "rb"))
agent = plistlib.load(open(sys.argv[2], "rb"))
print(info["CFBundleExecutable"], info["CFBundleShortVersionString"], info["LSUIElement"])
print(agent["Label"], agent["ProgramArguments"][0], agent["RunAtLoad"])
"#;
    let parsed = run(Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(app.join("Info.plist"))
        .arg(root().join("packaging/macos/dev.chatkey.chatkey.plist")));
    let parsed = String::from_utf8_lossy(&parsed.stdout);
    assert_eq!(
        parsed,
        format!(
            "chatkey {VERSION} True\ndev.chatkey.chatkey /Applications/chatkey.app/Contents/MacOS/chatkey True\n"
        )
    );
}

#[test]
fn the_windows_installer_ships_files_that_exist() {
    let iss = read("packaging/windows/chatkey.iss");
    for needle in [
        "PrivilegesRequired=lowest",
        "chatkey.exe",
        "chatkey-mcp.exe",
        "CurrentVersion\\Run",
    ] {
        assert!(iss.contains(needle), "chatkey.iss lacks {needle}");
    }
    // Every non-built source file the script names is relative to packaging/windows/.
    let dir = root().join("packaging/windows");
    let sources: Vec<&str> = iss
        .lines()
        .filter_map(|l| l.strip_prefix("Source: \""))
        .filter_map(|l| l.split('"').next())
        .filter(|s| !s.starts_with("{#BinDir}"))
        .collect();
    assert!(!sources.is_empty());
    for src in sources.iter().chain(
        iss.lines()
            .filter_map(|l| l.strip_prefix("SetupIconFile="))
            .collect::<Vec<_>>()
            .iter(),
    ) {
        let path = dir.join(src.replace('\\', "/"));
        assert!(path.is_file(), "{src} ({}) is missing", path.display());
    }
}
