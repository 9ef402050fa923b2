//! Unix socket transport: a socket file in the private runtime dir.

use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tokio::net::{UnixListener, UnixStream};

use crate::paths::ensure_private_dir;

/// One accepted or dialled connection: a byte stream both ways.
pub type Connection = UnixStream;

/// The daemon's listening socket. Dropping it removes the socket file, but only if the file is
/// still the one this listener created.
#[derive(Debug)]
pub struct Listener {
    inner: UnixListener,
    path: PathBuf,
    /// Device and inode of the socket file we bound, so drop never unlinks a file that
    /// someone else put there after us.
    identity: (u64, u64),
    own_uid: u32,
}

impl Listener {
    /// Makes the runtime dir private, replaces a stale socket file (only when nothing answers
    /// on it: a live daemon's socket is never unlinked), binds and sets the socket to 0600.
    pub fn bind(path: &Path) -> io::Result<Listener> {
        if let Some(dir) = path.parent() {
            ensure_private_dir(dir).map_err(io::Error::other)?;
        }
        remove_stale_socket(path)?;
        let inner = UnixListener::bind(path)?;
        // The 0700 directory already fences the socket during the moment between bind and
        // chmod; the mode is a second fence for platforms and set-ups that ignore it.
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        let meta = std::fs::symlink_metadata(path)?;
        Ok(Listener {
            inner,
            path: path.to_owned(),
            identity: (meta.dev(), meta.ino()),
            own_uid: rustix::process::getuid().as_raw(),
        })
    }

    /// Accepts the next connection from the same user. Connections from another uid (or whose
    /// uid cannot be read) are dropped and logged with the uid only.
    pub async fn accept(&self) -> io::Result<Connection> {
        loop {
            let (stream, _) = self.inner.accept().await?;
            match stream.peer_cred() {
                Ok(cred) if is_same_user(cred.uid(), self.own_uid) => return Ok(stream),
                Ok(cred) => tracing::warn!(
                    peer_uid = cred.uid(),
                    "dropped a connection from another user"
                ),
                Err(error) => tracing::warn!(%error, "dropped a connection whose user is unknown"),
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Ok(meta) = std::fs::symlink_metadata(&self.path)
            && (meta.dev(), meta.ino()) == self.identity
        {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Connects to the daemon's socket, refusing a symlink at `path` and a server that runs as
/// another user. A socket that is swapped for a symlink between the check and the connect
/// still meets the peer check, which is the one that matters: nothing goes to another
/// user's process.
pub async fn connect(path: &Path) -> io::Result<Connection> {
    // NotFound passes through: it means no daemon, and the shim starts one.
    if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "it is a symbolic link, and chatkey only talks to a socket it finds in place: remove the link (a daemon recreates the socket)",
        ));
    }
    let stream = UnixStream::connect(path).await?;
    let peer_uid = stream.peer_cred()?.uid();
    let own_uid = rustix::process::getuid().as_raw();
    if !is_same_user(peer_uid, own_uid) {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "it is served by another user's process (uid {peer_uid}), so chatkey sends it nothing: remove the socket, or point CHATKEY_RUNTIME_DIR at a directory only you can write"
            ),
        ));
    }
    Ok(stream)
}

/// The peer check, separate so it can be tested with a uid other than the test's own.
fn is_same_user(peer_uid: u32, own_uid: u32) -> bool {
    peer_uid == own_uid
}

/// Removes `path` if it is a socket nobody listens on (left by a daemon that crashed).
fn remove_stale_socket(path: &Path) -> io::Result<()> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if !meta.file_type().is_socket() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} exists and is not a socket: remove it so chatkey can listen there",
                path.display()
            ),
        ));
    }
    // A blocking connect to a Unix socket answers at once: it either reaches a listener or is
    // refused, so this cannot stall start-up.
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!(
                "another process already listens on {}: stop it or point CHATKEY_RUNTIME_DIR elsewhere",
                path.display()
            ),
        )),
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
            tracing::info!(path = %path.display(), "removing a stale socket file");
            match std::fs::remove_file(path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_uid_is_refused() {
        let me = rustix::process::getuid().as_raw();
        assert!(is_same_user(me, me));
        assert!(!is_same_user(me.wrapping_add(1), me));
        assert!(!is_same_user(0, 1000));
    }

    #[tokio::test]
    async fn a_live_socket_is_never_unlinked() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("run/chatkey.sock");
        let first = Listener::bind(&path).unwrap();
        let err = Listener::bind(&path).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse, "{err}");
        assert!(path.exists());
        drop(first);
        assert!(!path.exists(), "dropping the listener removes its socket");
    }

    #[tokio::test]
    async fn drop_leaves_a_replacement_socket_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("chatkey.sock");
        let first = Listener::bind(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let _other = std::os::unix::net::UnixListener::bind(&path).unwrap();
        drop(first);
        assert!(path.exists(), "a socket someone else bound must survive");
    }

    #[tokio::test]
    async fn a_regular_file_in_the_way_is_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("chatkey.sock");
        std::fs::write(&path, b"not a socket").unwrap();
        let err = Listener::bind(&path).unwrap_err();
        assert!(err.to_string().contains("not a socket"), "{err}");
    }
}
