//! The control-channel client: `chatkey status`, `chatkey login` (reload) and the shim's
//! restart of an old daemon all send one request through here.
//!
//! Its errors tell "not running" (`NotRunning`: nothing listens, start it) from "running but
//! cannot take this now" (`Busy`: the daemon said so, or a live daemon holds the lock and did
//! not answer the handshake in time), which `chatkey status` reports differently.

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
    #[error("cannot reach the chatkey daemon at {path}: {cause}")]
    Connect {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("the chatkey daemon did not answer properly ({0}): see its logs")]
    Protocol(LineError),
    #[error("the chatkey daemon refused the request: {0}")]
    Refused(String),
    /// The daemon runs but is at a limit or not answering; the text says which and what to
    /// do.
    #[error("{0}")]
    Busy(String),
}

impl ControlError {
    /// Whether a daemon is known to run (it answered, or it holds the lock), whatever went
    /// wrong with this request.
    pub fn daemon_is_running(&self) -> bool {
        !matches!(self, Self::NotRunning)
    }
}

/// Connects, performs a `control` handshake, sends `request` and returns the daemon's
/// response object (`{"ok":true,…}`); an `{"ok":false,"error":…}` answer becomes `Refused`.
pub async fn control(
    paths: &Paths,
    request: ControlRequest,
) -> Result<serde_json::Value, ControlError> {
    let path = paths.socket_path();
    let mut conn = ipc::connect(&path).await.map_err(|cause| {
        if ipc::is_not_running(&cause) {
            ControlError::NotRunning
        } else {
            ControlError::Connect { path, cause }
        }
    })?;
    // A daemon at its limit answers with a refusal and closes at once, possibly before our
    // hello is written: a failed write still leaves its answer to read.
    let sent = write_line_bytes(&mut conn, &ClientHello::control().to_line()).await;
    let reply = match read_line_within(&mut conn, MAX_LINE_BYTES, LINE_TIMEOUT).await {
        Err(_) if sent.is_err() => return Err(sent.unwrap_err().into()),
        Ok(reply) => reply,
        Err(LineError::Timeout(waited)) => {
            return Err(match super::read_lock_info(paths) {
                Some(info) => ControlError::Busy(format!(
                    "the chatkey daemon ({info}) is running but did not answer within {} s: it may be overloaded; see its logs in {}",
                    waited.as_secs(),
                    paths.log_dir().display()
                )),
                None => ControlError::Protocol(LineError::Timeout(waited)),
            });
        }
        Err(error) => return Err(error.into()),
    };
    let hello: ServerHello = serde_json::from_slice(&reply).map_err(|_| {
        ControlError::Refused(
            "the handshake reply is not chatkey's: is something else listening on the socket?"
                .into(),
        )
    })?;
    if !hello.ok {
        let error = hello.error.unwrap_or_default();
        return Err(if hello.busy {
            ControlError::Busy(error)
        } else {
            ControlError::Refused(error)
        });
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

// By hand rather than `#[from]`: the cause is in the message, so it must not also be the
// error's `source` (a `{:#}` chain would print it twice).
impl From<LineError> for ControlError {
    fn from(e: LineError) -> Self {
        ControlError::Protocol(e)
    }
}
