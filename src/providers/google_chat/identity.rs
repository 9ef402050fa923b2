//! Who signed in: the OpenID Connect userinfo call made right after consent, which gives the
//! account's email (the account's name in chatkey) and the id Chat uses for them.

use secrecy::{ExposeSecret, SecretString};

use super::endpoints::GoogleEndpoints;
use super::models::UserInfo;
use crate::http::{RetryPolicy, send_with_retry};
use crate::providers::Identity;

pub async fn whoami(
    http: &reqwest::Client,
    endpoints: &GoogleEndpoints,
    access_token: &SecretString,
) -> anyhow::Result<Identity> {
    let response = send_with_retry(&RetryPolicy::default(), true, || {
        http.get(endpoints.userinfo_url.clone())
            .bearer_auth(access_token.expose_secret())
    })
    .await
    .map_err(|e| anyhow::anyhow!("could not ask Google who signed in: {e}"))?;
    let status = response.status();
    if !status.is_success() {
        anyhow::bail!(
            "Google's userinfo endpoint answered {status}; check `userinfo_url` in config.toml and that the `openid` and `email` scopes were granted"
        );
    }
    let info: UserInfo = response
        .json()
        .await
        .map_err(|e| anyhow::anyhow!("Google's userinfo answer could not be read: {e}"))?;
    let id = if info.sub.is_empty() {
        info.id.unwrap_or_default()
    } else {
        info.sub
    };
    let email = info.email.filter(|e| !e.is_empty()).ok_or_else(|| {
        anyhow::anyhow!(
            "Google did not say which email signed in; grant the `email` scope and sign in again"
        )
    })?;
    if id.is_empty() {
        anyhow::bail!("Google did not return an account id; sign in again");
    }
    Ok(Identity {
        email,
        display_name: info.name.filter(|n| !n.is_empty()),
        // Google Chat names a person `users/{id}` by their Google account id.
        user_id: Some(format!("users/{id}")),
        aliases: Vec::new(),
    })
}
