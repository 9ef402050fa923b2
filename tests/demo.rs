//! `chatkey demo` as a newcomer runs it, with the real binaries and keyring: it finishes,
//! signs in to every provider and serves all of them from one daemon, each provider's "read
//! recent messages" step shows real messages (the emulator's seed is relative to
//! now, whatever the date), and it writes colour only where colour belongs: not into a pipe,
//! not under `NO_COLOR`, only when a terminal (here `CLICOLOR_FORCE`) asks for it.

use std::process::{Command, Output, Stdio};

use crate::support::keyring_ready;

const CHATKEY: &str = env!("CARGO_BIN_EXE_chatkey");

fn demo(env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(CHATKEY);
    cmd.arg("demo")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR")
        .env_remove("CHATKEY_LOG")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "chatkey demo failed ({:?}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The heading of the step that names `what`, and its lines (after the heading, before the
/// next step).
fn step<'a>(stdout: &'a str, what: &str) -> (&'a str, Vec<&'a str>) {
    let mut lines = stdout.lines().skip_while(|l| {
        !(l.contains(what)
            && l.split_once(". ")
                .is_some_and(|(n, _)| n.parse::<u32>().is_ok()))
    });
    let heading = lines
        .next()
        .unwrap_or_else(|| panic!("no step names {what}:\n{stdout}"));
    (heading, lines.take_while(|l| !l.is_empty()).collect())
}

#[test]
fn the_demo_reads_real_messages_and_keeps_escape_codes_out_of_pipes() {
    if !keyring_ready("demo::the_demo_reads_real_messages") {
        return;
    }
    let piped = demo(&[]);
    let stdout = String::from_utf8(piped.stdout).unwrap();
    assert!(
        !stdout.contains('\x1b') && !String::from_utf8_lossy(&piped.stderr).contains('\x1b'),
        "escape codes in a pipe:\n{stdout:?}"
    );
    for provider in ["Google Chat", "Slack"] {
        let (heading, _) = step(&stdout, &format!("Signing in to {provider}"));
        assert!(heading.contains("OAuth"), "{heading}");
    }
    // One daemon serves both: its tool list has each provider's tools.
    let (_, tools) = step(&stdout, "Starting chatkey-mcp");
    for (provider, prefix) in [("Google Chat", "google_chat_"), ("Slack", "slack_")] {
        let line = tools
            .iter()
            .find(|l| l.trim_start().starts_with(provider))
            .unwrap_or_else(|| panic!("no tool count for {provider}:\n{stdout}"));
        let count: u32 = line
            .split_whitespace()
            .nth(provider.split(' ').count())
            .unwrap()
            .parse()
            .unwrap();
        assert!(count > 20 && line.contains(prefix), "{line}");
    }
    for tool in ["google_chat_list_messages", "slack_list_messages"] {
        let (heading, read) = step(&stdout, tool);
        assert!(heading.contains("days_window: 2"), "{heading}");
        assert!(
            !read.is_empty() && read.iter().all(|l| l.contains(": ")),
            "{tool} showed no messages:\n{stdout}"
        );
    }
    for tool in ["google_chat_send_message", "slack_send_message"] {
        let (_, posted) = step(&stdout, tool);
        assert!(
            posted
                .iter()
                .any(|l| l.contains("posted") && !l.contains("posted ?")),
            "{tool} posted nothing:\n{stdout}"
        );
    }

    let forced = demo(&[("CLICOLOR_FORCE", "1")]);
    let forced = String::from_utf8(forced.stdout).unwrap();
    assert!(
        forced.contains("\x1b[1m1. Starting the emulators"),
        "no bold headings when colour is asked for:\n{forced:?}"
    );

    let no_color = demo(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    let no_color = String::from_utf8(no_color.stdout).unwrap();
    assert!(
        !no_color.contains('\x1b'),
        "NO_COLOR ignored:\n{no_color:?}"
    );
}
