//! The GTK/AppKit/Win32 side: the tao event loop on the main thread, the tray icon and its
//! menu. The only code in chatkey that touches tao or tray-icon.
//!
//! The daemon runs on the tokio runtime's worker threads. It reaches this loop only through
//! an `EventLoopProxy` (`send_event` wakes the GTK loop; tao's timed waits do not, see
//! STACK.md), and clicks go back over a tokio channel whose `send` never blocks. The loop
//! therefore sleeps in `ControlFlow::Wait` until something happens; nothing here polls.

use std::process::ExitCode;
use std::sync::Arc;

use tao::event::Event;
use tao::event_loop::{ControlFlow, EventLoopBuilder};
use tao::platform::run_return::EventLoopExtRunReturn;
use tokio::sync::{mpsc, oneshot};
use tray_icon::menu::{
    CheckMenuItem, IsMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem, Submenu,
};
use tray_icon::{TrayIcon, TrayIconBuilder};

use super::model::{Action, Item, TrayView};
use super::{actions, icons};
use crate::daemon::Instance;
use crate::paths::Paths;

/// What the tokio side and menu clicks tell the event loop.
#[derive(Debug)]
enum UserEvent {
    View(TrayView),
    Menu(String),
    /// The daemon has stopped (Quit, `chatkey` control shutdown, SIGTERM): leave the loop.
    Exit,
}

/// Runs the tray on this (the main) thread and the daemon on `runtime` until the daemon
/// stops; returns the daemon's exit code.
pub fn run(runtime: tokio::runtime::Runtime, paths: Paths, instance: Instance) -> ExitCode {
    let mut event_loop = EventLoopBuilder::<UserEvent>::with_user_event().build();
    let proxy = event_loop.create_proxy();
    let menu_proxy = proxy.clone();
    MenuEvent::set_event_handler(Some(move |event: MenuEvent| {
        let _ = menu_proxy.send_event(UserEvent::Menu(event.id.0));
    }));

    let (click_tx, click_rx) = mpsc::unbounded_channel();
    let (quit_tx, quit_rx) = oneshot::channel::<()>();
    let daemon_proxy = proxy.clone();
    let daemon = runtime.spawn(async move {
        let view_proxy = daemon_proxy.clone();
        let on_app = move |app: &Arc<crate::app::App>| {
            let (wake_tx, wake_rx) = mpsc::unbounded_channel();
            tokio::spawn(actions::follow(app.clone(), wake_rx, move |view| {
                view_proxy.send_event(UserEvent::View(view)).is_ok()
            }));
            tokio::spawn(actions::run(app.clone(), click_rx, wake_tx, quit_tx));
        };
        // Resolves on Quit, and also if the click handler is gone (then nobody could quit).
        let quit = async move {
            let _ = quit_rx.await;
        };
        let result = crate::daemon_main::run(instance, &paths, false, quit, on_app).await;
        let _ = daemon_proxy.send_event(UserEvent::Exit);
        result
    });

    let mut tray: Option<TrayIcon> = None;
    let mut tray_failed = false;
    event_loop.run_return(|event, _, control_flow| {
        *control_flow = ControlFlow::Wait;
        match event {
            Event::UserEvent(UserEvent::View(view)) if !tray_failed => {
                match render(&mut tray, &view) {
                    Ok(()) => super::set_shown(Some(view)),
                    Err(error) => {
                        // No tray host library or a broken one: the daemon still serves.
                        tracing::error!(error = %format!("{error:#}"), "cannot show the tray icon; chatkey keeps running without it");
                        tray_failed = true;
                    }
                }
            }
            Event::UserEvent(UserEvent::Menu(id)) => match Action::parse(&id) {
                Some(action) => {
                    if let Action::CopyConfig(client) = action {
                        copy_to_clipboard(&crate::clients::snippet(client));
                    }
                    let _ = click_tx.send(action);
                }
                None => tracing::warn!(id, "unknown tray menu item"),
            },
            Event::UserEvent(UserEvent::Exit) => {
                super::set_shown(None);
                tray = None;
                *control_flow = ControlFlow::Exit;
            }
            _ => {}
        }
    });
    drop(click_tx);
    match runtime.block_on(daemon) {
        Ok(Ok(code)) => code,
        Ok(Err(error)) => {
            eprintln!("chatkey: {error:#}");
            ExitCode::from(crate::exit_code::FAILURE)
        }
        Err(error) => {
            eprintln!("chatkey: the daemon task failed: {error}");
            ExitCode::from(crate::exit_code::FAILURE)
        }
    }
}

/// Shows `view`: creates the tray icon the first time, updates it after that.
fn render(tray: &mut Option<TrayIcon>, view: &TrayView) -> anyhow::Result<()> {
    let menu = Menu::new();
    for item in &view.items {
        menu.append(build_item(item).as_ref())?;
    }
    let icon = icons::icon(view.icon)?;
    match tray {
        Some(tray) => {
            // macOS draws template icons in the menu bar's own colour (light and dark).
            #[cfg(target_os = "macos")]
            tray.set_icon_templated(Some(icon))?;
            #[cfg(not(target_os = "macos"))]
            tray.set_icon(Some(icon))?;
            tray.set_tooltip(Some(&view.tooltip))?;
            tray.set_menu(Some(Box::new(menu)));
        }
        None => {
            // libappindicator is loaded at run time and panics when it is missing.
            let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let builder = TrayIconBuilder::new().with_id("chatkey");
                #[cfg(target_os = "macos")]
                let builder = builder.with_icon_templated(icon);
                #[cfg(not(target_os = "macos"))]
                let builder = builder.with_icon(icon);
                builder
                    .with_tooltip(&view.tooltip)
                    .with_menu(Box::new(menu))
                    .build()
            }))
            .map_err(|_| {
                anyhow::anyhow!(
                    "the tray library panicked (is libayatana-appindicator3-1 installed?)"
                )
            })??;
            tracing::info!(state = view.icon.name(), "tray icon shown");
            *tray = Some(built);
        }
    }
    Ok(())
}

fn build_item(item: &Item) -> Box<dyn IsMenuItem> {
    match item {
        Item::Text { label } => Box::new(MenuItem::new(label, false, None)),
        Item::Action { id, label } => Box::new(MenuItem::with_id(id.as_str(), label, true, None)),
        Item::Check { id, label, checked } => Box::new(CheckMenuItem::with_id(
            id.as_str(),
            label,
            true,
            *checked,
            None,
        )),
        Item::Submenu { label, items } => {
            let submenu = Submenu::new(label, true);
            for child in items {
                // Appending a fresh item to a fresh submenu cannot clash with anything.
                let _ = submenu.append(build_item(child).as_ref());
            }
            Box::new(submenu)
        }
        Item::Separator => Box::new(PredefinedMenuItem::separator()),
    }
}

/// Puts `text` on the clipboard. GTK keeps serving it while chatkey runs.
#[cfg(target_os = "linux")]
fn copy_to_clipboard(text: &str) {
    let clipboard = gtk::Clipboard::get(&gtk::gdk::SELECTION_CLIPBOARD);
    clipboard.set_text(text);
    clipboard.store();
}

#[cfg(not(target_os = "linux"))]
fn copy_to_clipboard(text: &str) {
    // No clipboard binding on this OS yet: the snippet goes to the log, and
    // `chatkey install-client --print` shows it too.
    tracing::warn!(snippet = text, "clipboard not supported on this OS");
}
