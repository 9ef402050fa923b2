//! The control-channel client: `chatkey status`, `chatkey login` (reload) and the shim's
//! restart of an old daemon all send one request through here.

use std::path::PathBuf;
use std::time::Duration;

use crate::ipc;
use crate::paths::Paths;
use crate::protocol::{
    ClientHello, ControlRequest, LINE_TIMEOUT, LineError, MAX_LINE_BYTES, ServerHello,
    read_line_within, write_line, write_line_bytes,
};

/// How long a control request may take to answer; `reload` reads the keyring, which can wait
/// on an unlock prompt.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);
/// Status responses list every account, so they may be longer than a handshake.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("the chatkey daemon is not running: start it with `chatkey`")]
    NotRunning,
    #[error("cannot reach the chatkey daemon at {path}: {source}")]
    Connect {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the chatkey daemon did not answer properly ({0}): see its logs")]
    Protocol(#[from] LineError),
    #[error("the chatkey daemon refused the request: {0}")]
    Refused(String),
}

/// Connects, performs a `control` handshake, sends `request` and returns the daemon's
/// response object (`{"ok":true,…}`); an `{"ok":false,"error":…}` answer becomes `Refused`.
pub async fn control(
    paths: &Paths,
    request: ControlRequest,
) -> Result<serde_json::Value, ControlError> {
    let path = paths.socket_path();
    let mut conn = ipc::connect(&path).await.map_err(|source| {
        if ipc::is_not_running(&source) {
            ControlError::NotRunning
        } else {
            ControlError::Connect { path, source }
        }
    })?;
    write_line_bytes(&mut conn, &ClientHello::control().to_line()).await?;
    let reply = read_line_within(&mut conn, MAX_LINE_BYTES, LINE_TIMEOUT).await?;
    let hello: ServerHello = serde_json::from_slice(&reply).map_err(|_| {
        ControlError::Refused(
            "the handshake reply is not chatkey's: is something else listening on the socket?"
                .into(),
        )
    })?;
    if !hello.ok {
        return Err(ControlError::Refused(hello.error.unwrap_or_default()));
    }
    write_line(&mut conn, &request).await?;
    let line = read_line_within(&mut conn, MAX_RESPONSE_BYTES, RESPONSE_TIMEOUT).await?;
    let response: serde_json::Value = serde_json::from_slice(&line)
        .map_err(|_| ControlError::Refused("the response is not JSON".into()))?;
    if response.get("ok") == Some(&serde_json::Value::Bool(true)) {
        Ok(response)
    } else {
        let error = response
            .get("error")
            .and_then(|e| e.as_str())
            .unwrap_or("no reason given");
        Err(ControlError::Refused(error.to_owned()))
    }
}
