//! `chatkey`: the daemon (tray or headless) and the command line that manages sign-in.
//! Parses arguments and calls the library; `main` prints an error once, with its causes.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = chatkey::cli::Cli::parse();
    chatkey::cli::main(cli)
}
