//! Slack: the emulator of Slack's OAuth v2 and Web API that tests and the demo run against.

pub mod emulator;
