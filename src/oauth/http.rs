//! The HTTP client used for OAuth, and the small adapter that lets the `oauth2` crate send
//! its requests through our reqwest 0.13 client (oauth2's own reqwest feature would pull a
//! second reqwest and TLS stack).
//!
//! The adapter also decides what is transient: 429 and 5xx answers are turned into
//! `HttpError::Status` before `oauth2` sees them, because `oauth2` drops the status code and
//! would report an HTML error page as a parse failure.

use std::future::Future;
use std::pin::Pin;

use oauth2::{AsyncHttpClient, HttpRequest, HttpResponse};

use super::OAuthError;
use super::error::sanitize;

/// A token answer is a few hundred bytes; anything far larger is not a token endpoint.
const MAX_BODY: usize = 1024 * 1024;

/// Why an HTTP exchange with the provider failed before an OAuth answer could be read.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{}", describe_reqwest(.0))]
    Network(#[source] reqwest::Error),
    #[error("HTTP {0}")]
    Status(u16),
    #[error("the answer was larger than {MAX_BODY} bytes")]
    TooLarge,
    #[error("the endpoint answered with a redirect (HTTP {0}); chatkey does not follow redirects")]
    Redirect(u16),
}

impl HttpError {
    pub(crate) fn into_oauth_error(self) -> OAuthError {
        match self {
            HttpError::Network(_) | HttpError::Status(_) => OAuthError::Transient {
                detail: self.to_string(),
            },
            HttpError::TooLarge | HttpError::Redirect(_) => OAuthError::Protocol {
                detail: self.to_string(),
            },
        }
    }
}

/// reqwest's own message is "error sending request for url (…)"; the cause (refused,
/// timed out, DNS) is in the source chain, which is what a person needs to see.
fn describe_reqwest(err: &reqwest::Error) -> String {
    let mut text = if err.is_timeout() {
        "timed out".to_owned()
    } else {
        err.to_string()
    };
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    sanitize(&text)
}

/// Sends one request and reads the answer, applying the status and size rules above.
pub(crate) async fn send(
    client: &reqwest::Client,
    request: reqwest::Request,
) -> Result<(u16, reqwest::header::HeaderMap, Vec<u8>), HttpError> {
    let mut response = client.execute(request).await.map_err(HttpError::Network)?;
    let status = response.status();
    if status.is_redirection() {
        return Err(HttpError::Redirect(status.as_u16()));
    }
    if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(HttpError::Status(status.as_u16()));
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY as u64)
    {
        return Err(HttpError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(HttpError::Network)? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(HttpError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status.as_u16(), response.headers().clone(), body))
}

/// `oauth2::AsyncHttpClient` over a borrowed reqwest 0.13 client, with the provider's
/// token-answer dialect (if any) applied before `oauth2` reads the answer.
pub(crate) struct OAuthHttp<'a>(pub &'a reqwest::Client, pub Option<super::TokenDialect>);

impl<'c> AsyncHttpClient<'c> for OAuthHttp<'_> {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request = reqwest::Request::try_from(request).map_err(HttpError::Network)?;
            let (mut status, headers, mut body) = send(self.0, request).await?;
            if let Some((new_status, new_body)) = self.1.and_then(|dialect| dialect(status, &body))
            {
                status = new_status;
                body = new_body;
            }
            let mut response = HttpResponse::new(body);
            *response.status_mut() =
                oauth2::http::StatusCode::from_u16(status).expect("reqwest gave a valid status");
            *response.headers_mut() = headers;
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn connection_refused_is_transient_and_names_the_cause() {
        // Bind then drop, so the port is (almost certainly) closed.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let client = crate::http::client();
        let req = client
            .get(format!("http://127.0.0.1:{port}/token"))
            .build()
            .unwrap();
        let err = send(&client, req).await.unwrap_err();
        let oauth = err.into_oauth_error();
        assert!(oauth.is_transient(), "{oauth}");
        assert!(
            oauth.to_string().to_lowercase().contains("refused"),
            "{oauth}"
        );
    }
}
