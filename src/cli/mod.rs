//! What each `chatkey` command does, in terms of the library; the binary only parses.
//!
//! Output rules: results go to stdout (so they can be piped), progress and warnings to
//! stderr, and an error is printed once by `main` with its causes.

mod args;
mod install_client;
mod status;

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use secrecy::SecretString;

pub use args::{Cli, Command};

use crate::exit_code;
use crate::paths::Paths;
use crate::providers::ProviderId;
use crate::signin::{self, LoginOptions};

/// Runs the parsed command line to completion.
pub fn main(cli: Cli) -> ExitCode {
    crate::http::install_crypto_provider();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("chatkey: failed to start the async runtime: {e}");
            return ExitCode::from(exit_code::FAILURE);
        }
    };
    // The tray needs the main thread (GTK and AppKit insist), so the daemon moves to the
    // runtime's worker threads and this thread runs the tray's event loop.
    #[cfg(feature = "tray")]
    if matches!(
        cli.command,
        None | Some(Command::Daemon { headless: false })
    ) && crate::tray::available()
    {
        return crate::tray::main(runtime);
    }
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("chatkey: {e:#}");
            ExitCode::from(exit_code::FAILURE)
        }
    }
}

async fn run(command: Option<Command>) -> anyhow::Result<ExitCode> {
    let paths = Paths::from_env()?;
    match command {
        None => crate::daemon_main::start(&paths, false).await,
        Some(Command::Daemon { headless }) => crate::daemon_main::start(&paths, headless).await,
        Some(Command::Emulator { port, auto_consent }) => {
            crate::logging::init_cli();
            crate::emulator::run_cli(port, auto_consent).await?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Demo) => {
            crate::logging::init_cli();
            crate::demo::run().await?;
            Ok(ExitCode::SUCCESS)
        }
        Some(other) => {
            crate::logging::init_cli();
            manage(&paths, other).await
        }
    }
}

async fn manage(paths: &Paths, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Setup(a) => setup(paths, a.provider, &a.client_secret),
        Command::Login(a) => {
            let opts = LoginOptions {
                open_browser: !a.no_browser && LoginOptions::default().open_browser,
                login_hint: a.account,
                ..LoginOptions::default()
            };
            let provider = a.provider;
            let record = signin::login(paths, provider, opts, |url| {
                eprintln!(
                    "To sign in to {}, open this link in a browser on this computer:\n\n  {url}\n\nWaiting for you to finish in the browser (up to 5 minutes; Ctrl-C to cancel)…",
                    provider.display_name()
                );
            })
            .await?;
            println!(
                "Signed in to {} as {}",
                provider.display_name(),
                record.email
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Logout(a) => {
            let outcome = signin::logout(paths, a.provider, a.account.as_deref()).await?;
            if let Some(problem) = &outcome.revoke_problem {
                eprintln!("warning: {problem}");
            }
            println!(
                "Signed out {} from {}; its token is deleted from the keyring",
                outcome.email,
                a.provider.display_name()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Status { json } => status::print(paths, json).await,
        Command::InstallClient(a) => install_client::run(&a),
        Command::Export(a) => {
            let email =
                signin::export_token_json(paths, a.provider, a.account.as_deref(), &a.token_json)
                    .await?;
            eprintln!(
                "warning: {} now holds a plaintext copy of {email}'s refresh token (mode 0600). Anyone who can read it can use the account: delete it when you no longer need it",
                a.token_json.display()
            );
            println!("Exported {email} to {}", a.token_json.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Import(a) => {
            let record =
                signin::import_token_json(paths, a.provider, &a.token_json, a.keep).await?;
            println!(
                "Imported {} into the keyring{}",
                record.email,
                if a.keep {
                    format!(
                        "; {} still holds a plaintext token: delete it when you can",
                        a.token_json.display()
                    )
                } else {
                    format!(" and deleted {}", a.token_json.display())
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Daemon { .. } | Command::Demo | Command::Emulator { .. } => {
            unreachable!("handled by run")
        }
    }
}

/// Google's downloaded client JSON: `{"installed": {"client_id": …, "client_secret": …}}`.
#[derive(serde::Deserialize)]
struct ClientFile {
    installed: Option<ClientSection>,
    web: Option<serde_json::Value>,
}

#[derive(serde::Deserialize)]
struct ClientSection {
    client_id: String,
    client_secret: Option<String>,
}

fn setup(paths: &Paths, provider: ProviderId, file: &Path) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        provider == ProviderId::GoogleChat,
        "{} is not supported by this version of chatkey yet; google-chat is",
        provider.display_name()
    );
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("failed to read {}", file.display()))?;
    let parsed: ClientFile = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a Google OAuth client JSON file; download it from Google Cloud Console → Credentials → your Desktop OAuth client → Download JSON",
            file.display()
        )
    })?;
    let section = match (parsed.installed, parsed.web) {
        (Some(s), _) => s,
        (None, Some(_)) => anyhow::bail!(
            "{} is a \"Web application\" client; chatkey needs a \"Desktop app\" client: create one in Google Cloud Console → Credentials → Create credentials → OAuth client ID → Desktop app",
            file.display()
        ),
        (None, None) => anyhow::bail!(
            "{} has no \"installed\" section; download the JSON of a \"Desktop app\" OAuth client",
            file.display()
        ),
    };
    let secret = section
        .client_secret
        .filter(|s| !s.is_empty())
        .with_context(|| format!("{} has no client_secret", file.display()))?;
    anyhow::ensure!(
        !section.client_id.trim().is_empty(),
        "{} has an empty client_id",
        file.display()
    );
    let config_file = paths.config_file();
    crate::config::save_google_client(
        &config_file,
        &section.client_id,
        &SecretString::from(secret),
    )?;
    println!(
        "Saved the Google client {} to {}\nNext: chatkey login google-chat",
        section.client_id,
        config_file.display()
    );
    Ok(ExitCode::SUCCESS)
}
