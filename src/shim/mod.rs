//! `chatkey-mcp`, the stdio shim assistants launch: connect to the daemon (starting it when
//! none runs), check versions with the handshake, then copy bytes both ways (`pump`), line by
//! line, across daemon restarts.
//!
//! **Architecture Invariant:** stdout carries only the daemon's protocol bytes and, for
//! requests a lost daemon can no longer answer, a JSON-RPC error per request; every
//! diagnostic goes to stderr. The shim does not parse MCP: of each line it reads only the
//! top-level `id` and `method` (`book`).
//!
//! Starting is race-safe: any number of shims may spawn a daemon at once, the single-instance
//! lock picks one, the others exit quietly, and every shim keeps dialling until the winner
//! answers. A shim only spawns while no live process holds the lock, so it also waits for an
//! old daemon that is still shutting down.

mod book;
mod pump;

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::daemon::{self, ControlError};
use crate::ipc::{self, Connection};
use crate::paths::Paths;
use crate::protocol::{
    ClientHello, ControlRequest, LINE_TIMEOUT, MAX_LINE_BYTES, ServerHello, SessionOptions,
    VERSION, read_line_within, write_line_bytes,
};
use crate::providers::ProviderId;

/// Overrides which binary the shim starts as the daemon (tests, unusual installs).
pub const DAEMON_BIN_ENV: &str = "CHATKEY_DAEMON_BIN";
/// How long a fresh daemon may take to answer.
const START_DEADLINE: Duration = Duration::from_secs(10);
/// After asking an old daemon to stop: its sessions may take up to 10 s to drain, then ours
/// must start.
const RESTART_DEADLINE: Duration = Duration::from_secs(25);
/// A daemon that keeps exiting without answering is not retried forever.
const MAX_SPAWNS: u32 = 3;
const CHUNK: usize = 64 * 1024;

/// What `chatkey-mcp`'s flags ask for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShimOptions {
    /// Limit the session's tools to these providers; empty means all.
    pub providers: Vec<ProviderId>,
    /// Hide tools that write.
    pub read_only: bool,
}

/// Why the shim stopped. `run` returns these inside `anyhow::Error`; `main` prints the error
/// once on stderr and can downcast for `exit_code`.
#[derive(Debug, thiserror::Error)]
pub enum ShimError {
    // Causes are in the messages, not `source`s, so a `{:#}` chain never prints them twice.
    #[error("cannot reach the chatkey daemon at {path}: {cause}")]
    Connect {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error(
        "cannot start the chatkey daemon `{bin}`: {cause}: install chatkey next to chatkey-mcp or set {DAEMON_BIN_ENV}"
    )]
    Spawn { bin: PathBuf, cause: std::io::Error },
    #[error(
        "the chatkey daemon exited ({status}) without answering: run `chatkey daemon --headless` in a terminal to see why, or read the logs in {log_dir}"
    )]
    DaemonExited {
        status: ExitStatus,
        log_dir: PathBuf,
    },
    #[error(
        "the chatkey daemon did not answer within {} s: run `chatkey daemon --headless` in a terminal to see why, or read the logs in {log_dir}",
        .waited.as_secs()
    )]
    StartTimeout { waited: Duration, log_dir: PathBuf },
    #[error("chatkey-mcp {shim} cannot use the running chatkey daemon {daemon}: {detail}")]
    VersionMismatch {
        shim: String,
        daemon: String,
        detail: String,
    },
    #[error("the chatkey daemon refused the session: {0}")]
    Refused(String),
    /// The daemon runs but is at its session limit; the text says what to do.
    #[error("{0}")]
    Busy(String),
    #[error("handshake with the chatkey daemon failed: {0}")]
    Handshake(String),
    #[error("the chatkey daemon closed the connection: see its logs in {log_dir}")]
    ConnectionLost { log_dir: PathBuf },
    #[error("cannot read stdin: {0}")]
    Stdin(std::io::Error),
    #[error("cannot write to stdout (did the assistant go away?): {0}")]
    Stdout(std::io::Error),
}

impl ShimError {
    /// The process exit code for this error (see `exit_code`).
    pub fn exit_code(&self) -> u8 {
        use crate::exit_code::*;
        match self {
            Self::VersionMismatch { .. } => VERSION_MISMATCH,
            Self::Stdin(_) | Self::Stdout(_) => FAILURE,
            _ => DAEMON_UNAVAILABLE,
        }
    }
}

/// `chatkey-mcp`'s whole program after argument parsing: stderr logging, a runtime, `run`,
/// and one stderr line (`chatkey-mcp: …`) if it fails.
pub fn main(opts: ShimOptions) -> std::process::ExitCode {
    crate::logging::init_cli();
    let result = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| {
            let paths = Paths::from_env()?;
            runtime.block_on(run(&paths, opts))
        });
    match result {
        Ok(()) => std::process::ExitCode::from(crate::exit_code::OK),
        Err(error) => {
            eprintln!("chatkey-mcp: {error:#}");
            let code = error
                .downcast_ref::<ShimError>()
                .map_or(crate::exit_code::FAILURE, ShimError::exit_code);
            std::process::ExitCode::from(code)
        }
    }
}

/// Runs the shim until stdin closes and every request sent has been answered (`Ok`), or
/// until something fails (`Err`). A daemon that cannot be reached at the start is an error;
/// one lost later is reconnected to (see `pump`).
pub async fn run(paths: &Paths, opts: ShimOptions) -> anyhow::Result<()> {
    let conn = open_session(paths, &opts).await?;
    let stdin = spawn_stdin_reader().map_err(ShimError::Stdin)?;
    pump::run(conn, stdin, paths, &opts).await?;
    Ok(())
}

/// Connects (starting the daemon if needed) and completes an `mcp` handshake, restarting a
/// daemon of another version once.
async fn open_session(paths: &Paths, opts: &ShimOptions) -> Result<Connection, ShimError> {
    let session = SessionOptions {
        providers: opts.providers.clone(),
        read_only: opts.read_only,
    };
    let conn = connect_or_start(paths, START_DEADLINE).await?;
    let old_version = match handshake(conn, &session).await? {
        Handshake::Accepted(conn) => return Ok(conn),
        Handshake::OtherVersion(version) => version,
    };
    eprintln!(
        "chatkey-mcp: restarting the chatkey daemon {old_version} to match chatkey-mcp {VERSION}…"
    );
    let mismatch = |detail: String| ShimError::VersionMismatch {
        shim: VERSION.to_owned(),
        daemon: old_version.clone(),
        detail,
    };
    match daemon::control(paths, ControlRequest::Shutdown).await {
        Ok(_) | Err(ControlError::NotRunning) => {}
        Err(error) => {
            let pid = daemon::read_lock_info(paths)
                .map(|info| format!(" (pid {})", info.pid))
                .unwrap_or_default();
            return Err(mismatch(format!(
                "it did not stop ({error}): end that process{pid} and try again"
            )));
        }
    }
    wait_until_unreachable(paths).await;
    let conn = connect_or_start(paths, RESTART_DEADLINE).await?;
    match handshake(conn, &session).await? {
        Handshake::Accepted(conn) => Ok(conn),
        Handshake::OtherVersion(version) => Err(ShimError::VersionMismatch {
            shim: VERSION.to_owned(),
            daemon: version,
            detail: format!(
                "the `chatkey` started in its place is that version too: install chatkey {VERSION} next to chatkey-mcp or set {DAEMON_BIN_ENV}"
            ),
        }),
    }
}

enum Handshake {
    Accepted(Connection),
    OtherVersion(String),
}

async fn handshake(mut conn: Connection, session: &SessionOptions) -> Result<Handshake, ShimError> {
    let failed = |e: &dyn std::fmt::Display| ShimError::Handshake(e.to_string());
    let hello = ClientHello::mcp(session.clone()).to_line();
    write_line_bytes(&mut conn, &hello)
        .await
        .map_err(|e| failed(&e))?;
    let line = read_line_within(&mut conn, MAX_LINE_BYTES, LINE_TIMEOUT)
        .await
        .map_err(|e| failed(&e))?;
    let reply: ServerHello = serde_json::from_slice(&line).map_err(|_| {
        failed(&"the reply is not chatkey's: is something else listening on the socket?")
    })?;
    if reply.chatkey != VERSION {
        return Ok(Handshake::OtherVersion(reply.chatkey));
    }
    if !reply.ok {
        let error = reply.error.unwrap_or_default();
        return Err(if reply.busy {
            ShimError::Busy(error)
        } else {
            ShimError::Refused(error)
        });
    }
    Ok(Handshake::Accepted(conn))
}

/// Connects to the daemon; if none answers, starts one and keeps dialling with backoff
/// until `deadline` passes.
async fn connect_or_start(paths: &Paths, deadline: Duration) -> Result<Connection, ShimError> {
    let socket = paths.socket_path();
    let dial = || async {
        match ipc::connect(&socket).await {
            Ok(conn) => Ok(Some(conn)),
            Err(e) if ipc::is_not_running(&e) => Ok(None),
            Err(cause) => Err(ShimError::Connect {
                path: socket.clone(),
                cause,
            }),
        }
    };
    if let Some(conn) = dial().await? {
        return Ok(conn);
    }
    let started = Instant::now();
    let mut child: Option<Child> = None;
    let mut last_exit: Option<ExitStatus> = None;
    let mut spawns = 0;
    let mut pause = Duration::from_millis(20);
    loop {
        let child_running = match child.as_mut().map(Child::try_wait) {
            Some(Ok(None)) => true,
            Some(Ok(Some(status))) => {
                // The loser of a start race exits 0; any other exit is worth reporting.
                last_exit = Some(status);
                child = None;
                false
            }
            Some(Err(_)) | None => false,
        };
        if !child_running && daemon::read_lock_info(paths).is_none() {
            if spawns == MAX_SPAWNS {
                return Err(match last_exit {
                    Some(status) if !status.success() => ShimError::DaemonExited {
                        status,
                        log_dir: paths.log_dir(),
                    },
                    _ => ShimError::StartTimeout {
                        waited: started.elapsed(),
                        log_dir: paths.log_dir(),
                    },
                });
            }
            if spawns == 0 {
                eprintln!("chatkey-mcp: starting the chatkey daemon…");
            }
            child = Some(spawn_daemon()?);
            spawns += 1;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(250));
        if let Some(conn) = dial().await? {
            return Ok(conn);
        }
        if started.elapsed() > deadline {
            return Err(ShimError::StartTimeout {
                waited: deadline,
                log_dir: paths.log_dir(),
            });
        }
    }
}

/// After a control `shutdown` the old daemon answers once more and then drops its socket;
/// wait (briefly) for that so the next dial cannot reach the leaving daemon.
async fn wait_until_unreachable(paths: &Paths) {
    let socket = paths.socket_path();
    let give_up = Instant::now() + Duration::from_secs(5);
    while Instant::now() < give_up {
        if ipc::connect(&socket).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Starts `chatkey daemon [--headless]` detached from the assistant: own session, no
/// terminal, stdio on the null device (the daemon logs to files).
fn spawn_daemon() -> Result<Child, ShimError> {
    let bin = daemon_binary();
    let mut command = Command::new(&bin);
    command.arg("daemon");
    if !has_display() {
        command.arg("--headless");
    }
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
        unsafe {
            command.pre_exec(|| rustix::process::setsid().map(drop).map_err(Into::into));
        }
    }
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt;
        const DETACHED_PROCESS: u32 = 0x0000_0008;
        const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
        command.creation_flags(DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP);
    }
    command
        .spawn()
        .map_err(|cause| ShimError::Spawn { bin, cause })
}

/// `CHATKEY_DAEMON_BIN`, else `chatkey` next to this executable.
fn daemon_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os(DAEMON_BIN_ENV).filter(|v| !v.is_empty()) {
        return PathBuf::from(bin);
    }
    let name = format!("chatkey{}", std::env::consts::EXE_SUFFIX);
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(&name)))
        .unwrap_or_else(|| PathBuf::from(name))
}

/// Whether a tray can be shown. Only desktop Unixes other than macOS can lack one.
fn has_display() -> bool {
    if cfg!(all(unix, not(target_os = "macos"))) {
        ["DISPLAY", "WAYLAND_DISPLAY"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
    } else {
        true
    }
}

/// Reads stdin on a plain thread: tokio's stdin cannot be cancelled, which would keep the
/// runtime (and the process) alive after the daemon has gone. The thread just ends with the
/// process.
fn spawn_stdin_reader() -> std::io::Result<mpsc::Receiver<std::io::Result<Vec<u8>>>> {
    let (tx, rx) = mpsc::channel(8);
    std::thread::Builder::new()
        .name("chatkey-mcp-stdin".into())
        .spawn(move || {
            let mut stdin = std::io::stdin().lock();
            let mut buffer = vec![0u8; CHUNK];
            loop {
                match stdin.read(&mut buffer) {
                    Ok(0) => return,
                    Ok(n) => {
                        if tx.blocking_send(Ok(buffer[..n].to_vec())).is_err() {
                            return;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e));
                        return;
                    }
                }
            }
        })?;
    Ok(rx)
}
