//! `chatkey demo` as a newcomer runs it, with the real binaries and keyring: it finishes,
//! its "read recent messages" step shows real messages (the emulator's seed is relative to
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

/// The lines of step `n` (after its heading, before the next one).
fn step_lines(stdout: &str, n: u32) -> Vec<String> {
    stdout
        .lines()
        .skip_while(|l| !l.starts_with(&format!("{n}. ")))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
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
    let read = step_lines(&stdout, 5);
    assert!(
        !read.is_empty() && read.iter().all(|l| l.contains(": ")),
        "step 5 showed no messages:\n{stdout}"
    );
    let heading = stdout
        .lines()
        .find(|l| l.starts_with("5. google_chat_list_messages"))
        .expect("step 5");
    assert!(heading.contains("days_window: 2"), "{heading}");

    let forced = demo(&[("CLICOLOR_FORCE", "1")]);
    let forced = String::from_utf8(forced.stdout).unwrap();
    assert!(
        forced.contains("\x1b[1m5. google_chat_list_messages"),
        "no bold headings when colour is asked for:\n{forced:?}"
    );

    let no_color = demo(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    let no_color = String::from_utf8(no_color.stdout).unwrap();
    assert!(
        !no_color.contains('\x1b'),
        "NO_COLOR ignored:\n{no_color:?}"
    );
}
