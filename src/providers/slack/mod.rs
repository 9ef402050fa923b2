//! Slack: the Web API client every Slack tool stands on (one authenticated-request path with
//! Slack's rate tiers, cursor paging and error advice), Slack's wire types, mrkdwn rendering
//! both ways, emoji names, and the users and channels caches that turn ids into names.

pub mod client;
pub mod endpoints;
pub mod errors;
pub mod models;
pub mod rate;

pub mod emoji;
pub mod mrkdwn;
pub mod paging;
#[cfg(test)]
mod test_support;
pub mod users;
