//! A line guard in front of `rmcp`: every incoming line is either valid JSON (passed on) or
//! answered with a JSON-RPC error, and no line may exceed `MAX_MESSAGE_BYTES`.
//!
//! `rmcp` silently drops unparsable and oversized input; a client that sent it would wait for
//! an answer forever. Answering `-32700`/`-32600` with `id: null`, as JSON-RPC 2.0 asks, lets
//! the client see its mistake, and the session carries on.

use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The largest JSON-RPC message accepted from a client. Tool arguments are small (files are
/// passed by path), so 4 MiB leaves room while bounding memory per session.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

type Half = tokio::io::DuplexStream;
/// What `rmcp` reads from and writes to.
pub type Transport = (tokio::io::ReadHalf<Half>, tokio::io::WriteHalf<Half>);

/// Splits `conn` into a transport for `rmcp` plus the task that guards it.
pub fn guarded<S>(conn: S) -> (Transport, JoinHandle<()>)
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (rmcp_side, guard_side) = tokio::io::duplex(256 * 1024);
    let (conn_read, conn_write) = tokio::io::split(conn);
    let (from_rmcp, to_rmcp) = tokio::io::split(guard_side);
    let (errors_tx, errors_rx) = mpsc::channel::<String>(16);
    let task = tokio::spawn(async move {
        let reader = pump_in(conn_read, to_rmcp, errors_tx);
        let writer = pump_out(from_rmcp, errors_rx, conn_write);
        // The session is over when the client stops sending and everything owed is written.
        let (_, _) = tokio::join!(reader, writer);
    });
    (tokio::io::split(rmcp_side), task)
}

/// Client → rmcp: whole lines only, each checked.
async fn pump_in(
    conn: impl AsyncRead + Unpin,
    mut to_rmcp: impl AsyncWrite + Unpin,
    errors: mpsc::Sender<String>,
) {
    let mut reader = BufReader::with_capacity(64 * 1024, conn);
    let mut line = Vec::new();
    loop {
        line.clear();
        match read_bounded_line(&mut reader, &mut line).await {
            Ok(LineOutcome::Eof) => break,
            Ok(LineOutcome::Oversized(len)) => {
                tracing::warn!(bytes = len, "oversized message refused");
                let msg = error_line(
                    -32600,
                    &format!(
                        "request too large: {len} bytes is over the limit of {MAX_MESSAGE_BYTES} bytes; send smaller arguments (files are passed by path)"
                    ),
                );
                if errors.send(msg).await.is_err() {
                    break;
                }
            }
            Ok(LineOutcome::Line) => {
                let body = trim_line(&line);
                if body.is_empty() {
                    continue;
                }
                if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(body) {
                    tracing::debug!(error = %e, "unparsable message refused");
                    let msg = error_line(
                        -32700,
                        &format!("parse error: {e}; send one JSON-RPC message per line"),
                    );
                    if errors.send(msg).await.is_err() {
                        break;
                    }
                    continue;
                }
                if to_rmcp.write_all(body).await.is_err() || to_rmcp.write_all(b"\n").await.is_err()
                {
                    break;
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, "client read failed");
                break;
            }
        }
    }
    let _ = to_rmcp.shutdown().await;
}

/// rmcp and the guard's own errors → client, never interleaving inside a line.
async fn pump_out(
    from_rmcp: impl AsyncRead + Unpin,
    mut errors: mpsc::Receiver<String>,
    mut conn: impl AsyncWrite + Unpin,
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
                        if conn.write_all(msg.as_bytes()).await.is_err() || conn.flush().await.is_err() {
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
        let _ = conn.write_all(msg.as_bytes()).await;
    }
    let _ = conn.flush().await;
    let _ = conn.shutdown().await;
}

enum LineOutcome {
    Line,
    Eof,
    Oversized(usize),
}

/// Reads one line into `buf`, or skips it whole (counting its size) if it is too long.
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
                buf.clear();
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

fn error_line(code: i64, message: &str) -> String {
    let mut s = json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message}})
        .to_string();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn garbage_and_oversized_lines_get_errors_and_valid_lines_pass() {
        let (client, server) = tokio::io::duplex(1024 * 1024);
        let ((mut rmcp_read, mut rmcp_write), _task) = guarded(server);
        let (mut client_read, mut client_write) = tokio::io::split(client);
        let writer = tokio::spawn(async move {
            client_write.write_all(b"not json\n").await.unwrap();
            let big = vec![b'x'; MAX_MESSAGE_BYTES + 10];
            client_write.write_all(&big).await.unwrap();
            client_write
                .write_all(b"\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n")
                .await
                .unwrap();
            client_write
        });
        let mut passed = vec![0u8; 41];
        rmcp_read.read_exact(&mut passed).await.unwrap();
        assert_eq!(
            &passed,
            b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n"
        );
        rmcp_write.write_all(b"{\"reply\":1}\n").await.unwrap();
        let _keep = writer.await.unwrap();
        let mut seen = String::new();
        let mut buf = vec![0u8; 4096];
        while seen.matches('\n').count() < 3 {
            let n = client_read.read(&mut buf).await.unwrap();
            seen.push_str(std::str::from_utf8(&buf[..n]).unwrap());
        }
        assert!(seen.contains("-32700"), "{seen}");
        assert!(seen.contains("-32600"), "{seen}");
        assert!(seen.contains("{\"reply\":1}"), "{seen}");
    }
}
