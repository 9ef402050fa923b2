//! Saving a file inside the allowed directories: a checked destination, a 0600 temporary file
//! in the same directory, then a rename that never replaces an existing file unless asked.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Confinement, identity, io_error, permission};
use crate::tools::ToolError;

/// Where a download goes, checked before anything is fetched.
#[derive(Debug, Clone)]
pub struct WriteTarget {
    conf: Confinement,
    /// Canonical directory, inside the allowed directories.
    dir: PathBuf,
    dir_id: Option<(u64, u64)>,
    /// `None` while the destination named a directory and the file name is still to come.
    name: Option<OsString>,
    overwrite: bool,
    param: String,
    input: String,
}

impl Confinement {
    /// Checks `input` as a place to save a file: an existing directory inside (the file name
    /// is given later with `with_name`) or a file path whose directory exists inside. An
    /// existing file is refused unless `overwrite`; a symlink or special file always is.
    pub fn prepare_write(
        &self,
        param: &str,
        input: &str,
        overwrite: bool,
    ) -> Result<WriteTarget, ToolError> {
        let input = input.trim();
        let lexical = self.absolute(param, input)?;
        let names_dir =
            input.ends_with('/') || std::fs::metadata(&lexical).is_ok_and(|m| m.is_dir());
        let (dir, name) = if names_dir {
            (lexical.clone(), None)
        } else {
            let name = lexical.file_name().map(OsString::from);
            let parent = lexical.parent().map(Path::to_owned).unwrap_or_default();
            (parent, name)
        };
        let dir = std::fs::canonicalize(&dir).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                ToolError::not_found(format!(
                    "`{param}`: the directory of `{input}` does not exist; create it first or choose another inside {}",
                    self.describe()
                ))
            } else {
                io_error(param, input, &e)
            }
        })?;
        self.check_inside(param, input, &dir)?;
        let meta = std::fs::metadata(&dir).map_err(|e| io_error(param, input, &e))?;
        if !meta.is_dir() {
            return Err(ToolError::invalid_argument(format!(
                "`{param}`: `{}` is not a directory; give a path inside an existing directory",
                dir.display()
            )));
        }
        let target = WriteTarget {
            conf: self.clone(),
            dir,
            dir_id: identity(&meta),
            name,
            overwrite,
            param: param.to_owned(),
            input: input.to_owned(),
        };
        if target.name.is_some() {
            target.check_destination()?;
        }
        Ok(target)
    }
}

impl WriteTarget {
    /// Whether the destination was a directory and still needs a file name.
    pub fn needs_name(&self) -> bool {
        self.name.is_none()
    }

    /// Completes a directory destination with `name` (an attachment's name, which is not
    /// trusted: only its last component is used, and `.`, `..` or hidden names are refused).
    pub fn with_name(mut self, name: &str) -> Result<Self, ToolError> {
        if self.name.is_none() {
            let base = name
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or("")
                .trim()
                .replace('\0', "");
            if base.is_empty() || base == "." || base == ".." {
                return Err(ToolError::invalid_argument(format!(
                    "`{}`: the attachment has no usable file name; give a full file path instead of a directory",
                    self.param
                )));
            }
            self.name = Some(base.into());
            self.check_destination()?;
        }
        Ok(self)
    }

    /// The file this target will create or replace.
    pub fn path(&self) -> PathBuf {
        match &self.name {
            Some(name) => self.dir.join(name),
            None => self.dir.clone(),
        }
    }

    fn check_destination(&self) -> Result<(), ToolError> {
        let path = self.path();
        let shown = path.display().to_string();
        self.conf.check_inside(&self.param, &shown, &path)?;
        match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error(&self.param, &shown, &e)),
            Ok(meta) if meta.file_type().is_symlink() => Err(permission(format!(
                "`{}`: `{shown}` is a symbolic link, and chatkey never writes through one; choose another file name",
                self.param
            ))),
            Ok(meta) if !meta.is_file() => Err(permission(format!(
                "`{}`: `{shown}` exists and is not a regular file; choose another file name",
                self.param
            ))),
            Ok(_) if !self.overwrite => Err(exists(&self.param, &shown)),
            Ok(_) => Ok(()),
        }
    }

    /// Writes `bytes` to the destination atomically with mode 0600; returns the final path.
    /// Blocking: call it from `spawn_blocking`.
    pub fn write(&self, bytes: &[u8]) -> Result<PathBuf, ToolError> {
        let path = self.path();
        let shown = path.display().to_string();
        let fail = |e: std::io::Error| io_error(&self.param, &shown, &e);
        if self.name.is_none() {
            return Err(ToolError::internal(format!(
                "`{}`: no file name was chosen for `{}`",
                self.param, self.input
            )));
        }
        self.check_destination()?;
        let mut builder = tempfile::Builder::new();
        builder.prefix(".chatkey-download-").suffix(".tmp");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o600));
        }
        let mut tmp = builder.tempfile_in(&self.dir).map_err(fail)?;
        // The directory may have been swapped for a symlink since it was checked: the temp
        // file must really be in the checked directory, or nothing is kept.
        if let Some(real) = super::open::real_path(tmp.as_file()) {
            let real_dir = real.parent().map(Path::to_owned).unwrap_or_default();
            if real_dir != self.dir {
                return Err(moved(&self.param, &self.input));
            }
        }
        let now = std::fs::metadata(&self.dir).map_err(fail)?;
        if identity(&now) != self.dir_id {
            return Err(moved(&self.param, &self.input));
        }
        tmp.write_all(bytes).map_err(fail)?;
        tmp.as_file().sync_all().map_err(fail)?;
        if self.overwrite {
            tmp.persist(&path).map_err(|e| fail(e.error))?;
        } else {
            // No-clobber rename: a file that appeared since the check is kept, not replaced.
            tmp.persist_noclobber(&path).map_err(|e| {
                if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                    exists(&self.param, &shown)
                } else {
                    fail(e.error)
                }
            })?;
        }
        Ok(path)
    }
}

fn exists(param: &str, shown: &str) -> ToolError {
    ToolError::invalid_argument(format!(
        "`{param}`: `{shown}` already exists and was left unchanged; pass `overwrite: true` to replace it, or choose another file name"
    ))
}

fn moved(param: &str, input: &str) -> ToolError {
    permission(format!(
        "`{param}`: the directory of `{input}` changed while saving (it was replaced or became a link), so nothing was saved; check the path and try again"
    ))
}
