//! chatkey's entry merged into a JSONC document (VS Code's `mcp.json`) in place.
//!
//! VS Code writes and reads its settings files as JSON with comments and trailing commas, so
//! a strict JSON parser would refuse the files it writes itself, and a parse-and-reprint
//! would drop the person's comments. jsonc-parser's concrete syntax tree keeps every byte we
//! do not change: comments, blank lines, key order, indentation, trailing commas. Only JSONC
//! is accepted (comments and trailing commas); JSON5's extras (single quotes, bare keys, hex
//! numbers) are refused like any other syntax error.

use jsonc_parser::ParseOptions;
use jsonc_parser::cst::{CstInputValue, CstRootNode};
use serde_json::Value;

/// What merging found.
#[derive(Debug, PartialEq, Eq)]
pub enum Merge {
    /// The entry is already there, exactly; nothing to write.
    Unchanged,
    /// The new text; `replaced` when an older entry of the same name was overwritten.
    Changed { text: String, replaced: bool },
}

/// Why a document cannot take the entry.
#[derive(Debug, PartialEq, Eq)]
pub enum MergeError {
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    NotAnObject,
    ServersNotAnObject,
}

/// JSONC, nothing more.
fn options() -> ParseOptions {
    ParseOptions {
        allow_comments: true,
        allow_trailing_commas: true,
        allow_loose_object_property_names: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

/// Sets `servers_key.name = entry` in `text`, changing nothing else.
pub fn merge(
    text: &str,
    servers_key: &str,
    name: &str,
    entry: &Value,
) -> Result<Merge, MergeError> {
    let root = CstRootNode::parse(text, &options()).map_err(|e| MergeError::Syntax {
        line: e.line_display(),
        column: e.column_display(),
        message: e.kind().to_string(),
    })?;
    let doc = match root.value() {
        // Only comments (or nothing): the document becomes an object.
        None => root.object_value_or_set(),
        Some(value) => value.as_object().ok_or(MergeError::NotAnObject)?,
    };
    let servers = match doc.get(servers_key) {
        Some(prop) => prop.object_value().ok_or(MergeError::ServersNotAnObject)?,
        None => doc.object_value_or_set(servers_key),
    };
    let replaced = match servers.get(name) {
        Some(existing) => {
            if existing.value().and_then(|v| v.to_serde_value()).as_ref() == Some(entry) {
                return Ok(Merge::Unchanged);
            }
            existing.set_value(input(entry));
            true
        }
        None => {
            servers.append(name, input(entry));
            false
        }
    };
    Ok(Merge::Changed {
        text: root.to_string(),
        replaced,
    })
}

fn input(value: &Value) -> CstInputValue {
    match value {
        Value::Null => CstInputValue::Null,
        Value::Bool(b) => CstInputValue::Bool(*b),
        Value::Number(n) => CstInputValue::Number(n.to_string()),
        Value::String(s) => CstInputValue::String(s.clone()),
        Value::Array(items) => CstInputValue::Array(items.iter().map(input).collect()),
        Value::Object(map) => {
            CstInputValue::Object(map.iter().map(|(k, v)| (k.clone(), input(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn entry() -> Value {
        json!({"type": "stdio", "command": "/opt/chatkey/chatkey-mcp", "args": []})
    }

    fn merged(text: &str) -> (String, bool) {
        match merge(text, "servers", "chatkey", &entry()).unwrap() {
            Merge::Changed { text, replaced } => (text, replaced),
            Merge::Unchanged => panic!("unchanged"),
        }
    }

    #[test]
    fn comments_order_indentation_and_trailing_commas_survive() {
        let before = "// VS Code user MCP servers\n{\n\t\"inputs\": [],\n\t/* remote ones */\n\t\"servers\": {\n\t\t\"github\": {\n\t\t\t\"type\": \"http\", // copilot\n\t\t\t\"url\": \"https://api.githubcopilot.com/mcp/\",\n\t\t},\n\t},\n}\n";
        let (after, replaced) = merged(before);
        assert!(!replaced);
        for kept in [
            "// VS Code user MCP servers\n{\n\t\"inputs\": [],\n\t/* remote ones */\n\t\"servers\": {\n\t\t\"github\": {\n\t\t\t\"type\": \"http\", // copilot\n",
            "\t\t\t\"url\": \"https://api.githubcopilot.com/mcp/\",\n\t\t},\n",
            "\t\t\"chatkey\": {\n\t\t\t\"type\": \"stdio\",",
        ] {
            assert!(after.contains(kept), "{kept:?} missing from:\n{after}");
        }
        assert!(
            after.find("\"github\"") < after.find("\"chatkey\""),
            "{after}"
        );
        // Still JSONC VS Code reads, and the same again is a no-op.
        assert_eq!(
            merge(&after, "servers", "chatkey", &entry()).unwrap(),
            Merge::Unchanged
        );
    }

    #[test]
    fn an_outdated_entry_is_replaced_where_it_stands() {
        let before = "{\n  \"servers\": {\n    // mine\n    \"chatkey\": {\"command\": \"/old\"},\n    \"b\": {}\n  }\n}";
        let (after, replaced) = merged(before);
        assert!(replaced);
        assert!(after.contains("// mine\n    \"chatkey\": {"), "{after}");
        assert!(after.contains("/opt/chatkey/chatkey-mcp") && !after.contains("/old"));
        assert!(after.find("\"chatkey\"") < after.find("\"b\""), "{after}");
    }

    #[test]
    fn empty_or_comment_only_documents_get_an_object() {
        for before in ["", "  \n", "// nothing yet\n"] {
            let (after, _) = merged(before);
            let value = CstRootNode::parse(&after, &options())
                .unwrap()
                .to_serde_value()
                .unwrap();
            assert_eq!(value, json!({"servers": {"chatkey": entry()}}), "{after}");
        }
    }

    #[test]
    fn what_is_not_jsonc_is_refused() {
        for (text, want) in [
            ("{\"servers\": {,}}", "Syntax"),
            ("{'servers': {}}", "Syntax"),
            ("{servers: {}}", "Syntax"),
            ("{\"servers\": {} \"x\": 1}", "Syntax"),
            ("{\"a\": 0x10}", "Syntax"),
            ("{\"a\": 1", "Syntax"),
            ("[1, 2]", "NotAnObject"),
            ("{\"servers\": []}", "ServersNotAnObject"),
        ] {
            let err = merge(text, "servers", "chatkey", &entry()).unwrap_err();
            assert!(format!("{err:?}").starts_with(want), "{text}: {err:?}");
        }
        let err = merge(
            "{\n  \"servers\": {\n    'x': 1\n  }\n}",
            "servers",
            "chatkey",
            &entry(),
        )
        .unwrap_err();
        assert!(matches!(err, MergeError::Syntax { line: 3, .. }), "{err:?}");
    }
}
