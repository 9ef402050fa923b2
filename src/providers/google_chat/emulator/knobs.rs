//! Test controls: the in-process `Knobs` handle.
//!
//! Tests bend the emulator's behaviour here (token lifetime, revocation, injected failures,
//! latency, quotas, who signs in) and read what the client did (request log, token-grant
//! counts). The same operations are served as JSON under `/_emulator/…` by `admin` for tests
//! that drive the emulator from another process.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::scopes;
use super::state::{
    AccessToken, Emu, FailureSpec, Grant, LoggedRequest, RefreshToken, SpaceQuotas, find_user,
    random_id,
};

/// A cheap, clonable handle on one running emulator's controls.
#[derive(Clone)]
pub struct Knobs {
    pub(crate) emu: Arc<Emu>,
}

/// A snapshot of the current settings, as `GET /_emulator/knobs` returns it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KnobSettings {
    pub access_token_lifetime_secs: f64,
    pub latency_ms: u64,
    pub failures: Vec<FailureSpec>,
    /// `users/{id}` the consent page signs in as (`None`: `login_hint`, else the primary user).
    pub consent_user: Option<String>,
    pub rotating_refresh_tokens: bool,
    pub rotation_grace_secs: Option<f64>,
    pub quotas: Option<SpaceQuotas>,
}

/// Tokens from `Knobs::mint_tokens`.
#[derive(Debug, Clone)]
pub struct MintedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: Duration,
}

impl Knobs {
    /// Lifetime of access tokens issued from now on (`expires_in` and actual expiry).
    pub fn set_access_token_lifetime(&self, lifetime: Duration) {
        self.emu.lock().settings.token_lifetime = lifetime;
    }

    /// Makes every access token issued so far expired (they answer `ACCESS_TOKEN_EXPIRED`).
    pub fn expire_access_tokens(&self) {
        let now = Instant::now();
        for t in self.emu.lock().oauth.access_tokens.values_mut() {
            t.expires = t.expires.min(now);
        }
    }

    /// Revokes refresh tokens (all, or one user's: email, `users/{id}` or id), as when the
    /// user removes the app's access. Returns how many were revoked. Access tokens already
    /// issued keep working until they expire.
    pub fn revoke_refresh_tokens(&self, user: Option<&str>) -> Result<usize, String> {
        let user_id = match user {
            Some(u) => Some(
                find_user(u)
                    .ok_or_else(|| format!("no seeded user {u}"))?
                    .id,
            ),
            None => None,
        };
        let mut st = self.emu.lock();
        let oauth = &mut st.oauth;
        let grants: Vec<u64> = oauth
            .grants
            .iter()
            .filter(|(_, g)| user_id.is_none_or(|u| g.user == u))
            .map(|(id, _)| *id)
            .collect();
        let before = oauth.refresh_tokens.len();
        oauth
            .refresh_tokens
            .retain(|_, r| !grants.contains(&r.grant));
        Ok(before - oauth.refresh_tokens.len())
    }

    /// Makes the next matching requests fail with `spec.status` and Google's error body.
    pub fn fail_next(&self, spec: FailureSpec) {
        self.emu.lock().settings.failures.push(spec);
    }

    pub fn clear_failures(&self) {
        self.emu.lock().settings.failures.clear();
    }

    /// Delay added before every non-admin request is answered.
    pub fn set_latency(&self, latency: Duration) {
        self.emu.lock().settings.latency = latency;
    }

    /// Which seeded user the consent signs in as (email, `users/{id}` or id); `None` restores
    /// the default (the `login_hint` if it names a seeded user, else the primary user).
    pub fn set_consent_user(&self, user: Option<&str>) -> Result<(), String> {
        let id = match user {
            Some(u) => Some(
                find_user(u)
                    .ok_or_else(|| format!("no seeded user {u}"))?
                    .id,
            ),
            None => None,
        };
        self.emu.lock().settings.consent_user = id.map(str::to_string);
        Ok(())
    }

    /// Rotating refresh tokens: each refresh returns a new refresh token and the old one stops
    /// working `grace` later. `None` turns rotation off (Google's behaviour).
    pub fn set_rotating_refresh_tokens(&self, grace: Option<Duration>) {
        self.emu.lock().settings.rotation_grace = grace;
    }

    /// Per-space read and write quotas per minute; `None` (the default) means unlimited.
    pub fn set_space_quotas(&self, quotas: Option<SpaceQuotas>) {
        let mut st = self.emu.lock();
        st.settings.quotas = quotas;
        st.quota_windows.clear();
    }

    /// Every non-admin request so far, oldest first.
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.emu.lock().log.clone()
    }

    pub fn clear_request_log(&self) {
        self.emu.lock().log.clear();
    }

    /// Stops (`None`) or redirects the JSON-lines request log file for this emulator
    /// (initially `$CHATKEY_EMULATOR_REQUEST_LOG`). Tests that send deliberately invalid
    /// requests turn it off so the suite-wide discovery check only sees client traffic.
    pub fn set_request_log_file(&self, path: Option<&std::path::Path>) -> std::io::Result<()> {
        let file = match path {
            Some(p) => Some(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)?,
            ),
            None => None,
        };
        *self.emu.log_file.lock().unwrap_or_else(|e| e.into_inner()) = file;
        Ok(())
    }

    /// Token-endpoint requests by `grant_type` (`authorization_code`, `refresh_token`, …),
    /// counted whether or not they succeeded.
    pub fn token_grants(&self, grant_type: &str) -> u64 {
        self.emu
            .lock()
            .grant_counts
            .get(grant_type)
            .copied()
            .unwrap_or(0)
    }

    /// All token-endpoint counts.
    pub fn token_grant_counts(&self) -> std::collections::BTreeMap<String, u64> {
        self.emu.lock().grant_counts.clone()
    }

    /// Live (unexpired, unrevoked) refresh tokens, optionally for one user.
    pub fn live_refresh_tokens(&self, user: Option<&str>) -> usize {
        let user_id = user.and_then(find_user).map(|u| u.id);
        let st = self.emu.lock();
        let now = Instant::now();
        st.oauth
            .refresh_tokens
            .values()
            .filter(|r| r.retire_at.is_none_or(|t| t > now))
            .filter(|r| {
                user_id.is_none_or(|u| st.oauth.grants.get(&r.grant).is_some_and(|g| g.user == u))
            })
            .count()
    }

    /// Restores every setting to its default and clears failures, log and counters (chat data
    /// and tokens are kept).
    pub fn reset(&self) {
        let mut st = self.emu.lock();
        st.settings = super::state::Settings::new(self.emu.default_lifetime);
        st.log.clear();
        st.grant_counts.clear();
        st.quota_windows.clear();
    }

    /// Issues tokens for a seeded user without the browser round trip, for tests of code that
    /// only needs a signed-in account. `scopes` take any form the authorization endpoint
    /// accepts (`email`, full URLs). The tokens behave exactly like ones from `/token`.
    pub fn mint_tokens(&self, user: &str, scope_list: &[&str]) -> Result<MintedTokens, String> {
        let user = find_user(user).ok_or_else(|| format!("no seeded user {user}"))?;
        let granted = scope_list
            .iter()
            .map(|s| scopes::normalise(s).ok_or_else(|| format!("unknown scope {s}")))
            .collect::<Result<Vec<_>, _>>()?;
        let mut st = self.emu.lock();
        st.oauth.next_grant += 1;
        let grant = st.oauth.next_grant;
        st.oauth.grants.insert(
            grant,
            Grant {
                user: user.id.to_string(),
                scopes: granted.clone(),
            },
        );
        let access_token = format!("ya29.a0{}", random_id(150));
        let refresh_token = format!("1//0{}", random_id(99));
        let lifetime = st.settings.token_lifetime;
        st.oauth.access_tokens.insert(
            access_token.clone(),
            AccessToken {
                user: user.id.to_string(),
                scopes: granted,
                expires: Instant::now() + lifetime,
                grant,
            },
        );
        st.oauth.refresh_tokens.insert(
            refresh_token.clone(),
            RefreshToken {
                grant,
                retire_at: None,
            },
        );
        Ok(MintedTokens {
            access_token,
            refresh_token,
            expires_in: lifetime,
        })
    }

    pub fn settings(&self) -> KnobSettings {
        let st = self.emu.lock();
        let s = &st.settings;
        KnobSettings {
            access_token_lifetime_secs: s.token_lifetime.as_secs_f64(),
            latency_ms: s.latency.as_millis() as u64,
            failures: s.failures.clone(),
            consent_user: s.consent_user.as_ref().map(|u| format!("users/{u}")),
            rotating_refresh_tokens: s.rotation_grace.is_some(),
            rotation_grace_secs: s.rotation_grace.map(|d| d.as_secs_f64()),
            quotas: s.quotas,
        }
    }
}
