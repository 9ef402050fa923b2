//! The tool catalogue in provider-neutral terms: a name, an LLM-oriented description, a JSON
//! schema, behaviour hints and an async handler that takes JSON and returns JSON.
//!
//! Providers declare their tools here without knowing MCP; the `mcp` module turns these into
//! MCP tools. Argument parsing lives here too, so every tool reports a bad argument the same
//! way: by naming the parameter and saying what was expected.

use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::providers::ProviderId;

/// How a tool behaves, for assistants deciding whether to ask the person first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hints {
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
    /// Talks to a service outside this machine.
    pub open_world: bool,
}

impl Hints {
    pub const READ: Hints = Hints {
        read_only: true,
        destructive: false,
        idempotent: true,
        open_world: true,
    };
    pub const WRITE: Hints = Hints {
        read_only: false,
        destructive: false,
        idempotent: false,
        open_world: true,
    };
    pub const LOCAL_READ: Hints = Hints {
        read_only: true,
        destructive: false,
        idempotent: true,
        open_world: false,
    };
}

/// A tool's handler with its context already bound: JSON arguments in, JSON result out.
pub type Handler = Arc<dyn Fn(Map<String, Value>) -> BoxFuture<'static, ToolResult> + Send + Sync>;
pub type ToolResult = Result<Value, ToolError>;

/// A handler that still needs the context it runs in (`C`: a provider's context, or chatkey's
/// own for the core tools). Binding it yields a [`ToolDef`].
type Unbound<C> =
    Arc<dyn Fn(Arc<C>, Map<String, Value>) -> BoxFuture<'static, ToolResult> + Send + Sync>;

/// A tool as its provider declares it: everything but the context its handler runs in.
/// Providers declare these once; `bind` hands each the provider's context, so a handler sees
/// its own provider's state and nothing of the daemon around it.
pub struct ToolSpec<C> {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub provider: Option<ProviderId>,
    pub hints: Hints,
    pub input_schema: Arc<Map<String, Value>>,
    run: Unbound<C>,
}

impl<C: Send + Sync + 'static> ToolSpec<C> {
    /// Declares a tool whose arguments are `P` (schema and parsing both come from it) and
    /// whose result is any `Serialize` value.
    pub fn new<P, R, F, Fut>(
        name: &'static str,
        title: &'static str,
        description: &'static str,
        provider: Option<ProviderId>,
        hints: Hints,
        run: F,
    ) -> Self
    where
        P: DeserializeOwned + JsonSchema + Send + 'static,
        R: Serialize + 'static,
        F: Fn(Arc<C>, P) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, ToolError>> + Send + 'static,
    {
        let run = Arc::new(run);
        let unbound: Unbound<C> = Arc::new(move |ctx, args| {
            let run = run.clone();
            Box::pin(async move {
                let params: P = parse_arguments(args)?;
                let result = run(ctx, params).await?;
                serde_json::to_value(result)
                    .map_err(|e| ToolError::internal(format!("failed to encode the result: {e}")))
            })
        });
        Self {
            name,
            title,
            description,
            provider,
            hints,
            input_schema: Arc::new(input_schema::<P>()),
            run: unbound,
        }
    }

    /// The tool with its handler bound to `ctx`.
    pub fn bind(self, ctx: Arc<C>) -> ToolDef {
        let run = self.run;
        ToolDef {
            name: self.name,
            title: self.title,
            description: self.description,
            provider: self.provider,
            hints: self.hints,
            input_schema: self.input_schema,
            handler: Arc::new(move |args| run(ctx.clone(), args)),
        }
    }
}

/// Binds every spec to the same context.
pub fn bind_all<C: Send + Sync + 'static>(specs: Vec<ToolSpec<C>>, ctx: &Arc<C>) -> Vec<ToolDef> {
    specs.into_iter().map(|s| s.bind(ctx.clone())).collect()
}

/// One tool as every front end sees it.
#[derive(Clone)]
pub struct ToolDef {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    /// `None` for chatkey's own tools, which are always listed.
    pub provider: Option<ProviderId>,
    pub hints: Hints,
    pub input_schema: Arc<Map<String, Value>>,
    pub handler: Handler,
}

impl std::fmt::Debug for ToolDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolDef").field("name", &self.name).finish()
    }
}

/// The JSON schema of a tool's arguments, with sub-schemas inlined because several MCP
/// clients do not resolve `$ref`.
pub fn input_schema<P: JsonSchema>() -> Map<String, Value> {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| s.inline_subschemas = true)
        .into_generator();
    let schema = generator.into_root_schema_for::<P>();
    let mut map = match serde_json::to_value(schema) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    map.remove("$schema");
    map.remove("title");
    if !map.contains_key("properties") {
        map.insert("properties".into(), Value::Object(Map::new()));
    }
    map
}

/// Parses arguments so that an error names the parameter (`days_window: invalid type …`).
pub fn parse_arguments<P: DeserializeOwned>(args: Map<String, Value>) -> Result<P, ToolError> {
    let value = Value::Object(args);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        if path == "." || path.is_empty() {
            ToolError::invalid_argument(format!("invalid arguments: {inner}"))
        } else {
            ToolError::invalid_argument(format!("invalid argument `{path}`: {inner}"))
        }
    })
}

/// What went wrong, in a form an assistant can act on: the message always says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{message}")]
pub struct ToolError {
    pub kind: ToolErrorKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolErrorKind {
    InvalidArgument,
    NotFound,
    NeedsSignIn,
    PermissionDenied,
    RateLimited,
    Unavailable,
    Internal,
}

impl ToolError {
    pub fn new(kind: ToolErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(ToolErrorKind::InvalidArgument, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ToolErrorKind::NotFound, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ToolErrorKind::Internal, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Args {
        /// The space.
        space: String,
        days_window: Option<u32>,
    }

    fn args(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn wrong_type_names_the_parameter() {
        let err =
            parse_arguments::<Args>(args(serde_json::json!({"space":"A","days_window":"seven"})))
                .unwrap_err();
        assert_eq!(err.kind, ToolErrorKind::InvalidArgument);
        assert!(err.message.contains("`days_window`"), "{}", err.message);
    }

    #[test]
    fn missing_parameter_is_named() {
        let err = parse_arguments::<Args>(Map::new()).unwrap_err();
        assert!(err.message.contains("space"), "{}", err.message);
    }

    #[test]
    fn schema_is_an_inline_object() {
        let schema = input_schema::<Args>();
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["properties"]["space"]["description"], "The space.");
        assert!(!serde_json::to_string(&schema).unwrap().contains("$ref"));
    }
}
