//! The Web API over real HTTP, part one: conversations and their visibility, history and
//! threads, posting, editing and deleting, read state and direct messages.

use chatkey::providers::slack::emulator::data;
use serde_json::{Value, json};

use super::support::*;

#[tokio::test]
async fn slack_conversations_as_a_user_sees_them() {
    let h = start().await;
    let api = Api::new(&h).await;
    let (all, _) = api
        .list_all(
            "conversations.list",
            &[
                ("types", "public_channel,private_channel,mpim,im"),
                ("limit", "4"),
            ],
            "channels",
        )
        .await;
    let ids: Vec<&str> = all.iter().map(|c| c["id"].as_str().unwrap()).collect();
    for id in [
        data::GENERAL,
        data::ENG,
        data::DESIGN,
        data::PHOENIX,
        data::LEADERSHIP,
        data::DM_ALEX_PRIYA,
        data::MPIM_LAUNCH,
    ] {
        assert!(ids.contains(&id), "{id} listed: {ids:?}");
    }
    for hidden in [data::SALES_DEALS, data::DM_PRIYA_SOFIA] {
        assert!(!ids.contains(&hidden), "{hidden} is not the caller's");
    }
    let design = all.iter().find(|c| c["id"] == data::DESIGN).unwrap();
    assert_eq!(design["is_member"], false);
    let dm = all.iter().find(|c| c["id"] == data::DM_ALEX_PRIYA).unwrap();
    assert_eq!(
        (dm["is_im"].clone(), dm["user"].clone()),
        (json!(true), json!(data::PRIYA))
    );
    let (public, _) = api
        .list_all(
            "conversations.list",
            &[("exclude_archived", "true")],
            "channels",
        )
        .await;
    assert!(
        public
            .iter()
            .all(|c| c["is_private"] == false && c["is_archived"] == false)
    );
    let (mine, _) = api
        .list_all(
            "users.conversations",
            &[("types", "public_channel,private_channel")],
            "channels",
        )
        .await;
    assert!(
        mine.iter().all(|c| c["is_member"].is_null()),
        "users.conversations has no is_member"
    );
    assert!(
        mine.iter()
            .any(|c| c["id"] == data::LEADERSHIP && c["last_read"].is_string())
    );
    assert!(!mine.iter().any(|c| c["id"] == data::DESIGN));

    let info = api
        .get(
            "conversations.info",
            &[("channel", data::ENG), ("include_num_members", "true")],
        )
        .await;
    assert_eq!(info["channel"]["name"], "eng");
    assert_eq!(info["channel"]["num_members"], 6);
    assert!(info["channel"]["last_read"].as_str().unwrap().contains('.'));
    let im = api
        .get("conversations.info", &[("channel", data::DM_ALEX_PRIYA)])
        .await;
    assert_eq!(im["channel"]["user"], data::PRIYA);
    assert_eq!(im["channel"]["unread_count"], 2);
    assert_eq!(
        err(&api
            .get("conversations.info", &[("channel", data::SALES_DEALS)])
            .await),
        "channel_not_found"
    );
    assert_eq!(
        err(&api.get("conversations.info", &[]).await),
        "invalid_arguments"
    );
    let (members, _) = api
        .list_all(
            "conversations.members",
            &[("channel", data::ENG), ("limit", "2")],
            "members",
        )
        .await;
    assert_eq!(
        members.len(),
        5,
        "the deactivated member is left out: {members:?}"
    );
}

#[tokio::test]
async fn slack_history_and_threads() {
    let h = start().await;
    let api = Api::new(&h).await;
    let refs = h.knobs().seed_refs();
    let page = api
        .get(
            "conversations.history",
            &[("channel", data::ENG), ("limit", "5")],
        )
        .await;
    let msgs = page["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 5);
    assert_eq!(page["has_more"], true);
    let ts: Vec<&str> = msgs.iter().map(|m| m["ts"].as_str().unwrap()).collect();
    assert!(ts.windows(2).all(|w| w[0] > w[1]), "newest first: {ts:?}");
    assert_eq!(msgs[0]["ts"], refs.unread_mention_ts.as_str());
    assert!(msgs[0]["text"].as_str().unwrap().contains("<@U01ALEXRIV>"));
    // The broadcast reply is in the channel's history with its root.
    let (all, _) = api
        .list_all(
            "conversations.history",
            &[("channel", data::ENG), ("limit", "200")],
            "messages",
        )
        .await;
    let broadcast = all
        .iter()
        .find(|m| {
            m["subtype"] == "thread_broadcast" && m["thread_ts"] == refs.release_thread_ts.as_str()
        })
        .unwrap();
    assert_eq!(broadcast["root"]["reply_count"], 4);
    let parent = all
        .iter()
        .find(|m| m["ts"] == refs.release_thread_ts.as_str())
        .unwrap();
    assert_eq!(parent["reply_count"], 4);
    assert_eq!(parent["reply_users_count"], 3);
    assert_eq!(parent["reactions"][0]["name"], "eyes");
    assert!(
        all.iter().all(|m| m["thread_ts"].is_null()
            || m["thread_ts"] == m["ts"]
            || m["subtype"] == "thread_broadcast"),
        "no plain replies in history"
    );
    let file_msg = all
        .iter()
        .find(|m| m["ts"] == refs.file_message_ts.as_str())
        .unwrap();
    assert_eq!(file_msg["files"][0]["id"], refs.file_id.as_str());
    // Window: oldest/latest exclusive unless inclusive.
    let exact = api
        .get(
            "conversations.history",
            &[
                ("channel", data::ENG),
                ("oldest", &refs.file_message_ts),
                ("latest", &refs.file_message_ts),
                ("inclusive", "true"),
            ],
        )
        .await;
    assert_eq!(exact["messages"].as_array().unwrap().len(), 1);
    let none = api
        .get(
            "conversations.history",
            &[
                ("channel", data::ENG),
                ("oldest", &refs.file_message_ts),
                ("latest", &refs.file_message_ts),
            ],
        )
        .await;
    assert_eq!(none["messages"].as_array().unwrap().len(), 0);
    assert_eq!(none["response_metadata"]["next_cursor"], "");
    assert_eq!(
        err(&api
            .get(
                "conversations.history",
                &[("channel", data::ENG), ("oldest", "yesterday")]
            )
            .await),
        "invalid_ts_oldest"
    );

    let thread = api
        .get(
            "conversations.replies",
            &[("channel", data::ENG), ("ts", &refs.release_thread_ts)],
        )
        .await;
    let replies = thread["messages"].as_array().unwrap();
    assert_eq!(replies.len(), 5, "parent plus four replies");
    assert_eq!(replies[0]["ts"], refs.release_thread_ts.as_str());
    assert!(
        replies[1..]
            .iter()
            .all(|r| r["parent_user_id"] == data::PRIYA)
    );
    assert_eq!(
        err(&api
            .get(
                "conversations.replies",
                &[("channel", data::ENG), ("ts", "1000000000.000001")]
            )
            .await),
        "thread_not_found"
    );
}

#[tokio::test]
async fn slack_posting_editing_deleting() {
    let h = start().await;
    let api = Api::new(&h).await;
    let refs = h.knobs().seed_refs();
    let posted = api
        .json(
            "chat.postMessage",
            json!({"channel": data::ENG, "text": "Ship it <@U02PRIYANT> &amp; go"}),
        )
        .await;
    assert_eq!(posted["ok"], true, "{posted}");
    assert_eq!(
        posted["warning"],
        serde_json::Value::Null,
        "charset given, no warning"
    );
    let ts = posted["ts"].as_str().unwrap().to_string();
    assert_eq!(posted["message"]["user"], data::PRIMARY_USER);
    assert_eq!(posted["channel"], data::ENG);
    // JSON without a charset earns Slack's missing_charset warning.
    let resp = http()
        .post(format!("{}/chat.postMessage", h.api_url()))
        .bearer_auth(&api.token)
        .json(&json!({"channel": data::ENG, "text": "warned"}))
        .send()
        .await
        .unwrap();
    let warned: Value = resp.json().await.unwrap();
    assert_eq!(warned["warning"], "missing_charset");
    assert_eq!(
        warned["response_metadata"]["warnings"][0],
        "missing_charset"
    );
    // A thread_ts that names no message posts top-level, as Slack does.
    let stray = api
        .post(
            "chat.postMessage",
            &[
                ("channel", data::ENG),
                ("text", "lost"),
                ("thread_ts", "1000000000.000100"),
            ],
        )
        .await;
    assert_eq!(stray["ok"], true);
    assert!(stray["message"].get("thread_ts").is_none(), "{stray}");
    let reply = api
        .post(
            "chat.postMessage",
            &[
                ("channel", data::ENG),
                ("text", "on it"),
                ("thread_ts", &refs.release_thread_ts),
                ("reply_broadcast", "true"),
            ],
        )
        .await;
    assert_eq!(
        reply["message"]["thread_ts"],
        refs.release_thread_ts.as_str()
    );
    assert_eq!(reply["message"]["subtype"], "thread_broadcast");
    let by_name = api
        .post(
            "chat.postMessage",
            &[("channel", "#random"), ("text", "hi")],
        )
        .await;
    assert_eq!(by_name["channel"], data::RANDOM);
    assert_eq!(
        err(&api
            .post(
                "chat.postMessage",
                &[("channel", data::DESIGN), ("text", "x")]
            )
            .await),
        "not_in_channel"
    );
    assert_eq!(
        err(&api
            .post(
                "chat.postMessage",
                &[("channel", data::SALES_DEALS), ("text", "x")]
            )
            .await),
        "channel_not_found"
    );
    assert_eq!(
        err(&api
            .post(
                "chat.postMessage",
                &[("channel", data::PHOENIX), ("text", "x")]
            )
            .await),
        "is_archived"
    );
    assert_eq!(
        err(&api
            .post("chat.postMessage", &[("channel", data::ENG), ("text", " ")])
            .await),
        "no_text"
    );
    let long = "x".repeat(40_001);
    assert_eq!(
        err(&api
            .post(
                "chat.postMessage",
                &[("channel", data::ENG), ("text", &long)]
            )
            .await),
        "msg_too_long"
    );

    let updated = api
        .post(
            "chat.update",
            &[("channel", data::ENG), ("ts", &ts), ("text", "Ship it now")],
        )
        .await;
    assert_eq!(updated["text"], "Ship it now");
    assert_eq!(updated["message"]["edited"]["user"], data::PRIMARY_USER);
    let theirs = refs.unread_mention_ts.as_str();
    assert_eq!(
        err(&api
            .post(
                "chat.update",
                &[("channel", data::ENG), ("ts", theirs), ("text", "mine now")]
            )
            .await),
        "cant_update_message"
    );
    assert_eq!(
        err(&api
            .post("chat.delete", &[("channel", data::ENG), ("ts", theirs)])
            .await),
        "cant_delete_message"
    );
    assert_eq!(
        err(&api
            .post(
                "chat.delete",
                &[("channel", data::ENG), ("ts", "1000000000.000001")]
            )
            .await),
        "message_not_found"
    );
    let link = api
        .get(
            "chat.getPermalink",
            &[("channel", data::ENG), ("message_ts", &ts)],
        )
        .await;
    assert!(
        link["permalink"]
            .as_str()
            .unwrap()
            .starts_with("https://acme.slack.com/archives/C02ENGINEER/p")
    );
    let deleted = api
        .post("chat.delete", &[("channel", data::ENG), ("ts", &ts)])
        .await;
    assert_eq!(deleted["ts"], ts.as_str());
    assert_eq!(
        err(&api
            .get(
                "chat.getPermalink",
                &[("channel", data::ENG), ("message_ts", &ts)]
            )
            .await),
        "message_not_found"
    );

    // Deleting a parent with replies leaves a tombstone.
    let parent = api
        .post(
            "chat.postMessage",
            &[("channel", data::ENG), ("text", "parent")],
        )
        .await["ts"]
        .as_str()
        .unwrap()
        .to_string();
    api.post(
        "chat.postMessage",
        &[
            ("channel", data::ENG),
            ("text", "child"),
            ("thread_ts", &parent),
        ],
    )
    .await;
    api.post("chat.delete", &[("channel", data::ENG), ("ts", &parent)])
        .await;
    let latest = api
        .get(
            "conversations.history",
            &[("channel", data::ENG), ("limit", "1")],
        )
        .await;
    assert_eq!(latest["messages"][0]["subtype"], "tombstone");
}

#[tokio::test]
async fn slack_read_state_and_direct_messages() {
    let h = start().await;
    let api = Api::new(&h).await;
    let opened = api
        .post("conversations.open", &[("users", data::PRIYA)])
        .await;
    assert_eq!(opened["channel"]["id"], data::DM_ALEX_PRIYA);
    assert_eq!(opened["already_open"], true);
    let full = api
        .post(
            "conversations.open",
            &[("users", data::PRIYA), ("return_im", "true")],
        )
        .await;
    assert_eq!(full["channel"]["user"], data::PRIYA);
    let fresh = api
        .post("conversations.open", &[("users", data::YUKI)])
        .await;
    let dm = fresh["channel"]["id"].as_str().unwrap().to_string();
    assert!(dm.starts_with('D') && fresh.get("already_open").is_none());
    assert_eq!(
        api.post("conversations.open", &[("users", data::YUKI)])
            .await["channel"]["id"],
        dm.as_str()
    );
    let group = api
        .post(
            "conversations.open",
            &[("users", &format!("{},{}", data::PRIYA, data::MARCUS))],
        )
        .await;
    assert_eq!(group["channel"]["id"], data::MPIM_LAUNCH);
    assert_eq!(
        err(&api
            .post("conversations.open", &[("users", "U0NOBODY00")])
            .await),
        "user_not_found"
    );
    assert_eq!(
        err(&api
            .post("conversations.open", &[("users", data::OLIVER)])
            .await),
        "user_disabled"
    );

    let newest = api
        .get(
            "conversations.history",
            &[("channel", data::DM_ALEX_PRIYA), ("limit", "1")],
        )
        .await["messages"][0]["ts"]
        .as_str()
        .unwrap()
        .to_string();
    let marked = api
        .json(
            "conversations.mark",
            json!({"channel": data::DM_ALEX_PRIYA, "ts": newest}),
        )
        .await;
    assert_eq!(marked["ok"], true, "{marked}");
    let info = api
        .get("conversations.info", &[("channel", data::DM_ALEX_PRIYA)])
        .await;
    assert_eq!(info["channel"]["last_read"], newest.as_str());
    assert_eq!(info["channel"]["unread_count"], 0);
    assert_eq!(
        err(&api
            .post(
                "conversations.mark",
                &[("channel", data::DESIGN), ("ts", &newest)]
            )
            .await),
        "not_in_channel"
    );
}
