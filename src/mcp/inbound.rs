//! What the guard makes of one line from the client before rmcp sees it: pass it on, answer
//! it with a JSON-RPC error, or drop it.
//!
//! rmcp drops input it cannot parse (a lone `\u` surrogate, nesting past serde_json's 128
//! levels), answers shapes it does not recognise without an `id` and without a reason, turns
//! `tools/call` with bad params into "method not found", and ends the session on a
//! notification that arrives before `initialize`. Each of those leaves a client waiting on an
//! id or gone. So every line is parsed here exactly as rmcp will parse it (the same serde_json,
//! the same message types, hence the same limits), and whatever rmcp would mishandle is
//! answered here instead, with the request's `id` whenever it can be read.

use rmcp::model::{
    CallToolRequestParams, ClientJsonRpcMessage, ClientNotification, ClientRequest,
    CompleteRequestParams, GetMeta, GetPromptRequestParams, InitializeRequestParams,
    JsonRpcMessage, JsonRpcRequest, PaginatedRequestParams, ProtocolVersion,
    ReadResourceRequestParams, RequestId, SubscribeRequestParams, UnsubscribeRequestParams,
};
use serde::de::{DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::{Value, json};

pub(super) const PARSE_ERROR: i64 = -32700;
pub(super) const INVALID_REQUEST: i64 = -32600;
pub(super) const INVALID_PARAMS: i64 = -32602;

/// rmcp skips a UTF-8 byte order mark (RFC 8259 §8.1 allows it), so the checks do too.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The guard's decision about one line.
#[derive(Debug, PartialEq)]
pub(super) enum Verdict {
    /// Pass the line to rmcp.
    Forward {
        /// A request rmcp now owes an answer to.
        owes: Option<RequestId>,
        /// A request the client cancelled: rmcp will not answer it (MCP says it must not).
        cancels: Option<RequestId>,
    },
    /// Do not pass it on; send these error lines (each ending in `\n`) instead.
    Answer(Vec<u8>),
    /// Neither pass it on nor answer it: a notification or response rmcp would choke on.
    Drop(&'static str),
}

/// The state the checks need across lines: whether the MCP lifecycle has begun.
#[derive(Debug, Default)]
pub(super) struct Inbound {
    started: bool,
}

impl Inbound {
    /// Judges one line (without its newline). `in_flight` says whether rmcp still owes an
    /// answer to an id, so a reused id is refused rather than silently losing one answer.
    pub(super) fn judge(&mut self, line: &[u8], in_flight: impl Fn(&RequestId) -> bool) -> Verdict {
        let line = line.strip_prefix(UTF8_BOM).unwrap_or(line);
        let value: Value = match serde_json::from_slice(line) {
            Ok(value) => value,
            Err(e) => {
                let hint = if e.to_string().contains("recursion limit") {
                    "nesting deeper than 128 levels is refused; "
                } else {
                    ""
                };
                return answer(
                    &probe_id(line),
                    PARSE_ERROR,
                    &format!("parse error: {e}; {hint}send one JSON-RPC message per line"),
                );
            }
        };
        if let Err(refusal) = check_envelope(&value) {
            return Verdict::Answer(refusal);
        }
        let id = value.get("id").cloned().unwrap_or(Value::Null);
        match serde_json::from_slice::<ClientJsonRpcMessage>(line) {
            Ok(JsonRpcMessage::Request(request)) => self.request(request, &id, in_flight),
            Ok(JsonRpcMessage::Notification(_)) if !self.started => {
                Verdict::Drop("a notification before initialize")
            }
            Ok(JsonRpcMessage::Notification(notification)) => Verdict::Forward {
                owes: None,
                cancels: match notification.notification {
                    ClientNotification::CancelledNotification(cancelled) => {
                        cancelled.params.request_id
                    }
                    _ => None,
                },
            },
            Ok(_) if !self.started => Verdict::Drop("a response before initialize"),
            Ok(_) => Verdict::Forward {
                owes: None,
                cancels: None,
            },
            // Notifications get no answers, even malformed ones (rmcp ignores them too).
            Err(_) if value.get("id").is_none() => Verdict::Drop("a malformed notification"),
            Err(e) => {
                let method = value["method"].as_str().unwrap_or_default();
                match params_problem(method, value.get("params")) {
                    Some(reason) => answer(
                        &id,
                        INVALID_PARAMS,
                        &format!("invalid params for `{method}`: {reason}"),
                    ),
                    None => answer(&id, INVALID_REQUEST, &format!("invalid request: {e}")),
                }
            }
        }
    }

    fn request(
        &mut self,
        request: JsonRpcRequest<ClientRequest>,
        id: &Value,
        in_flight: impl Fn(&RequestId) -> bool,
    ) -> Verdict {
        let method = request.request.method().to_owned();
        if in_flight(&request.id) {
            return answer(
                id,
                INVALID_REQUEST,
                &format!(
                    "invalid request: id {id} is already used by a request in flight; give every request its own id"
                ),
            );
        }
        // rmcp reads a standard method whose params do not fit as a custom request and
        // answers "method not found"; the params are what is wrong, so say how.
        if let ClientRequest::CustomRequest(custom) = &request.request
            && let Some(reason) = params_problem(&method, custom.params.as_ref())
        {
            return answer(
                id,
                INVALID_PARAMS,
                &format!("invalid params for `{method}`: {reason}"),
            );
        }
        if !self.started {
            match &request.request {
                ClientRequest::InitializeRequest(_) => self.started = true,
                // Both are answered before the lifecycle begins and do not begin it.
                ClientRequest::PingRequest(_) | ClientRequest::DiscoverRequest(_) => {}
                // A 2026-07-28 client carries its context in every request instead.
                other if has_inline_lifecycle(other) => self.started = true,
                _ => {
                    return answer(
                        id,
                        INVALID_REQUEST,
                        &format!(
                            "`{method}` came before `initialize`: initialize first (send `initialize`, then `notifications/initialized`), then call `{method}` again"
                        ),
                    );
                }
            }
        }
        Verdict::Forward {
            owes: Some(request.id),
            cancels: None,
        }
    }
}

/// Whether a request carries the per-request metadata that replaces `initialize` in the
/// 2026-07-28 protocol, the condition rmcp uses to serve it without a handshake.
fn has_inline_lifecycle(request: &ClientRequest) -> bool {
    let meta = request.get_meta();
    meta.protocol_version().is_some()
        && meta
            .missing_required_keys(&ProtocolVersion::V_2026_07_28)
            .is_empty()
}

/// The JSON-RPC 2.0 rules rmcp checks without saying which one failed.
fn check_envelope(value: &Value) -> Result<(), Vec<u8>> {
    let refuse = |id: &Value, reason: &str| {
        error_line(id, INVALID_REQUEST, &format!("invalid request: {reason}"))
    };
    let object = match value {
        Value::Object(object) => object,
        Value::Array(items) => {
            // One answer per request that can be told apart, else one for the whole line.
            let reason = "batches are not supported; send one JSON-RPC message per line";
            let mut lines: Vec<u8> = items
                .iter()
                .filter_map(|item| item.get("id").filter(|id| is_valid_id(id)))
                .flat_map(|id| refuse(id, reason))
                .collect();
            if lines.is_empty() {
                lines = refuse(&Value::Null, reason);
            }
            return Err(lines);
        }
        _ => {
            return Err(refuse(
                &Value::Null,
                "a JSON-RPC message is an object with `jsonrpc`, `method` and (for a request) `id`",
            ));
        }
    };
    let id = match object.get("id") {
        None => Value::Null,
        Some(id) if is_valid_id(id) => id.clone(),
        Some(_) => {
            return Err(refuse(&Value::Null, "`id` must be a string or an integer"));
        }
    };
    if object.get("jsonrpc") != Some(&json!("2.0")) {
        return Err(refuse(&id, "`jsonrpc` must be \"2.0\""));
    }
    let is_response = object.contains_key("result") || object.contains_key("error");
    match object.get("method") {
        Some(Value::String(_)) if is_response => Err(refuse(
            &id,
            "a message has either `method` (a request or notification) or `result`/`error` (a response), not both",
        )),
        Some(Value::String(_)) => Ok(()),
        Some(_) => Err(refuse(&id, "`method` must be a string")),
        None if is_response => Ok(()),
        None => Err(refuse(&id, "no `method`: name the method to call")),
    }
}

/// An id rmcp accepts: a string, or an integer (also written as `1.0`) that fits in i64.
fn is_valid_id(id: &Value) -> bool {
    serde_json::from_value::<RequestId>(id.clone()).is_ok()
}

/// Why `params` do not fit `method`, for the methods rmcp knows; `None` when they fit or
/// when the method is not one of them (rmcp answers those itself).
fn params_problem(method: &str, params: Option<&Value>) -> Option<String> {
    fn required<P: DeserializeOwned>(params: Option<&Value>) -> Option<String> {
        match params {
            None => Some("`params` is missing".to_owned()),
            Some(params) => optional::<P>(Some(params)),
        }
    }
    fn optional<P: DeserializeOwned>(params: Option<&Value>) -> Option<String> {
        let params = params?;
        let error = serde_path_to_error::deserialize::<_, P>(params).err()?;
        let path = error.path().to_string();
        Some(if path == "." {
            error.into_inner().to_string()
        } else {
            format!("`{path}`: {}", error.into_inner())
        })
    }
    match method {
        "initialize" => required::<InitializeRequestParams>(params),
        "tools/call" => required::<CallToolRequestParams>(params),
        "prompts/get" => required::<GetPromptRequestParams>(params),
        "resources/read" => required::<ReadResourceRequestParams>(params),
        "resources/subscribe" => required::<SubscribeRequestParams>(params),
        "resources/unsubscribe" => required::<UnsubscribeRequestParams>(params),
        "completion/complete" => required::<CompleteRequestParams>(params),
        "tools/list" | "prompts/list" | "resources/list" | "resources/templates/list" => {
            optional::<PaginatedRequestParams>(params)
        }
        _ => None,
    }
}

/// The `id` of a line that may not parse at all (a bad escape, deep nesting, cut off): the
/// top-level `id` member if it comes before the trouble, else `null`.
pub(super) fn probe_id(line: &[u8]) -> Value {
    let line = line.strip_prefix(UTF8_BOM).unwrap_or(line);
    let mut found = None;
    let mut de = serde_json::Deserializer::from_slice(line);
    // The seed records the id as soon as it is read; what follows may still fail.
    let _ = IdProbe(&mut found).deserialize(&mut de);
    found.filter(is_valid_id).unwrap_or(Value::Null)
}

struct IdProbe<'a>(&'a mut Option<Value>);

impl<'de> DeserializeSeed<'de> for IdProbe<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for IdProbe<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "id" {
                *self.0 = Some(map.next_value()?);
                return Ok(());
            }
            // Skipping neither checks escapes nor recurses, so nothing here can fail on the
            // very things that made the real parse fail.
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

fn answer(id: &Value, code: i64, message: &str) -> Verdict {
    Verdict::Answer(error_line(id, code, message))
}

/// One JSON-RPC error response line. `id` is the request's, or `null` when it cannot be read
/// (JSON-RPC 2.0 §5: the member is always there).
pub(super) fn error_line(id: &Value, code: i64, message: &str) -> Vec<u8> {
    let mut line = serde_json::to_vec(&json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {"code": code, "message": message},
    }))
    .expect("a JSON value serializes");
    line.push(b'\n');
    line
}

#[cfg(test)]
#[path = "inbound_tests.rs"]
mod tests;
