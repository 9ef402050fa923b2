//! The emulator: Google's OAuth behaviour, Chat and People over real HTTP, the knobs, and the
//! checks against Google's discovery documents (tests named `discovery_…` need
//! `$CHATKEY_SPECS_DIR`; run `make specs`).

mod chat;
mod chat_resources;
mod chat_write;
mod discovery;
mod knobs;
mod oauth;
mod people;
mod support;
mod tokens;
