//! `make bench`, second table: what searching and naming senders cost, chatkey against the
//! Python server it replaces, both measured for real on the built-in emulator.
//!
//! The emulator gets 30 extra spaces of 1,000 messages from 40 people
//! (`Knobs::add_bulk_spaces`). Then:
//! 1. Search across those 30 spaces: chatkey's `google_chat_search_messages` (mode `exact`,
//!    so both sides look for the same substring) through an in-process MCP client, against
//!    the old approach (spaces one after another, one People call per message, as the Python
//!    server did with sender info on). Wall time is the median of 5
//!    runs, each on a fresh app (cold name cache, cold pacing); requests come from the
//!    emulator's request log.
//! 2. Sender names for one space's 1,000 messages: People requests made by
//!    `google_chat_list_messages` over its pages, then again with the names cached, against
//!    one People call per message.
//!
//! Runs in-process with an in-memory secret store, so it needs no keyring.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chatkey::app::App;
use chatkey::paths::Paths;
use chatkey::protocol::SessionOptions;
use chatkey::providers::ProviderId;
use chatkey::providers::google_chat::client::ChatClient;
use chatkey::providers::google_chat::emulator::{EmulatorConfig, EmulatorHandle};
use chatkey::providers::google_chat::models::{ListMessagesResponse, Message};
use chatkey::providers::google_chat::tools::messages::window_filter;
use chatkey::tokens::{AccountId, AccountRecord, Accounts, MemoryStore, SecretStore};
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::service::{RoleClient, RunningService};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

const SPACES: usize = 30;
const MESSAGES_PER_SPACE: usize = 1000;
const SENDERS: usize = 40;
const RUNS: usize = 5;
/// The bulk history spans 30 days; one more day covers it whatever the clock did meanwhile.
const DAYS_WINDOW: u32 = 31;
/// A service name from the corpus: it appears in a few percent of the messages.
const QUERY: &str = "payments-api";
const MAX_RESULTS: u32 = 50;
/// Page size for the sender-names measurement, so 1,000 messages take several pages.
const PAGE_LIMIT: u32 = 100;
const SEARCH_TOOL: &str = "google_chat_search_messages";

type Client = RunningService<RoleClient, ()>;

/// Chat and People requests in the emulator's log since it was last cleared.
#[derive(Debug, Clone, Copy, Default)]
struct Requests {
    chat: usize,
    people: usize,
}

impl Requests {
    fn read(emulator: &EmulatorHandle) -> Self {
        let mut r = Requests::default();
        for req in emulator.knobs().request_log() {
            if req.path.starts_with("/v1/spaces") {
                r.chat += 1;
            } else if req.path.starts_with("/v1/people") {
                r.people += 1;
            }
        }
        r
    }
    fn total(self) -> usize {
        self.chat + self.people
    }
}

struct Bench {
    emulator: EmulatorHandle,
    paths: Paths,
    store: Arc<MemoryStore>,
    _dir: tempfile::TempDir,
}

impl Bench {
    /// An emulator and a profile signed in through the real OAuth loop (auto-consent;
    /// reqwest plays the browser), the refresh token in an in-memory store.
    async fn start() -> Self {
        let emulator = chatkey::providers::google_chat::emulator::start(EmulatorConfig {
            auto_consent: true,
            ..Default::default()
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_owned();
        let paths = Paths::from_lookup(|name| match name {
            "CHATKEY_PROFILE" => Some("bench".into()),
            "CHATKEY_CONFIG_DIR" => Some(root.join("config").into()),
            "CHATKEY_RUNTIME_DIR" => Some(root.join("run").into()),
            "CHATKEY_STATE_DIR" => Some(root.join("state").into()),
            _ => None,
        })
        .unwrap();
        std::fs::create_dir_all(paths.config_dir()).unwrap();
        std::fs::write(paths.config_file(), emulator.config_toml()).unwrap();
        let config = chatkey::config::Config::load(&paths.config_file()).unwrap();
        let google = chatkey::providers::google_chat::config::section(&config).unwrap();
        let oauth = chatkey::providers::google_chat::oauth_config(google);
        let http = chatkey::http::client();
        let tokens = chatkey::oauth::authorize(
            &oauth,
            &http,
            chatkey::oauth::AuthorizeOptions {
                open_browser: false,
                timeout: Duration::from_secs(20),
                login_hint: None,
            },
            |url| {
                let url = url.clone();
                tokio::spawn(async move { reqwest::get(url).await.map(|_| ()) });
            },
        )
        .await
        .unwrap();
        let me = chatkey::providers::google_chat::identity::whoami(
            &http,
            &google.endpoints(),
            &tokens.access_token,
        )
        .await
        .unwrap();
        let store = Arc::new(MemoryStore::default());
        store
            .save(
                &AccountId {
                    provider: ProviderId::GoogleChat,
                    email: me.email.clone(),
                },
                tokens.refresh_token.as_ref().unwrap(),
            )
            .unwrap();
        let mut accounts = Accounts::load(&paths.accounts_file()).unwrap();
        accounts.upsert(AccountRecord {
            provider: ProviderId::GoogleChat,
            email: me.email,
            user_id: me.user_id,
            display_name: me.display_name,
            scopes: oauth.scopes.clone(),
            signed_in_at: chrono::Utc::now(),
            aliases: Vec::new(),
            secret_kind: Default::default(),
        });
        accounts.save(&paths.accounts_file()).unwrap();
        Bench {
            emulator,
            paths,
            store,
            _dir: dir,
        }
    }

    /// A fresh app (empty name cache, fresh pacing) with its access token already fetched,
    /// so no run pays for a token refresh; the request log is cleared.
    async fn fresh_app(&self) -> (Arc<App>, ChatClient) {
        let app = App::new(
            self.paths.clone(),
            self.store.clone(),
            chatkey::http::client(),
        )
        .await
        .unwrap();
        let client = chatkey::providers::google_chat::Context::new(app.env().clone())
            .client(None)
            .unwrap();
        client.account().access_token().await.unwrap();
        self.emulator.knobs().clear_request_log();
        (app, client)
    }
}

async fn connect(app: &Arc<App>) -> Client {
    let (client_io, server_io) = tokio::io::duplex(1 << 22);
    let app = app.clone();
    tokio::spawn(
        async move { chatkey::mcp::serve(app, server_io, SessionOptions::default()).await },
    );
    ().serve(client_io).await.unwrap()
}

async fn call_tool(client: &Client, tool: &str, args: Value) -> Value {
    let params = CallToolRequestParams::new(tool.to_owned())
        .with_arguments(args.as_object().cloned().unwrap_or_default());
    let result = client.call_tool(params).await.unwrap();
    assert_ne!(result.is_error, Some(true), "{tool}: {:?}", result.content);
    result.structured_content.expect("structured content")
}

fn window() -> String {
    let until = chrono::Utc::now();
    window_filter(until - chrono::TimeDelta::days(DAYS_WINDOW.into()), until)
}

fn matches(m: &Message) -> bool {
    m.text
        .as_deref()
        .is_some_and(|t| t.to_lowercase().contains(QUERY))
}

/// What chatkey's search reported.
struct Found {
    total: usize,
    returned: usize,
    scanned: usize,
}

/// One `google_chat_search_messages` call through an MCP client session.
async fn chatkey_search(app: &Arc<App>, spaces: &[String]) -> Found {
    let mcp = connect(app).await;
    let result = call_tool(
        &mcp,
        SEARCH_TOOL,
        json!({"query": QUERY, "mode": "exact", "spaces": spaces, "days_window": DAYS_WINDOW, "max_results": MAX_RESULTS}),
    )
    .await;
    let _ = mcp.cancel().await;
    let number = |v: &Value| v.as_u64().expect("a count") as usize;
    Found {
        total: number(&result["total_matches"]),
        returned: result["results"].as_array().map_or(0, Vec::len),
        scanned: number(&result["searched"]["messages_scanned"]),
    }
}

/// The Python server's loop, on the same reqwest client: spaces one after another, each
/// window fetched at pageSize 1000, then one People request per message for its sender.
/// Returns (matches, messages looked at).
async fn old_search(app: &App, client: &ChatClient, spaces: &[String]) -> (usize, usize) {
    let token = client.account().access_token().await.unwrap();
    let endpoints = client.endpoints();
    let filter = window();
    let mut found = 0;
    let mut seen = 0;
    for space in spaces {
        let mut page_token: Option<String> = None;
        loop {
            let mut query = vec![
                ("pageSize", "1000".to_owned()),
                ("orderBy", "createTime desc".to_owned()),
                ("filter", filter.clone()),
            ];
            if let Some(t) = &page_token {
                query.push(("pageToken", t.clone()));
            }
            let page: ListMessagesResponse = app
                .http
                .get(endpoints.chat_collection(space, "messages"))
                .query(&query)
                .bearer_auth(token.expose_secret())
                .send()
                .await
                .unwrap()
                .error_for_status()
                .unwrap()
                .json()
                .await
                .unwrap();
            for m in &page.messages {
                seen += 1;
                found += usize::from(matches(m));
                let Some(id) = m
                    .sender
                    .as_ref()
                    .and_then(|u| u.name.strip_prefix("users/"))
                else {
                    continue;
                };
                let person: Value = app
                    .http
                    .get(endpoints.person(id))
                    .query(&[("personFields", "names,emailAddresses")])
                    .bearer_auth(token.expose_secret())
                    .send()
                    .await
                    .unwrap()
                    .error_for_status()
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                assert!(person["names"].is_array(), "{person}");
            }
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) => page_token = Some(t),
                None => break,
            }
        }
    }
    (found, seen)
}

/// Reads a whole space through `google_chat_list_messages`; returns (pages, messages, names resolved).
async fn read_space(mcp: &Client, space: &str) -> (usize, usize, usize) {
    let (mut pages, mut messages, mut named) = (0, 0, 0);
    let mut token: Option<String> = None;
    loop {
        let mut args = json!({"space": space, "days_window": DAYS_WINDOW, "limit": PAGE_LIMIT});
        if let Some(t) = &token {
            args["page_token"] = json!(t);
        }
        let page = call_tool(mcp, "google_chat_list_messages", args).await;
        pages += 1;
        for m in page["messages"].as_array().unwrap() {
            messages += 1;
            named += usize::from(m["sender"]["display_name"].is_string());
        }
        match page["next_page_token"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => return (pages, messages, named),
        }
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let bench = Bench::start().await;
    let spaces = bench
        .emulator
        .knobs()
        .add_bulk_spaces(SPACES, MESSAGES_PER_SPACE, SENDERS)
        .unwrap();

    let (app, _) = bench.fresh_app().await;
    let catalogue = connect(&app).await.list_all_tools().await.unwrap();
    assert!(
        catalogue.iter().any(|t| t.name == SEARCH_TOOL),
        "{SEARCH_TOOL} is not in chatkey's catalogue"
    );

    // 1. Search, chatkey then the old approach, each on a fresh app per run.
    let mut new_times = Vec::new();
    let mut new_req = Requests::default();
    let mut found = Found {
        total: 0,
        returned: 0,
        scanned: 0,
    };
    for _ in 0..RUNS {
        let (app, _) = bench.fresh_app().await;
        let started = Instant::now();
        found = chatkey_search(&app, &spaces).await;
        new_times.push(started.elapsed());
        new_req = Requests::read(&bench.emulator);
    }
    let (mut old_times, mut old_req, mut old_found, mut old_seen) =
        (Vec::new(), Requests::default(), 0, 0);
    for _ in 0..RUNS {
        let (app, client) = bench.fresh_app().await;
        let started = Instant::now();
        (old_found, old_seen) = old_search(&app, &client, &spaces).await;
        old_times.push(started.elapsed());
        old_req = Requests::read(&bench.emulator);
    }
    let all = SPACES * MESSAGES_PER_SPACE;
    assert_eq!(old_seen, all, "the old loop saw every message");
    assert_eq!(found.scanned, all, "chatkey scanned every message");
    assert_eq!(
        found.total, old_found,
        "both approaches find the same matches"
    );
    assert_eq!(found.returned, old_found.min(MAX_RESULTS as usize));

    // 2. Sender names over one space's pages: cold, then cached; the old way for comparison.
    let (app, client) = bench.fresh_app().await;
    let mcp = connect(&app).await;
    let (pages, read, named) = read_space(&mcp, &spaces[0]).await;
    assert_eq!(read, MESSAGES_PER_SPACE);
    assert_eq!(named, read, "every sender got a display name");
    let cold = Requests::read(&bench.emulator);
    bench.emulator.knobs().clear_request_log();
    read_space(&mcp, &spaces[0]).await;
    let warm = Requests::read(&bench.emulator);
    bench.emulator.knobs().clear_request_log();
    old_search(&app, &client, &spaces[..1]).await;
    let old_names = Requests::read(&bench.emulator);

    println!();
    println!(
        "Search: {SPACES} spaces × {MESSAGES_PER_SPACE} messages from {SENDERS} senders, query `{QUERY}`, \
         mode exact, days_window {DAYS_WINDOW}, max_results {MAX_RESULTS}; chatkey = `{SEARCH_TOOL}` via MCP."
    );
    println!();
    println!("| measurement | chatkey | old approach (sequential spaces, People per message) |");
    println!("|---|---|---|");
    println!(
        "| search wall time, median of {RUNS} (fresh app each run) | {} | {} |",
        ms(median(new_times)),
        ms(median(old_times))
    );
    println!(
        "| search HTTP requests (Chat + People) | {} ({} Chat + {} People) | {} ({} Chat + {} People) |",
        new_req.total(),
        new_req.chat,
        new_req.people,
        old_req.total(),
        old_req.chat,
        old_req.people
    );
    println!(
        "| messages scanned / matches found / returned | {} / {} / {} | {old_seen} / {old_found} / {} |",
        found.scanned,
        found.total,
        found.returned,
        old_found.min(MAX_RESULTS as usize)
    );
    println!(
        "| sender names, {MESSAGES_PER_SPACE} messages / {SENDERS} senders: People requests, first pass ({pages} pages of {PAGE_LIMIT}) | {} | {} |",
        cold.people, old_names.people
    );
    println!(
        "| same, second pass (names cached) | {} | {} |",
        warm.people, old_names.people
    );
    bench.emulator.shutdown().await;
}
