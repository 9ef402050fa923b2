//! Where chatkey's diagnostics go.
//!
//! The daemon logs to a daily-rolling file under `Paths::log_dir()` (it is detached; nobody
//! reads its stderr), plus stderr when that is a terminal (`chatkey daemon` run by hand). The
//! CLI and `chatkey-mcp` log to stderr only; for the shim that matters, because its stdout is
//! the assistant's protocol pipe. The filter comes from `CHATKEY_LOG` (tracing `EnvFilter`
//! syntax).
//!
//! **Architecture Invariant:** logs carry sizes, methods, names and ids, never payloads: no
//! token, no MCP or control message body.

use std::io::IsTerminal;

use anyhow::Context;
use tracing::level_filters::LevelFilter;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::paths::{Paths, ensure_private_dir};

/// The variable holding the log filter.
pub const LOG_ENV: &str = "CHATKEY_LOG";
/// Daily files kept before the oldest is deleted.
const KEEP_DAYS: usize = 14;

/// Keeps the background log writer alive; drop it last (at the end of `main`) so the final
/// lines reach the file.
#[must_use = "dropping the guard stops file logging"]
pub struct LogGuard {
    _worker: WorkerGuard,
}

/// Sets up the daemon's logging: `<log dir>/chatkey.YYYY-MM-DD.log` (dir 0700, files 0600),
/// plus stderr when it is a terminal. Default level `info`.
///
/// On Unix this sets the process umask to 077: the rolling appender creates files itself, and
/// everything else a daemon holding sign-ins writes should be private too.
pub fn init_daemon(paths: &Paths) -> anyhow::Result<LogGuard> {
    let dir = paths.log_dir();
    ensure_private_dir(&dir)?;
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("chatkey")
        .filename_suffix("log")
        .max_log_files(KEEP_DAYS)
        .build(&dir)
        .with_context(|| format!("cannot open a log file in {}", dir.display()))?;
    let (writer, worker) = tracing_appender::non_blocking(appender);
    let file_layer = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(writer);
    let stderr_layer = std::io::stderr()
        .is_terminal()
        .then(|| tracing_subscriber::fmt::layer().with_writer(std::io::stderr));
    tracing_subscriber::registry()
        .with(filter(LevelFilter::INFO))
        .with(file_layer)
        .with(stderr_layer)
        .try_init()
        .context("logging was already set up")?;
    Ok(LogGuard { _worker: worker })
}

/// Sets up stderr logging for the CLI and `chatkey-mcp`. Default level `warn`. Does nothing if
/// logging is already set up.
pub fn init_cli() {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(filter(LevelFilter::WARN))
        .try_init();
}

/// `CHATKEY_LOG`, or `default` when unset. Bad directives are skipped rather than fatal, so a
/// typo in the variable never stops the daemon.
fn filter(default: LevelFilter) -> EnvFilter {
    EnvFilter::builder()
        .with_default_directive(default.into())
        .with_env_var(LOG_ENV)
        .from_env_lossy()
}
