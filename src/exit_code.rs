//! The process exit codes of `chatkey` and `chatkey-mcp`, named so scripts, service managers
//! and tests can tell outcomes apart.
//!
//! They are `u8` so they fit `std::process::ExitCode::from`. Codes 0–2 follow common
//! convention (clap also exits 2 on a usage error); 3 and up are chatkey's own and stay stable
//! across releases.

/// Success.
pub const OK: u8 = 0;
/// Any failure without a more specific code below.
pub const FAILURE: u8 = 1;
/// Bad command line (unknown flag, missing argument).
pub const USAGE: u8 = 2;
/// `chatkey` found a daemon already running for this profile. Not an error: the person
/// asked for a daemon and there is one, so this is deliberately the same as `OK` (a login
/// session's autostart and a click on the menu entry must both succeed quietly).
pub const ALREADY_RUNNING: u8 = 0;
/// `chatkey-mcp` could not reach or start the daemon, or lost it mid-session; also a control
/// command (`status`, `reload`) that found no daemon.
pub const DAEMON_UNAVAILABLE: u8 = 3;
/// The operation needs an account that is not signed in (or whose sign-in expired): run
/// `chatkey login <provider>`.
pub const NEEDS_SIGN_IN: u8 = 4;
/// The configuration is missing or invalid (the message names the file, line and key).
pub const CONFIG: u8 = 5;
/// `chatkey-mcp` and the daemon are different versions and the daemon could not be
/// restarted to match.
pub const VERSION_MISMATCH: u8 = 6;

#[cfg(test)]
mod tests {
    #[test]
    fn failure_codes_are_distinct() {
        use super::*;
        let codes = [
            FAILURE,
            USAGE,
            DAEMON_UNAVAILABLE,
            NEEDS_SIGN_IN,
            CONFIG,
            VERSION_MISMATCH,
        ];
        let unique: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), codes.len());
        assert!(!codes.contains(&OK));
        assert_eq!(ALREADY_RUNNING, OK);
    }
}
