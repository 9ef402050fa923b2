//! The accept loop and what happens on each connection: handshake, then an MCP session handed
//! to `Services`, or the control channel.
//!
//! Every connection is accepted at once and answered; limits are enforced with a refusal
//! that says so (`ServerHello::busy`), never by leaving a client in the socket's backlog.
//! Open MCP sessions have their own cap, so idle assistants can never keep `chatkey status`,
//! the tray's queries or a login's reload out: those need only a slot among the connections
//! still in their handshake, each of which lasts at most `LINE_TIMEOUT`.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tracing::Instrument;

use super::{DaemonOptions, Services};
use crate::ipc::{Connection, Listener};
use crate::protocol::{
    ClientHello, ControlRequest, HelloKind, LINE_TIMEOUT, LineError, MAX_LINE_BYTES, ServerHello,
    VERSION, read_line_within, write_line,
};

/// MCP sessions served at once; one more is refused as busy.
pub(super) const MAX_MCP_SESSIONS: usize = 256;
/// Connections in their handshake or on the control channel at once; one more is refused as
/// busy before its handshake is read.
pub(super) const MAX_OTHER_CONNECTIONS: usize = 128;
/// How long sessions may keep going after shutdown starts before they are cut off.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest pause between accept attempts after errors such as running out of descriptors.
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(5);

/// State every connection task sees.
struct Shared {
    services: Arc<dyn Services>,
    opts: DaemonOptions,
    /// Set by a control `shutdown`; `notify_one` keeps the wake-up until the loop looks.
    stop: Notify,
    /// Becomes true when shutdown begins, so idle handshakes and control channels end at
    /// once instead of running out their timeouts. MCP sessions are left to finish.
    stopping: watch::Sender<bool>,
    started_at: chrono::DateTime<chrono::Utc>,
    mcp_sessions: Arc<AtomicUsize>,
    /// Connections not (yet) MCP sessions: handshakes and control channels.
    others: Arc<AtomicUsize>,
    next_connection_id: AtomicU64,
}

pub(super) async fn serve(
    listener: Listener,
    services: Arc<dyn Services>,
    opts: DaemonOptions,
    shutdown: impl Future<Output = ()> + Send,
    mut signals: Signals,
) {
    let shared = Arc::new(Shared {
        services,
        opts,
        stop: Notify::new(),
        stopping: watch::Sender::new(false),
        started_at: chrono::Utc::now(),
        mcp_sessions: Arc::default(),
        others: Arc::default(),
        next_connection_id: AtomicU64::new(1),
    });
    let mut tasks = JoinSet::new();
    let mut backoff: Option<Duration> = None;
    let mut shutdown = std::pin::pin!(shutdown);

    let reason = loop {
        let accept = async {
            if let Some(pause) = backoff {
                tokio::time::sleep(pause).await;
            }
            listener.accept().await
        };
        tokio::select! {
            biased;
            () = &mut shutdown => break "shutdown requested",
            () = shared.stop.notified() => break "control shutdown",
            signal = signals.recv() => break signal,
            Some(done) = tasks.join_next(), if !tasks.is_empty() => report_panic(done),
            accepted = accept => match accepted {
                Ok(conn) => {
                    backoff = None;
                    match Place::try_take(&shared.others, MAX_OTHER_CONNECTIONS) {
                        Some(place) => {
                            tasks.spawn(handle_connection(conn, shared.clone(), place));
                        }
                        None => {
                            tasks.spawn(refuse_busy(conn));
                        }
                    }
                }
                Err(error) => {
                    let pause = backoff
                        .map_or(Duration::from_millis(50), |d| (d * 2).min(MAX_ACCEPT_BACKOFF));
                    tracing::warn!(%error, retry_in_ms = pause.as_millis(), "accept failed");
                    backoff = Some(pause);
                }
            },
        }
    };

    // Stop accepting first: the socket file goes now, so a new shim starts a new daemon
    // (which waits for our lock) instead of reaching one that is leaving.
    drop(listener);
    shared.stopping.send_replace(true);
    tracing::info!(reason, open = tasks.len(), "stopped accepting connections");
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while let Some(done) = tasks.join_next().await {
            report_panic(done);
        }
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = tasks.len(),
            "cutting off sessions still open {} s after shutdown began",
            DRAIN_TIMEOUT.as_secs()
        );
        tasks.shutdown().await;
    }
}

fn report_panic(done: Result<(), tokio::task::JoinError>) {
    if let Err(error) = done
        && error.is_panic()
    {
        tracing::error!(%error, "a connection task panicked");
    }
}

/// Answers a connection over `MAX_OTHER_CONNECTIONS` without reading from it.
async fn refuse_busy(mut conn: Connection) {
    tracing::warn!(
        limit = MAX_OTHER_CONNECTIONS,
        "refused a connection: too many handshakes and control channels at once"
    );
    let refusal = ServerHello::busy(format!(
        "chatkey is busy: {MAX_OTHER_CONNECTIONS} connections are in their handshake at once; try again in a few seconds"
    ));
    let _ = write_line(&mut conn, &refusal).await;
}

/// Serves one connection, which holds `place` among the `others` until it becomes an MCP
/// session or ends.
async fn handle_connection(conn: Connection, shared: Arc<Shared>, place: Place) {
    let id = shared.next_connection_id.fetch_add(1, Ordering::Relaxed);
    let span = tracing::info_span!("connection", id);
    if let Err(error) = serve_connection(conn, &shared, place)
        .instrument(span)
        .await
    {
        tracing::info!(id, error = %format!("{error:#}"), "connection ended with an error");
    }
}

async fn serve_connection(
    mut conn: Connection,
    shared: &Shared,
    place: Place,
) -> anyhow::Result<()> {
    let line = match read_unless_stopping(&mut conn, shared).await {
        Ok(line) => line,
        // Someone checking whether the socket is alive (a stale-socket probe) connects and
        // leaves without a word; that is not worth a log line above debug.
        Err(LineError::Closed) => {
            tracing::debug!("client left before its handshake");
            return Ok(());
        }
        Err(error @ (LineError::TooLong(_) | LineError::Timeout(_))) => {
            let refusal = ServerHello::refuse(format!("handshake refused: {error}"));
            let _ = write_line(&mut conn, &refusal).await;
            anyhow::bail!("handshake refused: {error}");
        }
        Err(error) => return Err(error.into()),
    };
    let hello = match ClientHello::parse(&line) {
        Ok(hello) => hello,
        Err(error) => {
            write_line(&mut conn, &ServerHello::refuse(error.to_string())).await?;
            anyhow::bail!("handshake refused ({} bytes): {error}", line.len());
        }
    };
    match hello.kind {
        HelloKind::Mcp(_) if hello.version != VERSION => {
            tracing::info!(client = %hello.version, "refused an mcp session from another version");
            let message = format!(
                "version mismatch: chatkey-mcp {} and chatkey daemon {VERSION}: restart the daemon so both match",
                hello.version
            );
            write_line(&mut conn, &ServerHello::refuse(message)).await?;
            Ok(())
        }
        HelloKind::Mcp(opts) => {
            let Some(_session) = Place::try_take(&shared.mcp_sessions, MAX_MCP_SESSIONS) else {
                tracing::warn!(
                    limit = MAX_MCP_SESSIONS,
                    "refused an mcp session: at the limit"
                );
                let refusal = ServerHello::busy(format!(
                    "chatkey is busy: it already serves {MAX_MCP_SESSIONS} assistant sessions; close assistants (or chatkey-mcp processes) you no longer use, then try again"
                ));
                write_line(&mut conn, &refusal).await?;
                return Ok(());
            };
            // From here on it counts as a session, not as a handshake.
            drop(place);
            write_line(&mut conn, &ServerHello::accept()).await?;
            tracing::info!(providers = ?opts.providers, read_only = opts.read_only, "mcp session started");
            let started = Instant::now();
            let result = shared.services.serve_mcp(conn, opts).await;
            tracing::info!(
                seconds = started.elapsed().as_secs_f64(),
                "mcp session ended"
            );
            result
        }
        HelloKind::Control => {
            write_line(&mut conn, &ServerHello::accept()).await?;
            control_loop(&mut conn, shared).await
        }
    }
}

/// Answers control requests, one JSON line each, until the client closes or goes quiet.
async fn control_loop(conn: &mut Connection, shared: &Shared) -> anyhow::Result<()> {
    loop {
        let line = match read_unless_stopping(conn, shared).await {
            Ok(line) => line,
            Err(LineError::Closed | LineError::Timeout(_)) => return Ok(()),
            Err(error) => return Err(error.into()),
        };
        let request: ControlRequest = match serde_json::from_slice(&line) {
            Ok(request) => request,
            Err(_) => {
                tracing::info!(bytes = line.len(), "unknown control request");
                let refusal = json!({
                    "ok": false,
                    "error": "unknown control request: send {\"cmd\":\"status\"}, reload, shutdown, version, menu or activate"
                });
                write_line(conn, &refusal).await?;
                continue;
            }
        };
        tracing::info!(cmd = request.name(), "control request");
        let response = match request {
            ControlRequest::Status => json!({
                "ok": true,
                "status": shared.services.status().await,
                "daemon": {
                    "version": VERSION,
                    "pid": std::process::id(),
                    "headless": shared.opts.headless,
                    "started_at": shared.started_at.to_rfc3339(),
                    "mcp_sessions": shared.mcp_sessions.load(Ordering::Relaxed),
                },
            }),
            ControlRequest::Reload => match shared.services.reload().await {
                Ok(()) => json!({ "ok": true }),
                Err(error) => {
                    tracing::warn!(error = %format!("{error:#}"), "reload failed");
                    json!({ "ok": false, "error": format!("{error:#}") })
                }
            },
            ControlRequest::Version => json!({
                "ok": true,
                "version": VERSION,
                "pid": std::process::id(),
            }),
            ControlRequest::Shutdown => json!({ "ok": true }),
            ControlRequest::Menu => match shared.services.menu() {
                Some(menu) => {
                    let mut response = json!({ "ok": true });
                    if let (Some(out), serde_json::Value::Object(fields)) =
                        (response.as_object_mut(), menu)
                    {
                        out.extend(fields);
                    }
                    response
                }
                None => json!({ "ok": false, "error": "this daemon has no menu" }),
            },
            ControlRequest::Activate => {
                // Shown in the background: the launcher only waits for the acknowledgement.
                tokio::spawn(shared.services.activate());
                json!({ "ok": true })
            }
        };
        write_line(conn, &response).await?;
        // Answered first, so the client knows its request was taken before the socket goes.
        if request == ControlRequest::Shutdown {
            shared.stop.notify_one();
        }
    }
}

/// Reads one handshake or control line; reports `Closed` as soon as shutdown begins.
async fn read_unless_stopping(
    conn: &mut Connection,
    shared: &Shared,
) -> Result<Vec<u8>, LineError> {
    let mut stopping = shared.stopping.subscribe();
    tokio::select! {
        line = read_line_within(conn, MAX_LINE_BYTES, LINE_TIMEOUT) => line,
        _ = stopping.wait_for(|stopping| *stopping) => Err(LineError::Closed),
    }
}

/// One place taken under a limit; dropping it gives the place back. MCP sessions' count is
/// also what `status` reports as `mcp_sessions`.
struct Place(Arc<AtomicUsize>);

impl Place {
    fn try_take(counter: &Arc<AtomicUsize>, limit: usize) -> Option<Self> {
        counter
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < limit).then_some(n + 1)
            })
            .ok()
            .map(|_| Self(counter.clone()))
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The termination signals that stop the daemon like a control `shutdown`.
pub(super) struct Signals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(windows)]
    ctrl_c: tokio::signal::windows::CtrlC,
    #[cfg(windows)]
    ctrl_close: tokio::signal::windows::CtrlClose,
}

impl Signals {
    pub(super) fn install() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                terminate: signal(SignalKind::terminate())?,
                interrupt: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(windows)]
        {
            Ok(Self {
                ctrl_c: tokio::signal::windows::ctrl_c()?,
                ctrl_close: tokio::signal::windows::ctrl_close()?,
            })
        }
    }

    /// Resolves with the signal's name when one arrives.
    async fn recv(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.terminate.recv() => "SIGTERM",
                _ = self.interrupt.recv() => "SIGINT",
            }
        }
        #[cfg(windows)]
        {
            tokio::select! {
                _ = self.ctrl_c.recv() => "Ctrl-C",
                _ = self.ctrl_close.recv() => "console closed",
            }
        }
    }
}
