//! `config.toml`: which OAuth clients chatkey uses and where each provider's endpoints live.
//!
//! Reading is strict (unknown keys and bad values are errors that name the file, line and key)
//! because a typo in an endpoint override would otherwise silently send tokens to the default
//! host. Writing (`setup`, `import`) edits the document in place so a person's comments and
//! other sections survive.

use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};
use url::Url;

use crate::paths::GoogleEndpoints;
use crate::paths::endpoints_defaults as defaults;

/// The whole configuration file. Every section is optional; an absent file is an empty config.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub providers: Providers,
    #[serde(default)]
    pub files: FilesConfig,
}

/// `[files]`: where the file tools (upload, download, share) may read and write.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilesConfig {
    /// Absolute directories (`~` expands to the home directory). Absent: the home directory,
    /// hidden directories and files below it excluded. Empty: the file tools are turned off.
    #[serde(default, deserialize_with = "allowed_dirs")]
    pub allowed_dirs: Option<Vec<PathBuf>>,
}

/// `~` and `~/x` expanded; relative paths refused because the daemon's working directory
/// means nothing to the person writing the config.
fn allowed_dirs<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<PathBuf>>, D::Error> {
    let dirs = Vec::<String>::deserialize(d)?;
    let home = directories::BaseDirs::new().map(|b| b.home_dir().to_owned());
    dirs.into_iter()
        .map(|dir| {
            let path = match (dir.strip_prefix('~'), &home) {
                (Some(""), Some(home)) => home.clone(),
                (Some(rest), Some(home)) if rest.starts_with('/') || rest.starts_with('\\') => {
                    home.join(&rest[1..])
                }
                (Some(rest), None) if rest.is_empty() || rest.starts_with('/') => {
                    return Err(serde::de::Error::custom(format!(
                        "`{dir}`: the home directory is unknown; write the directory out in full"
                    )));
                }
                _ => PathBuf::from(&dir),
            };
            if path.is_absolute() {
                Ok(path)
            } else {
                Err(serde::de::Error::custom(format!(
                    "`{dir}` is not an absolute directory; write it as `/full/path` or `~/path`"
                )))
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Providers {
    #[serde(rename = "google-chat")]
    pub google_chat: Option<GoogleChatConfig>,
}

/// `[providers.google-chat]`: a Google "Desktop app" OAuth client and endpoint overrides.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoogleChatConfig {
    pub client_id: String,
    /// Google requires the secret even for Desktop clients; it is not a real secret there,
    /// but it is still kept out of logs.
    pub client_secret: SecretString,
    #[serde(default = "defaults::auth", deserialize_with = "endpoint")]
    pub auth_url: Url,
    #[serde(default = "defaults::token", deserialize_with = "endpoint")]
    pub token_url: Url,
    #[serde(default = "defaults::revoke", deserialize_with = "endpoint")]
    pub revoke_url: Url,
    #[serde(default = "defaults::userinfo", deserialize_with = "endpoint")]
    pub userinfo_url: Url,
    #[serde(default = "defaults::api", deserialize_with = "endpoint")]
    pub api_url: Url,
    #[serde(default = "defaults::people", deserialize_with = "endpoint")]
    pub people_url: Url,
    /// Overrides the default least-privilege scope set.
    pub scopes: Option<Vec<String>>,
    /// The account (email) tools use when several are signed in and a call names none.
    pub default_account: Option<String>,
}

impl GoogleChatConfig {
    pub fn endpoints(&self) -> GoogleEndpoints {
        GoogleEndpoints {
            auth_url: self.auth_url.clone(),
            token_url: self.token_url.clone(),
            revoke_url: self.revoke_url.clone(),
            userinfo_url: self.userinfo_url.clone(),
            api_url: self.api_url.clone(),
            people_url: self.people_url.clone(),
        }
    }
}

/// Tokens travel to these URLs, so plain `http` is allowed only to this machine.
fn endpoint<'de, D: Deserializer<'de>>(d: D) -> Result<Url, D::Error> {
    let text = String::deserialize(d)?;
    let url = Url::parse(&text)
        .map_err(|e| serde::de::Error::custom(format!("`{text}` is not a URL: {e}")))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(serde::de::Error::custom(format!(
            "`{text}` uses plain http to a remote host; use https (plain http is allowed only for 127.0.0.1, [::1] or localhost)"
        ))),
        other => Err(serde::de::Error::custom(format!(
            "`{text}` has scheme `{other}`; use an https URL"
        ))),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("failed to read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {key}{message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        /// "`client_id`: " or empty when the error is not about one key.
        key: String,
        message: String,
    },
    #[error("failed to write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "google-chat is not set up: run `chatkey setup google-chat --client-secret FILE` with the Desktop-app OAuth client JSON from Google Cloud Console (or `chatkey import google-chat --token-json PATH`)"
    )]
    GoogleChatMissing,
}

impl Config {
    /// Reads `path`; a missing file is an empty configuration.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(path, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(ConfigError::Read {
                path: path.to_owned(),
                source,
            }),
        }
    }

    pub fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| located_error(path, text, &e))
    }

    pub fn google_chat(&self) -> Result<&GoogleChatConfig, ConfigError> {
        self.providers
            .google_chat
            .as_ref()
            .ok_or(ConfigError::GoogleChatMissing)
    }
}

/// Turns toml's byte span into file:line:column and the name of the key on that line.
fn located_error(path: &Path, text: &str, err: &toml::de::Error) -> ConfigError {
    let start = err.span().map(|s| s.start).unwrap_or(0).min(text.len());
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = text[line_start..start].chars().count() + 1;
    let line_text = text[line_start..].lines().next().unwrap_or("");
    let key = line_text
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"'))
        .filter(|k| !k.is_empty() && !k.starts_with('['))
        .map(|k| format!("`{k}`: "))
        .unwrap_or_default();
    ConfigError::Invalid {
        path: path.to_owned(),
        line,
        column,
        key,
        message: err.message().trim().to_owned(),
    }
}

/// Writes the Google client into `[providers.google-chat]`, keeping everything else in the
/// file (comments, other providers, endpoint overrides) as it was.
pub fn save_google_client(
    path: &Path,
    client_id: &str,
    client_secret: &SecretString,
) -> Result<(), ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    // Refuse to rewrite a file we could not read correctly: the edit would drop its errors.
    Config::parse(path, &text)?;
    let mut doc: toml_edit::DocumentMut =
        text.parse()
            .map_err(|e: toml_edit::TomlError| ConfigError::Invalid {
                path: path.to_owned(),
                line: 1,
                column: 1,
                key: String::new(),
                message: e.to_string(),
            })?;
    let providers = doc
        .entry("providers")
        .or_insert_with(|| {
            let mut t = toml_edit::Table::new();
            t.set_implicit(true);
            toml_edit::Item::Table(t)
        })
        .as_table_mut()
        .ok_or_else(|| not_a_table(path, "providers"))?;
    let google = providers
        .entry("google-chat")
        .or_insert_with(toml_edit::table)
        .as_table_mut()
        .ok_or_else(|| not_a_table(path, "providers.google-chat"))?;
    google["client_id"] = toml_edit::value(client_id);
    google["client_secret"] = toml_edit::value(client_secret.expose_secret());
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| ConfigError::Write {
            path: path.to_owned(),
            source,
        })?;
    }
    crate::atomic_write::write_atomic(path, doc.to_string().as_bytes(), 0o600).map_err(|source| {
        ConfigError::Write {
            path: path.to_owned(),
            source,
        }
    })
}

fn not_a_table(path: &Path, key: &str) -> ConfigError {
    ConfigError::Invalid {
        path: path.to_owned(),
        line: 1,
        column: 1,
        key: format!("`{key}`: "),
        message: "must be a table".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[providers.google-chat]
client_id = "abc.apps.googleusercontent.com"
client_secret = "s3cret"
api_url = "http://127.0.0.1:8080"
"#;

    #[test]
    fn parses_and_defaults_endpoints() {
        let c = Config::parse(Path::new("c.toml"), GOOD).unwrap();
        let g = c.google_chat().unwrap();
        assert_eq!(g.api_url.as_str(), "http://127.0.0.1:8080/");
        assert_eq!(g.token_url.as_str(), "https://oauth2.googleapis.com/token");
        assert!(!format!("{g:?}").contains("s3cret"));
    }

    #[test]
    fn default_account_is_optional_and_read() {
        let c = Config::parse(Path::new("c.toml"), GOOD).unwrap();
        assert_eq!(c.google_chat().unwrap().default_account, None);
        let text = format!("{GOOD}default_account = \"alex@example.com\"\n");
        let c = Config::parse(Path::new("c.toml"), &text).unwrap();
        assert_eq!(
            c.google_chat().unwrap().default_account.as_deref(),
            Some("alex@example.com")
        );
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let text = "[providers.google-chat]\nclient_id = \"a\"\nclient_secret = \"b\"\ntoken_ur1 = \"https://x\"\n";
        let err = Config::parse(Path::new("/cfg/config.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("/cfg/config.toml:4:"), "{err}");
        assert!(err.contains("token_ur1"), "{err}");
    }

    #[test]
    fn bad_value_names_the_key() {
        let text = "[providers.google-chat]\nclient_id = \"a\"\nclient_secret = \"b\"\napi_url = \"http://evil.example\"\n";
        let err = Config::parse(Path::new("c.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("c.toml:4:"), "{err}");
        assert!(err.contains("`api_url`"), "{err}");
        assert!(err.contains("https"), "{err}");
    }

    #[test]
    fn missing_file_is_empty_and_google_chat_says_how_to_set_up() {
        let c = Config::load(Path::new("/nonexistent/chatkey.toml")).unwrap();
        let err = c.google_chat().unwrap_err().to_string();
        assert!(err.contains("chatkey setup google-chat"), "{err}");
    }

    #[test]
    fn save_keeps_comments_and_overrides() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, format!("# mine\n{GOOD}")).unwrap();
        save_google_client(&path, "new-id", &SecretString::from("new-secret")).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("# mine"));
        assert!(text.contains("http://127.0.0.1:8080"));
        let c = Config::parse(&path, &text).unwrap();
        assert_eq!(c.google_chat().unwrap().client_id, "new-id");
    }
}
