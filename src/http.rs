//! The HTTP client every provider uses, and the retry rule for rate limits and server errors.
//!
//! Every request has a timeout; 429 and 5xx answers (and connection failures) are retried with
//! capped, fully jittered exponential backoff, honouring `Retry-After` when the server sends
//! it. A request that is not idempotent is retried only when it cannot have been processed
//! (429, or a connection that never got through).

use std::time::Duration;

use rand::Rng;
use reqwest::{RequestBuilder, Response, StatusCode};

/// The one HTTP client (API and OAuth calls alike): rustls, no redirects (a redirect could
/// carry a bearer token, a client secret or an authorization code to another host), bounded
/// connect and request times, a `chatkey/<version>` user agent.
pub fn client() -> reqwest::Client {
    install_crypto_provider();
    reqwest::Client::builder()
        .user_agent(concat!("chatkey/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .build()
        .expect("the HTTP client's fixed configuration is valid")
}

/// Makes rustls's process-wide crypto provider available before any client is built. On
/// Windows reqwest is built without one (aws-lc-sys does not build for MSVC here) and ring is
/// installed; elsewhere reqwest brings aws-lc-rs and this does nothing. Idempotent.
pub fn install_crypto_provider() {
    #[cfg(windows)]
    {
        // Err only means a provider is installed already, which is what we want.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all, including the first.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// Full jitter: a random wait in `[0, min(max, base * 2^attempt)]`.
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt))
            .min(self.max_delay);
        let millis = exp.as_millis() as u64;
        Duration::from_millis(rand::rng().random_range(0..=millis.max(1)))
    }
}

/// Sends the request built by `build`, retrying per `policy`. `idempotent` says whether a
/// repeat after a possibly processed attempt (5xx, timeout) is harmless.
pub async fn send_with_retry(
    policy: &RetryPolicy,
    idempotent: bool,
    build: impl Fn() -> RequestBuilder,
) -> Result<Response, reqwest::Error> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let last = attempt >= policy.max_attempts;
        match build().send().await {
            Ok(response) => {
                let status = response.status();
                let retryable = status == StatusCode::TOO_MANY_REQUESTS
                    || (idempotent && status.is_server_error());
                if !retryable || last {
                    return Ok(response);
                }
                let wait = retry_after(&response)
                    .map(|d| d.min(Duration::from_secs(30)))
                    .unwrap_or_else(|| policy.backoff(attempt - 1));
                tracing::debug!(%status, attempt, wait_ms = wait.as_millis() as u64, "retrying");
                tokio::time::sleep(wait).await;
            }
            Err(err) => {
                let never_sent = err.is_connect();
                if last || !(never_sent || (idempotent && err.is_timeout())) {
                    return Err(err.without_url());
                }
                let wait = policy.backoff(attempt - 1);
                tracing::debug!(
                    attempt,
                    wait_ms = wait.as_millis() as u64,
                    "retrying after a connection error"
                );
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// `Retry-After` as seconds or an HTTP date.
pub fn retry_after(response: &Response) -> Option<Duration> {
    let value = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    (when.with_timezone(&chrono::Utc) - chrono::Utc::now())
        .to_std()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_capped() {
        let p = RetryPolicy::default();
        for attempt in 0..20 {
            assert!(p.backoff(attempt) <= p.max_delay);
        }
    }
}
