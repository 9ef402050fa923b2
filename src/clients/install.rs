//! Adding chatkey's entry to an assistant's MCP config file, safely.
//!
//! The rules: other entries and the order of keys stay as they were (serde_json keeps
//! insertion order, and the file's indentation is reused; VS Code's JSONC file is edited in
//! place by `jsonc`, so its comments and trailing commas stay too); the original is copied to
//! `<file>.chatkey-backup-<timestamp>` before the first change; a file that already holds the
//! same entry is left alone (no write, no backup); a file that is not JSON is never
//! overwritten (the error names the file, line and column); a missing file and its parent
//! directories are created; the write is atomic and keeps the file's permissions; a symlink
//! is followed so the file it points at is updated, not replaced.

use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};

use super::jsonc::{self, Merge, MergeError};
use super::{Client, ENTRY_NAME};

/// What `install` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The file did not exist; it now holds only chatkey's entry.
    Created { path: PathBuf },
    /// chatkey's entry was added (or replaced an outdated one); the original is in `backup`.
    Added {
        path: PathBuf,
        backup: PathBuf,
        replaced: bool,
    },
    /// The file already had exactly this entry; nothing was written.
    AlreadyConfigured { path: PathBuf },
}

/// The io errors are part of the messages, not `source`s, so `{:#}` prints each cause once.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("cannot find your home directory to locate the assistant's config: pass --config PATH")]
    NoHome,
    #[error("failed to read {}: {cause}", path.display())]
    Read { path: PathBuf, cause: io::Error },
    #[error(
        "{} is not valid {format} (line {line}, column {column}: {message}); chatkey left it untouched. \
         Fix the file{hint}, or run with --print and add the entry by hand",
        path.display()
    )]
    Unparseable {
        path: PathBuf,
        /// `JSON`, or `JSONC` for a client that reads comments and trailing commas.
        format: &'static str,
        /// What the format does not allow, for strict JSON.
        hint: &'static str,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{} does not hold a JSON object at the top level; chatkey left it untouched", path.display())]
    NotAnObject { path: PathBuf },
    #[error("`{key}` in {} is not a JSON object; chatkey left the file untouched", path.display())]
    ServersNotAnObject { path: PathBuf, key: &'static str },
    #[error("failed to create {}: {cause}", path.display())]
    CreateDir { path: PathBuf, cause: io::Error },
    #[error("failed to back up {} to {}: {cause}", path.display(), backup.display())]
    Backup {
        path: PathBuf,
        backup: PathBuf,
        cause: io::Error,
    },
    #[error("failed to write {}: {cause}", path.display())]
    Write { path: PathBuf, cause: io::Error },
}

/// Adds chatkey's entry (launching `shim`) to `client`'s config at its usual place, or at
/// `path_override` when given.
pub fn install(
    client: Client,
    shim: &Path,
    path_override: Option<&Path>,
) -> Result<Outcome, InstallError> {
    let path = match path_override {
        Some(p) => p.to_owned(),
        None => client.config_path()?,
    };
    install_at(client, shim, &path)
}

/// Adds chatkey's entry (launching `shim`) to the config file at `path`.
pub fn install_at(client: Client, shim: &Path, path: &Path) -> Result<Outcome, InstallError> {
    let entry = client.entry(shim);
    let key = client.servers_key();
    let original = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return create(client, shim, path);
        }
        Err(cause) => {
            return Err(InstallError::Read {
                path: path.to_owned(),
                cause,
            });
        }
    };
    // Write through a symlink (dotfile managers) instead of replacing it.
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let text = String::from_utf8_lossy(&original);
    if client.reads_jsonc() {
        return install_jsonc(&entry, key, path, &target, &original, &text);
    }
    let mut root: Value = if text.trim().is_empty() {
        Value::Object(Map::new())
    } else {
        serde_json::from_str(&text).map_err(|e| InstallError::Unparseable {
            path: path.to_owned(),
            format: "JSON",
            hint: " (comments and trailing commas are not allowed in it)",
            line: e.line(),
            column: e.column(),
            message: strip_position(&e.to_string()),
        })?
    };
    let Value::Object(doc) = &mut root else {
        return Err(InstallError::NotAnObject {
            path: path.to_owned(),
        });
    };
    let servers = doc.entry(key).or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(servers) = servers else {
        return Err(InstallError::ServersNotAnObject {
            path: path.to_owned(),
            key,
        });
    };
    if servers.get(ENTRY_NAME) == Some(&entry) {
        return Ok(Outcome::AlreadyConfigured {
            path: path.to_owned(),
        });
    }
    let replaced = servers.insert(ENTRY_NAME.to_owned(), entry).is_some();

    let backup = back_up(&target, &original)?;
    let bytes = render(&root, detect_indent(&text));
    write(&target, &bytes, file_mode(&target))?;
    Ok(Outcome::Added {
        path: path.to_owned(),
        backup,
        replaced,
    })
}

/// The same merge for a JSONC file, edited in place.
fn install_jsonc(
    entry: &Value,
    key: &'static str,
    path: &Path,
    target: &Path,
    original: &[u8],
    text: &str,
) -> Result<Outcome, InstallError> {
    let merged = jsonc::merge(text, key, ENTRY_NAME, entry).map_err(|e| match e {
        MergeError::Syntax {
            line,
            column,
            message,
        } => InstallError::Unparseable {
            path: path.to_owned(),
            format: "JSONC",
            hint: "",
            line,
            column,
            message,
        },
        MergeError::NotAnObject => InstallError::NotAnObject {
            path: path.to_owned(),
        },
        MergeError::ServersNotAnObject => InstallError::ServersNotAnObject {
            path: path.to_owned(),
            key,
        },
    })?;
    let (new_text, replaced) = match merged {
        Merge::Unchanged => {
            return Ok(Outcome::AlreadyConfigured {
                path: path.to_owned(),
            });
        }
        Merge::Changed { text, replaced } => (text, replaced),
    };
    let backup = back_up(target, original)?;
    write(target, new_text.as_bytes(), file_mode(target))?;
    Ok(Outcome::Added {
        path: path.to_owned(),
        backup,
        replaced,
    })
}

fn create(client: Client, shim: &Path, path: &Path) -> Result<Outcome, InstallError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|cause| InstallError::CreateDir {
            path: dir.to_owned(),
            cause,
        })?;
    }
    // Assistants' files often hold other servers' API keys: a new one is private.
    write(path, client.snippet_with(shim).as_bytes(), 0o600)?;
    Ok(Outcome::Created {
        path: path.to_owned(),
    })
}

fn write(path: &Path, bytes: &[u8], mode: u32) -> Result<(), InstallError> {
    crate::atomic_write::write_atomic(path, bytes, mode).map_err(|cause| InstallError::Write {
        path: path.to_owned(),
        cause,
    })
}

/// The permission bits of the existing file (0600 when they cannot be read).
fn file_mode(path: &Path) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o600)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        0o600
    }
}

/// Copies the original bytes next to the file, with its permissions, under a fresh name.
fn back_up(path: &Path, original: &[u8]) -> Result<PathBuf, InstallError> {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mode = file_mode(path);
    let mut last_error = None;
    for n in 0..100 {
        let suffix = if n == 0 {
            String::new()
        } else {
            format!("-{n}")
        };
        let backup = path.with_file_name(format!("{name}.chatkey-backup-{stamp}{suffix}"));
        match create_new(&backup, original, mode) {
            Ok(()) => return Ok(backup),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_error = Some(e),
            Err(cause) => {
                return Err(InstallError::Backup {
                    path: path.to_owned(),
                    backup,
                    cause,
                });
            }
        }
    }
    Err(InstallError::Backup {
        path: path.to_owned(),
        backup: path.with_file_name(format!("{name}.chatkey-backup-{stamp}")),
        cause: last_error.unwrap_or_else(|| io::Error::other("no free backup name")),
    })
}

fn create_new(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// The indentation unit of the first indented line (a tab, or N spaces); two spaces if none.
fn detect_indent(text: &str) -> Vec<u8> {
    for line in text.lines().skip(1) {
        let indent: String = line
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect();
        if line.trim().is_empty() || indent.is_empty() {
            continue;
        }
        if indent.starts_with('\t') {
            return b"\t".to_vec();
        }
        return indent.into_bytes();
    }
    b"  ".to_vec()
}

fn render(value: &Value, indent: Vec<u8>) -> Vec<u8> {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(&indent);
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    value
        .serialize(&mut serializer)
        .expect("a JSON value always serializes");
    out.push(b'\n');
    out
}

/// serde_json appends " at line L column C"; the error reports those separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indentation_is_detected() {
        assert_eq!(detect_indent("{\n\t\"a\": 1\n}"), b"\t");
        assert_eq!(detect_indent("{\n    \"a\": 1\n}"), b"    ");
        assert_eq!(detect_indent("{\"a\": 1}"), b"  ");
    }

    #[test]
    fn key_order_survives_a_merge() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        std::fs::write(
            &path,
            "{\"zeta\": 1, \"mcpServers\": {\"b\": {}, \"a\": {}}, \"alpha\": 2}",
        )
        .unwrap();
        install_at(Client::Cursor, Path::new("/x/chatkey-mcp"), &path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let order: Vec<usize> = [
            "\"zeta\"",
            "\"mcpServers\"",
            "\"b\"",
            "\"a\"",
            "\"chatkey\"",
            "\"alpha\"",
        ]
        .iter()
        .map(|k| text.find(k).unwrap())
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    }

    #[test]
    fn position_is_stripped_from_the_message() {
        assert_eq!(
            strip_position("expected `,` or `}` at line 3 column 5"),
            "expected `,` or `}`"
        );
    }
}
