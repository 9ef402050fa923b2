//! Starting the daemon process: logging, the single-instance lock, keyring, app state, the
//! token refresher and the notifier, then the socket server. Shared by `chatkey` (no
//! arguments) and `chatkey daemon [--headless]`.

use std::process::ExitCode;
use std::sync::Arc;

use crate::app::{App, DaemonServices};
use crate::daemon::{DaemonError, DaemonOptions, Instance};
use crate::exit_code;
use crate::paths::Paths;
use crate::tokens::{KeyringStore, SecretStore};

pub async fn start(paths: &Paths, headless: bool) -> anyhow::Result<ExitCode> {
    // The lock comes first: a second daemon (two shims racing) must leave before it touches
    // the keyring, which may prompt the person to unlock it.
    let instance = match Instance::acquire(paths) {
        Ok(instance) => instance,
        Err(e @ DaemonError::AlreadyRunning(_)) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(exit_code::ALREADY_RUNNING));
        }
        Err(e) => return Err(e.into()),
    };
    let _log_guard = crate::logging::init_daemon(paths)?;
    if !headless && !cfg!(feature = "tray") {
        tracing::info!("built without the tray feature; running headless");
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
    let services = Arc::new(DaemonServices(app));
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        profile = paths.profile(),
        "daemon starting"
    );
    let served = instance
        .run(services, DaemonOptions { headless }, std::future::pending())
        .await;
    refresher.stop().await;
    let _ = refresher_task.await;
    notifier.abort();
    served?;
    Ok(ExitCode::SUCCESS)
}
