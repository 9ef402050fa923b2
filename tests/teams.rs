//! Microsoft Teams end to end against the Graph emulator, signed in through the real
//! authorization-code loop (PKCE, `http://localhost` on an ephemeral port, auto-consent,
//! reqwest plays the browser): the sign-in names the person from /me; refreshes rotate the
//! refresh token keyring first; AADSTS refusals become reasons; chats, teams and channels are
//! listed and resolved by name; messages are read in windows and pages, as readable text;
//! writes post escaped HTML; channel reads without admin consent say what to ask for.

use std::sync::Arc;
use std::time::Duration;

use chatkey::app::App;
use chatkey::paths::Paths;
use chatkey::protocol::SessionOptions;
use chatkey::providers::ProviderId;
use chatkey::providers::teams::emulator::{self, EmulatorConfig, EmulatorHandle, data};
use chatkey::tokens::{AccountId, MemoryStore, SecretStore};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::support::{connect, ok, paths_in, tool_error};

pub(crate) struct World {
    pub emulator: EmulatorHandle,
    pub paths: Paths,
    pub app: Arc<App>,
    pub store: Arc<MemoryStore>,
    _dir: tempfile::TempDir,
}

/// An emulator plus an app signed in to it through the real authorization-code loop.
pub(crate) async fn signed_in(cfg: EmulatorConfig) -> World {
    let emulator = emulator::start(EmulatorConfig {
        auto_consent: true,
        ..cfg
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let paths = paths_in(dir.path());
    std::fs::create_dir_all(paths.config_dir()).unwrap();
    std::fs::write(paths.config_file(), emulator.config_toml()).unwrap();
    let store = Arc::new(MemoryStore::default());
    let record = chatkey::signin::login_into(
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
    assert_eq!(record.email, data::ME_EMAIL);
    assert_eq!(record.user_id.as_deref(), Some(data::ME));
    assert_eq!(record.display_name.as_deref(), Some("Alex Rivera"));
    let app = App::new(paths.clone(), store.clone(), chatkey::http::client())
        .await
        .unwrap();
    World {
        emulator,
        paths,
        app,
        store,
        _dir: dir,
    }
}

/// An app on `world`'s sign-in whose file tools may use `dir` (`[files] allowed_dirs`).
pub(crate) async fn with_allowed_dir(world: &World, dir: &std::path::Path) -> Arc<App> {
    let config = format!(
        "{}\n[files]\nallowed_dirs = [\"{}\"]\n",
        world.emulator.config_toml(),
        dir.display()
    );
    std::fs::write(world.paths.config_file(), config).unwrap();
    App::new(
        world.paths.clone(),
        world.store.clone(),
        chatkey::http::client(),
    )
    .await
    .unwrap()
}

fn texts(out: &Value) -> Vec<String> {
    out["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_owned())
        .collect()
}

pub(crate) fn id() -> AccountId {
    AccountId {
        provider: ProviderId::Teams,
        email: data::ME_EMAIL.into(),
    }
}

#[tokio::test]
async fn teams_sign_in_rotates_refresh_tokens_and_explains_refusals() {
    let world = signed_in(EmulatorConfig::default()).await;
    let knobs = world.emulator.knobs();
    let first = world.store.load(&id()).unwrap().expect("a refresh token");
    let accounts = chatkey::tokens::Accounts::load(&world.paths.accounts_file()).unwrap();
    let scopes = &accounts
        .for_provider(ProviderId::Teams)
        .next()
        .unwrap()
        .scopes;
    assert!(scopes.iter().any(|s| s == "Chat.ReadWrite"), "{scopes:?}");
    assert!(
        !scopes.iter().any(|s| s == "ChannelMessage.Read.All"),
        "{scopes:?}"
    );

    // An expired access token is refreshed on the call path, and the new refresh token is
    // stored before it is used.
    let client = connect(&world.app, SessionOptions::default()).await;
    knobs.expire_access_tokens();
    let before = knobs.token_calls("refresh_token");
    let me = ok(&client, "teams_whoami", json!({})).await;
    assert_eq!(me["email"], data::ME_EMAIL);
    assert_eq!(me["can_read_channels"], false);
    assert_eq!(knobs.token_calls("refresh_token") - before, 1);
    let second = world.store.load(&id()).unwrap().unwrap();
    assert_ne!(first.expose_secret(), second.expose_secret());

    // A password change ends the sign-in with a reason a person understands.
    knobs.refuse_refresh_tokens(
        50173,
        "The provided grant has expired due to it being revoked, a fresh auth token is needed.",
    );
    knobs.expire_access_tokens();
    let err = tool_error(&client, "teams_list_chats", json!({})).await;
    assert!(
        err.contains("password") && err.contains("chatkey login teams"),
        "{err}"
    );
}

#[tokio::test]
async fn teams_conversations_are_listed_and_named() {
    let world = signed_in(EmulatorConfig::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let chats = ok(&client, "teams_list_chats", json!({})).await;
    assert_eq!(chats["count"], 4, "{chats}");
    let by_id = |id: &str| {
        chats["chats"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_id(data::CHAT_ANA)["title"], "Ana Lima");
    assert_eq!(by_id(data::CHAT_ANA)["type"], "one_on_one");
    assert_eq!(by_id(data::CHAT_LAUNCH)["title"], "Launch crew");
    assert_eq!(by_id(data::CHAT_UNTITLED)["title"], "Ben Okafor, Dana Kim");
    assert_eq!(by_id(data::CHAT_MEETING)["type"], "meeting");
    // Most recent first: Ana wrote two hours ago.
    assert_eq!(chats["chats"][0]["id"], data::CHAT_ANA);

    let teams = ok(&client, "teams_list_teams", json!({})).await;
    assert_eq!(teams["count"], 2);
    let channels = ok(
        &client,
        "teams_list_channels",
        json!({"team": "engineering"}),
    )
    .await;
    assert_eq!(channels["team"], data::TEAM_ENG);
    let names: Vec<&str> = channels["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["General", "Incidents", "Releases"]);
    let err = tool_error(&client, "teams_list_channels", json!({"team": "Marketing"})).await;
    assert!(err.contains("teams_list_teams"), "{err}");
}

#[tokio::test]
async fn teams_chat_messages_read_as_text_in_windows_and_pages() {
    let world = signed_in(EmulatorConfig::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let launch = ok(
        &client,
        "teams_list_messages",
        json!({"chat": data::CHAT_LAUNCH, "days_window": 10}),
    )
    .await;
    let found = texts(&launch);
    assert_eq!(found.len(), 5, "{launch}");
    // Newest first, HTML read as text with mentions, links, files and events.
    assert_eq!(found[0], "Confirmed for Thursday.");
    assert_eq!(
        found[1],
        "@Alex Rivera can you confirm the launch date with legal?"
    );
    assert_eq!(
        found[2],
        "Launch checklist attached\n[file: checklist.docx]"
    );
    assert_eq!(
        found[3],
        "Status page copy is ready: draft (https://status.contoso.com/draft)"
    );
    assert_eq!(found[4], "[event: members added]");
    assert_eq!(launch["messages"][1]["reactions"][0]["emoji"], "❤️");
    // Graph names the reaction's author by id only; chatkey names them.
    assert_eq!(
        launch["messages"][1]["reactions"][0]["people"][0],
        "Ben Okafor"
    );
    assert_eq!(launch["messages"][1]["sender"]["name"], "Dana Kim");
    assert!(launch["messages"][0].get("html").is_none());

    // A two-day window holds only the last two.
    let recent = ok(
        &client,
        "teams_list_messages",
        json!({"chat": data::CHAT_LAUNCH, "days_window": 2}),
    )
    .await;
    assert_eq!(texts(&recent).len(), 2, "{recent}");

    // Pages of two, continued by the cursor, give the same five exactly once.
    let mut seen = Vec::new();
    let mut args = json!({"chat": data::CHAT_LAUNCH, "days_window": 10, "limit": 2});
    loop {
        let page = ok(&client, "teams_list_messages", args.clone()).await;
        seen.extend(texts(&page));
        match page["next_cursor"].as_str() {
            Some(c) => args = json!({"chat": data::CHAT_LAUNCH, "limit": 2, "cursor": c}),
            None => break,
        }
    }
    assert_eq!(seen, found);

    let err = tool_error(
        &client,
        "teams_list_messages",
        json!({"chat": data::CHAT_ANA, "cursor": args["cursor"]}),
    )
    .await;
    assert!(err.contains("another conversation"), "{err}");
    let err = tool_error(&client, "teams_list_messages", json!({"chat": "general"})).await;
    assert!(err.contains("19:"), "{err}");
}

#[tokio::test]
async fn teams_writes_post_escaped_html_and_replies_need_a_post() {
    let world = signed_in(EmulatorConfig {
        admin_consent: true,
        ..Default::default()
    })
    .await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let sent = ok(
        &client,
        "teams_send_message",
        json!({"chat": data::CHAT_ANA, "text": "**Shipped** <script>x</script> & see https://contoso.com/r"}),
    )
    .await;
    assert_eq!(
        sent["text"],
        "Shipped <script>x</script> & see https://contoso.com/r"
    );
    let id = sent["id"].as_str().unwrap().to_owned();
    let got = ok(
        &client,
        "teams_get_message",
        json!({"chat": data::CHAT_ANA, "message": id, "include_html": true}),
    )
    .await;
    assert_eq!(
        got["html"],
        "<strong>Shipped</strong> &lt;script&gt;x&lt;/script&gt; &amp; see <a href=\"https://contoso.com/r\">https://contoso.com/r</a>"
    );
    let edited = ok(
        &client,
        "teams_update_message",
        json!({"chat": data::CHAT_ANA, "message": id, "text": "Shipped v2"}),
    )
    .await;
    assert_eq!(edited["updated"]["text"], "Shipped v2");
    assert!(edited["updated"]["edited"].is_string());
    ok(
        &client,
        "teams_delete_message",
        json!({"chat": data::CHAT_ANA, "message": id}),
    )
    .await;
    let gone = ok(
        &client,
        "teams_get_message",
        json!({"chat": data::CHAT_ANA, "message": id}),
    )
    .await;
    assert_eq!(gone["deleted"], true);

    // Channel posts and replies, by display names.
    let post = ok(
        &client,
        "teams_send_message",
        json!({"team": "Engineering", "channel": "incidents", "text": "Checkout latency back to normal", "subject": "Resolved"}),
    )
    .await;
    assert_eq!(post["conversation"]["channel"], data::ENG_INCIDENTS);
    let post_id = post["id"].as_str().unwrap().to_owned();
    ok(
        &client,
        "teams_reply_to_thread",
        json!({"team": data::TEAM_ENG, "channel": data::ENG_INCIDENTS, "message": post_id, "text": "Thanks!"}),
    )
    .await;
    let thread = ok(
        &client,
        "teams_get_thread",
        json!({"team": "Engineering", "channel": "Incidents", "message": post_id}),
    )
    .await;
    assert_eq!(
        texts(&thread),
        ["Checkout latency back to normal", "Thanks!"]
    );
    assert_eq!(thread["messages"][0]["subject"], "Resolved");
    let before = world.emulator.knobs().log().len();
    let err = tool_error(
        &client,
        "teams_reply_to_thread",
        json!({"team": data::TEAM_ENG, "channel": data::ENG_INCIDENTS, "message": "1", "text": "lost?"}),
    )
    .await;
    assert!(err.contains("no message `1`"), "{err}");
    let posted = world.emulator.knobs().log()[before..]
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(posted, 0, "a reply to a missing post must post nothing");

    // The thread of the seeded deploy post, oldest first.
    let posts = ok(
        &client,
        "teams_list_messages",
        json!({"team": "Engineering", "channel": "General", "days_window": 10}),
    )
    .await;
    assert_eq!(
        texts(&posts),
        [
            "Deploy of payments-api 2.4 starts at 14:00 UTC",
            "Welcome to Engineering! Runbooks are pinned."
        ]
    );
}

#[tokio::test]
async fn teams_channel_reads_without_admin_consent_say_what_to_ask_for() {
    let world = signed_in(EmulatorConfig::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let err = tool_error(
        &client,
        "teams_list_messages",
        json!({"team": "Engineering", "channel": "General"}),
    )
    .await;
    assert!(
        err.contains("ChannelMessage.Read.All") && err.contains("admin consent"),
        "{err}"
    );
    // Chats keep working, and posting in a channel needs no admin.
    ok(
        &client,
        "teams_list_messages",
        json!({"chat": data::CHAT_ANA}),
    )
    .await;
    ok(
        &client,
        "teams_send_message",
        json!({"team": "Engineering", "channel": "General", "text": "hello"}),
    )
    .await;
    // Once the admin consents, the next token carries the permission: no new sign-in.
    world.emulator.knobs().set_admin_consent(true);
    world.emulator.knobs().expire_access_tokens();
    ok(
        &client,
        "teams_list_messages",
        json!({"team": "Engineering", "channel": "General"}),
    )
    .await;
}

#[tokio::test]
async fn teams_throttling_is_retried_and_bad_input_changes_nothing() {
    let world = signed_in(EmulatorConfig::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    world.emulator.knobs().fail(emulator::Failure {
        path: "/me/chats".into(),
        status: 429,
        code: "TooManyRequests".into(),
        remaining: 1,
        retry_after: Some(1),
    });
    let chats = ok(&client, "teams_list_chats", json!({})).await;
    assert_eq!(chats["count"], 4);
    let before = world.emulator.knobs().log().len();
    for (tool, args) in [
        (
            "teams_send_message",
            json!({"chat": data::CHAT_ANA, "text": "  "}),
        ),
        (
            "teams_send_message",
            json!({"chat": data::CHAT_ANA, "team": "x", "channel": "y", "text": "a"}),
        ),
        (
            "teams_send_message",
            json!({"chat": data::CHAT_ANA, "text": "a", "subject": "s"}),
        ),
        (
            "teams_list_messages",
            json!({"chat": data::CHAT_ANA, "limit": 0}),
        ),
        (
            "teams_list_messages",
            json!({"chat": data::CHAT_ANA, "cursor": "junk"}),
        ),
        (
            "teams_get_thread",
            json!({"chat": data::CHAT_ANA, "message": "1"}),
        ),
        ("teams_list_chats", json!({"limit": 501})),
    ] {
        tool_error(&client, tool, args).await;
    }
    assert_eq!(
        world.emulator.knobs().log().len(),
        before,
        "bad input sent requests"
    );
}

#[tokio::test]
async fn teams_device_code_sign_in_polls_slows_down_and_can_be_declined() {
    let emulator = emulator::start(EmulatorConfig {
        device_interval: Duration::from_secs(1),
        ..Default::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let paths = paths_in(dir.path());
    std::fs::create_dir_all(paths.config_dir()).unwrap();
    std::fs::write(paths.config_file(), emulator.config_toml()).unwrap();
    let knobs = emulator.knobs();
    // The person enters the code on another device after a few polls; one slow_down on the way.
    knobs.slow_down_next(1);
    let enter = |decision: &'static str| {
        move |code: &chatkey::oauth::DeviceCode| {
            let (uri, user_code) = (code.verification_uri.clone(), code.user_code.clone());
            assert!(uri.ends_with("/devicelogin"), "{uri}");
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(2500)).await;
                reqwest::Client::new()
                    .post(uri)
                    .form(&[("user_code", user_code.as_str()), ("decision", decision)])
                    .send()
                    .await
                    .map(|_| ())
            });
        }
    };
    let store = Arc::new(MemoryStore::default());
    let started = std::time::Instant::now();
    let record = chatkey::signin::login_device_code(
        &paths,
        ProviderId::Teams,
        store.clone(),
        enter("accept"),
    )
    .await
    .expect("device-code sign-in");
    assert_eq!(record.email, data::ME_EMAIL);
    assert!(store.load(&id()).unwrap().is_some());
    // The first poll waited the 1 s interval and was told to slow down, so the next waited
    // 5 s more (RFC 8628) and found the code entered.
    assert_eq!(knobs.device_polls(), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );

    let err = chatkey::signin::login_device_code(
        &paths,
        ProviderId::Teams,
        Arc::new(MemoryStore::default()),
        enter("cancel"),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("cancelled"), "{err}");
    // Polled every second while pending: 1 s, 2 s, then the answer after the decline.
    assert!(knobs.device_polls() >= 2 + 3, "{}", knobs.device_polls());
}
