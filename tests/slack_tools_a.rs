//! The Slack tools for conversations, reading, writing and reactions through chatkey's MCP
//! server against the Slack emulator (signed in through the real OAuth loop), one submodule
//! per tool file.

mod channels;
mod messages;
mod reactions;
mod writes;
