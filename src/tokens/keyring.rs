//! `KeyringStore`: refresh tokens in the operating system's keyring through keyring-core and
//! one native store per platform (Secret Service on Linux, Keychain on macOS, Credential
//! Manager on Windows). There is no fallback: without a usable keyring every call fails with
//! an error that says how to get one, and nothing is ever written to a plaintext file.
//!
//! The store handle is explicit (`Entry::new_in_store`), not keyring-core's process-wide
//! default, so nothing else in the process can swap it for a mock. Calls block on D-Bus (or
//! the platform API) and must run outside async tasks (`spawn_blocking`): when another crate
//! enables zbus's `tokio` feature, zbus's blocking API would otherwise refuse to run.
//!
//! A connection can go stale (the keyring daemon restarted); an operation that fails on a
//! connection made earlier is retried once on a fresh one.

use std::sync::{Arc, Mutex};

use keyring_core::{CredentialStore, Entry, Error as KeyringError};
use secrecy::{ExposeSecret, SecretString};

use super::{AccountId, SecretStore, StoreError, check_size};

pub struct KeyringStore {
    service: String,
    backend: Mutex<Option<Arc<CredentialStore>>>,
}

impl std::fmt::Debug for KeyringStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyringStore")
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

impl KeyringStore {
    /// Connects to the platform keyring; `service` is `Paths::keyring_service()`. Blocking.
    /// Fails with `Unavailable` when there is no keyring to talk to.
    pub fn new(service: String) -> Result<Self, StoreError> {
        let backend = platform::connect()?;
        Ok(Self {
            service,
            backend: Mutex::new(Some(backend)),
        })
    }

    /// A store that connects on first use (and again after a failure), so a daemon started
    /// while the keyring is down keeps running and recovers when the keyring comes back.
    pub fn lazy(service: String) -> Self {
        Self {
            service,
            backend: Mutex::new(None),
        }
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    fn backend(&self, fresh: bool) -> Result<Arc<CredentialStore>, StoreError> {
        let mut slot = self.backend.lock().unwrap_or_else(|p| p.into_inner());
        if fresh {
            *slot = None;
        }
        match &*slot {
            Some(store) => Ok(store.clone()),
            None => {
                let store = platform::connect()?;
                *slot = Some(store.clone());
                Ok(store)
            }
        }
    }

    /// Runs `op` on the account's entry; `Ok(None)` when the entry does not exist.
    fn with_entry<T>(
        &self,
        account: &AccountId,
        op: impl Fn(&Entry) -> keyring_core::Result<T>,
    ) -> Result<Option<T>, StoreError> {
        let user = account.to_string();
        let attempt = |fresh: bool| -> Result<Option<T>, StoreError> {
            let store = self.backend(fresh)?;
            let entry =
                platform::entry(&store, &self.service, &user).map_err(platform::classify)?;
            match op(&entry) {
                Ok(v) => Ok(Some(v)),
                Err(KeyringError::NoEntry) => Ok(None),
                Err(e) => Err(platform::classify(e)),
            }
        };
        match attempt(false) {
            Err(StoreError::Unavailable { .. } | StoreError::Backend { .. }) => attempt(true),
            other => other,
        }
    }
}

impl SecretStore for KeyringStore {
    fn load(&self, account: &AccountId) -> Result<Option<SecretString>, StoreError> {
        let Some(bytes) = self.with_entry(account, |e| e.get_secret())? else {
            return Ok(None);
        };
        match String::from_utf8(bytes) {
            Ok(text) => Ok(Some(SecretString::from(text))),
            Err(_) => Err(StoreError::Backend {
                detail: format!(
                    "the keyring entry for {account} is not text; run `chatkey logout {}` and sign in again",
                    account.provider
                ),
            }),
        }
    }

    fn save(&self, account: &AccountId, refresh_token: &SecretString) -> Result<(), StoreError> {
        check_size(refresh_token)?;
        let secret = refresh_token.expose_secret().as_bytes();
        self.with_entry(account, |e| e.set_secret(secret))?
            .ok_or_else(|| StoreError::Backend {
                detail: "the keyring reported no entry right after writing it".to_owned(),
            })
    }

    fn delete(&self, account: &AccountId) -> Result<bool, StoreError> {
        Ok(self
            .with_entry(account, |e| e.delete_credential())?
            .is_some())
    }
}

/// What every platform maps the same way. Secret-bearing variants (`BadEncoding`,
/// `BadDataFormat`) are never formatted: their payload is the stored secret.
fn classify_common(err: KeyringError) -> StoreError {
    match err {
        KeyringError::NoStorageAccess(e) => StoreError::Denied {
            detail: e.to_string(),
        },
        KeyringError::PlatformFailure(e) => StoreError::Backend {
            detail: e.to_string(),
        },
        KeyringError::BadEncoding(_) | KeyringError::BadDataFormat(..) => StoreError::Backend {
            detail: "a stored entry is not in the expected format".to_owned(),
        },
        KeyringError::Ambiguous(entries) => StoreError::Backend {
            detail: format!(
                "{} keyring entries match one account; delete the duplicates in your keyring manager (e.g. Seahorse)",
                entries.len()
            ),
        },
        KeyringError::NoDefaultStore => StoreError::Unavailable {
            detail: "no keyring store is configured".to_owned(),
        },
        other => StoreError::Backend {
            detail: other.to_string(),
        },
    }
}

#[cfg(target_os = "linux")]
mod platform {
    use std::collections::HashMap;
    use std::sync::Arc;

    use keyring_core::{CredentialStore, Entry, Error as KeyringError};
    use secret_service::Error as SsError;

    use super::{StoreError, classify_common};

    pub fn connect() -> Result<Arc<CredentialStore>, StoreError> {
        let store: Arc<CredentialStore> =
            zbus_secret_service_keyring_store::Store::new().map_err(classify)?;
        Ok(store)
    }

    /// The label is what Seahorse and `secret-tool` show for the item.
    pub fn entry(
        store: &Arc<CredentialStore>,
        service: &str,
        user: &str,
    ) -> keyring_core::Result<Entry> {
        let label = format!("chatkey refresh token ({service}, {user})");
        let modifiers = HashMap::from([("label", label.as_str())]);
        Entry::new_in_store_with_modifiers(store, service, user, &modifiers)
    }

    /// Maps Secret Service failures as measured against gnome-keyring 42:
    /// - no session bus: `PlatformFailure(Zbus(Connection(NotFound…)))`;
    /// - a bus without Secret Service: `PlatformFailure(Zbus(MethodError(ServiceUnknown)))`;
    /// - no default collection: `NoStorageAccess(NoResult)`;
    /// - a locked collection whose unlock prompt cannot be shown or is dismissed:
    ///   `NoStorageAccess(Prompt)`.
    pub fn classify(err: KeyringError) -> StoreError {
        let ss = match &err {
            KeyringError::NoStorageAccess(e) | KeyringError::PlatformFailure(e) => {
                e.downcast_ref::<SsError>()
            }
            _ => None,
        };
        match ss {
            Some(SsError::Locked | SsError::Prompt | SsError::PromptDisconnected) => {
                StoreError::Locked
            }
            Some(SsError::NoResult) if matches!(err, KeyringError::NoStorageAccess(_)) => {
                StoreError::Unavailable {
                    detail: "the Secret Service has no default keyring".to_owned(),
                }
            }
            Some(SsError::Unavailable) => StoreError::Unavailable {
                detail: "no D-Bus session or Secret Service was found".to_owned(),
            },
            Some(SsError::Zbus(z)) => classify_zbus(z).unwrap_or_else(|| classify_common(err)),
            Some(SsError::ZbusFdo(f)) => classify_fdo(f).unwrap_or_else(|| classify_common(err)),
            _ => classify_common(err),
        }
    }

    fn classify_zbus(err: &zbus::Error) -> Option<StoreError> {
        match err {
            zbus::Error::Connection(io, _) | zbus::Error::InputOutput(io) => {
                Some(StoreError::Unavailable {
                    detail: format!("cannot connect to the D-Bus session bus: {io}"),
                })
            }
            zbus::Error::Address(detail) | zbus::Error::Handshake(detail) => {
                Some(StoreError::Unavailable {
                    detail: format!("cannot connect to the D-Bus session bus: {detail}"),
                })
            }
            zbus::Error::MethodError(name, _, _) => match name.as_str() {
                "org.freedesktop.DBus.Error.ServiceUnknown"
                | "org.freedesktop.DBus.Error.NameHasNoOwner"
                | "org.freedesktop.DBus.Error.Spawn.ServiceNotFound" => {
                    Some(StoreError::Unavailable {
                        detail: "nothing provides org.freedesktop.secrets on the session bus"
                            .to_owned(),
                    })
                }
                "org.freedesktop.DBus.Error.AccessDenied" => Some(StoreError::Denied {
                    detail: err.to_string(),
                }),
                _ => None,
            },
            zbus::Error::FDO(fdo) => classify_fdo(fdo),
            _ => None,
        }
    }

    fn classify_fdo(err: &zbus::fdo::Error) -> Option<StoreError> {
        use zbus::fdo::Error as Fdo;
        match err {
            Fdo::ServiceUnknown(_) | Fdo::NameHasNoOwner(_) | Fdo::SpawnServiceNotFound(_) => {
                Some(StoreError::Unavailable {
                    detail: "nothing provides org.freedesktop.secrets on the session bus"
                        .to_owned(),
                })
            }
            Fdo::AccessDenied(detail) => Some(StoreError::Denied {
                detail: detail.clone(),
            }),
            _ => None,
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn boxed(e: SsError) -> Box<dyn std::error::Error + Send + Sync> {
            Box::new(e)
        }

        #[test]
        fn maps_measured_secret_service_errors() {
            let locked = KeyringError::NoStorageAccess(boxed(SsError::Prompt));
            assert_eq!(classify(locked), StoreError::Locked);
            let no_default = KeyringError::NoStorageAccess(boxed(SsError::NoResult));
            assert!(matches!(
                classify(no_default),
                StoreError::Unavailable { .. }
            ));
            let no_bus =
                KeyringError::PlatformFailure(boxed(SsError::Zbus(zbus::Error::InputOutput(
                    Arc::new(std::io::Error::from(std::io::ErrorKind::NotFound)),
                ))));
            assert!(matches!(classify(no_bus), StoreError::Unavailable { .. }));
            let fdo = KeyringError::PlatformFailure(boxed(SsError::ZbusFdo(
                zbus::fdo::Error::ServiceUnknown("x".into()),
            )));
            assert!(matches!(classify(fdo), StoreError::Unavailable { .. }));
            let other = KeyringError::PlatformFailure(boxed(SsError::Crypto("bad")));
            assert!(matches!(classify(other), StoreError::Backend { .. }));
        }

        #[test]
        fn secret_payloads_are_never_formatted() {
            let e = classify(KeyringError::BadEncoding(b"SENTINEL-secret\xff".to_vec()));
            assert!(!format!("{e} {e:?}").contains("SENTINEL"));
        }
    }
}

#[cfg(any(target_os = "macos", windows))]
mod platform {
    use std::sync::Arc;

    use keyring_core::{CredentialStore, Entry, Error as KeyringError};

    use super::{StoreError, classify_common};

    pub fn connect() -> Result<Arc<CredentialStore>, StoreError> {
        #[cfg(target_os = "macos")]
        let store: Arc<CredentialStore> =
            apple_native_keyring_store::keychain::Store::new().map_err(classify)?;
        #[cfg(windows)]
        let store: Arc<CredentialStore> =
            windows_native_keyring_store::Store::new().map_err(classify)?;
        Ok(store)
    }

    pub fn entry(
        store: &Arc<CredentialStore>,
        service: &str,
        user: &str,
    ) -> keyring_core::Result<Entry> {
        Entry::new_in_store(store, service, user)
    }

    pub fn classify(err: KeyringError) -> StoreError {
        classify_common(err)
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
mod platform {
    use std::sync::Arc;

    use keyring_core::{CredentialStore, Entry, Error as KeyringError};

    use super::{StoreError, classify_common};

    pub fn connect() -> Result<Arc<CredentialStore>, StoreError> {
        Err(StoreError::Unavailable {
            detail: "this platform has no keyring chatkey supports".to_owned(),
        })
    }

    pub fn entry(
        store: &Arc<CredentialStore>,
        service: &str,
        user: &str,
    ) -> keyring_core::Result<Entry> {
        Entry::new_in_store(store, service, user)
    }

    pub fn classify(err: KeyringError) -> StoreError {
        classify_common(err)
    }
}
