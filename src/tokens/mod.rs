//! What chatkey persists about sign-ins, and the only module that touches the OS keyring.
//!
//! The refresh token is the one secret that is stored, in the keyring (`KeyringStore`),
//! under service = the profile's keyring service and user = the `AccountId` string. The
//! non-secret facts about each account (email, user id, scopes, sign-in time) live in
//! `accounts.json` (`Accounts`).
//!
//! `SecretStore` is blocking (keyring back ends are); async callers use `spawn_blocking`.

mod accounts;
mod keyring;

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use secrecy::{ExposeSecret, SecretString};

use crate::providers::ProviderId;

pub use accounts::{AccountRecord, Accounts, AccountsError, SecretKind};
pub use keyring::KeyringStore;

/// Windows Credential Manager refuses secrets above 2,560 bytes; the same limit everywhere
/// keeps behaviour identical across platforms (refresh tokens are a few hundred bytes).
pub const MAX_SECRET_LEN: usize = 2560;

/// One signed-in account. Its `Display` form (`google-chat:alex@example.com`) is the
/// keyring entry's user name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId {
    pub provider: ProviderId,
    pub email: String,
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.provider, self.email)
    }
}

impl std::str::FromStr for AccountId {
    type Err = crate::providers::UnknownProvider;
    /// Parses `google-chat:alex@example.com`; an empty email is refused.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(':') {
            Some((provider, email)) if !email.is_empty() => Ok(Self {
                provider: provider.parse()?,
                email: email.to_owned(),
            }),
            _ => Err(crate::providers::UnknownProvider(s.to_owned())),
        }
    }
}

/// Where refresh tokens are kept. Calls block; run them with `spawn_blocking`.
pub trait SecretStore: Send + Sync + 'static {
    fn load(&self, account: &AccountId) -> Result<Option<SecretString>, StoreError>;
    /// Creates or replaces the account's refresh token.
    fn save(&self, account: &AccountId, refresh_token: &SecretString) -> Result<(), StoreError>;
    /// Returns `false` when there was nothing to delete.
    fn delete(&self, account: &AccountId) -> Result<bool, StoreError>;
}

#[cfg(target_os = "macos")]
const UNAVAILABLE_FIX: &str =
    "make sure your login keychain exists (Keychain Access), then run chatkey again";
#[cfg(windows)]
const UNAVAILABLE_FIX: &str =
    "make sure the Credential Manager service is running, then run chatkey again";
#[cfg(not(any(target_os = "macos", windows)))]
const UNAVAILABLE_FIX: &str = "install and start gnome-keyring or KeePassXC's Secret Service (with a default keyring), then run chatkey again";

#[cfg(target_os = "macos")]
const LOCKED_FIX: &str = "unlock your login keychain (Keychain Access) and retry";
#[cfg(not(target_os = "macos"))]
const LOCKED_FIX: &str = "unlock it (log in to the desktop, or run `gnome-keyring-daemon --unlock` in a headless session) and retry";

/// Why the keyring could not be used. No variant ever holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// No keyring service to talk to (on Linux: no Secret Service on the session bus, no
    /// session bus at all, or no default keyring).
    #[error("no keyring (Secret Service) is available ({detail}): {UNAVAILABLE_FIX}")]
    Unavailable { detail: String },
    #[error("the keyring is locked: {LOCKED_FIX}")]
    Locked,
    #[error(
        "access to the keyring was denied ({detail}): allow chatkey when the keyring asks, then retry"
    )]
    Denied { detail: String },
    #[error(
        "the token is {len} bytes, more than the {MAX_SECRET_LEN} bytes a keyring entry may hold; report this as a chatkey bug"
    )]
    TooLarge { len: usize },
    #[error(
        "the keyring failed ({detail}); retry, and if it keeps failing restart the keyring service"
    )]
    Backend { detail: String },
}

fn check_size(secret: &SecretString) -> Result<(), StoreError> {
    let len = secret.expose_secret().len();
    if len > MAX_SECRET_LEN {
        return Err(StoreError::TooLarge { len });
    }
    Ok(())
}

/// An in-memory store for tests and the demo. It enforces the same size limit as the
/// keyring so tests see the same failures.
#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<String, SecretString>>,
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.lock().len();
        f.debug_struct("MemoryStore")
            .field("entries", &count)
            .finish()
    }
}

impl MemoryStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, SecretString>> {
        // A panic while holding the lock cannot leave the map half-updated.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl SecretStore for MemoryStore {
    fn load(&self, account: &AccountId) -> Result<Option<SecretString>, StoreError> {
        Ok(self.lock().get(&account.to_string()).cloned())
    }
    fn save(&self, account: &AccountId, refresh_token: &SecretString) -> Result<(), StoreError> {
        check_size(refresh_token)?;
        self.lock()
            .insert(account.to_string(), refresh_token.clone());
        Ok(())
    }
    fn delete(&self, account: &AccountId) -> Result<bool, StoreError> {
        Ok(self.lock().remove(&account.to_string()).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alex() -> AccountId {
        AccountId {
            provider: ProviderId::GoogleChat,
            email: "alex@example.com".into(),
        }
    }

    #[test]
    fn account_id_display_and_parse() {
        assert_eq!(alex().to_string(), "google-chat:alex@example.com");
        assert_eq!(
            "google-chat:alex@example.com".parse::<AccountId>().unwrap(),
            alex()
        );
        assert!("google-chat:".parse::<AccountId>().is_err());
        assert!("nope:alex@example.com".parse::<AccountId>().is_err());
    }

    #[test]
    fn memory_store_round_trip() {
        let store = MemoryStore::default();
        assert!(store.load(&alex()).unwrap().is_none());
        store
            .save(&alex(), &SecretString::from("1//SENTINEL-refresh"))
            .unwrap();
        assert_eq!(
            store.load(&alex()).unwrap().unwrap().expose_secret(),
            "1//SENTINEL-refresh"
        );
        assert!(!format!("{store:?}").contains("SENTINEL"));
        store
            .save(&alex(), &SecretString::from("1//second"))
            .unwrap();
        assert_eq!(
            store.load(&alex()).unwrap().unwrap().expose_secret(),
            "1//second"
        );
        assert!(store.delete(&alex()).unwrap());
        assert!(!store.delete(&alex()).unwrap());
        assert!(store.load(&alex()).unwrap().is_none());
    }

    #[test]
    fn oversized_secrets_are_refused() {
        let store = MemoryStore::default();
        let big = SecretString::from("x".repeat(MAX_SECRET_LEN + 1));
        let err = store.save(&alex(), &big).unwrap_err();
        assert_eq!(
            err,
            StoreError::TooLarge {
                len: MAX_SECRET_LEN + 1
            }
        );
        let ok = SecretString::from("x".repeat(MAX_SECRET_LEN));
        store.save(&alex(), &ok).unwrap();
    }

    #[test]
    fn messages_name_the_fix() {
        let e = StoreError::Unavailable { detail: "x".into() };
        assert!(e.to_string().contains("then run chatkey again"), "{e}");
        assert!(StoreError::Locked.to_string().contains("unlock"));
        for e in [
            e,
            StoreError::Locked,
            StoreError::Denied { detail: "x".into() },
            StoreError::TooLarge { len: 3000 },
            StoreError::Backend { detail: "x".into() },
        ] {
            let s = e.to_string();
            assert!(s.starts_with(|c: char| c.is_lowercase()), "{s}");
            assert!(!s.ends_with('.'), "{s}");
        }
    }
}
