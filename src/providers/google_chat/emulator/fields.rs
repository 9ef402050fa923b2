//! The `fields` system parameter: Google's partial-response selector.
//!
//! `fields=nextPageToken,messages(name,text,sender/name)` keeps only the named fields; `a/b`
//! descends, `a(b,c)` selects several sub-fields, `*` keeps everything at its level, and a
//! selector applies to every element of an array. A client that trims responses this way must
//! see trimmed responses here too, or it would pass tests against data it never gets.

use std::collections::BTreeMap;

use serde_json::Value;

/// A parsed selector: field name → sub-selector (`None`: the whole field).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selector(BTreeMap<String, Option<Selector>>);

impl Selector {
    pub fn parse(text: &str) -> Result<Self, String> {
        let chars: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
        let mut pos = 0;
        let sel = parse_list(&chars, &mut pos)?;
        if pos != chars.len() {
            return Err(format!("invalid field selection {text}"));
        }
        Ok(sel)
    }

    fn insert_path(&mut self, path: &[String], sub: Option<Selector>) {
        let Some((first, rest)) = path.split_first() else {
            return;
        };
        if rest.is_empty() {
            match (self.0.get_mut(first), sub) {
                (Some(Some(existing)), Some(new)) => existing.merge(new),
                (Some(slot), None) => *slot = None,
                (Some(None), Some(_)) => {}
                (None, sub) => {
                    self.0.insert(first.clone(), sub);
                }
            }
            return;
        }
        let entry = self
            .0
            .entry(first.clone())
            .or_insert_with(|| Some(Selector::default()));
        if let Some(inner) = entry {
            inner.insert_path(rest, sub);
        }
    }

    fn merge(&mut self, other: Selector) {
        for (k, v) in other.0 {
            self.insert_path(&[k], v);
        }
    }

    /// Applies the selector to a response body.
    pub fn apply(&self, value: &Value) -> Value {
        match value {
            Value::Array(items) => Value::Array(items.iter().map(|v| self.apply(v)).collect()),
            Value::Object(map) => {
                let all = self.0.contains_key("*");
                let mut out = serde_json::Map::new();
                for (k, v) in map {
                    match self.0.get(k) {
                        Some(Some(sub)) => {
                            out.insert(k.clone(), sub.apply(v));
                        }
                        Some(None) => {
                            out.insert(k.clone(), v.clone());
                        }
                        None if all => {
                            out.insert(k.clone(), v.clone());
                        }
                        None => {}
                    }
                }
                Value::Object(out)
            }
            other => other.clone(),
        }
    }
}

fn parse_list(chars: &[char], pos: &mut usize) -> Result<Selector, String> {
    let mut sel = Selector::default();
    loop {
        let mut path = vec![parse_name(chars, pos)?];
        while chars.get(*pos) == Some(&'/') {
            *pos += 1;
            path.push(parse_name(chars, pos)?);
        }
        let sub = if chars.get(*pos) == Some(&'(') {
            *pos += 1;
            let inner = parse_list(chars, pos)?;
            if chars.get(*pos) != Some(&')') {
                return Err("unbalanced parentheses in field selection".into());
            }
            *pos += 1;
            Some(inner)
        } else {
            None
        };
        sel.insert_path(&path, sub);
        match chars.get(*pos) {
            Some(',') => *pos += 1,
            _ => return Ok(sel),
        }
    }
}

fn parse_name(chars: &[char], pos: &mut usize) -> Result<String, String> {
    let start = *pos;
    while let Some(c) = chars.get(*pos) {
        if c.is_alphanumeric() || *c == '_' || *c == '*' || *c == '.' || *c == '@' {
            *pos += 1;
        } else {
            break;
        }
    }
    if *pos == start {
        return Err("empty field name in field selection".into());
    }
    Ok(chars[start..*pos].iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selects_nested_fields() {
        let v = json!({
            "nextPageToken": "t",
            "messages": [{"name": "a", "text": "x", "sender": {"name": "u", "type": "HUMAN"}}]
        });
        let sel = Selector::parse("nextPageToken,messages(name,sender/name)").unwrap();
        assert_eq!(
            sel.apply(&v),
            json!({"nextPageToken": "t", "messages": [{"name": "a", "sender": {"name": "u"}}]})
        );
        assert_eq!(Selector::parse("*").unwrap().apply(&v), v);
        assert!(Selector::parse("a(b").is_err());
        assert!(Selector::parse("a,,b").is_err());
    }
}
