//! `[providers.teams]`: the person's own Entra app registration (a public client: no secret),
//! the tenant, and endpoint overrides. Read strictly, like every section; written by
//! `chatkey setup teams` without disturbing the rest of the file.
//!
//! Microsoft's endpoints are `{authority_url}/{tenant}/oauth2/v2.0/{authorize,token,devicecode}`
//! and Graph's `{graph_url}/v1.0/…`; every URL is built here, through `paths::join`.

use std::path::Path;

use serde::Deserialize;
use url::Url;

use crate::config::{Config, ConfigError, endpoint};
use crate::paths::{builtin, join};
use crate::providers::ProviderId;

/// How the section is set up, for "not set up" messages.
pub const SETUP_HINT: &str = "register an app in Microsoft Entra (see the README, \"Microsoft Teams\"), then run `chatkey setup teams --client-id ID`";

pub const AUTHORITY_URL: &str = "https://login.microsoftonline.com";
pub const GRAPH_URL: &str = "https://graph.microsoft.com";
/// Teams needs a work or school account, so personal Microsoft accounts are not offered.
pub const DEFAULT_TENANT: &str = "organizations";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamsConfig {
    /// The app registration's Application (client) ID, a GUID.
    pub client_id: String,
    /// `organizations` (any work or school account), a tenant id, or a domain.
    #[serde(default = "default_tenant")]
    pub tenant: String,
    #[serde(default = "default_authority", deserialize_with = "endpoint")]
    pub authority_url: Url,
    /// Graph's base; v1.0 paths live under it.
    #[serde(default = "default_graph", deserialize_with = "endpoint")]
    pub graph_url: Url,
    /// Delegated scopes; default: the least set the tools need (no admin consent), plus
    /// `offline_access`.
    pub scopes: Option<Vec<String>>,
    /// The account (email) tools use when several are signed in.
    pub default_account: Option<String>,
}

fn default_tenant() -> String {
    DEFAULT_TENANT.to_owned()
}
fn default_authority() -> Url {
    builtin(AUTHORITY_URL)
}
fn default_graph() -> Url {
    builtin(GRAPH_URL)
}

/// Where chatkey talks to Microsoft for one configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamsEndpoints {
    pub authority_url: Url,
    pub tenant: String,
    pub graph_url: Url,
}

impl TeamsEndpoints {
    fn oauth(&self, leaf: &str) -> Url {
        join(&self.authority_url, &[&self.tenant, "oauth2", "v2.0", leaf])
    }
    pub fn authorize_url(&self) -> Url {
        self.oauth("authorize")
    }
    pub fn token_url(&self) -> Url {
        self.oauth("token")
    }
    pub fn device_code_url(&self) -> Url {
        self.oauth("devicecode")
    }
    /// `{graph_url}/v1.0/{segments…}`, each segment percent-encoded on its own, so an id an
    /// assistant passes can never become another path.
    pub fn graph(&self, segments: &[&str]) -> Url {
        let mut all = Vec::with_capacity(segments.len() + 1);
        all.push("v1.0");
        all.extend_from_slice(segments);
        join(&self.graph_url, &all)
    }
    /// Whether `url` (an `@odata.nextLink`) points at this Graph, so the token is never
    /// sent anywhere else.
    pub fn is_graph(&self, url: &Url) -> bool {
        url.origin() == self.graph_url.origin()
            && url
                .path()
                .starts_with(self.graph(&[]).path().trim_end_matches('/'))
    }
}

impl TeamsConfig {
    pub fn endpoints(&self) -> TeamsEndpoints {
        TeamsEndpoints {
            authority_url: self.authority_url.clone(),
            tenant: self.tenant.clone(),
            graph_url: self.graph_url.clone(),
        }
    }

    pub fn scopes(&self) -> Vec<String> {
        let mut scopes = match &self.scopes {
            Some(s) => s.clone(),
            None => super::DEFAULT_SCOPES
                .iter()
                .map(|(s, _)| s.to_string())
                .collect(),
        };
        // Without it Microsoft issues no refresh token, and the person signs in every hour.
        if !scopes.iter().any(|s| s == "offline_access") {
            scopes.push("offline_access".into());
        }
        scopes
    }
}

/// The section, or the error that says how to set it up.
pub fn section(config: &Config) -> Result<&TeamsConfig, ConfigError> {
    config
        .providers
        .teams
        .as_ref()
        .ok_or(ConfigError::NotSetUp {
            provider: ProviderId::Teams,
            hint: SETUP_HINT,
        })
}

/// Whether `id` is an Entra Application (client) ID: a GUID.
pub fn is_client_id(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether `tenant` can be one: `organizations`, `common`, a GUID, or a domain name.
pub fn is_tenant(tenant: &str) -> bool {
    !tenant.is_empty()
        && tenant.len() <= 253
        && tenant
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && !tenant.starts_with(['-', '.'])
}

/// Writes the app's client id and tenant into `[providers.teams]`.
pub fn save_app(path: &Path, client_id: &str, tenant: &str) -> Result<(), ConfigError> {
    crate::config::save_provider_keys(
        path,
        "teams",
        &[("client_id", client_id.into()), ("tenant", tenant.into())],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("c.toml"), text)
    }

    #[test]
    fn defaults_are_microsofts_production_endpoints_for_work_accounts() {
        let c = parse(&format!("[providers.teams]\nclient_id = \"{ID}\"\n")).unwrap();
        let e = section(&c).unwrap().endpoints();
        assert_eq!(
            e.authorize_url().as_str(),
            "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize"
        );
        assert_eq!(
            e.token_url().as_str(),
            "https://login.microsoftonline.com/organizations/oauth2/v2.0/token"
        );
        assert_eq!(
            e.graph(&["me", "chats"]).as_str(),
            "https://graph.microsoft.com/v1.0/me/chats"
        );
        let scopes = section(&c).unwrap().scopes();
        assert!(scopes.contains(&"offline_access".to_owned()));
        assert!(!scopes.iter().any(|s| s == "ChannelMessage.Read.All"));
    }

    #[test]
    fn ids_are_one_segment_and_next_links_stay_on_graph() {
        let c = parse(&format!(
            "[providers.teams]\nclient_id = \"{ID}\"\ngraph_url = \"http://127.0.0.1:9/graph\"\n"
        ))
        .unwrap();
        let e = section(&c).unwrap().endpoints();
        let url = e.graph(&["chats", "19:a/../b@thread.v2", "messages"]);
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/graph/v1.0/chats/19:a%2F..%2Fb@thread.v2/messages"
        );
        assert!(e.is_graph(&url));
        assert!(!e.is_graph(&Url::parse("http://127.0.0.1:10/graph/v1.0/me").unwrap()));
        assert!(!e.is_graph(&Url::parse("http://127.0.0.1:9/other").unwrap()));
    }

    #[test]
    fn client_ids_and_tenants() {
        assert!(is_client_id(ID));
        assert!(!is_client_id("1234567890.1234567890"));
        assert!(!is_client_id("0b1c2d3e-4f50-6172-8394-a5b6c7d8e9fz"));
        assert!(
            is_tenant("organizations") && is_tenant("contoso.onmicrosoft.com") && is_tenant(ID)
        );
        assert!(!is_tenant("a/b") && !is_tenant("") && !is_tenant("..x"));
    }

    #[test]
    fn unknown_keys_are_refused_and_save_keeps_the_rest() {
        let err = parse(&format!(
            "[providers.teams]\nclient_id = \"{ID}\"\nclient_secret = \"x\"\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("client_secret"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "# mine\n[providers.teams]\nclient_id = \"old\"\ngraph_url = \"http://127.0.0.1:9\"\n",
        )
        .unwrap();
        save_app(&path, ID, "contoso.com").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("# mine") && text.contains("127.0.0.1:9"),
            "{text}"
        );
        let c = Config::parse(&path, &text).unwrap();
        let s = section(&c).unwrap();
        assert_eq!(
            (s.client_id.as_str(), s.tenant.as_str()),
            (ID, "contoso.com")
        );
    }
}
