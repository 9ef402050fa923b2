//! What chatkey knows about the AI assistants it plugs into: where each one keeps its MCP
//! configuration on each OS, what a `chatkey-mcp` entry looks like there, and how to add that
//! entry without disturbing anything else in the file.
//!
//! `snippet` is the text the tray's "Copy assistant config" puts on the clipboard and
//! `chatkey install-client --print` prints; `install` merges the same entry into the file
//! (see `install.rs` for the rules: backup, idempotence, unparseable files refused; `jsonc.rs`
//! edits VS Code's JSONC file in place).
//! The assistants' files live outside chatkey's own directories, so this module, not
//! `paths`, says where they are.

mod install;
mod jsonc;

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

pub use install::{InstallError, Outcome, install, install_at};

/// The name of chatkey's entry in every assistant's server list.
pub const ENTRY_NAME: &str = "chatkey";

/// The assistants `chatkey install-client` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Client {
    /// Claude Desktop (claude_desktop_config.json)
    ClaudeDesktop,
    /// Cursor (~/.cursor/mcp.json)
    Cursor,
    /// Visual Studio Code (user mcp.json)
    Vscode,
    /// Claude Code (~/.claude.json)
    ClaudeCode,
}

/// The directories an assistant's config path is built from.
#[derive(Debug, Clone)]
pub struct BaseDirs {
    /// The user's home directory.
    pub home: PathBuf,
    /// Where applications keep settings: `$XDG_CONFIG_HOME` (default `~/.config`) on Linux,
    /// `~/Library/Application Support` on macOS, `%APPDATA%` on Windows.
    pub config: PathBuf,
}

impl BaseDirs {
    /// This user's directories, from the environment (`HOME`, `XDG_CONFIG_HOME`, `APPDATA`).
    pub fn from_env() -> Option<Self> {
        let dirs = directories::BaseDirs::new()?;
        Some(Self {
            home: dirs.home_dir().to_owned(),
            config: dirs.config_dir().to_owned(),
        })
    }
}

impl Client {
    /// Every client, in the order menus show them.
    pub const ALL: [Client; 4] = [
        Client::ClaudeDesktop,
        Client::Cursor,
        Client::Vscode,
        Client::ClaudeCode,
    ];

    /// The name on the command line (`claude-desktop`, `cursor`, `vscode`, `claude-code`).
    pub fn cli_name(self) -> &'static str {
        match self {
            Client::ClaudeDesktop => "claude-desktop",
            Client::Cursor => "cursor",
            Client::Vscode => "vscode",
            Client::ClaudeCode => "claude-code",
        }
    }

    /// The name people know it by.
    pub fn display_name(self) -> &'static str {
        match self {
            Client::ClaudeDesktop => "Claude Desktop",
            Client::Cursor => "Cursor",
            Client::Vscode => "VS Code",
            Client::ClaudeCode => "Claude Code",
        }
    }

    /// Whether this client's file is JSONC (comments, trailing commas), as VS Code's is.
    pub fn reads_jsonc(self) -> bool {
        matches!(self, Client::Vscode)
    }

    /// The top-level key that holds the MCP servers in this client's file.
    pub fn servers_key(self) -> &'static str {
        match self {
            Client::Vscode => "servers",
            _ => "mcpServers",
        }
    }

    /// Where this client reads its user-level MCP configuration, given this OS's `dirs`.
    pub fn config_path_in(self, dirs: &BaseDirs) -> PathBuf {
        match self {
            Client::ClaudeDesktop => dirs
                .config
                .join("Claude")
                .join("claude_desktop_config.json"),
            Client::Vscode => dirs.config.join("Code").join("User").join("mcp.json"),
            // Cursor and Claude Code use the home directory on every OS.
            Client::Cursor => dirs.home.join(".cursor").join("mcp.json"),
            Client::ClaudeCode => dirs.home.join(".claude.json"),
        }
    }

    /// Where this client reads its MCP configuration on this computer.
    pub fn config_path(self) -> Result<PathBuf, InstallError> {
        let dirs = BaseDirs::from_env().ok_or(InstallError::NoHome)?;
        Ok(self.config_path_in(&dirs))
    }

    /// chatkey's entry for this client, launching the shim at `shim`.
    pub fn entry(self, shim: &Path) -> Value {
        let command = shim.to_string_lossy();
        match self {
            // VS Code and Claude Code name the transport; the others assume stdio.
            Client::Vscode | Client::ClaudeCode => {
                json!({ "type": "stdio", "command": command, "args": [] })
            }
            Client::ClaudeDesktop | Client::Cursor => json!({ "command": command, "args": [] }),
        }
    }

    /// A complete config document holding only chatkey's entry, as pretty JSON.
    pub fn snippet_with(self, shim: &Path) -> String {
        let mut servers = Map::new();
        servers.insert(ENTRY_NAME.to_owned(), self.entry(shim));
        let mut root = Map::new();
        root.insert(self.servers_key().to_owned(), Value::Object(servers));
        let mut text = serde_json::to_string_pretty(&Value::Object(root))
            .expect("a JSON value always serializes");
        text.push('\n');
        text
    }
}

impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

/// The absolute path of the `chatkey-mcp` installed next to the running executable; plain
/// `chatkey-mcp` (looked up on `PATH`) when the running executable cannot be found.
pub fn shim_path() -> PathBuf {
    let name = format!("chatkey-mcp{}", std::env::consts::EXE_SUFFIX);
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(&name)))
        .unwrap_or_else(|| PathBuf::from(name))
}

/// What to paste into `client`'s MCP config: chatkey's entry pointing at the installed shim.
/// The tray's "Copy assistant config" and `install-client --print` both show this.
pub fn snippet(client: Client) -> String {
    client.snippet_with(&shim_path())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy)]
    enum Os {
        Linux,
        Mac,
        Windows,
    }

    fn dirs(os: Os) -> BaseDirs {
        match os {
            Os::Linux => BaseDirs {
                home: "/home/ann".into(),
                config: "/home/ann/.config".into(),
            },
            Os::Mac => BaseDirs {
                home: "/Users/ann".into(),
                config: "/Users/ann/Library/Application Support".into(),
            },
            Os::Windows => BaseDirs {
                home: "C:/Users/ann".into(),
                config: "C:/Users/ann/AppData/Roaming".into(),
            },
        }
    }

    #[test]
    fn config_paths_follow_each_clients_convention() {
        let table = [
            (
                Client::ClaudeDesktop,
                Os::Linux,
                "/home/ann/.config/Claude/claude_desktop_config.json",
            ),
            (
                Client::ClaudeDesktop,
                Os::Mac,
                "/Users/ann/Library/Application Support/Claude/claude_desktop_config.json",
            ),
            (
                Client::ClaudeDesktop,
                Os::Windows,
                "C:/Users/ann/AppData/Roaming/Claude/claude_desktop_config.json",
            ),
            (
                Client::Vscode,
                Os::Linux,
                "/home/ann/.config/Code/User/mcp.json",
            ),
            (
                Client::Vscode,
                Os::Mac,
                "/Users/ann/Library/Application Support/Code/User/mcp.json",
            ),
            (
                Client::Vscode,
                Os::Windows,
                "C:/Users/ann/AppData/Roaming/Code/User/mcp.json",
            ),
            (Client::Cursor, Os::Linux, "/home/ann/.cursor/mcp.json"),
            (Client::Cursor, Os::Windows, "C:/Users/ann/.cursor/mcp.json"),
            (Client::ClaudeCode, Os::Mac, "/Users/ann/.claude.json"),
        ];
        for (client, os, want) in table {
            let got = client.config_path_in(&dirs(os));
            assert_eq!(got, PathBuf::from(want), "{client:?} on {os:?}");
        }
    }

    #[test]
    fn snippets_use_each_clients_key_and_transport() {
        let shim = Path::new("/opt/chatkey/chatkey-mcp");
        let vscode: Value = serde_json::from_str(&Client::Vscode.snippet_with(shim)).unwrap();
        assert_eq!(
            vscode,
            json!({"servers": {"chatkey": {"type": "stdio", "command": "/opt/chatkey/chatkey-mcp", "args": []}}})
        );
        let desktop: Value =
            serde_json::from_str(&Client::ClaudeDesktop.snippet_with(shim)).unwrap();
        assert_eq!(
            desktop,
            json!({"mcpServers": {"chatkey": {"command": "/opt/chatkey/chatkey-mcp", "args": []}}})
        );
        let code: Value = serde_json::from_str(&Client::ClaudeCode.snippet_with(shim)).unwrap();
        assert_eq!(code["mcpServers"]["chatkey"]["type"], "stdio");
    }

    #[test]
    fn cli_names_round_trip_through_clap() {
        use clap::ValueEnum;
        for client in Client::ALL {
            assert_eq!(Client::from_str(client.cli_name(), false), Ok(client));
        }
    }

    #[test]
    fn the_shim_sits_next_to_the_running_executable() {
        let shim = shim_path();
        let exe = std::env::current_exe().unwrap();
        assert_eq!(shim.parent(), exe.parent());
        assert!(shim.is_absolute());
    }
}
