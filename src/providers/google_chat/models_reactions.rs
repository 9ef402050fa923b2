//! Wire types for emoji reactions (`spaces.messages.reactions`) and message edits, kept
//! apart from `models.rs` so the write tools can grow without touching the shared models.
//! Lenient like the rest: every field optional or defaulted, unknown fields ignored.

use serde::{Deserialize, Serialize};

use super::models::User;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Reaction {
    /// `spaces/A/messages/B/reactions/C`
    pub name: String,
    pub user: Option<User>,
    pub emoji: Option<Emoji>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Emoji {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unicode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_emoji: Option<CustomEmoji>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CustomEmoji {
    pub uid: Option<String>,
    pub emoji_name: Option<String>,
}

impl Emoji {
    /// What a person sees: the character, or the custom emoji's `:name:` (or uid).
    pub fn label(&self) -> String {
        if let Some(u) = self.unicode.as_deref().filter(|u| !u.is_empty()) {
            return u.to_owned();
        }
        self.custom_emoji
            .as_ref()
            .and_then(|c| c.emoji_name.clone().or_else(|| c.uid.clone()))
            .unwrap_or_else(|| "?".to_owned())
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListReactionsResponse {
    pub reactions: Vec<Reaction>,
    pub next_page_token: Option<String>,
}

/// The body of `spaces.messages.reactions.create`.
#[derive(Debug, Clone, Serialize)]
pub struct NewReaction {
    pub emoji: Emoji,
}

/// The body of `spaces.messages.patch` with `updateMask=text`: only the text travels, so no
/// other field of the message can be changed by accident.
#[derive(Debug, Clone, Serialize)]
pub struct TextUpdate {
    pub text: String,
}
