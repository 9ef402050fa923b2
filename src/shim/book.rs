//! The shim's line-level bookkeeping, just enough to survive a daemon restart without
//! parsing MCP: of each line it reads only the top-level `id` and `method` and whether it is a
//! response. It remembers the session's `initialize` and `notifications/initialized` lines
//! (to replay them to a new daemon), which requests are waiting for an answer and on which
//! connection, and the replayed `initialize` whose answer the assistant must not see.
//!
//! Connections are numbered (generations). A request belongs to the connection it was
//! written to; when that connection is lost, its requests are answered here with an error,
//! once, and a request whose write failed before that is sent again on the next connection.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::{Value, json};
use tokio::sync::Notify;

/// The answer to a request that was in flight when its daemon went away.
pub(super) const RESTARTED: &str = "chatkey restarted; try again";
/// JSON-RPC's implementation-defined server error, as MCP SDKs use for a lost connection.
pub(super) const SERVER_ERROR: i64 = -32000;

/// A request id as both sides agree on it (`1` and `1.0` are the same request).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum LineId {
    Int(i64),
    Str(String),
}

impl LineId {
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::String(s) => Some(Self::Str(s.clone())),
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
                .map(Self::Int),
            _ => None,
        }
    }
}

/// A request the client sent: its id as the shim keys it, and as the client wrote it.
#[derive(Debug, Clone)]
pub(super) struct Request {
    pub key: LineId,
    pub id: Value,
}

#[derive(Default)]
struct State {
    /// The connection in use and whether it still works.
    generation: u64,
    alive: bool,
    /// Set once stdin has ended: a connection closing after that is the normal end.
    input_ended: bool,
    waiting: HashMap<LineId, (Value, u64)>,
    initialize: Option<Initialize>,
    initialized: Option<Vec<u8>>,
    /// The replayed `initialize` whose answer is dropped, and the connection it went to.
    swallow: Option<(LineId, u64)>,
}

struct Initialize {
    line: Vec<u8>,
    key: LineId,
    /// The daemon accepted it: only then is there a session worth replaying.
    accepted: bool,
}

#[derive(Default)]
pub(super) struct Book {
    state: Mutex<State>,
    settled: Notify,
}

impl Book {
    /// Notes a line from the client (with its newline). Returns the request to track, if the
    /// line is a request.
    pub(super) fn client_line(&self, line: &[u8]) -> Option<Request> {
        let peek = Peek::of(line);
        let mut state = self.state.lock().unwrap();
        let key = peek.id.as_ref().and_then(LineId::from_value);
        match (peek.method.as_deref(), &key) {
            (Some("initialize"), Some(key)) => {
                state.initialize = Some(Initialize {
                    line: line.to_vec(),
                    key: key.clone(),
                    accepted: false,
                });
            }
            (Some("notifications/initialized"), None) => state.initialized = Some(line.to_vec()),
            _ => {}
        }
        let (Some(_), Some(key), Some(id)) = (peek.method, key, peek.id) else {
            return None;
        };
        Some(Request { key, id })
    }

    /// Records `request` as written to connection `generation`; false if that connection has
    /// been lost in the meantime (then nothing is recorded).
    pub(super) fn track(&self, request: &Request, generation: u64) -> bool {
        let mut state = self.state.lock().unwrap();
        if !(state.alive && state.generation == generation) {
            return false;
        }
        state
            .waiting
            .insert(request.key.clone(), (request.id.clone(), generation));
        true
    }

    /// After a failed write: forgets `request` and says whether it was still waiting, that is
    /// not yet answered with an error, and so should be sent again.
    pub(super) fn untrack(&self, request: &Request, generation: u64) -> bool {
        let mut state = self.state.lock().unwrap();
        let waiting = state
            .waiting
            .get(&request.key)
            .is_some_and(|(_, g)| *g == generation);
        if waiting {
            state.waiting.remove(&request.key);
            self.settled.notify_waiters();
        }
        waiting
    }

    pub(super) fn alive(&self, generation: u64) -> bool {
        let state = self.state.lock().unwrap();
        state.alive && state.generation == generation
    }

    pub(super) fn end_input(&self) {
        self.state.lock().unwrap().input_ended = true;
    }

    pub(super) fn input_ended(&self) -> bool {
        self.state.lock().unwrap().input_ended
    }

    /// A new connection is up: its generation, and the lines that bring the daemon into the
    /// client's session (its accepted `initialize`, then `notifications/initialized`).
    pub(super) fn begin(&self) -> (u64, Vec<u8>) {
        let mut state = self.state.lock().unwrap();
        state.generation += 1;
        state.alive = true;
        let generation = state.generation;
        let mut replay = Vec::new();
        if let Some(init) = state.initialize.as_ref().filter(|i| i.accepted) {
            let key = init.key.clone();
            replay.extend_from_slice(&init.line);
            if let Some(initialized) = &state.initialized {
                replay.extend_from_slice(initialized);
            }
            state.swallow = Some((key, generation));
        }
        (generation, replay)
    }

    /// Notes a line from the daemon on `generation`; false when the client must not see it
    /// (the answer to a replayed `initialize`).
    pub(super) fn daemon_line(&self, line: &[u8], generation: u64) -> bool {
        let peek = Peek::of(line);
        let Some(key) = peek.id.as_ref().and_then(LineId::from_value) else {
            return true;
        };
        if !peek.response || peek.method.is_some() {
            return true;
        }
        let mut state = self.state.lock().unwrap();
        if state.swallow == Some((key.clone(), generation)) {
            state.swallow = None;
            if peek.error {
                eprintln!(
                    "chatkey-mcp: the restarted chatkey daemon refused this session's `initialize`; restart the assistant's chatkey connection"
                );
            }
            return false;
        }
        if let Some(init) = state.initialize.as_mut().filter(|i| i.key == key)
            && !init.accepted
        {
            init.accepted = !peek.error;
        }
        if state
            .waiting
            .get(&key)
            .is_some_and(|(_, g)| *g == generation)
        {
            state.waiting.remove(&key);
            self.settled.notify_waiters();
        }
        true
    }

    /// Connection `generation` is gone: the error answers owed for its requests (one line
    /// each), and how many there are. Each request is answered once.
    pub(super) fn lose(&self, generation: u64) -> (Vec<u8>, usize) {
        let mut state = self.state.lock().unwrap();
        if state.generation == generation {
            state.alive = false;
        }
        if state
            .swallow
            .as_ref()
            .is_some_and(|(_, g)| *g == generation)
        {
            state.swallow = None;
        }
        let lost: Vec<LineId> = state
            .waiting
            .iter()
            .filter(|(_, (_, g))| *g == generation)
            .map(|(key, _)| key.clone())
            .collect();
        let mut lines = Vec::new();
        for key in &lost {
            if let Some((id, _)) = state.waiting.remove(key) {
                lines.extend(error_line(&id, RESTARTED));
            }
        }
        self.settled.notify_waiters();
        (lines, lost.len())
    }

    /// Resolves once no request is waiting for an answer.
    pub(super) async fn settled(&self) {
        loop {
            let notified = self.settled.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            if self.state.lock().unwrap().waiting.is_empty() {
                return;
            }
            notified.await;
        }
    }
}

/// One JSON-RPC error response line for request `id`.
pub(super) fn error_line(id: &Value, message: &str) -> Vec<u8> {
    let mut line = serde_json::to_vec(&json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {"code": SERVER_ERROR, "message": message},
    }))
    .expect("a JSON value serializes");
    line.push(b'\n');
    line
}

/// The top-level members of a line the bookkeeping needs, read as far as the line parses.
#[derive(Debug, Default)]
struct Peek {
    id: Option<Value>,
    method: Option<String>,
    response: bool,
    error: bool,
}

impl Peek {
    fn of(line: &[u8]) -> Self {
        let mut peek = Peek::default();
        let mut de = serde_json::Deserializer::from_slice(line);
        // What was read before a parse error still counts: the daemon answers such a line
        // with the id it could read, and so does this.
        let _ = PeekSeed(&mut peek).deserialize(&mut de);
        peek
    }
}

struct PeekSeed<'a>(&'a mut Peek);

impl<'de> DeserializeSeed<'de> for PeekSeed<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PeekSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "id" => self.0.id = Some(map.next_value()?),
                "method" => {
                    self.0.method = map.next_value::<Value>()?.as_str().map(str::to_owned);
                }
                other => {
                    self.0.response |= other == "result" || other == "error";
                    self.0.error |= other == "error";
                    // Skipped without building values: results can be megabytes.
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INIT: &[u8] = b"{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{}}\n";
    const INITIALIZED: &[u8] = b"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n";

    fn started() -> (Book, u64) {
        let book = Book::default();
        let (generation, replay) = book.begin();
        assert!(replay.is_empty(), "nothing to replay before initialize");
        (book, generation)
    }

    #[test]
    fn peek_reads_only_the_top_level_members() {
        let peek = Peek::of(br#"{"jsonrpc":"2.0","id":"a","result":{"id":9,"method":"x"}}"#);
        assert_eq!(peek.id, Some(json!("a")));
        assert_eq!(peek.method, None);
        assert!(peek.response && !peek.error);
        let peek = Peek::of(br#"{"id":3,"method":"tools/call","params":{"t":"\ud800"}}"#);
        assert_eq!(
            (peek.id, peek.method.as_deref()),
            (Some(json!(3)), Some("tools/call"))
        );
        let peek = Peek::of(b"not json");
        assert!(peek.id.is_none() && peek.method.is_none());
    }

    #[test]
    fn requests_are_waiting_until_answered() {
        let (book, g) = started();
        let request = book
            .client_line(b"{\"jsonrpc\":\"2.0\",\"id\":1.0,\"method\":\"tools/list\"}\n")
            .unwrap();
        assert!(book.track(&request, g));
        assert!(
            book.client_line(INITIALIZED).is_none(),
            "notifications are not tracked"
        );
        assert!(book.daemon_line(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n", g));
        let (errors, count) = book.lose(g);
        assert_eq!(
            (errors.len(), count),
            (0, 0),
            "an answered request is not answered again"
        );
    }

    #[test]
    fn a_lost_connection_answers_its_requests_once_with_their_own_ids() {
        let (book, g) = started();
        for line in [
            &b"{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"tools/call\"}\n"[..],
            b"{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\"}\n",
        ] {
            let request = book.client_line(line).unwrap();
            assert!(book.track(&request, g));
        }
        let (errors, count) = book.lose(g);
        assert_eq!(count, 2);
        let mut ids: Vec<Value> = errors
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| {
                let v: Value = serde_json::from_slice(l).unwrap();
                assert_eq!(v["error"]["message"], RESTARTED);
                v["id"].clone()
            })
            .collect();
        ids.sort_by_key(|v| v.to_string());
        assert_eq!(ids, [json!("x"), json!(7)]);
        assert!(!book.alive(g));
        assert_eq!(book.lose(g).1, 0);
        // A request cannot be recorded on the lost connection; it goes to the next one.
        let late = book
            .client_line(b"{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"ping\"}\n")
            .unwrap();
        assert!(!book.track(&late, g));
    }

    #[test]
    fn a_failed_write_is_resent_only_if_it_was_not_answered() {
        let (book, g) = started();
        let request = book
            .client_line(b"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}\n")
            .unwrap();
        assert!(book.track(&request, g));
        assert!(book.untrack(&request, g), "still waiting: send it again");
        assert!(book.track(&request, g));
        book.lose(g);
        assert!(!book.untrack(&request, g), "already answered with an error");
    }

    #[test]
    fn an_accepted_initialize_is_replayed_and_its_new_answer_swallowed() {
        let (book, g) = started();
        let init = book.client_line(INIT).unwrap();
        assert!(book.track(&init, g));
        assert!(book.client_line(INITIALIZED).is_none());
        assert!(book.daemon_line(b"{\"jsonrpc\":\"2.0\",\"id\":0,\"result\":{}}\n", g));
        book.lose(g);

        let (next, replay) = book.begin();
        assert_eq!(replay, [INIT, INITIALIZED].concat());
        let answer = b"{\"jsonrpc\":\"2.0\",\"id\":0,\"result\":{\"again\":true}}\n";
        assert!(
            !book.daemon_line(answer, next),
            "the replayed answer is dropped"
        );
        assert!(book.daemon_line(answer, next), "only once");
    }

    #[test]
    fn a_refused_initialize_is_not_replayed() {
        let (book, g) = started();
        let init = book.client_line(INIT).unwrap();
        assert!(book.track(&init, g));
        assert!(book.daemon_line(
            b"{\"jsonrpc\":\"2.0\",\"id\":0,\"error\":{\"code\":-32602,\"message\":\"no\"}}\n",
            g
        ));
        book.lose(g);
        assert!(book.begin().1.is_empty());
    }
}
