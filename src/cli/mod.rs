//! What each `chatkey` command does, in terms of the library; the binary only parses.
//!
//! Output rules: results go to stdout (so they can be piped), progress and warnings to
//! stderr, and an error is printed once by `main` with its causes.

mod args;
mod install_client;
mod status;

use std::io::Read;
use std::process::ExitCode;

use anyhow::Context;
use secrecy::SecretString;

pub use args::{Cli, Command};

use crate::exit_code;
use crate::paths::Paths;
use crate::providers::{self, ImportSource, SetupRequest};
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
            providers::emulators::run_cli(port, auto_consent).await?;
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
        Command::Setup(a) => {
            let request = SetupRequest {
                client_secret_file: a.client_secret,
                client_id: a.client_id,
                redirect_port: a.redirect_port,
                tenant: a.tenant,
                print_manifest: a.print_manifest,
            };
            let next = providers::require(a.provider)?
                .setup(paths, &request)
                .await?;
            println!("{next}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Login(a) if a.device_code => {
            let provider = a.provider;
            let store = signin::open_store(paths).await?;
            let record = signin::login_device_code(paths, provider, store, |code| {
                eprintln!(
                    "To sign in to {}, open {} on any device (a phone works) and enter the code\n\n  {}\n\nWaiting for you to finish there (the code expires in {} min; Ctrl-C to cancel)…",
                    provider.display_name(),
                    code.verification_uri,
                    code.user_code,
                    code.expires_in.as_secs().div_ceil(60)
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
            let (source, kept) = match (&a.token_json, a.token_stdin) {
                (Some(file), _) => (ImportSource::TokenJson(file), a.keep),
                (None, _) => (ImportSource::Token(read_token_from_stdin()?), true),
            };
            let record = signin::import(paths, a.provider, source, a.keep).await?;
            let what = match &a.token_json {
                Some(file) if kept => format!(
                    "; {} still holds a plaintext token: delete it when you can",
                    file.display()
                ),
                Some(file) => format!(" and deleted {}", file.display()),
                None => String::new(),
            };
            println!("Imported {} into the keyring{what}", record.email);
            Ok(ExitCode::SUCCESS)
        }
        Command::Daemon { .. } | Command::Demo | Command::Emulator { .. } => {
            unreachable!("handled by run")
        }
    }
}

/// A token piped on standard input (never an argument, which other users can see in `ps`).
fn read_token_from_stdin() -> anyhow::Result<SecretString> {
    let mut text = String::new();
    std::io::stdin()
        .take(16 * 1024)
        .read_to_string(&mut text)
        .context("failed to read the token from standard input")?;
    let token = text.trim();
    anyhow::ensure!(
        !token.is_empty(),
        "no token on standard input; pipe it in, e.g. `chatkey import slack --token-stdin < token.txt`"
    );
    Ok(SecretString::from(token.to_owned()))
}
