//! reactions.add, reactions.remove and reactions.get on messages.
//!
//! Names are Slack's emoji names without colons (`tada`, `+1`, `+1::skin-tone-3`); a name
//! with colons or one Slack does not know is `invalid_name`. Aliases are stored under Slack's
//! canonical name (`thumbsup` is `+1`). Reacting twice is `already_reacted`, removing a
//! reaction the caller did not add `no_reaction`; a message holds at most 23 distinct
//! reactions. Without `full=true` reactions.get lists at most ten users per reaction.

use serde_json::{Map, json};

use super::data::CUSTOM_EMOJI;
use super::errors::{ApiResult, SlackError};
use super::render;
use super::server::Call;
use super::state::{Reaction, Ts};

const MAX_DISTINCT: usize = 23;

/// Standard emoji names Slack knows (the common part of its list), canonical forms.
const STANDARD: &str = include_str!("emoji.txt");

fn is_standard(name: &str) -> bool {
    STANDARD
        .lines()
        .any(|l| !l.starts_with('#') && l.trim() == name)
}

/// `(alias, canonical)`: Slack stores reactions under the canonical name.
const ALIASES: &[(&str, &str)] = &[
    ("thumbsup", "+1"),
    ("thumbsdown", "-1"),
    ("satisfied", "laughing"),
    ("poop", "hankey"),
    ("shit", "hankey"),
    ("punch", "facepunch"),
    ("hand", "raised_hand"),
    ("simple_smile", "slightly_smiling_face"),
];

/// The canonical stored name, or `invalid_name`.
pub fn canonical(name: &str) -> Result<String, SlackError> {
    let invalid = || SlackError::new("invalid_name");
    if name.is_empty() || name.starts_with(':') || name.ends_with(':') && !name.contains("::") {
        return Err(invalid());
    }
    let (base, tone) = match name.split_once("::") {
        Some((b, t)) => {
            let ok = t
                .strip_prefix("skin-tone-")
                .is_some_and(|n| matches!(n, "2" | "3" | "4" | "5" | "6"));
            if !ok {
                return Err(invalid());
            }
            (b, Some(t))
        }
        None => (name, None),
    };
    let base = ALIASES
        .iter()
        .find(|(alias, _)| *alias == base)
        .map(|(_, c)| *c)
        .unwrap_or(base);
    if !is_standard(base) && !CUSTOM_EMOJI.contains(&base) {
        return Err(invalid());
    }
    Ok(match tone {
        Some(t) => format!("{base}::{t}"),
        None => base.to_string(),
    })
}

/// `(conversation id, message ts, canonical name)` of a reactions.add / .remove call.
fn item(call: &Call) -> Result<(String, Ts, String), SlackError> {
    let (Some(channel), Some(ts)) = (call.args.text("channel"), call.args.text("timestamp")) else {
        return Err(SlackError::new("no_item_specified"));
    };
    let name = canonical(&call.args.text("name").unwrap_or_default())?;
    let conv = call
        .st
        .ws
        .conv(&channel)
        .filter(|c| c.visible_to(call.user()))
        .ok_or_else(|| SlackError::new("channel_not_found"))?;
    let ts = Ts::parse(&ts).ok_or_else(|| SlackError::new("message_not_found"))?;
    call.st
        .ws
        .message(&conv.id, ts)
        .filter(|m| !m.tombstone)
        .ok_or_else(|| SlackError::new("message_not_found"))?;
    Ok((conv.id.clone(), ts, name))
}

pub fn add(call: &mut Call) -> ApiResult {
    let (conv, ts, name) = item(call)?;
    let user = call.user().to_string();
    let msg = call
        .st
        .ws
        .message_mut(&conv, ts)
        .ok_or_else(|| SlackError::new("message_not_found"))?;
    let distinct = msg.reactions.len();
    match msg.reactions.iter_mut().find(|r| r.name == name) {
        Some(r) if r.users.contains(&user) => return Err(SlackError::new("already_reacted")),
        Some(r) => r.users.push(user),
        None if distinct >= MAX_DISTINCT => {
            return Err(SlackError::new("too_many_reactions"));
        }
        None => msg.reactions.push(Reaction {
            name,
            users: vec![user],
        }),
    }
    Ok(Map::new())
}

pub fn remove(call: &mut Call) -> ApiResult {
    let (conv, ts, name) = item(call)?;
    let user = call.user().to_string();
    let msg = call
        .st
        .ws
        .message_mut(&conv, ts)
        .ok_or_else(|| SlackError::new("message_not_found"))?;
    let Some(r) = msg
        .reactions
        .iter_mut()
        .find(|r| r.name == name && r.users.contains(&user))
    else {
        return Err(SlackError::new("no_reaction"));
    };
    r.users.retain(|u| *u != user);
    msg.reactions.retain(|r| !r.users.is_empty());
    Ok(Map::new())
}

pub fn get(call: &mut Call) -> ApiResult {
    let (Some(channel), Some(ts)) = (call.args.text("channel"), call.args.text("timestamp")) else {
        return Err(SlackError::new("no_item_specified"));
    };
    let full = call.args.flag("full");
    let ws = &call.st.ws;
    let conv = ws
        .conv(&channel)
        .filter(|c| c.visible_to(call.user()))
        .ok_or_else(|| SlackError::new("channel_not_found"))?;
    let ts = Ts::parse(&ts).ok_or_else(|| SlackError::new("message_not_found"))?;
    let msg = ws
        .message(&conv.id, ts)
        .ok_or_else(|| SlackError::new("message_not_found"))?;
    let mut m = Map::new();
    m.insert("type".into(), json!("message"));
    m.insert("text".into(), json!(msg.text));
    m.insert("user".into(), json!(msg.user));
    m.insert("ts".into(), json!(msg.ts.to_string()));
    m.insert("team".into(), json!(super::data::TEAM.id));
    if !msg.reactions.is_empty() {
        m.insert("reactions".into(), render::reactions(msg, full));
    }
    m.insert("permalink".into(), json!(render::permalink(&conv.id, msg)));
    let mut out = Map::new();
    out.insert("type".into(), json!("message"));
    out.insert("channel".into(), json!(conv.id));
    out.insert("message".into(), serde_json::Value::Object(m));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(canonical("tada").unwrap(), "tada");
        assert_eq!(canonical("thumbsup").unwrap(), "+1");
        assert_eq!(canonical("+1::skin-tone-3").unwrap(), "+1::skin-tone-3");
        assert_eq!(canonical("shipit").unwrap(), "shipit");
        for bad in [":tada:", "tada:", "", "not_an_emoji", "+1::skin-tone-9"] {
            assert_eq!(canonical(bad).unwrap_err().error, "invalid_name", "{bad}");
        }
    }
}
