//! chatkey's one integration-test binary; each module below says what it covers.

// ARCHITECTURE.md's invariants checked against src/: module boundaries, doc paragraphs.
mod invariants;

// The emulator against Google's discovery documents and OAuth behaviour.
mod emulator;

// The Slack emulator against slack_sdk's methods and @slack/web-api's types, and Slack's wire.
mod slack_emulator;

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

// Input that names nothing or no time: not-found errors name the resource, time bounds are
// checked before any request.
mod inputs;

// The real binaries: setup, import/export/status/logout with the real keyring, bad config,
// bad bytes on the shim's stdin.
mod cli;

// Errors the real `chatkey` prints: each cause once (config, state dir, assistant files).
mod cli_errors;

// The emulator's bulk spaces (benchmark data) read through the tools, names from People.
mod bulk;

// Threads, message edits and deletes, reactions, batch sends (wire checks and failure paths).
mod chat_writes;

// Spaces, people and members: get_space, find_direct_message, whoami, get_user_info,
// list_members, manage_members, get_conversation_participants.
mod chat_people;

// The file tools (upload, download, share content) and their confinement to allowed directories.
mod chat_files;

// File confinement and the `[files]` config section, without the tools around them.
mod files_confinement;

// The Slack tools for conversations, messages, writes and reactions against the emulator.
mod slack_tools_a;

// The Slack file tools (upload, download, share content) and their confinement.
mod slack_files;

// slack_search_messages: Slack's search for the word modes, history for regex, ranking.
mod slack_search;

// Signing in to Slack through the emulator: PKCE user token, identity, rotation, port taken.
mod slack_signin;

// Microsoft Teams against the Graph emulator: sign-in, rotation, AADSTS reasons, chats,
// channels, windows and cursors, writes, admin consent for channel reads.
mod teams;

// The Teams emulator's requests and answers against msgraph-sdk's routes and models.
mod teams_spec;

// Teams across conversations and people: reactions, unread, mentions, search, members.
mod teams_catchup;

// The token lifecycle: refresher, one refresh per expiry, needs sign-in, notifications,
// chatkey_sign_in, kill -9 during rotating refreshes, no tokens in logs.
mod lifecycle;

// The daemon's log files at trace: no message text, no file bytes.
mod logs;

// Search (modes, paging, parallel fetch), mentions, unread / mark read, conversation summaries.
mod chat_search;

// `chatkey demo` end to end: real messages in its read step, colour only on a terminal.
mod demo;

// `chatkey install-client`: merging into each assistant's MCP config, backups, idempotence.
mod clients;

// The real tray under Xvfb with trayer: icon pixels per state, the menu model, a second
// launch, Quit from the menu.
mod tray;

// scripts/fetch-specs.sh checks every discovery document against scripts/specs.sha256.
mod fetch_specs;

// First-run targets: `make demo` installs only a Secret Service, with-session --no-display,
// and `make test` packages under a profile cargo-deb accepts.
mod first_run;

// The .deb unpacked and run, lintian, and the Linux/macOS/Windows packaging sources.
mod packaging;

// Slack tools: people, catch-up, search, files.
mod slack_tools_b;
