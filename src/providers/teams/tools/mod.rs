//! The Teams tools, one file per area. Each file declares its tools (`tools()`): what an
//! assistant can ask for, described for an LLM, and the handler behind it. `views.rs` holds
//! the flat views they return, so every tool shows a message the same way.

pub mod catchup;
pub mod conversations;
pub mod download;
pub mod messages;
pub mod people;
pub mod reactions;
mod scan;
pub mod search;
pub mod share;
pub mod upload;
pub mod views;
pub mod writes;

use super::Context;
use crate::tools::ToolSpec;

pub fn all() -> Vec<ToolSpec<Context>> {
    let groups: Vec<Vec<ToolSpec<Context>>> = vec![
        conversations::tools(),
        messages::tools(),
        writes::tools(),
        reactions::tools(),
        people::tools(),
        search::tools(),
        catchup::tools(),
        share::tools(),
        download::tools(),
        upload::tools(),
    ];
    groups.into_iter().flatten().collect()
}
