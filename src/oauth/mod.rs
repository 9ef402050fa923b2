//! OAuth 2.0 for installed apps, provider-neutral (Google is the first user): the consent
//! loop with PKCE and a loopback redirect (RFC 8252), refresh, and revocation.
//!
//! The `oauth2` crate builds the requests and parses the answers; it talks HTTP through our
//! reqwest client (see `http`). Tokens come back as `SecretString`s and are never formatted:
//! `TokenResponse`'s `Debug` is redacted and `OAuthError` never carries one.

mod browser;
mod device;
mod error;
mod http;
mod loopback;

use std::time::Duration;

use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, PkceCodeChallenge, RedirectUrl, RefreshToken, Scope, TokenResponse as _, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

pub use browser::{BrowserOutcome, should_open as should_open_browser};
pub use device::{DeviceCode, device_authorize};
pub use error::OAuthError;
pub use http::HttpError;
pub use loopback::{Redirect, RedirectHost};

use loopback::{Listener, Page};

/// One provider's OAuth client: who we are and where its endpoints are.
#[derive(Debug, Clone)]
pub struct OAuthClientConfig {
    pub client_id: String,
    /// Google requires it even for Desktop clients (where it is not really secret); other
    /// providers' public clients have none.
    pub client_secret: Option<SecretString>,
    pub auth_url: Url,
    pub token_url: Url,
    pub revoke_url: Option<Url>,
    pub scopes: Vec<String>,
    /// Extra authorization-URL parameters; Google: `access_type=offline`, `prompt=consent`
    /// (without them Google issues no refresh token on a repeat sign-in).
    pub extra_auth_params: Vec<(String, String)>,
    /// Where the provider sends the browser back.
    pub redirect: Redirect,
    /// How the scopes travel in the authorization URL.
    pub scope_param: ScopeParam,
    /// Rewrites a provider's non-standard token answer into RFC 6749's shape before it is
    /// read (Slack nests a user token under `authed_user` and reports errors as HTTP 200).
    pub token_dialect: Option<TokenDialect>,
}

/// How scopes are sent in the authorization request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeParam {
    /// RFC 6749: `scope`, space-separated.
    Standard,
    /// A provider's own parameter, e.g. Slack's `user_scope`, comma-separated.
    Named {
        name: &'static str,
        separator: &'static str,
    },
}

/// `(status, body)` of a token-endpoint answer in, the RFC 6749 equivalent out; `None`
/// leaves the answer as it is.
pub type TokenDialect = fn(u16, &[u8]) -> Option<(u16, Vec<u8>)>;

/// What the token endpoint returned. `Debug` shows no token.
#[derive(Debug, Clone)]
pub struct TokenResponse {
    pub access_token: SecretString,
    /// Absent on most refreshes (Google); present when a provider rotates it.
    pub refresh_token: Option<SecretString>,
    pub expires_in: Option<Duration>,
    /// The scopes actually granted, when the provider says (the person may untick some).
    pub scopes: Option<Vec<String>>,
}

#[derive(Debug, Clone)]
pub struct AuthorizeOptions {
    /// Try to open the URL in a browser (also subject to `CHATKEY_NO_BROWSER` and a
    /// graphical session being present).
    pub open_browser: bool,
    /// How long to wait for the browser to come back.
    pub timeout: Duration,
    /// Pre-selects an account on the consent screen (`login_hint`).
    pub login_hint: Option<String>,
}

impl Default for AuthorizeOptions {
    fn default() -> Self {
        Self {
            open_browser: true,
            timeout: Duration::from_secs(5 * 60),
            login_hint: None,
        }
    }
}

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

fn client(cfg: &OAuthClientConfig) -> Client {
    let mut client = BasicClient::new(ClientId::new(cfg.client_id.clone()))
        .set_auth_uri(AuthUrl::from_url(cfg.auth_url.clone()))
        .set_token_uri(TokenUrl::from_url(cfg.token_url.clone()))
        // Google documents the secret in the form body; Basic auth also works there but
        // other providers' public clients only accept the body form.
        .set_auth_type(AuthType::RequestBody);
    if let Some(secret) = &cfg.client_secret {
        client = client.set_client_secret(ClientSecret::new(secret.expose_secret().to_owned()));
    }
    client
}

/// Runs the whole consent loop: PKCE (S256) verifier and challenge, a random `state`, a
/// loopback listener (ephemeral port unless the provider registered one) that exists only
/// during this call, the authorization URL handed to `on_url` (the caller prints it) and
/// opened in a browser when allowed, then the redirect: `state` checked in constant time, the
/// code exchanged with the client secret (if any) and the PKCE verifier.
///
/// A redirect with a missing or wrong `state` is answered with an error page and ignored:
/// the sign-in keeps waiting for the genuine one until `opts.timeout`, so a stray or forged
/// request can neither complete nor cancel a sign-in.
pub async fn authorize(
    cfg: &OAuthClientConfig,
    http: &reqwest::Client,
    opts: AuthorizeOptions,
    on_url: impl FnOnce(&Url) + Send,
) -> Result<TokenResponse, OAuthError> {
    let mut listener = Listener::bind(cfg.redirect).await?;
    let redirect = RedirectUrl::from_url(listener.redirect_uri());
    let client = client(cfg).set_redirect_uri(redirect);

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(CsrfToken::new_random)
        .set_pkce_challenge(challenge);
    match cfg.scope_param {
        ScopeParam::Standard => {
            request = request.add_scopes(cfg.scopes.iter().cloned().map(Scope::new));
        }
        ScopeParam::Named { name, separator } => {
            request = request.add_extra_param(name, cfg.scopes.join(separator));
        }
    }
    for (name, value) in &cfg.extra_auth_params {
        request = request.add_extra_param(name.clone(), value.clone());
    }
    if let Some(hint) = &opts.login_hint {
        request = request.add_extra_param("login_hint", hint.clone());
    }
    let (url, state) = request.url();

    on_url(&url);
    browser::open(&url, opts.open_browser);

    let deadline = tokio::time::Instant::now() + opts.timeout;
    let mut ignored = 0;
    let callback = loop {
        match tokio::time::timeout_at(deadline, listener.next_callback()).await {
            Ok(Some(callback)) => {
                let params = &callback.params;
                let genuine = !params.duplicated
                    && params.state.as_deref().is_some_and(|got| {
                        constant_time_eq(got.as_bytes(), state.secret().as_bytes())
                    });
                if genuine {
                    break callback;
                }
                ignored += 1;
                tracing::warn!(
                    ignored,
                    "a sign-in redirect with a missing or foreign state was ignored"
                );
                callback.respond(Page::Foreign);
            }
            Ok(None) => {
                return Err(OAuthError::Listener(std::io::Error::other(
                    "the listener stopped before the browser came back",
                )));
            }
            Err(_) => {
                listener.shutdown().await;
                return Err(OAuthError::TimedOut {
                    after: opts.timeout,
                    ignored,
                });
            }
        }
    };

    let params = &callback.params;
    let checked = if let Some(error) = &params.error {
        if error == "access_denied" {
            Err(OAuthError::AccessDenied)
        } else {
            Err(OAuthError::ProviderError {
                error: error::sanitize(error),
                description: params.error_description.as_deref().map(error::sanitize),
            })
        }
    } else {
        params.code.clone().ok_or(OAuthError::MissingCode)
    };

    let result = match checked {
        Ok(code) => client
            .exchange_code(AuthorizationCode::new(code.expose_secret().to_owned()))
            .set_pkce_verifier(verifier)
            .request_async(&http::OAuthHttp(http, cfg.token_dialect))
            .await
            .map(convert)
            .map_err(error::from_token_error),
        Err(e) => Err(e),
    };

    let page = match &result {
        Ok(_) => Page::SignedIn,
        Err(OAuthError::AccessDenied) => Page::Cancelled,
        Err(e) => Page::Failed(format!(
            "{}. Details are in the terminal or the chatkey menu.",
            first_clause(e)
        )),
    };
    callback.respond(page);
    listener.shutdown().await;
    result
}

/// Exchanges a refresh token for a new access token (and, with rotating providers, a new
/// refresh token the caller must persist before using the access token).
pub async fn refresh(
    cfg: &OAuthClientConfig,
    http: &reqwest::Client,
    refresh_token: &SecretString,
) -> Result<TokenResponse, OAuthError> {
    let token = RefreshToken::new(refresh_token.expose_secret().to_owned());
    client(cfg)
        .exchange_refresh_token(&token)
        .request_async(&http::OAuthHttp(http, cfg.token_dialect))
        .await
        .map(convert)
        .map_err(error::from_token_error)
}

/// Revokes a token at the provider (Google: `POST revoke_url` with form `token=…`; revoking
/// a refresh token also ends its access tokens). A token the provider already considers
/// invalid gives `InvalidGrant`: nothing is left to revoke. With no `revoke_url` configured
/// there is nothing to call and this succeeds.
pub async fn revoke(
    cfg: &OAuthClientConfig,
    http: &reqwest::Client,
    token: &SecretString,
) -> Result<(), OAuthError> {
    let Some(url) = &cfg.revoke_url else {
        tracing::warn!(
            "no revocation endpoint is configured; the token was not revoked at the provider"
        );
        return Ok(());
    };
    let request = http
        .post(url.clone())
        .form(&[("token", token.expose_secret())])
        .build()
        .map_err(|e| HttpError::Network(e).into_oauth_error())?;
    let (status, _headers, body) = http::send(http, request)
        .await
        .map_err(HttpError::into_oauth_error)?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(error::from_revocation_body(&body))
    }
}

fn convert(response: oauth2::basic::BasicTokenResponse) -> TokenResponse {
    TokenResponse {
        access_token: SecretString::from(response.access_token().secret().to_owned()),
        refresh_token: response
            .refresh_token()
            .map(|t| SecretString::from(t.secret().to_owned())),
        expires_in: response.expires_in(),
        scopes: response
            .scopes()
            .map(|s| s.iter().map(|s| s.to_string()).collect()),
    }
}

/// Compares without an early exit, so the time taken does not reveal how much of a guessed
/// `state` was right. The length is not secret.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The part of an error message before the advice, capitalised, for the browser page.
fn first_clause(e: &OAuthError) -> String {
    let text = e.to_string();
    let clause = text.split(';').next().unwrap_or(&text).trim();
    let mut chars = clause.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests;
