//! `chatkey-mcp`: the stdio shim assistants launch. It forwards MCP bytes to the chatkey
//! daemon (starting it when needed) and writes nothing but protocol bytes to stdout.

use std::process::ExitCode;

use clap::Parser;

use chatkey::providers::ProviderId;

/// Connects an AI assistant to chatkey over stdio (MCP)
#[derive(Parser)]
#[command(
    name = "chatkey-mcp",
    version,
    after_help = "Add to an assistant's MCP config, e.g. Claude Desktop:\n  {\"mcpServers\": {\"chatkey\": {\"command\": \"chatkey-mcp\"}}}\n\nDiagnostics go to stderr; stdout carries only MCP messages."
)]
struct Args {
    /// Offer only this provider's tools (google-chat, slack, teams); repeat for several
    #[arg(long = "provider", value_name = "NAME")]
    providers: Vec<ProviderId>,
    /// Hide every tool that changes data (sending, editing, deleting)
    #[arg(long)]
    read_only: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    chatkey::shim::main(chatkey::shim::ShimOptions {
        providers: args.providers,
        read_only: args.read_only,
    })
}
