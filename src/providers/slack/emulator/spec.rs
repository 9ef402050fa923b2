//! Checks the emulator (and the traffic it logged) against Slack's own machine-readable
//! sources: slack_sdk 3.47.0's Web API method signatures and @slack/web-api 8.2.0's response
//! types.
//!
//! `scripts/fetch-slack-specs.sh` reduces the two packages to `methods.json` and
//! `responses.json` under `$CHATKEY_SPECS_DIR/slack` (not committed). A request is checked by
//! its method name and argument names; a response is walked field by field through the
//! method's response type (every JSON field must exist there, with a compatible type).
//! Where docs.slack.dev documents a parameter or field that the SDK's generated sources lack,
//! it is listed below with its source; nothing else passes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The directory variable shared with the Google discovery checks; Slack's files sit in
/// `slack/` under it.
pub const SPECS_DIR_ENV: &str = "CHATKEY_SPECS_DIR";
pub const SPEC_FILES: &[&str] = &["methods.json", "responses.json"];

/// Parameters docs.slack.dev documents that slack_sdk's signatures lack:
/// `(method, parameter, source)`.
pub const DOCUMENTED_PARAMS: &[(&str, &str, &str)] = &[
    (
        "oauth.v2.access",
        "code_verifier",
        "https://docs.slack.dev/reference/methods/oauth.v2.access (PKCE, https://docs.slack.dev/authentication/using-pkce)",
    ),
    (
        "oauth/v2/authorize",
        "code_challenge",
        "https://docs.slack.dev/authentication/using-pkce",
    ),
    (
        "oauth/v2/authorize",
        "code_challenge_method",
        "https://docs.slack.dev/authentication/using-pkce",
    ),
    (
        "oauth/v2/authorize",
        "response_type",
        "RFC 6749 section 4.1.1 (`response_type=code`, which every OAuth 2.0 client sends, the oauth2 crate included); Slack's v2 authorize page accepts it",
    ),
];

/// Response fields docs.slack.dev shows that @slack/web-api's types (generated from sample
/// answers) lack: `(method, dotted path, source)`.
pub const DOCUMENTED_FIELDS: &[(&str, &str, &str)] = &[
    (
        "auth.revoke",
        "revoked",
        "https://docs.slack.dev/reference/methods/auth.revoke (example: {\"ok\": true, \"revoked\": true})",
    ),
    (
        "conversations.info",
        "channel.user",
        "https://docs.slack.dev/reference/methods/conversations.info (IM example)",
    ),
    (
        "conversations.info",
        "channel.unread_count",
        "https://docs.slack.dev/reference/methods/conversations.info (IM example)",
    ),
    (
        "conversations.info",
        "channel.unread_count_display",
        "https://docs.slack.dev/reference/methods/conversations.info (IM example)",
    ),
];

/// One slack_sdk method.
#[derive(Debug, Clone)]
pub struct SdkMethod {
    pub params: BTreeSet<String>,
    pub http_verb: String,
}

pub struct SlackSpecs {
    pub methods: BTreeMap<String, SdkMethod>,
    responses: Value,
}

/// `conversations.history` → `ConversationsHistoryResponse`.
pub fn response_type_name(method: &str) -> String {
    let mut out = String::new();
    for part in method.split('.') {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out.push_str("Response");
    out
}

impl SlackSpecs {
    /// The specs directory: `$CHATKEY_SPECS_DIR/slack` when set (then it must load), else
    /// `target/specs/slack` in the source tree if `make specs` ran; `Ok(None)` when neither.
    pub fn dir_from_env() -> Result<Option<PathBuf>, String> {
        match std::env::var_os(SPECS_DIR_ENV).filter(|v| !v.is_empty()) {
            Some(dir) => Ok(Some(Path::new(&dir).join("slack"))),
            None => {
                let local = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/specs/slack");
                Ok(SPEC_FILES
                    .iter()
                    .all(|f| local.join(f).is_file())
                    .then_some(local))
            }
        }
    }

    /// Loads the specs, or `Ok(None)` when none were fetched and none were asked for.
    pub fn from_env() -> Result<Option<Self>, String> {
        match Self::dir_from_env()? {
            Some(dir) => Self::load_dir(&dir).map(Some),
            None => Ok(None),
        }
    }

    pub fn load_dir(dir: &Path) -> Result<Self, String> {
        let read = |name: &str| -> Result<Value, String> {
            let p = dir.join(name);
            let text = std::fs::read_to_string(&p)
                .map_err(|e| format!("cannot read {}: {e} (run `make specs`, which runs scripts/fetch-slack-specs.sh)", p.display()))?;
            serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", p.display()))
        };
        let methods_json = read("methods.json")?;
        let responses = read("responses.json")?;
        let mut methods = BTreeMap::new();
        for (name, m) in methods_json
            .as_object()
            .ok_or("methods.json is not an object")?
        {
            let params = m["params"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
            methods.insert(
                name.clone(),
                SdkMethod {
                    params,
                    http_verb: m["http_verb"].as_str().unwrap_or("POST").to_string(),
                },
            );
        }
        Ok(Self { methods, responses })
    }

    /// Whether slack_sdk (or the docs, for the listed extras) knows `param` of `method`.
    pub fn knows_param(&self, method: &str, param: &str) -> bool {
        param == "token" && method != "oauth/v2/authorize"
            || self
                .methods
                .get(method)
                .is_some_and(|m| m.params.contains(param))
            || DOCUMENTED_PARAMS
                .iter()
                .any(|(m, p, _)| *m == method && *p == param)
    }

    /// A request: the method must exist and every argument name be one of its parameters.
    pub fn check_request(&self, method: &str, params: &[String]) -> Result<(), String> {
        if !self.methods.contains_key(method) {
            return Err(format!("{method} is not a slack_sdk 3.47.0 Web API method"));
        }
        let unknown: Vec<&String> = params
            .iter()
            .filter(|p| !self.knows_param(method, p))
            .collect();
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{method}: parameters not in slack_sdk's signature: {unknown:?}"
            ))
        }
    }

    /// One line of the emulator's request log (JSON).
    pub fn check_log_line(&self, line: &Value) -> Result<(), String> {
        let method = line["api_method"].as_str().unwrap_or("");
        let params: Vec<String> = line["params"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        if method.is_empty() {
            return check_minted_url(line, &params);
        }
        self.check_request(method, &params)
    }

    /// An answer of `method` (success or error): every field must exist in the method's
    /// @slack/web-api response type. Returns each problem found.
    pub fn check_response(&self, method: &str, body: &Value) -> Result<(), Vec<String>> {
        let type_name = response_type_name(method);
        let Some(doc) = self.responses.get(&type_name) else {
            return Err(vec![format!("@slack/web-api 8.2.0 has no {type_name}")]);
        };
        let base = &self.responses["WebAPICallResult"];
        let mut problems = Vec::new();
        let Some(obj) = body.as_object() else {
            return Err(vec![format!("{method}: the answer is not a JSON object")]);
        };
        let root_fields = &doc["root"]["fields"];
        for (k, v) in obj {
            let ours = root_fields.get(k);
            let theirs = base["fields"].get(k);
            let trial = |ty: &Value, doc: &Value| {
                let mut p = Vec::new();
                walk(doc, ty, v, k, method, &mut p);
                p
            };
            match (ours, theirs) {
                // `WebAPICallResult & {…}`: an object field declared by both (response_metadata)
                // holds the fields of either.
                (Some(a), Some(b)) => match (resolve(doc, a), resolve(base, b), v.as_object()) {
                    (Some(fa), Some(fb), Some(m)) => {
                        for (sk, sv) in m {
                            let sub = format!("{k}.{sk}");
                            match (fa.get(sk), fb.get(sk)) {
                                (Some(t), _) => walk(doc, t, sv, &sub, method, &mut problems),
                                (None, Some(t)) => walk(base, t, sv, &sub, method, &mut problems),
                                (None, None) if documented_field(method, &sub) => {}
                                (None, None) => problems
                                    .push(format!("{method}: field `{sub}` is not in {type_name}")),
                            }
                        }
                    }
                    _ => {
                        let pa = trial(a, doc);
                        if !pa.is_empty() && !trial(b, base).is_empty() {
                            problems.extend(pa);
                        }
                    }
                },
                (Some(a), None) => problems.extend(trial(a, doc)),
                (None, Some(b)) => problems.extend(trial(b, base)),
                (None, None) if documented_field(method, k) => {}
                (None, None) => {
                    problems.push(format!("{method}: field `{k}` is not in {type_name}"))
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// The fields of an object type (following a reference), if `ty` is one.
fn resolve<'a>(doc: &'a Value, ty: &'a Value) -> Option<&'a serde_json::Map<String, Value>> {
    match ty["t"].as_str()? {
        "object" => ty["fields"].as_object(),
        "ref" => resolve(doc, doc["defs"].get(ty["name"].as_str()?)?),
        _ => None,
    }
}

/// A request to a URL Slack hands out rather than a Web API method: an upload URL from
/// files.getUploadURLExternal (a POST of the bytes, nothing else) or a file's `url_private`
/// (a GET whose token travels in the `Authorization` header, never in the query).
fn check_minted_url(line: &Value, params: &[String]) -> Result<(), String> {
    let path = line["path"].as_str().unwrap_or("");
    let http = line["http_method"].as_str().unwrap_or("");
    if path.starts_with(&format!("{}/", super::files::UPLOAD_PATH)) {
        if http != "POST" || !params.is_empty() {
            return Err(format!(
                "{http} {path} with {params:?}: an upload URL takes one POST of the bytes"
            ));
        }
        return Ok(());
    }
    if path.starts_with("/files-pri/") {
        if http != "GET" {
            return Err(format!("{http} {path}: a file URL is only read"));
        }
        // Slack takes the token only in the Authorization header: one in the query may be
        // sent (a test checks it is refused) but never served.
        let served = line["status"]
            .as_u64()
            .is_some_and(|s| (200..300).contains(&s));
        if served && params.iter().any(|p| p == "token") {
            return Err(format!(
                "{path}: a file served for a token in its query (Slack takes it only in the Authorization header)"
            ));
        }
        return Ok(());
    }
    Err(format!(
        "{http} {path} is neither a Web API method nor a URL Slack hands out"
    ))
}

fn documented_field(method: &str, path: &str) -> bool {
    DOCUMENTED_FIELDS
        .iter()
        .any(|(m, p, _)| *m == method && *p == path)
}

fn type_label(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Checks `v` against the type `ty` (a node of responses.json) within `doc`'s definitions.
fn walk(doc: &Value, ty: &Value, v: &Value, path: &str, method: &str, problems: &mut Vec<String>) {
    // Slack sends null for absent optional values; the generated types make every field optional.
    if v.is_null() {
        return;
    }
    let mismatch = |problems: &mut Vec<String>, want: &str| {
        problems.push(format!(
            "{method}: `{path}` is {} but the type says {want}",
            type_label(v)
        ));
    };
    match ty["t"].as_str().unwrap_or("any") {
        "any" => {}
        "null" => mismatch(problems, "null"),
        "string" if !v.is_string() => mismatch(problems, "string"),
        "number" if !v.is_number() => mismatch(problems, "number"),
        "boolean" if !v.is_boolean() => mismatch(problems, "boolean"),
        "string" | "number" | "boolean" => {}
        "enum" => match v.as_str() {
            Some(s)
                if ty["values"]
                    .as_array()
                    .is_some_and(|vals| vals.iter().any(|x| x == s)) => {}
            _ => problems.push(format!(
                "{method}: `{path}` = {v} is not one of {}",
                ty["values"]
            )),
        },
        "ref" => {
            let name = ty["name"].as_str().unwrap_or("");
            match doc["defs"].get(name) {
                Some(def) => walk(doc, def, v, path, method, problems),
                None => problems.push(format!("{method}: `{path}`: type {name} is not defined")),
            }
        }
        "array" => match v.as_array() {
            Some(items) => {
                for item in items {
                    walk(doc, &ty["of"], item, path, method, problems);
                }
            }
            None => mismatch(problems, "an array"),
        },
        "map" => match v.as_object() {
            Some(m) => {
                for item in m.values() {
                    walk(doc, &ty["of"], item, &format!("{path}.*"), method, problems);
                }
            }
            None => mismatch(problems, "a map"),
        },
        "object" => match v.as_object() {
            Some(m) => {
                for (k, item) in m {
                    let sub = format!("{path}.{k}");
                    match ty["fields"].get(k) {
                        Some(field) => walk(doc, field, item, &sub, method, problems),
                        None if documented_field(method, &sub) => {}
                        None => problems.push(format!(
                            "{method}: field `{sub}` is not in the response type"
                        )),
                    }
                }
            }
            None => mismatch(problems, "an object"),
        },
        "union" => {
            let alts = ty["of"].as_array().cloned().unwrap_or_default();
            let mut best: Option<Vec<String>> = None;
            for alt in &alts {
                let mut p = Vec::new();
                walk(doc, alt, v, path, method, &mut p);
                if p.is_empty() {
                    return;
                }
                if best.as_ref().is_none_or(|b| p.len() < b.len()) {
                    best = Some(p);
                }
            }
            problems.extend(best.unwrap_or_default());
        }
        other => problems.push(format!("{method}: `{path}`: unknown type kind {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn specs() -> SlackSpecs {
        let methods = BTreeMap::from([(
            "chat.postMessage".to_string(),
            SdkMethod {
                params: ["channel", "text"].iter().map(|s| s.to_string()).collect(),
                http_verb: "POST".into(),
            },
        )]);
        let responses = json!({
            "WebAPICallResult": {"t": "object", "fields": {"ok": {"t": "boolean"}, "response_metadata": {"t": "object", "fields": {"warnings": {"t": "array", "of": {"t": "string"}}}}}},
            "ChatPostMessageResponse": {
                "root": {"t": "object", "fields": {
                    "ok": {"t": "boolean"}, "ts": {"t": "string"},
                    "message": {"t": "ref", "name": "Message"},
                    "response_metadata": {"t": "ref", "name": "Meta"}}},
                "defs": {
                    "Message": {"t": "object", "fields": {"text": {"t": "string"}, "kind": {"t": "ref", "name": "Kind"}, "n": {"t": "union", "of": [{"t": "number"}, {"t": "string"}]}}},
                    "Kind": {"t": "enum", "values": ["a", "b"]},
                    "Meta": {"t": "object", "fields": {"next_cursor": {"t": "string"}}}
                }
            }
        });
        SlackSpecs { methods, responses }
    }

    #[test]
    fn requests_are_held_to_the_signature() {
        let s = specs();
        assert!(
            s.check_request("chat.postMessage", &["channel".into(), "token".into()])
                .is_ok()
        );
        assert!(
            s.check_request("chat.postMessage", &["chanel".into()])
                .is_err()
        );
        assert!(s.check_request("chat.postMsg", &[]).is_err());
        let minted = |http: &str, path: &str, params: Value| {
            s.check_log_line(&json!({"api_method": "", "http_method": http, "path": path,
                "params": params, "status": 200}))
        };
        let upload = format!("{}/KEY", super::super::files::UPLOAD_PATH);
        assert!(minted("POST", &upload, json!([])).is_ok());
        assert!(minted("POST", &upload, json!(["token"])).is_err());
        assert!(minted("GET", "/files-pri/T1-F1/a.txt", json!([])).is_ok());
        assert!(minted("GET", "/files-pri/T1-F1/a.txt", json!(["token"])).is_err());
        assert!(minted("POST", "/files-pri/T1-F1/a.txt", json!([])).is_err());
        assert!(minted("GET", "/elsewhere", json!([])).is_err());
        let refused = json!({"api_method": "", "http_method": "GET", "path": "/files-pri/T1-F1/a.txt",
            "params": ["token"], "status": 302});
        assert!(s.check_log_line(&refused).is_ok(), "sent, and refused");
        assert!(
            s.check_log_line(&json!({"api_method": "chat.postMessage", "params": ["blocks"]}))
                .is_err()
        );
        assert_eq!(
            response_type_name("files.getUploadURLExternal"),
            "FilesGetUploadURLExternalResponse"
        );
        assert_eq!(
            response_type_name("oauth.v2.access"),
            "OauthV2AccessResponse"
        );
    }

    #[test]
    fn responses_are_walked_field_by_field() {
        let s = specs();
        let good = json!({"ok": true, "ts": "1.2", "message": {"text": "hi", "kind": "a", "n": 3}, "response_metadata": {"next_cursor": "", "warnings": ["missing_charset"]}});
        assert_eq!(s.check_response("chat.postMessage", &good), Ok(()));
        let bad = json!({"ok": true, "ts": 5, "extra": 1, "message": {"text": "hi", "kind": "c", "zzz": null}});
        let problems = s.check_response("chat.postMessage", &bad).unwrap_err();
        assert_eq!(problems.len(), 4, "{problems:#?}");
        assert!(s.check_response("nope.nope", &good).is_err());
    }
}
