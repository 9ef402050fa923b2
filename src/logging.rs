//! Where chatkey's diagnostics go.
//!
//! The daemon logs to `Paths::log_file()` (it is detached; nobody reads its stderr), plus
//! stderr when that is a terminal (`chatkey daemon` run by hand). The file is rotated by size
//! and capped: 10 MB, then it becomes `chatkey.log.1` and the oldest of five is deleted, so a
//! daemon at `trace` for a week still holds at most 50 MB. The CLI and `chatkey-mcp` log to
//! stderr only; for the shim that matters, because its stdout is the assistant's protocol
//! pipe. The filter comes from `CHATKEY_LOG` (tracing `EnvFilter` syntax).
//!
//! **Architecture Invariant:** logs carry sizes, methods, names and ids, never payloads: no
//! token, no message text, no file content, no MCP or control message body, at any level.
//! rmcp logs whole requests and results at debug and trace, so its targets are held at `warn`
//! whatever `CHATKEY_LOG` says.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::Context;
use file_rotate::compression::Compression;
use file_rotate::suffix::AppendCount;
use file_rotate::{ContentLimit, FileRotate};
use tracing::level_filters::LevelFilter;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::paths::{Paths, ensure_private_dir};

/// The variable holding the log filter.
pub const LOG_ENV: &str = "CHATKEY_LOG";
/// A log file is rotated once it passes this size.
pub const MAX_LOG_BYTES: usize = 10 * 1024 * 1024;
/// Rotated files kept beside the current one (five files in all).
pub const ROTATED_FILES: usize = 4;

/// Crates whose debug/trace output carries message bodies; held at this level at most.
const PAYLOAD_TARGETS: &[(&str, LevelFilter)] = &[("rmcp", LevelFilter::WARN)];

/// Keeps the background log writer alive; drop it last (at the end of `main`) so the final
/// lines reach the file.
#[must_use = "dropping the guard stops file logging"]
pub struct LogGuard {
    _worker: WorkerGuard,
}

/// Sets up the daemon's logging: `<log dir>/chatkey.log` (dir 0700, files 0600), rotated at
/// `MAX_LOG_BYTES` keeping `ROTATED_FILES` older ones, plus stderr when it is a terminal.
/// Default level `info`.
///
/// On Unix this sets the process umask to 077: everything a daemon holding sign-ins writes
/// should be private.
pub fn init_daemon(paths: &Paths) -> anyhow::Result<LogGuard> {
    let dir = paths.log_dir();
    ensure_private_dir(&dir)?;
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    remove_daily_files(&dir);
    let file = rotating_file(&paths.log_file(), MAX_LOG_BYTES, ROTATED_FILES)?;
    let (writer, worker) = tracing_appender::non_blocking(file);
    let file_layer = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(writer);
    let stderr_layer = std::io::stderr().is_terminal().then(|| {
        tracing_subscriber::fmt::layer()
            .with_ansi(colour(&std::io::stderr()))
            .with_writer(std::io::stderr)
    });
    tracing_subscriber::registry()
        .with(filter(LevelFilter::INFO))
        .with(payload_cap())
        .with(file_layer)
        .with(stderr_layer)
        .try_init()
        .context("logging was already set up")?;
    Ok(LogGuard { _worker: worker })
}

/// Sets up stderr logging for the CLI and `chatkey-mcp`. Default level `warn`. Does nothing if
/// logging is already set up.
pub fn init_cli() {
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(colour(&std::io::stderr()));
    let _ = tracing_subscriber::registry()
        .with(filter(LevelFilter::WARN))
        .with(payload_cap())
        .with(layer)
        .try_init();
}

/// A writer to `path` that starts a new file once the current one passes `max_bytes` (after
/// the line that passed it, so lines are never split) and keeps `keep` rotated files.
pub fn rotating_file(
    path: &Path,
    max_bytes: usize,
    keep: usize,
) -> anyhow::Result<FileRotate<AppendCount>> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    // file-rotate swallows open errors; open once here so a bad log dir is reported.
    options
        .open(path)
        .with_context(|| format!("cannot open the log file {}", path.display()))?;
    Ok(FileRotate::new(
        path,
        AppendCount::new(keep),
        ContentLimit::BytesSurpassed(max_bytes),
        Compression::None,
        Some(options),
    ))
}

/// Whether `stream` gets colour: a terminal, unless `NO_COLOR` (or `CLICOLOR=0`) says not.
pub fn colour(stream: &impl anstream::stream::RawStream) -> bool {
    anstream::AutoStream::choice(stream) != anstream::ColorChoice::Never
}

/// `CHATKEY_LOG`, or `default` when unset. Bad directives are skipped rather than fatal, so a
/// typo in the variable never stops the daemon.
fn filter(default: LevelFilter) -> EnvFilter {
    EnvFilter::builder()
        .with_default_directive(default.into())
        .with_env_var(LOG_ENV)
        .from_env_lossy()
}

/// A second global filter: both must let an event through, so `CHATKEY_LOG=rmcp=trace`
/// still gets no message bodies.
fn payload_cap() -> Targets {
    Targets::new()
        .with_default(LevelFilter::TRACE)
        .with_targets(PAYLOAD_TARGETS.iter().copied())
}

/// Earlier versions rolled `chatkey.YYYY-MM-DD.log` daily without a size cap; those files
/// would otherwise stay forever beside the capped ones.
fn remove_daily_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let daily = name
            .strip_prefix("chatkey.")
            .and_then(|rest| rest.strip_suffix(".log"))
            .is_some_and(|date| chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok());
        if daily {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn rotates_by_size_and_keeps_a_fixed_number_of_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chatkey.log");
        let mut file = rotating_file(&path, 1000, 4).unwrap();
        let line = format!("{}\n", "x".repeat(99));
        for _ in 0..500 {
            file.write_all(line.as_bytes()).unwrap();
        }
        file.flush().unwrap();
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "chatkey.log",
                "chatkey.log.1",
                "chatkey.log.2",
                "chatkey.log.3",
                "chatkey.log.4"
            ]
        );
        for name in &names {
            let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
            // Rotated after the line that passed the limit: never more than one line over.
            assert!(text.len() <= 1000 + line.len(), "{name}: {}", text.len());
            assert!(text.lines().all(|l| l.len() == 99), "a line was split");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn old_daily_files_are_removed_and_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "chatkey.2026-01-01.log",
            "chatkey.log",
            "chatkey.log.1",
            "notes.txt",
        ] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        remove_daily_files(dir.path());
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["chatkey.log", "chatkey.log.1", "notes.txt"]);
    }

    #[test]
    fn the_payload_cap_holds_rmcp_at_warn_whatever_the_filter() {
        use tracing::Level;
        let cap = payload_cap();
        assert!(cap.would_enable("rmcp::service", &Level::WARN));
        assert!(!cap.would_enable("rmcp::service", &Level::INFO));
        assert!(!cap.would_enable("rmcp", &Level::TRACE));
        assert!(cap.would_enable("chatkey::mcp::server", &Level::TRACE));
    }
}
