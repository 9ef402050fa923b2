//! Starting the daemon process: logging, keyring, app state, then the socket server.
//! Shared by `chatkey` (no arguments) and `chatkey daemon [--headless]`.

use std::process::ExitCode;
use std::sync::Arc;

use crate::app::{App, DaemonServices};
use crate::daemon::{self, DaemonError, DaemonOptions};
use crate::exit_code;
use crate::paths::Paths;

pub async fn start(paths: &Paths, headless: bool) -> anyhow::Result<ExitCode> {
    let _log_guard = crate::logging::init_daemon(paths)?;
    if !headless && !cfg!(feature = "tray") {
        tracing::info!("built without the tray feature; running headless");
    }
    let store = crate::signin::open_store(paths).await?;
    let app = App::new(paths.clone(), store, crate::http::client()).await?;
    let services = Arc::new(DaemonServices(app));
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        profile = paths.profile(),
        "daemon starting"
    );
    match daemon::run(
        paths,
        services,
        DaemonOptions { headless },
        std::future::pending(),
    )
    .await
    {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e @ DaemonError::AlreadyRunning(_)) => {
            eprintln!("{e}");
            Ok(ExitCode::from(exit_code::ALREADY_RUNNING))
        }
        Err(e) => Err(e.into()),
    }
}
