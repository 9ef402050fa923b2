//! ARCHITECTURE.md's invariants, checked against the source tree (rust-analyzer's `tidy`
//! idea): a dependency in the wrong module fails here, so the document cannot drift from
//! the code. Comments are ignored; only code counts.

use std::path::{Path, PathBuf};

use regex::Regex;

/// Every `.rs` file under `src/`, with its path relative to `src/` and its code (comments
/// and string contents are kept, `//` comments are dropped).
fn sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let rel = path
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, text)
        })
        .collect()
}

fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter_map(|(i, line)| {
        let code = match line.find("//") {
            // Keep `//` inside a string literal (URLs); drop it as a comment otherwise.
            Some(at) if line[..at].matches('"').count() % 2 == 0 => &line[..at],
            _ => line,
        };
        (!code.trim().is_empty()).then_some((i + 1, code))
    })
}

/// Lines matching `pattern` in files outside `allowed` (path prefixes under `src/`).
fn offenders(pattern: &str, allowed: &[&str]) -> Vec<String> {
    let re = Regex::new(pattern).unwrap();
    let mut found = Vec::new();
    for (rel, text) in sources() {
        if allowed.iter().any(|prefix| rel.starts_with(prefix)) {
            continue;
        }
        for (n, line) in code_lines(&text) {
            if re.is_match(line) {
                found.push(format!("src/{rel}:{n}: {}", line.trim()));
            }
        }
    }
    found
}

#[test]
fn only_mcp_knows_rmcp() {
    // `"rmcp::…"` inside a string (a log target name) is not a use of the crate.
    let bad = offenders(r#"(^|[^"\w])rmcp::|use rmcp\b"#, &["mcp/"]);
    assert!(bad.is_empty(), "rmcp outside src/mcp/:\n{}", bad.join("\n"));
}

#[test]
fn only_tokens_touches_the_keyring() {
    let bad = offenders(
        r"\b(keyring_core|zbus_secret_service_keyring_store|apple_native_keyring_store|windows_native_keyring_store|secret_service)::",
        &["tokens/"],
    );
    assert!(
        bad.is_empty(),
        "keyring crates outside src/tokens/:\n{}",
        bad.join("\n")
    );
}

#[test]
fn only_tray_touches_tao_and_tray_icon() {
    let bad = offenders(r"\b(tao|tray_icon|gtk)::", &["tray/"]);
    assert!(
        bad.is_empty(),
        "tao/tray-icon/gtk outside src/tray/:\n{}",
        bad.join("\n")
    );
}

#[test]
fn nothing_outside_providers_names_a_providers_module_or_types() {
    let bad = offenders(
        r"\b(google_chat|slack|teams)::|\b(GoogleChatConfig|GoogleEndpoints|ChatClient|SlackClient|GraphClient)\b",
        &["providers/"],
    );
    assert!(
        bad.is_empty(),
        "a provider's module named outside src/providers/ (go through the Provider trait):\n{}",
        bad.join("\n")
    );
}

#[test]
fn every_module_opens_with_a_doc_paragraph() {
    let missing: Vec<_> = sources()
        .into_iter()
        .filter(|(_, text)| !text.trim_start().starts_with("//!"))
        .map(|(rel, _)| format!("src/{rel}"))
        .collect();
    assert!(
        missing.is_empty(),
        "modules without a `//!` paragraph:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_checks_see_the_tree() {
    // A walk that found nothing would make every check above pass vacuously.
    let files = sources();
    assert!(files.len() > 50, "only {} source files found", files.len());
    assert!(files.iter().any(|(rel, _)| rel == "mcp/server.rs"));
    assert!(!offenders(r"\brmcp::", &[]).is_empty());
}
