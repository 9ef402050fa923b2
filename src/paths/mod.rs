//! Where chatkey keeps things: the one module that builds file paths, socket names and
//! endpoint URLs.
//!
//! Everything is namespaced by `CHATKEY_PROFILE`, so tests and second set-ups never touch the
//! person's real configuration, sockets or keyring entries. The directory variables
//! (`CHATKEY_CONFIG_DIR`, `CHATKEY_RUNTIME_DIR`, `CHATKEY_STATE_DIR`) override single places.

mod endpoints;
mod private_dir;

use std::path::{Path, PathBuf};

pub use endpoints::{builtin, join};
pub use private_dir::{PrivateDirError, check_private_entries, ensure_private_dir};

/// The profile used when `CHATKEY_PROFILE` is unset.
pub const DEFAULT_PROFILE: &str = "default";

/// Everything that decides where chatkey reads and writes, resolved once at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    profile: String,
    config_dir: PathBuf,
    runtime_dir: PathBuf,
    state_dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum PathsError {
    #[error(
        "CHATKEY_PROFILE `{0}` is not a valid profile name: use 1 to 64 letters, digits, `-` or `_`"
    )]
    BadProfile(String),
    #[error(
        "cannot find a home directory to keep chatkey's configuration in: set CHATKEY_CONFIG_DIR and CHATKEY_STATE_DIR"
    )]
    NoHome,
}

impl Paths {
    /// Resolves every location from the environment (see DESIGN.md's contract).
    pub fn from_env() -> Result<Self, PathsError> {
        Self::from_lookup(|name| std::env::var_os(name).filter(|v| !v.is_empty()))
    }

    /// Resolves from an arbitrary variable lookup, so tests need not mutate the process
    /// environment.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<std::ffi::OsString>,
    ) -> Result<Self, PathsError> {
        let profile = match lookup("CHATKEY_PROFILE") {
            Some(p) => p.to_string_lossy().into_owned(),
            None => DEFAULT_PROFILE.to_owned(),
        };
        if !is_valid_profile(&profile) {
            return Err(PathsError::BadProfile(profile));
        }
        // The default profile keeps the plain name so a person sees `~/.config/chatkey`.
        let leaf = if profile == DEFAULT_PROFILE {
            "chatkey".to_owned()
        } else {
            format!("chatkey-{profile}")
        };
        let project = directories::ProjectDirs::from("", "", &leaf);

        let config_dir = match lookup("CHATKEY_CONFIG_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => project
                .as_ref()
                .ok_or(PathsError::NoHome)?
                .config_dir()
                .to_owned(),
        };
        let state_dir = match lookup("CHATKEY_STATE_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => {
                let project = project.as_ref().ok_or(PathsError::NoHome)?;
                project
                    .state_dir()
                    .unwrap_or_else(|| project.data_local_dir())
                    .to_owned()
            }
        };
        let runtime_dir = match lookup("CHATKEY_RUNTIME_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => default_runtime_dir(lookup("XDG_RUNTIME_DIR"), &leaf),
        };
        Ok(Self {
            profile,
            config_dir,
            runtime_dir,
            state_dir,
        })
    }

    pub fn profile(&self) -> &str {
        &self.profile
    }
    pub fn config_dir(&self) -> &Path {
        &self.config_dir
    }
    pub fn runtime_dir(&self) -> &Path {
        &self.runtime_dir
    }
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }
    /// `config.toml`: client ids and endpoint overrides. Written by `setup` and `import`.
    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }
    /// Non-secret facts about signed-in accounts (email, user id, scopes, sign-in time).
    pub fn accounts_file(&self) -> PathBuf {
        self.config_dir.join("accounts.json")
    }
    /// The daemon's socket. Unix: a file in the private runtime dir. Windows: a pipe name.
    pub fn socket_path(&self) -> PathBuf {
        #[cfg(windows)]
        {
            PathBuf::from(format!(r"\\.\pipe\chatkey-{}", self.profile))
        }
        #[cfg(not(windows))]
        {
            self.runtime_dir.join("chatkey.sock")
        }
    }
    /// The single-instance lock; it also records the daemon's pid for `status` and tests.
    pub fn lock_file(&self) -> PathBuf {
        self.runtime_dir.join("chatkey.lock")
    }
    pub fn log_dir(&self) -> PathBuf {
        self.state_dir.join("logs")
    }
    /// The daemon's current log file; rotated copies beside it end in `.1`, `.2`, ….
    pub fn log_file(&self) -> PathBuf {
        self.log_dir().join("chatkey.log")
    }
    /// The personal XDG autostart entry the tray's "Start at login" writes
    /// (`$XDG_CONFIG_HOME/autostart/chatkey.desktop`); one per profile.
    pub fn autostart_file(&self) -> Option<PathBuf> {
        let dirs = directories::BaseDirs::new()?;
        Some(
            dirs.config_dir()
                .join("autostart")
                .join(self.desktop_file_name()),
        )
    }
    /// The system-wide autostart entry a package installs; a personal entry of the same name
    /// with `Hidden=true` turns it off (XDG Autostart spec).
    pub fn system_autostart_file(&self) -> PathBuf {
        PathBuf::from("/etc/xdg/autostart").join(self.desktop_file_name())
    }
    fn desktop_file_name(&self) -> String {
        if self.profile == DEFAULT_PROFILE {
            "chatkey.desktop".to_owned()
        } else {
            format!("chatkey-{}.desktop", self.profile)
        }
    }
    /// The keyring service name; one per profile so profiles never see each other's tokens.
    pub fn keyring_service(&self) -> String {
        if self.profile == DEFAULT_PROFILE {
            "chatkey".to_owned()
        } else {
            format!("chatkey-{}", self.profile)
        }
    }
}

fn is_valid_profile(profile: &str) -> bool {
    !profile.is_empty()
        && profile.len() <= 64
        && profile
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `$XDG_RUNTIME_DIR/<leaf>`, or a per-user directory under the temp dir when there is no
/// runtime dir (macOS, Windows, some servers). The per-user suffix keeps two users of one
/// machine apart; `ensure_private_dir` later refuses a directory someone else owns.
fn default_runtime_dir(xdg_runtime_dir: Option<std::ffi::OsString>, leaf: &str) -> PathBuf {
    if let Some(dir) = xdg_runtime_dir {
        return PathBuf::from(dir).join(leaf);
    }
    #[cfg(unix)]
    let user = rustix::process::getuid().as_raw().to_string();
    #[cfg(not(unix))]
    let user = std::env::var("USERNAME").unwrap_or_else(|_| "user".to_owned());
    std::env::temp_dir().join(format!("{leaf}-{user}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::ffi::OsString;

    fn paths(vars: &[(&str, &str)]) -> Result<Paths, PathsError> {
        let map: HashMap<String, OsString> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        Paths::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn explicit_directories_win() {
        let p = paths(&[
            ("CHATKEY_CONFIG_DIR", "/c"),
            ("CHATKEY_RUNTIME_DIR", "/r"),
            ("CHATKEY_STATE_DIR", "/s"),
        ])
        .unwrap();
        assert_eq!(p.config_file(), PathBuf::from("/c/config.toml"));
        assert_eq!(p.lock_file(), PathBuf::from("/r/chatkey.lock"));
        assert_eq!(p.log_dir(), PathBuf::from("/s/logs"));
        assert_eq!(p.keyring_service(), "chatkey");
    }

    #[test]
    fn profile_namespaces_runtime_dir_and_keyring() {
        let p = paths(&[
            ("CHATKEY_PROFILE", "work"),
            ("XDG_RUNTIME_DIR", "/run/user/7"),
        ])
        .unwrap();
        assert_eq!(p.runtime_dir(), Path::new("/run/user/7/chatkey-work"));
        assert_eq!(p.keyring_service(), "chatkey-work");
    }

    #[test]
    fn bad_profile_names_are_refused() {
        for bad in ["../x", "a b", "é", &"x".repeat(65)] {
            assert!(matches!(
                paths(&[("CHATKEY_PROFILE", bad)]),
                Err(PathsError::BadProfile(_))
            ));
        }
    }
}
