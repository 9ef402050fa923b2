//! `accounts.json`: the non-secret facts about signed-in accounts (who, which scopes, since
//! when). The refresh tokens themselves are in the keyring; this file only says which keyring
//! entries to look for, so it is safe to read but still written with mode 0600.
//!
//! Top-level keys this version does not know (a newer chatkey's `default_account`, say) are
//! kept on save, so running an older chatkey does not erase a newer one's settings.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::providers::ProviderId;

const VERSION: u32 = 1;

/// One signed-in account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRecord {
    pub provider: ProviderId,
    pub email: String,
    /// The provider's own id, e.g. Google's `users/123…`.
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    /// The scopes actually granted.
    #[serde(default)]
    pub scopes: Vec<String>,
    pub signed_in_at: DateTime<Utc>,
    /// Other names the `account` parameter accepts (a Slack workspace's domain).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// What the keyring entry holds.
    #[serde(default, skip_serializing_if = "SecretKind::is_refresh_token")]
    pub secret_kind: SecretKind,
}

/// What an account's keyring entry holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretKind {
    /// A refresh token, exchanged for short-lived access tokens (the normal sign-in).
    #[default]
    RefreshToken,
    /// A long-lived access token moved in with `chatkey import` (a Slack `xoxp-` token):
    /// used as it is, never refreshed; it lasts until it is revoked.
    LongLived,
}

impl SecretKind {
    fn is_refresh_token(&self) -> bool {
        *self == SecretKind::RefreshToken
    }
}

impl AccountRecord {
    fn is(&self, provider: ProviderId, email: &str) -> bool {
        // Providers treat addresses case-insensitively; so does `chatkey logout --email`.
        self.provider == provider && self.email.eq_ignore_ascii_case(email)
    }
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Accounts {
    #[serde(default = "version")]
    version: u32,
    #[serde(default)]
    accounts: Vec<AccountRecord>,
    #[serde(flatten)]
    other: serde_json::Map<String, serde_json::Value>,
}

fn version() -> u32 {
    VERSION
}

impl Default for Accounts {
    fn default() -> Self {
        Self {
            version: VERSION,
            accounts: Vec::new(),
            other: serde_json::Map::new(),
        }
    }
}

/// The io errors are part of the messages, not `source`s, so `{:#}` prints each cause once.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    #[error("failed to read {path}: {cause}")]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error(
        "{path} is not a valid chatkey accounts file ({detail}); move it aside and sign in again with `chatkey login google-chat` (tokens in the keyring are not affected)"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error("failed to write {path}: {cause}; check that the directory is writable")]
    Write {
        path: PathBuf,
        cause: std::io::Error,
    },
}

impl Accounts {
    /// Reads `path`; a missing file means no accounts.
    pub fn load(path: &Path) -> Result<Self, AccountsError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(cause) => {
                return Err(AccountsError::Read {
                    path: path.to_owned(),
                    cause,
                });
            }
        };
        let mut accounts: Self =
            serde_json::from_slice(&bytes).map_err(|e| AccountsError::Corrupt {
                path: path.to_owned(),
                detail: e.to_string(),
            })?;
        accounts.version = accounts.version.max(VERSION);
        Ok(accounts)
    }

    /// Writes atomically with mode 0600, creating the config directory if needed.
    pub fn save(&self, path: &Path) -> Result<(), AccountsError> {
        let write_err = |cause| AccountsError::Write {
            path: path.to_owned(),
            cause,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(write_err)?;
        }
        let mut text =
            serde_json::to_string_pretty(self).expect("account records always serialize to JSON");
        text.push('\n');
        crate::atomic_write::write_atomic(path, text.as_bytes(), 0o600).map_err(write_err)
    }

    /// Adds the account, or replaces the record with the same provider and email.
    pub fn upsert(&mut self, record: AccountRecord) {
        match self
            .accounts
            .iter_mut()
            .find(|a| a.is(record.provider, &record.email))
        {
            Some(existing) => *existing = record,
            None => self.accounts.push(record),
        }
    }

    /// Removes and returns the record, if there was one.
    pub fn remove(&mut self, provider: ProviderId, email: &str) -> Option<AccountRecord> {
        let index = self.accounts.iter().position(|a| a.is(provider, email))?;
        Some(self.accounts.remove(index))
    }

    pub fn get(&self, provider: ProviderId, email: &str) -> Option<&AccountRecord> {
        self.accounts.iter().find(|a| a.is(provider, email))
    }

    pub fn for_provider(&self, provider: ProviderId) -> impl Iterator<Item = &AccountRecord> {
        self.accounts.iter().filter(move |a| a.provider == provider)
    }

    pub fn iter(&self) -> impl Iterator<Item = &AccountRecord> {
        self.accounts.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    pub fn len(&self) -> usize {
        self.accounts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(email: &str) -> AccountRecord {
        AccountRecord {
            provider: ProviderId::GoogleChat,
            email: email.into(),
            user_id: Some("users/123".into()),
            display_name: Some("Alex".into()),
            scopes: vec!["https://www.googleapis.com/auth/chat.messages".into()],
            signed_in_at: "2025-05-01T12:00:00Z".parse().unwrap(),
            aliases: Vec::new(),
            secret_kind: Default::default(),
        }
    }

    #[test]
    fn missing_file_is_empty_and_round_trip_keeps_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/accounts.json");
        let mut accounts = Accounts::load(&path).unwrap();
        assert!(accounts.is_empty());
        accounts.upsert(record("alex@example.com"));
        accounts.upsert(record("sam@example.com"));
        let mut changed = record("ALEX@example.com");
        changed.display_name = Some("Alex B".into());
        accounts.upsert(changed);
        assert_eq!(accounts.len(), 2);
        accounts.save(&path).unwrap();

        let back = Accounts::load(&path).unwrap();
        assert_eq!(back, accounts);
        assert_eq!(
            back.get(ProviderId::GoogleChat, "alex@example.com")
                .unwrap()
                .display_name
                .as_deref(),
            Some("Alex B")
        );
        assert_eq!(back.for_provider(ProviderId::GoogleChat).count(), 2);
        assert_eq!(back.for_provider(ProviderId::Slack).count(), 0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }

        let mut back = back;
        assert!(
            back.remove(ProviderId::GoogleChat, "sam@example.com")
                .is_some()
        );
        assert!(
            back.remove(ProviderId::GoogleChat, "sam@example.com")
                .is_none()
        );
        assert_eq!(back.len(), 1);
    }

    #[test]
    fn corrupt_file_names_the_file_and_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.json");
        std::fs::write(&path, "{\"accounts\": [ {\"provider\": \"google-chat\"").unwrap();
        let err = Accounts::load(&path).unwrap_err();
        assert!(matches!(err, AccountsError::Corrupt { .. }));
        let text = err.to_string();
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("chatkey login"), "{text}");

        std::fs::write(
            &path,
            r#"{"accounts":[{"provider":"myspace","email":"a"}]}"#,
        )
        .unwrap();
        assert!(matches!(
            Accounts::load(&path),
            Err(AccountsError::Corrupt { .. })
        ));
    }

    #[test]
    fn unknown_keys_survive_a_save() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.json");
        std::fs::write(
            &path,
            r#"{"version":1,"accounts":[],"default_account":{"google-chat":"a@b"}}"#,
        )
        .unwrap();
        let mut accounts = Accounts::load(&path).unwrap();
        accounts.upsert(record("a@b"));
        accounts.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("default_account"), "{text}");
        assert_eq!(Accounts::load(&path).unwrap().len(), 1);
    }
}
