//! Test controls: the in-process `Knobs` handle (`admin` serves the same over HTTP).
//!
//! Tests bend the emulator here (token lifetimes, revocation, the app's redirect URLs and
//! client type, granted scopes, injected failures and latency, rate limits, short pages,
//! bulk data) and read what the client did (request log, calls per method).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::bulk;
use super::oauth;
use super::scopes;
use super::seed::SeedRefs;
use super::state::{AppSettings, Emu, FailureSpec, LoggedRequest, State};

/// A cheap, clonable handle on one running emulator's controls.
#[derive(Clone)]
pub struct Knobs {
    pub(crate) emu: Arc<Emu>,
}

/// A snapshot of the settings, as `GET /_emulator/slack/knobs` returns it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KnobSettings {
    pub app: AppSettings,
    pub access_token_lifetime_secs: f64,
    pub refresh_token_lifetime_secs: Option<f64>,
    pub consent_user: Option<String>,
    pub granted_scopes: Option<Vec<String>>,
    pub latency_ms: u64,
    pub method_latency_ms: BTreeMap<String, u64>,
    pub failures: Vec<FailureSpec>,
    pub rate_limit_scale: Option<f64>,
    pub marketplace_restricted: bool,
    pub short_pages: bool,
}

/// Tokens from `Knobs::mint_tokens`; `refresh_token` and `expires_in` are `None` when token
/// rotation is off.
#[derive(Debug, Clone)]
pub struct MintedTokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: Option<Duration>,
    pub user_id: String,
}

/// A seeded user by id, email or handle.
pub fn find_user(st: &State, key: &str) -> Option<String> {
    st.ws
        .users
        .iter()
        .find(|u| {
            u.id == key
                || (!u.email.is_empty() && u.email.eq_ignore_ascii_case(key))
                || u.name == key
        })
        .map(|u| u.id.clone())
}

impl Knobs {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.emu.lock())
    }

    fn user_id(&self, user: &str) -> Result<String, String> {
        self.with(|st| find_user(st, user))
            .ok_or_else(|| format!("no seeded user {user}"))
    }

    /// Lifetime of access tokens issued from now on (Slack: 12 hours).
    pub fn set_access_token_lifetime(&self, lifetime: Duration) {
        self.with(|st| st.settings.access_token_lifetime = lifetime);
    }

    /// Lifetime of refresh tokens issued from now on; `None`: they never expire.
    pub fn set_refresh_token_lifetime(&self, lifetime: Option<Duration>) {
        self.with(|st| st.settings.refresh_token_lifetime = lifetime);
    }

    /// Every access token issued so far answers `token_expired` from now on.
    pub fn expire_access_tokens(&self) {
        let now = Instant::now();
        self.with(|st| {
            for t in st.oauth.access.values_mut() {
                t.expires = Some(t.expires.map_or(now, |e| e.min(now)));
            }
        });
    }

    /// Every refresh token issued so far is expired (a refresh answers `invalid_refresh_token`).
    pub fn expire_refresh_tokens(&self) {
        let now = Instant::now();
        self.with(|st| {
            for t in st.oauth.refresh.values_mut() {
                t.expires = Some(now);
            }
        });
    }

    /// Drops refresh tokens (everyone's, or one user's: id, email or handle). Access tokens
    /// keep working until they expire. Returns how many were dropped.
    pub fn revoke_refresh_tokens(&self, user: Option<&str>) -> Result<usize, String> {
        let user = user.map(|u| self.user_id(u)).transpose()?;
        Ok(self.with(|st| {
            let before = st.oauth.refresh.len();
            let grants = &st.oauth.grants;
            st.oauth.refresh.retain(|_, r| {
                user.as_ref()
                    .is_some_and(|u| grants.get(&r.grant).is_some_and(|g| g.user != *u))
            });
            before - st.oauth.refresh.len()
        }))
    }

    /// Ends authorizations as auth.revoke does (or the person removing the app): access
    /// tokens answer `token_revoked`, refresh tokens are gone. Returns how many grants ended.
    pub fn revoke_tokens(&self, user: Option<&str>) -> Result<usize, String> {
        let user = user.map(|u| self.user_id(u)).transpose()?;
        Ok(self.with(|st| {
            let ids: Vec<u64> = st
                .oauth
                .grants
                .iter()
                .filter(|(_, g)| !g.revoked && user.as_ref().is_none_or(|u| g.user == *u))
                .map(|(id, _)| *id)
                .collect();
            for id in &ids {
                st.oauth.revoke_grant(*id);
            }
            ids.len()
        }))
    }

    /// The next matching requests fail as `spec` says.
    pub fn fail_next(&self, spec: FailureSpec) {
        self.with(|st| st.settings.failures.push(spec));
    }

    pub fn clear_failures(&self) {
        self.with(|st| st.settings.failures.clear());
    }

    /// Delay before every Web API answer.
    pub fn set_latency(&self, latency: Duration) {
        self.with(|st| st.settings.latency = latency);
    }

    /// Extra delay for one method.
    pub fn set_method_latency(&self, method: &str, latency: Duration) {
        self.with(|st| {
            if latency.is_zero() {
                st.settings.method_latency.remove(method);
            } else {
                st.settings
                    .method_latency
                    .insert(method.to_string(), latency);
            }
        });
    }

    /// Multiplies every rate tier (`Some(1.0)`: Slack's limits; `Some(0.05)`: limited after a
    /// request or two); `None` never limits. Clears the current windows.
    pub fn set_rate_limit_scale(&self, scale: Option<f64>) {
        self.with(|st| {
            st.settings.rate_limit_scale = scale.filter(|s| s.is_finite() && *s > 0.0);
            st.rate_windows.clear();
        });
    }

    /// An app distributed outside the Marketplace: history and replies at Tier 1, 15 a page.
    pub fn set_marketplace_restricted(&self, restricted: bool) {
        self.with(|st| st.settings.marketplace_restricted = restricted);
    }

    /// Whether every second page of cursor-paged lists comes out short.
    pub fn set_short_pages(&self, short: bool) {
        self.with(|st| st.settings.short_pages = short);
    }

    /// The app's registered redirect URLs, client type and token rotation.
    pub fn set_app(&self, app: AppSettings) {
        self.with(|st| st.settings.app = app);
    }

    pub fn app(&self) -> AppSettings {
        self.with(|st| st.settings.app.clone())
    }

    /// Who the consent signs in as (id, email or handle); `None`: the primary user.
    pub fn set_consent_user(&self, user: Option<&str>) -> Result<(), String> {
        let id = user.map(|u| self.user_id(u)).transpose()?;
        self.with(|st| st.settings.consent_user = id);
        Ok(())
    }

    /// Scopes the consent grants whatever the app asked (`None`: what it asked), so a test can
    /// produce `missing_scope`.
    pub fn set_granted_scopes(&self, granted: Option<Vec<String>>) -> Result<(), String> {
        if let Some(bad) = granted.iter().flatten().find(|s| !scopes::is_user_scope(s)) {
            return Err(format!("unknown user scope {bad}"));
        }
        self.with(|st| st.settings.granted_scopes = granted);
        Ok(())
    }

    /// Tokens for a seeded user without the browser round trip (a teammate who replies, or an
    /// account that only needs to be signed in). They behave exactly like oauth.v2.access's.
    pub fn mint_tokens(&self, user: &str, scope_list: &[&str]) -> Result<MintedTokens, String> {
        let user_id = self.user_id(user)?;
        if let Some(bad) = scope_list.iter().find(|s| !scopes::is_user_scope(s)) {
            return Err(format!("unknown user scope {bad}"));
        }
        let granted = scope_list.iter().map(|s| s.to_string()).collect();
        let (access_token, refresh_token, expires_in) =
            self.with(|st| oauth::issue(st, &user_id, granted));
        Ok(MintedTokens {
            access_token,
            refresh_token,
            expires_in: expires_in.map(Duration::from_secs),
            user_id,
        })
    }

    /// Refresh tokens that would still work, optionally for one user.
    pub fn live_refresh_tokens(&self, user: Option<&str>) -> usize {
        let user = user.and_then(|u| self.with(|st| find_user(st, u)));
        let now = Instant::now();
        self.with(|st| {
            st.oauth
                .refresh
                .values()
                .filter(|r| r.expires.is_none_or(|e| e > now))
                .filter(|r| {
                    st.oauth
                        .grants
                        .get(&r.grant)
                        .is_some_and(|g| !g.revoked && user.as_ref().is_none_or(|u| g.user == *u))
                })
                .count()
        })
    }

    /// Every request so far (admin requests aside), oldest first.
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.with(|st| st.log.clone())
    }

    pub fn clear_request_log(&self) {
        self.with(|st| st.log.clear());
    }

    /// Stops (`None`) or redirects the JSON-lines log file (initially
    /// `$CHATKEY_SLACK_EMULATOR_REQUEST_LOG`). Tests that send invalid requests on purpose
    /// turn it off, so the suite-wide check sees only client traffic.
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

    /// Web API calls per method (answered or refused).
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.with(|st| st.calls.clone())
    }

    pub fn calls_of(&self, method: &str) -> u64 {
        self.with(|st| st.calls.get(method).copied().unwrap_or(0))
    }

    /// The seeded messages tests can name (their ts depend on the start time).
    pub fn seed_refs(&self) -> SeedRefs {
        self.emu.refs.clone()
    }

    /// Adds `channels` public channels of `messages` messages each (the signed-in user is a
    /// member), written by a pool of generated people. Returns the new channel ids.
    pub fn add_bulk_channels(
        &self,
        channels: usize,
        messages: usize,
    ) -> Result<Vec<String>, String> {
        self.with(|st| bulk::add(&mut st.ws, channels, messages))
    }

    /// Restores every setting to its start value and clears failures, log, counters and rate
    /// windows (workspace data and tokens are kept).
    pub fn reset(&self) {
        self.with(|st| {
            st.settings = self.emu.default_settings.clone();
            st.log.clear();
            st.calls.clear();
            st.rate_windows.clear();
        });
    }

    pub fn settings(&self) -> KnobSettings {
        self.with(|st| {
            let s = &st.settings;
            KnobSettings {
                app: s.app.clone(),
                access_token_lifetime_secs: s.access_token_lifetime.as_secs_f64(),
                refresh_token_lifetime_secs: s.refresh_token_lifetime.map(|d| d.as_secs_f64()),
                consent_user: s.consent_user.clone(),
                granted_scopes: s.granted_scopes.clone(),
                latency_ms: s.latency.as_millis() as u64,
                method_latency_ms: s
                    .method_latency
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_millis() as u64))
                    .collect(),
                failures: s.failures.clone(),
                rate_limit_scale: s.rate_limit_scale,
                marketplace_restricted: s.marketplace_restricted,
                short_pages: s.short_pages,
            }
        })
    }
}
