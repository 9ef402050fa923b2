//! `chatkey install-client` through the real binary, against temporary copies of each
//! assistant's config file: merge without touching other entries, idempotence, backups, mode
//! kept, unparseable files refused, VS Code's JSONC edited in place (comments kept), missing
//! files created, `--print`, and the default paths under a private HOME / XDG_CONFIG_HOME.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

const CHATKEY: &str = env!("CARGO_BIN_EXE_chatkey");
const SHIM: &str = env!("CARGO_BIN_EXE_chatkey-mcp");

/// A config file as each assistant writes it, with someone else's server in it.
fn existing(client: &str) -> &'static str {
    match client {
        "vscode" => {
            "{\n\t\"inputs\": [],\n\t\"servers\": {\n\t\t\"github\": {\n\t\t\t\"type\": \"http\",\n\t\t\t\"url\": \"https://api.githubcopilot.com/mcp/\"\n\t\t}\n\t}\n}\n"
        }
        "claude-code" => {
            "{\n  \"numStartups\": 12,\n  \"theme\": \"dark\",\n  \"mcpServers\": {\n    \"fs\": {\n      \"type\": \"stdio\",\n      \"command\": \"npx\",\n      \"args\": [\"-y\", \"@modelcontextprotocol/server-filesystem\", \"/tmp\"],\n      \"env\": {}\n    }\n  },\n  \"projects\": {}\n}\n"
        }
        _ => {
            "{\n  \"mcpServers\": {\n    \"weather\": {\n      \"command\": \"uvx\",\n      \"args\": [\"weather-mcp\"],\n      \"env\": {\"API_KEY\": \"k\"}\n    }\n  },\n  \"globalShortcut\": \"Ctrl+Space\"\n}\n"
        }
    }
}

fn servers_key(client: &str) -> &'static str {
    if client == "vscode" {
        "servers"
    } else {
        "mcpServers"
    }
}

fn run(args: &[&str], home: &Path) -> Output {
    Command::new(CHATKEY)
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("CHATKEY_CONFIG_DIR", home.join("chatkey-config"))
        .env("CHATKEY_STATE_DIR", home.join("chatkey-state"))
        .env("CHATKEY_RUNTIME_DIR", home.join("chatkey-run"))
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn install(client: &str, config: &Path, home: &Path) -> Output {
    run(
        &[
            "install-client",
            client,
            "--config",
            config.to_str().unwrap(),
        ],
        home,
    )
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn backups(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".chatkey-backup-"))
        .collect();
    found.sort();
    found
}

fn shim_path() -> String {
    std::fs::canonicalize(SHIM)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn merges_into_each_clients_file_once_with_a_backup() {
    for client in ["claude-desktop", "cursor", "vscode", "claude-code"] {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("cfg");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.json");
        let before = existing(client);
        std::fs::write(&path, before).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        }

        let out = install(client, &path, home.path());
        assert!(out.status.success(), "{client}: {}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains("Added the chatkey entry"),
            "{client}: {}",
            text(&out.stdout)
        );

        let after_text = std::fs::read_to_string(&path).unwrap();
        let after: Value = serde_json::from_str(&after_text).unwrap();
        let old: Value = serde_json::from_str(before).unwrap();
        let key = servers_key(client);
        // Everything that was there is still there, unchanged, in the same order.
        for (k, v) in old.as_object().unwrap() {
            if k != key {
                assert_eq!(&after[k], v, "{client}: {k} changed");
            }
        }
        for (name, server) in old[key].as_object().unwrap() {
            assert_eq!(&after[key][name], server, "{client}: server {name} changed");
        }
        let old_keys: Vec<&String> = old.as_object().unwrap().keys().collect();
        let new_keys: Vec<&String> = after.as_object().unwrap().keys().collect();
        assert_eq!(old_keys, new_keys, "{client}: top-level key order");
        // The file's indentation is kept (VS Code writes tabs).
        let indent = if client == "vscode" {
            "\n\t\""
        } else {
            "\n  \""
        };
        assert!(after_text.contains(indent), "{client}: {after_text}");

        let entry = &after[key]["chatkey"];
        assert_eq!(entry["command"], shim_path().as_str(), "{client}");
        assert!(Path::new(entry["command"].as_str().unwrap()).is_absolute());
        let typed = matches!(client, "vscode" | "claude-code");
        assert_eq!(
            entry.get("type") == Some(&json!("stdio")),
            typed,
            "{client}: {entry}"
        );

        let found = backups(&dir);
        assert_eq!(found.len(), 1, "{client}: {found:?}");
        assert_eq!(std::fs::read_to_string(&found[0]).unwrap(), before);
        #[cfg(unix)]
        {
            assert_eq!(mode(&path), 0o640, "{client}: mode kept");
            assert_eq!(mode(&found[0]), 0o640, "{client}: backup mode");
        }

        // Second run: nothing to do, no write, no new backup.
        let again = install(client, &path, home.path());
        assert!(again.status.success(), "{client}: {}", text(&again.stderr));
        assert!(
            text(&again.stdout).contains("already configured"),
            "{client}: {}",
            text(&again.stdout)
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), after_text);
        assert_eq!(backups(&dir).len(), 1, "{client}: a second backup");
    }
}

#[test]
fn an_outdated_entry_is_replaced_and_others_kept() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("mcp.json");
    let before = r#"{"mcpServers": {"chatkey": {"command": "/old/chatkey-mcp", "args": []}, "other": {"command": "x"}}}"#;
    std::fs::write(&path, before).unwrap();
    let out = install("cursor", &path, home.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Updated the chatkey entry"));
    let after: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        after["mcpServers"]["chatkey"]["command"],
        shim_path().as_str()
    );
    assert_eq!(after["mcpServers"]["other"], json!({"command": "x"}));
    let names: Vec<&String> = after["mcpServers"].as_object().unwrap().keys().collect();
    assert_eq!(names, ["chatkey", "other"]);
}

#[test]
fn an_unparseable_file_is_refused_and_left_alone() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("claude_desktop_config.json");
    // A trailing comma on line 3.
    let before = "{\n  \"mcpServers\": {\n    \"a\": {\"command\": \"x\"},\n  }\n}\n";
    std::fs::write(&path, before).unwrap();
    let out = install("claude-desktop", &path, home.path());
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains("line 4"), "{err}");
    assert!(err.contains("not valid JSON"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    assert!(backups(home.path()).is_empty());

    // Valid JSON of the wrong shape is refused too.
    for (body, why) in [
        ("[1, 2]", "top level"),
        (r#"{"mcpServers": []}"#, "`mcpServers`"),
    ] {
        std::fs::write(&path, body).unwrap();
        let out = install("claude-desktop", &path, home.path());
        assert!(!out.status.success(), "{body}");
        assert!(text(&out.stderr).contains(why), "{}", text(&out.stderr));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), body);
    }
}

#[test]
fn a_missing_file_is_created_with_its_directories() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("new/deeper/mcp.json");
    let out = install("vscode", &path, home.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let created: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        created,
        json!({"servers": {"chatkey": {"type": "stdio", "command": shim_path(), "args": []}}})
    );
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);
    assert!(backups(path.parent().unwrap()).is_empty());
}

#[cfg(unix)]
#[test]
fn a_symlinked_file_is_updated_through_the_link() {
    let home = tempfile::tempdir().unwrap();
    let real = home.path().join("dotfiles-claude.json");
    std::fs::write(&real, "{}").unwrap();
    let link = home.path().join(".claude.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let out = install("claude-code", &link, home.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let after: Value = serde_json::from_str(&std::fs::read_to_string(&real).unwrap()).unwrap();
    assert_eq!(
        after["mcpServers"]["chatkey"]["command"],
        shim_path().as_str()
    );
}

#[test]
fn print_shows_the_snippet_and_changes_nothing() {
    let home = tempfile::tempdir().unwrap();
    for client in ["claude-desktop", "cursor", "vscode", "claude-code"] {
        let out = run(&["install-client", client, "--print"], home.path());
        assert!(out.status.success(), "{}", text(&out.stderr));
        let snippet: Value = serde_json::from_str(&text(&out.stdout)).unwrap();
        let key = servers_key(client);
        assert_eq!(snippet.as_object().unwrap().len(), 1, "{snippet}");
        assert_eq!(snippet[key]["chatkey"]["command"], shim_path().as_str());
    }
    // Nothing was written anywhere under HOME.
    let written: Vec<_> = walk(home.path());
    assert!(written.is_empty(), "{written:?}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files.extend(walk(&p));
        } else {
            files.push(p);
        }
    }
    files
}

#[cfg(target_os = "linux")]
#[test]
fn default_paths_follow_home_and_xdg_config_home() {
    let home = tempfile::tempdir().unwrap();
    let want = [
        (
            "claude-desktop",
            ".config/Claude/claude_desktop_config.json",
            "mcpServers",
        ),
        ("cursor", ".cursor/mcp.json", "mcpServers"),
        ("vscode", ".config/Code/User/mcp.json", "servers"),
        ("claude-code", ".claude.json", "mcpServers"),
    ];
    for (client, rel, key) in want {
        let out = run(&["install-client", client], home.path());
        assert!(out.status.success(), "{client}: {}", text(&out.stderr));
        let path = home.path().join(rel);
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert!(doc[key]["chatkey"].is_object(), "{client}: {doc}");
        let printed = run(&["install-client", client, "--print"], home.path());
        assert!(text(&printed.stderr).contains(&path.display().to_string()));
    }
}

#[test]
fn an_unknown_client_is_a_usage_error_listing_the_known_ones() {
    let home = tempfile::tempdir().unwrap();
    let out = run(&["install-client", "notepad"], home.path());
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    for name in ["claude-desktop", "cursor", "vscode", "claude-code"] {
        assert!(err.contains(name), "{err}");
    }
}

#[test]
fn vscode_jsonc_is_edited_in_place_and_non_jsonc_refused() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("mcp.json");
    // As VS Code writes it: a comment, tabs, trailing commas.
    let before = "// Servers for every workspace\n{\n\t\"servers\": {\n\t\t\"github\": {\n\t\t\t\"type\": \"http\", // Copilot's\n\t\t\t\"url\": \"https://api.githubcopilot.com/mcp/\",\n\t\t},\n\t},\n\t/* prompts for secrets */\n\t\"inputs\": [],\n}\n";
    std::fs::write(&path, before).unwrap();
    let out = install("vscode", &path, home.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let after = std::fs::read_to_string(&path).unwrap();
    let github_end = before.find("\t\t},\n").unwrap() + "\t\t},\n".len();
    assert!(
        after.starts_with(&before[..github_end]),
        "everything up to the github entry is byte for byte as it was:\n{after}"
    );
    assert!(
        after.ends_with("\t},\n\t/* prompts for secrets */\n\t\"inputs\": [],\n}\n"),
        "{after}"
    );
    let added = &after[github_end..];
    assert!(
        added.starts_with("\t\t\"chatkey\": {\n\t\t\t\"type\": \"stdio\",\n"),
        "{added}"
    );
    assert!(
        added.contains(&format!("\"command\": {:?}", shim_path())),
        "{added}"
    );
    assert_eq!(backups(home.path()).len(), 1);
    let again = install("vscode", &path, home.path());
    assert!(text(&again.stdout).contains("already configured"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), after);

    // Not even JSONC: refused, named, untouched.
    for body in [
        "{\n\t\"servers\": {\n\t\t'github': {}\n\t}\n}\n",
        "{\n\t\"servers\": {\n\t\t\"a\": {} \"b\": {}\n\t}\n}\n",
        "{\n\t\"servers\": {\n",
    ] {
        std::fs::write(&path, body).unwrap();
        let out = install("vscode", &path, home.path());
        assert!(!out.status.success(), "{body}");
        let err = text(&out.stderr);
        assert!(
            err.contains("not valid JSONC") && err.contains(&path.display().to_string()),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), body);
    }
    assert_eq!(backups(home.path()).len(), 1);
}
