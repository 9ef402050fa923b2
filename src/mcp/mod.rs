//! The only module that speaks MCP (through `rmcp`): one session per socket connection,
//! serving the tool catalogue filtered by what is signed in and by the shim's options.

mod guard;
mod server;

use std::sync::Arc;

use rmcp::ServiceExt;

use tokio::io::{AsyncRead, AsyncWrite};

use crate::app::App;
use crate::protocol::SessionOptions;

pub use guard::MAX_MESSAGE_BYTES;
pub use server::ChatkeyServer;

/// Serves one MCP session on `conn` until the client goes away.
pub async fn serve<S>(app: Arc<App>, conn: S, opts: SessionOptions) -> anyhow::Result<()>
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (transport, guard_task) = guard::guarded(conn);
    let server = ChatkeyServer::new(app, opts);
    let outcome = async {
        let running = server.serve(transport).await?;
        running.waiting().await?;
        anyhow::Ok(())
    }
    .await;
    guard_task.abort();
    if let Err(e) = &outcome {
        tracing::debug!(error = %e, "mcp session ended with an error");
    }
    outcome
}
