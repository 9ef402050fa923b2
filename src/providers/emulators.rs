//! `chatkey emulator`: the built-in emulators of the chat services, served together on one
//! loopback port for tests and experiments. Each provider's emulator lives in that provider's
//! folder; their routes do not overlap (Google's `/o/oauth2`, `/token`, `/v1/…`; Slack's
//! `/api/…`, `/oauth/v2/…`; Microsoft's `/teams-login/…`, `/graph/…`), so one server
//! carries them all.

use super::{google_chat, slack, teams};

/// Runs the emulators on 127.0.0.1 until SIGINT/SIGTERM, printing the config that points
/// chatkey at them.
pub async fn run_cli(port: u16, auto_consent: bool) -> anyhow::Result<()> {
    let slack = slack::emulator::SlackEmulator::new(&slack::emulator::EmulatorConfig {
        auto_consent,
        ..Default::default()
    })?;
    let teams = teams::emulator::TeamsEmulator::new(&teams::emulator::EmulatorConfig {
        auto_consent,
        ..Default::default()
    })?;
    let google = google_chat::emulator::start_with(
        google_chat::emulator::EmulatorConfig {
            port,
            auto_consent,
            ..Default::default()
        },
        slack.router().merge(teams.router()),
    )
    .await?;
    let base = google.base_url();
    let mut out = format!("chatkey emulator listening on {base}\n\n");
    out.push_str(&google.describe());
    out.push('\n');
    out.push_str(&slack.describe(&base));
    out.push('\n');
    out.push_str(&teams.describe(&base));
    {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(out.as_bytes())?;
        stdout.flush()?;
    }
    google_chat::emulator::wait_for_signal().await;
    google.shutdown().await;
    Ok(())
}
