//! What a tool says about input that names nothing or no time: a not-found names the
//! resource and its kind for every kind the Google Chat tools touch, and a time bound outside
//! RFC 3339 or the years 1970–9999 is refused, naming the parameter, before any request.

use chatkey::protocol::SessionOptions;
use chatkey::providers::google_chat::emulator::{FailureSpec, data};
use serde_json::json;

use crate::support::{connect, ok, signed_in_world, tool_error};

fn space(id: &str) -> String {
    format!("spaces/{id}")
}

#[tokio::test]
async fn not_found_names_the_missing_resource_for_every_kind() {
    let world = signed_in_world(Default::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let engineering = space(data::ENGINEERING);
    let sent = ok(
        &client,
        "google_chat_send_message",
        json!({"space": engineering, "text": "a message without attachments"}),
    )
    .await;
    let message = sent["name"].as_str().unwrap().to_owned();
    let missing_message = format!("{engineering}/messages/nope123");

    let cases = [
        (
            "google_chat_get_space",
            json!({"space": "spaces/NOPE"}),
            "space spaces/NOPE was not found".to_owned(),
        ),
        (
            "google_chat_list_messages",
            json!({"space": "NOPE"}),
            "space spaces/NOPE was not found".to_owned(),
        ),
        (
            "google_chat_list_members",
            json!({"space": "NOPE"}),
            "space spaces/NOPE was not found".to_owned(),
        ),
        (
            "google_chat_get_message",
            json!({"message": missing_message}),
            format!("message {missing_message} was not found"),
        ),
        (
            "google_chat_list_reactions",
            json!({"message": missing_message}),
            format!("message {missing_message} was not found"),
        ),
        (
            "google_chat_delete_message",
            json!({"message": missing_message}),
            format!("message {missing_message} was not found"),
        ),
        (
            "google_chat_reply_to_thread",
            json!({"thread": format!("{engineering}/threads/gone42"), "text": "hi"}),
            format!("thread {engineering}/threads/gone42 was not found"),
        ),
        (
            "google_chat_get_thread",
            json!({"thread": format!("{engineering}/threads/gone42")}),
            format!("thread {engineering}/threads/gone42 was not found"),
        ),
        (
            "google_chat_download_attachment",
            json!({"message": format!("{message}/attachments/NOPE")}),
            format!("attachment {message}/attachments/NOPE was not found"),
        ),
        (
            "google_chat_get_user_info",
            json!({"user": "users/100000000000000000009"}),
            "person users/100000000000000000009 was not found".to_owned(),
        ),
    ];
    for (tool, args, expected) in cases {
        let err = tool_error(&client, tool, args.clone()).await;
        assert!(err.starts_with(&expected), "{tool} {args}: {err}");
        assert!(
            !err.contains("Requested entity"),
            "Google's generic text instead of the name: {err}"
        );
    }

    // A reaction that vanishes between chatkey finding it and deleting it.
    let added = ok(
        &client,
        "google_chat_add_reaction",
        json!({"message": message, "emoji": "🎉"}),
    )
    .await;
    let reaction = added["reaction"].as_str().unwrap().to_owned();
    world.emulator.knobs().fail_next(FailureSpec {
        status: 404,
        count: 1,
        path_prefix: Some(format!("/v1/{reaction}")),
        retry_after: None,
    });
    let err = tool_error(
        &client,
        "google_chat_remove_reaction",
        json!({"message": message, "emoji": "🎉"}),
    )
    .await;
    assert!(
        err.starts_with(&format!("reaction {reaction} was not found"))
            && err.contains("nothing was changed"),
        "{err}"
    );
}

#[tokio::test]
async fn time_bounds_outside_1970_to_9999_never_reach_google() {
    let world = signed_in_world(Default::default()).await;
    let client = connect(&world.app, SessionOptions::default()).await;
    let knobs = world.emulator.knobs();
    let engineering = space(data::ENGINEERING);
    knobs.clear_request_log();
    let cases = [
        (
            "google_chat_list_messages",
            json!({"space": engineering, "since": "0000-01-01T00:00:00Z"}),
            "`since`",
        ),
        (
            "google_chat_list_messages",
            json!({"space": engineering, "since": "0000-01-01"}),
            "`since`",
        ),
        (
            "google_chat_list_messages",
            json!({"space": engineering, "until": "1969-12-31T23:59:59Z"}),
            "`until`",
        ),
        (
            "google_chat_list_messages",
            json!({"space": engineering, "until": "9999-12-31T23:00:00-05:00"}),
            "`until`",
        ),
        (
            "google_chat_summarize_conversation",
            json!({"space": engineering, "since": "0000-01-01T00:00:00Z"}),
            "`since`",
        ),
        (
            "google_chat_mark_read",
            json!({"space": engineering, "until": "0000-01-01T00:00:00Z"}),
            "`until`",
        ),
        (
            "google_chat_list_messages",
            json!({"space": engineering, "since": "last tuesday"}),
            "`since`",
        ),
    ];
    for (tool, args, param) in cases {
        let err = tool_error(&client, tool, args.clone()).await;
        assert!(
            err.starts_with(&format!("invalid argument {param}")),
            "{tool} {args}: {err}"
        );
        assert!(
            err.contains("1970 to 9999") || err.contains("not a date"),
            "{err}"
        );
    }
    assert!(
        knobs.request_log().is_empty(),
        "a bad time bound reached the emulator: {:?}",
        knobs.request_log()
    );

    // The edges themselves are accepted (and an `until` near 1970 does not push the derived
    // `since` before it).
    for args in [
        json!({"space": engineering, "since": "1970-01-01T00:00:00Z"}),
        json!({"space": engineering, "until": "1970-01-02"}),
        json!({"space": engineering, "since": "9999-12-30", "until": "9999-12-31T23:59:59Z"}),
    ] {
        ok(&client, "google_chat_list_messages", args).await;
    }
    assert!(
        knobs.request_log().iter().all(|r| r.status == 200),
        "{:?}",
        knobs.request_log()
    );
}
