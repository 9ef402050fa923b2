//! The emulator held to Microsoft Graph's own machine-readable source: msgraph-sdk 1.65.0's
//! request builders (every route's URL template, its query parameters and HTTP methods) and
//! models (every JSON field name), reduced by `scripts/graph-specs.py` into
//! `$CHATKEY_SPECS_DIR/graph`. A request is checked against the templates (`/me` is Graph's
//! alias of `/users/{user-id}`); an answer's objects are checked field by field against the
//! model each field holds, nested objects included.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

#[derive(serde::Deserialize)]
struct Route {
    template: String,
    query: Vec<String>,
    methods: Vec<String>,
}

pub struct GraphSpecs {
    routes: Vec<Route>,
    models: BTreeMap<String, BTreeSet<String>>,
}

/// Which model a field of a model holds (for the fields the emulator renders as objects).
const NESTED: &[(&str, &str, &str)] = &[
    ("chat", "members", "aadUserConversationMember"),
    ("chat", "viewpoint", "chatViewpoint"),
    ("chatMessage", "body", "itemBody"),
    ("chatMessage", "from", "chatMessageFromIdentitySet"),
    ("chatMessage", "mentions", "chatMessageMention"),
    ("chatMessage", "reactions", "chatMessageReaction"),
    ("chatMessage", "attachments", "chatMessageAttachment"),
    ("chatMessage", "channelIdentity", "channelIdentity"),
    ("chatMessage", "eventDetail", "eventMessageDetail"),
    ("chatMessageFromIdentitySet", "user", "teamworkUserIdentity"),
    (
        "chatMessageMention",
        "mentioned",
        "chatMessageMentionedIdentitySet",
    ),
    (
        "chatMessageMentionedIdentitySet",
        "user",
        "teamworkUserIdentity",
    ),
    (
        "chatMessageReaction",
        "user",
        "chatMessageReactionIdentitySet",
    ),
    (
        "chatMessageReactionIdentitySet",
        "user",
        "teamworkUserIdentity",
    ),
];

impl GraphSpecs {
    /// `$CHATKEY_SPECS_DIR/graph`, `Ok(None)` when the variable is unset.
    pub fn from_env() -> Result<Option<Self>, String> {
        let Some(dir) = std::env::var_os("CHATKEY_SPECS_DIR") else {
            return Ok(None);
        };
        Self::load(&Path::new(&dir).join("graph")).map(Some)
    }

    pub fn load(dir: &Path) -> Result<Self, String> {
        let read = |name: &str| {
            std::fs::read(dir.join(name)).map_err(|e| {
                format!(
                    "cannot read {}: {e}; run `make specs` (scripts/fetch-graph-specs.sh)",
                    dir.join(name).display()
                )
            })
        };
        let routes = serde_json::from_slice(&read("routes.json")?).map_err(|e| e.to_string())?;
        let models = serde_json::from_slice(&read("models.json")?).map_err(|e| e.to_string())?;
        Ok(Self { routes, models })
    }

    /// A request's method, path under `/v1.0` and query keys against the route templates.
    pub fn check_request(&self, method: &str, path: &str, query: &[&str]) -> Result<(), String> {
        let path = match path.strip_prefix("/me") {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("/users/me{rest}"),
            _ => path.to_owned(),
        };
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        let route = self
            .routes
            .iter()
            .find(|r| {
                let t: Vec<&str> = r.template.trim_matches('/').split('/').collect();
                t.len() == segs.len()
                    && t.iter()
                        .zip(&segs)
                        .all(|(t, s)| (t.starts_with('{') && t.ends_with('}')) || t == s)
            })
            .ok_or_else(|| {
                format!("{method} {path}: no msgraph-sdk request builder has this path")
            })?;
        if !route.methods.iter().any(|m| m == method) {
            return Err(format!(
                "{method} {path}: {} allows only {:?}",
                route.template, route.methods
            ));
        }
        for q in query {
            // nextLinks carry the server's own $skiptoken, which no builder declares.
            if *q != "$skiptoken" && !route.query.iter().any(|r| r == q) {
                return Err(format!(
                    "{method} {path}: query parameter `{q}` is not one of {}'s {:?}",
                    route.template, route.query
                ));
            }
        }
        Ok(())
    }

    /// Fields of `value` (an object of `model`, or an array of them) that the model lacks,
    /// as `model.field` paths; nested objects are checked with their own models.
    pub fn check_object(&self, model: &str, value: &Value) -> Vec<String> {
        let mut problems = Vec::new();
        self.walk(model, value, model, &mut problems);
        problems
    }

    fn walk(&self, model: &str, value: &Value, at: &str, out: &mut Vec<String>) {
        match value {
            Value::Array(items) => {
                for item in items {
                    self.walk(model, item, at, out);
                }
            }
            Value::Object(map) => {
                // A derived type named by `@odata.type` has its own fields.
                let model = map
                    .get("@odata.type")
                    .and_then(Value::as_str)
                    .map(|t| t.trim_start_matches("#microsoft.graph."))
                    .filter(|t| self.models.contains_key(*t))
                    .unwrap_or(model);
                let Some(fields) = self.models.get(model) else {
                    out.push(format!("{at}: msgraph-sdk has no model `{model}`"));
                    return;
                };
                for (key, v) in map {
                    if key.contains("@odata.") {
                        continue;
                    }
                    if !fields.contains(key) {
                        out.push(format!("{at}.{key}: not a field of `{model}`"));
                        continue;
                    }
                    if let Some((_, _, inner)) =
                        NESTED.iter().find(|(m, f, _)| *m == model && f == key)
                    {
                        self.walk(inner, v, &format!("{at}.{key}"), out);
                    }
                }
            }
            _ => {}
        }
    }
}
