//! The Slack app a person creates for chatkey, as a manifest they paste into
//! api.slack.com/apps ("From a manifest"): user scopes only (chatkey acts as the person, never
//! as a bot), the loopback redirect URL, token rotation on. PKCE is switched on in the app's
//! settings after creation (the manifest has no key for it), which makes the app a public
//! client: no client secret ever reaches chatkey.

use serde_json::json;

use super::DEFAULT_USER_SCOPES;

/// The manifest as pretty JSON (Slack's "From a manifest" dialog accepts JSON or YAML).
pub fn manifest_json(redirect_port: u16, scopes: &[String]) -> String {
    let manifest = json!({
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": "chatkey",
            "description": "Lets the AI assistants on your computer read and write your Slack as you, with the token kept in your system keyring.",
            "background_color": "#2f6f4f"
        },
        "oauth_config": {
            "redirect_urls": [format!("http://localhost:{redirect_port}/callback")],
            "scopes": {"user": scopes}
        },
        "settings": {
            "org_deploy_enabled": false,
            "socket_mode_enabled": false,
            "token_rotation_enabled": true
        }
    });
    serde_json::to_string_pretty(&manifest).expect("a JSON value always serialises")
}

/// What `chatkey setup slack --print-manifest` prints: the manifest and the clicks around it.
pub fn instructions(redirect_port: u16, scopes: &[String]) -> String {
    let mut why = String::new();
    for (scope, reason) in DEFAULT_USER_SCOPES {
        if scopes.iter().any(|s| s == scope) {
            why.push_str(&format!("#   {scope:<18} {reason}\n"));
        }
    }
    format!(
        "# Create chatkey's Slack app (once per workspace, a minute):\n\
         #  1. Open https://api.slack.com/apps → Create New App → From a manifest, pick the workspace,\n\
         #     paste the JSON below, Create.\n\
         #  2. OAuth & Permissions → PKCE: Enable (chatkey is a public client: no client secret).\n\
         #     Then Install to Workspace (an admin may have to approve it).\n\
         #  3. Basic Information → App Credentials: copy the Client ID and run\n\
         #       chatkey setup slack --client-id <Client ID>{port_flag}\n\
         #     then: chatkey login slack\n\
         #\n\
         # The user scopes and why chatkey asks for each:\n{why}\
         # Keep the app internal to your workspace (do not distribute it): Slack limits apps\n\
         # distributed outside the Marketplace to 1 conversations.history request a minute.\n\n\
         {}\n",
        manifest_json(redirect_port, scopes),
        port_flag = if redirect_port == super::config::DEFAULT_REDIRECT_PORT {
            String::new()
        } else {
            format!(" --redirect-port {redirect_port}")
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_scopes_only_redirect_and_rotation() {
        let scopes: Vec<String> = DEFAULT_USER_SCOPES
            .iter()
            .map(|(s, _)| s.to_string())
            .collect();
        let v: serde_json::Value = serde_json::from_str(&manifest_json(53682, &scopes)).unwrap();
        assert_eq!(
            v["oauth_config"]["redirect_urls"][0],
            "http://localhost:53682/callback"
        );
        assert_eq!(
            v["oauth_config"]["scopes"]["user"]
                .as_array()
                .unwrap()
                .len(),
            scopes.len()
        );
        assert!(
            v["oauth_config"]["scopes"].get("bot").is_none(),
            "no bot scopes"
        );
        assert_eq!(v["settings"]["token_rotation_enabled"], true);
        let text = instructions(50000, &scopes);
        assert!(text.contains("--redirect-port 50000"), "{text}");
        assert!(text.contains("PKCE"), "{text}");
        assert!(text.contains("users:read.email"), "{text}");
    }
}
