//! A line guard in front of `rmcp`: every incoming line is judged (`inbound`) and either
//! passed on or answered with a JSON-RPC error, no line may exceed `MAX_MESSAGE_BYTES`, and
//! the session does not end while rmcp still owes the client an answer.
//!
//! A client may close its input right after its last request (`printf … | chatkey-mcp`).
//! rmcp stops reading at end of input and gives in-flight handlers only a short grace, so the
//! guard keeps the end of input from rmcp until every request it passed on has been answered
//! (or cancelled by the client), then lets rmcp finish, and closes the connection only after
//! the last byte rmcp wrote has been sent.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::RequestId;
use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;

use super::inbound::{INVALID_REQUEST, Inbound, Verdict, error_line, probe_id};

/// The largest JSON-RPC message accepted from a client. Tool arguments are small (files are
/// passed by path), so 4 MiB leaves room while bounding memory per session.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;
/// How much of an oversized line is kept to find its `id`.
const OVERSIZED_PREFIX: usize = 64 * 1024;
/// After the client's input ends, how long rmcp may take to answer what is in flight. Every
/// provider call has its own timeouts, so this only bounds a handler that hangs.
const ANSWER_DEADLINE: Duration = Duration::from_secs(10 * 60);

type Half = tokio::io::DuplexStream;
/// What `rmcp` reads from and writes to.
pub type Transport = (tokio::io::ReadHalf<Half>, tokio::io::WriteHalf<Half>);

/// Splits `conn` into a transport for `rmcp` plus the task that guards it. The task ends
/// once rmcp has closed its side and everything it wrote has reached the client, or when
/// the client can no longer be written to.
pub fn guarded<S>(conn: S) -> (Transport, JoinHandle<()>)
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (rmcp_side, guard_side) = tokio::io::duplex(256 * 1024);
    let (conn_read, conn_write) = tokio::io::split(conn);
    let (from_rmcp, to_rmcp) = tokio::io::split(guard_side);
    let (errors_tx, errors_rx) = mpsc::channel::<Vec<u8>>(16);
    let owed = Arc::new(Owed::default());
    let task = tokio::spawn(async move {
        let reader = std::pin::pin!(pump_in(conn_read, to_rmcp, errors_tx, owed.clone()));
        let mut writer = std::pin::pin!(pump_out(from_rmcp, errors_rx, conn_write, owed));
        tokio::select! {
            // rmcp is done (or the client cannot be written to): nothing read now could be
            // answered, so stop reading.
            () = &mut writer => {}
            () = reader => writer.await,
        }
    });
    (tokio::io::split(rmcp_side), task)
}

/// The requests rmcp has been given and not yet answered.
#[derive(Default)]
struct Owed {
    ids: Mutex<HashSet<RequestId>>,
    changed: Notify,
}

impl Owed {
    fn contains(&self, id: &RequestId) -> bool {
        self.ids.lock().unwrap().contains(id)
    }

    fn insert(&self, id: RequestId) {
        self.ids.lock().unwrap().insert(id);
    }

    fn remove(&self, id: &RequestId) {
        if self.ids.lock().unwrap().remove(id) {
            self.changed.notify_waiters();
        }
    }

    /// Resolves once nothing is owed.
    async fn settled(&self) {
        loop {
            let changed = self.changed.notified();
            let mut changed = std::pin::pin!(changed);
            // Registered before looking, so a removal in between is not missed.
            changed.as_mut().enable();
            if self.ids.lock().unwrap().is_empty() {
                return;
            }
            changed.await;
        }
    }
}

/// Client → rmcp: whole lines only, each judged.
async fn pump_in(
    conn: impl AsyncRead + Unpin,
    mut to_rmcp: impl AsyncWrite + Unpin,
    errors: mpsc::Sender<Vec<u8>>,
    owed: Arc<Owed>,
) {
    let mut reader = BufReader::with_capacity(64 * 1024, conn);
    let mut line = Vec::new();
    let mut inbound = Inbound::default();
    loop {
        line.clear();
        let answer = match read_bounded_line(&mut reader, &mut line).await {
            Ok(LineOutcome::Eof) => break,
            Ok(LineOutcome::Oversized(len)) => {
                tracing::warn!(bytes = len, "oversized message refused");
                error_line(
                    &probe_id(&line),
                    INVALID_REQUEST,
                    &format!(
                        "request too large: {len} bytes is over the limit of {MAX_MESSAGE_BYTES} bytes; send smaller arguments (files are passed by path)"
                    ),
                )
            }
            Ok(LineOutcome::Line) => {
                let body = trim_line(&line);
                if body.is_empty() {
                    continue;
                }
                match inbound.judge(body, |id| owed.contains(id)) {
                    Verdict::Forward { owes, cancels } => {
                        if let Some(id) = owes {
                            owed.insert(id);
                        }
                        if let Some(id) = cancels {
                            owed.remove(&id);
                        }
                        if to_rmcp.write_all(body).await.is_err()
                            || to_rmcp.write_all(b"\n").await.is_err()
                        {
                            break;
                        }
                        continue;
                    }
                    Verdict::Drop(why) => {
                        tracing::debug!(bytes = body.len(), why, "message dropped");
                        continue;
                    }
                    Verdict::Answer(lines) => {
                        tracing::debug!(bytes = body.len(), "message refused");
                        lines
                    }
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, "client read failed");
                break;
            }
        };
        if errors.send(answer).await.is_err() {
            break;
        }
    }
    if tokio::time::timeout(ANSWER_DEADLINE, owed.settled())
        .await
        .is_err()
    {
        tracing::warn!(
            minutes = ANSWER_DEADLINE.as_secs() / 60,
            "input ended but some requests were still unanswered after the deadline; closing the session"
        );
    }
    let _ = to_rmcp.shutdown().await;
}

/// rmcp and the guard's own errors → client, never interleaving inside a line.
async fn pump_out(
    from_rmcp: impl AsyncRead + Unpin,
    mut errors: mpsc::Receiver<Vec<u8>>,
    mut conn: impl AsyncWrite + Unpin,
    owed: Arc<Owed>,
) {
    let mut reader = BufReader::with_capacity(64 * 1024, from_rmcp);
    let mut line = Vec::new();
    let mut errors_open = true;
    loop {
        tokio::select! {
            read = reader.read_until(b'\n', &mut line) => {
                match read {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        // Settled before it is sent, so the client may reuse the id at once.
                        if let Some(id) = answered_id(&line) {
                            owed.remove(&id);
                        }
                        if conn.write_all(&line).await.is_err() || conn.flush().await.is_err() {
                            return;
                        }
                        line.clear();
                    }
                }
            }
            msg = errors.recv(), if errors_open => {
                match msg {
                    Some(msg) => {
                        if conn.write_all(&msg).await.is_err() || conn.flush().await.is_err() {
                            return;
                        }
                    }
                    None => errors_open = false,
                }
            }
        }
    }
    // Anything the reader refused after rmcp closed is still owed an answer.
    while let Ok(msg) = errors.try_recv() {
        let _ = conn.write_all(&msg).await;
    }
    let _ = conn.flush().await;
    let _ = conn.shutdown().await;
}

/// The id a line from rmcp answers: a response or error has an `id` and no `method` (a
/// request rmcp sends to the client has both).
fn answered_id(line: &[u8]) -> Option<RequestId> {
    #[derive(Deserialize)]
    struct Outgoing {
        #[serde(default)]
        id: Option<RequestId>,
        #[serde(default)]
        method: Option<serde::de::IgnoredAny>,
    }
    let outgoing: Outgoing = serde_json::from_slice(line).ok()?;
    match outgoing.method {
        Some(_) => None,
        None => outgoing.id,
    }
}

enum LineOutcome {
    Line,
    Eof,
    Oversized(usize),
}

/// Reads one line into `buf`, or skips it whole (counting its size, keeping its first
/// `OVERSIZED_PREFIX` bytes) if it is too long.
async fn read_bounded_line(
    reader: &mut (impl AsyncBufReadExt + Unpin),
    buf: &mut Vec<u8>,
) -> std::io::Result<LineOutcome> {
    let mut oversized: Option<usize> = None;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(match oversized {
                Some(len) => LineOutcome::Oversized(len),
                None if buf.is_empty() => LineOutcome::Eof,
                None => LineOutcome::Line,
            });
        }
        let (chunk, done) = match memchr(available) {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let used = chunk.len();
        match oversized.as_mut() {
            Some(len) => *len += used,
            None if buf.len() + used > MAX_MESSAGE_BYTES + 1 => {
                oversized = Some(buf.len() + used);
                buf.truncate(OVERSIZED_PREFIX);
            }
            None => buf.extend_from_slice(chunk),
        }
        reader.consume(used);
        if done {
            return Ok(match oversized {
                Some(len) => LineOutcome::Oversized(len),
                None => LineOutcome::Line,
            });
        }
    }
}

fn memchr(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

fn trim_line(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    line.trim_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    const INIT: &[u8] = b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"0\"}}}\n";

    #[tokio::test]
    async fn garbage_and_oversized_lines_get_errors_and_valid_lines_pass() {
        let (client, server) = tokio::io::duplex(1024 * 1024);
        let ((mut rmcp_read, mut rmcp_write), _task) = guarded(server);
        let (mut client_read, mut client_write) = tokio::io::split(client);
        let writer = tokio::spawn(async move {
            client_write.write_all(b"not json\n").await.unwrap();
            let mut big = b"{\"jsonrpc\":\"2.0\",\"id\":\"big\",\"x\":\"".to_vec();
            big.resize(MAX_MESSAGE_BYTES + 10, b'x');
            client_write.write_all(&big).await.unwrap();
            client_write.write_all(b"\n").await.unwrap();
            client_write.write_all(INIT).await.unwrap();
            client_write
        });
        let mut passed = vec![0u8; INIT.len()];
        rmcp_read.read_exact(&mut passed).await.unwrap();
        assert_eq!(passed, INIT);
        rmcp_write
            .write_all(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n")
            .await
            .unwrap();
        let _keep = writer.await.unwrap();
        let mut seen = String::new();
        let mut buf = vec![0u8; 4096];
        while seen.matches('\n').count() < 3 {
            let n = client_read.read(&mut buf).await.unwrap();
            seen.push_str(std::str::from_utf8(&buf[..n]).unwrap());
        }
        assert!(seen.contains("-32700"), "{seen}");
        assert!(
            seen.contains("\"id\":\"big\""),
            "the oversized line's id: {seen}"
        );
        assert!(seen.contains("\"result\":{}"), "{seen}");
    }

    /// The client sends a request and closes its input at once: rmcp does not see the end
    /// of input until it has answered, and the answer reaches the client before the close.
    #[tokio::test]
    async fn end_of_input_waits_for_the_answers_owed() {
        let (client, server) = tokio::io::duplex(64 * 1024);
        let ((rmcp_read, mut rmcp_write), task) = guarded(server);
        let (mut client_read, mut client_write) = tokio::io::split(client);
        client_write.write_all(INIT).await.unwrap();
        client_write.shutdown().await.unwrap();

        let mut rmcp_lines = BufReader::new(rmcp_read);
        let mut line = Vec::new();
        rmcp_lines.read_until(b'\n', &mut line).await.unwrap();
        assert_eq!(line, INIT);
        // The request is owed: no end of input reaches rmcp yet.
        line.clear();
        let early = tokio::time::timeout(
            Duration::from_millis(200),
            rmcp_lines.read_until(b'\n', &mut line),
        )
        .await;
        assert!(
            early.is_err(),
            "rmcp saw the end of input with an answer owed"
        );

        rmcp_write
            .write_all(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n")
            .await
            .unwrap();
        // Now it does, and closing its side ends the session after the answer went out.
        assert_eq!(rmcp_lines.read_until(b'\n', &mut line).await.unwrap(), 0);
        drop(rmcp_write);
        drop(rmcp_lines);
        let mut out = String::new();
        client_read.read_to_string(&mut out).await.unwrap();
        assert_eq!(out, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n");
        task.await.unwrap();
    }

    #[tokio::test]
    async fn a_cancelled_request_is_no_longer_owed() {
        let (client, server) = tokio::io::duplex(64 * 1024);
        let ((rmcp_read, rmcp_write), _task) = guarded(server);
        let (_client_read, mut client_write) = tokio::io::split(client);
        client_write.write_all(INIT).await.unwrap();
        client_write
            .write_all(b"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":1}}\n")
            .await
            .unwrap();
        client_write.shutdown().await.unwrap();
        let mut rmcp_lines = BufReader::new(rmcp_read);
        let mut all = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), rmcp_lines.read_to_end(&mut all))
            .await
            .expect("the end of input never reached rmcp")
            .unwrap();
        assert!(all.ends_with(b"\"requestId\":1}}\n"));
        drop(rmcp_write);
    }

    #[test]
    fn answered_ids_are_read_from_responses_only() {
        assert_eq!(
            answered_id(b"{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"big\":[1,2]}}\n"),
            Some(RequestId::Number(3))
        );
        assert_eq!(
            answered_id(
                b"{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"error\":{\"code\":1,\"message\":\"m\"}}"
            ),
            Some(RequestId::String("x".into()))
        );
        assert_eq!(
            answered_id(b"{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"ping\"}"),
            None
        );
        assert_eq!(
            answered_id(b"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}"),
            None
        );
    }
}
