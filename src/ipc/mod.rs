//! The local transport between `chatkey-mcp` and the daemon: a Unix socket in the private
//! runtime dir, or a named pipe on Windows. It moves bytes and knows nothing of MCP or of the
//! handshake (that is `protocol`); both platforms offer the same `Listener`, `Connection` and
//! `connect`.
//!
//! **Architecture Invariant:** only the current user reaches the daemon, and a client talks
//! only to a daemon of the current user. On Unix the 0700 runtime dir and the 0600 socket
//! are the fence, `accept` re-checks the peer's uid, and `connect` refuses a symlink at the
//! socket path and a server of another uid (SO_PEERCRED / getpeereid); on Windows the pipe's
//! DACL names only the current user and both ends check the other's process owner.

use std::io;

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::{Connection, Listener, connect};

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::{Connection, Listener, connect};

/// Whether a `Connection` can shut down its write side and still read (Unix sockets can,
/// named pipes cannot). The shim uses it to decide how to wait for the daemon's last bytes.
pub const SUPPORTS_HALF_CLOSE: bool = cfg!(unix);

/// Whether a `connect` error means "no daemon is serving this socket" (as opposed to, say, a
/// permission problem the person must fix), so the shim should start one.
pub fn is_not_running(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused
    )
}
