//! `chatkey emulator`: the built-in emulators of the chat services, run alone for tests and
//! experiments. Each provider's emulator lives in that provider's folder; this is only the
//! command that starts them.

/// Runs the emulators on 127.0.0.1 until SIGINT/SIGTERM, printing the config that points
/// chatkey at them.
pub async fn run_cli(port: u16, auto_consent: bool) -> anyhow::Result<()> {
    super::google_chat::emulator::run_cli(port, auto_consent).await
}
