//! The guard's per-line judgements: what passes to rmcp and what is answered, with which
//! code, id and reason.

use super::*;

const INIT: &str = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}"#;

fn started() -> Inbound {
    let mut inbound = Inbound::default();
    assert!(matches!(
        inbound.judge(INIT.as_bytes(), |_| false),
        Verdict::Forward { owes: Some(_), .. }
    ));
    inbound
}

/// The single error a line is answered with, as JSON.
fn refusal(inbound: &mut Inbound, line: &str) -> Value {
    match inbound.judge(line.as_bytes(), |_| false) {
        Verdict::Answer(bytes) => {
            assert!(bytes.ends_with(b"\n"));
            assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count(), 1);
            serde_json::from_slice(&bytes).unwrap()
        }
        other => panic!("{line} was not answered: {other:?}"),
    }
}

#[test]
fn requests_rmcp_can_serve_pass_and_are_owed_an_answer() {
    let mut inbound = started();
    let verdict = inbound.judge(
        br#"{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"x","arguments":{}}}"#,
        |_| false,
    );
    assert_eq!(
        verdict,
        Verdict::Forward {
            owes: Some(RequestId::String("a".into())),
            cancels: None
        }
    );
    let verdict = inbound.judge(
        b"\xEF\xBB\xBF{\"jsonrpc\":\"2.0\",\"id\":2.0,\"method\":\"tools/list\"}",
        |_| false,
    );
    assert_eq!(
        verdict,
        Verdict::Forward {
            owes: Some(RequestId::Number(2)),
            cancels: None
        }
    );
    // An unknown method is rmcp's to answer (-32601), and it does.
    assert!(matches!(
        inbound.judge(br#"{"jsonrpc":"2.0","id":3,"method":"no/such"}"#, |_| false),
        Verdict::Forward { owes: Some(_), .. }
    ));
}

#[test]
fn unparsable_lines_are_answered_with_their_id_when_it_can_be_read() {
    let mut inbound = started();
    let bad_escape = r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"x","arguments":{"t":"\ud800"}}}"#;
    let error = refusal(&mut inbound, bad_escape);
    assert_eq!(error["id"], 7);
    assert_eq!(error["error"]["code"], PARSE_ERROR);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("escape"),
        "{error}"
    );

    let deep = format!(
        r#"{{"jsonrpc":"2.0","id":"deep","method":"tools/call","params":{{"name":"x","arguments":{{"a":{}{}}}}}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let error = refusal(&mut inbound, &deep);
    assert_eq!(error["id"], "deep");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("128 levels"),
        "{error}"
    );

    let error = refusal(&mut inbound, "not json");
    assert_eq!(error["id"], Value::Null);
    assert!(error.as_object().unwrap().contains_key("id"));
}

#[test]
fn invalid_requests_say_why_and_carry_an_id_member() {
    let mut inbound = started();
    for (line, id, reason) in [
        ("[]", Value::Null, "batches are not supported"),
        ("5", Value::Null, "is an object"),
        (r#"{"jsonrpc":"2.0","id":4}"#, json!(4), "no `method`"),
        (
            r#"{"jsonrpc":"1.0","id":5,"method":"tools/list"}"#,
            json!(5),
            "`jsonrpc` must be \"2.0\"",
        ),
        (r#"{"id":6,"method":"tools/list"}"#, json!(6), "`jsonrpc`"),
        (
            r#"{"jsonrpc":"2.0","id":{"x":1},"method":"tools/list"}"#,
            Value::Null,
            "`id` must be",
        ),
        (
            r#"{"jsonrpc":"2.0","id":8,"method":7}"#,
            json!(8),
            "`method` must be a string",
        ),
    ] {
        let error = refusal(&mut inbound, line);
        assert_eq!(error["error"]["code"], INVALID_REQUEST, "{line}: {error}");
        assert_eq!(error["id"], id, "{line}: {error}");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains(reason), "{line}: {message}");
    }
    // A batch's requests are each answered.
    match inbound.judge(br#"[{"id":1},{"id":"b"},{"x":1}]"#, |_| false) {
        Verdict::Answer(bytes) => {
            let ids: Vec<Value> = bytes
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .map(|l| serde_json::from_slice::<Value>(l).unwrap()["id"].clone())
                .collect();
            assert_eq!(ids, [json!(1), json!("b")]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_tool_call_params_are_invalid_params_with_the_reason() {
    let mut inbound = started();
    let error = refusal(
        &mut inbound,
        r#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"x","arguments":"notanobject"}}"#,
    );
    assert_eq!(error["id"], 9);
    assert_eq!(error["error"]["code"], INVALID_PARAMS);
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("`arguments`"), "{message}");
    assert!(message.contains("tools/call"), "{message}");

    let error = refusal(
        &mut inbound,
        r#"{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"arguments":{}}}"#,
    );
    assert_eq!(error["error"]["code"], INVALID_PARAMS);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("missing field `name`"),
        "{error}"
    );
    let error = refusal(
        &mut inbound,
        r#"{"jsonrpc":"2.0","id":11,"method":"tools/call"}"#,
    );
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`params` is missing")
    );
}

#[test]
fn before_initialize_requests_are_told_to_initialize_and_notifications_dropped() {
    let mut inbound = Inbound::default();
    let error = refusal(
        &mut inbound,
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
    );
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("initialize first"), "{message}");
    assert_eq!(error["id"], 1);
    assert!(matches!(
        inbound.judge(
            br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            |_| false
        ),
        Verdict::Drop(_)
    ));
    // Ping is allowed before initialize and does not start the session.
    assert!(matches!(
        inbound.judge(br#"{"jsonrpc":"2.0","id":2,"method":"ping"}"#, |_| false),
        Verdict::Forward { .. }
    ));
    assert!(matches!(
        inbound.judge(br#"{"jsonrpc":"2.0","id":3,"method":"tools/list"}"#, |_| {
            false
        }),
        Verdict::Answer(_)
    ));
    assert!(matches!(
        inbound.judge(INIT.as_bytes(), |_| false),
        Verdict::Forward { .. }
    ));
    assert!(matches!(
        inbound.judge(br#"{"jsonrpc":"2.0","id":4,"method":"tools/list"}"#, |_| {
            false
        }),
        Verdict::Forward { .. }
    ));
}

#[test]
fn a_reused_id_is_refused_and_cancellation_is_reported() {
    let mut inbound = started();
    let busy = RequestId::Number(5);
    match inbound.judge(br#"{"jsonrpc":"2.0","id":5,"method":"tools/list"}"#, |id| {
        *id == busy
    }) {
        Verdict::Answer(bytes) => {
            let error: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(error["id"], 5);
            assert!(
                error["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("in flight")
            );
        }
        other => panic!("{other:?}"),
    }
    let verdict = inbound.judge(
        br#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":5}}"#,
        |_| false,
    );
    assert_eq!(
        verdict,
        Verdict::Forward {
            owes: None,
            cancels: Some(RequestId::Number(5))
        }
    );
}

#[test]
fn the_id_probe_reads_ids_before_the_trouble_starts() {
    assert_eq!(probe_id(br#"{"jsonrpc":"2.0","id":12,"params":{"a":"#), 12);
    assert_eq!(probe_id(br#"{"id":"s","x":"\ud800"}"#), "s");
    assert_eq!(probe_id(br#"{"x":"\ud800","id":"late"}"#), "late");
    assert_eq!(probe_id(br#"{"id":true}"#), Value::Null);
    assert_eq!(probe_id(b"[1]"), Value::Null);
    assert_eq!(probe_id(b""), Value::Null);
}
