//! chatkey: safe access to team chat for every AI assistant on a desktop.
//!
//! The crate is a library with two thin binaries: `chatkey` (tray daemon and CLI) and
//! `chatkey-mcp` (the stdio shim assistants launch). ARCHITECTURE.md maps the modules; in
//! short: `paths` and `config` say where things are, `tokens` and `oauth` hold sign-in,
//! `providers` talk to chat services, `mcp` is the only module that speaks MCP, `ipc`,
//! `daemon` and `shim` connect assistants to the daemon, and `emulator` stands in for Google
//! in tests and `chatkey demo`.

pub mod accounts;
pub mod app;
pub mod atomic_write;
pub mod cli;
pub mod clients;
pub mod config;
pub mod core_tools;
pub mod daemon;
pub mod daemon_main;
pub mod demo;
pub mod exit_code;
pub mod files;
pub mod http;
pub mod ipc;
pub mod logging;
pub mod mcp;
pub mod notify;
pub mod oauth;
pub mod pacing;
pub mod paths;
pub mod protocol;
pub mod providers;
pub mod refresher;
pub mod search;
pub mod shim;
pub mod signin;
pub mod time_window;
pub mod tokens;
pub mod tools;
pub mod tray;
