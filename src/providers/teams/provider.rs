//! Microsoft Teams behind the `Provider` trait: an Entra public client (authorization code +
//! PKCE on `http://localhost` with an ephemeral port, which Entra accepts for loopback), who
//! signed in (`/me`), AADSTS reasons for a refused refresh, logout without a revocation
//! endpoint, and `setup`.

use std::sync::Arc;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use secrecy::SecretString;

use super::config::{self, DEFAULT_TENANT, SETUP_HINT, section};
use super::signin;
use crate::config::{Config, ConfigError};
use crate::oauth::{OAuthClientConfig, Redirect, RedirectHost, ScopeParam, TokenResponse};
use crate::paths::Paths;
use crate::providers::{
    DemoTour, Identity, Provider, ProviderEnv, ProviderId, RunningEmulator, SetupRequest,
};
use crate::tokens::AccountRecord;
use crate::tools::{ToolDef, bind_all};

pub struct Teams;

impl Provider for Teams {
    fn id(&self) -> ProviderId {
        ProviderId::Teams
    }

    fn is_configured(&self, config: &Config) -> bool {
        config.providers.teams.is_some()
    }

    fn setup_hint(&self) -> &'static str {
        SETUP_HINT
    }

    fn oauth_client(&self, config: &Config) -> Result<OAuthClientConfig, ConfigError> {
        let teams = section(config)?;
        let endpoints = teams.endpoints();
        Ok(OAuthClientConfig {
            client_id: teams.client_id.clone(),
            // A public client: Entra refuses a secret from one, and PKCE protects the code.
            client_secret: None,
            auth_url: endpoints.authorize_url(),
            token_url: endpoints.token_url(),
            revoke_url: None,
            scopes: teams.scopes(),
            // The account picker, so a person with several work accounts chooses.
            extra_auth_params: vec![("prompt".into(), "select_account".into())],
            // Entra ignores the port of a localhost redirect, so the ephemeral port works
            // with `http://localhost` registered once.
            redirect: Redirect {
                host: RedirectHost::Localhost,
                port: None,
                path: "/",
            },
            scope_param: ScopeParam::Standard,
            token_dialect: None,
        })
    }

    fn device_code_url(&self, config: &Config) -> Option<url::Url> {
        Some(section(config).ok()?.endpoints().device_code_url())
    }

    fn identify<'a>(
        &'a self,
        http: &'a reqwest::Client,
        config: &'a Config,
        tokens: &'a TokenResponse,
    ) -> BoxFuture<'a, anyhow::Result<Identity>> {
        Box::pin(async move {
            signin::whoami(http, &section(config)?.endpoints(), &tokens.access_token).await
        })
    }

    fn no_refresh_token_advice(&self) -> String {
        "keep `offline_access` in `scopes` in config.toml (chatkey adds it unless removed), then run `chatkey login teams` again".into()
    }

    fn explain_ended_sign_in(
        &self,
        description: &str,
        _record: &AccountRecord,
        _last_refresh: Option<DateTime<Utc>>,
        _now: DateTime<Utc>,
    ) -> String {
        signin::explain(description)
    }

    fn revoke<'a>(
        &'a self,
        _http: &'a reqwest::Client,
        _config: &'a Config,
        _record: &'a AccountRecord,
        _secret: &'a SecretString,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move { Err(signin::no_revocation()) })
    }

    fn default_account(&self, config: &Config) -> Option<String> {
        config.providers.teams.as_ref()?.default_account.clone()
    }

    fn tools(&self, env: &Arc<ProviderEnv>) -> Vec<ToolDef> {
        let ctx = Arc::new(super::Context::new(env.clone()));
        bind_all(super::tools::all(), &ctx)
    }

    fn instructions(&self) -> &'static str {
        "Microsoft Teams: a conversation is a chat {chat: \"19:…\"} or a channel {team, channel} (ids or display names); a message adds `message` (its id). Channel reads need an administrator's consent (ChannelMessage.Read.All); chats work without it."
    }

    fn setup<'a>(
        &'a self,
        paths: &'a Paths,
        request: &'a SetupRequest,
    ) -> BoxFuture<'a, anyhow::Result<String>> {
        Box::pin(async move {
            let client_id = request.client_id.as_deref().map(str::trim).context(
                "teams needs --client-id ID: register an app in Microsoft Entra (README, \"Microsoft Teams\") and copy its Application (client) ID",
            )?;
            anyhow::ensure!(
                config::is_client_id(client_id),
                "`{client_id}` does not look like an Application (client) ID (a GUID like 00000000-0000-0000-0000-000000000000); copy it from the app registration's Overview page"
            );
            let tenant = request
                .tenant
                .as_deref()
                .map(str::trim)
                .unwrap_or(DEFAULT_TENANT);
            anyhow::ensure!(
                config::is_tenant(tenant),
                "`{tenant}` is not a tenant: give `organizations`, your tenant's id (a GUID) or its domain (contoso.onmicrosoft.com)"
            );
            anyhow::ensure!(
                !tenant.eq_ignore_ascii_case("consumers"),
                "Teams needs a work or school account, and `consumers` admits only personal Microsoft accounts; use `organizations` or your tenant"
            );
            let config_file = paths.config_file();
            config::save_app(&config_file, client_id, tenant)?;
            Ok(format!(
                "Saved the Entra app {client_id} (tenant {tenant}) to {}\nNext: chatkey login teams",
                config_file.display()
            ))
        })
    }

    fn demo_tour(&self) -> Option<DemoTour> {
        Some(DemoTour {
            list_tool: "teams_list_chats",
            list: "/chats",
            id: "/id",
            label: "/title",
            kind: "/type",
            preferred_kinds: &["group"],
            messages_tool: "teams_list_messages",
            conversation_param: "chat",
            messages: "/messages",
            time: "/time",
            sender: "/sender/name",
            send_tool: "teams_send_message",
            sent_id: "/id",
        })
    }

    fn start_emulator(
        &self,
        port: u16,
        auto_consent: bool,
    ) -> BoxFuture<'static, anyhow::Result<Box<dyn RunningEmulator>>> {
        Box::pin(async move {
            let handle = super::emulator::start(super::emulator::EmulatorConfig {
                port,
                auto_consent,
                ..Default::default()
            })
            .await?;
            Ok(Box::new(handle) as Box<dyn RunningEmulator>)
        })
    }
}

impl RunningEmulator for super::emulator::EmulatorHandle {
    fn config_toml(&self) -> String {
        super::emulator::EmulatorHandle::config_toml(self)
    }
    fn base_url(&self) -> url::Url {
        super::emulator::EmulatorHandle::base_url(self)
    }
    fn shutdown(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin((*self).shutdown())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oauth_client_is_public_on_an_ephemeral_localhost_port_with_offline_access() {
        let c = Config::parse(
            std::path::Path::new("c.toml"),
            "[providers.teams]\nclient_id = \"0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0\"\ntenant = \"contoso.com\"\n",
        )
        .unwrap();
        let o = Teams.oauth_client(&c).unwrap();
        assert!(o.client_secret.is_none() && o.revoke_url.is_none());
        assert_eq!(
            o.auth_url.as_str(),
            "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/authorize"
        );
        assert_eq!(
            (o.redirect.host, o.redirect.port),
            (RedirectHost::Localhost, None)
        );
        assert!(o.scopes.contains(&"offline_access".to_owned()));
        assert_eq!(o.scope_param, ScopeParam::Standard);
    }
}
