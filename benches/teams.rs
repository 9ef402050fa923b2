//! `make bench`, fourth table: what searching Teams and catching up cost, on the built-in
//! Graph emulator. The emulator gets 20 extra group chats of 300 messages over 30 days
//! (`Knobs::add_bulk_chats`). Then `teams_search_messages` (exact, 30 days) and
//! `teams_get_unread` through an in-process MCP client, each against what a server without
//! them does: list every chat and read every chat's messages one after another, every page,
//! filtering locally. Requests are Graph requests; wall time is the median of 5 runs.
//!
//! Runs in-process with an in-memory secret store, so it needs no keyring.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chatkey::app::App;
use chatkey::paths::Paths;
use chatkey::protocol::SessionOptions;
use chatkey::providers::ProviderId;
use chatkey::providers::teams::emulator::{self, CLIENT_ID, EmulatorConfig, EmulatorHandle, data};
use chatkey::tokens::{AccountId, MemoryStore, SecretStore};
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::service::{RoleClient, RunningService};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

const CHATS: usize = 20;
const MESSAGES_PER_CHAT: usize = 300;
const RUNS: usize = 5;
const QUERY: &str = "payments-api latency";

type Client = RunningService<RoleClient, ()>;

async fn call(client: &Client, tool: &str, args: Value) -> Value {
    let params = CallToolRequestParams::new(tool.to_owned())
        .with_arguments(args.as_object().unwrap().clone());
    let result = client.call_tool(params).await.unwrap();
    assert_ne!(result.is_error, Some(true), "{tool}: {result:?}");
    result.structured_content.unwrap()
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Every chat, then every chat's messages, one after another, all pages; returns
/// (messages holding QUERY, messages from others after last read, requests).
async fn every_chat_one_by_one(emulator: &EmulatorHandle, token: &str) -> (usize, usize, usize) {
    let http = reqwest::Client::new();
    let base = emulator.base_url();
    let get = |url: String| {
        let http = http.clone();
        async move {
            let v: Value = http
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v
        }
    };
    let mut requests = 0;
    let mut chats = Vec::new();
    let mut next = Some(format!("{base}graph/v1.0/me/chats?$top=50"));
    while let Some(url) = next.take() {
        let page = get(url).await;
        requests += 1;
        chats.extend(page["value"].as_array().unwrap().iter().cloned());
        next = page["@odata.nextLink"].as_str().map(str::to_owned);
    }
    let (mut matches, mut unread) = (0, 0);
    for chat in &chats {
        let read = chat["viewpoint"]["lastMessageReadDateTime"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        let id = chat["id"].as_str().unwrap();
        let mut next = Some(format!("{base}graph/v1.0/chats/{id}/messages?$top=50"));
        while let Some(url) = next.take() {
            let page = get(url).await;
            requests += 1;
            for m in page["value"].as_array().unwrap() {
                let text = m["body"]["content"].as_str().unwrap_or("");
                matches += usize::from(text.contains(QUERY));
                let from = m["from"]["user"]["id"].as_str().unwrap_or("");
                let created = m["createdDateTime"].as_str().unwrap_or("");
                unread += usize::from(from != data::ME && created > read.as_str());
            }
            next = page["@odata.nextLink"].as_str().map(str::to_owned);
        }
    }
    (matches, unread, requests)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let emulator = emulator::start(EmulatorConfig {
        auto_consent: true,
        ..Default::default()
    })
    .await
    .unwrap();
    emulator.knobs().add_bulk_chats(CHATS, MESSAGES_PER_CHAT);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_owned();
    let paths = Paths::from_lookup(|name| match name {
        "CHATKEY_PROFILE" => Some("bench-teams".into()),
        "CHATKEY_CONFIG_DIR" => Some(root.join("config").into()),
        "CHATKEY_RUNTIME_DIR" => Some(root.join("run").into()),
        "CHATKEY_STATE_DIR" => Some(root.join("state").into()),
        _ => None,
    })
    .unwrap();
    std::fs::create_dir_all(paths.config_dir()).unwrap();
    std::fs::write(paths.config_file(), emulator.config_toml()).unwrap();
    let store = Arc::new(MemoryStore::default());
    chatkey::signin::login_into(
        &paths,
        ProviderId::Teams,
        chatkey::signin::LoginOptions {
            open_browser: false,
            login_hint: None,
            timeout: Duration::from_secs(20),
        },
        store.clone(),
        |url| {
            let url = url.clone();
            tokio::spawn(async move { reqwest::get(url).await.map(|_| ()) });
        },
    )
    .await
    .expect("teams sign-in through the emulator");
    // An access token of our own for the one-by-one reader.
    let refresh = store
        .load(&AccountId {
            provider: ProviderId::Teams,
            email: data::ME_EMAIL.into(),
        })
        .unwrap()
        .unwrap();
    let tokens: Value = reqwest::Client::new()
        .post(format!(
            "{}teams-login/organizations/oauth2/v2.0/token",
            emulator.base_url()
        ))
        .form(&[
            ("client_id", CLIENT_ID),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.expose_secret()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = tokens["access_token"].as_str().unwrap().to_owned();

    let mut rows = Vec::new();
    for (tool, args, what) in [
        (
            "teams_search_messages",
            json!({"query": QUERY, "mode": "exact", "days_window": 30, "max_results": 50}),
            "search",
        ),
        ("teams_get_unread", json!({}), "unread"),
    ] {
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        let (mut our_requests, mut their_requests, mut our_count, mut their_count) = (0, 0, 0, 0);
        for _ in 0..RUNS {
            let app = App::new(paths.clone(), store.clone(), chatkey::http::client())
                .await
                .unwrap();
            let (ours_io, theirs_io) = tokio::io::duplex(1 << 22);
            let server = app.clone();
            tokio::spawn(async move {
                chatkey::mcp::serve(server, theirs_io, SessionOptions::default()).await
            });
            let client = ().serve(ours_io).await.unwrap();
            let before = emulator.knobs().log().len();
            let started = Instant::now();
            let out = call(&client, tool, args.clone()).await;
            ours.push(started.elapsed());
            our_requests = emulator.knobs().log().len() - before;
            our_count = if what == "search" {
                out["total_matches"].as_u64().unwrap_or(0) as usize
            } else {
                out["total"].as_u64().unwrap_or(0) as usize
            };
            client.cancel().await.ok();
            let started = Instant::now();
            let (matches, unread, requests) = every_chat_one_by_one(&emulator, &token).await;
            theirs.push(started.elapsed());
            their_requests = requests;
            their_count = if what == "search" { matches } else { unread };
        }
        rows.push((
            tool,
            our_requests,
            median(ours),
            our_count,
            their_requests,
            median(theirs),
            their_count,
        ));
    }

    println!(
        "\n| Teams, {} chats × {} messages, 30 days | chatkey | every chat one after another |",
        CHATS + 4,
        MESSAGES_PER_CHAT
    );
    println!("|---|---|---|");
    for (tool, our_r, our_t, our_n, their_r, their_t, their_n) in rows {
        println!("| `{tool}`: Graph requests | {our_r} | {their_r} |");
        println!(
            "| `{tool}`: wall time, median of {RUNS} | {} | {} |",
            ms(our_t),
            ms(their_t)
        );
        println!("| `{tool}`: found (matches or unread) | {our_n} | {their_n} |");
    }
}
