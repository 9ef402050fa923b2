//! Directories only the current user may enter: the runtime dir holding the socket and lock,
//! and the state dir holding logs.
//!
//! A socket's own mode is not enough on every platform, so the directory around it is the
//! real fence: 0700, owned by us, and not a symlink someone planted.

use std::io;
use std::path::{Path, PathBuf};

/// The io errors are part of the messages, not `source`s, so `{:#}` prints each cause once.
#[derive(Debug, thiserror::Error)]
pub enum PrivateDirError {
    #[error("failed to create directory {path}: {cause}")]
    Create { path: PathBuf, cause: io::Error },
    #[error(
        "{path} belongs to another user (uid {owner}); remove it or point CHATKEY_RUNTIME_DIR elsewhere"
    )]
    ForeignOwner { path: PathBuf, owner: u32 },
    #[error("{path} is a symbolic link; remove it so chatkey can create a private directory")]
    Symlink { path: PathBuf },
    #[error("failed to make {path} private (mode 0700): {cause}")]
    Chmod { path: PathBuf, cause: io::Error },
    #[error("cannot list {path}: {cause}")]
    List { path: PathBuf, cause: io::Error },
    #[error(
        "{path} belongs to another user (uid {owner}), so its directory was once open to others; remove it (or point CHATKEY_RUNTIME_DIR elsewhere) and start chatkey again"
    )]
    ForeignEntry { path: PathBuf, owner: u32 },
    #[error(
        "{path} is a symbolic link where chatkey keeps a file of its own; remove it and start chatkey again"
    )]
    SymlinkEntry { path: PathBuf },
}

/// Creates `path` (and parents) if needed and makes sure only the current user can use it.
pub fn ensure_private_dir(path: &Path) -> Result<(), PrivateDirError> {
    create(path).map_err(|cause| PrivateDirError::Create {
        path: path.to_owned(),
        cause,
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let meta = std::fs::symlink_metadata(path).map_err(|cause| PrivateDirError::Create {
            path: path.to_owned(),
            cause,
        })?;
        if meta.file_type().is_symlink() {
            return Err(PrivateDirError::Symlink {
                path: path.to_owned(),
            });
        }
        let me = rustix::process::getuid().as_raw();
        if meta.uid() != me {
            return Err(PrivateDirError::ForeignOwner {
                path: path.to_owned(),
                owner: meta.uid(),
            });
        }
        if meta.mode() & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).map_err(
                |cause| PrivateDirError::Chmod {
                    path: path.to_owned(),
                    cause,
                },
            )?;
        }
    }
    Ok(())
}

/// Checks what is already inside the private directory `dir`: every entry must belong to the
/// current user (a mode of 0700 says nothing about what others put there while it was
/// looser), and none of the names chatkey will use (`used`) may be a symlink.
pub fn check_private_entries(dir: &Path, used: &[&Path]) -> Result<(), PrivateDirError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let list_error = |cause| PrivateDirError::List {
            path: dir.to_owned(),
            cause,
        };
        let me = rustix::process::getuid().as_raw();
        for entry in std::fs::read_dir(dir).map_err(list_error)? {
            let entry = entry.map_err(list_error)?;
            // Gone since the listing: nothing left to check.
            let Ok(meta) = entry.metadata() else { continue };
            if meta.uid() != me {
                return Err(PrivateDirError::ForeignEntry {
                    path: entry.path(),
                    owner: meta.uid(),
                });
            }
        }
        for path in used {
            if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(PrivateDirError::SymlinkEntry {
                    path: path.to_path_buf(),
                });
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (dir, used);
    Ok(())
}

fn create(path: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn creates_0700_and_tightens_loose_modes() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        ensure_private_dir(&dir).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);

        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        ensure_private_dir(&dir).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[test]
    fn entries_of_another_user_and_symlinks_at_used_names_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("run");
        ensure_private_dir(&dir).unwrap();
        let lock = dir.join("chatkey.lock");
        let sock = dir.join("chatkey.sock");
        std::fs::write(dir.join("unrelated"), b"").unwrap();
        check_private_entries(&dir, &[&lock, &sock]).unwrap();

        std::os::unix::fs::symlink("/etc/passwd", &lock).unwrap();
        assert!(matches!(
            check_private_entries(&dir, &[&lock, &sock]),
            Err(PrivateDirError::SymlinkEntry { path }) if path == lock
        ));
        std::fs::remove_file(&lock).unwrap();

        // Another user's entry needs root to make; the check itself is the same uid test.
        if rustix::process::getuid().is_root() {
            let planted = dir.join("planted");
            std::fs::write(&planted, b"").unwrap();
            std::os::unix::fs::lchown(&planted, Some(65534), Some(65534)).unwrap();
            let error = check_private_entries(&dir, &[&lock, &sock]).unwrap_err();
            assert!(
                matches!(&error, PrivateDirError::ForeignEntry { owner: 65534, .. }),
                "{error}"
            );
        }
    }

    #[test]
    fn refuses_a_symlink() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("real");
        std::fs::create_dir(&target).unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(matches!(
            ensure_private_dir(&link),
            Err(PrivateDirError::Symlink { .. })
        ));
    }
}
