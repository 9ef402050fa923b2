//! The tray's work on the tokio side: keeping the view current and carrying out menu clicks.
//!
//! Nothing here touches GTK. The view follows the accounts' events (health changes, sign-ins,
//! refreshes, sign-outs) plus a once-a-minute tick that only exists to move the "token
//! refreshes in N min" countdown; a new view is handed to the GTK side only when it differs
//! from the last one. Clicks arrive as `Action`s over a channel and run here, where sign-in,
//! sign-out and the keyring live.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc};

use super::model::{self, Action, TrayView};
use crate::app::App;

/// Why the tray woke up besides an account event: a click changed something only we see.
pub type Wake = mpsc::UnboundedSender<()>;

/// The view of the daemon as it is now.
pub fn current_view(app: &App) -> TrayView {
    model::build(
        &app.status(),
        model::Extras {
            signing_in: app.sign_in_running(),
            autostart: super::autostart::enabled(&app.paths),
            now: chrono::Utc::now(),
        },
    )
}

/// Publishes a view whenever it changes, until `publish` reports the tray is gone.
pub async fn follow(
    app: Arc<App>,
    mut wake: mpsc::UnboundedReceiver<()>,
    publish: impl Fn(TrayView) -> bool + Send + 'static,
) {
    let mut events = app.accounts.events();
    let mut changed = app.accounts.subscribe();
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last: Option<TrayView> = None;
    loop {
        let view = current_view(&app);
        if last.as_ref() != Some(&view) {
            if !publish(view.clone()) {
                return;
            }
            last = Some(view);
        }
        tokio::select! {
            event = events.recv() => if matches!(event, Err(broadcast::error::RecvError::Closed)) { return },
            event = changed.recv() => if matches!(event, Err(broadcast::error::RecvError::Closed)) { return },
            woke = wake.recv() => if woke.is_none() { return },
            _ = tick.tick() => {}
        }
    }
}

/// Carries out clicks until the channel closes. `quit` starts the daemon's clean shutdown.
pub async fn run(
    app: Arc<App>,
    mut clicks: mpsc::UnboundedReceiver<Action>,
    wake: Wake,
    quit: tokio::sync::oneshot::Sender<()>,
) {
    let mut quit = Some(quit);
    while let Some(action) = clicks.recv().await {
        tracing::info!(action = %action.id(), "tray menu");
        match action {
            Action::Quit => {
                if let Some(quit) = quit.take() {
                    let _ = quit.send(());
                }
            }
            Action::SignIn { provider, email } => {
                let app = app.clone();
                let wake = wake.clone();
                // Sign-in waits up to 20 s for its listener; other clicks must not queue on it.
                tokio::spawn(async move {
                    let started = app.start_sign_in(provider, email).await;
                    let _ = wake.send(());
                    match started {
                        Ok(started)
                            if !app
                                .sign_in_opens_browser
                                .load(std::sync::atomic::Ordering::Relaxed) =>
                        {
                            tracing::info!(url = %started.url, "tray sign-in started; open the URL in a browser");
                            notify(
                                "Finish signing in",
                                &format!(
                                    "Open this link in a browser on this computer: {}",
                                    started.url
                                ),
                            )
                            .await;
                        }
                        Ok(started) => {
                            tracing::info!(url = %started.url, "tray sign-in started in the browser")
                        }
                        Err(e) => notify("Could not start the sign-in", &e.message).await,
                    }
                });
            }
            Action::SignOut { provider, email } => {
                let outcome = crate::signin::logout(&app.paths, provider, Some(&email)).await;
                let reloaded = app.reload().await;
                let _ = wake.send(());
                match (outcome, reloaded) {
                    (Ok(_), Ok(())) => {
                        notify(
                            &format!("Signed out of {}", provider.display_name()),
                            &format!("{email}'s token is revoked and deleted from the keyring."),
                        )
                        .await
                    }
                    (Err(e), _) | (_, Err(e)) => {
                        notify("Sign-out did not finish", &format!("{e:#}")).await
                    }
                }
            }
            Action::CopyConfig(client) => {
                // The GTK side already put the text on the clipboard; say where it goes.
                let name = client.display_name();
                notify(
                    &format!("{name} config copied"),
                    &format!(
                        "Paste it into {name}'s MCP settings, or run `chatkey install-client {}`.",
                        client.cli_name()
                    ),
                )
                .await;
            }
            Action::ToggleAutostart => {
                let paths = app.paths.clone();
                let result =
                    tokio::task::spawn_blocking(move || super::autostart::toggle(&paths)).await;
                match result {
                    Ok(Ok(on)) => tracing::info!(enabled = on, "start at login changed"),
                    Ok(Err(e)) => {
                        notify("Could not change \"Start at login\"", &format!("{e:#}")).await
                    }
                    Err(e) => tracing::error!(error = %e, "start-at-login task failed"),
                }
                let _ = wake.send(());
            }
            Action::OpenLogs => open_logs(&app.paths.log_dir()).await,
            Action::About => {
                notify(
                    &format!("chatkey {}", env!("CARGO_PKG_VERSION")),
                    &format!(
                        "{} Profile `{}`, logs in {}.",
                        env!("CARGO_PKG_DESCRIPTION"),
                        app.paths.profile(),
                        app.paths.log_dir().display()
                    ),
                )
                .await
            }
        }
    }
}

/// Opens the log folder in the desktop's file manager.
async fn open_logs(dir: &std::path::Path) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    match tokio::process::Command::new(opener).arg(dir).spawn() {
        // Reaped in the background: the file manager may stay open for hours.
        Ok(mut child) => {
            tokio::spawn(async move { child.wait().await });
        }
        Err(e) => {
            notify(
                "Could not open the logs",
                &format!("{opener} failed ({e}); the logs are in {}", dir.display()),
            )
            .await
        }
    }
}

/// Shows a desktop notification, or logs it where no notification server answers.
pub async fn notify(summary: &str, body: &str) {
    tracing::info!(summary, body, "notification");
    let mut notification = notify_rust::Notification::new();
    notification.appname("chatkey").summary(summary).body(body);
    #[cfg(all(unix, not(target_os = "macos")))]
    let shown = notification.show_async().await.map(|_| ());
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    let shown = tokio::task::spawn_blocking(move || notification.show().map(|_| ()))
        .await
        .unwrap_or(Ok(()));
    if let Err(error) = shown {
        tracing::warn!(%error, "no desktop notification shown; the message is in this log");
    }
}
