//! Signing in to Slack as the person: reading `oauth.v2.access` answers (a user token sits
//! under `authed_user` on the first exchange, at the top on a refresh; errors come as HTTP 200
//! `{"ok":false}`), who signed in (`auth.test`, then `users.info` for the email), and
//! revocation (`auth.revoke`).

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};

use super::endpoints::SlackEndpoints;
use crate::http::{RetryPolicy, send_with_retry};
use crate::providers::Identity;

/// `oauth::TokenDialect` for Slack: rewrites `oauth.v2.access` answers into RFC 6749's shape.
/// A dead refresh token (`invalid_refresh_token`, `invalid_grant`, at HTTP 200 or 400)
/// becomes `invalid_grant`, which the core turns into "needs sign-in".
pub fn token_dialect(status: u16, body: &[u8]) -> Option<(u16, Vec<u8>)> {
    let answer: Value = serde_json::from_slice(body).ok()?;
    let object = answer.as_object()?;
    match object.get("ok").and_then(Value::as_bool) {
        Some(true) => {
            // A refresh answers at the top level; the first exchange of a user-token-only
            // install nests the token under `authed_user` (no bot token at the top).
            let token = if object.contains_key("access_token") {
                object
            } else {
                object.get("authed_user")?.as_object()?
            };
            let mut standard = serde_json::Map::new();
            for key in ["access_token", "refresh_token", "expires_in"] {
                if let Some(v) = token.get(key) {
                    standard.insert(key.into(), v.clone());
                }
            }
            standard.insert("token_type".into(), json!("bearer"));
            if let Some(scope) = token.get("scope").and_then(Value::as_str) {
                standard.insert("scope".into(), json!(scope.replace(',', " ")));
            }
            Some((200, serde_json::to_vec(&standard).ok()?))
        }
        Some(false) => {
            let error = object
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("unknown_error");
            let (status, standard) = match error {
                "invalid_refresh_token"
                | "invalid_grant"
                | "invalid_code"
                | "code_already_used"
                | "code_expired"
                | "token_revoked"
                | "token_expired" => (400, "invalid_grant"),
                "invalid_client_id" | "bad_client_secret" | "invalid_client" => {
                    (401, "invalid_client")
                }
                "ratelimited" => (429, "temporarily_unavailable"),
                "internal_error" | "fatal_error" | "service_unavailable" | "request_timeout" => {
                    (503, "temporarily_unavailable")
                }
                _ => (400, "invalid_request"),
            };
            let body = json!({"error": standard, "error_description": format!("Slack: {error}")});
            Some((status, serde_json::to_vec(&body).ok()?))
        }
        // Already RFC 6749 (an `error` object at 400, say): leave it.
        None => {
            let _ = status;
            None
        }
    }
}

#[derive(Deserialize)]
struct AuthTest {
    ok: bool,
    error: Option<String>,
    user_id: Option<String>,
    user: Option<String>,
    url: Option<String>,
}

#[derive(Deserialize)]
struct UsersInfo {
    ok: bool,
    error: Option<String>,
    user: Option<SlackUser>,
}

#[derive(Deserialize)]
struct SlackUser {
    real_name: Option<String>,
    profile: Option<Profile>,
}

#[derive(Deserialize)]
struct Profile {
    email: Option<String>,
    display_name: Option<String>,
    real_name: Option<String>,
}

async fn call<T: for<'de> Deserialize<'de>>(
    http: &reqwest::Client,
    endpoints: &SlackEndpoints,
    method: &str,
    token: &SecretString,
    form: &[(&str, &str)],
) -> anyhow::Result<T> {
    let url = endpoints
        .method(method)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let response = send_with_retry(&RetryPolicy::default(), true, || {
        http.post(url.clone())
            .bearer_auth(token.expose_secret())
            .form(form)
    })
    .await
    .map_err(|e| anyhow::anyhow!("could not reach Slack ({method}): {e}"))?;
    let status = response.status();
    anyhow::ensure!(
        status.is_success(),
        "Slack's {method} answered HTTP {status}; check `api_url` under [providers.slack] in config.toml"
    );
    response
        .json()
        .await
        .map_err(|e| anyhow::anyhow!("Slack's {method} answer could not be read: {e}"))
}

/// Who the token belongs to: the person's email (the account's name), their user id, their
/// name, and the workspace's domain as an alias (`account` accepts either).
pub async fn whoami(
    http: &reqwest::Client,
    endpoints: &SlackEndpoints,
    token: &SecretString,
) -> anyhow::Result<Identity> {
    let test: AuthTest = call(http, endpoints, "auth.test", token, &[]).await?;
    if !test.ok {
        anyhow::bail!(
            "Slack refused the token ({}); sign in again with `chatkey login slack`",
            test.error.unwrap_or_default()
        );
    }
    let user_id = test.user_id.filter(|u| !u.is_empty()).ok_or_else(|| {
        anyhow::anyhow!("Slack's auth.test did not say who signed in; sign in again")
    })?;
    let info: UsersInfo = call(http, endpoints, "users.info", token, &[("user", &user_id)]).await?;
    if !info.ok {
        let error = info.error.unwrap_or_default();
        anyhow::bail!(
            "Slack did not tell chatkey who signed in (users.info: {error}); the app needs the user scopes `users:read` and `users:read.email`: add them (see `chatkey setup slack --print-manifest`), reinstall the app, then run `chatkey login slack` again"
        );
    }
    let user = info.user;
    let profile = user.as_ref().and_then(|u| u.profile.as_ref());
    let email = profile
        .and_then(|p| p.email.clone())
        .filter(|e| !e.is_empty())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "Slack did not give chatkey your email; the app needs the user scope `users:read.email`: add it (see `chatkey setup slack --print-manifest`), then run `chatkey login slack` again"
            )
        })?;
    let display_name = profile
        .and_then(|p| p.display_name.clone().filter(|n| !n.is_empty()))
        .or_else(|| profile.and_then(|p| p.real_name.clone()))
        .or_else(|| user.as_ref().and_then(|u| u.real_name.clone()))
        .or(test.user)
        .filter(|n| !n.is_empty());
    let mut aliases = Vec::new();
    if let Some(domain) = test.url.as_deref().and_then(workspace_domain) {
        aliases.push(domain);
    }
    Ok(Identity {
        email,
        display_name,
        user_id: Some(user_id),
        aliases,
    })
}

/// `acme` from `https://acme.slack.com/` (also `acme.enterprise.slack.com`).
pub fn workspace_domain(url: &str) -> Option<String> {
    let host = url::Url::parse(url).ok()?.host_str()?.to_owned();
    let domain = host.strip_suffix(".slack.com").unwrap_or(&host);
    let first = domain.split('.').next()?;
    (!first.is_empty()).then(|| first.to_owned())
}

/// `auth.revoke` with `token`; an already dead token counts as revoked.
pub async fn revoke(
    http: &reqwest::Client,
    endpoints: &SlackEndpoints,
    token: &SecretString,
) -> Result<(), String> {
    #[derive(Deserialize)]
    struct Revoked {
        ok: bool,
        error: Option<String>,
    }
    match call::<Revoked>(http, endpoints, "auth.revoke", token, &[]).await {
        Ok(r) if r.ok => Ok(()),
        Ok(r) => match r.error.as_deref() {
            Some("invalid_auth" | "token_revoked" | "token_expired" | "account_inactive") => Ok(()),
            other => Err(format!(
                "Slack did not revoke the token ({}); remove chatkey in Slack under Settings & administration → Manage apps to be sure",
                other.unwrap_or("no reason given")
            )),
        },
        Err(e) => Err(format!(
            "{e:#}; remove chatkey in Slack under Settings & administration → Manage apps to be sure"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(status: u16, body: &str) -> (u16, Value) {
        let (s, b) = token_dialect(status, body.as_bytes()).expect("rewritten");
        (s, serde_json::from_slice(&b).unwrap())
    }

    #[test]
    fn a_user_token_install_is_read_from_authed_user() {
        let (s, v) = read(
            200,
            r#"{"ok":true,"app_id":"A1","authed_user":{"id":"U1","scope":"chat:write,users:read","access_token":"xoxe.xoxp-1","token_type":"user","refresh_token":"xoxe-1-r","expires_in":43200},"team":{"id":"T1","name":"Acme"},"enterprise":null,"is_enterprise_install":false}"#,
        );
        assert_eq!(s, 200);
        assert_eq!(v["access_token"], "xoxe.xoxp-1");
        assert_eq!(v["refresh_token"], "xoxe-1-r");
        assert_eq!(v["expires_in"], 43200);
        assert_eq!(v["scope"], "chat:write users:read");
        assert_eq!(v["token_type"], "bearer");
    }

    #[test]
    fn a_refresh_is_read_from_the_top_level() {
        let (_, v) = read(
            200,
            r#"{"ok":true,"app_id":"A1","access_token":"xoxe.xoxp-2","token_type":"user","refresh_token":"xoxe-1-r2","expires_in":43200,"scope":"chat:write"}"#,
        );
        assert_eq!(v["access_token"], "xoxe.xoxp-2");
        assert_eq!(v["refresh_token"], "xoxe-1-r2");
    }

    #[test]
    fn dead_refresh_tokens_are_invalid_grant_at_200_or_400() {
        for (status, error) in [
            (200, "invalid_refresh_token"),
            (400, "invalid_grant"),
            (200, "invalid_grant"),
        ] {
            let (s, v) = read(status, &format!(r#"{{"ok":false,"error":"{error}"}}"#));
            assert_eq!(
                (s, v["error"].as_str().unwrap()),
                (400, "invalid_grant"),
                "{error}"
            );
            assert!(v["error_description"].as_str().unwrap().contains(error));
        }
        let (s, v) = read(200, r#"{"ok":false,"error":"bad_client_secret"}"#);
        assert_eq!((s, v["error"].as_str().unwrap()), (401, "invalid_client"));
        let (s, _) = read(200, r#"{"ok":false,"error":"ratelimited"}"#);
        assert_eq!(s, 429);
    }

    #[test]
    fn standard_answers_and_non_json_are_left_alone() {
        assert!(token_dialect(400, br#"{"error":"invalid_grant"}"#).is_none());
        assert!(token_dialect(502, b"<html>").is_none());
    }

    #[test]
    fn workspace_domains() {
        assert_eq!(
            workspace_domain("https://acme.slack.com/").as_deref(),
            Some("acme")
        );
        assert_eq!(
            workspace_domain("https://big.enterprise.slack.com/").as_deref(),
            Some("big")
        );
        assert_eq!(
            workspace_domain("http://127.0.0.1:9/").as_deref(),
            Some("127")
        );
        assert_eq!(workspace_domain("not a url"), None);
    }
}
