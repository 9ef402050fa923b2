//! Google Chat behind the `Provider` trait: its OAuth client (a Google "Desktop app" client,
//! offline access), who signed in (OpenID userinfo), what an ended sign-in means (Google's
//! 7-day Testing-mode expiry), revocation, `setup` from the downloaded client JSON, and the
//! Python server's `token.json` for `import` / `export`.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use chrono::{DateTime, TimeDelta, Utc};
use futures::future::BoxFuture;
use secrecy::SecretString;

use super::config::{self, SETUP_HINT, section};
use super::{Context, identity, oauth_config, token_json};
use crate::config::{Config, ConfigError};
use crate::oauth::{self, OAuthClientConfig, OAuthError, TokenResponse};
use crate::paths::Paths;
use crate::providers::{
    DemoTour, Identity, ImportSource, Imported, Provider, ProviderEnv, ProviderId, RunningEmulator,
    SetupRequest,
};
use crate::tokens::{AccountRecord, SecretKind};
use crate::tools::{ToolDef, bind_all};

/// Google Chat (and People, for names).
pub struct GoogleChat;

impl Provider for GoogleChat {
    fn id(&self) -> ProviderId {
        ProviderId::GoogleChat
    }

    fn is_configured(&self, config: &Config) -> bool {
        config.providers.google_chat.is_some()
    }

    fn setup_hint(&self) -> &'static str {
        SETUP_HINT
    }

    fn oauth_client(&self, config: &Config) -> Result<OAuthClientConfig, ConfigError> {
        Ok(oauth_config(section(config)?))
    }

    fn identify<'a>(
        &'a self,
        http: &'a reqwest::Client,
        config: &'a Config,
        tokens: &'a TokenResponse,
    ) -> BoxFuture<'a, anyhow::Result<Identity>> {
        Box::pin(async move {
            let google = section(config)?;
            warn_about_ungranted_scopes(&super::scopes(google), tokens.scopes.as_deref());
            identity::whoami(http, &google.endpoints(), &tokens.access_token).await
        })
    }

    fn no_refresh_token_advice(&self) -> String {
        "remove chatkey's access at https://myaccount.google.com/permissions and run `chatkey login google-chat` again".into()
    }

    fn explain_ended_sign_in(
        &self,
        description: &str,
        record: &AccountRecord,
        last_refresh: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> String {
        testing_mode_reason(description, record.signed_in_at, last_refresh, now)
    }

    fn revoke<'a>(
        &'a self,
        http: &'a reqwest::Client,
        config: &'a Config,
        _record: &'a AccountRecord,
        secret: &'a SecretString,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let client = self.oauth_client(config).map_err(|e| e.to_string())?;
            match oauth::revoke(&client, http, secret).await {
                // Already revoked or expired at Google: the goal is reached.
                Ok(()) | Err(OAuthError::InvalidGrant { .. }) => Ok(()),
                Err(e) => Err(format!(
                    "{e}; remove chatkey's access at https://myaccount.google.com/permissions to be sure"
                )),
            }
        })
    }

    fn default_account(&self, config: &Config) -> Option<String> {
        config
            .providers
            .google_chat
            .as_ref()?
            .default_account
            .clone()
    }

    fn tools(&self, env: &Arc<ProviderEnv>) -> Vec<ToolDef> {
        let ctx = Arc::new(Context::new(env.clone()));
        bind_all(super::tools::all(), &ctx)
    }

    fn instructions(&self) -> &'static str {
        "Google Chat: start with google_chat_list_spaces to find a space, then read with google_chat_list_messages."
    }

    fn setup<'a>(
        &'a self,
        paths: &'a Paths,
        request: &'a SetupRequest,
    ) -> BoxFuture<'a, anyhow::Result<String>> {
        Box::pin(async move {
            let file = request.client_secret_file.as_deref().context(
                "google-chat needs --client-secret FILE: the JSON of a \"Desktop app\" OAuth client downloaded from Google Cloud Console → Credentials",
            )?;
            let (client_id, secret) = read_client_file(file)?;
            let config_file = paths.config_file();
            config::save_client(&config_file, &client_id, &secret)?;
            Ok(format!(
                "Saved the Google client {client_id} to {}\nNext: chatkey login google-chat",
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
            let ImportSource::TokenJson(file) = source else {
                anyhow::bail!(
                    "google-chat imports a token.json: run `chatkey import google-chat --token-json PATH`"
                );
            };
            let imported = token_json::read(file)?;
            let client_secret = imported.client_secret.clone().context(
                "this token.json has no client_secret; run `chatkey setup google-chat --client-secret FILE` with the client it was made with, then `chatkey login google-chat`",
            )?;
            // The refresh token only works with the client that obtained it.
            let config_path = paths.config_file();
            config::save_client(&config_path, &imported.client_id, &client_secret)?;
            let config = Config::load(&config_path)?;
            let google = section(&config)?;
            let http = crate::http::client();
            let tokens = oauth::refresh(&oauth_config(google), &http, &imported.refresh_token)
                .await
                .map_err(|e| {
                    anyhow::anyhow!("the token in {} does not work: {e}", file.display())
                })?;
            let identity =
                identity::whoami(&http, &google.endpoints(), &tokens.access_token).await?;
            Ok(Imported {
                identity,
                secret: tokens.refresh_token.unwrap_or(imported.refresh_token),
                secret_kind: SecretKind::RefreshToken,
                scopes: tokens.scopes.unwrap_or(imported.scopes),
            })
        })
    }

    fn export_token_json<'a>(
        &'a self,
        config: &'a Config,
        record: &'a AccountRecord,
        secret: SecretString,
        file: &'a Path,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let google = section(config)?;
            let tokens = oauth::refresh(&oauth_config(google), &crate::http::client(), &secret)
                .await
                .map_err(|e| {
                    anyhow::anyhow!("could not get a fresh access token to export: {e}")
                })?;
            let lifetime = tokens
                .expires_in
                .and_then(|d| TimeDelta::from_std(d).ok())
                .unwrap_or(TimeDelta::hours(1));
            let out = token_json::TokenJson {
                token: Some(tokens.access_token),
                refresh_token: tokens.refresh_token.unwrap_or(secret),
                token_uri: google.token_url.to_string(),
                client_id: google.client_id.clone(),
                client_secret: Some(google.client_secret.clone()),
                scopes: record.scopes.clone(),
                expiry: Some(Utc::now() + lifetime),
            };
            token_json::write(file, &out)?;
            Ok(())
        })
    }

    fn demo_tour(&self) -> Option<DemoTour> {
        Some(DemoTour {
            list_tool: "google_chat_list_spaces",
            list: "/spaces",
            id: "/name",
            label: "/display_name",
            kind: "/type",
            preferred_kinds: &["space"],
            messages_tool: "google_chat_list_messages",
            conversation_param: "space",
            messages: "/messages",
            time: "/create_time",
            sender: "/sender/display_name",
            send_tool: "google_chat_send_message",
            sent_id: "/name",
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

/// Says which requested Google permissions the person left unticked on the consent screen;
/// the tools that need them will say so too, but this is the moment to fix it.
fn warn_about_ungranted_scopes(requested: &[String], granted: Option<&[String]>) {
    let Some(granted) = granted else { return };
    let missing: Vec<_> = requested
        .iter()
        .filter(|s| !granted.contains(s) && s.starts_with("https://"))
        .map(|s| s.trim_start_matches("https://www.googleapis.com/auth/"))
        .collect();
    if !missing.is_empty() {
        tracing::warn!(?missing, "some requested access was not granted");
        eprintln!(
            "warning: Google did not grant {} of the requested permissions ({}); tools that need them will say so. Run `chatkey login google-chat` again and tick every box to grant them",
            missing.len(),
            missing.join(", ")
        );
    }
}

/// Google ends sign-ins of OAuth apps in "Testing" status 7 days after consent. A token that
/// died about then (and never worked past it) was most likely that, and the person can stop
/// it happening again by publishing the app.
pub fn testing_mode_reason(
    description: &str,
    signed_in_at: DateTime<Utc>,
    last_refresh: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> String {
    let seven_days = signed_in_at + TimeDelta::days(7);
    let near_seven_days = now >= seven_days - TimeDelta::hours(2);
    let worked_past_it = last_refresh.is_some_and(|t| t > seven_days + TimeDelta::hours(1));
    if near_seven_days && !worked_past_it {
        format!(
            "{description}; this happened about 7 days after you signed in, which is when Google ends sign-ins \
             for OAuth apps whose publishing status is \"Testing\": to stop it, open Google Cloud console > \
             Google Auth Platform (APIs & Services) > Audience (OAuth consent screen), click \"Publish app\", \
             then sign in again"
        )
    } else {
        description.to_owned()
    }
}

/// Google's downloaded client JSON: `{"installed": {"client_id": …, "client_secret": …}}`.
#[derive(serde::Deserialize)]
struct ClientFile {
    installed: Option<ClientSection>,
    web: Option<serde_json::Value>,
}

#[derive(serde::Deserialize)]
struct ClientSection {
    client_id: String,
    client_secret: Option<String>,
}

fn read_client_file(file: &Path) -> anyhow::Result<(String, SecretString)> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("failed to read {}", file.display()))?;
    let parsed: ClientFile = serde_json::from_str(&text).map_err(|_| {
        anyhow::anyhow!(
            "{} is not a Google OAuth client JSON file; download it from Google Cloud Console → Credentials → your Desktop OAuth client → Download JSON",
            file.display()
        )
    })?;
    let client = match (parsed.installed, parsed.web) {
        (Some(s), _) => s,
        (None, Some(_)) => anyhow::bail!(
            "{} is a \"Web application\" client; chatkey needs a \"Desktop app\" client: create one in Google Cloud Console → Credentials → Create credentials → OAuth client ID → Desktop app",
            file.display()
        ),
        (None, None) => anyhow::bail!(
            "{} has no \"installed\" section; download the JSON of a \"Desktop app\" OAuth client",
            file.display()
        ),
    };
    let secret = client
        .client_secret
        .filter(|s| !s.is_empty())
        .with_context(|| format!("{} has no client_secret", file.display()))?;
    anyhow::ensure!(
        !client.client_id.trim().is_empty(),
        "{} has an empty client_id",
        file.display()
    );
    Ok((client.client_id, SecretString::from(secret)))
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

    fn at(days: i64, hours: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            + TimeDelta::days(days)
            + TimeDelta::hours(hours)
    }

    #[test]
    fn seven_days_after_sign_in_explains_testing_mode_and_publishing() {
        let reason = testing_mode_reason(
            "Token has been expired or revoked.",
            at(0, 0),
            Some(at(6, 23)),
            at(7, 1),
        );
        assert!(reason.starts_with("Token has been expired or revoked."));
        assert!(reason.contains("7 days"), "{reason}");
        assert!(reason.contains("\"Testing\""), "{reason}");
        assert!(reason.contains("Publish app"), "{reason}");
    }

    #[test]
    fn other_revocations_do_not_blame_testing_mode() {
        // Two days in: a revocation or password change, not Testing-mode expiry.
        let early = testing_mode_reason(
            "Token has been expired or revoked.",
            at(0, 0),
            None,
            at(2, 0),
        );
        assert_eq!(early, "Token has been expired or revoked.");
        // Kept working well past day 7: the app is published; something else ended it.
        let later = testing_mode_reason(
            "Token has been expired or revoked.",
            at(0, 0),
            Some(at(9, 0)),
            at(9, 1),
        );
        assert_eq!(later, "Token has been expired or revoked.");
    }
}
