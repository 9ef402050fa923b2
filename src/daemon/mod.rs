//! The daemon process: single-instance lock, socket, accept loop, graceful shutdown.
//!
//! Built the mini-redis way: `run` takes the lock and binds, then `server` accepts
//! connections into a `JoinSet` under a semaphore until a shutdown future resolves, a control
//! `shutdown` arrives or SIGTERM/SIGINT; then it stops accepting, removes the socket, gives
//! in-flight sessions a bounded time to finish and releases the lock. What a session *does*
//! is behind `Services`, which the app state implements over accounts, providers and MCP, so
//! this module never sees MCP or tokens.

mod client;
mod lock;
mod server;

use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;

use crate::ipc;
use crate::paths::{Paths, PrivateDirError, check_private_entries, ensure_private_dir};
use crate::protocol::SessionOptions;

pub use client::{ControlError, control};
pub use lock::LockInfo;

/// What the daemon serves; the app state implements it.
pub trait Services: Send + Sync + 'static {
    /// Serves one MCP session on `conn` (raw newline-delimited JSON-RPC, the handshake already
    /// done) until the client closes it.
    fn serve_mcp(
        &self,
        conn: ipc::Connection,
        opts: SessionOptions,
    ) -> BoxFuture<'static, anyhow::Result<()>>;
    /// The `status` object of the control channel: accounts and their state.
    fn status(&self) -> BoxFuture<'static, serde_json::Value>;
    /// Re-reads config, accounts and keyring (a fresh `chatkey login` is used at once).
    fn reload(&self) -> BoxFuture<'static, anyhow::Result<()>>;
    /// The `menu` answer: what the tray shows. `None` where there is nothing to show.
    fn menu(&self) -> Option<serde_json::Value> {
        None
    }
    /// Someone launched chatkey again: let the person know this daemon is the one running.
    fn activate(&self) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

/// How the daemon was started; reported in `status`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DaemonOptions {
    pub headless: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// Another daemon holds this profile's lock. Not a failure for `chatkey`: it says so and
    /// exits 0.
    #[error("chatkey is already running{}", .0.as_ref().map(|i| format!(" ({i})")).unwrap_or_default())]
    AlreadyRunning(Option<LockInfo>),
    // The causes below are shown in the message and deliberately not `source`s: anyhow's
    // `{:#}` would print each of them a second time.
    #[error("cannot prepare the runtime directory: {0}")]
    RuntimeDir(PrivateDirError),
    #[error("cannot take the single-instance lock {path}: {cause}")]
    Lock {
        path: std::path::PathBuf,
        cause: std::io::Error,
    },
    #[error("cannot listen on {path}: {cause}")]
    Bind {
        path: std::path::PathBuf,
        cause: std::io::Error,
    },
    #[error("cannot install the SIGTERM/SIGINT handlers: {0}")]
    Signals(std::io::Error),
}

impl DaemonError {
    /// The process exit code for this error (see `exit_code`).
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::AlreadyRunning(_) => crate::exit_code::ALREADY_RUNNING,
            _ => crate::exit_code::FAILURE,
        }
    }
}

/// Runs the daemon until `shutdown` resolves, a control `shutdown` arrives or the process gets
/// SIGTERM/SIGINT (Ctrl-C on Windows). Returns once the socket is gone and the lock released.
/// Same as `Instance::acquire` then `Instance::run`.
pub async fn run(
    paths: &Paths,
    services: Arc<dyn Services>,
    opts: DaemonOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), DaemonError> {
    Instance::acquire(paths)?
        .run(services, opts, shutdown)
        .await
}

/// This profile's daemon slot, held: the single-instance lock is taken but nothing listens
/// yet. Taking it before building the app state lets the loser of a start race exit at once,
/// before it opens the keyring (which may prompt) or reads accounts.
#[derive(Debug)]
pub struct Instance {
    paths: Paths,
    lock: lock::InstanceLock,
}

impl Instance {
    /// Makes the runtime dir private, checks what is already in it, and takes the lock;
    /// `AlreadyRunning` if another daemon holds it.
    pub fn acquire(paths: &Paths) -> Result<Instance, DaemonError> {
        ensure_private_dir(paths.runtime_dir()).map_err(DaemonError::RuntimeDir)?;
        let lock_path = paths.lock_file();
        check_private_entries(paths.runtime_dir(), &[&lock_path, &paths.socket_path()])
            .map_err(DaemonError::RuntimeDir)?;
        let lock = lock::InstanceLock::acquire(&lock_path).map_err(|e| match e {
            lock::LockError::Held(info) => DaemonError::AlreadyRunning(info),
            lock::LockError::Io(cause) => DaemonError::Lock {
                path: lock_path.clone(),
                cause,
            },
        })?;
        Ok(Instance {
            paths: paths.clone(),
            lock,
        })
    }

    /// Binds the socket and serves until shutdown (see `run`); releases the lock on return.
    pub async fn run(
        self,
        services: Arc<dyn Services>,
        opts: DaemonOptions,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), DaemonError> {
        let socket = self.paths.socket_path();
        let listener = ipc::Listener::bind(&socket).map_err(|cause| DaemonError::Bind {
            path: socket.clone(),
            cause,
        })?;
        tracing::info!(
            version = crate::protocol::VERSION,
            pid = std::process::id(),
            headless = opts.headless,
            socket = %socket.display(),
            "chatkey daemon listening"
        );
        let signals = server::Signals::install().map_err(DaemonError::Signals)?;
        server::serve(listener, services, opts, shutdown, signals).await;
        drop(self.lock);
        tracing::info!("chatkey daemon stopped");
        Ok(())
    }
}

/// The running daemon of this profile, if any: its pid and version from the lock file.
pub fn read_lock_info(paths: &Paths) -> Option<LockInfo> {
    lock::read_lock_info_at(&paths.lock_file())
}
