//! chatkey: safe access to team chat for every AI assistant on a desktop.
//!
//! The crate is a library with two thin binaries: `chatkey` (tray daemon and CLI) and
//! `chatkey-mcp` (the stdio shim assistants launch). ARCHITECTURE.md maps the modules; in
//! short: `paths` and `config` say where things are, `tokens` and `oauth` hold sign-in,
//! `providers` talk to chat services, `mcp` is the only module that speaks MCP, `ipc`,
//! `daemon` and `shim` connect assistants to the daemon, and `emulator` stands in for Google
//! in tests and `chatkey demo`.

pub mod atomic_write;
pub mod config;
pub mod emulator;
pub mod paths;
pub mod providers;
