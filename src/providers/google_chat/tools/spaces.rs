//! Spaces: listing every space the person is in.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::views::SpaceView;
use crate::providers::google_chat::Context;
use crate::tools::{Hints, ToolError, ToolSpec};

use super::GOOGLE_CHAT as P;

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![ToolSpec::new(
        "google_chat_list_spaces",
        "List Google Chat spaces",
        "List every Google Chat space, group chat and direct message the signed-in person is a member of (all pages). \
             Use it first to find a space's `name` (`spaces/…`) for the other google_chat tools. \
             Optional `type` narrows to `space`, `group_chat` or `direct_message`.",
        P,
        Hints::READ,
        list_spaces,
    )]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListSpacesArgs {
    /// Only spaces of this kind: `space` (named spaces), `group_chat` or `direct_message`. Default: all.
    #[serde(rename = "type")]
    pub kind: Option<SpaceKind>,
    /// Email of the Google account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SpaceKind {
    Space,
    GroupChat,
    DirectMessage,
}

#[derive(Debug, Serialize)]
pub struct SpacesResult {
    pub count: usize,
    pub spaces: Vec<SpaceView>,
}

pub async fn list_spaces(
    ctx: Arc<Context>,
    args: ListSpacesArgs,
) -> Result<SpacesResult, ToolError> {
    let client = ctx.client(args.account.as_deref())?;
    let filter = args.kind.map(|k| match k {
        SpaceKind::Space => r#"spaceType = "SPACE""#,
        SpaceKind::GroupChat => r#"spaceType = "GROUP_CHAT""#,
        SpaceKind::DirectMessage => r#"spaceType = "DIRECT_MESSAGE""#,
    });
    let spaces: Vec<SpaceView> = client
        .list_all_spaces(filter)
        .await?
        .into_iter()
        .map(SpaceView::from)
        .collect();
    Ok(SpacesResult {
        count: spaces.len(),
        spaces,
    })
}
