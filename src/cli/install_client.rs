//! `chatkey install-client <client> [--print] [--config PATH]`: put a `chatkey-mcp` entry in
//! an assistant's MCP config, or print the snippet to paste by hand.
//!
//! The snippet goes to stdout alone (so `--print | pbcopy` works); what was done, the backup
//! and the next step go to stderr and stdout as the other commands do.

use std::process::ExitCode;

use super::args::InstallClientArgs;
use crate::clients::{self, Outcome};

pub fn run(args: &InstallClientArgs) -> anyhow::Result<ExitCode> {
    let client = args.client;
    let shim = clients::shim_path();
    if args.print {
        let target = match &args.config {
            Some(p) => Some(p.clone()),
            None => client.config_path().ok(),
        };
        if let Some(target) = target {
            eprintln!(
                "Add this to {} (merge it into `{}` if the file has other servers):",
                target.display(),
                client.servers_key()
            );
        }
        print!("{}", client.snippet_with(&shim));
        return Ok(ExitCode::SUCCESS);
    }
    if !shim.is_file() {
        eprintln!(
            "warning: {} does not exist; {client} will fail to start chatkey until it does (install chatkey-mcp next to chatkey)",
            shim.display()
        );
    }
    let outcome = clients::install(client, &shim, args.config.as_deref())?;
    match outcome {
        Outcome::AlreadyConfigured { path } => {
            println!(
                "{client} is already configured for chatkey in {}",
                path.display()
            );
        }
        Outcome::Created { path } => {
            println!("Created {} with a chatkey entry", path.display());
            println!("Restart {client} to load it.");
        }
        Outcome::Added {
            path,
            backup,
            replaced,
        } => {
            println!(
                "{} the chatkey entry in {} (backup: {})",
                if replaced { "Updated" } else { "Added" },
                path.display(),
                backup.display()
            );
            println!("Restart {client} to load it.");
        }
    }
    Ok(ExitCode::SUCCESS)
}
