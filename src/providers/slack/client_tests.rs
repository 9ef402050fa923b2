//! The request path against a recording stand-in for Slack: wire format, token handling,
//! retries and error mapping.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;
use url::Url;

use super::*;
use crate::providers::slack::models::{AuthTest, MessageList, Posted};
use crate::providers::slack::test_support::{FakeSlack, Reply};

/// A handler that answers the `n`th call (from 0) with `replies(n)`.
fn sequence(
    replies: impl Fn(usize) -> Reply + Send + Sync + 'static,
) -> impl Fn(&super::super::test_support::Recorded) -> Reply + Send + Sync + 'static {
    let n = Arc::new(AtomicUsize::new(0));
    move |_| replies(n.fetch_add(1, Ordering::SeqCst))
}

#[tokio::test]
async fn posts_a_form_with_the_token_in_the_header_only() {
    let slack = FakeSlack::start(|_| {
        Reply::ok(json!({"url":"https://acme.slack.com/","team_id":"T1","user_id":"U1"}))
    })
    .await;
    let me: AuthTest = slack
        .client()
        .call(
            "auth.test",
            &json!({"extra": 5, "flag": true, "gone": null}),
        )
        .await
        .unwrap();
    assert_eq!(me.user_id.as_deref(), Some("U1"));
    let [request] = slack.requests().try_into().unwrap();
    assert_eq!(request.method, "auth.test");
    assert_eq!(request.authorization.as_deref(), Some("Bearer xoxe.xoxp-1"));
    assert_eq!(
        request.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(request.body, "extra=5&flag=true");
    assert!(!request.body.contains("xox"), "no token in the body");
}

#[tokio::test]
async fn posts_messages_as_json() {
    let slack =
        FakeSlack::start(|_| Reply::ok(json!({"channel":"C1","ts":"1.2","message":{"ts":"1.2"}})))
            .await;
    let posted: Posted = slack
        .client()
        .call(
            "chat.postMessage",
            &json!({"channel": "C1", "text": "a & b", "thread_ts": null}),
        )
        .await
        .unwrap();
    assert_eq!(posted.ts, "1.2");
    let [request] = slack.requests().try_into().unwrap();
    assert!(
        request
            .content_type
            .as_deref()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(request.args(), json!({"channel": "C1", "text": "a & b"}));
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_the_call_retried() {
    let slack = FakeSlack::start(sequence(|n| match n {
        0 => Reply::error("token_expired"),
        _ => Reply::ok(json!({"messages": [{"ts": "1.0", "text": "hi"}]})),
    }))
    .await;
    let page: MessageList = slack
        .client()
        .call("conversations.history", &json!({"channel": "C1"}))
        .await
        .unwrap();
    assert_eq!(page.messages[0].text.as_deref(), Some("hi"));
    let auth: Vec<_> = slack
        .requests()
        .into_iter()
        .map(|r| r.authorization.unwrap())
        .collect();
    assert_eq!(auth, ["Bearer xoxe.xoxp-1", "Bearer xoxe.xoxp-2"]);
    assert_eq!(slack.tokens_issued(), 2);
}

#[tokio::test]
async fn a_fresh_token_refused_again_means_sign_in() {
    let slack = FakeSlack::start(|_| Reply::error("invalid_auth")).await;
    let err = slack
        .client()
        .call::<AuthTest>("auth.test", &json!({}))
        .await
        .unwrap_err();
    let err = ToolError::from(err);
    assert_eq!(err.kind, ToolErrorKind::NeedsSignIn);
    assert!(
        err.message.contains("chatkey login slack"),
        "{}",
        err.message
    );
    assert!(err.message.contains("freshly refreshed"), "{}", err.message);
    assert_eq!(slack.requests().len(), 2, "one retry, not more");
}

#[tokio::test]
async fn a_revoked_token_means_sign_in_without_a_retry() {
    let slack = FakeSlack::start(|_| Reply::error("token_revoked")).await;
    let err = slack
        .client()
        .call::<AuthTest>("auth.test", &json!({}))
        .await
        .unwrap_err();
    assert_eq!(ToolError::from(err).kind, ToolErrorKind::NeedsSignIn);
    assert_eq!(slack.requests().len(), 1);
    assert_eq!(slack.tokens_issued(), 1);
}

#[tokio::test]
async fn missing_scope_carries_the_needed_scope() {
    let slack = FakeSlack::start(|_| {
        Reply::raw(
            200,
            r#"{"ok":false,"error":"missing_scope","needed":"groups:history","provided":"channels:history"}"#,
        )
    })
    .await;
    let err = slack
        .client()
        .call::<MessageList>("conversations.history", &json!({"channel": "G1"}))
        .await
        .unwrap_err();
    let SlackError::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.code, "missing_scope");
    assert_eq!(api.needed.as_deref(), Some("groups:history"));
    assert_eq!(api.channel.as_deref(), Some("G1"));
    let tool = ToolError::from(err);
    assert_eq!(tool.kind, ToolErrorKind::PermissionDenied);
    assert!(
        tool.message.contains("`groups:history`"),
        "{}",
        tool.message
    );
}

#[tokio::test]
async fn channel_errors_name_the_channel_called() {
    let slack = FakeSlack::start(|_| Reply::error("not_in_channel")).await;
    let err = slack
        .client()
        .call::<Posted>(
            "chat.postMessage",
            &json!({"channel": "C0ENG", "text": "x"}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("not_in_channel"));
    let message = ToolError::from(err).message;
    assert!(message.contains("channel C0ENG"), "{message}");
}

#[tokio::test]
async fn rate_limits_are_retried_and_then_reported_with_when_to_try_again() {
    let limited = || Reply {
        retry_after: Some("0"),
        ..Reply::raw(429, r#"{"ok":false,"error":"ratelimited"}"#)
    };
    let slack = FakeSlack::start(sequence(move |n| match n {
        0 => limited(),
        _ => Reply::ok(json!({"user_id": "U1"})),
    }))
    .await;
    let me: AuthTest = slack.client().call("auth.test", &json!({})).await.unwrap();
    assert_eq!(me.user_id.as_deref(), Some("U1"));
    assert_eq!(slack.requests().len(), 2);

    let slack = FakeSlack::start(move |_| limited()).await;
    let err = slack
        .client()
        .call::<AuthTest>("search.messages", &json!({"query": "x"}))
        .await
        .unwrap_err();
    assert_eq!(
        slack.requests().len(),
        4,
        "every attempt of the retry policy"
    );
    assert_eq!(err.code(), Some("ratelimited"));
    let tool = ToolError::from(err);
    assert_eq!(tool.kind, ToolErrorKind::RateLimited);
    assert!(
        tool.message.contains("try again in 1 s"),
        "{}",
        tool.message
    );
}

#[tokio::test]
async fn server_errors_are_retried_for_reads_but_not_for_posts() {
    let slack = FakeSlack::start(sequence(|n| match n {
        0 | 1 => Reply::raw(503, "<html>down</html>"),
        _ => Reply::ok(json!({"messages": []})),
    }))
    .await;
    slack
        .client()
        .call::<MessageList>("conversations.history", &json!({"channel": "C1"}))
        .await
        .unwrap();
    assert_eq!(slack.requests().len(), 3);

    let slack = FakeSlack::start(|_| Reply::raw(503, "<html>down</html>")).await;
    let err = slack
        .client()
        .call::<Posted>(
            "chat.postMessage",
            &json!({"channel": "C1", "text": "once"}),
        )
        .await
        .unwrap_err();
    assert_eq!(
        slack.requests().len(),
        1,
        "a post that may have gone through is not repeated"
    );
    let tool = ToolError::from(err);
    assert_eq!(tool.kind, ToolErrorKind::Unavailable);
    assert!(tool.message.contains("try again"), "{}", tool.message);
}

#[tokio::test]
async fn an_unreadable_success_is_an_internal_error_not_a_panic() {
    let slack = FakeSlack::start(|_| Reply::raw(200, r#"{"ok":true,"messages":"nope"}"#)).await;
    let err = slack
        .client()
        .call::<MessageList>("conversations.history", &json!({"channel": "C1"}))
        .await
        .unwrap_err();
    assert_eq!(ToolError::from(err).kind, ToolErrorKind::Internal);
}

#[tokio::test]
async fn a_bad_method_name_is_refused_before_any_request() {
    let slack = FakeSlack::start(|_| Reply::ok(json!({}))).await;
    let err = slack
        .client()
        .call::<AuthTest>("auth.test/../admin", &json!({}))
        .await
        .unwrap_err();
    assert_eq!(ToolError::from(err).kind, ToolErrorKind::Internal);
    assert!(slack.requests().is_empty());
    assert_eq!(slack.tokens_issued(), 0);
}

#[tokio::test]
async fn every_call_waits_for_its_pacing_slot() {
    let slack = FakeSlack::start(|_| Reply::ok(json!({"channel": "C1", "ts": "1.0"}))).await;
    let client = slack.client_with(Arc::new(RateLimits::default()));
    let start = std::time::Instant::now();
    for _ in 0..2 {
        client
            .call::<Posted>("chat.postMessage", &json!({"channel": "C1", "text": "x"}))
            .await
            .unwrap();
    }
    assert!(
        start.elapsed() >= std::time::Duration::from_millis(990),
        "the second post to a channel waits for the next second"
    );
    // A 429 holds the method for the time Slack asked.
    let limits = Arc::new(RateLimits::default());
    let slack = FakeSlack::start(|_| Reply {
        retry_after: Some("1"),
        ..Reply::raw(429, r#"{"ok":false,"error":"ratelimited"}"#)
    })
    .await;
    let client = slack.client_with(limits.clone()).with_retry(RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    });
    client
        .call::<AuthTest>("search.messages", &json!({"query": "x"}))
        .await
        .unwrap_err();
    let held = std::time::Instant::now();
    limits
        .acquire(&client.account_key(), "search.messages", None)
        .await;
    assert!(held.elapsed() >= std::time::Duration::from_millis(900));
}

#[test]
fn form_fields_follow_slacks_sdks() {
    let args = json!({"s": "x y", "n": 20, "b": false, "a": [{"id": "F1"}], "z": null});
    let fields = form_fields(args.as_object().unwrap());
    assert_eq!(
        fields,
        [
            ("s".to_owned(), "x y".to_owned()),
            ("n".to_owned(), "20".to_owned()),
            ("b".to_owned(), "false".to_owned()),
            ("a".to_owned(), r#"[{"id":"F1"}]"#.to_owned()),
        ]
    );
}

#[tokio::test]
async fn downloads_files_with_the_token_in_the_header() {
    let slack = FakeSlack::start(|r| {
        assert_eq!(r.method, "files-pri/T1-F1/report.pdf");
        Reply {
            content_type: "application/pdf",
            ..Reply::raw(200, "%PDF-1.7 bytes")
        }
    })
    .await;
    let url = slack.file_url("T1-F1/report.pdf");
    let file = slack.client().download(&url, 1024).await.unwrap();
    assert_eq!(file.bytes, b"%PDF-1.7 bytes");
    assert_eq!(file.content_type.as_deref(), Some("application/pdf"));
    let [request] = slack.requests().try_into().unwrap();
    assert_eq!(request.authorization.as_deref(), Some("Bearer xoxe.xoxp-1"));

    let err = slack.client().download(&url, 5).await.unwrap_err();
    assert_eq!(ToolError::from(err).kind, ToolErrorKind::InvalidArgument);
}

#[tokio::test]
async fn the_token_goes_to_slacks_hosts_only() {
    let slack = FakeSlack::start(|_| Reply::raw(200, "x")).await;
    let client = slack.client();
    for allowed in [
        "https://files.slack.com/files-pri/T1-F1/a.png",
        "https://slack.com/x",
        "https://acme.enterprise.slack.com/files/a",
        "https://files.slack-gov.com/files-pri/a",
    ] {
        assert!(
            client.may_send_token_to(&Url::parse(allowed).unwrap()),
            "{allowed}"
        );
    }
    for refused in [
        "http://files.slack.com/files-pri/T1-F1/a.png",
        "https://files.slack.com.evil.example/a",
        "https://evilslack.com/a",
        "https://drive.google.com/file/d/1",
        "http://127.0.0.1:1/files-pri/a",
    ] {
        assert!(
            !client.may_send_token_to(&Url::parse(refused).unwrap()),
            "{refused}"
        );
        let err = client.download(refused, 1024).await.unwrap_err();
        let err = ToolError::from(err);
        assert_eq!(err.kind, ToolErrorKind::InvalidArgument);
        assert!(err.message.contains("outside Slack"), "{}", err.message);
    }
    assert!(slack.requests().is_empty());
    assert_eq!(slack.tokens_issued(), 0, "no token was even fetched");
}

#[tokio::test]
async fn a_sign_in_page_instead_of_the_file_names_the_missing_scope() {
    let slack = FakeSlack::start(|_| Reply {
        content_type: "text/html; charset=utf-8",
        ..Reply::raw(200, "<html>sign in</html>")
    })
    .await;
    let err = slack
        .client()
        .download(&slack.file_url("T1-F1/a.png"), 1024)
        .await
        .unwrap_err();
    let err = ToolError::from(err);
    assert_eq!(err.kind, ToolErrorKind::PermissionDenied);
    assert!(err.message.contains("`files:read`"), "{}", err.message);

    let slack = FakeSlack::start(|_| Reply::raw(302, "")).await;
    let err = slack
        .client()
        .download(&slack.file_url("T1-F1/a.png"), 1024)
        .await
        .unwrap_err();
    assert_eq!(ToolError::from(err).kind, ToolErrorKind::PermissionDenied);

    let slack = FakeSlack::start(|_| Reply::raw(404, "")).await;
    let err = slack
        .client()
        .download(&slack.file_url("T1-F1/a.png"), 1024)
        .await
        .unwrap_err();
    assert_eq!(ToolError::from(err).kind, ToolErrorKind::NotFound);
}

#[tokio::test]
async fn a_rate_limit_said_in_a_200_answer_holds_the_method_too() {
    let limits = Arc::new(RateLimits::default());
    let slack = FakeSlack::start(|_| Reply {
        retry_after: Some("1"),
        ..Reply::error("ratelimited")
    })
    .await;
    let client = slack.client_with(limits.clone());
    let err = client
        .call::<Posted>("chat.postMessage", &json!({"channel": "C1", "text": "x"}))
        .await
        .unwrap_err();
    assert_eq!(ToolError::from(err).kind, ToolErrorKind::RateLimited);
    assert_eq!(slack.requests().len(), 1, "a post is not repeated");
    let held = std::time::Instant::now();
    limits
        .acquire(&client.account_key(), "chat.postMessage", Some("C2"))
        .await;
    assert!(held.elapsed() >= std::time::Duration::from_millis(900));
}

#[tokio::test]
async fn a_sign_in_page_gets_one_fresh_token_before_it_is_an_error() {
    // An expired token is sent to the sign-in page too: a fresh one fetches the file.
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    let slack = FakeSlack::start(move |r| {
        if count.fetch_add(1, Ordering::SeqCst) == 0 {
            return Reply::raw(302, "");
        }
        assert_eq!(r.authorization.as_deref(), Some("Bearer xoxe.xoxp-2"));
        Reply {
            content_type: "text/plain",
            ..Reply::raw(200, "the file")
        }
    })
    .await;
    let file = slack
        .client()
        .download(&slack.file_url("T1-F1/a.txt"), 1024)
        .await
        .unwrap();
    assert_eq!(file.bytes, b"the file");
    assert_eq!(slack.tokens_issued(), 2);

    // A sign-in page every time: one retry, then the error, and no loop.
    let slack = FakeSlack::start(|_| Reply::raw(302, "")).await;
    let err = slack
        .client()
        .download(&slack.file_url("T1-F1/a.txt"), 1024)
        .await
        .unwrap_err();
    assert!(ToolError::from(err).message.contains("`files:read`"));
    assert_eq!(slack.requests().len(), 2);
    assert_eq!(slack.tokens_issued(), 2);
}
