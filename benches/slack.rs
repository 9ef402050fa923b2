//! `make bench`, third table: what searching Slack and naming its senders cost, on the
//! built-in Slack emulator (rate tiers off, so only requests and local work are measured).
//!
//! The emulator gets 30 extra channels of 1,000 messages from 40 people
//! (`Knobs::add_bulk_channels`). Then:
//! 1. Search across everything: `slack_search_messages` (Slack's search.messages, re-ranked)
//!    through an in-process MCP client, against fetching every channel's history one after
//!    another (conversations.history, 200 a page, as a server without search does) and
//!    filtering locally. Wall time is the median of 5 runs, each on a fresh app.
//! 2. Sender names for one channel's 1,000 messages: users.info requests made by
//!    `slack_list_messages`, cold and then with the names cached, against one users.info per
//!    message.
//!
//! Runs in-process with an in-memory secret store, so it needs no keyring.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chatkey::app::App;
use chatkey::paths::Paths;
use chatkey::protocol::SessionOptions;
use chatkey::providers::ProviderId;
use chatkey::providers::slack::emulator::{self, EmulatorConfig, EmulatorHandle, data};
use chatkey::tokens::MemoryStore;
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::service::{RoleClient, RunningService};
use serde_json::{Value, json};

const CHANNELS: usize = 30;
const MESSAGES_PER_CHANNEL: usize = 1000;
const RUNS: usize = 5;
const DAYS_WINDOW: u32 = 31;
const QUERY: &str = "payments-api";

type Client = RunningService<RoleClient, ()>;

struct Bench {
    emulator: EmulatorHandle,
    paths: Paths,
    store: Arc<MemoryStore>,
    _dir: tempfile::TempDir,
}

impl Bench {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let emulator = emulator::start(EmulatorConfig {
            auto_consent: true,
            redirect_port: port,
            ..Default::default()
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_owned();
        let paths = Paths::from_lookup(|name| match name {
            "CHATKEY_PROFILE" => Some("bench-slack".into()),
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
            ProviderId::Slack,
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
        .expect("slack sign-in through the emulator");
        Self {
            emulator,
            paths,
            store,
            _dir: dir,
        }
    }

    /// A fresh app (cold users cache) and an MCP client connected to it in process.
    async fn client(&self) -> (Arc<App>, Client) {
        let app = App::new(
            self.paths.clone(),
            self.store.clone(),
            chatkey::http::client(),
        )
        .await
        .unwrap();
        let (ours, theirs) = tokio::io::duplex(1 << 22);
        let server = app.clone();
        tokio::spawn(async move {
            chatkey::mcp::serve(server, theirs, SessionOptions::default()).await
        });
        let client = ().serve(ours).await.unwrap();
        (app, client)
    }
}

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

/// Web API calls since `before`, over every method.
fn calls_since(emulator: &EmulatorHandle, before: u64) -> u64 {
    total_calls(emulator) - before
}

fn total_calls(emulator: &EmulatorHandle) -> u64 {
    emulator
        .knobs()
        .calls()
        .iter()
        .filter(|(m, _)| !m.starts_with("oauth.") && *m != "auth.test")
        .map(|(_, n)| n)
        .sum()
}

/// The approach of a server without search: every channel's history, one after another,
/// every page, then a substring filter. Returns (matches, requests).
async fn history_one_by_one(
    emulator: &EmulatorHandle,
    token: &str,
    channels: &[String],
) -> (usize, u64) {
    let http = reqwest::Client::new();
    let api = emulator
        .base_url()
        .join("api/conversations.history")
        .unwrap();
    let oldest = (chrono::Utc::now() - chrono::Duration::days(DAYS_WINDOW.into())).timestamp();
    let (mut matches, mut requests) = (0, 0);
    for channel in channels {
        let mut cursor = String::new();
        loop {
            let mut form = vec![
                ("channel", channel.clone()),
                ("limit", "200".to_owned()),
                ("oldest", oldest.to_string()),
            ];
            if !cursor.is_empty() {
                form.push(("cursor", cursor.clone()));
            }
            let page: Value = http
                .post(api.clone())
                .bearer_auth(token)
                .form(&form)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            requests += 1;
            assert_eq!(page["ok"], true, "{page}");
            matches += page["messages"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["text"].as_str().is_some_and(|t| t.contains(QUERY)))
                .count();
            cursor = page["response_metadata"]["next_cursor"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if cursor.is_empty() {
                break;
            }
        }
    }
    (matches, requests)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let bench = Bench::start().await;
    let channels = bench
        .emulator
        .knobs()
        .add_bulk_channels(CHANNELS, MESSAGES_PER_CHANNEL)
        .unwrap();
    let token = bench
        .emulator
        .knobs()
        .mint_tokens(
            data::ALEX,
            &[
                "channels:history",
                "groups:history",
                "im:history",
                "mpim:history",
            ],
        )
        .unwrap()
        .access_token;

    // 1. Search.
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let (mut our_requests, mut our_results, mut their_requests, mut their_matches) = (0, 0, 0, 0);
    for _ in 0..RUNS {
        let (_app, client) = bench.client().await;
        let before = total_calls(&bench.emulator);
        let started = Instant::now();
        let out = call(
            &client,
            "slack_search_messages",
            json!({"query": QUERY, "mode": "exact", "days_window": DAYS_WINDOW, "max_results": 50}),
        )
        .await;
        ours.push(started.elapsed());
        our_requests = calls_since(&bench.emulator, before);
        our_results = out["results"].as_array().map_or(0, Vec::len);
        client.cancel().await.ok();

        let started = Instant::now();
        let (m, r) = history_one_by_one(&bench.emulator, &token, &channels).await;
        theirs.push(started.elapsed());
        (their_matches, their_requests) = (m, r);
    }

    // 2. Sender names.
    let (_app, client) = bench.client().await;
    let before = bench.emulator.knobs().calls_of("users.info");
    let args = json!({"channel": channels[0], "days_window": DAYS_WINDOW, "limit": 1000});
    let page = call(&client, "slack_list_messages", args.clone()).await;
    let listed = page["messages"].as_array().map_or(0, Vec::len);
    let cold = bench.emulator.knobs().calls_of("users.info") - before;
    let before = bench.emulator.knobs().calls_of("users.info");
    call(&client, "slack_list_messages", args).await;
    let cached = bench.emulator.knobs().calls_of("users.info") - before;

    println!(
        "| Slack, {CHANNELS} channels × {MESSAGES_PER_CHANNEL} messages | chatkey | history one channel after another |"
    );
    println!("|---|---|---|");
    println!(
        "| search `{QUERY}` over {DAYS_WINDOW} days: Web API requests | {our_requests} | {their_requests} |"
    );
    println!(
        "| search: wall time, median of {RUNS} | {} | {} |",
        ms(median(ours)),
        ms(median(theirs))
    );
    println!(
        "| search: results returned (chatkey's first page; all matches for the other) | {our_results} | {their_matches} |"
    );
    println!(
        "| sender names for {listed} messages: users.info requests, cold / cached | {cold} / {cached} | {listed} (one per message) |"
    );
}
