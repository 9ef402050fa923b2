//! The command line's shape (clap). DESIGN.md's contract fixes the command names.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::providers::ProviderId;

#[derive(Parser)]
#[command(
    name = "chatkey",
    version,
    about = "Safe access to your team chat for every AI assistant on this computer",
    long_about = "chatkey signs you in to Google Chat once, keeps the token in the system keyring, \
                  refreshes it in the background and serves one MCP server that every assistant \
                  reaches through `chatkey-mcp`.\n\nRun without a command to start the daemon \
                  (tray when built with it and a display is available).",
    after_help = "Getting started:\n  chatkey setup google-chat --client-secret client_secret.json\n  chatkey login google-chat\n  chatkey status\n\nTry it with no Google account: chatkey demo"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the daemon in the foreground
    Daemon {
        /// No tray icon (servers, CI, no display)
        #[arg(long)]
        headless: bool,
    },
    /// Store a provider's OAuth client in the config (Google's "Desktop app" JSON, a Slack or Entra app id)
    Setup(SetupArgs),
    /// Sign in through the browser and keep the token in the keyring
    Login(LoginArgs),
    /// Revoke the sign-in at the provider and delete it from the keyring
    Logout(AccountArgs),
    /// Show accounts, who is signed in, token expiry and health
    Status {
        /// Machine-readable output
        #[arg(long)]
        json: bool,
    },
    /// Write a token.json in the old Python server's format (plaintext: handle with care)
    Export(ExportArgs),
    /// Move a sign-in made elsewhere into the keyring (a Python-server token.json, a Slack token on stdin)
    Import(ImportArgs),
    /// The whole loop against the built-in emulator, with no Google account needed
    Demo,
    /// Add chatkey to an assistant's MCP config (or print the snippet with --print)
    InstallClient(InstallClientArgs),
    /// Run the built-in emulators alone (for tests and experiments)
    Emulator {
        /// Port on 127.0.0.1 (0 = any free port)
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Grant consent at once instead of showing the consent page
        #[arg(long)]
        auto_consent: bool,
    },
}

#[derive(Args)]
pub struct SetupArgs {
    /// Provider: google-chat, slack or teams
    pub provider: ProviderId,
    /// google-chat: the client JSON downloaded from Google Cloud Console (Credentials → OAuth client → Desktop app)
    #[arg(long, value_name = "FILE")]
    pub client_secret: Option<PathBuf>,
    /// slack, teams: the app's client id
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// slack: the loopback port registered in the app's redirect URL (http://localhost:PORT/callback)
    #[arg(long, value_name = "N")]
    pub redirect_port: Option<u16>,
    /// slack: print the app manifest to create the Slack app from, and change nothing
    #[arg(long)]
    pub print_manifest: bool,
    /// teams: the tenant (id or domain; default `organizations`)
    #[arg(long, value_name = "T")]
    pub tenant: Option<String>,
}

#[derive(Args)]
pub struct LoginArgs {
    /// Provider: google-chat, slack or teams
    pub provider: ProviderId,
    /// Do not open a browser; only print the sign-in URL
    #[arg(long)]
    pub no_browser: bool,
    /// teams: sign in on another device with a code, for machines where no browser can reach this one
    #[arg(long, conflicts_with = "no_browser")]
    pub device_code: bool,
    /// Suggest this account on the consent page
    #[arg(long, value_name = "EMAIL")]
    pub account: Option<String>,
}

#[derive(Args)]
pub struct AccountArgs {
    /// Provider: google-chat
    pub provider: ProviderId,
    /// Which account, when several are signed in
    #[arg(long, value_name = "EMAIL")]
    pub account: Option<String>,
}

#[derive(Args)]
pub struct ExportArgs {
    /// Provider: google-chat
    pub provider: ProviderId,
    /// Where to write token.json (created with mode 0600)
    #[arg(long, value_name = "PATH")]
    pub token_json: PathBuf,
    /// Which account, when several are signed in
    #[arg(long, value_name = "EMAIL")]
    pub account: Option<String>,
}

#[derive(Args)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["token_json", "token_stdin"]))]
pub struct ImportArgs {
    /// Provider: google-chat or slack
    pub provider: ProviderId,
    /// google-chat: the Python server's token.json
    #[arg(long, value_name = "PATH")]
    pub token_json: Option<PathBuf>,
    /// slack: read an existing user token (xoxp-…) from standard input
    #[arg(long)]
    pub token_stdin: bool,
    /// Keep the plaintext file instead of deleting it after the import
    #[arg(long)]
    pub keep: bool,
}

#[derive(Args)]
pub struct InstallClientArgs {
    /// The assistant whose MCP config gets a `chatkey` entry
    #[arg(value_enum)]
    pub client: crate::clients::Client,
    /// Print the config snippet instead of changing any file
    #[arg(long)]
    pub print: bool,
    /// Edit this file instead of the assistant's usual one (e.g. a project's .vscode/mcp.json)
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
}
