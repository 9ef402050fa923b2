//! Google Chat resource names as assistants type them, checked and normalised.
//!
//! Assistants say `spaces/AAA`, `AAA`, or paste a message name; everything that reaches a URL
//! passes through here first, so an id can never smuggle `..` or a `/` into a request path.

use crate::tools::ToolError;

fn is_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 256
        && id != "."
        && id != ".."
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// `spaces/AAA` from `spaces/AAA` or `AAA`.
pub fn space(input: &str) -> Result<String, ToolError> {
    let input = input.trim();
    let id = input.strip_prefix("spaces/").unwrap_or(input);
    if is_id(id) {
        Ok(format!("spaces/{id}"))
    } else {
        Err(ToolError::invalid_argument(format!(
            "invalid argument `space`: `{input}` is not a space name; use `spaces/AAA…` or the id from google_chat_list_spaces"
        )))
    }
}

/// `spaces/AAA/messages/BBB`, checked part by part.
pub fn message(input: &str) -> Result<String, ToolError> {
    let input = input.trim();
    match input.split('/').collect::<Vec<_>>().as_slice() {
        ["spaces", s, "messages", m] if is_id(s) && is_id(m) => Ok(input.to_owned()),
        _ => Err(ToolError::invalid_argument(format!(
            "invalid argument `message`: `{input}` is not a message name; use the full `spaces/…/messages/…` name from google_chat_list_messages"
        ))),
    }
}

/// `spaces/AAA/threads/CCC` within `space`; a bare thread id is completed with the space.
pub fn thread(space: &str, input: &str) -> Result<String, ToolError> {
    let input = input.trim();
    let parts: Vec<_> = input.split('/').collect();
    let full = match parts.as_slice() {
        ["spaces", s, "threads", t] if is_id(s) && is_id(t) => input.to_owned(),
        [t] if is_id(t) => format!("{space}/threads/{t}"),
        _ => {
            return Err(ToolError::invalid_argument(format!(
                "invalid argument `thread`: `{input}` is not a thread name; use the `thread` value of a message from google_chat_list_messages"
            )));
        }
    };
    if !full.starts_with(&format!("{space}/")) {
        return Err(ToolError::invalid_argument(format!(
            "invalid argument `thread`: `{full}` belongs to another space than `{space}`"
        )));
    }
    Ok(full)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_accept_both_forms_and_refuse_paths() {
        assert_eq!(space("spaces/AAA").unwrap(), "spaces/AAA");
        assert_eq!(space(" AAA ").unwrap(), "spaces/AAA");
        for bad in ["", "spaces/", "../x", "A/B", "spaces/..", "A?b", "A#b"] {
            let err = space(bad).unwrap_err();
            assert!(err.message.contains("`space`"), "{bad}");
        }
    }

    #[test]
    fn messages_and_threads() {
        assert!(message("spaces/A/messages/B.C").is_ok());
        assert!(message("spaces/A/messages/../x").is_err());
        assert_eq!(thread("spaces/A", "T1").unwrap(), "spaces/A/threads/T1");
        assert!(thread("spaces/A", "spaces/B/threads/T1").is_err());
    }
}
