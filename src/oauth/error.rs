//! What can go wrong during sign-in, refresh and revocation, as variants a caller can branch
//! on: `InvalidGrant` means "needs sign-in", `is_transient` means "retry later", the rest are
//! shown to the person.
//!
//! Nothing here ever holds a token. Token endpoint failures are reduced to the provider's
//! `error` code and `error_description`; raw bodies are never kept, because a body that
//! failed to parse may be a success response carrying an access token.

use std::time::Duration;

use oauth2::RequestTokenError;
use oauth2::basic::{BasicErrorResponse, BasicErrorResponseType};

use super::http::HttpError;

#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// The person clicked "Cancel"/"Deny" on the consent screen.
    #[error("sign-in was cancelled in the browser; run `chatkey login` again to retry")]
    AccessDenied,
    #[error(
        "the provider redirected back without an authorization code, so nothing was stored; run `chatkey login` again"
    )]
    MissingCode,
    /// No genuine redirect came in time. `ignored` counts redirects that carried a missing
    /// or foreign `state` (not from this sign-in): each got an error page and was ignored.
    #[error(
        "no sign-in response arrived within {}{}; run `chatkey login` again and finish the consent in the browser", human(*.after), ignored_note(*.ignored)
    )]
    TimedOut { after: Duration, ignored: usize },
    /// `error=…` on the redirect, other than `access_denied`.
    #[error(
        "the provider refused the sign-in: {error}{}; check the OAuth client in config.toml (`chatkey setup`) and run `chatkey login` again", suffix(.description)
    )]
    ProviderError {
        error: String,
        description: Option<String>,
    },
    /// The token endpoint answered `invalid_grant`: the refresh token was revoked or expired,
    /// or the authorization code was bad. Callers turn this into "needs sign-in".
    #[error(
        "the provider no longer accepts this sign-in ({description}); sign in again with `chatkey login`"
    )]
    InvalidGrant { description: String },
    #[error(
        "the provider rejected the OAuth client id or secret ({description}); run `chatkey setup` again with the client JSON from the provider's console"
    )]
    InvalidClient { description: String },
    /// Network failures, timeouts, 429 and 5xx, `temporarily_unavailable`: worth retrying.
    #[error("temporary problem reaching the provider ({detail}); try again in a moment")]
    Transient { detail: String },
    #[error(
        "unexpected answer from the provider ({detail}); check the endpoint URLs in config.toml"
    )]
    Protocol { detail: String },
    // The io error is part of the message, not a `source`, so `{:#}` does not print it twice.
    #[error(
        "could not run the local sign-in listener on 127.0.0.1 ({0}); make sure loopback connections are allowed and try again"
    )]
    Listener(std::io::Error),
    /// The device code was not entered before it expired.
    #[error(
        "the sign-in code expired after {} before the sign-in was finished; run `chatkey login` with `--device-code` again and enter the new code", human(*.after)
    )]
    DeviceCodeExpired { after: Duration },
    /// The provider only accepts one registered redirect port, and something else holds it.
    #[error(
        "the sign-in port {port} on this computer is in use by another program (or another sign-in); close it and try again, or choose a free port with `redirect_port` in config.toml and register http://localhost:PORT/callback in the app"
    )]
    PortInUse { port: u16 },
}

impl OAuthError {
    /// Whether the same request may succeed later without the person doing anything.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient { .. })
    }
}

fn ignored_note(ignored: usize) -> String {
    match ignored {
        0 => String::new(),
        1 => " (one response that was not from this sign-in was ignored)".to_owned(),
        n => format!(" ({n} responses that were not from this sign-in were ignored)"),
    }
}

fn suffix(description: &Option<String>) -> String {
    description
        .as_deref()
        .map(|d| format!(" ({d})"))
        .unwrap_or_default()
}

/// "5 min", "90 s": durations as a person reads them in a one-line error.
pub(crate) fn human(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 60 && secs.is_multiple_of(60) {
        format!("{} min", secs / 60)
    } else if secs >= 1 {
        format!("{secs} s")
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// Provider-supplied text ends up in terminals and notifications: keep it short and free of
/// control characters (an escape sequence in an `error_description` must not repaint a
/// terminal).
pub(crate) fn sanitize(text: &str) -> String {
    const MAX: usize = 200;
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX)
        .collect();
    if text.chars().count() > MAX {
        out.push('…');
    }
    out.trim().to_owned()
}

/// Maps one token-endpoint failure (authorization code or refresh) to a branchable variant.
pub(crate) fn from_token_error(
    err: RequestTokenError<HttpError, BasicErrorResponse>,
) -> OAuthError {
    match err {
        RequestTokenError::ServerResponse(resp) => {
            let description = resp.error_description().map(|d| sanitize(d));
            from_basic_error(resp.error(), description)
        }
        RequestTokenError::Request(http) => http.into_oauth_error(),
        // Only the location of the problem is reported: serde's message can quote values,
        // and the body may be a success response that carries a token.
        RequestTokenError::Parse(e, _body) => OAuthError::Protocol {
            detail: format!(
                "the token endpoint's JSON could not be read at `{}` ({:?} error)",
                e.path(),
                e.inner().classify()
            ),
        },
        RequestTokenError::Other(detail) => OAuthError::Protocol {
            detail: format!("token endpoint: {}", sanitize(&detail)),
        },
    }
}

pub(crate) fn from_basic_error(
    code: &BasicErrorResponseType,
    description: Option<String>,
) -> OAuthError {
    let described = |fallback: &str| description.clone().unwrap_or_else(|| fallback.to_owned());
    match code {
        BasicErrorResponseType::InvalidGrant => OAuthError::InvalidGrant {
            description: described("invalid_grant"),
        },
        BasicErrorResponseType::InvalidClient | BasicErrorResponseType::UnauthorizedClient => {
            OAuthError::InvalidClient {
                description: described(code.as_ref()),
            }
        }
        BasicErrorResponseType::Extension(ext)
            if ext == "temporarily_unavailable" || ext == "server_error" =>
        {
            OAuthError::Transient {
                detail: described(ext),
            }
        }
        other => OAuthError::Protocol {
            detail: match description {
                Some(d) => format!("token endpoint error `{}`: {d}", sanitize(other.as_ref())),
                None => format!("token endpoint error `{}`", sanitize(other.as_ref())),
            },
        },
    }
}

/// Maps an error body of the revocation endpoint (`{"error": …}`) to a variant.
pub(crate) fn from_revocation_body(body: &[u8]) -> OAuthError {
    #[derive(serde::Deserialize)]
    struct Body {
        error: String,
        error_description: Option<String>,
    }
    match serde_json::from_slice::<Body>(body) {
        Ok(b) => {
            let description = b.error_description.as_deref().map(sanitize);
            match b.error.as_str() {
                // Google answers `invalid_token` for a token that is already revoked or expired:
                // there is nothing left to revoke, and the caller may treat it as done.
                "invalid_token" | "invalid_grant" => OAuthError::InvalidGrant {
                    description: description.unwrap_or_else(|| sanitize(&b.error)),
                },
                "invalid_client" | "unauthorized_client" => OAuthError::InvalidClient {
                    description: description.unwrap_or_else(|| sanitize(&b.error)),
                },
                other => OAuthError::Protocol {
                    detail: format!(
                        "revocation endpoint error `{}`{}",
                        sanitize(other),
                        suffix(&description)
                    ),
                },
            }
        }
        Err(_) => OAuthError::Protocol {
            detail: "the revocation endpoint's error answer was not OAuth JSON".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_token_error_codes() {
        let e = from_basic_error(
            &BasicErrorResponseType::InvalidGrant,
            Some("Token has been expired or revoked.".into()),
        );
        assert!(
            matches!(&e, OAuthError::InvalidGrant { description } if description.contains("revoked"))
        );
        assert!(!e.is_transient());
        let e = from_basic_error(&BasicErrorResponseType::InvalidClient, None);
        assert!(e.to_string().contains("chatkey setup"), "{e}");
        let e = from_basic_error(
            &BasicErrorResponseType::Extension("temporarily_unavailable".into()),
            None,
        );
        assert!(e.is_transient());
        let e = from_basic_error(&BasicErrorResponseType::InvalidScope, None);
        assert!(matches!(e, OAuthError::Protocol { .. }));
    }

    #[test]
    fn revocation_bodies() {
        let e = from_revocation_body(
            br#"{"error":"invalid_token","error_description":"Token expired or revoked"}"#,
        );
        assert!(matches!(e, OAuthError::InvalidGrant { .. }));
        let e = from_revocation_body(b"<html>secret-looking</html>");
        assert!(!e.to_string().contains("secret-looking"));
    }

    #[test]
    fn sanitizes_provider_text() {
        assert_eq!(sanitize("a\x1b[2Jb\n"), "a [2Jb");
        assert_eq!(sanitize(&"x".repeat(300)).chars().count(), 201);
    }

    #[test]
    fn messages_are_lowercase_without_trailing_period() {
        let all = [
            OAuthError::AccessDenied,
            OAuthError::MissingCode,
            OAuthError::TimedOut {
                after: Duration::from_secs(300),
                ignored: 2,
            },
            OAuthError::PortInUse { port: 53682 },
            OAuthError::ProviderError {
                error: "invalid_request".into(),
                description: Some("bad".into()),
            },
            OAuthError::InvalidGrant {
                description: "x".into(),
            },
            OAuthError::InvalidClient {
                description: "x".into(),
            },
            OAuthError::Transient { detail: "x".into() },
            OAuthError::Protocol { detail: "x".into() },
            OAuthError::Listener(std::io::Error::other("x")),
        ];
        for e in all {
            let s = e.to_string();
            assert!(s.starts_with(|c: char| c.is_lowercase()), "{s}");
            assert!(!s.ends_with('.'), "{s}");
        }
        let s = OAuthError::TimedOut {
            after: Duration::from_secs(300),
            ignored: 0,
        }
        .to_string();
        assert!(s.contains("5 min"), "{s}");
        assert!(!s.contains("ignored"), "{s}");
    }
}
