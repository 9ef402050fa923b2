//! Desktop notifications about sign-ins (notify-rust over zbus, no GTK): an account needs
//! signing in again (with a "Sign in" button that starts the browser sign-in inside the
//! daemon), the keyring cannot be used (with the fix), and a sign-in finished.
//!
//! Each notification follows a change of state, never a repeat of the same state, so a dead
//! token that every tool call trips over produces one notification, not one per call. With no
//! notification server (a headless machine, a broken session bus) the text goes to the log
//! instead and the daemon carries on.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::accounts::{AccountEvent, Health};
use crate::app::App;
use crate::tokens::AccountId;

/// The action id of the "Sign in" button.
const SIGN_IN_ACTION: &str = "sign-in";

/// One notification, as the person reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub summary: String,
    pub body: String,
    /// Offer the "Sign in" button for this account.
    pub sign_in: Option<AccountId>,
}

/// What, if anything, to tell the person about `event`. `last` is the last state we told
/// them about for that account, so the same state is never announced twice.
pub fn message_for(event: &AccountEvent, last: Option<&Kind>) -> Option<(Kind, Message)> {
    let (id, kind) = match event {
        AccountEvent::Health {
            id,
            health,
            keyring,
        } => match health {
            Health::NeedsSignIn { .. } => (id, Kind::NeedsSignIn),
            Health::RefreshFailing { .. } if *keyring => (id, Kind::Keyring),
            // Network trouble is retried quietly; it shows in status, not as a pop-up.
            Health::RefreshFailing { .. } => return None,
            Health::Ok => (id, Kind::Ok),
        },
        AccountEvent::SignedIn { id } => (id, Kind::SignedIn),
        AccountEvent::Refreshed { .. } => return None,
    };
    if last == Some(&kind) || (kind == Kind::Ok && last != Some(&Kind::Keyring)) {
        // Ok after a sign-in or after a quiet network blip is not news; Ok after a keyring
        // problem is ("it works again"), and is shown below.
        return None;
    }
    let service = id.provider.display_name();
    let message = match (&kind, event) {
        (
            Kind::NeedsSignIn,
            AccountEvent::Health {
                health: Health::NeedsSignIn { reason },
                ..
            },
        ) => Message {
            summary: format!("{service} needs you to sign in again"),
            body: format!(
                "{} can no longer be used by your AI assistants: {}. Click \"Sign in\", or run `chatkey login {}`.",
                id.email,
                reason.trim_end_matches('.'),
                id.provider.name()
            ),
            sign_in: Some(id.clone()),
        },
        (
            Kind::Keyring,
            AccountEvent::Health {
                health: Health::RefreshFailing { detail },
                ..
            },
        ) => Message {
            summary: "chatkey cannot use the keyring".to_owned(),
            body: format!(
                "{service} ({}) keeps working only until its access token expires: {detail}",
                id.email
            ),
            sign_in: None,
        },
        (Kind::Ok, _) => Message {
            summary: format!("{service} works again"),
            body: format!("The keyring is back; {} is usable again.", id.email),
            sign_in: None,
        },
        (Kind::SignedIn, _) => Message {
            summary: format!("Signed in to {service}"),
            body: format!(
                "{} is ready: your AI assistants can use it now, no restart needed.",
                id.email
            ),
            sign_in: None,
        },
        _ => return None,
    };
    Some((kind, message))
}

/// The state last announced for an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    NeedsSignIn,
    Keyring,
    SignedIn,
    Ok,
}

/// Starts the notifier: it follows the accounts' events until the daemon ends.
pub fn spawn(app: Arc<App>) -> JoinHandle<()> {
    let mut events = app.accounts.events();
    tokio::spawn(async move {
        let mut last: HashMap<AccountId, Kind> = HashMap::new();
        loop {
            let event = match events.recv().await {
                Ok(event) => event,
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::debug!(missed = n, "notifier fell behind");
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => break,
            };
            let id = match &event {
                AccountEvent::Health { id, .. }
                | AccountEvent::SignedIn { id }
                | AccountEvent::Refreshed { id, .. } => id.clone(),
            };
            let Some((kind, message)) = message_for(&event, last.get(&id)) else {
                continue;
            };
            last.insert(id, kind);
            show(app.clone(), message).await;
        }
    })
}

/// Shows `message`; logs it instead when no notification server answers.
async fn show(app: Arc<App>, message: Message) {
    tracing::info!(summary = %message.summary, body = %message.body, "notification");
    let mut notification = notify_rust::Notification::new();
    notification
        .appname("chatkey")
        .summary(&message.summary)
        .body(&message.body)
        .icon("dialog-password");
    if message.sign_in.is_some() {
        notification.action(SIGN_IN_ACTION, "Sign in");
    }
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        match notification.show_async().await {
            Ok(handle) => {
                if let Some(account) = message.sign_in {
                    // Wait for the button in the background: the person may click it hours later.
                    tokio::spawn(async move {
                        let mut clicked = false;
                        handle
                            .wait_for_action_async(|response| {
                                clicked = matches!(response, notify_rust::ActionResponse::Custom(a) if *a == SIGN_IN_ACTION);
                            })
                            .await;
                        if clicked {
                            start_sign_in(app, account).await;
                        }
                    });
                }
            }
            Err(e) => no_server(&e.to_string()),
        }
    }
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    {
        // Other platforms have no action buttons here; the tray offers "Sign in" instead.
        let _ = app;
        match tokio::task::spawn_blocking(move || notification.show().map(|_| ())).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => no_server(&e.to_string()),
            Err(e) => no_server(&e.to_string()),
        }
    }
}

fn no_server(error: &str) {
    tracing::warn!(
        error,
        "no desktop notification shown (no notification server?); the message above is in this log and in `chatkey status`"
    );
}

#[cfg(all(unix, not(target_os = "macos")))]
async fn start_sign_in(app: Arc<App>, account: AccountId) {
    match app
        .start_sign_in(account.provider, Some(account.email.clone()))
        .await
    {
        Ok(started) => {
            tracing::info!(account = %account, url = %started.url, "sign-in started from a notification")
        }
        Err(e) => {
            tracing::warn!(account = %account, error = %e.message, "could not start the sign-in from a notification")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::ProviderId;

    fn id() -> AccountId {
        AccountId {
            provider: ProviderId::GoogleChat,
            email: "alex@example.com".into(),
        }
    }

    fn needs() -> AccountEvent {
        AccountEvent::Health {
            id: id(),
            health: Health::NeedsSignIn {
                reason: "Token has been expired or revoked.".into(),
            },
            keyring: false,
        }
    }

    #[test]
    fn needs_sign_in_offers_the_button_once_per_change() {
        let (kind, message) = message_for(&needs(), None).unwrap();
        assert_eq!(message.summary, "Google Chat needs you to sign in again");
        assert!(message.body.contains("chatkey login google-chat"));
        assert_eq!(message.sign_in, Some(id()));
        assert!(message_for(&needs(), Some(&kind)).is_none());
        let (kind, _) = message_for(&AccountEvent::SignedIn { id: id() }, Some(&kind)).unwrap();
        assert_eq!(kind, Kind::SignedIn);
        assert!(message_for(&needs(), Some(&kind)).is_some());
    }

    #[test]
    fn network_trouble_and_plain_recovery_stay_quiet_but_keyring_recovery_is_told() {
        let failing = |keyring| AccountEvent::Health {
            id: id(),
            health: Health::RefreshFailing {
                detail: "the keyring is locked".into(),
            },
            keyring,
        };
        let ok = AccountEvent::Health {
            id: id(),
            health: Health::Ok,
            keyring: false,
        };
        assert!(message_for(&failing(false), None).is_none());
        assert!(message_for(&ok, None).is_none());
        let (kind, message) = message_for(&failing(true), None).unwrap();
        assert!(message.body.contains("the keyring is locked"));
        assert_eq!(message_for(&ok, Some(&kind)).unwrap().0, Kind::Ok);
    }
}
