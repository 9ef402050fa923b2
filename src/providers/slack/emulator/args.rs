//! Web API arguments, read the way Slack reads them: from the query string of any request,
//! plus a POST body that is form-encoded, `multipart/form-data`, or JSON (only for methods
//! that accept JSON; other methods ignore a JSON body). A token in a JSON body is not
//! accepted: JSON callers must send `Authorization: Bearer`.
//!
//! Handlers read arguments only through `Args`, which knows the method's declared parameter
//! list and refuses (panics, an emulator bug) to read any other; the spec test checks every
//! declared list against slack_sdk's method signatures, so the emulator cannot quietly depend
//! on a parameter Slack does not have.

use serde_json::Value;

use super::errors::SlackError;

/// How the arguments arrived (the request log records it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Query,
    Form,
    Json,
    Multipart,
}

impl BodyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BodyKind::Query => "query",
            BodyKind::Form => "form",
            BodyKind::Json => "json",
            BodyKind::Multipart => "multipart",
        }
    }
}

#[derive(Debug, Clone)]
pub enum ArgValue {
    Str(String),
    Json(Value),
}

/// Everything a request carried, before the method is known to accept it.
#[derive(Debug, Clone)]
pub struct RawArgs {
    pub pairs: Vec<(String, ArgValue)>,
    pub kind: BodyKind,
    /// Warnings Slack adds for the content type (`missing_charset`, `superfluous_charset`).
    pub warnings: Vec<&'static str>,
}

impl RawArgs {
    /// Argument names, sorted and once each (what the request log records).
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.pairs.iter().map(|(k, _)| k.clone()).collect();
        names.sort();
        names.dedup();
        names
    }

    /// `token` from the query or a form body (never from JSON: Slack ignores it there).
    pub fn token(&self) -> Option<String> {
        self.pairs.iter().find_map(|(k, v)| match v {
            ArgValue::Str(s) if k == "token" && !s.is_empty() => Some(s.clone()),
            _ => None,
        })
    }
}

pub fn parse_pairs(text: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(text.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Reads a request's arguments. `json_ok`: the method accepts JSON bodies.
pub fn parse(
    query: &str,
    content_type: Option<&str>,
    body: &[u8],
    json_ok: bool,
) -> Result<RawArgs, SlackError> {
    let mut pairs: Vec<(String, ArgValue)> = parse_pairs(query)
        .into_iter()
        .map(|(k, v)| (k, ArgValue::Str(v)))
        .collect();
    let mut kind = BodyKind::Query;
    let mut warnings = Vec::new();
    let has_body = !body.iter().all(u8::is_ascii_whitespace);
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    let mime = ct.split(';').next().unwrap_or("").trim().to_string();
    let charset = ct.contains("charset=");
    if has_body {
        match mime.as_str() {
            "application/json" => {
                if !charset {
                    warnings.push("missing_charset");
                }
                if json_ok {
                    kind = BodyKind::Json;
                    match serde_json::from_slice::<Value>(body) {
                        Ok(Value::Object(m)) => {
                            pairs.extend(m.into_iter().map(|(k, v)| (k, ArgValue::Json(v))))
                        }
                        _ => return Err(SlackError::new("invalid_json")),
                    }
                }
            }
            "application/x-www-form-urlencoded" | "text/plain" | "" => {
                if charset && mime != "text/plain" {
                    warnings.push("superfluous_charset");
                }
                kind = BodyKind::Form;
                let text =
                    std::str::from_utf8(body).map_err(|_| SlackError::new("invalid_charset"))?;
                pairs.extend(
                    parse_pairs(text)
                        .into_iter()
                        .map(|(k, v)| (k, ArgValue::Str(v))),
                );
            }
            "multipart/form-data" => {
                kind = BodyKind::Multipart;
                let boundary = ct
                    .split(';')
                    .filter_map(|p| p.trim().strip_prefix("boundary="))
                    .next()
                    .map(|b| b.trim_matches('"').to_string())
                    .ok_or_else(|| SlackError::new("invalid_form_data"))?;
                // The boundary's case matters: take it from the original header.
                let original = content_type.unwrap_or("");
                let start = original.to_ascii_lowercase().find(&boundary).unwrap_or(0);
                let boundary = &original[start..start + boundary.len()];
                for part in multipart_parts(body, boundary)? {
                    pairs.push((
                        part.name,
                        ArgValue::Str(String::from_utf8_lossy(&part.data).into_owned()),
                    ));
                }
            }
            _ => return Err(SlackError::new("invalid_post_type")),
        }
    }
    Ok(RawArgs {
        pairs,
        kind,
        warnings,
    })
}

/// One part of a `multipart/form-data` body.
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub data: Vec<u8>,
}

/// Splits a `multipart/form-data` body (RFC 7578) into its named parts.
pub fn multipart_parts(body: &[u8], boundary: &str) -> Result<Vec<Part>, SlackError> {
    let bad = || SlackError::new("invalid_form_data");
    let delimiter = format!("--{boundary}");
    let d = delimiter.as_bytes();
    let find = |hay: &[u8], from: usize| {
        hay.get(from..)
            .and_then(|h| h.windows(d.len()).position(|w| w == d))
            .map(|p| p + from)
    };
    let mut parts = Vec::new();
    let mut pos = find(body, 0).ok_or_else(bad)? + d.len();
    loop {
        if body.get(pos..pos + 2) == Some(b"--") {
            return Ok(parts);
        }
        let next = find(body, pos).ok_or_else(bad)?;
        let chunk = body[pos..next].strip_prefix(b"\r\n").ok_or_else(bad)?;
        let chunk = chunk.strip_suffix(b"\r\n").ok_or_else(bad)?;
        let split = chunk
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or_else(bad)?;
        let headers = String::from_utf8_lossy(&chunk[..split]).to_string();
        let data = chunk[split + 4..].to_vec();
        let disposition = headers
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .ok_or_else(bad)?;
        let param = |key: &str| {
            disposition.split(';').find_map(|p| {
                p.trim()
                    .strip_prefix(&format!("{key}="))
                    .map(|v| v.trim_matches('"').to_string())
            })
        };
        parts.push(Part {
            name: param("name").ok_or_else(bad)?,
            filename: param("filename"),
            data,
        });
        pos = next + d.len();
    }
}

/// A method's view of its arguments: only its declared parameters can be read.
pub struct Args {
    pairs: Vec<(String, ArgValue)>,
    declared: &'static [&'static str],
    method: &'static str,
}

impl Args {
    pub fn new(raw: &RawArgs, method: &'static str, declared: &'static [&'static str]) -> Self {
        Self {
            pairs: raw.pairs.clone(),
            declared,
            method,
        }
    }

    fn value(&self, name: &str) -> Option<&ArgValue> {
        assert!(
            self.declared.contains(&name),
            "slack emulator bug: {} reads `{name}`, which its method table does not declare",
            self.method
        );
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// The argument as text (JSON scalars as written, arrays and objects as JSON).
    pub fn str(&self, name: &str) -> Option<String> {
        match self.value(name)? {
            ArgValue::Str(s) => Some(s.clone()),
            ArgValue::Json(Value::String(s)) => Some(s.clone()),
            ArgValue::Json(Value::Null) => None,
            ArgValue::Json(v) => Some(v.to_string()),
        }
    }

    /// The argument when present and not empty.
    pub fn text(&self, name: &str) -> Option<String> {
        self.str(name).filter(|s| !s.is_empty())
    }

    pub fn required(&self, name: &str) -> Result<String, SlackError> {
        self.text(name)
            .ok_or_else(|| SlackError::missing_field(name))
    }

    /// Slack's booleans: `true`/`1` (and JSON `true`); anything else is false.
    pub fn flag(&self, name: &str) -> bool {
        match self.value(name) {
            Some(ArgValue::Json(Value::Bool(b))) => *b,
            Some(ArgValue::Json(Value::Number(n))) => n.as_i64() == Some(1),
            Some(ArgValue::Str(s)) | Some(ArgValue::Json(Value::String(s))) => {
                matches!(s.to_ascii_lowercase().as_str(), "true" | "1")
            }
            _ => false,
        }
    }

    /// A boolean that defaults to true when absent (`mrkdwn`, `unfurl_media`).
    pub fn flag_or(&self, name: &str, default: bool) -> bool {
        if self.str(name).is_none() {
            default
        } else {
            self.flag(name)
        }
    }

    /// A whole number; malformed is `invalid_arguments` naming the argument.
    pub fn int(&self, name: &str) -> Result<Option<i64>, SlackError> {
        match self.text(name) {
            None => Ok(None),
            Some(s) => s.trim().parse::<i64>().map(Some).map_err(|_| {
                SlackError::invalid_arguments(format!(
                    "invalid value for {name}: expected an integer"
                ))
            }),
        }
    }

    /// The argument as JSON: a JSON-body value as sent, a form value parsed as JSON.
    pub fn json(&self, name: &str) -> Option<Result<Value, SlackError>> {
        Some(match self.value(name)? {
            ArgValue::Json(v) => Ok(v.clone()),
            ArgValue::Str(s) => {
                serde_json::from_str(s).map_err(|_| SlackError::new("invalid_json"))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DECLARED: &[&str] = &["channel", "limit", "inclusive", "files"];

    #[test]
    fn query_form_and_json_merge() {
        let raw = parse(
            "channel=C1&limit=5",
            Some("application/x-www-form-urlencoded"),
            b"inclusive=true&token=xoxp-1",
            false,
        )
        .unwrap();
        assert_eq!(raw.kind, BodyKind::Form);
        assert_eq!(raw.token().as_deref(), Some("xoxp-1"));
        assert_eq!(raw.names(), ["channel", "inclusive", "limit", "token"]);
        let a = Args::new(&raw, "conversations.history", DECLARED);
        assert_eq!(a.str("channel").as_deref(), Some("C1"));
        assert_eq!(a.int("limit").unwrap(), Some(5));
        assert!(a.flag("inclusive"));

        let raw = parse(
            "",
            Some("application/json"),
            br#"{"channel":"C2","limit":3,"inclusive":true,"token":"x","files":[{"id":"F1"}]}"#,
            true,
        )
        .unwrap();
        assert_eq!(raw.warnings, ["missing_charset"]);
        assert_eq!(raw.token(), None, "a token in JSON is ignored");
        let a = Args::new(&raw, "m", DECLARED);
        assert_eq!(a.int("limit").unwrap(), Some(3));
        assert!(a.flag("inclusive"));
        assert_eq!(a.json("files").unwrap().unwrap()[0]["id"], "F1");

        let raw = parse(
            "",
            Some("application/json; charset=utf-8"),
            br#"{"channel":"C2"}"#,
            false,
        )
        .unwrap();
        assert!(raw.warnings.is_empty());
        assert!(
            raw.pairs.is_empty(),
            "a method without JSON support ignores the body"
        );
        assert_eq!(
            parse("", Some("application/json"), b"[1]", true)
                .unwrap_err()
                .error,
            "invalid_json"
        );
        assert_eq!(
            parse("", Some("image/png"), b"x", true).unwrap_err().error,
            "invalid_post_type"
        );
        let a = Args::new(&parse("limit=x", None, b"", false).unwrap(), "m", DECLARED);
        assert_eq!(a.int("limit").unwrap_err().error, "invalid_arguments");
        assert_eq!(
            a.required("channel").unwrap_err().error,
            "invalid_arguments"
        );
    }

    #[test]
    #[should_panic(expected = "does not declare")]
    fn reading_an_undeclared_parameter_is_a_bug() {
        let raw = parse("cursor=x", None, b"", false).unwrap();
        Args::new(&raw, "m", DECLARED).str("cursor");
    }

    #[test]
    fn multipart_fields_and_files() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"channels\"\r\n\r\nC1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\nworld\r\n--XyZ--\r\n";
        let parts = multipart_parts(body, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1].filename.as_deref(), Some("a.txt"));
        assert_eq!(parts[1].data, b"hello\r\nworld");
        let raw = parse("", Some("multipart/form-data; boundary=XyZ"), body, false).unwrap();
        assert_eq!(raw.names(), ["channels", "file"]);
        assert!(multipart_parts(b"garbage", "XyZ").is_err());
    }
}
