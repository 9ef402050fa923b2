//! The three-step upload against a stand-in Slack: order, arguments, where the bytes go.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::*;
use crate::providers::slack::test_support::{FakeSlack, Reply};

fn upload<'a>(bytes: &'static [u8], thread_ts: Option<&'a str>) -> NewUpload<'a> {
    NewUpload {
        filename: "report.csv",
        title: Some("Q3 report"),
        bytes: axum::body::Bytes::from_static(bytes),
        channel_id: "C1",
        thread_ts,
        initial_comment: Some("numbers for Q3"),
    }
}

/// A fake whose upload URL is `url` (filled in once the server's address is known) and
/// whose upload endpoint answers `status`.
async fn fake(url: Arc<Mutex<String>>, status: u16) -> FakeSlack {
    FakeSlack::start(move |r| match r.method.as_str() {
        "files.getUploadURLExternal" => {
            Reply::ok(json!({"upload_url": *url.lock().unwrap(), "file_id": "F123"}))
        }
        "files.completeUploadExternal" => {
            Reply::ok(json!({"files": [{"id": "F123", "title": "Q3 report"}]}))
        }
        m if m.starts_with("upload/") => Reply {
            content_type: "text/plain",
            ..Reply::raw(status, if status == 200 { "OK - 6" } else { "bad" })
        },
        other => panic!("unexpected {other}"),
    })
    .await
}

#[tokio::test]
async fn the_three_steps_in_order_with_the_bytes_and_no_token_at_the_upload_url() {
    let url = Arc::new(Mutex::new(String::new()));
    let slack = fake(url.clone(), 200).await;
    *url.lock().unwrap() = slack.upload_url("KEY1");
    let done = slack
        .client()
        .upload_file(upload(b"a,b\n1\n", Some("1700000000.000100")))
        .await
        .unwrap();
    assert_eq!(
        done,
        Uploaded {
            id: "F123".into(),
            title: "Q3 report".into()
        }
    );
    let requests = slack.requests();
    let methods: Vec<&str> = requests.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(
        methods,
        [
            "files.getUploadURLExternal",
            "upload/KEY1",
            "files.completeUploadExternal"
        ]
    );
    let slot = &requests[0];
    assert_eq!(slot.arg("filename").as_deref(), Some("report.csv"));
    assert_eq!(slot.arg("length").as_deref(), Some("6"));
    assert!(slot.authorization.is_some());
    let sent = &requests[1];
    assert_eq!(sent.body, "a,b\n1\n");
    assert_eq!(sent.authorization, None, "the upload URL is pre-signed");
    let complete = &requests[2];
    let files: Value = serde_json::from_str(&complete.arg("files").unwrap()).unwrap();
    assert_eq!(files, json!([{"id": "F123", "title": "Q3 report"}]));
    assert_eq!(complete.arg("channel_id").as_deref(), Some("C1"));
    assert_eq!(
        complete.arg("thread_ts").as_deref(),
        Some("1700000000.000100")
    );
    assert_eq!(
        complete.arg("initial_comment").as_deref(),
        Some("numbers for Q3")
    );

    // Without a thread, no `thread_ts` at all.
    slack
        .client()
        .upload_file(upload(b"x,y\n2\n", None))
        .await
        .unwrap();
    let last = slack
        .calls_to("files.completeUploadExternal")
        .pop()
        .unwrap();
    assert_eq!(last.arg("thread_ts"), None);
}

#[tokio::test]
async fn an_upload_url_outside_slack_gets_nothing() {
    let url = Arc::new(Mutex::new("https://uploads.example.net/steal".to_owned()));
    let slack = fake(url, 200).await;
    let err = slack
        .client()
        .upload_file(upload(b"secret", None))
        .await
        .unwrap_err();
    let err = ToolError::from(err);
    assert!(err.message.contains("outside Slack"), "{}", err.message);
    let methods: Vec<String> = slack.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(methods, ["files.getUploadURLExternal"]);
}

#[tokio::test]
async fn a_refused_upload_is_not_completed() {
    let url = Arc::new(Mutex::new(String::new()));
    let slack = fake(url.clone(), 400).await;
    *url.lock().unwrap() = slack.upload_url("KEY2");
    let err = slack
        .client()
        .upload_file(upload(b"a,b\n1\n", None))
        .await
        .unwrap_err();
    let err = ToolError::from(err);
    assert!(err.message.contains("400"), "{}", err.message);
    assert!(slack.calls_to("files.completeUploadExternal").is_empty());

    // A server error at the upload URL is retried: the same bytes to the same slot.
    let url = Arc::new(Mutex::new(String::new()));
    let slack = fake(url.clone(), 503).await;
    *url.lock().unwrap() = slack.upload_url("KEY3");
    slack
        .client()
        .upload_file(upload(b"a,b\n1\n", None))
        .await
        .unwrap_err();
    assert_eq!(slack.calls_to("upload/KEY3").len(), 4, "every attempt");
}
