//! The list-method `filter` languages (a subset of AIP-160, as each Chat method documents it).
//!
//! Every filter parses into conjunctive normal form: groups joined by `AND`, each an `OR` of
//! comparisons (`field op value`, value quoted or bare). Each method then checks the shape it
//! documents, so `spaceType = "SPACE" AND spaceType = "GROUP_CHAT"` or an unknown field is
//! refused with `INVALID_ARGUMENT`, as Google refuses it.

use chrono::{DateTime, Utc};

use super::errors::ApiError;
use super::state::SpaceKind;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cmp {
    pub field: String,
    pub op: String,
    pub value: String,
}

/// `AND` of `OR` groups.
pub type Cnf = Vec<Vec<Cmp>>;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    Op(String),
    Word(String),
    Quoted(String),
}

fn tokenize(text: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Tok::Open);
                i += 1;
            }
            ')' => {
                out.push(Tok::Close);
                i += 1;
            }
            '=' | '<' | '>' | '!' => {
                let two = chars.get(i + 1) == Some(&'=');
                let op: String = if two { format!("{c}=") } else { c.to_string() };
                if op == "!" {
                    return Err("unexpected '!'".into());
                }
                i += op.len();
                out.push(Tok::Op(op));
            }
            '"' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("unterminated string".into()),
                        Some('"') => break,
                        Some('\\') if i + 1 < chars.len() => {
                            s.push(chars[i + 1]);
                            i += 2;
                        }
                        Some(ch) => {
                            s.push(*ch);
                            i += 1;
                        }
                    }
                }
                i += 1;
                out.push(Tok::Quoted(s));
            }
            _ => {
                let start = i;
                while i < chars.len() && !chars[i].is_whitespace() && !"()=<>!\"".contains(chars[i])
                {
                    i += 1;
                }
                out.push(Tok::Word(chars[start..i].iter().collect()));
            }
        }
    }
    Ok(out)
}

/// Parses a filter into CNF.
pub fn parse(text: &str) -> Result<Cnf, String> {
    let toks = tokenize(text)?;
    let mut pos = 0;
    let mut cnf = Vec::new();
    loop {
        let paren = toks.get(pos) == Some(&Tok::Open);
        if paren {
            pos += 1;
        }
        let mut group = vec![cmp(&toks, &mut pos)?];
        while toks.get(pos) == Some(&Tok::Word("OR".into())) {
            pos += 1;
            group.push(cmp(&toks, &mut pos)?);
        }
        if paren {
            if toks.get(pos) != Some(&Tok::Close) {
                return Err("missing ')'".into());
            }
            pos += 1;
        }
        cnf.push(group);
        match toks.get(pos) {
            None => return Ok(cnf),
            Some(Tok::Word(w)) if w == "AND" => pos += 1,
            Some(t) => return Err(format!("unexpected {t:?}")),
        }
    }
}

fn cmp(toks: &[Tok], pos: &mut usize) -> Result<Cmp, String> {
    let field = match toks.get(*pos) {
        Some(Tok::Word(w)) if w != "AND" && w != "OR" => w.clone(),
        other => return Err(format!("expected a field name, found {other:?}")),
    };
    let op = match toks.get(*pos + 1) {
        Some(Tok::Op(o)) => o.clone(),
        other => {
            return Err(format!(
                "expected an operator after {field}, found {other:?}"
            ));
        }
    };
    let value = match toks.get(*pos + 2) {
        Some(Tok::Quoted(v)) => v.clone(),
        Some(Tok::Word(v)) if v != "AND" && v != "OR" => v.clone(),
        other => {
            return Err(format!(
                "expected a value after {field} {op}, found {other:?}"
            ));
        }
    };
    *pos += 3;
    Ok(Cmp { field, op, value })
}

fn invalid(filter: &str, why: impl std::fmt::Display) -> ApiError {
    ApiError::invalid(format!("Invalid filter \"{filter}\": {why}"))
}

/// `spaces.list`: `spaceType = "SPACE" OR spaceType = "GROUP_CHAT"` (also `space_type`).
pub fn space_types(filter: &str) -> Result<Vec<SpaceKind>, ApiError> {
    let cnf = parse(filter).map_err(|e| invalid(filter, e))?;
    if cnf.len() != 1 {
        return Err(invalid(filter, "space types can only be combined with OR"));
    }
    cnf[0]
        .iter()
        .map(|c| {
            if c.field != "spaceType" && c.field != "space_type" {
                return Err(invalid(filter, format!("unsupported field {}", c.field)));
            }
            if c.op != "=" {
                return Err(invalid(filter, format!("unsupported operator {}", c.op)));
            }
            match c.value.as_str() {
                "SPACE" => Ok(SpaceKind::Space),
                "GROUP_CHAT" => Ok(SpaceKind::GroupChat),
                "DIRECT_MESSAGE" => Ok(SpaceKind::DirectMessage),
                v => Err(invalid(filter, format!("invalid space type {v}"))),
            }
        })
        .collect()
}

/// A parsed `spaces.messages.list` filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageFilter {
    /// `(bound, inclusive)` lower bounds and upper bounds on `createTime`.
    pub after: Vec<(DateTime<Utc>, bool)>,
    pub before: Vec<(DateTime<Utc>, bool)>,
    /// Full thread name `spaces/X/threads/Y`.
    pub thread: Option<String>,
}

impl MessageFilter {
    pub fn matches(&self, time: DateTime<Utc>, thread_name: &str) -> bool {
        self.after
            .iter()
            .all(|(b, inc)| if *inc { time >= *b } else { time > *b })
            && self
                .before
                .iter()
                .all(|(b, inc)| if *inc { time <= *b } else { time < *b })
            && self.thread.as_deref().is_none_or(|t| t == thread_name)
    }
}

/// `spaces.messages.list`: `createTime > "RFC3339"` (`>=`, `<`, `<=`) and
/// `thread.name = spaces/X/threads/Y`, joined with `AND`.
pub fn messages(filter: &str) -> Result<MessageFilter, ApiError> {
    let cnf = parse(filter).map_err(|e| invalid(filter, e))?;
    let mut out = MessageFilter::default();
    for group in cnf {
        let [c] = group.as_slice() else {
            return Err(invalid(filter, "OR is not supported"));
        };
        match c.field.as_str() {
            "createTime" | "create_time" => {
                let t = DateTime::parse_from_rfc3339(&c.value)
                    .map_err(|_| invalid(filter, format!("invalid timestamp {}", c.value)))?
                    .with_timezone(&Utc);
                match c.op.as_str() {
                    ">" => out.after.push((t, false)),
                    ">=" => out.after.push((t, true)),
                    "<" => out.before.push((t, false)),
                    "<=" => out.before.push((t, true)),
                    op => {
                        return Err(invalid(
                            filter,
                            format!("unsupported operator {op} for createTime"),
                        ));
                    }
                }
            }
            "thread.name" => {
                if c.op != "=" || out.thread.is_some() {
                    return Err(invalid(
                        filter,
                        "thread.name supports a single = comparison",
                    ));
                }
                let parts: Vec<&str> = c.value.split('/').collect();
                if parts.len() != 4 || parts[0] != "spaces" || parts[2] != "threads" {
                    return Err(invalid(filter, format!("invalid thread name {}", c.value)));
                }
                out.thread = Some(c.value.clone());
            }
            f => return Err(invalid(filter, format!("unsupported field {f}"))),
        }
    }
    Ok(out)
}

/// Checks a filter's comparisons against allowed `(field, ops)` and evaluates it against a
/// resource through `value_of(field)`.
pub struct Checked {
    cnf: Cnf,
}

impl Checked {
    pub fn new(filter: &str, allowed: &[(&str, &[&str])]) -> Result<Self, ApiError> {
        let cnf = parse(filter).map_err(|e| invalid(filter, e))?;
        for c in cnf.iter().flatten() {
            let Some((_, ops)) = allowed.iter().find(|(f, _)| *f == c.field) else {
                return Err(invalid(filter, format!("unsupported field {}", c.field)));
            };
            if !ops.contains(&c.op.as_str()) {
                return Err(invalid(
                    filter,
                    format!("unsupported operator {} for {}", c.op, c.field),
                ));
            }
        }
        Ok(Self { cnf })
    }

    pub fn fields(&self) -> impl Iterator<Item = &Cmp> {
        self.cnf.iter().flatten()
    }

    pub fn matches(&self, value_of: impl Fn(&str) -> Option<String>) -> bool {
        self.cnf.iter().all(|group| {
            group.iter().any(|c| {
                let v = value_of(&c.field);
                match c.op.as_str() {
                    "=" => v.as_deref() == Some(c.value.as_str()),
                    "!=" => v.as_deref() != Some(c.value.as_str()),
                    _ => false,
                }
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_type_filters() {
        assert_eq!(
            space_types("spaceType = \"SPACE\" OR space_type = \"GROUP_CHAT\"").unwrap(),
            vec![SpaceKind::Space, SpaceKind::GroupChat]
        );
        assert!(space_types("spaceType = \"SPACE\" AND spaceType = \"GROUP_CHAT\"").is_err());
        assert!(space_types("displayName = \"x\"").is_err());
        assert!(space_types("spaceType = \"SPACE_TYPE_UNSPECIFIED\"").is_err());
        assert!(space_types("spaceType =").is_err());
    }

    #[test]
    fn message_filters() {
        let f = messages(
            "createTime > \"2023-04-21T11:30:00-04:00\" AND createTime<=\"2023-05-01T00:00:00Z\" AND thread.name = spaces/A/threads/B",
        )
        .unwrap();
        assert_eq!(f.after.len(), 1);
        assert_eq!(f.before.len(), 1);
        assert_eq!(f.thread.as_deref(), Some("spaces/A/threads/B"));
        let t = DateTime::parse_from_rfc3339("2023-04-21T15:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert!(!f.matches(t, "spaces/A/threads/B"));
        assert!(f.matches(t + chrono::Duration::microseconds(1), "spaces/A/threads/B"));
        assert!(messages("createTime > \"yesterday\"").is_err());
        assert!(
            messages(
                "createTime > \"2023-04-21T11:30:00Z\" OR createTime < \"2023-04-21T11:30:00Z\""
            )
            .is_err()
        );
        assert!(messages("text = \"x\"").is_err());
        assert!(
            messages("createTime > \"2023-04-21T11:30:00Z\" and thread.name = spaces/A/threads/B")
                .is_err()
        );
    }

    #[test]
    fn checked_filters() {
        let c = Checked::new(
            "(emoji.unicode = \"🙂\" OR emoji.unicode = \"👍\") AND user.name = \"users/1\"",
            &[("emoji.unicode", &["="]), ("user.name", &["="])],
        )
        .unwrap();
        assert!(c.matches(|f| Some(if f == "user.name" { "users/1" } else { "👍" }.into())));
        assert!(!c.matches(|f| Some(if f == "user.name" { "users/2" } else { "👍" }.into())));
        assert!(Checked::new("role = \"X\"", &[("member.type", &["=", "!="])]).is_err());
    }
}
