//! Slack behind the `Provider` trait: a user-token OAuth client (PKCE, `user_scope`, the
//! registered loopback port), who signed in, revocation, `setup` (and the manifest), and
//! `import --token-stdin` for an existing long-lived user token.

use std::sync::Arc;

use anyhow::Context as _;
use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};

use super::config::{self, DEFAULT_REDIRECT_PORT, SETUP_HINT, section};
use super::{manifest, signin};
use crate::config::{Config, ConfigError};
use crate::oauth::{self, OAuthClientConfig, Redirect, RedirectHost, ScopeParam, TokenResponse};
use crate::paths::Paths;
use crate::providers::{
    DemoTour, Identity, ImportSource, Imported, Provider, ProviderEnv, ProviderId, RunningEmulator,
    SetupRequest,
};
use crate::tokens::{AccountRecord, SecretKind};
use crate::tools::{ToolDef, bind_all};

pub struct Slack;

impl Provider for Slack {
    fn id(&self) -> ProviderId {
        ProviderId::Slack
    }

    fn is_configured(&self, config: &Config) -> bool {
        config.providers.slack.is_some()
    }

    fn setup_hint(&self) -> &'static str {
        SETUP_HINT
    }

    fn oauth_client(&self, config: &Config) -> Result<OAuthClientConfig, ConfigError> {
        let slack = section(config)?;
        let endpoints = slack.endpoints();
        Ok(OAuthClientConfig {
            client_id: slack.client_id.clone(),
            client_secret: slack.client_secret.clone(),
            auth_url: slack.auth_url.clone(),
            token_url: endpoints.token_url(),
            // Slack revokes with `auth.revoke` and a bearer token, not an RFC 7009 endpoint.
            revoke_url: None,
            scopes: slack.scopes(),
            extra_auth_params: Vec::new(),
            // Slack matches redirect URIs exactly, so the port is the one registered in the app.
            redirect: Redirect {
                host: RedirectHost::Localhost,
                port: Some(slack.redirect_port),
                path: "/callback",
            },
            scope_param: ScopeParam::Named {
                name: "user_scope",
                separator: ",",
            },
            token_dialect: Some(signin::token_dialect),
        })
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
        "turn on token rotation for the app (api.slack.com/apps → your app → OAuth & Permissions → Advanced token security), then run `chatkey login slack` again".into()
    }

    fn revoke<'a>(
        &'a self,
        http: &'a reqwest::Client,
        config: &'a Config,
        record: &'a AccountRecord,
        secret: &'a SecretString,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let slack = section(config).map_err(|e| e.to_string())?;
            let endpoints = slack.endpoints();
            let access = match record.secret_kind {
                SecretKind::LongLived => secret.clone(),
                // auth.revoke takes an access token: get one with the refresh token first.
                SecretKind::RefreshToken => {
                    let client = self.oauth_client(config).map_err(|e| e.to_string())?;
                    match oauth::refresh(&client, http, secret).await {
                        Ok(tokens) => tokens.access_token,
                        // Already dead at Slack: nothing is left to revoke.
                        Err(oauth::OAuthError::InvalidGrant { .. }) => return Ok(()),
                        Err(e) => {
                            return Err(format!(
                                "{e}; remove chatkey in Slack under Settings & administration → Manage apps to be sure"
                            ));
                        }
                    }
                }
            };
            signin::revoke(http, &endpoints, &access).await
        })
    }

    fn default_account(&self, config: &Config) -> Option<String> {
        config.providers.slack.as_ref()?.default_account.clone()
    }

    fn tools(&self, env: &Arc<ProviderEnv>) -> Vec<ToolDef> {
        let ctx = Arc::new(super::Context::new(env.clone()));
        bind_all(super::tools::all(), &ctx)
    }

    fn instructions(&self) -> &'static str {
        "Slack: a conversation is a `channel` (an id like C…, G…, D…, or a name like #eng); a message is {channel, ts}."
    }

    fn setup<'a>(
        &'a self,
        paths: &'a Paths,
        request: &'a SetupRequest,
    ) -> BoxFuture<'a, anyhow::Result<String>> {
        Box::pin(async move {
            let port = request.redirect_port.unwrap_or(DEFAULT_REDIRECT_PORT);
            anyhow::ensure!(
                port >= 1024,
                "--redirect-port {port} is a privileged port; pick one from 1024 to 65535"
            );
            if request.print_manifest {
                let scopes: Vec<String> = super::DEFAULT_USER_SCOPES
                    .iter()
                    .map(|(s, _)| s.to_string())
                    .collect();
                return Ok(manifest::instructions(port, &scopes));
            }
            let client_id = request.client_id.as_deref().map(str::trim).context(
                "slack needs --client-id ID: create the app from `chatkey setup slack --print-manifest`, then copy its Client ID (Basic Information → App Credentials)",
            )?;
            anyhow::ensure!(
                is_client_id(client_id),
                "`{client_id}` does not look like a Slack Client ID (digits, a dot, digits: e.g. 1234567890.1234567890); copy it from Basic Information → App Credentials"
            );
            let config_file = paths.config_file();
            config::save_app(&config_file, client_id, port)?;
            Ok(format!(
                "Saved the Slack app {client_id} (redirect http://localhost:{port}/callback) to {}\nNext: chatkey login slack",
                config_file.display()
            ))
        })
    }

    fn import<'a>(
        &'a self,
        paths: &'a Paths,
        source: ImportSource<'a>,
    ) -> BoxFuture<'a, anyhow::Result<Imported>> {
        Box::pin(async move {
            let ImportSource::Token(token) = source else {
                anyhow::bail!(
                    "slack imports a user token from standard input: `chatkey import slack --token-stdin < token.txt`"
                );
            };
            let text = token.expose_secret();
            anyhow::ensure!(
                text.starts_with("xoxp-") || text.starts_with("xoxe.xoxp-"),
                "that is not a Slack user token (they start with xoxp-); chatkey acts as you, so bot (xoxb-) and app (xapp-) tokens do not work"
            );
            anyhow::ensure!(
                !text.starts_with("xoxe."),
                "that is a rotating access token, which dies within 12 hours; sign in with `chatkey login slack` instead"
            );
            let config = Config::load(&paths.config_file())?;
            // Importing needs no app of ours; default endpoints unless a section overrides them.
            let endpoints = config
                .providers
                .slack
                .as_ref()
                .map(|s| s.endpoints())
                .unwrap_or_default();
            let identity = signin::whoami(&crate::http::client(), &endpoints, &token)
                .await
                .context("the token was checked with Slack's auth.test and did not work")?;
            Ok(Imported {
                identity,
                secret: token,
                secret_kind: SecretKind::LongLived,
                scopes: Vec::new(),
            })
        })
    }

    fn demo_tour(&self) -> Option<DemoTour> {
        Some(DemoTour {
            list_tool: "slack_list_channels",
            list: "/channels",
            id: "/id",
            label: "/name",
            kind: "/type",
            preferred_kinds: &["public_channel", "private_channel"],
            messages_tool: "slack_list_messages",
            conversation_param: "channel",
            messages: "/messages",
            time: "/time",
            sender: "/sender/name",
            send_tool: "slack_send_message",
            sent_id: "/ts",
        })
    }

    fn start_emulator(
        &self,
        port: u16,
        auto_consent: bool,
    ) -> BoxFuture<'static, anyhow::Result<Box<dyn RunningEmulator>>> {
        Box::pin(async move {
            // Slack matches redirect URIs exactly, so the throwaway app registers a free port
            // rather than the real default one a person's own sign-in may be using.
            let redirect_port = std::net::TcpListener::bind(("127.0.0.1", 0))
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .context("cannot find a free loopback port for the emulator's redirect")?;
            let handle = super::emulator::start(super::emulator::EmulatorConfig {
                port,
                auto_consent,
                redirect_port,
                ..Default::default()
            })
            .await?;
            Ok(Box::new(handle) as Box<dyn RunningEmulator>)
        })
    }
}

/// Slack Client IDs are two runs of digits joined by a dot.
fn is_client_id(id: &str) -> bool {
    id.split_once('.').is_some_and(|(a, b)| {
        !a.is_empty()
            && !b.is_empty()
            && a.chars().all(|c| c.is_ascii_digit())
            && b.chars().all(|c| c.is_ascii_digit())
    })
}

/// The emulator as the demo and `chatkey emulator` see it.
impl RunningEmulator for super::emulator::EmulatorHandle {
    fn config_toml(&self) -> String {
        super::emulator::EmulatorHandle::config_toml(self)
    }
    fn base_url(&self) -> url::Url {
        super::emulator::EmulatorHandle::base_url(self)
    }
    fn shutdown(self: Box<Self>) -> futures::future::BoxFuture<'static, ()> {
        Box::pin((*self).shutdown())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids() {
        assert!(is_client_id("1234567890.1234567890"));
        assert!(!is_client_id("1234567890"));
        assert!(!is_client_id("abc.def"));
        assert!(!is_client_id("1.2.3"));
    }

    #[test]
    fn the_oauth_client_is_a_public_user_token_client_on_the_registered_port() {
        let c = Config::parse(
            std::path::Path::new("c.toml"),
            "[providers.slack]\nclient_id = \"1.2\"\nredirect_port = 50001\n",
        )
        .unwrap();
        let o = Slack.oauth_client(&c).unwrap();
        assert!(o.client_secret.is_none());
        assert_eq!(
            o.token_url.as_str(),
            "https://slack.com/api/oauth.v2.access"
        );
        assert_eq!(o.redirect.port, Some(50001));
        assert_eq!(o.redirect.path, "/callback");
        assert!(matches!(
            o.scope_param,
            ScopeParam::Named {
                name: "user_scope",
                ..
            }
        ));
        assert!(!o.scopes.iter().any(|s| s.starts_with("bot")));
    }
}
