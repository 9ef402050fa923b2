//! Slack's error envelope: HTTP 200 with `{"ok": false, "error": "…"}` for almost everything,
//! `needed`/`provided` on `missing_scope`, `response_metadata.messages` on
//! `invalid_arguments`, HTTP 429 with `Retry-After` for `ratelimited`, and 5xx only when the
//! service itself is unwell.

use serde_json::{Map, Value, json};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackError {
    pub status: u16,
    pub error: String,
    pub needed: Option<String>,
    pub provided: Option<String>,
    pub retry_after: Option<u64>,
    /// `response_metadata.messages` (`[ERROR] missing required field: channel`).
    pub messages: Vec<String>,
}

impl SlackError {
    /// An `ok: false` answer with HTTP 200, as Slack sends every method error.
    pub fn new(error: impl Into<String>) -> Self {
        Self {
            status: 200,
            error: error.into(),
            needed: None,
            provided: None,
            retry_after: None,
            messages: Vec::new(),
        }
    }

    pub fn missing_scope(needed: &str, provided: &[String]) -> Self {
        Self {
            needed: Some(needed.to_string()),
            provided: Some(provided.join(",")),
            ..Self::new("missing_scope")
        }
    }

    /// A required argument is missing or malformed.
    pub fn invalid_arguments(message: impl Into<String>) -> Self {
        Self {
            messages: vec![format!("[ERROR] {}", message.into())],
            ..Self::new("invalid_arguments")
        }
    }

    pub fn missing_field(name: &str) -> Self {
        Self::invalid_arguments(format!("missing required field: {name}"))
    }

    pub fn ratelimited(retry_after: u64) -> Self {
        Self {
            status: 429,
            retry_after: Some(retry_after),
            ..Self::new("ratelimited")
        }
    }

    /// An injected status: 429 is `ratelimited`, 5xx Slack's codes for a service in trouble.
    pub fn injected(status: u16, error: Option<&str>, retry_after: Option<u64>) -> Self {
        let default = match status {
            429 => "ratelimited",
            503 => "service_unavailable",
            504 => "request_timeout",
            s if s >= 500 => "internal_error",
            _ => "fatal_error",
        };
        Self {
            status,
            retry_after: retry_after.or((status == 429).then_some(1)),
            ..Self::new(error.unwrap_or(default))
        }
    }

    pub fn body(&self) -> Value {
        let mut m = Map::new();
        m.insert("ok".into(), json!(false));
        m.insert("error".into(), json!(self.error));
        if let Some(n) = &self.needed {
            m.insert("needed".into(), json!(n));
        }
        if let Some(p) = &self.provided {
            m.insert("provided".into(), json!(p));
        }
        if !self.messages.is_empty() {
            m.insert(
                "response_metadata".into(),
                json!({ "messages": self.messages }),
            );
        }
        Value::Object(m)
    }
}

pub type ApiResult = Result<Map<String, Value>, SlackError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes() {
        let e = SlackError::missing_scope(
            "channels:history",
            &["chat:write".into(), "users:read".into()],
        );
        assert_eq!(
            e.body(),
            json!({"ok": false, "error": "missing_scope", "needed": "channels:history", "provided": "chat:write,users:read"})
        );
        assert_eq!(e.status, 200);
        let e = SlackError::missing_field("channel");
        assert_eq!(
            e.body(),
            json!({"ok": false, "error": "invalid_arguments", "response_metadata": {"messages": ["[ERROR] missing required field: channel"]}})
        );
        let e = SlackError::injected(429, None, None);
        assert_eq!(
            (e.status, e.retry_after, e.error.as_str()),
            (429, Some(1), "ratelimited")
        );
        assert_eq!(
            SlackError::injected(503, None, None).error,
            "service_unavailable"
        );
        assert_eq!(
            SlackError::injected(200, Some("fatal_error"), None).error,
            "fatal_error"
        );
    }
}
