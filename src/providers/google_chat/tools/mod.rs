//! The Google Chat tools, one file per area. Each file declares its tools (`tools()`): what
//! an assistant can ask for, described for an LLM, and the handler behind it.

pub mod members;
pub mod messages;
pub mod people;
pub mod space_info;
pub mod spaces;
pub mod views;
// Threads, edits, reactions and batch sends (issue 3).
pub mod batch;
pub mod edits;
// Local files: upload, download, share content (confined by `crate::files`).
pub mod files;
pub mod reactions;
pub mod threads;
// `since`/`until` and other time bounds, checked before any request.
// Search, mentions and catch-up: unread, mark read, conversation summaries (issue 3).
pub mod catchup;
pub mod fanout;
pub mod search;

use super::Context;
use crate::providers::ProviderId;
use crate::tools::ToolSpec;

/// Every Google Chat tool belongs to this provider.
pub(crate) const GOOGLE_CHAT: Option<ProviderId> = Some(ProviderId::GoogleChat);

pub fn all() -> Vec<ToolSpec<Context>> {
    let groups: [Vec<ToolSpec<Context>>; 12] = [
        spaces::tools(),
        messages::tools(),
        threads::tools(),
        edits::tools(),
        reactions::tools(),
        batch::tools(),
        space_info::tools(),
        people::tools(),
        members::tools(),
        search::tools(),
        catchup::tools(),
        files::tools(),
    ];
    groups.into_iter().flatten().collect()
}
