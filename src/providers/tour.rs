//! What `chatkey demo` does with each provider, as data: which tools list conversations,
//! read and post, and where their answers keep what the demo prints. The demo itself is
//! provider-neutral; a provider that gives no tour is signed in and listed, nothing more.

/// One provider's part of the demo. Fields that point into a tool's structured answer are
/// JSON pointers (RFC 6901), so each provider keeps its own view shapes.
#[derive(Debug, Clone, Copy)]
pub struct DemoTour {
    /// Lists the person's conversations.
    pub list_tool: &'static str,
    /// Pointer to the array of conversations in `list_tool`'s answer.
    pub list: &'static str,
    /// In one conversation: what to pass back as `conversation_param`.
    pub id: &'static str,
    /// In one conversation: its name as shown (may be absent for direct messages).
    pub label: &'static str,
    /// In one conversation: its kind.
    pub kind: &'static str,
    /// The kinds the demo prefers to read and post in (named group conversations).
    pub preferred_kinds: &'static [&'static str],
    /// Reads recent messages (`days_window`, `limit`).
    pub messages_tool: &'static str,
    /// The argument naming a conversation in `messages_tool` and `send_tool`.
    pub conversation_param: &'static str,
    /// Pointer to the array of messages in `messages_tool`'s answer.
    pub messages: &'static str,
    /// In one message: when it was sent, and who sent it.
    pub time: &'static str,
    pub sender: &'static str,
    /// Posts `text` to a conversation.
    pub send_tool: &'static str,
    /// Pointer to what identifies the posted message in `send_tool`'s answer.
    pub sent_id: &'static str,
}
