//! The single-instance lock: one daemon per profile.
//!
//! The lock file also records the holder's pid and version (`{"pid":…,"version":"…"}`) for
//! `chatkey status`, the shim and tests. The holder empties it on the way out, and readers
//! also check that the pid is alive, so a daemon killed with SIGKILL does not look alive.
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

#[cfg(unix)]
fn open_exclusive(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    // No truncation here: until the lock is ours the record belongs to the running daemon.
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
}

#[cfg(windows)]
fn open_exclusive(path: &Path) -> io::Result<File> {
    use std::os::windows::fs::OpenOptionsExt;
    const FILE_SHARE_READ: u32 = 1;
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .share_mode(FILE_SHARE_READ)
        .open(path)
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
    std::fs::read(path)
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
}
