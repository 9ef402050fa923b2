//! The daemon over real sockets, run in-process with a fake `Services` that echoes MCP bytes:
//! lock and socket modes, the handshake, the control channel, shutdown and hostile clients.
//! `tests/shim.rs` reuses `TestDaemon` and `Echo`.

use std::ffi::OsString;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chatkey::daemon::{self, DaemonError, DaemonOptions, Services};
use chatkey::ipc;
use chatkey::paths::Paths;
use chatkey::protocol::{
    ClientHello, ControlRequest, ServerHello, SessionOptions, VERSION, read_line,
};
use chatkey::providers::ProviderId;
use futures::future::BoxFuture;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// What the fake does with an MCP session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Writes back every byte until the client half-closes, then closes.
    Echo,
    /// A JSON-RPC stand-in: answers each request line `{"id":…,"result":{"method":…,
    /// "session":N}}` (N counts sessions from 1), except `hold` (never answered) and `die`
    /// (the connection is dropped at once, like a daemon killed mid-call). Every line read is
    /// kept in `lines`.
    Answer,
}

pub struct Echo {
    mode: Mode,
    pub reloads: AtomicUsize,
    pub sessions: Mutex<Vec<SessionOptions>>,
    /// `Mode::Answer`: (session number, line) for every line read.
    pub lines: Arc<Mutex<Vec<(usize, String)>>>,
}

impl Echo {
    pub fn new(mode: Mode) -> Arc<Self> {
        Arc::new(Self {
            mode,
            reloads: AtomicUsize::new(0),
            sessions: Mutex::new(Vec::new()),
            lines: Arc::default(),
        })
    }
}

/// `Mode::Answer`'s session.
async fn answer_lines(
    conn: ipc::Connection,
    session: usize,
    seen: Arc<Mutex<Vec<(usize, String)>>>,
) -> anyhow::Result<()> {
    use tokio::io::AsyncBufReadExt;
    let (from_client, mut to_client) = tokio::io::split(conn);
    let mut reader = tokio::io::BufReader::new(from_client);
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            break;
        }
        seen.lock().unwrap().push((session, line.clone()));
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        let (Some(id), Some(method)) = (message.get("id"), message["method"].as_str()) else {
            continue;
        };
        match method {
            "die" => return Ok(()),
            "hold" => continue,
            _ => {
                let answer = json!({"jsonrpc": "2.0", "id": id, "result": {"method": method, "session": session}});
                to_client
                    .write_all(format!("{answer}\n").as_bytes())
                    .await?;
            }
        }
    }
    to_client.shutdown().await?;
    Ok(())
}

impl Services for Echo {
    fn serve_mcp(
        &self,
        conn: ipc::Connection,
        opts: SessionOptions,
    ) -> BoxFuture<'static, anyhow::Result<()>> {
        let session = {
            let mut sessions = self.sessions.lock().unwrap();
            sessions.push(opts);
            sessions.len()
        };
        let mode = self.mode;
        let seen = self.lines.clone();
        Box::pin(async move {
            match mode {
                Mode::Echo => {
                    let (mut from_client, mut to_client) = tokio::io::split(conn);
                    tokio::io::copy(&mut from_client, &mut to_client).await?;
                    to_client.shutdown().await?;
                    Ok(())
                }
                Mode::Answer => answer_lines(conn, session, seen).await,
            }
        })
    }

    fn status(&self) -> BoxFuture<'static, serde_json::Value> {
        Box::pin(async { json!({ "accounts": [], "fake": true }) })
    }

    fn reload(&self) -> BoxFuture<'static, anyhow::Result<()>> {
        self.reloads.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Ok(()) })
    }
}

/// Fresh, isolated directories and the `Paths` (and environment for child processes) that
/// point at them.
pub struct TestDirs {
    pub dir: tempfile::TempDir,
    pub paths: Paths,
}

impl TestDirs {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let env: Vec<(String, OsString)> = Self::env_for(dir.path());
        let paths =
            Paths::from_lookup(|name| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
                .unwrap();
        Self { dir, paths }
    }

    /// The variables a child process (the shim, a daemon) needs to use these directories.
    pub fn env(&self) -> Vec<(String, OsString)> {
        Self::env_for(self.dir.path())
    }

    fn env_for(root: &std::path::Path) -> Vec<(String, OsString)> {
        [
            ("CHATKEY_RUNTIME_DIR", "run"),
            ("CHATKEY_CONFIG_DIR", "config"),
            ("CHATKEY_STATE_DIR", "state"),
        ]
        .into_iter()
        .map(|(k, sub)| (k.to_owned(), root.join(sub).into_os_string()))
        .chain([("CHATKEY_PROFILE".to_owned(), OsString::from("test"))])
        .collect()
    }
}

/// `daemon::run` on its own task, stopped through the shutdown future.
pub struct TestDaemon {
    pub dirs: TestDirs,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), DaemonError>>,
}

impl TestDaemon {
    pub async fn start(services: Arc<dyn Services>) -> Self {
        Self::start_in(TestDirs::new(), services).await
    }

    pub async fn start_in(dirs: TestDirs, services: Arc<dyn Services>) -> Self {
        let (stop, stopped) = oneshot::channel::<()>();
        let paths = dirs.paths.clone();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            daemon::run(&paths, services, DaemonOptions { headless: true }, shutdown).await
        });
        let daemon = Self {
            dirs,
            stop: Some(stop),
            task,
        };
        daemon.wait_until_listening().await;
        daemon
    }

    pub fn paths(&self) -> &Paths {
        &self.dirs.paths
    }

    async fn wait_until_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while ipc::connect(&self.paths().socket_path()).await.is_err() {
            assert!(
                !self.task.is_finished(),
                "the daemon stopped while starting"
            );
            assert!(
                Instant::now() < deadline,
                "the daemon did not start listening"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Resolves the shutdown future and waits for `run` to return.
    pub async fn stop(mut self) -> Result<(), DaemonError> {
        let _ = self.stop.take().unwrap().send(());
        self.finished().await
    }

    /// Waits (bounded) for `run` to return on its own.
    pub async fn finished(self) -> Result<(), DaemonError> {
        tokio::time::timeout(Duration::from_secs(20), self.task)
            .await
            .expect("the daemon did not stop")
            .expect("the daemon task panicked")
    }
}

/// Connects and sends a raw handshake line; returns the connection and the parsed reply.
async fn handshake(paths: &Paths, line: &[u8]) -> (ipc::Connection, ServerHello) {
    let mut conn = ipc::connect(&paths.socket_path()).await.unwrap();
    conn.write_all(line).await.unwrap();
    let reply = read_line(&mut conn, 64 * 1024).await.unwrap();
    (conn, serde_json::from_slice(&reply).unwrap())
}

async fn request(conn: &mut ipc::Connection, line: &str) -> serde_json::Value {
    conn.write_all(line.as_bytes()).await.unwrap();
    conn.write_all(b"\n").await.unwrap();
    serde_json::from_slice(&read_line(conn, 1 << 20).await.unwrap()).unwrap()
}

#[cfg(unix)]
fn mode_of(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_and_dir_are_private_and_the_lock_names_us() {
    let daemon = TestDaemon::start(Echo::new(Mode::Echo)).await;
    #[cfg(unix)]
    {
        assert_eq!(mode_of(&daemon.paths().socket_path()), 0o600);
        assert_eq!(mode_of(daemon.paths().runtime_dir()), 0o700);
        assert_eq!(mode_of(&daemon.paths().lock_file()), 0o600);
    }
    let info = daemon::read_lock_info(daemon.paths()).expect("lock info while running");
    assert_eq!(info.pid, std::process::id());
    assert_eq!(info.version, VERSION);
    let version = daemon::control(daemon.paths(), ControlRequest::Version)
        .await
        .unwrap();
    assert_eq!(version["version"], VERSION);
    assert_eq!(version["pid"], std::process::id());
    daemon.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_daemon_on_the_same_paths_is_already_running() {
    let daemon = TestDaemon::start(Echo::new(Mode::Echo)).await;
    let second = daemon::run(
        daemon.paths(),
        Echo::new(Mode::Echo),
        DaemonOptions::default(),
        std::future::pending(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(second, DaemonError::AlreadyRunning(Some(_))),
        "{second:?}"
    );
    assert!(
        second.to_string().starts_with("chatkey is already running"),
        "{second}"
    );
    assert_eq!(second.exit_code(), chatkey::exit_code::ALREADY_RUNNING);
    let slot = daemon::Instance::acquire(daemon.paths()).unwrap_err();
    assert!(
        matches!(slot, DaemonError::AlreadyRunning(Some(_))),
        "{slot:?}"
    );
    // The loser must not have disturbed the winner's socket.
    let status = daemon::control(daemon.paths(), ControlRequest::Status)
        .await
        .unwrap();
    assert_eq!(status["ok"], true);
    daemon.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_bytes_pass_both_ways_with_the_session_options() {
    let echo = Echo::new(Mode::Echo);
    let daemon = TestDaemon::start(echo.clone()).await;
    let hello = ClientHello::mcp(SessionOptions {
        providers: vec![ProviderId::GoogleChat],
        read_only: true,
    });
    let (mut conn, reply) = handshake(daemon.paths(), &hello.to_line()).await;
    assert_eq!(reply, ServerHello::accept());
    let message = b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n";
    conn.write_all(message).await.unwrap();
    conn.shutdown().await.unwrap();
    let mut back = Vec::new();
    conn.read_to_end(&mut back).await.unwrap();
    assert_eq!(back, message);
    assert_eq!(
        echo.sessions.lock().unwrap().as_slice(),
        [SessionOptions {
            providers: vec![ProviderId::GoogleChat],
            read_only: true
        }]
    );
    daemon.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mcp_handshake_from_another_version_is_refused_with_ours() {
    let daemon = TestDaemon::start(Echo::new(Mode::Echo)).await;
    let (mut conn, reply) = handshake(
        daemon.paths(),
        b"{\"chatkey\":\"0.0.1-old\",\"kind\":\"mcp\"}\n",
    )
    .await;
    assert!(!reply.ok);
    assert_eq!(reply.chatkey, VERSION);
    let error = reply.error.unwrap();
    assert!(
        error.contains("0.0.1-old") && error.contains(VERSION),
        "{error}"
    );
    let mut rest = Vec::new();
    conn.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty(), "the daemon closes after refusing");
    // Control is version-independent, so a newer shim can stop an older daemon.
    let (mut conn, reply) = handshake(
        daemon.paths(),
        b"{\"chatkey\":\"0.0.1-old\",\"kind\":\"control\"}\n",
    )
    .await;
    assert!(reply.ok);
    assert_eq!(
        request(&mut conn, r#"{"cmd":"version"}"#).await["version"],
        VERSION
    );
    daemon.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_handshakes_are_answered_with_a_reason() {
    let daemon = TestDaemon::start(Echo::new(Mode::Echo)).await;
    for (line, expected) in [
        (&b"GET / HTTP/1.1\r\n"[..], "malformed handshake"),
        (
            b"{\"chatkey\":\"x\",\"kind\":\"events\"}\n",
            "unknown connection kind `events`",
        ),
        (
            format!("{{\"chatkey\":\"{VERSION}\",\"kind\":\"mcp\",\"providers\":[\"irc\"]}}\n")
                .as_bytes(),
            "unknown provider `irc`",
        ),
    ] {
        let (_conn, reply) = handshake(daemon.paths(), line).await;
        assert!(!reply.ok);
        let error = reply.error.unwrap();
        assert!(error.contains(expected), "{error}");
    }
    daemon.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_status_reload_and_unknown_commands() {
    let echo = Echo::new(Mode::Echo);
    let daemon = TestDaemon::start(echo.clone()).await;
    let status = daemon::control(daemon.paths(), ControlRequest::Status)
        .await
        .unwrap();
    assert_eq!(status["status"], json!({ "accounts": [], "fake": true }));
    assert_eq!(status["daemon"]["version"], VERSION);
    assert_eq!(status["daemon"]["headless"], true);
    assert_eq!(status["daemon"]["mcp_sessions"], 0);

    daemon::control(daemon.paths(), ControlRequest::Reload)
        .await
        .unwrap();
    assert_eq!(echo.reloads.load(Ordering::SeqCst), 1);

    // Several requests on one connection; an unknown one is answered, not fatal.
    let (mut conn, reply) = handshake(daemon.paths(), &ClientHello::control().to_line()).await;
    assert!(reply.ok);
    let unknown = request(&mut conn, r#"{"cmd":"format-disk"}"#).await;
    assert_eq!(unknown["ok"], false);
    assert!(
        unknown["error"]
            .as_str()
            .unwrap()
            .contains("unknown control request")
    );
    assert_eq!(request(&mut conn, r#"{"cmd":"reload"}"#).await["ok"], true);
    assert_eq!(echo.reloads.load(Ordering::SeqCst), 2);
    // An idle control connection does not hold up shutdown.
    let stopping = Instant::now();
    daemon.stop().await.unwrap();
    assert!(
        stopping.elapsed() < Duration::from_secs(2),
        "{:?}",
        stopping.elapsed()
    );
    let mut rest = Vec::new();
    conn.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_shutdown_stops_the_daemon_and_cleans_up() {
    let daemon = TestDaemon::start(Echo::new(Mode::Echo)).await;
    let paths = daemon.paths().clone();
    let answer = daemon::control(&paths, ControlRequest::Shutdown)
        .await
        .unwrap();
    assert_eq!(answer["ok"], true);
    daemon.finished().await.unwrap();
    assert!(!paths.socket_path().exists(), "socket removed");
    assert_eq!(daemon::read_lock_info(&paths), None, "lock released");
    let err = daemon::control(&paths, ControlRequest::Status)
        .await
        .unwrap_err();
    assert!(matches!(err, daemon::ControlError::NotRunning), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_an_in_flight_session_finish() {
    let daemon = TestDaemon::start(Echo::new(Mode::Echo)).await;
    let paths = daemon.paths().clone();
    let (mut conn, reply) = handshake(
        &paths,
        &ClientHello::mcp(SessionOptions::default()).to_line(),
    )
    .await;
    assert!(reply.ok);
    daemon::control(&paths, ControlRequest::Shutdown)
        .await
        .unwrap();
    // No new connections once shutdown has begun...
    let deadline = Instant::now() + Duration::from_secs(5);
    while ipc::connect(&paths.socket_path()).await.is_ok() {
        assert!(Instant::now() < deadline, "still accepting after shutdown");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!paths.socket_path().exists());
    // ...but the open session still works and ends normally.
    conn.write_all(b"still here\n").await.unwrap();
    let mut buf = [0u8; 11];
    conn.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"still here\n");
    assert!(
        daemon::read_lock_info(&paths).is_some(),
        "lock held while draining"
    );
    conn.shutdown().await.unwrap();
    let mut rest = Vec::new();
    conn.read_to_end(&mut rest).await.unwrap();
    daemon.finished().await.unwrap();
    assert_eq!(daemon::read_lock_info(&paths), None);
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_socket_file_is_replaced() {
    let dirs = TestDirs::new();
    chatkey::paths::ensure_private_dir(dirs.paths.runtime_dir()).unwrap();
    let socket = dirs.paths.socket_path();
    drop(std::os::unix::net::UnixListener::bind(&socket).unwrap());
    assert!(
        socket.exists(),
        "a crashed daemon's socket file is left behind"
    );
    let daemon = TestDaemon::start_in(dirs, Echo::new(Mode::Echo)).await;
    daemon::control(daemon.paths(), ControlRequest::Version)
        .await
        .unwrap();
    daemon.stop().await.unwrap();
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_socket_without_the_lock_is_not_stolen() {
    let dirs = TestDirs::new();
    chatkey::paths::ensure_private_dir(dirs.paths.runtime_dir()).unwrap();
    let socket = dirs.paths.socket_path();
    let _someone = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let err = daemon::run(
        &dirs.paths,
        Echo::new(Mode::Echo),
        DaemonOptions::default(),
        async {},
    )
    .await
    .unwrap_err();
    assert!(matches!(err, DaemonError::Bind { .. }), "{err:?}");
    assert!(socket.exists());
    assert_eq!(
        daemon::read_lock_info(&dirs.paths),
        None,
        "lock released on failure"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_client_is_dropped_after_the_timeout() {
    let daemon = TestDaemon::start(Echo::new(Mode::Echo)).await;
    let mut conn = ipc::connect(&daemon.paths().socket_path()).await.unwrap();
    let started = Instant::now();
    let mut reply = Vec::new();
    tokio::time::timeout(Duration::from_secs(15), conn.read_to_end(&mut reply))
        .await
        .expect("the daemon kept a silent client")
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    let reply: ServerHello = serde_json::from_slice(reply.trim_ascii_end()).unwrap();
    assert!(reply.error.unwrap().contains("no complete line"));
    daemon.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_handshake_is_refused() {
    let daemon = TestDaemon::start(Echo::new(Mode::Echo)).await;
    let mut conn = ipc::connect(&daemon.paths().socket_path()).await.unwrap();
    // 70 KiB with no newline; the daemon stops reading at 64 KiB and answers.
    let junk = vec![b'x'; 70 * 1024];
    let (mut reader, mut writer) = tokio::io::split(&mut conn);
    let write = async {
        // The daemon may close before taking everything; that is fine.
        let _ = writer.write_all(&junk).await;
    };
    let read = async {
        let mut reply = Vec::new();
        let _ = reader.read_to_end(&mut reply).await;
        reply
    };
    let ((), reply) =
        tokio::time::timeout(Duration::from_secs(10), async { tokio::join!(write, read) })
            .await
            .expect("the daemon did not answer an oversized handshake");
    let reply: ServerHello = serde_json::from_slice(reply.trim_ascii_end()).unwrap();
    assert!(!reply.ok);
    assert!(reply.error.unwrap().contains("longer than 65536 bytes"));
    daemon.stop().await.unwrap();
}

/// Issue 9 item 4: a symlink planted at `chatkey.lock` stops the daemon with a reason, and
/// the file it points at is neither written nor truncated (before, the daemon wrote its
/// record into it and emptied it on exit).
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planted_lock_symlink_is_refused_and_its_target_untouched() {
    let dirs = TestDirs::new();
    chatkey::paths::ensure_private_dir(dirs.paths.runtime_dir()).unwrap();
    let target = dirs.dir.path().join("precious");
    std::fs::write(&target, b"someone's data\n").unwrap();
    std::os::unix::fs::symlink(&target, dirs.paths.lock_file()).unwrap();
    let error = daemon::Instance::acquire(&dirs.paths).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("symbolic link"), "{message}");
    assert!(message.contains("chatkey.lock"), "{message}");
    assert_eq!(std::fs::read(&target).unwrap(), b"someone's data\n");
    assert!(!dirs.paths.socket_path().exists(), "nothing was started");

    // The same file planted without the symlink (a regular file with foreign content) is
    // refused too, and kept.
    std::fs::remove_file(dirs.paths.lock_file()).unwrap();
    std::fs::write(dirs.paths.lock_file(), b"someone's data\n").unwrap();
    let error = daemon::Instance::acquire(&dirs.paths).unwrap_err();
    assert!(
        error.to_string().contains("other than a lock record"),
        "{error}"
    );
    assert_eq!(
        std::fs::read(dirs.paths.lock_file()).unwrap(),
        b"someone's data\n"
    );
}

/// Issue 9 item 4: an entry of another user in the runtime dir (left from a time it was
/// open to others) is reported before anything is opened there. Needs root to make one.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_of_another_user_in_the_runtime_dir_is_refused() {
    if !rustix::process::getuid().is_root() {
        eprintln!("SKIPPED: needs root to create another user's file");
        return;
    }
    let dirs = TestDirs::new();
    chatkey::paths::ensure_private_dir(dirs.paths.runtime_dir()).unwrap();
    let planted = dirs.paths.runtime_dir().join("planted");
    std::fs::write(&planted, b"").unwrap();
    std::os::unix::fs::lchown(&planted, Some(65534), Some(65534)).unwrap();
    let error = daemon::Instance::acquire(&dirs.paths).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("belongs to another user (uid 65534)") && message.contains("planted"),
        "{message}"
    );
    assert!(
        !dirs.paths.lock_file().exists(),
        "the lock was not even created"
    );
}

fn mcp_hello() -> Vec<u8> {
    ClientHello::mcp(SessionOptions::default()).to_line()
}

/// Issue 9 item 5: with the session cap reached, one more MCP client is refused at once as
/// busy (before, it hung in the backlog), while control requests still get through and
/// report the sessions; a freed place is usable again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_session_cap_a_client_is_refused_as_busy_and_control_still_answers() {
    let daemon = TestDaemon::start(Echo::new(Mode::Echo)).await;
    let mut held = Vec::new();
    for _ in 0..256 {
        let (conn, hello) = handshake(daemon.paths(), &mcp_hello()).await;
        assert!(hello.ok, "{hello:?}");
        held.push(conn);
    }
    let (_refused, hello) = tokio::time::timeout(
        Duration::from_secs(10),
        handshake(daemon.paths(), &mcp_hello()),
    )
    .await
    .expect("a client over the cap got no answer");
    assert!(!hello.ok && hello.busy, "{hello:?}");
    let reason = hello.error.unwrap();
    assert!(
        reason.starts_with("chatkey is busy") && reason.contains("256"),
        "{reason}"
    );

    let status = tokio::time::timeout(
        Duration::from_secs(10),
        daemon::control(daemon.paths(), ControlRequest::Status),
    )
    .await
    .expect("control was locked out by idle sessions")
    .unwrap();
    assert_eq!(status["daemon"]["mcp_sessions"], 256, "{status}");

    drop(held.pop());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_conn, hello) = handshake(daemon.paths(), &mcp_hello()).await;
        if hello.ok {
            break;
        }
        assert!(Instant::now() < deadline, "the freed place never came back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(held);
    daemon.stop().await.unwrap();
}

/// Issue 9 item 5: when even handshakes are at their limit, a control client learns that a
/// daemon runs and is busy, not that none runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_handshakes_at_once_make_control_say_busy_not_not_running() {
    let daemon = TestDaemon::start(Echo::new(Mode::Echo)).await;
    let mut silent = Vec::new();
    for _ in 0..128 {
        silent.push(ipc::connect(&daemon.paths().socket_path()).await.unwrap());
    }
    let error = tokio::time::timeout(
        Duration::from_secs(10),
        daemon::control(daemon.paths(), ControlRequest::Status),
    )
    .await
    .expect("no answer")
    .unwrap_err();
    assert!(
        matches!(&error, daemon::ControlError::Busy(_)) && error.daemon_is_running(),
        "{error:?}"
    );
    assert!(error.to_string().contains("chatkey is busy"), "{error}");
    drop(silent);
    let deadline = Instant::now() + Duration::from_secs(10);
    while daemon::control(daemon.paths(), ControlRequest::Status)
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "control never came back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    daemon.stop().await.unwrap();
}
