//! The tray: an icon whose colour says whether the accounts are healthy, and a menu built
//! from the daemon's live state (sign in / out, copy an assistant's config, start at login,
//! logs, about, quit).
//!
//! `model` turns the daemon's status into plain data and `actions` does the clicks' work on
//! tokio; both compile without the `tray` feature, so a headless daemon still answers the
//! control channel's `menu` query with what the tray would show. Only `ui` (and `icons`)
//! touch tao and tray-icon, and only with the feature. `main` is the `chatkey` entry point
//! for the tray case: the tao loop owns the main thread, the daemon runs on tokio's workers.

pub mod actions;
pub mod autostart;
#[cfg(feature = "tray")]
mod icons;
pub mod model;
#[cfg(feature = "tray")]
mod ui;

use std::sync::Mutex;

use model::TrayView;

/// The view the tray last drew in this process; `None` when no tray is showing.
static SHOWN: Mutex<Option<TrayView>> = Mutex::new(None);

/// What the tray shows now, if one is showing in this process.
pub fn shown() -> Option<TrayView> {
    SHOWN.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

#[cfg(feature = "tray")]
fn set_shown(view: Option<TrayView>) {
    *SHOWN.lock().unwrap_or_else(|e| e.into_inner()) = view;
}

/// Whether a tray can be shown: this build has one and there is a display to show it on.
pub fn available() -> bool {
    let display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
    // macOS and Windows always have their menu bar / notification area.
    cfg!(feature = "tray") && (display || cfg!(any(target_os = "macos", windows)))
}

/// Runs the daemon with the tray: takes the single-instance lock (or tells the running
/// daemon that someone launched chatkey again, and leaves), then hands the main thread to
/// the tray's event loop until the daemon stops.
#[cfg(feature = "tray")]
pub fn main(runtime: tokio::runtime::Runtime) -> std::process::ExitCode {
    let paths = match crate::paths::Paths::from_env() {
        Ok(paths) => paths,
        Err(e) => {
            eprintln!("chatkey: {e}");
            return std::process::ExitCode::from(crate::exit_code::FAILURE);
        }
    };
    match runtime.block_on(crate::daemon_main::acquire(&paths, false)) {
        Ok(Ok(instance)) => ui::run(runtime, paths, instance),
        Ok(Err(code)) => code,
        Err(e) => {
            eprintln!("chatkey: {e:#}");
            std::process::ExitCode::from(crate::exit_code::FAILURE)
        }
    }
}

/// The notification a second launch of `chatkey` gets from the running daemon.
pub async fn announce_already_running() {
    let body = if shown().is_some() {
        "chatkey is already running — see the tray"
    } else {
        "chatkey is already running (without a tray: it was started headless)"
    };
    actions::notify("chatkey", body).await;
}

/// The control channel's `menu` answer: whether a tray is showing, and its view (or the view
/// a tray would show, for a headless daemon).
pub fn menu_report(app: &crate::app::App) -> serde_json::Value {
    let shown = shown();
    serde_json::json!({
        "tray": shown.is_some(),
        "view": shown.unwrap_or_else(|| actions::current_view(app)),
    })
}
