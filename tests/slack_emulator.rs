//! The Slack emulator: OAuth v2 (PKCE, rotation, Slack's errors), the Web API methods over
//! real HTTP, paging, rate limits, files, the knobs, and the checks against slack_sdk's
//! methods and @slack/web-api's response types (tests that need the specs read
//! `$CHATKEY_SPECS_DIR/slack`; `make specs` fetches them).

mod api;
mod files;
mod limits;
mod oauth;
mod paging;
mod people;
mod spec;
mod support;
