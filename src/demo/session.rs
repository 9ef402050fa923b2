//! Just enough of an MCP client for the demo to narrate: newline-delimited JSON-RPC over
//! the shim's stdio, exactly what an assistant sends.

use std::time::Duration;

use anyhow::Context;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout};

/// Just enough of an MCP client to narrate: newline-delimited JSON-RPC over the shim's stdio.
pub struct McpSession {
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl McpSession {
    pub fn new(child: &mut Child) -> anyhow::Result<Self> {
        Ok(Self {
            stdin: child.stdin.take(),
            stdout: BufReader::new(child.stdout.take().context("no stdout from chatkey-mcp")?),
            next_id: 1,
        })
    }

    async fn send(&mut self, message: Value) -> anyhow::Result<()> {
        let stdin = self.stdin.as_mut().context("the session is closed")?;
        let mut line = message.to_string();
        line.push('\n');
        stdin.write_all(line.as_bytes()).await?;
        stdin.flush().await?;
        Ok(())
    }

    pub async fn notify(&mut self, method: &str, params: Value) -> anyhow::Result<()> {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}))
            .await
    }

    pub async fn request(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await?;
        let mut line = String::new();
        loop {
            line.clear();
            let n = tokio::time::timeout(Duration::from_secs(30), self.stdout.read_line(&mut line))
                .await
                .context("chatkey-mcp did not answer within 30 s")??;
            anyhow::ensure!(n > 0, "chatkey-mcp closed the session");
            let message: Value = serde_json::from_str(&line)?;
            if message["id"] != json!(id) {
                continue; // a notification
            }
            if let Some(error) = message.get("error") {
                anyhow::bail!("{method} failed: {}", error["message"]);
            }
            return Ok(message["result"].clone());
        }
    }

    pub async fn call_tool(&mut self, name: &str, arguments: Value) -> anyhow::Result<Value> {
        let result = self
            .request("tools/call", json!({"name": name, "arguments": arguments}))
            .await?;
        if result["isError"] == json!(true) {
            anyhow::bail!(
                "{name} failed: {}",
                result["content"][0]["text"].as_str().unwrap_or("?")
            );
        }
        Ok(result["structuredContent"].clone())
    }

    pub async fn close(&mut self) {
        self.stdin.take();
    }
}
