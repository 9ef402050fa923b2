//! chatkey's one integration-test binary; each module below says what it covers.

// The emulator against Google's discovery documents and OAuth behaviour.
mod emulator;

// The daemon in-process over real sockets: lock, handshake, control channel, shutdown.
mod daemon;

// The real chatkey-mcp binary: byte passthrough, start-up, version restart, lost daemon.
mod shim;

// The real keyring (Secret Service) behind KeyringStore, and how a missing one is reported.
mod keyring;

// The OAuth client against the emulator: consent loop, refresh, revocation, errors.
mod oauth;

// Shared set-up: emulator, private profile, signed-in app, in-process MCP client.
mod support;

// The first Google Chat tools and chatkey_status through chatkey's MCP server.
mod tools;

// The real binaries: setup, import/export/status/logout with the real keyring, bad config,
// bad bytes on the shim's stdin.
mod cli;
