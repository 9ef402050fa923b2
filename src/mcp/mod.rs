//! The only module that speaks MCP (through `rmcp`): one session per socket connection,
//! serving the tool catalogue filtered by what is signed in and by the shim's options.

mod guard;
mod inbound;
mod server;

use std::sync::Arc;
use std::time::Duration;

use rmcp::ServiceExt;
use rmcp::service::ServerInitializeError;

use tokio::io::{AsyncRead, AsyncWrite};

use crate::app::App;
use crate::protocol::SessionOptions;

pub use guard::MAX_MESSAGE_BYTES;
pub use server::ChatkeyServer;

/// How long the guard may take to send what rmcp wrote last, once rmcp is done.
const FLUSH_DEADLINE: Duration = Duration::from_secs(10);

/// Serves one MCP session on `conn` until the client goes away and every answer it is owed
/// has been written.
pub async fn serve<S>(app: Arc<App>, conn: S, opts: SessionOptions) -> anyhow::Result<()>
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (transport, mut guard_task) = guard::guarded(conn);
    let server = ChatkeyServer::new(app, opts);
    let outcome = async {
        let running = match server.serve(transport).await {
            Ok(running) => running,
            // A client that leaves before initializing has nothing left to be told.
            Err(ServerInitializeError::ConnectionClosed(_)) => return anyhow::Ok(()),
            Err(e) => return Err(e.into()),
        };
        running.waiting().await?;
        anyhow::Ok(())
    }
    .await;
    // rmcp has let go of its end; the guard sends what it wrote last, then closes. Aborting
    // here instead would lose those answers.
    if tokio::time::timeout(FLUSH_DEADLINE, &mut guard_task)
        .await
        .is_err()
    {
        tracing::warn!("the client did not take the session's last answers; closing");
        guard_task.abort();
    }
    if let Err(e) = &outcome {
        tracing::debug!(error = %e, "mcp session ended with an error");
    }
    outcome
}
