//! The MCP server handler: lists the tools this session may see and calls them.
//!
//! Which tools a session sees depends on three things that can change independently: the
//! providers signed in (live, from the account registry), the providers the shim asked for
//! (`--provider`), and `--read-only`. A sign-in or sign-out while the session is open sends
//! `notifications/tools/list_changed`.

use std::sync::{Arc, Mutex};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::{NotificationContext, RequestContext};
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::json;

use crate::app::App;
use crate::protocol::SessionOptions;
use crate::tools::{ToolDef, ToolError, ToolErrorKind};

pub struct ChatkeyServer {
    app: Arc<App>,
    opts: SessionOptions,
    watcher: Mutex<Option<tokio::task::AbortHandle>>,
}

impl ChatkeyServer {
    pub fn new(app: Arc<App>, opts: SessionOptions) -> Self {
        Self {
            app,
            opts,
            watcher: Mutex::new(None),
        }
    }

    /// Why `tool` is not available to this session, if it is not.
    fn hidden_reason(&self, tool: &ToolDef) -> Option<ToolError> {
        if self.opts.read_only && !tool.hints.read_only {
            return Some(ToolError::new(
                ToolErrorKind::PermissionDenied,
                format!(
                    "`{}` changes data and this assistant's chatkey-mcp runs with --read-only; remove --read-only from its configuration to allow it",
                    tool.name
                ),
            ));
        }
        let provider = tool.provider?;
        if !self.opts.providers.is_empty() && !self.opts.providers.contains(&provider) {
            return Some(ToolError::new(
                ToolErrorKind::PermissionDenied,
                format!(
                    "`{}` belongs to {}, which this assistant's chatkey-mcp does not include; add `--provider {}` to its configuration",
                    tool.name,
                    provider.display_name(),
                    provider.name()
                ),
            ));
        }
        if !self.app.accounts.signed_in_providers().contains(&provider) {
            return Some(ToolError::new(
                ToolErrorKind::NeedsSignIn,
                format!(
                    "{} is not signed in: use the tray menu or run `chatkey login {}`, then call the tool again",
                    provider.display_name(),
                    provider.name()
                ),
            ));
        }
        None
    }

    fn visible_tools(&self) -> Vec<Tool> {
        self.app
            .tools()
            .iter()
            .filter(|t| self.hidden_reason(t).is_none())
            .map(to_mcp_tool)
            .collect()
    }
}

impl Drop for ChatkeyServer {
    fn drop(&mut self) {
        if let Some(handle) = self.watcher.lock().unwrap().take() {
            handle.abort();
        }
    }
}

fn to_mcp_tool(def: &ToolDef) -> Tool {
    Tool::new(def.name, def.description, def.input_schema.clone())
        .with_title(def.title)
        .with_annotations(
            ToolAnnotations::with_title(def.title)
                .read_only(def.hints.read_only)
                .destructive(def.hints.destructive)
                .idempotent(def.hints.idempotent)
                .open_world(def.hints.open_world),
        )
}

fn error_result(error: &ToolError) -> CallToolResult {
    let mut result = CallToolResult::error(vec![ContentBlock::text(error.message.clone())]);
    result.structured_content = Some(json!({ "error": error }));
    result
}

impl ServerHandler for ChatkeyServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .build(),
        )
        .with_server_info(
            Implementation::new("chatkey", env!("CARGO_PKG_VERSION")).with_title("chatkey"),
        )
        .with_instructions(self.app.instructions())
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        let mut changes = self.app.accounts.subscribe();
        let peer = context.peer.clone();
        let task = tokio::spawn(async move {
            // A lagged receiver still owes one notification; a closed one means shutdown.
            while let Ok(()) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) =
                changes.recv().await
            {
                if peer.notify_tool_list_changed().await.is_err() {
                    break;
                }
            }
        });
        *self.watcher.lock().unwrap() = Some(task.abort_handle());
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(self.visible_tools()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.app
            .tools()
            .iter()
            .find(|t| t.name == name && self.hidden_reason(t).is_none())
            .map(to_mcp_tool)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let name = request.name.as_ref();
        let Some(tool) = self.app.tools().iter().find(|t| t.name == name) else {
            return Err(McpError::invalid_params(
                format!("unknown tool `{name}`: call tools/list to see the tools chatkey offers"),
                None,
            ));
        };
        if let Some(reason) = self.hidden_reason(tool) {
            return Ok(error_result(&reason).into());
        }
        let args = request.arguments.unwrap_or_default();
        let started = std::time::Instant::now();
        let outcome = (tool.handler)(args).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        Ok(match outcome {
            Ok(value) => {
                tracing::info!(tool = tool.name, elapsed_ms, "tool call ok");
                CallToolResult::structured(value).into()
            }
            Err(error) => {
                tracing::info!(tool = tool.name, elapsed_ms, kind = ?error.kind, "tool call failed");
                error_result(&error).into()
            }
        })
    }
}
