//! Who signed in (`/me`), and what Microsoft's refusals mean for the person.
//!
//! Entra's token errors carry an AADSTS code in `error_description`
//! ("AADSTS700082: The refresh token has expired due to inactivity…"); `explain` turns the
//! codes a refresh meets into a reason the person can act on. Microsoft gives apps no way
//! to revoke their own sign-in, so `no_revocation` says where the person removes chatkey's
//! access by hand.

use secrecy::{ExposeSecret, SecretString};

use super::config::TeamsEndpoints;
use super::models::User;
use crate::providers::Identity;

/// Names the person from Graph's `/me`: their email (`mail`, or the sign-in name when the
/// mailbox has none), display name and object id.
pub async fn whoami(
    http: &reqwest::Client,
    endpoints: &TeamsEndpoints,
    access_token: &SecretString,
) -> anyhow::Result<Identity> {
    let url = endpoints.graph(&["me"]);
    let response = http
        .get(url)
        .query(&[("$select", "id,displayName,mail,userPrincipalName")])
        .bearer_auth(access_token.expose_secret())
        .send()
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "could not ask Microsoft Graph who signed in ({}); check the network and try again",
                e.without_url()
            )
        })?;
    let status = response.status();
    anyhow::ensure!(
        status.is_success(),
        "Microsoft Graph would not say who signed in (HTTP {}); make sure the app registration has the User.Read permission, then run `chatkey login teams` again",
        status.as_u16()
    );
    let me: User = response.json().await.map_err(|e| {
        anyhow::anyhow!("Microsoft Graph's answer to /me could not be read ({e}); check `graph_url` in config.toml")
    })?;
    let email = me
        .mail
        .filter(|m| !m.is_empty())
        .or(me.user_principal_name)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| {
            anyhow::anyhow!("Microsoft Graph named no email or sign-in name for this account; sign in with a work or school account")
        })?;
    Ok(Identity {
        email: email.to_lowercase(),
        display_name: me.display_name,
        user_id: Some(me.id),
        aliases: Vec::new(),
    })
}

/// The AADSTS code in an Entra error description, if any.
pub fn aadsts_code(description: &str) -> Option<u32> {
    let at = description.find("AADSTS")?;
    let digits: String = description[at + 6..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Why Microsoft refused the refresh token, in words the person can act on.
pub fn explain(description: &str) -> String {
    let reason = match aadsts_code(description) {
        Some(50173 | 50133 | 50132) => {
            "your password was changed or reset, or an administrator ended your sessions"
        }
        Some(700082 | 70008 | 70043) => {
            "the sign-in expired: it went unused for too long, or your organisation limits how long a sign-in lasts"
        }
        Some(50057) => "your account is disabled; ask your Microsoft 365 administrator",
        Some(50034 | 50053 | 530032) => {
            "your account was removed, locked or blocked; ask your Microsoft 365 administrator"
        }
        Some(65001 | 65004) => {
            "chatkey's permissions are no longer granted (consent was withdrawn or never given); sign in again and accept them, or ask your administrator to consent"
        }
        Some(50076 | 50079 | 50078) => {
            "your organisation now requires multi-factor authentication for chatkey"
        }
        Some(53003 | 530003 | 53000) => {
            "your organisation's Conditional Access policy blocked the sign-in (for example an unmanaged device); ask your Microsoft 365 administrator"
        }
        Some(700016 | 7000218) => {
            "the app registration in config.toml is missing or is not a public client; check `client_id` and turn on \"Allow public client flows\""
        }
        _ => return first_sentence(description),
    };
    match aadsts_code(description) {
        Some(code) => format!("{reason} (AADSTS{code})"),
        None => reason.to_owned(),
    }
}

/// Entra's descriptions run on with trace and correlation ids; the first sentence is the news.
fn first_sentence(description: &str) -> String {
    let line = description.lines().next().unwrap_or(description).trim();
    line.split_inclusive(". ")
        .next()
        .unwrap_or(line)
        .trim()
        .trim_end_matches('.')
        .to_owned()
}

/// Microsoft has no endpoint to revoke an app's sign-in: what logout tells the person.
pub fn no_revocation() -> String {
    "Microsoft lets no app revoke its own sign-in, so chatkey deleted its token from this computer only; to end chatkey's access at Microsoft too, open https://myapps.microsoft.com, find chatkey's app (⋯ → Manage your application → Revoke permissions), or sign out everywhere at https://mysignins.microsoft.com".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aadsts_codes_become_reasons() {
        let d = "AADSTS700082: The refresh token has expired due to inactivity. The token was issued on 2026-01-01.\r\nTrace ID: 1\r\nCorrelation ID: 2";
        assert_eq!(aadsts_code(d), Some(700082));
        assert!(
            explain(d).contains("unused") && explain(d).ends_with("(AADSTS700082)"),
            "{}",
            explain(d)
        );
        assert!(
            explain("AADSTS50173: The provided grant has expired due to it being revoked")
                .contains("password")
        );
        assert!(
            explain("AADSTS65001: The user or administrator has not consented").contains("consent")
        );
        assert_eq!(
            explain("AADSTS99999: Something new happened. Trace ID: x\r\nmore"),
            "AADSTS99999: Something new happened"
        );
        assert_eq!(aadsts_code("no code"), None);
    }
}
