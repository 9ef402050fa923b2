//! Opening a file for reading inside the allowed directories, safely against symlinks,
//! special files and a path swapped between the check and the open.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::{Confinement, human_size, identity, io_error, permission};
use crate::tools::ToolError;

/// A regular file opened for reading, with the canonical path it was checked at.
#[derive(Debug)]
pub struct OpenedFile {
    pub file: File,
    pub path: PathBuf,
    pub size: u64,
    /// The path as the assistant gave it, for messages.
    input: String,
    param: String,
}

impl Confinement {
    /// Opens `input` (argument `param`) for reading if it is a regular file inside the
    /// allowed directories and at most `max` bytes; `purpose` names the limit in errors.
    pub fn open_read(
        &self,
        param: &str,
        input: &str,
        max: u64,
        purpose: &str,
    ) -> Result<OpenedFile, ToolError> {
        let (canonical, checked) = self.resolve_read(param, input)?;
        self.open_resolved(param, input, &canonical, checked, max, purpose)
    }

    /// The canonical path of an existing file to read and the identity it had when checked.
    /// Exposed with `open_resolved` so tests can swap the file between the two steps.
    pub fn resolve_read(
        &self,
        param: &str,
        input: &str,
    ) -> Result<(PathBuf, Option<(u64, u64)>), ToolError> {
        let input = input.trim();
        let lexical = self.absolute(param, input)?;
        let canonical = std::fs::canonicalize(&lexical).map_err(|e| io_error(param, input, &e))?;
        self.check_inside(param, input, &canonical)?;
        let meta = std::fs::symlink_metadata(&canonical).map_err(|e| io_error(param, input, &e))?;
        check_regular(param, input, &meta)?;
        Ok((canonical, identity(&meta)))
    }

    /// Opens the checked `canonical` path without following a symlink in its last component,
    /// and refuses it unless the opened file is the one that was checked.
    pub fn open_resolved(
        &self,
        param: &str,
        input: &str,
        canonical: &Path,
        checked: Option<(u64, u64)>,
        max: u64,
        purpose: &str,
    ) -> Result<OpenedFile, ToolError> {
        let input = input.trim();
        let file = open_no_follow(canonical).map_err(|e| {
            if is_symlink_refusal(&e) {
                swapped(param, input)
            } else {
                io_error(param, input, &e)
            }
        })?;
        let meta = file.metadata().map_err(|e| io_error(param, input, &e))?;
        check_regular(param, input, &meta)?;
        if identity(&meta) != checked {
            return Err(swapped(param, input));
        }
        // A directory above the file may have been swapped for a symlink after the check:
        // where the open file really is decides.
        if let Some(real) = real_path(&file) {
            self.check_inside(param, input, &real)?;
        }
        let size = meta.len();
        if size > max {
            return Err(too_large(param, input, size, max, purpose));
        }
        Ok(OpenedFile {
            file,
            path: canonical.to_owned(),
            size,
            input: input.to_owned(),
            param: param.to_owned(),
        })
    }
}

impl OpenedFile {
    /// The whole content, refusing it if the file grew past `max` since it was opened.
    pub fn read_all(mut self, max: u64, purpose: &str) -> Result<Vec<u8>, ToolError> {
        let mut bytes = Vec::with_capacity(self.size.min(max) as usize);
        (&mut self.file)
            .take(max + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| io_error(&self.param, &self.input, &e))?;
        if bytes.len() as u64 > max {
            return Err(too_large(
                &self.param,
                &self.input,
                bytes.len() as u64,
                max,
                purpose,
            ));
        }
        Ok(bytes)
    }
}

pub(super) fn check_regular(
    param: &str,
    input: &str,
    meta: &std::fs::Metadata,
) -> Result<(), ToolError> {
    let kind = meta.file_type();
    if kind.is_file() {
        return Ok(());
    }
    let what = if kind.is_dir() {
        "a directory"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else {
        "a device, pipe or socket"
    };
    Err(permission(format!(
        "`{param}`: `{input}` is {what}, not a regular file; give the path of a regular file"
    )))
}

fn too_large(param: &str, input: &str, size: u64, max: u64, purpose: &str) -> ToolError {
    ToolError::invalid_argument(format!(
        "`{param}`: `{input}` is {} ({size} bytes), over the {} limit for {purpose}; use a smaller file",
        human_size(size),
        human_size(max)
    ))
}

fn swapped(param: &str, input: &str) -> ToolError {
    permission(format!(
        "`{param}`: `{input}` changed while it was being opened (a symbolic link or another file took its place), so it was not used; check what the path points to and try again"
    ))
}

#[cfg(unix)]
fn open_no_follow(path: &Path) -> std::io::Result<File> {
    use rustix::fs::OFlags;
    use std::os::unix::fs::OpenOptionsExt;
    // NONBLOCK: a pipe swapped in must not hang the open; NOCTTY: a terminal must not become
    // the daemon's controlling terminal. Neither changes how a regular file is read.
    let flags = OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits() as i32)
        .open(path)
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> std::io::Result<File> {
    File::open(path)
}

/// `O_NOFOLLOW` on a symlink fails with `ELOOP` (Linux, macOS) or `EMLINK` (FreeBSD).
fn is_symlink_refusal(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        let code = e.raw_os_error();
        code == Some(rustix::io::Errno::LOOP.raw_os_error())
            || code == Some(rustix::io::Errno::MLINK.raw_os_error())
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

/// Where an open file really is, from the kernel (Linux `/proc/self/fd`); `None` elsewhere,
/// where the identity check on the last component is the guard.
pub(super) fn real_path(file: &File) -> Option<PathBuf> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())).ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = file;
        None
    }
}
