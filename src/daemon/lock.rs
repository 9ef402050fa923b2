//! The single-instance lock: one daemon per profile.
//!
//! The lock file also records the holder's pid and version (`{"pid":…,"version":"…"}`) for
//! `chatkey status`, the shim and tests. The holder empties it on the way out, and readers
//! also check that the pid is alive, so a daemon killed with SIGKILL does not look alive.
//!
//! The file is opened without following a symlink and must be a regular file of the
//! current user with a single link whose content is empty or a lock record; anything else
//! (a planted symlink or hard link, someone's file) is refused untouched, so the daemon never
//! writes to or truncates a file that is not its own lock.
//!
//! On Unix the lock is `flock` (released by the kernel when the process dies). On Windows a
//! byte-range lock would stop readers from reading the pid, so the file is held open with a
//! share mode that refuses other writers, which the system also releases on exit.
//! `std::fs::File::try_lock` would do on Unix too, but needs Rust 1.89 and the crate's MSRV is
//! 1.88.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Who holds the lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    pub pid: u32,
    pub version: String,
}

impl std::fmt::Display for LockInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pid {}, version {}", self.pid, self.version)
    }
}

#[derive(Debug)]
pub(crate) enum LockError {
    /// Another process holds the lock; its record, if it could be read yet.
    Held(Option<LockInfo>),
    Io(io::Error),
}

/// The held lock. Dropping it empties the record and releases the lock.
#[derive(Debug)]
pub(crate) struct InstanceLock {
    file: File,
}

impl InstanceLock {
    /// Takes the lock at `path` without waiting and records this process in it.
    pub(crate) fn acquire(path: &Path) -> Result<InstanceLock, LockError> {
        let mut file = open_exclusive(path).map_err(|e| {
            if is_contention(&e) {
                LockError::Held(read_record(path))
            } else {
                LockError::Io(e)
            }
        })?;
        check_is_own_lock_file(&file).map_err(LockError::Io)?;
        #[cfg(unix)]
        rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive).map_err(
            |e| {
                if e == rustix::io::Errno::WOULDBLOCK {
                    LockError::Held(read_record(path))
                } else {
                    LockError::Io(e.into())
                }
            },
        )?;
        // Read again under the lock: only a lock record (or nothing) may be replaced.
        check_holds_a_lock_record(&mut file).map_err(LockError::Io)?;
        // Only now, holding the lock, may the previous record be replaced.
        let info = LockInfo {
            pid: std::process::id(),
            version: crate::protocol::VERSION.to_owned(),
        };
        let mut record = serde_json::to_vec(&info).expect("lock info serializes");
        record.push(b'\n');
        file.set_len(0)
            .and_then(|()| file.write_all(&record))
            .and_then(|()| file.sync_data())
            .map_err(LockError::Io)?;
        Ok(InstanceLock { file })
    }
}

impl Drop for InstanceLock {
    fn drop(&mut self) {
        // Emptied before the lock goes, so nobody reads a record of a process that has left.
        let _ = self.file.set_len(0);
    }
}

/// The daemon that holds the lock at `path`, or `None` when no live process holds it.
pub fn read_lock_info_at(path: &Path) -> Option<LockInfo> {
    read_record(path).filter(|info| pid_is_alive(info.pid))
}

fn read_record(path: &Path) -> Option<LockInfo> {
    let bytes = read_shared(path).ok()?;
    serde_json::from_slice(bytes.trim_ascii()).ok()
}

/// The longest lock record accepted; a record is about 40 bytes.
const MAX_RECORD_BYTES: u64 = 4096;

#[cfg(unix)]
fn open_exclusive(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    // No truncation here: until the lock is ours the record belongs to the running daemon.
    // NOFOLLOW: a symlink planted at the path is an error, not a way to reach its target.
    // NONBLOCK: opening a FIFO planted there must not hang (regular files ignore it).
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(flags.bits() as i32)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
                unsafe_lock("it is a symbolic link")
            } else {
                e
            }
        })
}

#[cfg(windows)]
fn open_exclusive(path: &Path) -> io::Result<File> {
    use std::os::windows::fs::OpenOptionsExt;
    const FILE_SHARE_READ: u32 = 1;
    // Opens a symlink (a reparse point) itself instead of its target; the check after the
    // open then refuses it.
    const FILE_FLAG_OPEN_REPARSE_POINT: u32 = 0x0020_0000;
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .share_mode(FILE_SHARE_READ)
        .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
        .open(path)
}

fn unsafe_lock(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!(
            "{what}, not chatkey's lock file, so chatkey leaves it alone: move it out of the way and start chatkey again"
        ),
    )
}

/// The opened file is a regular file of ours with no other name (a hard link could make
/// "our" lock file someone else's file).
fn check_is_own_lock_file(file: &File) -> io::Result<()> {
    let meta = file.metadata()?;
    if !meta.file_type().is_file() {
        return Err(unsafe_lock("it is not a regular file"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let me = rustix::process::getuid().as_raw();
        if meta.uid() != me {
            return Err(unsafe_lock(&format!(
                "it belongs to another user (uid {})",
                meta.uid()
            )));
        }
        if meta.nlink() != 1 {
            return Err(unsafe_lock(&format!(
                "it has {} names (hard links)",
                meta.nlink()
            )));
        }
    }
    Ok(())
}

/// The file is empty or holds a lock record: what chatkey itself leaves there.
fn check_holds_a_lock_record(file: &mut File) -> io::Result<()> {
    use std::io::{Read, Seek};
    let len = file.metadata()?.len();
    if len > MAX_RECORD_BYTES {
        return Err(unsafe_lock(&format!("it holds {len} bytes")));
    }
    let mut bytes = Vec::new();
    file.seek(io::SeekFrom::Start(0))?;
    file.read_to_end(&mut bytes)?;
    let record = bytes.trim_ascii();
    if !record.is_empty() && serde_json::from_slice::<LockInfo>(record).is_err() {
        return Err(unsafe_lock("it holds something other than a lock record"));
    }
    file.seek(io::SeekFrom::Start(0))?;
    Ok(())
}

#[cfg(unix)]
fn is_contention(_: &io::Error) -> bool {
    // Opening never contends on Unix; flock does.
    false
}

#[cfg(windows)]
fn is_contention(e: &io::Error) -> bool {
    const ERROR_SHARING_VIOLATION: i32 = 32;
    e.raw_os_error() == Some(ERROR_SHARING_VIOLATION)
}

#[cfg(unix)]
fn read_shared(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    // The same care as the holder: no symlink, no FIFO to hang on, a bounded read.
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits() as i32)
        .open(path)?;
    if !file.metadata()?.file_type().is_file() {
        return Err(unsafe_lock("it is not a regular file"));
    }
    let mut bytes = Vec::new();
    file.take(MAX_RECORD_BYTES).read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(windows)]
fn read_shared(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read;
    use std::os::windows::fs::OpenOptionsExt;
    // The holder has the file open for writing, so a reader must share write access.
    const SHARE_ALL: u32 = 1 | 2 | 4;
    let mut bytes = Vec::new();
    OpenOptions::new()
        .read(true)
        .share_mode(SHARE_ALL)
        .open(path)?
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(unix)]
fn pid_is_alive(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    // EPERM means the process exists but belongs to someone else; only ESRCH means gone.
    !matches!(
        rustix::process::test_kill_process(pid),
        Err(rustix::io::Errno::SRCH)
    )
}

#[cfg(windows)]
fn pid_is_alive(pid: u32) -> bool {
    use windows_sys::Win32::Foundation::{CloseHandle, STILL_ACTIVE};
    use windows_sys::Win32::System::Threading::{
        GetExitCodeProcess, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION,
    };
    // SAFETY: plain calls; the handle is checked for null and closed once.
    unsafe {
        let process = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
        if process.is_null() {
            return false;
        }
        let mut code = 0u32;
        let alive = GetExitCodeProcess(process, &mut code) != 0 && code == STILL_ACTIVE as u32;
        CloseHandle(process);
        alive
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_acquire_is_refused_with_the_holder_named() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("chatkey.lock");
        let lock = InstanceLock::acquire(&path).unwrap();
        let me = LockInfo {
            pid: std::process::id(),
            version: crate::protocol::VERSION.to_owned(),
        };
        assert_eq!(read_lock_info_at(&path), Some(me.clone()));
        match InstanceLock::acquire(&path) {
            Err(LockError::Held(Some(info))) => assert_eq!(info, me),
            other => panic!("expected the lock to be held, got {other:?}"),
        }
        drop(lock);
        assert_eq!(read_lock_info_at(&path), None);
        let again = InstanceLock::acquire(&path).unwrap();
        drop(again);
    }

    #[test]
    fn a_record_of_a_dead_process_is_ignored() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("chatkey.lock");
        // Reaped child: its pid is not running any more.
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .arg("--list")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id();
        child.wait().unwrap();
        std::fs::write(&path, format!("{{\"pid\":{pid},\"version\":\"0.0.1\"}}\n")).unwrap();
        assert_eq!(read_lock_info_at(&path), None);
        // A crashed daemon's leftover record does not block the next one either.
        drop(InstanceLock::acquire(&path).unwrap());
    }

    fn refused(path: &Path) -> String {
        match InstanceLock::acquire(path) {
            Err(LockError::Io(e)) => e.to_string(),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_at_the_lock_path_is_refused_and_its_target_untouched() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("precious");
        std::fs::write(&target, b"someone's data").unwrap();
        let path = tmp.path().join("chatkey.lock");
        std::os::unix::fs::symlink(&target, &path).unwrap();
        let error = refused(&path);
        assert!(error.contains("symbolic link"), "{error}");
        assert_eq!(std::fs::read(&target).unwrap(), b"someone's data");
        // A dangling one is not created through either.
        let dangling = tmp.path().join("dangling.lock");
        std::os::unix::fs::symlink(tmp.path().join("nowhere"), &dangling).unwrap();
        assert!(refused(&dangling).contains("symbolic link"));
        assert!(!tmp.path().join("nowhere").exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_hard_link_a_fifo_or_foreign_content_is_refused_untouched() {
        let tmp = tempfile::tempdir().unwrap();
        let precious = tmp.path().join("precious");
        std::fs::write(&precious, b"{\"pid\":1,\"version\":\"x\"}").unwrap();
        let linked = tmp.path().join("linked.lock");
        std::fs::hard_link(&precious, &linked).unwrap();
        assert!(refused(&linked).contains("hard links"));

        let fifo = tmp.path().join("fifo.lock");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .unwrap();
        assert!(refused(&fifo).contains("not a regular file"));
        assert_eq!(
            read_lock_info_at(&fifo),
            None,
            "a reader does not hang on it"
        );

        let other = tmp.path().join("other.lock");
        std::fs::write(&other, b"my notes, not a lock").unwrap();
        assert!(refused(&other).contains("other than a lock record"));
        drop(InstanceLock::acquire(&tmp.path().join("fresh.lock")).unwrap());
        assert_eq!(std::fs::read(&other).unwrap(), b"my notes, not a lock");
        assert_eq!(
            std::fs::read(&precious).unwrap(),
            b"{\"pid\":1,\"version\":\"x\"}"
        );
    }
}
