//! Copying between the assistant and the daemon, whole lines at a time, across daemon
//! restarts.
//!
//! Stdin is cut into lines before it is forwarded, and the daemon's output is passed on only
//! in whole lines, so a daemon that dies mid-line never leaves half a message on either side.
//! When the connection is lost, the requests it carried are answered with
//! "chatkey restarted; try again" (see `book`); the next line from the assistant brings up a
//! new daemon (started if need be), replays the session's `initialize` to it, and goes on.
//! Reconnecting only when the assistant next sends something means a daemon the person quit
//! is not started again behind their back by an idle assistant.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;

use super::book::{Book, Request, error_line};
use super::{ShimError, ShimOptions, open_session};
use crate::ipc::{self, Connection};
use crate::paths::Paths;

const CHUNK: usize = 64 * 1024;
/// Lines longer than the daemon accepts are passed on in pieces, untracked: the daemon
/// refuses them anyway, and the shim need not hold them whole.
const MAX_TRACKED_LINE: usize = crate::mcp::MAX_MESSAGE_BYTES + 1;
/// How long a lost connection's reader may take to notice and answer what it owed.
const LOSS_DEADLINE: Duration = Duration::from_secs(5);
/// Connections tried for one line before its request is answered with the reason.
const ATTEMPTS: u32 = 3;

type Stdin = mpsc::Receiver<std::io::Result<Vec<u8>>>;
type Stdout = Arc<Mutex<tokio::io::Stdout>>;

/// Runs until stdin ends and every request sent has been answered (`Ok`), or stdin or
/// stdout fails.
pub(super) async fn run(
    conn: Connection,
    stdin: Stdin,
    paths: &Paths,
    opts: &ShimOptions,
) -> Result<(), ShimError> {
    let (fatal_tx, mut fatal_rx) = mpsc::unbounded_channel();
    let mut pump = Pump {
        paths,
        opts,
        book: Arc::new(Book::default()),
        stdout: Arc::new(Mutex::new(tokio::io::stdout())),
        fatal: fatal_tx,
        link: None,
    };
    pump.attach(conn).await;
    tokio::select! {
        result = pump.upstream(stdin) => result,
        Some(error) = fatal_rx.recv() => Err(error),
    }
}

struct Pump<'a> {
    paths: &'a Paths,
    opts: &'a ShimOptions,
    book: Arc<Book>,
    stdout: Stdout,
    /// Stdout failures seen by a connection's reader end the shim.
    fatal: mpsc::UnboundedSender<ShimError>,
    link: Option<Link>,
}

/// The connection in use: its generation, its write half, and the task reading its other
/// half.
struct Link {
    generation: u64,
    to_daemon: WriteHalf<Connection>,
    reader: JoinHandle<()>,
}

/// A piece of stdin: a whole line (with its newline, except perhaps the very last), or part
/// of a line too long to track.
enum Piece {
    Line(Vec<u8>),
    Fragment { bytes: Vec<u8>, first: bool },
}

impl Pump<'_> {
    async fn upstream(&mut self, mut stdin: Stdin) -> Result<(), ShimError> {
        let mut lines = LineSplitter::default();
        while let Some(chunk) = stdin.recv().await {
            let chunk = chunk.map_err(ShimError::Stdin)?;
            for piece in lines.push(&chunk) {
                self.send(piece).await?;
            }
        }
        if let Some(piece) = lines.finish() {
            self.send(piece).await?;
        }
        self.finish().await;
        Ok(())
    }

    async fn send(&mut self, piece: Piece) -> Result<(), ShimError> {
        let line = match piece {
            Piece::Line(line) => line,
            Piece::Fragment { bytes, first } => {
                if first {
                    self.ensure_link().await.ok();
                }
                if let Some(link) = self.live_link()
                    && link.to_daemon.write_all(&bytes).await.is_err()
                {
                    self.drop_link().await;
                }
                return Ok(());
            }
        };
        let request = self.book.client_line(&line);
        let mut attempts = 0;
        loop {
            attempts += 1;
            if let Err(error) = self.ensure_link().await {
                return self.unavailable(error, request.as_ref()).await;
            }
            let link = self.link.as_mut().expect("ensure_link leaves a link");
            let generation = link.generation;
            if let Some(request) = &request
                && !self.book.track(request, generation)
            {
                // Lost between the check and now; its reader answers for it.
                self.drop_link().await;
                continue;
            }
            if link.to_daemon.write_all(&line).await.is_ok() {
                return Ok(());
            }
            // Not delivered. Send it again on the next connection unless the lost one has
            // already answered it with an error.
            let resend = request
                .as_ref()
                .is_some_and(|r| self.book.untrack(r, generation));
            self.drop_link().await;
            if !resend {
                return Ok(());
            }
            if attempts == ATTEMPTS {
                let error = ShimError::ConnectionLost {
                    log_dir: self.paths.log_dir(),
                };
                return self.unavailable(error, request.as_ref()).await;
            }
        }
    }

    fn live_link(&mut self) -> Option<&mut Link> {
        let book = &self.book;
        self.link.as_mut().filter(|l| book.alive(l.generation))
    }

    /// Makes sure a working connection is in `link`, reconnecting (and replaying the
    /// session's `initialize`) if the last one was lost.
    async fn ensure_link(&mut self) -> Result<(), ShimError> {
        for _ in 0..ATTEMPTS {
            if self.live_link().is_some() {
                return Ok(());
            }
            self.drop_link().await;
            let conn = open_session(self.paths, self.opts).await?;
            self.attach(conn).await;
        }
        if self.live_link().is_some() {
            return Ok(());
        }
        Err(ShimError::ConnectionLost {
            log_dir: self.paths.log_dir(),
        })
    }

    /// Starts using `conn`: a reader task for its output and, on a new daemon, the replay.
    async fn attach(&mut self, conn: Connection) {
        let (from_daemon, to_daemon) = tokio::io::split(conn);
        let (generation, replay) = self.book.begin();
        let reader = tokio::spawn(downstream(
            from_daemon,
            generation,
            self.book.clone(),
            self.stdout.clone(),
            self.fatal.clone(),
            self.paths.log_dir(),
        ));
        let mut link = Link {
            generation,
            to_daemon,
            reader,
        };
        if !replay.is_empty() {
            eprintln!(
                "chatkey-mcp: reconnected to the chatkey daemon; resuming the assistant's session"
            );
            if link.to_daemon.write_all(&replay).await.is_err() {
                // The reader sees the loss too; `ensure_link` tries again.
                self.link = Some(link);
                self.drop_link().await;
                return;
            }
        }
        self.link = Some(link);
    }

    /// Lets go of the connection, after its reader has answered what it owed.
    async fn drop_link(&mut self) {
        let Some(mut link) = self.link.take() else {
            return;
        };
        let _ = link.to_daemon.shutdown().await;
        if tokio::time::timeout(LOSS_DEADLINE, &mut link.reader)
            .await
            .is_err()
        {
            link.reader.abort();
            let (errors, _) = self.book.lose(link.generation);
            let _ = write_out(&self.stdout, &errors).await;
        }
    }

    /// No daemon could be reached for `request`: tell the assistant why, on stderr and as
    /// the request's answer, and keep going (the next line tries again).
    async fn unavailable(
        &mut self,
        error: ShimError,
        request: Option<&Request>,
    ) -> Result<(), ShimError> {
        eprintln!("chatkey-mcp: {error}");
        let Some(request) = request else {
            return Ok(());
        };
        let message = format!("chatkey is not available: {error}");
        write_out(&self.stdout, &error_line(&request.id, &message)).await
    }

    /// Stdin has ended: let the daemon know, and wait for its last answers.
    async fn finish(&mut self) {
        self.book.end_input();
        let Some(mut link) = self.link.take() else {
            return;
        };
        if ipc::SUPPORTS_HALF_CLOSE {
            // The daemon answers what is in flight, then closes its side.
            let _ = link.to_daemon.shutdown().await;
            let _ = (&mut link.reader).await;
        } else {
            // A named pipe cannot say "no more input", so wait for the answers owed instead.
            tokio::select! {
                () = self.book.settled() => {}
                _ = &mut link.reader => {}
            }
        }
    }
}

/// Daemon → stdout for one connection, whole lines only. At the end it answers the
/// connection's requests that are still waiting.
async fn downstream(
    mut from_daemon: ReadHalf<Connection>,
    generation: u64,
    book: Arc<Book>,
    stdout: Stdout,
    fatal: mpsc::UnboundedSender<ShimError>,
    log_dir: std::path::PathBuf,
) {
    let mut pending = Vec::new();
    let mut buffer = vec![0u8; CHUNK];
    loop {
        let n = match from_daemon.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let start = pending.len();
        pending.extend_from_slice(&buffer[..n]);
        let Some(last) = pending[start..].iter().rposition(|&b| b == b'\n') else {
            continue;
        };
        let cut = start + last + 1;
        let mut out = Vec::with_capacity(cut);
        for line in pending[..cut].split_inclusive(|&b| b == b'\n') {
            if book.daemon_line(line, generation) {
                out.extend_from_slice(line);
            }
        }
        pending.drain(..cut);
        if let Err(error) = write_out(&stdout, &out).await {
            let _ = fatal.send(error);
            return;
        }
    }
    let (errors, count) = book.lose(generation);
    if count > 0 || !book.input_ended() {
        eprintln!(
            "chatkey-mcp: the chatkey daemon closed the connection (its logs are in {}); {count} request(s) in flight answered with an error, reconnecting on the next request",
            log_dir.display()
        );
    }
    if let Err(error) = write_out(&stdout, &errors).await {
        let _ = fatal.send(error);
    }
}

async fn write_out(stdout: &Stdout, bytes: &[u8]) -> Result<(), ShimError> {
    if bytes.is_empty() {
        return Ok(());
    }
    let mut stdout = stdout.lock().await;
    stdout.write_all(bytes).await.map_err(ShimError::Stdout)?;
    stdout.flush().await.map_err(ShimError::Stdout)
}

/// Cuts stdin into lines; a line longer than `MAX_TRACKED_LINE` comes out in fragments.
#[derive(Default)]
struct LineSplitter {
    partial: Vec<u8>,
    /// Inside an over-long line, which is passed on as it arrives.
    oversized: bool,
}

impl LineSplitter {
    fn push(&mut self, mut chunk: &[u8]) -> Vec<Piece> {
        let mut pieces = Vec::new();
        while let Some(i) = chunk.iter().position(|&b| b == b'\n') {
            let (line, rest) = chunk.split_at(i + 1);
            chunk = rest;
            if self.oversized {
                self.oversized = false;
                pieces.push(Piece::Fragment {
                    bytes: line.to_vec(),
                    first: false,
                });
            } else if self.partial.len() + line.len() > MAX_TRACKED_LINE {
                let mut bytes = std::mem::take(&mut self.partial);
                bytes.extend_from_slice(line);
                pieces.push(Piece::Fragment { bytes, first: true });
            } else {
                let mut whole = std::mem::take(&mut self.partial);
                whole.extend_from_slice(line);
                pieces.push(Piece::Line(whole));
            }
        }
        if self.oversized {
            pieces.push(Piece::Fragment {
                bytes: chunk.to_vec(),
                first: false,
            });
        } else if self.partial.len() + chunk.len() > MAX_TRACKED_LINE {
            self.oversized = true;
            let mut bytes = std::mem::take(&mut self.partial);
            bytes.extend_from_slice(chunk);
            pieces.push(Piece::Fragment { bytes, first: true });
        } else {
            self.partial.extend_from_slice(chunk);
        }
        pieces
    }

    /// What is left at the end of input: a last line without a newline.
    fn finish(&mut self) -> Option<Piece> {
        (!self.partial.is_empty()).then(|| Piece::Line(std::mem::take(&mut self.partial)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn describe(pieces: &[Piece]) -> Vec<String> {
        pieces
            .iter()
            .map(|p| match p {
                Piece::Line(l) => format!("line {}", String::from_utf8_lossy(l).escape_debug()),
                Piece::Fragment { bytes, first } => format!("fragment {} {first}", bytes.len()),
            })
            .collect()
    }

    #[test]
    fn stdin_is_cut_into_whole_lines() {
        let mut lines = LineSplitter::default();
        assert!(lines.push(b"{\"a\":").is_empty());
        assert_eq!(
            describe(&lines.push(b"1}\n{\"b\":2}\n{\"c\"")),
            ["line {\\\"a\\\":1}\\n", "line {\\\"b\\\":2}\\n"]
        );
        assert_eq!(describe(&[lines.finish().unwrap()]), ["line {\\\"c\\\""]);
        assert!(lines.finish().is_none());
    }

    #[test]
    fn an_over_long_line_passes_in_fragments() {
        let mut lines = LineSplitter::default();
        let big = vec![b'x'; MAX_TRACKED_LINE + 1];
        assert_eq!(describe(&lines.push(&big[..10])), Vec::<String>::new());
        let pieces = lines.push(&big[10..]);
        assert_eq!(
            describe(&pieces),
            [format!("fragment {} true", MAX_TRACKED_LINE + 1)]
        );
        assert_eq!(
            describe(&lines.push(b"tail\n{}\n")),
            ["fragment 5 false", "line {}\\n"]
        );
    }
}
