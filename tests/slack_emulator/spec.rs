//! The emulator against Slack's own sources (`$CHATKEY_SPECS_DIR/slack`, from `make specs`):
//! every served method is a slack_sdk 3.47.0 method and reads only its parameters; every
//! answer (walked through every method, successes and errors) fits the method's
//! @slack/web-api 8.2.0 response type; and `slack_request_log` checks every request the
//! suite sent to Slack emulators (`CHATKEY_SLACK_EMULATOR_REQUEST_LOG`).

use std::collections::BTreeMap;

use chatkey::providers::slack::emulator::spec::{DOCUMENTED_FIELDS, DOCUMENTED_PARAMS, SlackSpecs};
use chatkey::providers::slack::emulator::{self, AUTHORIZE_LOG_NAME, REQUEST_LOG_ENV, data};
use serde_json::{Value, json};

use super::support::*;

/// The specs, or `None` (with the reason printed) when none were fetched outside `make test`.
fn specs() -> Option<SlackSpecs> {
    match SlackSpecs::from_env() {
        Ok(Some(s)) => Some(s),
        Ok(None) => {
            eprintln!(
                "skipped: no Slack specs (run `make specs`, or scripts/fetch-slack-specs.sh target/specs/slack, \
                 or set CHATKEY_SPECS_DIR) to check the emulator against slack_sdk and @slack/web-api"
            );
            None
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn slack_spec_every_served_method_is_in_slack_sdk() {
    let Some(s) = specs() else { return };
    for (name, params) in emulator::served_methods() {
        let params: Vec<String> = params.iter().map(|p| p.to_string()).collect();
        s.check_request(name, &params)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    for (method, param, source) in DOCUMENTED_PARAMS {
        let sdk = s
            .methods
            .get(*method)
            .unwrap_or_else(|| panic!("{method} is not in methods.json"));
        assert!(
            !sdk.params.contains(*param),
            "{method}: {param} is in slack_sdk now; drop it from DOCUMENTED_PARAMS ({source})"
        );
    }
    let authorize = &s.methods[AUTHORIZE_LOG_NAME].params;
    for p in ["client_id", "user_scope", "redirect_uri", "state", "scope"] {
        assert!(authorize.contains(p), "authorize parameter {p}");
    }
    // Slack's own http verbs for the reads the tools page through.
    assert_eq!(s.methods["conversations.history"].http_verb, "GET");
    assert_eq!(s.methods["search.messages"].http_verb, "GET");
}

/// Sends requests and keeps `(method, body)` for validation.
struct Recorder {
    api: Api,
    seen: Vec<(String, Value)>,
}

impl Recorder {
    async fn post(&mut self, method: &str, form: &[(&str, &str)]) -> Value {
        let body = self.api.post(method, form).await;
        self.seen.push((method.to_string(), body.clone()));
        body
    }

    async fn get(&mut self, method: &str, query: &[(&str, &str)]) -> Value {
        let body = self.api.get(method, query).await;
        self.seen.push((method.to_string(), body.clone()));
        body
    }

    async fn json(&mut self, method: &str, body: Value) -> Value {
        let body = self.api.json(method, body).await;
        self.seen.push((method.to_string(), body.clone()));
        body
    }
}

#[tokio::test]
async fn slack_spec_every_response_fits_its_type() {
    let Some(s) = specs() else { return };
    let h = start().await;
    let t = sign_in(&h).await;
    let mut r = Recorder {
        api: Api::with_token(&h, &t.access),
        seen: vec![("oauth.v2.access".into(), t.body.clone())],
    };
    let refs = h.knobs().seed_refs();
    let id = h.client_id().to_string();
    let refreshed = access(
        &h,
        &[
            ("client_id", &id),
            ("grant_type", "refresh_token"),
            ("refresh_token", t.refresh.as_deref().unwrap()),
        ],
    )
    .await;
    r.seen.push(("oauth.v2.access".into(), refreshed));
    r.seen.push((
        "oauth.v2.access".into(),
        access(&h, &[("client_id", &id), ("code", "1.2.3")]).await,
    ));
    r.post("auth.test", &[]).await;
    for types in ["public_channel", "public_channel,private_channel,mpim,im"] {
        r.get("conversations.list", &[("types", types), ("limit", "1000")])
            .await;
        r.get("users.conversations", &[("types", types)]).await;
    }
    for c in data::CONVERSATIONS {
        r.get(
            "conversations.info",
            &[
                ("channel", c.id),
                ("include_locale", "true"),
                ("include_num_members", "true"),
            ],
        )
        .await;
        let history = r
            .get(
                "conversations.history",
                &[("channel", c.id), ("limit", "999")],
            )
            .await;
        r.get("conversations.members", &[("channel", c.id)]).await;
        for m in history["messages"].as_array().into_iter().flatten() {
            if m["reply_count"].as_u64().unwrap_or(0) > 0 {
                let ts = m["ts"].as_str().unwrap().to_string();
                r.get("conversations.replies", &[("channel", c.id), ("ts", &ts)])
                    .await;
            }
        }
    }
    r.post(
        "conversations.history",
        &[("channel", data::ENG), ("oldest", "bad")],
    )
    .await;
    r.post(
        "conversations.open",
        &[("users", data::PRIYA), ("return_im", "true")],
    )
    .await;
    r.post("conversations.open", &[("users", data::YUKI)]).await;
    r.json(
        "conversations.mark",
        json!({"channel": data::ENG, "ts": refs.unread_mention_ts}),
    )
    .await;
    let posted = r.json("chat.postMessage", json!({"channel": data::ENG, "text": "spec <@U02PRIYANT>", "thread_ts": refs.release_thread_ts, "reply_broadcast": true})).await;
    let ts = posted["ts"].as_str().unwrap().to_string();
    r.post(
        "chat.postMessage",
        &[("channel", data::DESIGN), ("text", "x")],
    )
    .await;
    r.post(
        "chat.update",
        &[("channel", data::ENG), ("ts", &ts), ("text", "edited")],
    )
    .await;
    r.get(
        "chat.getPermalink",
        &[("channel", data::ENG), ("message_ts", &ts)],
    )
    .await;
    r.post(
        "reactions.add",
        &[("channel", data::ENG), ("timestamp", &ts), ("name", "tada")],
    )
    .await;
    r.post(
        "reactions.add",
        &[("channel", data::ENG), ("timestamp", &ts), ("name", "tada")],
    )
    .await;
    r.get(
        "reactions.get",
        &[("channel", data::ENG), ("timestamp", &ts), ("full", "true")],
    )
    .await;
    r.post(
        "reactions.remove",
        &[("channel", data::ENG), ("timestamp", &ts), ("name", "tada")],
    )
    .await;
    r.post("chat.delete", &[("channel", data::ENG), ("ts", &ts)])
        .await;
    let parent = r
        .post(
            "chat.postMessage",
            &[("channel", data::ENG), ("text", "soon a tombstone")],
        )
        .await["ts"]
        .as_str()
        .unwrap()
        .to_string();
    r.post(
        "chat.postMessage",
        &[
            ("channel", data::ENG),
            ("text", "reply"),
            ("thread_ts", &parent),
        ],
    )
    .await;
    r.post("chat.delete", &[("channel", data::ENG), ("ts", &parent)])
        .await;
    r.get(
        "conversations.history",
        &[("channel", data::ENG), ("limit", "3")],
    )
    .await;
    r.get(
        "conversations.replies",
        &[("channel", data::ENG), ("ts", &parent)],
    )
    .await;
    for u in data::users() {
        r.get("users.info", &[("user", &u.id), ("include_locale", "true")])
            .await;
    }
    r.get("users.list", &[("limit", "4")]).await;
    r.get("users.list", &[]).await;
    r.get(
        "users.lookupByEmail",
        &[("email", "yuki.tanaka@example.com")],
    )
    .await;
    r.get("users.lookupByEmail", &[("email", "nobody@example.com")])
        .await;
    r.get("users.profile.get", &[("user", data::SOFIA)]).await;
    r.get("team.info", &[]).await;
    r.get(
        "search.messages",
        &[
            ("query", "deploy*"),
            ("count", "100"),
            ("highlight", "true"),
        ],
    )
    .await;
    r.get("search.messages", &[("query", "the"), ("cursor", "*")])
        .await;
    r.get("search.messages", &[("query", "checklist")]).await;
    let up = r
        .post(
            "files.getUploadURLExternal",
            &[("filename", "a.txt"), ("length", "2")],
        )
        .await;
    http()
        .post(up["upload_url"].as_str().unwrap())
        .body("hi")
        .send()
        .await
        .unwrap();
    let files = json!([{"id": up["file_id"], "title": "A"}]).to_string();
    r.post(
        "files.completeUploadExternal",
        &[("files", &files), ("channel_id", data::LEADERSHIP)],
    )
    .await;
    r.get("files.info", &[("file", up["file_id"].as_str().unwrap())])
        .await;
    r.get("files.info", &[("file", &refs.file_id)]).await;
    r.post("files.upload", &[("content", "x")]).await;
    let narrow = h
        .knobs()
        .mint_tokens(data::PRIMARY_USER, &["chat:write"])
        .unwrap();
    let mut narrow = Recorder {
        api: Api::with_token(&h, &narrow.access_token),
        seen: Vec::new(),
    };
    narrow
        .get("conversations.history", &[("channel", data::ENG)])
        .await;
    r.seen.extend(narrow.seen);
    r.post("auth.revoke", &[("test", "true")]).await;
    r.post("auth.revoke", &[]).await;
    r.post("auth.test", &[]).await;

    let mut ok_per_method: BTreeMap<&str, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    for (method, body) in &r.seen {
        if body["ok"] == true {
            *ok_per_method.entry(method.as_str()).or_default() += 1;
        }
        if let Err(p) = s.check_response(method, body) {
            problems.push(format!("{}\n  in {body}", p.join("\n")));
        }
    }
    assert!(
        problems.is_empty(),
        "answers outside @slack/web-api's types:\n{}",
        problems.join("\n")
    );
    for (name, _) in emulator::served_methods() {
        if name == "files.upload" {
            continue; // retired: it only ever answers method_deprecated
        }
        assert!(
            ok_per_method.contains_key(name),
            "no successful answer of {name} was checked"
        );
    }
    for (method, path, _) in DOCUMENTED_FIELDS {
        let used = r.seen.iter().any(|(m, b)| m == method && field(b, path));
        assert!(
            used,
            "DOCUMENTED_FIELDS lists {method} {path}, which no answer carries"
        );
    }
}

/// Whether the dotted `path` exists in `body` (arrays are looked through).
fn field(body: &Value, path: &str) -> bool {
    let mut nodes = vec![body];
    for key in path.split('.') {
        nodes = nodes
            .into_iter()
            .flat_map(|n| match n {
                Value::Array(a) => a.iter().filter_map(|x| x.get(key)).collect::<Vec<_>>(),
                _ => n.get(key).into_iter().collect(),
            })
            .collect();
    }
    !nodes.is_empty()
}

#[test]
fn slack_request_log() {
    let Some(s) = specs() else { return };
    let Some(path) = std::env::var_os(REQUEST_LOG_ENV).filter(|p| !p.is_empty()) else {
        eprintln!("{REQUEST_LOG_ENV} is not set: no suite-wide Slack request log to check");
        return;
    };
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!(
            "{} does not exist yet: nothing to check",
            path.to_string_lossy()
        );
        return;
    };
    let mut problems = Vec::new();
    let mut checked = 0;
    // A line still being written by a concurrent test has no newline yet: leave it out.
    for (i, line) in text
        .split_inclusive('\n')
        .filter(|l| l.ends_with('\n'))
        .enumerate()
    {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(v) => match s.check_log_line(&v) {
                Ok(()) => checked += 1,
                Err(e) => problems.push(format!("line {}: {e}", i + 1)),
            },
            Err(e) => problems.push(format!("line {}: not JSON: {e}", i + 1)),
        }
    }
    assert!(
        problems.is_empty(),
        "requests outside slack_sdk's methods and parameters:\n{}",
        problems.join("\n")
    );
    eprintln!("{checked} logged Slack requests match slack_sdk 3.47.0");
}

#[test]
fn slack_emulator_is_self_contained() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/providers/slack/emulator");
    let mut bad = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("//!"),
            "{} opens with a //! paragraph",
            path.display()
        );
        for (i, line) in text.lines().enumerate() {
            let mut rest = line;
            while let Some(at) = rest.find("crate::") {
                if !rest[at..].starts_with("crate::providers::slack::emulator") {
                    bad.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
                }
                rest = &rest[at + 7..];
            }
        }
    }
    assert!(
        bad.is_empty(),
        "the Slack emulator must not depend on chatkey outside its folder:\n{}",
        bad.join("\n")
    );
}
