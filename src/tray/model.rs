//! What the tray shows, as plain data: the icon's state, its tooltip and the menu, built from
//! the daemon's live status by one pure function.
//!
//! The GTK side only renders a `TrayView`, and the control channel's `menu` query returns the
//! same value as JSON, so tests check exactly what a person sees without reading pixels for
//! every label. Menu item ids double as the actions they trigger (`Action::parse`), so a
//! click needs no lookup table that could drift from the menu.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::accounts::{AccountStatus, Health};
use crate::app::Status;
use crate::clients::Client;
use crate::providers::ProviderId;

/// The icon's state, in the order a person should care: a problem beats a pending sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IconState {
    /// Every account is signed in and its token refreshes.
    Ok,
    /// Someone has to sign in (a revoked token, or nothing signed in yet).
    NeedsAttention,
    /// A sign-in is waiting for the browser.
    Working,
    /// The configuration or the keyring is broken, or refreshes keep failing.
    Error,
}

impl IconState {
    pub const ALL: [IconState; 4] = [Self::Ok, Self::NeedsAttention, Self::Working, Self::Error];

    /// The file stem of this state's icons in `icons/`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::NeedsAttention => "needs-attention",
            Self::Working => "working",
            Self::Error => "error",
        }
    }
}

/// One menu entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Item {
    /// A line of information (shown greyed out).
    Text {
        label: String,
    },
    /// A clickable entry; `id` is an `Action` in text form.
    Action {
        id: String,
        label: String,
    },
    /// A check box entry, such as "Start at login".
    Check {
        id: String,
        label: String,
        checked: bool,
    },
    Submenu {
        label: String,
        items: Vec<Item>,
    },
    Separator,
}

/// Everything the tray shows at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrayView {
    pub icon: IconState,
    pub tooltip: String,
    pub items: Vec<Item>,
}

/// What a menu click asks for; `id()` and `parse()` are each other's inverse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    SignIn {
        provider: ProviderId,
        email: Option<String>,
    },
    SignOut {
        provider: ProviderId,
        email: String,
    },
    CopyConfig(Client),
    ToggleAutostart,
    OpenLogs,
    About,
    Quit,
}

impl Action {
    pub fn id(&self) -> String {
        match self {
            Self::SignIn { provider, email } => {
                format!(
                    "sign-in:{}:{}",
                    provider.name(),
                    email.as_deref().unwrap_or("")
                )
            }
            Self::SignOut { provider, email } => format!("sign-out:{}:{email}", provider.name()),
            Self::CopyConfig(client) => format!("copy-config:{}", client.cli_name()),
            Self::ToggleAutostart => "start-at-login".into(),
            Self::OpenLogs => "open-logs".into(),
            Self::About => "about".into(),
            Self::Quit => "quit".into(),
        }
    }

    pub fn parse(id: &str) -> Option<Self> {
        let mut parts = id.splitn(3, ':');
        let action = match (parts.next()?, parts.next(), parts.next()) {
            ("sign-in", Some(p), Some(email)) => Self::SignIn {
                provider: p.parse().ok()?,
                email: (!email.is_empty()).then(|| email.to_owned()),
            },
            ("sign-out", Some(p), Some(email)) => Self::SignOut {
                provider: p.parse().ok()?,
                email: email.to_owned(),
            },
            ("copy-config", Some(name), None) => {
                Self::CopyConfig(*Client::ALL.iter().find(|c| c.cli_name() == name)?)
            }
            ("start-at-login", None, None) => Self::ToggleAutostart,
            ("open-logs", None, None) => Self::OpenLogs,
            ("about", None, None) => Self::About,
            ("quit", None, None) => Self::Quit,
            _ => return None,
        };
        Some(action)
    }
}

/// What besides `Status` the view depends on.
#[derive(Debug, Clone, Copy)]
pub struct Extras {
    /// A sign-in started inside the daemon is still waiting for the browser.
    pub signing_in: bool,
    /// `None` where this OS has no start-at-login entry chatkey manages.
    pub autostart: Option<bool>,
    pub now: DateTime<Utc>,
}

/// Builds the whole view from the daemon's state.
pub fn build(status: &Status, extras: Extras) -> TrayView {
    let mut items = Vec::new();
    let mut providers: Vec<ProviderId> = status.configured_providers.clone();
    providers.extend(status.accounts.iter().map(|a| a.provider));
    providers.sort();
    providers.dedup();
    if providers.is_empty() {
        for p in crate::providers::all() {
            items.push(text(&format!(
                "{} is not set up: {}",
                p.id().display_name(),
                p.setup_hint()
            )));
        }
    }
    for provider in &providers {
        let accounts: Vec<&AccountStatus> = status
            .accounts
            .iter()
            .filter(|a| a.provider == *provider)
            .collect();
        items.push(text(provider.display_name()));
        for account in &accounts {
            account_items(&mut items, account, extras.now);
        }
        if accounts.is_empty() {
            items.push(action(
                Action::SignIn {
                    provider: *provider,
                    email: None,
                },
                "Sign in…",
            ));
        }
        items.push(Item::Separator);
    }
    if providers.is_empty() {
        items.push(Item::Separator);
    }
    items.push(Item::Submenu {
        label: "Copy assistant config".into(),
        items: Client::ALL
            .iter()
            .map(|c| action(Action::CopyConfig(*c), c.display_name()))
            .collect(),
    });
    if let Some(checked) = extras.autostart {
        items.push(Item::Check {
            id: Action::ToggleAutostart.id(),
            label: "Start at login".into(),
            checked,
        });
    }
    items.push(action(Action::OpenLogs, "Open logs"));
    items.push(action(
        Action::About,
        &format!("About chatkey {}", status.version),
    ));
    items.push(Item::Separator);
    items.push(action(Action::Quit, "Quit"));
    let (icon, tooltip) = icon_and_tooltip(status, extras.signing_in);
    TrayView {
        icon,
        tooltip,
        items,
    }
}

fn account_items(items: &mut Vec<Item>, account: &AccountStatus, now: DateTime<Utc>) {
    let email = &account.email;
    match &account.health {
        Health::Ok => {
            let when = match account.next_refresh {
                Some(at) if at > now => {
                    // Rounded up, so "0 min" never shows while a refresh is still ahead.
                    let minutes = ((at - now).num_seconds() + 59) / 60;
                    format!("token refreshes in {minutes} min")
                }
                _ => "token refreshing now".to_owned(),
            };
            items.push(text(&format!("Signed in as {email} · {when}")));
        }
        Health::NeedsSignIn { .. } => {
            items.push(text(&format!("{email} needs you to sign in again")));
            items.push(action(
                Action::SignIn {
                    provider: account.provider,
                    email: Some(email.clone()),
                },
                "Sign in…",
            ));
        }
        Health::RefreshFailing { detail } => {
            items.push(text(&format!(
                "Signed in as {email} · refresh failing: {}",
                shorten(detail)
            )));
        }
    }
    items.push(action(
        Action::SignOut {
            provider: account.provider,
            email: email.clone(),
        },
        &format!("Sign out {email}"),
    ));
}

fn icon_and_tooltip(status: &Status, signing_in: bool) -> (IconState, String) {
    if let Some(problem) = &status.problem {
        return (IconState::Error, format!("chatkey: {}", shorten(problem)));
    }
    if signing_in {
        return (
            IconState::Working,
            "chatkey: signing in, finish in your browser".into(),
        );
    }
    let failing: Vec<String> = status
        .accounts
        .iter()
        .filter_map(|a| match &a.health {
            Health::RefreshFailing { detail } => Some(format!("{}: {}", a.email, shorten(detail))),
            _ => None,
        })
        .collect();
    if !failing.is_empty() {
        return (
            IconState::Error,
            format!("chatkey: refresh failing for {}", failing.join("; ")),
        );
    }
    let needs: Vec<&str> = status
        .accounts
        .iter()
        .filter(|a| matches!(a.health, Health::NeedsSignIn { .. }))
        .map(|a| a.email.as_str())
        .collect();
    if !needs.is_empty() {
        return (
            IconState::NeedsAttention,
            format!("chatkey: {} needs you to sign in again", needs.join(", ")),
        );
    }
    if status.accounts.is_empty() {
        return (
            IconState::NeedsAttention,
            "chatkey: not signed in; choose Sign in… in this menu".into(),
        );
    }
    let who: Vec<String> = status
        .accounts
        .iter()
        .map(|a| format!("{} ({})", a.email, a.provider.display_name()))
        .collect();
    (
        IconState::Ok,
        format!("chatkey: signed in as {}", who.join(", ")),
    )
}

/// Keeps menu lines and tooltips to one readable line.
fn shorten(text: &str) -> String {
    const MAX: usize = 90;
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() <= MAX {
        line.to_owned()
    } else {
        format!("{}…", line.chars().take(MAX).collect::<String>())
    }
}

fn text(label: &str) -> Item {
    Item::Text {
        label: label.to_owned(),
    }
}

fn action(action: Action, label: &str) -> Item {
    Item::Action {
        id: action.id(),
        label: label.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn status(health: Vec<Health>) -> Status {
        let now = Utc::now();
        Status {
            version: "1.2.3",
            profile: "default".into(),
            pid: 1,
            accounts: health
                .into_iter()
                .enumerate()
                .map(|(i, health)| AccountStatus {
                    provider: ProviderId::GoogleChat,
                    email: format!("user{i}@example.com"),
                    display_name: None,
                    health,
                    access_token_expires_at: None,
                    last_refresh: None,
                    next_refresh: Some(now + TimeDelta::seconds(41 * 60 - 30)),
                    signed_in_at: now,
                    scopes: vec![],
                })
                .collect(),
            configured_providers: vec![ProviderId::GoogleChat],
            problem: None,
        }
    }

    fn extras() -> Extras {
        Extras {
            signing_in: false,
            autostart: Some(false),
            now: Utc::now(),
        }
    }

    fn labels(items: &[Item]) -> Vec<String> {
        items
            .iter()
            .flat_map(|item| match item {
                Item::Text { label } | Item::Action { label, .. } | Item::Check { label, .. } => {
                    vec![label.clone()]
                }
                Item::Submenu { label, items } => {
                    let mut all = vec![label.clone()];
                    all.extend(labels(items));
                    all
                }
                Item::Separator => vec![],
            })
            .collect()
    }

    #[test]
    fn signed_in_shows_the_refresh_countdown_and_every_fixed_entry() {
        let view = build(&status(vec![Health::Ok]), extras());
        assert_eq!(view.icon, IconState::Ok);
        assert!(
            view.tooltip.contains("user0@example.com"),
            "{}",
            view.tooltip
        );
        let labels = labels(&view.items);
        for expected in [
            "Google Chat",
            "Signed in as user0@example.com · token refreshes in 41 min",
            "Sign out user0@example.com",
            "Copy assistant config",
            "Claude Desktop",
            "Cursor",
            "VS Code",
            "Claude Code",
            "Start at login",
            "Open logs",
            "About chatkey 1.2.3",
            "Quit",
        ] {
            assert!(
                labels.iter().any(|l| l == expected),
                "{expected} in {labels:?}"
            );
        }
        assert!(!labels.iter().any(|l| l == "Sign in…"));
    }

    #[test]
    fn states_rank_error_over_working_over_needs_attention() {
        let needs = Health::NeedsSignIn {
            reason: "revoked".into(),
        };
        let view = build(&status(vec![Health::Ok, needs.clone()]), extras());
        assert_eq!(view.icon, IconState::NeedsAttention);
        assert!(
            view.tooltip
                .contains("user1@example.com needs you to sign in")
        );
        assert!(labels(&view.items).iter().any(|l| l == "Sign in…"));
        let working = Extras {
            signing_in: true,
            ..extras()
        };
        assert_eq!(
            build(&status(vec![needs.clone()]), working).icon,
            IconState::Working
        );
        let mut broken = status(vec![needs]);
        broken.problem = Some("config.toml line 3: unknown key `x`".into());
        let view = build(&broken, working);
        assert_eq!(view.icon, IconState::Error);
        assert!(view.tooltip.contains("unknown key"));
        let failing = Health::RefreshFailing {
            detail: "the keyring is locked".into(),
        };
        assert_eq!(
            build(&status(vec![failing]), extras()).icon,
            IconState::Error
        );
        let empty = build(&status(vec![]), extras());
        assert_eq!(empty.icon, IconState::NeedsAttention);
        assert!(labels(&empty.items).iter().any(|l| l == "Sign in…"));
    }

    #[test]
    fn action_ids_round_trip() {
        let actions = [
            Action::SignIn {
                provider: ProviderId::GoogleChat,
                email: None,
            },
            Action::SignIn {
                provider: ProviderId::GoogleChat,
                email: Some("a@b.c".into()),
            },
            Action::SignOut {
                provider: ProviderId::GoogleChat,
                email: "a@b.c".into(),
            },
            Action::CopyConfig(Client::Vscode),
            Action::ToggleAutostart,
            Action::OpenLogs,
            Action::About,
            Action::Quit,
        ];
        for action in actions {
            assert_eq!(Action::parse(&action.id()), Some(action));
        }
        assert_eq!(Action::parse("sign-in:irc:"), None);
        assert_eq!(Action::parse("quit:now"), None);
    }
}
