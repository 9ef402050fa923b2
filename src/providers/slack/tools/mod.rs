//! The Slack tools, one file per area. Each file declares its tools (`tools()`): what an
//! assistant can ask for, described for an LLM, and the handler behind it. `views.rs` holds
//! the flat views they return, so every tool shows a message, a conversation or a person the
//! same way.

pub mod catchup;
pub mod channels;
pub mod files;
pub mod messages;
pub mod people;
pub mod reactions;
pub mod search;
pub mod summary;
pub mod views;
pub mod window;
pub mod writes;

use super::Context;
use crate::tools::ToolSpec;

pub fn all() -> Vec<ToolSpec<Context>> {
    let groups: Vec<Vec<ToolSpec<Context>>> = vec![
        channels::tools(),
        messages::tools(),
        writes::tools(),
        reactions::tools(),
        files::tools(),
        people::tools(),
        search::tools(),
        catchup::tools(),
        summary::tools(),
    ];
    groups.into_iter().flatten().collect()
}
