//! The real `chatkey-mcp` binary against a daemon: bytes pass through unchanged, stdout
//! carries nothing else, stdin's end is a clean exit after the last reply, a lost daemon's
//! requests are answered and the session resumes on a new one, and the start and
//! version-restart paths.
//!
//! Most tests use the in-process daemon of `tests/daemon.rs` (echo services). The tests
//! marked REAL-DAEMON need the real `chatkey daemon` subcommand; they skip (saying so on
//! stderr) until `chatkey daemon --help` succeeds.

use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use chatkey::daemon;
use chatkey::exit_code;
use chatkey::paths::Paths;
use chatkey::protocol::{ControlRequest, VERSION};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

use crate::daemon::{Echo, Mode, TestDaemon, TestDirs};

const SHIM: &str = env!("CARGO_BIN_EXE_chatkey-mcp");
const CHATKEY: &str = env!("CARGO_BIN_EXE_chatkey");

/// `chatkey-mcp` with the test's directories, no display (so a started daemon is headless)
/// and piped stdio.
fn shim(dirs: &TestDirs, daemon_bin: &Path) -> Command {
    let mut command = Command::new(SHIM);
    command
        .envs(dirs.env())
        .env("CHATKEY_DAEMON_BIN", daemon_bin)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("CHATKEY_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

struct Finished {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: String,
}

/// Closes stdin (if still open) and collects everything, bounded.
async fn finish(mut child: Child) -> Finished {
    drop(child.stdin.take());
    let output = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("chatkey-mcp did not exit")
        .unwrap();
    Finished {
        status: output.status,
        stdout: output.stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_pass_through_unchanged_and_stdin_eof_exits_cleanly() {
    let daemon = TestDaemon::start(Echo::new(Mode::Echo)).await;
    let mut child = shim(&daemon.dirs, Path::new("/nonexistent/chatkey"))
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());

    // Replies arrive while the session is open: stdout is flushed per write. (Notifications
    // only: an echo never answers a request, and the shim would answer it at the end.)
    let first = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\",\"params\":{\"é\":\"✓\"}}\n";
    stdin.write_all(first.as_bytes()).await.unwrap();
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(10), stdout.read_line(&mut line))
        .await
        .expect("no echo while the session is open")
        .unwrap();
    assert_eq!(line, first);

    // A large message, in pieces, and a last one the daemon answers after stdin closes.
    // Written while stdout is read, as an assistant does, or the pipes would fill up.
    let big = format!("{{\"blob\":\"{}\"}}\n", "x".repeat(300 * 1024));
    let last = b"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/last\"}\n";
    let mut expected = big.clone().into_bytes();
    expected.extend_from_slice(last);
    let writer = tokio::spawn(async move {
        for piece in big.as_bytes().chunks(7000) {
            stdin.write_all(piece).await.unwrap();
        }
        stdin.write_all(last).await.unwrap();
    });
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).await.unwrap();
    writer.await.unwrap();
    assert!(
        rest == expected,
        "stdout differs from what was sent ({} vs {} bytes)",
        rest.len(),
        expected.len()
    );

    let done = finish(child).await;
    assert!(
        done.status.success(),
        "exit {:?}, stderr: {}",
        done.status,
        done.stderr
    );
    assert_eq!(done.stderr, "", "a running daemon needs no progress line");
    daemon.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn providers_and_read_only_reach_the_session() {
    let echo = Echo::new(Mode::Echo);
    let daemon = TestDaemon::start(echo.clone()).await;
    let child = shim(&daemon.dirs, Path::new("/nonexistent/chatkey"))
        .args(["--provider", "google-chat", "--read-only"])
        .spawn()
        .unwrap();
    let done = finish(child).await;
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert!(done.stdout.is_empty());
    let sessions = echo.sessions.lock().unwrap().clone();
    assert_eq!(sessions.len(), 1);
    assert_eq!(
        sessions[0].providers,
        [chatkey::providers::ProviderId::GoogleChat]
    );
    assert!(sessions[0].read_only);
    daemon.stop().await.unwrap();
}

/// Reads stdout lines until one answers `id`, bounded; returns that answer.
async fn answer_to(
    stdout: &mut BufReader<tokio::process::ChildStdout>,
    id: serde_json::Value,
) -> serde_json::Value {
    let mut line = String::new();
    loop {
        line.clear();
        let n = tokio::time::timeout(Duration::from_secs(20), stdout.read_line(&mut line))
            .await
            .unwrap_or_else(|_| panic!("no answer to id {id}"))
            .unwrap();
        assert!(n > 0, "stdout ended before the answer to id {id}");
        let message: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("stdout carries a broken line ({e}): {line:?}"));
        if message["id"] == id {
            return message;
        }
    }
}

/// The daemon drops the connection with two requests in flight: both get "chatkey
/// restarted; try again" with their own ids, the shim keeps running, and its next request
/// goes to a new session that first receives the replayed `initialize` and
/// `notifications/initialized`, whose answer the assistant never sees.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_daemon_answers_what_was_in_flight_and_the_session_resumes() {
    let echo = Echo::new(Mode::Answer);
    let daemon = TestDaemon::start(echo.clone()).await;
    let mut child = shim(&daemon.dirs, Path::new("/nonexistent/chatkey"))
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let initialize = "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{}}\n";
    let initialized = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n";
    stdin.write_all(initialize.as_bytes()).await.unwrap();
    assert_eq!(
        answer_to(&mut stdout, 0.into()).await["result"]["session"],
        1
    );
    stdin.write_all(initialized.as_bytes()).await.unwrap();

    stdin
        .write_all(b"{\"jsonrpc\":\"2.0\",\"id\":\"held\",\"method\":\"hold\"}\n")
        .await
        .unwrap();
    stdin
        .write_all(b"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"die\"}\n")
        .await
        .unwrap();
    // Both answers, in either order.
    let mut answered = Vec::new();
    for _ in 0..2 {
        let mut line = String::new();
        tokio::time::timeout(Duration::from_secs(20), stdout.read_line(&mut line))
            .await
            .expect("a request in flight was not answered")
            .unwrap();
        let answer: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            answer["error"]["message"], "chatkey restarted; try again",
            "{answer}"
        );
        assert_eq!(answer["error"]["code"], -32000);
        answered.push(answer["id"].to_string());
    }
    answered.sort();
    assert_eq!(answered, ["\"held\"", "2"]);
    assert!(
        child.try_wait().unwrap().is_none(),
        "the shim must outlive its daemon connection"
    );

    stdin
        .write_all(b"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\"}\n")
        .await
        .unwrap();
    let answer = answer_to(&mut stdout, 3.into()).await;
    assert_eq!(answer["result"]["session"], 2, "{answer}");
    let second: Vec<String> = echo
        .lines
        .lock()
        .unwrap()
        .iter()
        .filter(|(session, _)| *session == 2)
        .map(|(_, line)| line.clone())
        .collect();
    assert_eq!(
        second,
        [
            initialize.to_owned(),
            initialized.to_owned(),
            "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\"}\n".to_owned()
        ]
    );

    drop(stdin);
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).await.unwrap();
    assert!(
        rest.is_empty(),
        "the replayed initialize's answer leaked: {rest:?}"
    );
    let done = finish(child).await;
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert!(
        done.stderr
            .contains("the chatkey daemon closed the connection")
            && done.stderr.contains("2 request(s) in flight"),
        "{}",
        done.stderr
    );
    daemon.stop().await.unwrap();
}

/// The daemon goes away after stdin has closed, with a request unanswered: that request is
/// still answered (with an error) and the shim exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_lost_after_stdin_closed_still_leaves_no_request_unanswered() {
    let daemon = TestDaemon::start(Echo::new(Mode::Answer)).await;
    let mut child = shim(&daemon.dirs, Path::new("/nonexistent/chatkey"))
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"die\"}\n")
        .await
        .unwrap();
    drop(stdin);
    let done = finish(child).await;
    assert!(done.status.success(), "stderr: {}", done.stderr);
    let answers: Vec<serde_json::Value> = done
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(answers.len(), 2, "{answers:?}");
    assert_eq!(answers[0]["result"]["method"], "ping");
    assert_eq!(answers[1]["id"], 2);
    assert_eq!(
        answers[1]["error"]["message"],
        "chatkey restarted; try again"
    );
    daemon.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_that_cannot_be_started_is_a_clear_error() {
    let dirs = TestDirs::new();
    let child = shim(&dirs, Path::new("/nonexistent/chatkey"))
        .spawn()
        .unwrap();
    let done = finish(child).await;
    assert_eq!(
        done.status.code(),
        Some(exit_code::DAEMON_UNAVAILABLE.into())
    );
    assert!(done.stdout.is_empty());
    assert!(
        done.stderr.contains("starting the chatkey daemon"),
        "{}",
        done.stderr
    );
    assert!(
        done.stderr
            .contains("cannot start the chatkey daemon `/nonexistent/chatkey`"),
        "{}",
        done.stderr
    );
}

/// A stand-in daemon binary: records how it was started, then waits (it never listens; the
/// test starts the in-process daemon in its place once the record appears).
#[cfg(target_os = "linux")]
fn fake_daemon_bin(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let record = dir.join("fake-daemon.record");
    let script = dir.join("fake-chatkey");
    // The descriptors are read before the record is written, which redirects stdout.
    let body = format!(
        "#!/bin/sh\nfds=$(for fd in 0 1 2; do echo \"fd$fd=$(readlink /proc/$$/fd/$fd)\"; done)\n\
         {{ echo \"args=$*\"; echo \"pid=$$\"; echo \"stat=$(cat /proc/$$/stat)\"; echo \"$fds\"; }} > '{0}.tmp'\n\
         mv '{0}.tmp' '{0}'\nexec sleep 30\n",
        record.display()
    );
    std::fs::write(&script, body).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script, record)
}

#[cfg(target_os = "linux")]
async fn wait_for_file(path: &Path, within: Duration) -> String {
    let deadline = Instant::now() + within;
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[cfg(target_os = "linux")]
fn kill_fake(record: &str) {
    let pid: i32 = record
        .lines()
        .find_map(|l| l.strip_prefix("pid="))
        .unwrap()
        .parse()
        .unwrap();
    let _ = rustix::process::kill_process(
        rustix::process::Pid::from_raw(pid).unwrap(),
        rustix::process::Signal::TERM,
    );
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_daemon_the_shim_starts_one_detached_and_headless() {
    let dirs = TestDirs::new();
    let (bin, record_path) = fake_daemon_bin(dirs.dir.path());
    let mut child = shim(&dirs, &bin).spawn().unwrap();
    let record = wait_for_file(&record_path, Duration::from_secs(10)).await;
    assert!(record.contains("args=daemon --headless\n"), "{record}");
    for fd in 0..3 {
        assert!(
            record.contains(&format!("fd{fd}=/dev/null\n")),
            "fd {fd} not null: {record}"
        );
    }
    // Field 6 of /proc/<pid>/stat is the session id: setsid made the daemon its leader.
    let stat = record
        .lines()
        .find_map(|l| l.strip_prefix("stat="))
        .unwrap();
    let after_comm = &stat[stat.rfind(')').unwrap() + 2..];
    let session: u32 = after_comm.split(' ').nth(3).unwrap().parse().unwrap();
    let pid: u32 = record
        .lines()
        .find_map(|l| l.strip_prefix("pid="))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(session, pid, "the daemon runs in its own session");

    // The shim keeps dialling; a daemon appearing now is picked up.
    let daemon = TestDaemon::start_in(dirs, Echo::new(Mode::Echo)).await;
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"ping\n").await.unwrap();
    drop(stdin);
    let done = finish(child).await;
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert_eq!(done.stdout, b"ping\n");
    assert_eq!(done.stderr, "chatkey-mcp: starting the chatkey daemon…\n");
    // Killed only now: while it runs the shim waits instead of starting another.
    kill_fake(&record);
    daemon.stop().await.unwrap();
}

/// An "old" daemon: answers MCP handshakes with another version and control `shutdown` as
/// told, holding the real lock file like a daemon would.
#[cfg(unix)]
async fn fake_old_daemon(paths: &Paths, agrees_to_stop: bool) -> tokio::task::JoinHandle<()> {
    chatkey::paths::ensure_private_dir(paths.runtime_dir()).unwrap();
    let listener = tokio::net::UnixListener::bind(paths.socket_path()).unwrap();
    let socket = paths.socket_path();
    let lock_path = paths.lock_file();
    let lock = std::fs::File::create(&lock_path).unwrap();
    rustix::fs::flock(&lock, rustix::fs::FlockOperation::NonBlockingLockExclusive).unwrap();
    std::fs::write(
        paths.lock_file(),
        format!(
            "{{\"pid\":{},\"version\":\"0.0.1-old\"}}\n",
            std::process::id()
        ),
    )
    .unwrap();
    tokio::spawn(async move {
        let _lock = lock;
        loop {
            let (mut conn, _) = listener.accept().await.unwrap();
            let hello = chatkey::protocol::read_line(&mut conn, 65536)
                .await
                .unwrap();
            let hello: serde_json::Value = serde_json::from_slice(&hello).unwrap();
            if hello["kind"] == "mcp" {
                conn.write_all(
                    b"{\"chatkey\":\"0.0.1-old\",\"ok\":false,\"error\":\"version mismatch\"}\n",
                )
                .await
                .unwrap();
                continue;
            }
            conn.write_all(b"{\"chatkey\":\"0.0.1-old\",\"ok\":true}\n")
                .await
                .unwrap();
            let request = chatkey::protocol::read_line(&mut conn, 65536)
                .await
                .unwrap();
            assert_eq!(request, br#"{"cmd":"shutdown"}"#);
            if agrees_to_stop {
                conn.write_all(b"{\"ok\":true}\n").await.unwrap();
                drop(listener);
                std::fs::remove_file(&socket).unwrap();
                // Empty the record like a daemon does, then drop the lock.
                std::fs::write(&lock_path, "").unwrap();
                return;
            }
            conn.write_all(b"{\"ok\":false,\"error\":\"not today\"}\n")
                .await
                .unwrap();
        }
    })
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_daemon_that_will_not_stop_is_an_error_naming_both_versions() {
    let dirs = TestDirs::new();
    let _old = fake_old_daemon(&dirs.paths, false).await;
    let child = shim(&dirs, Path::new("/nonexistent/chatkey"))
        .spawn()
        .unwrap();
    let done = finish(child).await;
    assert_eq!(
        done.status.code(),
        Some(exit_code::VERSION_MISMATCH.into()),
        "{}",
        done.stderr
    );
    assert!(done.stdout.is_empty());
    let last = done.stderr.lines().last().unwrap();
    assert!(
        last.contains(VERSION) && last.contains("0.0.1-old"),
        "{}",
        done.stderr
    );
    assert!(last.contains("not today"), "{last}");
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_daemon_is_stopped_and_replaced() {
    let dirs = TestDirs::new();
    let old = fake_old_daemon(&dirs.paths, true).await;
    let (bin, record_path) = fake_daemon_bin(dirs.dir.path());
    let mut child = shim(&dirs, &bin).spawn().unwrap();
    tokio::time::timeout(Duration::from_secs(10), old)
        .await
        .expect("the shim never asked the old daemon to stop")
        .unwrap();
    // The shim starts "ours" only once the old lock is free; then the real one takes over.
    let record = wait_for_file(&record_path, Duration::from_secs(10)).await;
    let daemon = TestDaemon::start_in(dirs, Echo::new(Mode::Echo)).await;
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"hello again\n").await.unwrap();
    drop(stdin);
    let done = finish(child).await;
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert_eq!(done.stdout, b"hello again\n");
    assert!(
        done.stderr
            .contains("restarting the chatkey daemon 0.0.1-old"),
        "{}",
        done.stderr
    );
    kill_fake(&record);
    daemon.stop().await.unwrap();
}

// ---- REAL-DAEMON tests: need `chatkey daemon --headless` (src/bin/chatkey.rs). ----

/// Whether the real daemon can run here: the `chatkey daemon` subcommand exists, and (on
/// Linux) there is a session bus for its keyring. Says why on stderr when not. With
/// `CHATKEY_REQUIRE_KEYRING` set (the Makefile sets it) a missing bus is not a reason to skip.
fn real_daemon_available() -> bool {
    let required = std::env::var_os("CHATKEY_REQUIRE_KEYRING").is_some_and(|v| !v.is_empty());
    if cfg!(target_os = "linux")
        && !required
        && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none()
    {
        eprintln!(
            "SKIPPED: REAL-DAEMON tests need a keyring; run them through scripts/with-session.sh, or set CHATKEY_REQUIRE_KEYRING=1 to make this a failure"
        );
        return false;
    }
    let ok = std::process::Command::new(CHATKEY)
        .args(["daemon", "--help"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!(
            "SKIPPED: `chatkey daemon --help` failed; REAL-DAEMON tests need the daemon subcommand"
        );
    }
    ok
}

const INITIALIZE: &str = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"chatkey-tests\",\"version\":\"0\"}}}\n";

/// Runs one shim against whatever daemon the directories lead to: initialize, then EOF.
async fn initialize_through_shim(dirs: &TestDirs) -> Finished {
    let mut child = shim(dirs, Path::new(CHATKEY)).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(INITIALIZE.as_bytes()).await.unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(30), stdout.read_line(&mut line))
        .await
        .expect("no initialize response")
        .unwrap();
    drop(stdin);
    let mut done = finish(child).await;
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).await.unwrap();
    done.stdout = [line.into_bytes(), rest].concat();
    done
}

fn assert_initialized(done: &Finished) {
    assert!(
        done.status.success(),
        "exit {:?}, stderr: {}",
        done.status,
        done.stderr
    );
    let first = done.stdout.split(|&b| b == b'\n').next().unwrap();
    let response: serde_json::Value = serde_json::from_slice(first).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON-RPC ({e}): {:?}",
            String::from_utf8_lossy(&done.stdout)
        )
    });
    assert_eq!(response["id"], 1);
    assert!(response["result"]["serverInfo"].is_object(), "{response}");
}

async fn stop_real_daemon(paths: &Paths) {
    daemon::control(paths, ControlRequest::Shutdown)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while daemon::read_lock_info(paths).is_some() {
        assert!(Instant::now() < deadline, "the daemon did not stop");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// REAL-DAEMON: the shim starts `chatkey daemon --headless` and an MCP initialize works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_daemon_is_started_on_demand() {
    if !real_daemon_available() {
        return;
    }
    let dirs = TestDirs::new();
    let done = initialize_through_shim(&dirs).await;
    assert_initialized(&done);
    assert!(
        done.stderr.contains("starting the chatkey daemon"),
        "{}",
        done.stderr
    );
    let info = daemon::read_lock_info(&dirs.paths).expect("the daemon keeps running");
    assert_eq!(info.version, VERSION);
    // A second shim reuses it without starting anything.
    let again = initialize_through_shim(&dirs).await;
    assert_initialized(&again);
    assert_eq!(again.stderr, "");
    stop_real_daemon(&dirs.paths).await;
}

/// REAL-DAEMON: two shims starting at once end with one daemon serving both.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_daemon_two_shims_at_once_share_one_daemon() {
    if !real_daemon_available() {
        return;
    }
    let dirs = TestDirs::new();
    let (a, b) = tokio::join!(
        initialize_through_shim(&dirs),
        initialize_through_shim(&dirs)
    );
    assert_initialized(&a);
    assert_initialized(&b);
    let info = daemon::read_lock_info(&dirs.paths).expect("a daemon runs");
    // Losers of the lock race exit on their own; wait for that, then count.
    let marker = format!("CHATKEY_RUNTIME_DIR={}", dirs.paths.runtime_dir().display());
    let deadline = Instant::now() + Duration::from_secs(10);
    let daemons = loop {
        let daemons = processes_with_env(&marker);
        if daemons.len() == 1 || Instant::now() > deadline {
            break daemons;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(daemons, [info.pid], "exactly one daemon for the profile");
    stop_real_daemon(&dirs.paths).await;
}

/// Pids of live processes whose environment contains `entry` (Linux `/proc`).
#[cfg(target_os = "linux")]
fn processes_with_env(entry: &str) -> Vec<u32> {
    let mut pids = Vec::new();
    for dir in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = dir.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(environ) = std::fs::read(dir.path().join("environ")) else {
            continue;
        };
        let zombie = std::fs::read_to_string(dir.path().join("stat"))
            .is_ok_and(|s| s.rsplit_once(") ").is_some_and(|(_, r)| r.starts_with('Z')));
        if !zombie && environ.split(|&b| b == 0).any(|e| e == entry.as_bytes()) {
            pids.push(pid);
        }
    }
    pids
}

/// Runs one shim against the profile's real daemon with `input` on stdin, then end of
/// input, and returns its stdout as JSON lines.
async fn lines_through_shim(dirs: &TestDirs, input: &[u8]) -> (Finished, Vec<serde_json::Value>) {
    let mut child = shim(dirs, Path::new(CHATKEY)).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // Written while stdout is read (in `finish`), as an assistant does.
    let writer = tokio::spawn(async move {
        stdin.write_all(&input).await.unwrap();
    });
    let done = finish(child).await;
    writer.await.unwrap();
    let answers = done
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            serde_json::from_slice(l).unwrap_or_else(|e| {
                panic!(
                    "stdout is not JSON lines ({e}): {:?}",
                    String::from_utf8_lossy(l)
                )
            })
        })
        .collect();
    (done, answers)
}

fn answer_for(answers: &[serde_json::Value], id: serde_json::Value) -> &serde_json::Value {
    answers
        .iter()
        .find(|a| a["id"] == id)
        .unwrap_or_else(|| panic!("no answer for id {id} in {answers:?}"))
}

const INITIALIZED: &str = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n";

/// REAL-DAEMON: `printf '%s\n' … | chatkey-mcp`, 40 times each way: `initialize` alone, and
/// `initialize` + `notifications/initialized` + `tools/list`, then end of input. Every
/// request sent is answered before the shim exits 0 (issue 9 item 1: about half were lost).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_daemon_answers_everything_sent_before_stdin_closed() {
    if !real_daemon_available() {
        return;
    }
    let dirs = TestDirs::new();
    let list = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}\n";
    let both = format!("{INITIALIZE}{INITIALIZED}{list}");
    let mut lost = Vec::new();
    for run in 0..40 {
        let (done, answers) = lines_through_shim(&dirs, INITIALIZE.as_bytes()).await;
        assert!(done.status.success(), "run {run}: {}", done.stderr);
        if !answers
            .iter()
            .any(|a| a["id"] == 1 && a["result"].is_object())
        {
            lost.push(format!("run {run}: initialize alone"));
        }
        let (done, answers) = lines_through_shim(&dirs, both.as_bytes()).await;
        assert!(done.status.success(), "run {run}: {}", done.stderr);
        if !answers
            .iter()
            .any(|a| a["id"] == 2 && a["result"]["tools"].is_array())
        {
            lost.push(format!("run {run}: tools/list"));
        }
    }
    assert!(
        lost.is_empty(),
        "answers lost in {} of 80 runs: {lost:?}",
        lost.len()
    );
    stop_real_daemon(&dirs.paths).await;
}

/// REAL-DAEMON: every malformed line that carries an id is answered for that id, with the
/// JSON-RPC code and a reason (issue 9 items 6 and 7), and the session carries on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_daemon_answers_every_line_with_an_id() {
    if !real_daemon_available() {
        return;
    }
    let dirs = TestDirs::new();
    let deep = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{{\"name\":\"chatkey_status\",\"arguments\":{{\"a\":{}{}}}}}}}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let input = [
        INITIALIZE,
        INITIALIZED,
        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"chatkey_status\",\"arguments\":{\"x\":\"\\ud800\"}}}\n",
        &deep,
        "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"chatkey_status\",\"arguments\":\"notanobject\"}}\n",
        "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"arguments\":{}}}\n",
        "[]\n",
        "{\"jsonrpc\":\"2.0\",\"id\":7}\n",
        "{\"jsonrpc\":\"1.0\",\"id\":8,\"method\":\"tools/list\"}\n",
        "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/list\"}\n",
    ]
    .concat();
    let (done, answers) = lines_through_shim(&dirs, input.as_bytes()).await;
    assert!(done.status.success(), "{}", done.stderr);
    for (id, code, reason) in [
        (2, -32700, "escape"),
        (3, -32700, "128 levels"),
        (4, -32602, "`arguments`"),
        (5, -32602, "missing field `name`"),
        (7, -32600, "no `method`"),
        (8, -32600, "`jsonrpc` must be \"2.0\""),
    ] {
        let answer = answer_for(&answers, id.into());
        assert_eq!(answer["error"]["code"], code, "{answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(reason), "id {id}: {message}");
    }
    let batch = answers
        .iter()
        .find(|a| a["id"].is_null())
        .expect("`[]` is answered with id null");
    assert_eq!(batch["error"]["code"], -32600, "{batch}");
    assert!(batch.as_object().unwrap().contains_key("id"));
    assert!(answer_for(&answers, 9.into())["result"]["tools"].is_array());
    assert_eq!(
        answers.len(),
        9,
        "one answer per line with an id, plus `[]`: {answers:?}"
    );

    // Before initialize: told to initialize first, for that id.
    let (_, answers) = lines_through_shim(
        &dirs,
        b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}\n",
    )
    .await;
    let message = answer_for(&answers, 1.into())["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("initialize first"), "{message}");
    stop_real_daemon(&dirs.paths).await;
}

/// A symlink planted at the socket path (issue 9 item 3) is refused: the shim sends
/// nothing through it, even to a server of our own, and says why.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symlink_at_the_socket_path_is_refused() {
    let dirs = TestDirs::new();
    chatkey::paths::ensure_private_dir(dirs.paths.runtime_dir()).unwrap();
    let elsewhere = dirs.dir.path().join("elsewhere.sock");
    let listener = tokio::net::UnixListener::bind(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dirs.paths.socket_path()).unwrap();
    let child = shim(&dirs, Path::new("/nonexistent/chatkey"))
        .spawn()
        .unwrap();
    let done = finish(child).await;
    assert_eq!(
        done.status.code(),
        Some(exit_code::DAEMON_UNAVAILABLE.into()),
        "{}",
        done.stderr
    );
    assert!(done.stderr.contains("symbolic link"), "{}", done.stderr);
    let reached = tokio::time::timeout(Duration::from_millis(300), listener.accept()).await;
    assert!(reached.is_err(), "the shim connected through the symlink");
}

/// A socket served by another user (issue 9 item 3) is refused after the connect, before a
/// byte is sent. Needs root to run the stand-in server as `nobody`; skips otherwise.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_served_by_another_user_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    if !rustix::process::getuid().is_root() {
        eprintln!("SKIPPED: needs root to run a server as another user");
        return;
    }
    let dirs = TestDirs::new();
    let nobody = 65534;
    let run = dirs.paths.runtime_dir();
    std::fs::set_permissions(dirs.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir(run).unwrap();
    std::os::unix::fs::chown(run, Some(nobody), Some(nobody)).unwrap();
    let record = dirs.dir.path().join("received");
    std::fs::write(&record, "").unwrap();
    std::os::unix::fs::chown(&record, Some(nobody), Some(nobody)).unwrap();
    // A server of uid 65534 that records whatever it is sent.
    let script = "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[1])\n\
                  import os; os.chmod(sys.argv[1], 0o777)\ns.listen()\nprint('ready',flush=True)\n\
                  c,_=s.accept()\nopen(sys.argv[2],'ab').write(c.recv(65536) or b'')\n";
    let mut server = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(dirs.paths.socket_path())
        .arg(&record)
        .uid(nobody)
        .gid(nobody)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs the stand-in server");
    let mut ready = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(server.stdout.take().unwrap()),
        &mut ready,
    )
    .unwrap();
    assert_eq!(ready, "ready\n");

    let child = shim(&dirs, Path::new("/nonexistent/chatkey"))
        .spawn()
        .unwrap();
    let done = finish(child).await;
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(
        done.status.code(),
        Some(exit_code::DAEMON_UNAVAILABLE.into()),
        "{}",
        done.stderr
    );
    assert!(
        done.stderr.contains("another user's process (uid 65534)"),
        "{}",
        done.stderr
    );
    assert_eq!(
        std::fs::read(&record).unwrap(),
        b"",
        "the shim sent its handshake to another user's server"
    );
}

/// Issue 9 item 5: a shim that meets a daemon at its session cap says clearly that chatkey
/// is busy (and what to do) and exits, instead of hanging.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_daemon_is_a_clear_error_not_a_hang() {
    let daemon = TestDaemon::start(Echo::new(Mode::Echo)).await;
    let hello = chatkey::protocol::ClientHello::mcp(Default::default()).to_line();
    let mut held = Vec::new();
    for _ in 0..256 {
        let mut conn = chatkey::ipc::connect(&daemon.paths().socket_path())
            .await
            .unwrap();
        conn.write_all(&hello).await.unwrap();
        let reply = chatkey::protocol::read_line(&mut conn, 65536)
            .await
            .unwrap();
        assert!(
            reply.starts_with(b"{\"chatkey\"") && reply.windows(9).any(|w| w == b"\"ok\":true")
        );
        held.push(conn);
    }
    let child = shim(&daemon.dirs, Path::new("/nonexistent/chatkey"))
        .spawn()
        .unwrap();
    let done = finish(child).await;
    assert_eq!(
        done.status.code(),
        Some(exit_code::DAEMON_UNAVAILABLE.into()),
        "{}",
        done.stderr
    );
    assert!(
        done.stderr.contains("chatkey is busy") && done.stderr.contains("close assistants"),
        "{}",
        done.stderr
    );
    assert!(done.stdout.is_empty());
    drop(held);
    daemon.stop().await.unwrap();
}
