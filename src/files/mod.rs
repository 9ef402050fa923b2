//! Local files the tools may touch: every path an assistant names is confined to the allowed
//! directories (`[files] allowed_dirs` in config.toml; by default the home directory), hidden
//! directories and files below them stay refused unless `[files] allow_hidden = true`, and
//! every read or write has a size limit.
//!
//! An assistant's arguments may come from a prompt injection, so a path is treated as hostile:
//! it is checked lexically (no `..` escape), then after resolving symlinks (the canonical path
//! must still be inside), the final component is opened without following symlinks, and the
//! opened file's identity is compared with what was checked, so swapping a symlink in between
//! cannot redirect the read. Writes go to a 0600 temporary file in the checked directory and
//! are renamed into place, never over an existing file unless asked.

pub mod code_block;
mod open;
mod write;

use std::path::{Component, Path, PathBuf};

pub use open::OpenedFile;
pub use write::WriteTarget;

use crate::config::FilesConfig;
use crate::tools::{ToolError, ToolErrorKind};

/// The largest file an upload sends or a download saves (Google Chat's limit for one
/// attachment; Slack's 1 GB is larger, and files that size do not belong in a chat anyway).
pub const MAX_UPLOAD_BYTES: u64 = 200 * 1024 * 1024;
/// How much of a file `share_file_content` reads; a message holds 32,000 bytes anyway.
pub const MAX_SHARE_BYTES: u64 = 1024 * 1024;
/// The largest text a download returns inline instead of saving to a file.
pub const MAX_INLINE_BYTES: u64 = 256 * 1024;

/// The confinement `files` (the `[files]` section of `config_file`) describes for this user,
/// with the home directory as the default root and what `~` means; call it on every tool call.
pub fn confinement(files: &FilesConfig, config_file: &Path) -> Result<Confinement, ToolError> {
    let home = directories::BaseDirs::new().map(|b| b.home_dir().to_owned());
    Confinement::new(files, home.as_deref(), config_file)
}

/// Runs blocking file work (opening, reading, saving) off the async runtime.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ToolError> + Send + 'static,
) -> Result<T, ToolError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        ToolError::internal(format!("file work stopped unexpectedly ({e}); try again"))
    })?
}

/// Text an assistant can read: UTF-8 without NUL bytes.
pub fn as_text(bytes: Vec<u8>) -> Option<String> {
    if bytes.contains(&0) {
        return None;
    }
    String::from_utf8(bytes).ok()
}

/// Whether a file of `content_type` is binary whatever its bytes say (images, archives,
/// office documents), so a download is not even tried as text.
pub fn is_binary_type(content_type: &str) -> bool {
    let t = content_type.to_ascii_lowercase();
    ["image/", "audio/", "video/", "font/"]
        .iter()
        .any(|p| t.starts_with(p))
        || matches!(
            t.as_str(),
            "application/pdf" | "application/zip" | "application/gzip" | "application/x-tar"
        )
        || t.starts_with("application/vnd.")
}

/// The last component of `path`, for naming an uploaded file.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into())
}

/// The allowed directories, resolved for one tool call (they are re-read each call so a
/// config change or a directory created later takes effect at once).
#[derive(Debug, Clone)]
pub struct Confinement {
    /// Canonical roots; a path is allowed when its canonical form starts with one of them.
    roots: Vec<PathBuf>,
    /// Hidden names below a root are refused (unless `allow_hidden`).
    exclude_hidden: bool,
    home: Option<PathBuf>,
    config_file: PathBuf,
}

impl Confinement {
    /// The confinement `config` describes; `home` is the user's home directory (the default
    /// root and what `~` means in arguments), `config_file` is named in errors.
    pub fn new(
        config: &FilesConfig,
        home: Option<&Path>,
        config_file: &Path,
    ) -> Result<Self, ToolError> {
        let exclude_hidden = !config.allow_hidden;
        let dirs = match &config.allowed_dirs {
            Some(dirs) => dirs.clone(),
            None => match home {
                Some(home) => vec![home.to_owned()],
                None => {
                    return Err(permission(format!(
                        "the home directory is unknown, so no directory is allowed for files; set `[files] allowed_dirs` in {}",
                        config_file.display()
                    )));
                }
            },
        };
        if dirs.is_empty() {
            return Err(permission(format!(
                "file access is turned off: `[files] allowed_dirs` in {} is empty; add a directory to it to use files",
                config_file.display()
            )));
        }
        // A configured directory that does not exist (yet) allows nothing; the others still work.
        let roots: Vec<PathBuf> = dirs
            .iter()
            .filter_map(|d| std::fs::canonicalize(d).ok())
            .filter(|d| d.is_dir())
            .collect();
        if roots.is_empty() {
            return Err(permission(format!(
                "none of the allowed directories exists ({}); create one or change `[files] allowed_dirs` in {}",
                list(&dirs),
                config_file.display()
            )));
        }
        Ok(Self {
            roots,
            exclude_hidden,
            home: home.map(Path::to_owned),
            config_file: config_file.to_owned(),
        })
    }

    /// The allowed directories as errors and results name them.
    pub fn describe(&self) -> String {
        let dirs = list(&self.roots);
        if self.exclude_hidden {
            format!("{dirs}, hidden directories and files excluded")
        } else {
            dirs
        }
    }

    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// `input` as an absolute, lexically normalised path (`~` expanded, `.` and `..`
    /// applied), checked to lie inside before anything on disk is looked at.
    fn absolute(&self, param: &str, input: &str) -> Result<PathBuf, ToolError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(ToolError::invalid_argument(format!(
                "invalid argument `{param}`: the path is empty; give an absolute path inside {}",
                self.describe()
            )));
        }
        if trimmed.contains('\0') {
            return Err(ToolError::invalid_argument(format!(
                "invalid argument `{param}`: the path contains a NUL byte"
            )));
        }
        let expanded = match (trimmed.strip_prefix('~'), &self.home) {
            (Some(""), Some(home)) => home.clone(),
            (Some(rest), Some(home)) if rest.starts_with('/') => home.join(&rest[1..]),
            _ => PathBuf::from(trimmed),
        };
        if !expanded.is_absolute() {
            return Err(ToolError::invalid_argument(format!(
                "invalid argument `{param}`: `{trimmed}` is not an absolute path; give the full path (or `~/…`) inside {}",
                self.describe()
            )));
        }
        let normal = normalize(&expanded);
        self.check_inside(param, trimmed, &normal)?;
        Ok(normal)
    }

    /// Refuses `path` (lexical or canonical) unless it lies inside a root and, unless
    /// `allow_hidden`, no name below that root is hidden. A root that is itself hidden was
    /// listed on purpose, so only names below it count.
    fn check_inside(&self, param: &str, input: &str, path: &Path) -> Result<(), ToolError> {
        // The most specific root decides: a hidden directory listed inside an allowed home
        // is allowed as listed.
        let Some(root) = self
            .roots
            .iter()
            .filter(|r| path.starts_with(r))
            .max_by_key(|r| r.components().count())
        else {
            return Err(self.outside(param, input, path));
        };
        if self.exclude_hidden {
            let rel = path.strip_prefix(root).unwrap_or(path);
            if rel
                .components()
                .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
            {
                return Err(permission(format!(
                    "`{param}`: `{input}` is in a hidden directory or is a hidden file, which chatkey does not touch (they hold keys and credentials); allowed: {}; to allow hidden files, set `allow_hidden = true` in `[files]` in {}",
                    self.describe(),
                    self.config_file.display()
                )));
            }
        }
        Ok(())
    }

    fn outside(&self, param: &str, input: &str, resolved: &Path) -> ToolError {
        let shown = if Path::new(input) == resolved {
            String::new()
        } else {
            format!(" (it resolves to `{}`)", resolved.display())
        };
        permission(format!(
            "`{param}`: `{input}`{shown} is outside the directories chatkey may use for files ({}); use a path inside them, or add its directory to `[files] allowed_dirs` in {}",
            self.describe(),
            self.config_file.display()
        ))
    }
}

/// `.` dropped and `..` applied without touching the disk (`/a/b/../c` → `/a/c`); `..` at the
/// root stays at the root, as the kernel does.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn list(dirs: &[PathBuf]) -> String {
    dirs.iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn permission(message: String) -> ToolError {
    ToolError::new(ToolErrorKind::PermissionDenied, message)
}

/// `1.5 MB`-style sizes for messages.
pub fn human_size(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * KB;
    if bytes >= MB {
        format!("{:.1} MB", bytes as f64 / MB as f64)
    } else if bytes >= KB {
        format!("{:.1} KB", bytes as f64 / KB as f64)
    } else {
        format!("{bytes} bytes")
    }
}

/// (device, inode): what "the same file" means when a path may have been swapped.
#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn identity(_meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

fn io_error(param: &str, input: &str, e: &std::io::Error) -> ToolError {
    match e.kind() {
        std::io::ErrorKind::NotFound => ToolError::not_found(format!(
            "`{param}`: `{input}` does not exist; check the path"
        )),
        std::io::ErrorKind::PermissionDenied => permission(format!(
            "`{param}`: `{input}` cannot be accessed ({e}); check its permissions"
        )),
        _ => ToolError::new(
            ToolErrorKind::Unavailable,
            format!("`{param}`: `{input}` cannot be used ({e}); check the path and try again"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_dot_dot_lexically() {
        assert_eq!(normalize(Path::new("/a/b/../c/./d")), Path::new("/a/c/d"));
        assert_eq!(normalize(Path::new("/../../etc")), Path::new("/etc"));
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(200 * 1024 * 1024), "200.0 MB");
        assert_eq!(human_size(256 * 1024), "256.0 KB");
        assert_eq!(human_size(12), "12 bytes");
    }
}
