//! Starting the daemon process: logging, the single-instance lock, keyring, app state, the
//! token refresher and the notifier, then the socket server. Shared by `chatkey` (no
//! arguments) and `chatkey daemon [--headless]`.

use std::process::ExitCode;
use std::sync::Arc;

use crate::app::{App, DaemonServices};
use crate::daemon::{DaemonError, DaemonOptions, Instance};
use crate::exit_code;
use crate::paths::Paths;
use crate::protocol::ControlRequest;
use crate::tokens::{KeyringStore, SecretStore};

pub async fn start(paths: &Paths, headless: bool) -> anyhow::Result<ExitCode> {
    match acquire(paths, headless).await? {
        Ok(instance) => run(instance, paths, headless, std::future::pending(), |_| {}).await,
        Err(code) => Ok(code),
    }
}

/// Takes this profile's single-instance lock. When another daemon holds it, says so and
/// returns the exit code to leave with; unless `headless` (a shim racing to start one), the
/// running daemon is asked to show a "chatkey is already running" notification, because a
/// person who launches chatkey twice is looking for it.
pub async fn acquire(paths: &Paths, headless: bool) -> anyhow::Result<Result<Instance, ExitCode>> {
    // The lock comes first: a second daemon (two shims racing) must leave before it touches
    // the keyring, which may prompt the person to unlock it.
    match Instance::acquire(paths) {
        Ok(instance) => Ok(Ok(instance)),
        Err(e @ DaemonError::AlreadyRunning(_)) => {
            eprintln!("{e}");
            if !headless
                && let Err(error) = crate::daemon::control(paths, ControlRequest::Activate).await
            {
                eprintln!("chatkey: could not reach it: {error}");
            }
            Ok(Err(ExitCode::from(exit_code::ALREADY_RUNNING)))
        }
        Err(e) => Err(e.into()),
    }
}

/// Runs the daemon that holds `instance` until `shutdown` resolves (or a control `shutdown`,
/// or a signal). `on_app` sees the app state once it exists (the tray follows it from there).
pub async fn run(
    instance: Instance,
    paths: &Paths,
    headless: bool,
    shutdown: impl std::future::Future<Output = ()> + Send,
    on_app: impl FnOnce(&Arc<App>),
) -> anyhow::Result<ExitCode> {
    let _log_guard = crate::logging::init_daemon(paths)?;
    if !headless && !cfg!(feature = "tray") {
        tracing::info!("built without the tray feature; running headless");
    } else if !headless && !crate::tray::available() {
        tracing::info!("no display (neither DISPLAY nor WAYLAND_DISPLAY is set); running headless");
    }
    let store: Arc<dyn SecretStore> = match crate::signin::open_store(paths).await {
        Ok(store) => store,
        Err(e) => {
            // Keep serving: chatkey_status explains the problem, and the store reconnects
            // on every use, so the daemon recovers once the keyring is back.
            tracing::error!(error = %format!("{e:#}"), "keyring unavailable at start");
            Arc::new(KeyringStore::lazy(paths.keyring_service()))
        }
    };
    let app = App::new(paths.clone(), store, crate::http::client()).await?;
    // Tokens are renewed ahead of expiry from here on; tool calls find them fresh.
    let (refresher, refresher_task) = crate::refresher::Refresher::spawn(app.clone());
    let notifier = crate::notify::spawn(app.clone());
    on_app(&app);
    let services = Arc::new(DaemonServices(app));
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        profile = paths.profile(),
        "daemon starting"
    );
    let served = instance
        .run(
            services,
            DaemonOptions {
                headless: headless || !crate::tray::available(),
            },
            shutdown,
        )
        .await;
    refresher.stop().await;
    let _ = refresher_task.await;
    notifier.abort();
    served?;
    Ok(ExitCode::SUCCESS)
}
