//! The Google Chat tools, one file per area. Each file declares its tools (`tools()`): what
//! an assistant can ask for, described for an LLM, and the handler behind it.

pub mod messages;
pub mod spaces;
pub mod views;

use crate::providers::ProviderId;
use crate::tools::ToolDef;

/// Every Google Chat tool belongs to this provider.
pub(crate) const GOOGLE_CHAT: Option<ProviderId> = Some(ProviderId::GoogleChat);

pub fn all() -> Vec<ToolDef> {
    [spaces::tools(), messages::tools()].concat()
}
