//! Google's error bodies, byte-for-byte in shape.
//!
//! Google APIs answer errors with the AIP-193 envelope
//! `{"error":{"code","message","status","details"?}}`, where `status` is the canonical gRPC
//! code name for the HTTP status and `details` carries typed payloads (`ErrorInfo`,
//! `BadRequest`, `Help`). The OAuth endpoints instead answer RFC 6749 bodies
//! `{"error","error_description"}`. Clients key their retry and re-sign-in logic on these
//! exact strings, so they live in one place.

use serde_json::{Value, json};

/// The AIP-193 `status` string for an HTTP status code.
pub fn canonical_status(code: u16) -> &'static str {
    match code {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ALREADY_EXISTS",
        412 => "FAILED_PRECONDITION",
        413 => "OUT_OF_RANGE",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        501 => "UNIMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ if code >= 500 => "INTERNAL",
        _ => "FAILED_PRECONDITION",
    }
}

/// An error from a Google API method, rendered as the AIP-193 envelope.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: u16,
    pub message: String,
    pub details: Vec<Value>,
    /// Seconds for a `Retry-After` header (only the failure-injection knob sets it: Google's
    /// APIs rarely send one, and a client must cope either way).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: u16, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: Vec::new(),
            retry_after: None,
        }
    }

    pub fn not_found() -> Self {
        Self::new(404, "Requested entity was not found.")
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    pub fn permission_denied() -> Self {
        Self::new(403, "The caller does not have permission")
    }

    pub fn already_exists(message: impl Into<String>) -> Self {
        Self::new(409, message)
    }

    /// 400 for a query parameter the method does not have, as Google's ESF words it.
    pub fn unknown_query_parameter(name: &str) -> Self {
        let text = format!(
            "Invalid JSON payload received. Unknown name \"{name}\": Cannot bind query parameter. \
             Field '{name}' could not be found in request message."
        );
        Self::new(400, text.clone()).with_detail(json!({
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{ "description": text }]
        }))
    }

    /// 400 for a JSON body field the request message does not have.
    pub fn unknown_body_field(name: &str, message: &str) -> Self {
        let text = format!(
            "Invalid JSON payload received. Unknown name \"{name}\" at '{message}': Cannot find field."
        );
        Self::new(400, text.clone()).with_detail(json!({
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{ "field": message, "description": text }]
        }))
    }

    /// 400 for a body that is not JSON at all.
    pub fn bad_json(problem: &str) -> Self {
        let text = format!("Invalid JSON payload received. {problem}");
        Self::new(400, text.clone()).with_detail(json!({
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{ "description": text }]
        }))
    }

    /// 401 without a usable token.
    pub fn unauthenticated(missing: bool, service: &str, method: &str) -> Self {
        let (message, reason) = if missing {
            (
                "Request is missing required authentication credential. Expected OAuth 2 access \
                 token, login cookie or other valid authentication credential. See \
                 https://developers.google.com/identity/sign-in/web/devconsole-project.",
                "CREDENTIALS_MISSING",
            )
        } else {
            (
                "Request had invalid authentication credentials. Expected OAuth 2 access token, \
                 login cookie or other valid authentication credential. See \
                 https://developers.google.com/identity/sign-in/web/devconsole-project.",
                "ACCESS_TOKEN_TYPE_UNSUPPORTED",
            )
        };
        Self::new(401, message).with_error_info(reason, service, method)
    }

    /// 401 for a token past its lifetime; clients refresh on `ACCESS_TOKEN_EXPIRED`.
    pub fn token_expired(service: &str, method: &str) -> Self {
        Self::new(
            401,
            "Request had invalid authentication credentials. Expected OAuth 2 access token, \
             login cookie or other valid authentication credential. See \
             https://developers.google.com/identity/sign-in/web/devconsole-project.",
        )
        .with_error_info("ACCESS_TOKEN_EXPIRED", service, method)
    }

    /// 403 for a token whose scopes do not cover the method.
    pub fn scope_insufficient(service: &str, method: &str) -> Self {
        Self::new(403, "Request had insufficient authentication scopes.").with_error_info(
            "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
            service,
            method,
        )
    }

    /// 429 for a per-space quota, with the `ErrorInfo` and `Help` Google attaches.
    pub fn quota_exceeded(service: &str, metric: &str, limit_name: &str, limit: u32) -> Self {
        let message = format!(
            "Quota exceeded for quota metric '{metric}' and limit '{limit_name}' of service \
             '{service}' for consumer 'project_number:000000000000'."
        );
        Self::new(429, message)
            .with_detail(json!({
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "RATE_LIMIT_EXCEEDED",
                "domain": "googleapis.com",
                "metadata": {
                    "service": service,
                    "quota_metric": format!("{service}/{}", metric.to_lowercase().replace(' ', "_")),
                    "quota_limit": limit_name.replace(' ', ""),
                    "quota_limit_value": limit.to_string(),
                    "consumer": "projects/000000000000",
                }
            }))
            .with_detail(json!({
                "@type": "type.googleapis.com/google.rpc.Help",
                "links": [{
                    "description": "Request a higher quota limit.",
                    "url": "https://cloud.google.com/docs/quotas/help/request_increase"
                }]
            }))
    }

    /// The generic body for an injected failure of the given status.
    pub fn injected(code: u16, retry_after: Option<u64>) -> Self {
        let message = match code {
            429 => "Resource has been exhausted (e.g. check quota).",
            500 => "Internal error encountered.",
            502 => "Bad Gateway",
            503 => "The service is currently unavailable.",
            504 => "The request timed out. Please try again.",
            401 => "Request had invalid authentication credentials.",
            403 => "The caller does not have permission",
            404 => "Requested entity was not found.",
            _ => "Request failed.",
        };
        let mut e = Self::new(code, message);
        e.retry_after = retry_after;
        e
    }

    pub fn with_detail(mut self, detail: Value) -> Self {
        self.details.push(detail);
        self
    }

    fn with_error_info(self, reason: &str, service: &str, method: &str) -> Self {
        self.with_detail(json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": reason,
            "domain": "googleapis.com",
            "metadata": { "service": service, "method": method }
        }))
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let mut error = json!({
            "code": self.code,
            "message": self.message,
            "status": canonical_status(self.code),
        });
        if !self.details.is_empty() {
            error["details"] = Value::Array(self.details.clone());
        }
        json!({ "error": error })
    }
}

/// An RFC 6749 error from the token or revocation endpoint.
#[derive(Debug, Clone)]
pub struct OAuthError {
    pub code: u16,
    pub error: &'static str,
    pub description: String,
}

impl OAuthError {
    pub fn new(code: u16, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            code,
            error,
            description: description.into(),
        }
    }

    /// `invalid_grant` with Google's wording for a dead refresh token.
    pub fn expired_or_revoked() -> Self {
        Self::new(400, "invalid_grant", "Token has been expired or revoked.")
    }

    /// `invalid_grant` for an unknown, used or expired authorization code.
    pub fn bad_code() -> Self {
        Self::new(400, "invalid_grant", "Bad Request")
    }

    pub fn body(&self) -> Value {
        json!({ "error": self.error, "error_description": self.description })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_omits_empty_details() {
        let body = ApiError::not_found().body();
        assert_eq!(
            body,
            json!({"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}})
        );
    }

    #[test]
    fn expired_carries_error_info() {
        let body = ApiError::token_expired("chat.googleapis.com", "m").body();
        assert_eq!(
            body["error"]["details"][0]["reason"],
            "ACCESS_TOKEN_EXPIRED"
        );
        assert_eq!(body["error"]["status"], "UNAUTHENTICATED");
    }
}
