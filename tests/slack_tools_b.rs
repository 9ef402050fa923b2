//! The Slack tools of files, search, catch-up and people, through an in-process MCP client
//! against the Slack emulator's seeded `acme` workspace (signed in as Alex, `U01ALEXRIV`).

mod catchup;
mod people;
