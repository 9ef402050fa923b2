//! The only bytes on the daemon's socket that are not MCP: a one-line JSON handshake at the
//! start of every connection, and the JSON-lines control channel behind `kind: control`.
//!
//! The handshake lets `chatkey-mcp` learn the daemon's version (and restart an old daemon)
//! without parsing MCP:
//!
//! ```text
//! client → {"chatkey":"0.1.0","kind":"mcp","providers":["google-chat"],"read_only":false}
//! client → {"chatkey":"0.1.0","kind":"control"}
//! server → {"chatkey":"0.1.0","ok":true}
//! server → {"chatkey":"0.1.0","ok":false,"error":"…"}
//! server → {"chatkey":"0.1.0","ok":false,"busy":true,"error":"chatkey is busy: …"}
//! ```
//!
//! `busy` marks a refusal for lack of room (too many sessions or connections): the daemon
//! runs and works, so `chatkey status` and the shim say so rather than "not running".
//!
//! After an accepted `mcp` handshake the connection carries raw MCP (newline-delimited
//! JSON-RPC) both ways. After `control`, each request line (`{"cmd":"status"}`, `reload`,
//! `shutdown`, `version`, `menu`, `activate`) gets one response line (`{"ok":true,…}` or
//! `{"ok":false,"error":"…"}`). The control channel is accepted whatever the client's version,
//! so a newer `chatkey-mcp` can always ask an older daemon to shut down.
//!
//! Lines are read one byte at a time on purpose: no buffer can swallow the first MCP bytes
//! that follow the handshake, and the handshake is tiny. Every line has a length cap and a
//! time limit so a silent or hostile client cannot hold a task forever.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::providers::{ProviderId, UnknownProvider};

/// This build's version, sent in every handshake.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The longest handshake or control line either side accepts.
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// How long a peer may take to send one handshake or control line.
pub const LINE_TIMEOUT: Duration = Duration::from_secs(5);

/// What an MCP session may see: `providers` limits the tools (empty means all providers),
/// `read_only` hides tools that write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionOptions {
    pub providers: Vec<ProviderId>,
    pub read_only: bool,
}

/// What a client asks for in its handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelloKind {
    Mcp(SessionOptions),
    Control,
}

/// The client's handshake line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello {
    /// The client's `CARGO_PKG_VERSION`.
    pub version: String,
    pub kind: HelloKind,
}

/// The wire shape of `ClientHello`. Unknown fields are ignored so a newer client can add
/// some without breaking an older daemon's version check.
#[derive(Serialize, Deserialize)]
struct ClientHelloWire {
    chatkey: String,
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    providers: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    read_only: Option<bool>,
}

#[derive(Debug, thiserror::Error)]
pub enum HelloError {
    #[error("malformed handshake ({0}): connect with chatkey-mcp of the same version")]
    Malformed(serde_json::Error),
    #[error("unknown connection kind `{0}`: use mcp or control")]
    UnknownKind(String),
    #[error(transparent)]
    UnknownProvider(#[from] UnknownProvider),
}

impl ClientHello {
    /// This build's `mcp` handshake.
    pub fn mcp(options: SessionOptions) -> Self {
        Self {
            version: VERSION.to_owned(),
            kind: HelloKind::Mcp(options),
        }
    }

    /// This build's `control` handshake.
    pub fn control() -> Self {
        Self {
            version: VERSION.to_owned(),
            kind: HelloKind::Control,
        }
    }

    pub fn parse(line: &[u8]) -> Result<Self, HelloError> {
        let wire: ClientHelloWire = serde_json::from_slice(line).map_err(HelloError::Malformed)?;
        let kind = match wire.kind.as_str() {
            "mcp" => HelloKind::Mcp(SessionOptions {
                providers: wire
                    .providers
                    .unwrap_or_default()
                    .iter()
                    .map(|name| name.parse())
                    .collect::<Result<_, _>>()?,
                read_only: wire.read_only.unwrap_or(false),
            }),
            "control" => HelloKind::Control,
            other => return Err(HelloError::UnknownKind(other.to_owned())),
        };
        Ok(Self {
            version: wire.chatkey,
            kind,
        })
    }

    pub fn to_line(&self) -> Vec<u8> {
        let wire = match &self.kind {
            HelloKind::Mcp(options) => ClientHelloWire {
                chatkey: self.version.clone(),
                kind: "mcp".to_owned(),
                providers: Some(
                    options
                        .providers
                        .iter()
                        .map(|p| p.name().to_owned())
                        .collect(),
                ),
                read_only: Some(options.read_only),
            },
            HelloKind::Control => ClientHelloWire {
                chatkey: self.version.clone(),
                kind: "control".to_owned(),
                providers: None,
                read_only: None,
            },
        };
        to_line(&wire)
    }
}

/// The daemon's handshake reply. `chatkey` is always the daemon's version, also on errors, so
/// the shim can tell a version mismatch from any other refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerHello {
    pub chatkey: String,
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Refused for lack of room, not for anything the client did.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub busy: bool,
}

impl ServerHello {
    pub fn accept() -> Self {
        Self {
            chatkey: VERSION.to_owned(),
            ok: true,
            error: None,
            busy: false,
        }
    }

    pub fn refuse(error: impl Into<String>) -> Self {
        Self {
            chatkey: VERSION.to_owned(),
            ok: false,
            error: Some(error.into()),
            busy: false,
        }
    }

    /// A refusal because the daemon is at a limit; `error` says which and what to do.
    pub fn busy(error: impl Into<String>) -> Self {
        Self {
            busy: true,
            ..Self::refuse(error)
        }
    }
}

/// One request on the control channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum ControlRequest {
    /// `{"ok":true,"status":{…},"daemon":{…}}`: the accounts' state and the daemon's own.
    Status,
    /// Re-read config, accounts and keyring, the way a fresh `chatkey login` is picked up.
    Reload,
    /// Stop accepting, let sessions finish (bounded), remove the socket and exit.
    Shutdown,
    /// `{"ok":true,"version":"…","pid":…}`.
    Version,
    /// `{"ok":true,"tray":bool,"view":{icon,tooltip,items}}`: what the tray shows (or would
    /// show), for tests and debugging.
    Menu,
    /// A second `chatkey` was launched: show "chatkey is already running — see the tray".
    Activate,
}

impl ControlRequest {
    pub fn name(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Reload => "reload",
            Self::Shutdown => "shutdown",
            Self::Version => "version",
            Self::Menu => "menu",
            Self::Activate => "activate",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LineError {
    #[error("the peer closed the connection")]
    Closed,
    #[error("line longer than {0} bytes")]
    TooLong(usize),
    #[error("no complete line within {} s", .0.as_secs())]
    Timeout(Duration),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Reads one `\n`-terminated line of at most `max` bytes (without the terminator; a trailing
/// `\r` is dropped too), never reading past the newline.
pub async fn read_line<R: AsyncRead + Unpin>(
    reader: &mut R,
    max: usize,
) -> Result<Vec<u8>, LineError> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        if reader.read(&mut byte).await? == 0 {
            return Err(LineError::Closed);
        }
        if byte[0] == b'\n' {
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(line);
        }
        if line.len() == max {
            return Err(LineError::TooLong(max));
        }
        line.push(byte[0]);
    }
}

/// `read_line` bounded by `limit`.
pub async fn read_line_within<R: AsyncRead + Unpin>(
    reader: &mut R,
    max: usize,
    limit: Duration,
) -> Result<Vec<u8>, LineError> {
    tokio::time::timeout(limit, read_line(reader, max))
        .await
        .map_err(|_| LineError::Timeout(limit))?
}

/// Writes `value` as one JSON line and flushes, bounded by `LINE_TIMEOUT` so a peer that
/// never reads cannot stall the writer.
pub async fn write_line<W: AsyncWrite + Unpin>(
    writer: &mut W,
    value: &impl Serialize,
) -> Result<(), LineError> {
    write_line_bytes(writer, &to_line(value)).await
}

/// Writes an already encoded line (such as `ClientHello::to_line`) and flushes, bounded by
/// `LINE_TIMEOUT`.
pub async fn write_line_bytes<W: AsyncWrite + Unpin>(
    writer: &mut W,
    line: &[u8],
) -> Result<(), LineError> {
    tokio::time::timeout(LINE_TIMEOUT, async {
        writer.write_all(line).await?;
        writer.flush().await
    })
    .await
    .map_err(|_| LineError::Timeout(LINE_TIMEOUT))??;
    Ok(())
}

fn to_line(value: &impl Serialize) -> Vec<u8> {
    // Serializing these plain structs and JSON values cannot fail.
    let mut line = serde_json::to_vec(value).expect("protocol values serialize");
    line.push(b'\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mcp_hello_round_trips_and_matches_the_wire_format() {
        let hello = ClientHello::mcp(SessionOptions {
            providers: vec![ProviderId::GoogleChat],
            read_only: true,
        });
        let line = hello.to_line();
        let text = std::str::from_utf8(&line).unwrap();
        assert_eq!(
            text,
            format!(
                "{{\"chatkey\":\"{VERSION}\",\"kind\":\"mcp\",\"providers\":[\"google-chat\"],\"read_only\":true}}\n"
            )
        );
        assert_eq!(ClientHello::parse(line.trim_ascii_end()).unwrap(), hello);
    }

    #[test]
    fn control_hello_and_defaults() {
        let parsed =
            ClientHello::parse(br#"{"chatkey":"9.9.9","kind":"control","extra":1}"#).unwrap();
        assert_eq!(parsed.version, "9.9.9");
        assert_eq!(parsed.kind, HelloKind::Control);
        let parsed = ClientHello::parse(br#"{"chatkey":"1","kind":"mcp"}"#).unwrap();
        assert_eq!(parsed.kind, HelloKind::Mcp(SessionOptions::default()));
    }

    #[test]
    fn bad_hellos_say_what_is_wrong() {
        let err =
            ClientHello::parse(br#"{"chatkey":"1","kind":"mcp","providers":["irc"]}"#).unwrap_err();
        assert!(err.to_string().contains("unknown provider `irc`"), "{err}");
        let err = ClientHello::parse(br#"{"chatkey":"1","kind":"events"}"#).unwrap_err();
        assert!(matches!(err, HelloError::UnknownKind(_)));
        let err = ClientHello::parse(b"GET / HTTP/1.1").unwrap_err();
        assert!(matches!(err, HelloError::Malformed(_)));
    }

    #[test]
    fn busy_is_on_the_wire_only_when_set() {
        let busy = serde_json::to_string(&ServerHello::busy("full")).unwrap();
        assert_eq!(
            busy,
            format!("{{\"chatkey\":\"{VERSION}\",\"ok\":false,\"error\":\"full\",\"busy\":true}}")
        );
        let plain = serde_json::to_string(&ServerHello::refuse("no")).unwrap();
        assert!(!plain.contains("busy"), "{plain}");
        // An older daemon's refusal (no `busy`) still parses.
        let old: ServerHello =
            serde_json::from_str(r#"{"chatkey":"0.0.1","ok":false,"error":"x"}"#).unwrap();
        assert!(!old.busy);
    }

    #[test]
    fn control_requests_use_cmd_tags() {
        assert_eq!(
            serde_json::to_string(&ControlRequest::Reload).unwrap(),
            r#"{"cmd":"reload"}"#
        );
        let parsed: ControlRequest = serde_json::from_str(r#"{"cmd":"shutdown"}"#).unwrap();
        assert_eq!(parsed, ControlRequest::Shutdown);
    }

    #[tokio::test]
    async fn read_line_stops_at_the_newline_and_caps_length() {
        let (mut a, mut b) = tokio::io::duplex(1024);
        a.write_all(b"hello\r\nrest").await.unwrap();
        assert_eq!(read_line(&mut b, 16).await.unwrap(), b"hello");
        let mut rest = [0u8; 4];
        b.read_exact(&mut rest).await.unwrap();
        assert_eq!(&rest, b"rest");

        a.write_all(b"0123456789").await.unwrap();
        assert!(matches!(
            read_line(&mut b, 4).await,
            Err(LineError::TooLong(4))
        ));
        drop(a);
        // Exactly `max` bytes plus the newline is still accepted.
        let (mut a, mut b) = tokio::io::duplex(64);
        a.write_all(b"abcd\n").await.unwrap();
        assert_eq!(read_line(&mut b, 4).await.unwrap(), b"abcd");
        drop(a);
        assert!(matches!(read_line(&mut b, 4).await, Err(LineError::Closed)));
    }

    #[tokio::test]
    async fn a_silent_peer_times_out() {
        let (_a, mut b) = tokio::io::duplex(64);
        let limit = Duration::from_millis(50);
        let err = read_line_within(&mut b, 16, limit).await.unwrap_err();
        assert!(matches!(err, LineError::Timeout(_)));
    }
}
