//! `KeyringStore`: refresh tokens in the operating system's keyring through keyring-core and
//! one native store per platform (Secret Service on Linux, Keychain on macOS, Credential
//! Manager on Windows). There is no fallback: without a usable keyring every call fails with
//! an error that says how to get one, and nothing is ever written to a plaintext file.
//!
//! The store handle is explicit (`Entry::new_in_store`), not keyring-core's process-wide
//! default, so nothing else in the process can swap it for a mock.
//!
//! D-Bus calls have no timeout of their own: a Secret Service that never answers (or a bus
//! whose policy drops the reply, which we measured) would block forever. So every call runs
//! on its own short-lived thread and is abandoned after `timeout`; that thread also keeps
//! zbus's blocking API away from any async runtime context, where it could refuse to run
//! when another crate enables zbus's `tokio` feature. Callers still use `spawn_blocking`.
//!
//! A connection can go stale (the keyring daemon restarted): an operation that fails on an
//! existing connection is retried once on a fresh one.

use std::sync::mpsc::{RecvTimeoutError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use keyring_core::{CredentialStore, Entry, Error as KeyringError};
use secrecy::{ExposeSecret, SecretString};

use super::{AccountId, SecretStore, StoreError, check_size};

/// Long enough for a person to answer an unlock prompt, short enough that a wedged keyring
/// daemon turns into an error instead of a hang.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

pub struct KeyringStore {
    service: String,
    timeout: Duration,
    backend: Mutex<Option<Arc<CredentialStore>>>,
}

impl std::fmt::Debug for KeyringStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyringStore")
            .field("service", &self.service)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// How one bounded attempt ended.
enum Attempt<T> {
    Done(Option<T>),
    /// The keyring answered with an error; a fresh connection may help.
    Failed(StoreError),
    /// No answer in time; retrying would only double the wait.
    TimedOut(StoreError),
}

/// The Secret Service connection blocks on D-Bus when it is closed, and zbus refuses to block
/// inside an async runtime (it panics). Whoever drops the last store may be an async task, so
/// the connection is closed on a thread of its own.
impl Drop for KeyringStore {
    fn drop(&mut self) {
        let backend = self
            .backend
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(backend) = backend {
            let _ = std::thread::Builder::new()
                .name("chatkey-keyring-close".into())
                .spawn(move || drop(backend));
        }
    }
}

impl KeyringStore {
    /// Connects to the platform keyring; `service` is `Paths::keyring_service()`. Blocking.
    /// Fails with `Unavailable` when there is no keyring to talk to.
    pub fn new(service: String) -> Result<Self, StoreError> {
        Self::with_timeout(service, DEFAULT_TIMEOUT)
    }

    /// Like `new`, with a different bound on each keyring call.
    pub fn with_timeout(service: String, timeout: Duration) -> Result<Self, StoreError> {
        let backend = connect(timeout)?;
        Ok(Self {
            service,
            timeout,
            backend: Mutex::new(Some(backend)),
        })
    }

    /// A store that connects on first use (and again after a failure), for a daemon that
    /// must start even while the keyring is missing or locked, and recover once it is back.
    pub fn lazy(service: String) -> Self {
        Self {
            service,
            timeout: DEFAULT_TIMEOUT,
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
                let store = connect(self.timeout)?;
                *slot = Some(store.clone());
                Ok(store)
            }
        }
    }

    fn forget_backend(&self) {
        *self.backend.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Runs `op` on the account's entry; `Ok(None)` when the entry does not exist.
    fn with_entry<T, F>(&self, account: &AccountId, op: F) -> Result<Option<T>, StoreError>
    where
        T: Send + 'static,
        F: Fn(&Entry) -> keyring_core::Result<T> + Clone + Send + 'static,
    {
        let user = account.to_string();
        let attempt = |fresh: bool| -> Attempt<T> {
            let store = match self.backend(fresh) {
                Ok(store) => store,
                Err(e) => return Attempt::Failed(e),
            };
            let (service, user, op) = (self.service.clone(), user.clone(), op.clone());
            let outcome = bounded(self.timeout, move || {
                let entry = platform::entry(&store, &service, &user)?;
                op(&entry)
            });
            match outcome {
                Err(e) => Attempt::TimedOut(e),
                Ok(Ok(v)) => Attempt::Done(Some(v)),
                Ok(Err(KeyringError::NoEntry)) => Attempt::Done(None),
                Ok(Err(e)) => Attempt::Failed(platform::classify(e)),
            }
        };
        let outcome = match attempt(false) {
            Attempt::Failed(StoreError::Unavailable { .. } | StoreError::Backend { .. }) => {
                attempt(true)
            }
            other => other,
        };
        match outcome {
            Attempt::Done(v) => Ok(v),
            Attempt::Failed(e) => Err(e),
            Attempt::TimedOut(e) => {
                // The stuck thread may hold the old connection's lock: start afresh next time.
                self.forget_backend();
                Err(e)
            }
        }
    }
}

fn connect(timeout: Duration) -> Result<Arc<CredentialStore>, StoreError> {
    match bounded(timeout, platform::connect) {
        Ok(result) => result,
        Err(_) => Err(StoreError::Unavailable {
            detail: format!(
                "the keyring service did not answer within {} s",
                timeout.as_secs_f32()
            ),
        }),
    }
}

/// Runs `f` on its own thread and waits at most `timeout` for it. A call that does not
/// finish is abandoned (its thread ends whenever the keyring finally answers).
fn bounded<T: Send + 'static>(
    timeout: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StoreError> {
    let (tx, rx) = sync_channel(1);
    std::thread::Builder::new()
        .name("chatkey-keyring".to_owned())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .map_err(|e| StoreError::Backend {
            detail: format!("cannot start a thread for the keyring call: {e}"),
        })?;
    match rx.recv_timeout(timeout) {
        Ok(v) => Ok(v),
        Err(RecvTimeoutError::Timeout) => Err(StoreError::Backend {
            detail: format!(
                "the keyring did not answer within {} s (is an unlock prompt waiting?)",
                timeout.as_secs_f32()
            ),
        }),
        Err(RecvTimeoutError::Disconnected) => Err(StoreError::Backend {
            detail: "the keyring call failed unexpectedly (its thread panicked)".to_owned(),
        }),
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
        let secret = Arc::new(refresh_token.clone());
        self.with_entry(account, move |e| {
            e.set_secret(secret.expose_secret().as_bytes())
        })?
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
