//! `config.toml`: which OAuth clients chatkey uses and where each provider's endpoints live.
//!
//! Reading is strict (unknown keys and bad values are errors that name the file, line and key)
//! because a typo in an endpoint override would otherwise silently send tokens to the default
//! host. Writing (`setup`, `import`) edits the document in place so a person's comments and
//! other sections survive.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer};
use url::Url;

use crate::providers::ProvidersConfig;

/// The whole configuration file. Every section is optional; an absent file is an empty config.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub providers: ProvidersConfig,
    #[serde(default)]
    pub files: FilesConfig,
}

/// `[files]`: where the file tools (upload, download, share) may read and write.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilesConfig {
    /// Absolute directories (`~` expands to the home directory). Absent: the home directory.
    /// Empty: the file tools are turned off.
    #[serde(default, deserialize_with = "allowed_dirs")]
    pub allowed_dirs: Option<Vec<PathBuf>>,
    /// Hidden directories and files (`.ssh`, `.netrc`) below every allowed directory are
    /// refused unless this is `true`: writing the default `["~"]` out by hand must not
    /// open up the keys and credentials the default keeps out.
    #[serde(default)]
    pub allow_hidden: bool,
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

/// Tokens travel to these URLs, so plain `http` is allowed only to this machine.
pub fn endpoint<'de, D: Deserializer<'de>>(d: D) -> Result<Url, D::Error> {
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

/// The io errors are part of the messages, not `source`s, so `{:#}` prints each cause once.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("failed to read {path}: {}", read_cause(cause))]
    Read {
        path: PathBuf,
        cause: std::io::Error,
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
    #[error("failed to write {path}: {cause}")]
    Write {
        path: PathBuf,
        cause: std::io::Error,
    },
    /// The provider's section is missing; `hint` says how to set it up.
    #[error("{provider} is not set up: {hint}")]
    NotSetUp {
        provider: crate::providers::ProviderId,
        hint: &'static str,
    },
}

/// `read_to_string`'s "stream did not contain valid UTF-8" names no file and no fix.
fn read_cause(cause: &std::io::Error) -> String {
    match cause.kind() {
        std::io::ErrorKind::InvalidData => {
            "it is not UTF-8 text; save it as UTF-8 (TOML files are UTF-8)".to_owned()
        }
        _ => cause.to_string(),
    }
}

impl Config {
    /// Reads `path`; a missing file is an empty configuration.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(path, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(cause) => Err(ConfigError::Read {
                path: path.to_owned(),
                cause,
            }),
        }
    }

    pub fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| located_error(path, text, &e))
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

/// Sets `keys` in `[providers.<section>]`, keeping everything else in the file (comments,
/// other providers, endpoint overrides) as it was. A file that does not parse is refused:
/// rewriting it would drop what is wrong with it.
pub fn save_provider_keys(
    path: &Path,
    section: &str,
    keys: &[(&str, toml_edit::Value)],
) -> Result<(), ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(cause) => {
            return Err(ConfigError::Read {
                path: path.to_owned(),
                cause,
            });
        }
    };
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
    let table = providers
        .entry(section)
        .or_insert_with(toml_edit::table)
        .as_table_mut()
        .ok_or_else(|| not_a_table(path, &format!("providers.{section}")))?;
    for (key, value) in keys {
        table[*key] = toml_edit::Item::Value(value.clone());
    }
    let new_text = doc.to_string();
    // What we write must read back: a key this version rejects would break the next start.
    Config::parse(path, &new_text)?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|cause| ConfigError::Write {
            path: path.to_owned(),
            cause,
        })?;
    }
    crate::atomic_write::write_atomic(path, new_text.as_bytes(), 0o600).map_err(|cause| {
        ConfigError::Write {
            path: path.to_owned(),
            cause,
        }
    })
}

/// The configuration the daemon runs with, swapped whole on every successful reload so a
/// reader always sees one consistent file.
#[derive(Default)]
pub struct LiveConfig(std::sync::RwLock<std::sync::Arc<Config>>);

impl LiveConfig {
    pub fn get(&self) -> std::sync::Arc<Config> {
        self.0.read().unwrap().clone()
    }
    pub fn set(&self, config: Config) {
        *self.0.write().unwrap() = std::sync::Arc::new(config);
    }
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

    #[test]
    fn unknown_section_names_file_line_and_key() {
        let text = "[files]\nallowed_dirs = [\"/tmp\"]\n\n[providers.nope]\nx = 1\n";
        let err = Config::parse(Path::new("/cfg/config.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("/cfg/config.toml:"), "{err}");
        assert!(err.contains("nope"), "{err}");
    }

    #[test]
    fn missing_file_is_an_empty_config() {
        let c = Config::load(Path::new("/nonexistent/chatkey.toml")).unwrap();
        assert!(c.files.allowed_dirs.is_none());
    }

    #[test]
    fn save_refuses_a_file_that_does_not_parse_and_leaves_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "[providers.google-chat]\nclient_id = 42\n").unwrap();
        let err =
            save_provider_keys(&path, "google-chat", &[("client_id", "x".into())]).unwrap_err();
        assert!(err.to_string().contains("client_id"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "[providers.google-chat]\nclient_id = 42\n"
        );
    }
}
