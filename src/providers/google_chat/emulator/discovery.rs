//! Checks requests and responses against Google's discovery documents.
//!
//! The documents (chat.v1, people.v1, oauth2.v2 from google-api-python-client 2.202.0) are not
//! committed: `scripts/fetch-specs.sh` fetches them and tests find them through
//! `$CHATKEY_SPECS_DIR`. `check_request` finds the method a request calls (path templates in
//! `flatPath`, `path` and media-upload form, plus the query parameter names it may carry);
//! `check_response` walks the method's response schema and reports every field, type or enum
//! value the schema does not allow; `check_error_body` holds error bodies to AIP-193.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::routes::{self, ROUTES};

/// The environment variable naming the directory that holds the documents.
pub const SPECS_DIR_ENV: &str = "CHATKEY_SPECS_DIR";
/// The documents the emulator is checked against.
pub const SPEC_FILES: &[&str] = &["chat.v1.json", "people.v1.json", "oauth2.v2.json"];

/// A discovery method id such as `chat.spaces.messages.list`.
pub type MethodId = String;

/// One method of a discovery document.
#[derive(Debug, Clone)]
pub struct Method {
    pub id: MethodId,
    pub http_method: String,
    /// Path templates with a leading slash, relative to the service root.
    pub templates: Vec<String>,
    pub query_params: BTreeSet<String>,
    /// Path parameter → `pattern` (for `{+x}` templates).
    pub path_patterns: Vec<(String, String)>,
    pub response: Option<String>,
    pub scopes: Vec<String>,
    doc: usize,
}

struct Doc {
    value: Value,
    standard_params: BTreeSet<String>,
}

/// The loaded documents.
pub struct DiscoveryDocs {
    docs: Vec<Doc>,
    methods: Vec<Method>,
}

impl DiscoveryDocs {
    /// Loads `SPEC_FILES` from `$CHATKEY_SPECS_DIR`.
    pub fn from_env() -> Result<Self, String> {
        let dir = std::env::var_os(SPECS_DIR_ENV).filter(|v| !v.is_empty()).ok_or_else(|| {
            format!(
                "{SPECS_DIR_ENV} is not set: run `make specs` (scripts/fetch-specs.sh target/specs) \
                 and set {SPECS_DIR_ENV}=target/specs to check the emulator against Google's discovery documents"
            )
        })?;
        Self::load_dir(Path::new(&dir))
    }

    pub fn load_dir(dir: &Path) -> Result<Self, String> {
        let paths: Vec<PathBuf> = SPEC_FILES.iter().map(|f| dir.join(f)).collect();
        Self::load_files(&paths)
    }

    pub fn load_files(paths: &[PathBuf]) -> Result<Self, String> {
        let mut docs = Vec::new();
        for p in paths {
            let text = std::fs::read_to_string(p).map_err(|e| {
                format!(
                    "cannot read {}: {e} (run `make specs` to fetch the discovery documents)",
                    p.display()
                )
            })?;
            let value: Value = serde_json::from_str(&text)
                .map_err(|e| format!("{} is not JSON: {e}", p.display()))?;
            docs.push(value);
        }
        Ok(Self::from_values(docs))
    }

    pub fn from_values(values: Vec<Value>) -> Self {
        let mut docs = Vec::new();
        let mut methods = Vec::new();
        for (i, value) in values.into_iter().enumerate() {
            let standard_params = value["parameters"]
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            let service_path = value["servicePath"].as_str().unwrap_or("").to_string();
            collect_methods(&value, &service_path, i, &mut methods);
            docs.push(Doc {
                value,
                standard_params,
            });
        }
        Self { docs, methods }
    }

    pub fn method(&self, id: &str) -> Option<&Method> {
        self.methods.iter().find(|m| m.id == id)
    }

    pub fn methods(&self) -> &[Method] {
        &self.methods
    }

    /// A schema by name, searched in every document (names are unique across these three).
    pub fn schema(&self, name: &str) -> Option<&Value> {
        self.docs.iter().find_map(|d| d.value["schemas"].get(name))
    }

    /// The description of an OAuth scope (full URL or `openid`).
    pub fn scope_description(&self, scope: &str) -> Option<&str> {
        self.docs
            .iter()
            .find_map(|d| d.value["auth"]["oauth2"]["scopes"][scope]["description"].as_str())
    }
}

fn collect_methods(node: &Value, service_path: &str, doc: usize, out: &mut Vec<Method>) {
    if let Some(methods) = node["methods"].as_object() {
        for m in methods.values() {
            let mut templates = Vec::new();
            for key in ["flatPath", "path"] {
                if let Some(p) = m[key].as_str() {
                    let t = format!("/{service_path}{p}");
                    if !templates.contains(&t) {
                        templates.push(t);
                    }
                }
            }
            if let Some(protocols) = m["mediaUpload"]["protocols"].as_object() {
                templates.extend(
                    protocols
                        .values()
                        .filter_map(|p| p["path"].as_str())
                        .map(str::to_string),
                );
            }
            let params = m["parameters"].as_object();
            let by_location = |loc: &str| {
                params
                    .into_iter()
                    .flatten()
                    .filter(|(_, p)| p["location"] == loc)
                    .map(|(k, p)| (k.clone(), p["pattern"].as_str().unwrap_or("").to_string()))
                    .collect::<Vec<_>>()
            };
            out.push(Method {
                id: m["id"].as_str().unwrap_or("").to_string(),
                http_method: m["httpMethod"].as_str().unwrap_or("GET").to_string(),
                templates,
                query_params: by_location("query").into_iter().map(|(k, _)| k).collect(),
                path_patterns: by_location("path"),
                response: m["response"]["$ref"].as_str().map(str::to_string),
                scopes: m["scopes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
                doc,
            });
        }
    }
    if let Some(resources) = node["resources"].as_object() {
        for r in resources.values() {
            collect_methods(r, service_path, doc, out);
        }
    }
}

/// Does a captured value satisfy a discovery `pattern` (literal segments, `[^/]+`, `.*`)?
fn pattern_matches(pattern: &str, value: &str) -> bool {
    let p = pattern.trim_start_matches('^').trim_end_matches('$');
    if p.is_empty() || p == ".*" {
        return true;
    }
    // `[^/]+` holds a slash itself: swap it for a marker before splitting into segments.
    let p = p.replace("[^/]+", "\u{1}");
    let pat: Vec<&str> = p.split('/').collect();
    let val: Vec<&str> = value.split('/').collect();
    pat.len() == val.len()
        && pat.iter().zip(&val).all(|(p, v)| match *p {
            "\u{1}" => !v.is_empty(),
            ".*" => true,
            lit => lit == *v,
        })
}

/// Literal characters in a template: the most specific match wins (`{x}:verb` over `{x}`).
fn specificity(template: &str) -> usize {
    let mut depth = 0;
    template
        .chars()
        .filter(|c| {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => return depth == 0,
            }
            false
        })
        .count()
}

/// Finds the discovery method a request calls and checks its query parameter names.
pub fn check_request(
    docs: &DiscoveryDocs,
    method: &str,
    path: &str,
    query_names: &[&str],
) -> Result<MethodId, String> {
    let mut best: Option<(&Method, usize)> = None;
    for m in docs
        .methods
        .iter()
        .filter(|m| m.http_method.eq_ignore_ascii_case(method))
    {
        for t in &m.templates {
            let Some(caps) = routes::match_template(t, path) else {
                continue;
            };
            let plus_ok = caps.iter().all(|(name, value)| {
                !t.contains(&format!("{{+{name}}}"))
                    || m.path_patterns
                        .iter()
                        .find(|(k, _)| k == name)
                        .is_none_or(|(_, p)| pattern_matches(p, value))
            });
            let score = specificity(t);
            if plus_ok && best.is_none_or(|(_, s)| score > s) {
                best = Some((m, score));
            }
        }
    }
    let (m, _) = best
        .ok_or_else(|| format!("{method} {path} matches no method of the discovery documents"))?;
    let standard = &docs.docs[m.doc].standard_params;
    let unknown: Vec<&str> = query_names
        .iter()
        .copied()
        .filter(|q| !m.query_params.contains(*q) && !standard.contains(*q))
        .collect();
    if !unknown.is_empty() {
        return Err(format!(
            "{method} {path} ({}) has unknown query parameters: {}",
            m.id,
            unknown.join(", ")
        ));
    }
    Ok(m.id.clone())
}

/// Validates a response body against the method's response schema.
pub fn check_response(docs: &DiscoveryDocs, method_id: &str, body: &Value) -> Result<(), String> {
    let m = docs
        .method(method_id)
        .ok_or_else(|| format!("no discovery method {method_id}"))?;
    let Some(schema_name) = &m.response else {
        return Err(format!("{method_id} has no response schema"));
    };
    let schemas = &docs.docs[m.doc].value["schemas"];
    let mut errors = Vec::new();
    walk(
        schemas,
        &serde_json::json!({ "$ref": schema_name }),
        body,
        schema_name,
        &mut errors,
    );
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("{method_id}: {}", errors.join("; ")))
    }
}

/// Validates a value against a named schema of the documents.
pub fn check_schema(docs: &DiscoveryDocs, schema_name: &str, body: &Value) -> Result<(), String> {
    let doc = docs
        .docs
        .iter()
        .find(|d| d.value["schemas"].get(schema_name).is_some())
        .ok_or_else(|| format!("no schema {schema_name}"))?;
    let mut errors = Vec::new();
    walk(
        &doc.value["schemas"],
        &serde_json::json!({ "$ref": schema_name }),
        body,
        schema_name,
        &mut errors,
    );
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

fn walk(schemas: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(r) = schema["$ref"].as_str() {
        match schemas.get(r) {
            Some(s) => walk(schemas, s, value, at, errors),
            None => errors.push(format!("{at}: unknown schema {r}")),
        }
        return;
    }
    let ty = schema["type"].as_str().unwrap_or("any");
    let ok = match ty {
        "object" => {
            let Some(map) = value.as_object() else {
                errors.push(format!("{at}: expected an object"));
                return;
            };
            for (k, v) in map {
                let here = format!("{at}.{k}");
                if let Some(prop) = schema["properties"].get(k) {
                    walk(schemas, prop, v, &here, errors);
                } else if schema["additionalProperties"].is_object() {
                    walk(schemas, &schema["additionalProperties"], v, &here, errors);
                } else {
                    errors.push(format!("{here}: field not in schema"));
                }
            }
            true
        }
        "array" => {
            let Some(items) = value.as_array() else {
                errors.push(format!("{at}: expected an array"));
                return;
            };
            for (i, v) in items.iter().enumerate() {
                walk(schemas, &schema["items"], v, &format!("{at}[{i}]"), errors);
            }
            true
        }
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        _ => true,
    };
    if !ok {
        errors.push(format!("{at}: expected {ty}, got {value}"));
        return;
    }
    if let (Some(allowed), Some(s)) = (schema["enum"].as_array(), value.as_str())
        && !allowed.iter().any(|a| a == s)
    {
        errors.push(format!("{at}: {s} is not one of the schema's enum values"));
    }
}

/// Holds an error body to the AIP-193 envelope.
pub fn check_error_body(body: &Value) -> Result<(), String> {
    let outer = body.as_object().ok_or("error body is not an object")?;
    if outer.len() != 1 {
        return Err(format!("error body has fields besides `error`: {body}"));
    }
    let e = body["error"]
        .as_object()
        .ok_or("`error` is not an object")?;
    if let Some(k) = e
        .keys()
        .find(|k| !["code", "message", "status", "details"].contains(&k.as_str()))
    {
        return Err(format!("unexpected field error.{k}"));
    }
    let code = e
        .get("code")
        .and_then(Value::as_u64)
        .ok_or("error.code is missing or not a number")?;
    e.get("message")
        .and_then(Value::as_str)
        .ok_or("error.message is missing")?;
    let status = e
        .get("status")
        .and_then(Value::as_str)
        .ok_or("error.status is missing")?;
    if status != super::errors::canonical_status(code as u16) {
        return Err(format!("error.status {status} does not fit code {code}"));
    }
    if let Some(details) = e.get("details") {
        let list = details.as_array().ok_or("error.details is not an array")?;
        if list
            .iter()
            .any(|d| d.get("@type").and_then(Value::as_str).is_none())
        {
            return Err("every error.details entry needs an @type".into());
        }
    }
    Ok(())
}

/// Checks one line of a `CHATKEY_EMULATOR_REQUEST_LOG` file: the request must call a
/// discovery method (or one of the OAuth endpoints outside the documents) with known
/// parameters, and must not have been answered 404 for an unknown path.
pub fn check_log_line(docs: &DiscoveryDocs, line: &Value) -> Result<(), String> {
    let method = line["method"].as_str().ok_or("log line has no method")?;
    let path = line["path"].as_str().ok_or("log line has no path")?;
    let names: Vec<&str> = line["query"]
        .as_array()
        .ok_or("log line has no query list")?
        .iter()
        .filter_map(|p| p.get(0).and_then(Value::as_str))
        .collect();
    let oauth = ROUTES
        .iter()
        .filter(|r| r.discovery_id.is_none())
        .find(|r| r.method == method && routes::match_template(r.template, path).is_some());
    if let Some(r) = oauth {
        return match names.iter().find(|n| !r.params.contains(n)) {
            Some(n) => Err(format!("{method} {path}: unknown OAuth parameter {n}")),
            None => Ok(()),
        };
    }
    check_request(docs, method, path, &names).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tiny() -> DiscoveryDocs {
        DiscoveryDocs::from_values(vec![json!({
            "servicePath": "",
            "parameters": { "fields": {}, "alt": {} },
            "schemas": {
                "Thing": { "type": "object", "properties": {
                    "name": { "type": "string" },
                    "kind": { "type": "string", "enum": ["A", "B"] },
                    "tags": { "type": "array", "items": { "$ref": "Tag" } },
                    "labels": { "type": "object", "additionalProperties": { "type": "string" } }
                }},
                "Tag": { "type": "object", "properties": { "n": { "type": "integer" } } }
            },
            "resources": { "things": { "methods": {
                "get": { "id": "x.things.get", "httpMethod": "GET", "flatPath": "v1/things/{thingsId}",
                         "path": "v1/{+name}", "parameters": { "name": { "location": "path", "pattern": "^things/[^/]+$" },
                         "view": { "location": "query" } }, "response": { "$ref": "Thing" } },
                "act": { "id": "x.things.act", "httpMethod": "GET", "flatPath": "v1/things/{thingsId}:act",
                         "path": "v1/{+name}:act", "parameters": {}, "response": { "$ref": "Thing" } }
            }}}
        })])
    }

    #[test]
    fn requests_match_templates_and_params() {
        let d = tiny();
        assert_eq!(
            check_request(&d, "GET", "/v1/things/a", &["view", "fields"]).unwrap(),
            "x.things.get"
        );
        assert_eq!(
            check_request(&d, "GET", "/v1/things/a:act", &[]).unwrap(),
            "x.things.act"
        );
        assert!(check_request(&d, "GET", "/v1/things/a", &["bogus"]).is_err());
        assert!(check_request(&d, "POST", "/v1/things/a", &[]).is_err());
        assert!(check_request(&d, "GET", "/v1/other/a", &[]).is_err());
    }

    #[test]
    fn responses_walk_the_schema() {
        let d = tiny();
        let good = json!({"name": "t", "kind": "A", "tags": [{"n": 1}], "labels": {"a": "b"}});
        check_response(&d, "x.things.get", &good).unwrap();
        let err = check_response(
            &d,
            "x.things.get",
            &json!({"name": 1, "kind": "C", "tags": [{"m": 1}], "extra": true}),
        )
        .unwrap_err();
        assert!(err.contains("Thing.name: expected string"), "{err}");
        assert!(err.contains("not one of the schema's enum values"), "{err}");
        assert!(
            err.contains("Thing.tags[0].m: field not in schema"),
            "{err}"
        );
        assert!(err.contains("Thing.extra: field not in schema"), "{err}");
    }

    #[test]
    fn error_bodies() {
        check_error_body(&json!({"error": {"code": 404, "message": "x", "status": "NOT_FOUND"}}))
            .unwrap();
        assert!(
            check_error_body(
                &json!({"error": {"code": 404, "message": "x", "status": "INTERNAL"}})
            )
            .is_err()
        );
        assert!(check_error_body(&json!({"error": "invalid_grant"})).is_err());
        assert!(check_error_body(&json!({"error": {"code": 400, "message": "x", "status": "INVALID_ARGUMENT", "details": [{}]}})).is_err());
    }

    #[test]
    fn patterns() {
        assert!(pattern_matches(
            "^spaces/[^/]+/messages/[^/]+$",
            "spaces/a/messages/b"
        ));
        assert!(!pattern_matches("^spaces/[^/]+$", "spaces/a/messages/b"));
        assert!(pattern_matches("^.*$", "a/b/c"));
    }
}
