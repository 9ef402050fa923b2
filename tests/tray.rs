//! The real tray: `chatkey` (no arguments) under Xvfb with `trayer` as the XEmbed tray host,
//! signed in to the emulator with the token in the real keyring.
//!
//! Checks the icon's pixels in screenshots (kept in `target/tray/` for review, `menu.png` is
//! the README's picture), the menu model over the control channel's `menu` query in each
//! state, a second launch (exit 0, the running one notifies), and Quit from the menu itself
//! (keyboard through the open GTK menu): the process exits 0 and removes its socket.
//!
//! Needs DISPLAY, trayer, xdotool, ImageMagick's `import` and a Secret Service
//! (scripts/with-session.sh provides them; `make test` installs the packages). Skips without
//! them unless CHATKEY_REQUIRE_TRAY is set.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chatkey::paths::Paths;
use chatkey::protocol::ControlRequest;
use chatkey::providers::google_chat::emulator::{self, EmulatorConfig};
use chatkey::tokens::{KeyringStore, SecretStore};
use serde_json::Value;

use crate::support::{off_runtime, profile_paths, store_signed_in_account};

const CHATKEY: &str = env!("CARGO_BIN_EXE_chatkey");
/// The icons' fill colours (icons/src/*.svg).
const GREEN: [u8; 3] = [0x2e, 0x9d, 0x4f];
const AMBER: [u8; 3] = [0xe0, 0x8a, 0x00];

fn ready() -> bool {
    let display = std::env::var_os("DISPLAY").is_some();
    let tools = ["trayer", "xdotool", "import"].iter().all(|tool| {
        Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    if display && tools {
        return true;
    }
    let why = format!("DISPLAY set: {display}; trayer, xdotool and import installed: {tools}");
    if std::env::var_os("CHATKEY_REQUIRE_TRAY").is_some() {
        panic!(
            "the tray test is required but cannot run ({why}): run it in scripts/with-session.sh after `make deps GUI_TESTS=1`"
        );
    }
    eprintln!("skipping the tray test ({why})");
    false
}

fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/tray");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A root-window screenshot, and how many pixels are close to `colour`.
fn screenshot(name: &str) -> (PathBuf, Vec<u8>, u32) {
    let path = out_dir().join(name);
    let status = Command::new("import")
        .args(["-window", "root"])
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success(), "import failed");
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    assert!(channels >= 3, "{:?}", info.color_type);
    let rgb: Vec<u8> = buf[..info.buffer_size()]
        .chunks(channels)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    (path, rgb, info.width)
}

/// Pixels near `colour`, and their centre.
fn find(rgb: &[u8], width: u32, colour: [u8; 3]) -> (usize, Option<(u32, u32)>) {
    let (mut n, mut sx, mut sy) = (0usize, 0u64, 0u64);
    for (i, p) in rgb.chunks(3).enumerate() {
        if p.iter().zip(colour).all(|(a, b)| a.abs_diff(b) <= 12) {
            n += 1;
            sx += (i as u32 % width) as u64;
            sy += (i as u32 / width) as u64;
        }
    }
    let centre = (n > 0).then(|| ((sx / n as u64) as u32, (sy / n as u64) as u32));
    (n, centre)
}

fn labels(view: &Value) -> Vec<String> {
    fn walk(items: &Value, out: &mut Vec<String>) {
        for item in items.as_array().into_iter().flatten() {
            if let Some(label) = item["label"].as_str() {
                out.push(label.to_owned());
            }
            walk(&item["items"], out);
        }
    }
    let mut out = Vec::new();
    walk(&view["items"], &mut out);
    out
}

async fn wait_menu(paths: &Paths, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = Value::Null;
    while Instant::now() < deadline {
        if let Ok(reply) = chatkey::daemon::control(paths, ControlRequest::Menu).await {
            if reply["tray"] == true && ok(&reply["view"]) {
                return reply["view"].clone();
            }
            last = reply;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("tray never showed {what}; last menu answer: {last:#}");
}

struct Killer(Vec<Child>);
impl Drop for Killer {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn chatkey(root: &Path, profile: &str) -> Command {
    let mut cmd = Command::new(CHATKEY);
    cmd.env("CHATKEY_PROFILE", profile)
        .env("CHATKEY_CONFIG_DIR", root.join("config"))
        .env("CHATKEY_RUNTIME_DIR", root.join("run"))
        .env("CHATKEY_STATE_DIR", root.join("state"))
        .env("CHATKEY_NO_BROWSER", "1")
        .stdin(Stdio::null());
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tray_icon_menu_states_second_launch_and_quit() {
    if !ready() {
        return;
    }
    // Short-lived access tokens, so the daemon meets a revocation within seconds.
    let emu = emulator::start(EmulatorConfig {
        access_token_lifetime: Duration::from_secs(8),
        ..Default::default()
    })
    .await
    .unwrap();
    let minted = emu
        .knobs()
        .mint_tokens(
            emulator::data::PRIMARY_USER,
            chatkey::providers::google_chat::DEFAULT_SCOPES,
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_owned();
    let profile = format!("tray-{}", std::process::id());
    let paths = profile_paths(&root, &profile);
    std::fs::create_dir_all(paths.config_dir()).unwrap();
    std::fs::write(paths.config_file(), emu.config_toml()).unwrap();
    let id = store_signed_in_account(
        &paths,
        emulator::data::PRIMARY_EMAIL,
        Some("Alex Rivera"),
        &minted.refresh_token,
    );

    let mut children = Killer(Vec::new());
    children.0.push(
        Command::new("trayer")
            .args(["--edge", "top", "--align", "left", "--widthtype", "request"])
            .args([
                "--height",
                "48",
                "--tint",
                "0xffffff",
                "--transparent",
                "false",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let log = std::fs::File::create(out_dir().join("chatkey.log")).unwrap();
    let daemon = chatkey(&root, &profile)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    children.0.push(daemon);

    // Signed in: green icon, the account line with the countdown, every fixed entry.
    let view = wait_menu(&paths, "the signed-in state", |v| {
        v["icon"] == "ok" && labels(v).iter().any(|l| l.contains("token refreshes in"))
    })
    .await;
    let labels_ok = labels(&view);
    for expected in [
        "Google Chat",
        "Copy assistant config",
        "Claude Desktop",
        "Cursor",
        "VS Code",
        "Claude Code",
        "Start at login",
        "Open logs",
        "Quit",
    ] {
        assert!(
            labels_ok.iter().any(|l| l == expected),
            "{expected} missing: {labels_ok:?}"
        );
    }
    assert!(
        labels_ok
            .iter()
            .any(|l| l == &format!("Sign out {}", id.email)),
        "{labels_ok:?}"
    );
    assert!(!labels_ok.iter().any(|l| l == "Sign in…"), "{labels_ok:?}");
    assert!(
        view["tooltip"].as_str().unwrap().contains(&id.email),
        "{view}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await; // let trayer draw it
    let (shot, rgb, width) = screenshot("ok.png");
    let (green, _) = find(&rgb, width, GREEN);
    let (amber, _) = find(&rgb, width, AMBER);
    assert!(green >= 40, "{}: {green} green icon pixels", shot.display());
    assert_eq!(amber, 0, "{}: amber pixels while signed in", shot.display());

    // A second launch leaves at once with 0; the running daemon shows the notification.
    let second = chatkey(&root, &profile).output().unwrap();
    assert!(second.status.success(), "{second:?}");
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("already running"),
        "{second:?}"
    );
    let logs = paths.log_dir();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !read_dir_text(&logs).contains("chatkey is already running — see the tray") {
        assert!(
            Instant::now() < deadline,
            "no already-running notification in the log"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Revoked at the provider: the next refresh fails and the icon turns amber.
    emu.knobs().revoke_refresh_tokens(None).unwrap();
    let view = wait_menu(&paths, "needs attention", |v| {
        v["icon"] == "needs_attention"
    })
    .await;
    let labels_needs = labels(&view);
    assert!(
        labels_needs.iter().any(|l| l == "Sign in…"),
        "{labels_needs:?}"
    );
    assert!(
        labels_needs
            .iter()
            .any(|l| l.contains("needs you to sign in again")),
        "{labels_needs:?}"
    );
    assert!(
        view["tooltip"].as_str().unwrap().contains("sign in again"),
        "{view}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (shot, rgb, width) = screenshot("needs-attention.png");
    let (green, _) = find(&rgb, width, GREEN);
    let (amber, centre) = find(&rgb, width, AMBER);
    assert!(amber >= 40, "{}: {amber} amber icon pixels", shot.display());
    assert_eq!(
        green,
        0,
        "{}: green pixels after the revocation",
        shot.display()
    );

    // Open the menu with a click on the icon and keep a picture of it.
    let (x, y) = centre.unwrap();
    xdotool(&["mousemove", &x.to_string(), &y.to_string(), "click", "1"]);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let (shot, menu_rgb, _) = screenshot("menu.png");
    let changed = rgb
        .chunks(3)
        .zip(menu_rgb.chunks(3))
        .filter(|(a, b)| a != b)
        .count();
    assert!(
        changed > 5000,
        "{}: the menu did not open ({changed} pixels changed)",
        shot.display()
    );

    // Quit from the open menu: Up selects the last entry (Quit), Return activates it.
    xdotool(&["key", "Up", "Return"]);
    let mut daemon = children.0.pop().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = daemon.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "Quit did not stop chatkey");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "{status:?}");
    assert!(
        !paths.socket_path().exists(),
        "the socket is still there after Quit"
    );
    assert!(read_dir_text(&logs).contains("chatkey daemon stopped"));

    let (service, id) = (paths.keyring_service(), id);
    off_runtime(move || {
        if let Ok(store) = KeyringStore::new(service) {
            let _ = store.delete(&id);
        }
    });
}

fn xdotool(args: &[&str]) {
    let status = Command::new("xdotool").args(args).status().unwrap();
    assert!(status.success(), "xdotool {args:?} failed");
}

fn read_dir_text(dir: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        text.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
    }
    text
}
