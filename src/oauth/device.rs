//! The device authorization grant (RFC 8628) for machines where no browser can reach the
//! loopback listener: ask for a code, show the person where to enter it, then poll the token
//! endpoint no faster than the service's `interval` (slower after `slow_down`) until they
//! finish, decline, or the code expires. The `oauth2` crate runs the polling loop.

use std::time::Duration;

use oauth2::{DeviceAuthorizationUrl, RequestTokenError, Scope};
use oauth2::{
    DeviceCodeErrorResponse, DeviceCodeErrorResponseType, StandardDeviceAuthorizationResponse,
};
use url::Url;

use super::error::{from_basic_error, sanitize};
use super::http::{HttpError, OAuthHttp};
use super::{OAuthClientConfig, OAuthError, TokenResponse, client, convert};

/// What the person needs to finish signing in on another device.
#[derive(Debug, Clone)]
pub struct DeviceCode {
    pub user_code: String,
    pub verification_uri: String,
    /// The page with the code already filled in, when the service offers one.
    pub verification_uri_complete: Option<String>,
    pub expires_in: Duration,
}

/// Runs the whole device flow; `on_code` shows the code (the caller prints it).
pub async fn device_authorize(
    cfg: &OAuthClientConfig,
    http: &reqwest::Client,
    device_url: &Url,
    on_code: impl FnOnce(&DeviceCode) + Send,
) -> Result<TokenResponse, OAuthError> {
    let client = client(cfg)
        .set_device_authorization_url(DeviceAuthorizationUrl::from_url(device_url.clone()));
    let oauth_http = OAuthHttp(http, cfg.token_dialect);
    let details: StandardDeviceAuthorizationResponse = client
        .exchange_device_code()
        .add_scopes(cfg.scopes.iter().cloned().map(Scope::new))
        .request_async(&oauth_http)
        .await
        .map_err(|e| match e {
            RequestTokenError::ServerResponse(resp) => {
                from_basic_error(resp.error(), resp.error_description().map(|d| sanitize(d)))
            }
            RequestTokenError::Request(http) => http.into_oauth_error(),
            RequestTokenError::Parse(_, _) => OAuthError::Protocol {
                detail: "the device-code endpoint's answer could not be read".into(),
            },
            RequestTokenError::Other(d) => OAuthError::Protocol {
                detail: format!("device-code endpoint: {}", sanitize(&d)),
            },
        })?;
    let code = DeviceCode {
        user_code: details.user_code().secret().to_owned(),
        verification_uri: details.verification_uri().to_string(),
        verification_uri_complete: details
            .verification_uri_complete()
            .map(|u| u.secret().to_owned()),
        expires_in: details.expires_in(),
    };
    on_code(&code);
    client
        .exchange_device_access_token(&details)
        .request_async(&oauth_http, tokio::time::sleep, None)
        .await
        .map(convert)
        .map_err(|e| device_error(e, code.expires_in))
}

fn device_error(
    err: RequestTokenError<HttpError, DeviceCodeErrorResponse>,
    expires_in: Duration,
) -> OAuthError {
    match err {
        RequestTokenError::ServerResponse(resp) => {
            let description = resp.error_description().map(|d| sanitize(d));
            match resp.error() {
                DeviceCodeErrorResponseType::AccessDenied => OAuthError::AccessDenied,
                DeviceCodeErrorResponseType::ExpiredToken => {
                    OAuthError::DeviceCodeExpired { after: expires_in }
                }
                DeviceCodeErrorResponseType::Basic(basic) => {
                    // Entra says `authorization_declined` for the person's "No".
                    if basic.as_ref() == "authorization_declined" {
                        OAuthError::AccessDenied
                    } else {
                        from_basic_error(basic, description)
                    }
                }
                other => OAuthError::Protocol {
                    detail: format!("device sign-in error `{}`", sanitize(other.as_ref())),
                },
            }
        }
        RequestTokenError::Request(http) => http.into_oauth_error(),
        RequestTokenError::Parse(e, _) => OAuthError::Protocol {
            detail: format!(
                "the token endpoint's JSON could not be read at `{}`",
                e.path()
            ),
        },
        RequestTokenError::Other(d) => OAuthError::Protocol {
            detail: format!("token endpoint: {}", sanitize(&d)),
        },
    }
}
