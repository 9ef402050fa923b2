//! The Python server's `token.json`, as google-auth's `Credentials.to_json()` writes it:
//! `token`, `refresh_token`, `token_uri`, `client_id`, `client_secret`, `scopes`,
//! `universe_domain`, `account`, and `expiry` (a naive UTC time plus `Z`, e.g.
//! `2025-05-01T12:00:00.123456Z`).
//!
//! Reading goes through `serde_json::Value` and our own field checks, never through serde's
//! typed errors: those quote the offending value, which here may be a token. Writing is
//! atomic with mode 0600 and refuses to replace a symlink.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

use super::endpoints::defaults as endpoints_defaults;

/// A google-auth authorized-user file is well under a kilobyte.
const MAX_FILE: u64 = 1024 * 1024;

/// The contents of a `token.json`. `Debug` shows no secret.
#[derive(Debug, Clone)]
pub struct TokenJson {
    /// The access token (may be expired; chatkey refreshes anyway).
    pub token: Option<SecretString>,
    pub refresh_token: SecretString,
    pub token_uri: String,
    pub client_id: String,
    pub client_secret: Option<SecretString>,
    pub scopes: Vec<String>,
    pub expiry: Option<DateTime<Utc>>,
}

/// The io errors are part of the messages, not `source`s, so `{:#}` prints each cause once.
#[derive(Debug, thiserror::Error)]
pub enum TokenJsonError {
    #[error("{path} does not exist; give the path of the Python server's token.json")]
    NotFound { path: PathBuf },
    #[error("failed to read {path}: {cause}")]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error(
        "{path} is not a token.json ({detail}); give the file the Python server wrote, or sign in with `chatkey login google-chat` instead"
    )]
    NotJson { path: PathBuf, detail: String },
    #[error(
        "{path}: this token.json has no refresh_token; sign in with `chatkey login google-chat` instead"
    )]
    MissingRefreshToken { path: PathBuf },
    #[error(
        "{path} has no `{field}`, so it is not a google-auth token.json; sign in with `chatkey login google-chat` instead"
    )]
    MissingField { path: PathBuf, field: &'static str },
    #[error(
        "{path}: `{field}` must be {expected}; fix the file or sign in with `chatkey login google-chat` instead"
    )]
    BadField {
        path: PathBuf,
        field: &'static str,
        expected: &'static str,
    },
    #[error(
        "{path} is a symbolic link; remove it or choose another path, chatkey does not write through links"
    )]
    Symlink { path: PathBuf },
    #[error("the directory of {path} does not exist; create it first or choose another path")]
    ParentMissing { path: PathBuf },
    #[error("failed to write {path}: {cause}")]
    Write {
        path: PathBuf,
        cause: std::io::Error,
    },
}

/// Reads and checks a `token.json`.
pub fn read(path: &Path) -> Result<TokenJson, TokenJsonError> {
    let read_err = |cause: std::io::Error| match cause.kind() {
        std::io::ErrorKind::NotFound => TokenJsonError::NotFound {
            path: path.to_owned(),
        },
        _ => TokenJsonError::Read {
            path: path.to_owned(),
            cause,
        },
    };
    let size = std::fs::metadata(path).map_err(read_err)?.len();
    if size > MAX_FILE {
        return Err(TokenJsonError::NotJson {
            path: path.to_owned(),
            detail: format!("it is {size} bytes, far more than a token file"),
        });
    }
    let bytes = std::fs::read(path).map_err(read_err)?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| TokenJsonError::NotJson {
        path: path.to_owned(),
        // Syntax errors carry only a position; no content is quoted.
        detail: format!("invalid JSON at line {} column {}", e.line(), e.column()),
    })?;
    let Value::Object(obj) = value else {
        return Err(TokenJsonError::NotJson {
            path: path.to_owned(),
            detail: "the top level is not an object".to_owned(),
        });
    };
    let fields = Fields { path, obj: &obj };

    let refresh_token = match fields.string("refresh_token")? {
        Some(t) if !t.is_empty() => SecretString::from(t),
        _ => {
            return Err(TokenJsonError::MissingRefreshToken {
                path: path.to_owned(),
            });
        }
    };
    Ok(TokenJson {
        token: fields.string("token")?.map(SecretString::from),
        refresh_token,
        // google-auth defaults a missing token_uri to Google's endpoint; so do we.
        token_uri: fields
            .string("token_uri")?
            .unwrap_or_else(|| endpoints_defaults::token().to_string()),
        client_id: fields
            .string("client_id")?
            .ok_or_else(|| fields.missing("client_id"))?,
        client_secret: fields.string("client_secret")?.map(SecretString::from),
        scopes: fields.scopes()?,
        expiry: match fields.string("expiry")? {
            None => None,
            Some(text) => Some(parse_expiry(&text).ok_or_else(|| TokenJsonError::BadField {
                path: path.to_owned(),
                field: "expiry",
                expected: "a time like 2025-05-01T12:00:00Z",
            })?),
        },
    })
}

/// Writes `token` atomically with mode 0600, in the order and shape google-auth writes.
pub fn write(path: &Path, token: &TokenJson) -> Result<(), TokenJsonError> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(TokenJsonError::Symlink {
            path: path.to_owned(),
        });
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Err(TokenJsonError::ParentMissing {
            path: path.to_owned(),
        });
    }
    let out = PythonShape {
        token: token.token.as_ref().map(|t| t.expose_secret()),
        refresh_token: token.refresh_token.expose_secret(),
        token_uri: &token.token_uri,
        client_id: &token.client_id,
        client_secret: token.client_secret.as_ref().map(|s| s.expose_secret()),
        scopes: &token.scopes,
        universe_domain: "googleapis.com",
        account: "",
        expiry: token.expiry.map(format_expiry),
    };
    let text = serde_json::to_string(&out).expect("strings always serialize");
    crate::atomic_write::write_atomic(path, text.as_bytes(), 0o600).map_err(|cause| {
        TokenJsonError::Write {
            path: path.to_owned(),
            cause,
        }
    })
}

/// The fields in the order google-auth writes them; `None` is left out as Python does.
#[derive(serde::Serialize)]
struct PythonShape<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
    refresh_token: &'a str,
    token_uri: &'a str,
    client_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<&'a str>,
    scopes: &'a [String],
    universe_domain: &'a str,
    account: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiry: Option<String>,
}

struct Fields<'a> {
    path: &'a Path,
    obj: &'a Map<String, Value>,
}

impl Fields<'_> {
    fn missing(&self, field: &'static str) -> TokenJsonError {
        TokenJsonError::MissingField {
            path: self.path.to_owned(),
            field,
        }
    }

    /// A string field; absent and `null` are `None`, any other type is an error.
    fn string(&self, field: &'static str) -> Result<Option<String>, TokenJsonError> {
        match self.obj.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(TokenJsonError::BadField {
                path: self.path.to_owned(),
                field,
                expected: "a string",
            }),
        }
    }

    /// A list of strings, or (as google-auth also accepts) one space-separated string.
    fn scopes(&self) -> Result<Vec<String>, TokenJsonError> {
        let bad = || TokenJsonError::BadField {
            path: self.path.to_owned(),
            field: "scopes",
            expected: "a list of strings",
        };
        match self.obj.get("scopes") {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(s.split_whitespace().map(str::to_owned).collect()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned).ok_or_else(bad))
                .collect(),
            Some(_) => Err(bad()),
        }
    }
}

/// Accepts google-auth's `…T12:00:00.123456Z`, with or without fraction or `Z` (a naive
/// time is UTC there), and RFC 3339 with an offset.
fn parse_expiry(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    let naive = text.strip_suffix('Z').unwrap_or(text);
    if let Ok(t) = NaiveDateTime::parse_from_str(naive, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(t.and_utc());
    }
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Python's `isoformat()` of a naive datetime plus `Z`: microseconds only when non-zero.
fn format_expiry(t: DateTime<Utc>) -> String {
    if t.nanosecond() / 1000 == 0 {
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exactly what google-auth 2.x writes (to_json of authorized-user credentials).
    const PYTHON: &str = r#"{"token": "ya29.SENTINEL-access", "refresh_token": "1//SENTINEL-refresh", "token_uri": "https://oauth2.googleapis.com/token", "client_id": "123.apps.googleusercontent.com", "client_secret": "GOCSPX-SENTINEL", "scopes": ["https://www.googleapis.com/auth/chat.messages", "https://www.googleapis.com/auth/chat.spaces.readonly"], "universe_domain": "googleapis.com", "account": "", "expiry": "2025-05-01T12:00:00.123456Z"}"#;

    fn file(dir: &tempfile::TempDir, text: &str) -> PathBuf {
        let path = dir.path().join("token.json");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn reads_the_python_format() {
        let dir = tempfile::tempdir().unwrap();
        let t = read(&file(&dir, PYTHON)).unwrap();
        assert_eq!(t.refresh_token.expose_secret(), "1//SENTINEL-refresh");
        assert_eq!(
            t.token.as_ref().unwrap().expose_secret(),
            "ya29.SENTINEL-access"
        );
        assert_eq!(t.client_id, "123.apps.googleusercontent.com");
        assert_eq!(t.scopes.len(), 2);
        let expiry = t.expiry.unwrap();
        assert_eq!(expiry.to_rfc3339(), "2025-05-01T12:00:00.123456+00:00");
        assert!(!format!("{t:?}").contains("SENTINEL"));
    }

    #[test]
    fn accepts_older_and_looser_variants() {
        let dir = tempfile::tempdir().unwrap();
        // No universe_domain/account, no fraction, no Z, scopes as one string, no token_uri.
        let text = r#"{"refresh_token":"r","client_id":"c","client_secret":"s","scopes":"a b","expiry":"2025-05-01T12:00:00"}"#;
        let t = read(&file(&dir, text)).unwrap();
        assert_eq!(t.scopes, ["a", "b"]);
        assert_eq!(t.token_uri, "https://oauth2.googleapis.com/token");
        assert_eq!(t.expiry.unwrap().to_rfc3339(), "2025-05-01T12:00:00+00:00");
        for expiry in ["2025-05-01T12:00:00Z", "2025-05-01T14:00:00+02:00"] {
            let text = format!(r#"{{"refresh_token":"r","client_id":"c","expiry":"{expiry}"}}"#);
            let t = read(&file(&dir, &text)).unwrap();
            assert_eq!(t.expiry.unwrap().to_rfc3339(), "2025-05-01T12:00:00+00:00");
        }
    }

    #[test]
    fn clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.json");
        assert!(matches!(
            read(&missing),
            Err(TokenJsonError::NotFound { .. })
        ));

        let err = read(&file(&dir, "not json")).unwrap_err();
        assert!(matches!(err, TokenJsonError::NotJson { .. }), "{err}");

        let err = read(&file(&dir, r#"{"token":"ya29.SENTINEL","client_id":"c"}"#)).unwrap_err();
        assert!(matches!(err, TokenJsonError::MissingRefreshToken { .. }));
        assert!(
            err.to_string()
                .contains("has no refresh_token; sign in with `chatkey login google-chat` instead")
        );

        let err = read(&file(&dir, r#"{"refresh_token":"r"}"#)).unwrap_err();
        assert!(matches!(
            err,
            TokenJsonError::MissingField {
                field: "client_id",
                ..
            }
        ));

        // A wrongly typed field is named, its value (maybe a secret) is not quoted.
        let err = read(&file(
            &dir,
            r#"{"refresh_token":"r","client_id":"c","expiry":"SENTINEL"}"#,
        ))
        .unwrap_err();
        assert!(matches!(
            err,
            TokenJsonError::BadField {
                field: "expiry",
                ..
            }
        ));
        let err = read(&file(&dir, r#"{"refresh_token":1234567,"client_id":"c"}"#)).unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(
            !text.contains("SENTINEL") && !text.contains("1234567"),
            "{text}"
        );
    }

    #[test]
    fn round_trip_in_python_shape_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let t = read(&file(&dir, PYTHON)).unwrap();
        let out = dir.path().join("out.json");
        write(&out, &t).unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["expiry"], "2025-05-01T12:00:00.123456Z");
        assert_eq!(v["universe_domain"], "googleapis.com");
        assert_eq!(v["account"], "");
        assert_eq!(v["refresh_token"], "1//SENTINEL-refresh");
        assert!(
            text.starts_with(r#"{"token":"#),
            "google-auth's key order: {text}"
        );
        let back = read(&out).unwrap();
        assert_eq!(back.expiry, t.expiry);
        assert_eq!(
            back.client_secret.as_ref().unwrap().expose_secret(),
            "GOCSPX-SENTINEL"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&out).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }

        let whole_second = TokenJson {
            expiry: Some("2025-05-01T12:00:00Z".parse().unwrap()),
            ..back
        };
        write(&out, &whole_second).unwrap();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert_eq!(v["expiry"], "2025-05-01T12:00:00Z");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_symlinks_and_missing_parents() {
        let dir = tempfile::tempdir().unwrap();
        let t = read(&file(&dir, PYTHON)).unwrap();
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "keep").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(matches!(
            write(&link, &t),
            Err(TokenJsonError::Symlink { .. })
        ));
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");

        let orphan = dir.path().join("no/such/dir/token.json");
        assert!(matches!(
            write(&orphan, &t),
            Err(TokenJsonError::ParentMissing { .. })
        ));
        assert!(!dir.path().join("no").exists());
    }
}
