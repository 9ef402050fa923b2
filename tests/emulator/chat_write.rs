//! Chat writes: posting (threads, requestId, mentions, client ids), editing and deleting.

use chatkey::providers::google_chat::emulator::data;
use serde_json::json;

use super::support::*;

fn eng(path: &str) -> String {
    format!("/v1/spaces/{}{path}", data::ENGINEERING)
}

#[tokio::test]
async fn post_and_request_id_idempotency() {
    let h = start().await;
    let api = Api::new(&h).await;
    let (before, _) = api
        .list_all(&eng("/messages?pageSize=1000"), "messages")
        .await;
    let (s, m) = api
        .post(
            &eng("/messages?requestId=req-1"),
            json!({"text": "deploying now"}),
        )
        .await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["text"], "deploying now");
    assert_eq!(m["sender"]["name"], format!("users/{}", data::PRIMARY_USER));
    assert!(m.get("threadReply").is_none());
    let (_, again) = api
        .post(
            &eng("/messages?requestId=req-1"),
            json!({"text": "deploying now"}),
        )
        .await;
    assert_eq!(again["name"], m["name"], "same requestId, same message");
    let (after, _) = api
        .list_all(&eng("/messages?pageSize=1000"), "messages")
        .await;
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(after.last().unwrap()["name"], m["name"]);
    let (s, b) = api.post(&eng("/messages"), json!({"text": ""})).await;
    assert_eq!(
        (s, b["error"]["status"].as_str()),
        (400, Some("INVALID_ARGUMENT"))
    );
    let (s, b) = api
        .post(&eng("/messages"), json!({"text": "x", "colour": "red"}))
        .await;
    assert_eq!(s, 400);
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Unknown name \"colour\"")
    );
    assert_eq!(
        api.post(&eng("/messages?bogus=1"), json!({"text": "x"}))
            .await
            .0,
        400
    );
    assert_eq!(
        api.post(
            &format!("/v1/spaces/{}/messages", data::SALES_LEADERSHIP),
            json!({"text": "x"})
        )
        .await
        .0,
        403
    );
}

#[tokio::test]
async fn reply_options_follow_chat_rules() {
    let h = start().await;
    let api = Api::new(&h).await;
    let (_, root) = api.post(&eng("/messages"), json!({"text": "root"})).await;
    let thread = root["thread"]["name"].as_str().unwrap().to_string();
    // Unset reply option: the thread in the body is ignored, a new thread starts.
    let (_, m) = api
        .post(
            &eng("/messages"),
            json!({"text": "a", "thread": {"name": thread}}),
        )
        .await;
    assert_ne!(m["thread"]["name"], thread.as_str());
    let (_, m) = api
        .post(
            &eng("/messages?messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"),
            json!({"text": "b", "thread": {"name": thread}}),
        )
        .await;
    assert_eq!(m["thread"]["name"], thread.as_str());
    assert_eq!(m["threadReply"], true);
    let (_, m) = api
        .post(
            &eng("/messages?messageReplyOption=REPLY_MESSAGE_OR_FAIL"),
            json!({"text": "c", "thread": {"name": thread}}),
        )
        .await;
    assert_eq!(m["thread"]["name"], thread.as_str());
    let missing = eng("/threads/doesnotexist")
        .trim_start_matches("/v1/")
        .to_string();
    let (_, m) = api
        .post(
            &eng("/messages?messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"),
            json!({"text": "d", "thread": {"name": missing}}),
        )
        .await;
    assert_ne!(m["thread"]["name"], missing.as_str());
    let (s, b) = api
        .post(
            &eng("/messages?messageReplyOption=REPLY_MESSAGE_OR_FAIL"),
            json!({"text": "e", "thread": {"name": missing}}),
        )
        .await;
    assert_eq!((s, b["error"]["status"].as_str()), (404, Some("NOT_FOUND")));
    assert_eq!(
        api.post(
            &eng("/messages?messageReplyOption=SOMETIMES"),
            json!({"text": "f"})
        )
        .await
        .0,
        400
    );
    // A thread key starts a thread once and replies after.
    let opt = "?messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD";
    let (_, k1) = api
        .post(
            &eng(&format!("/messages{opt}")),
            json!({"text": "g", "thread": {"threadKey": "deploy-42"}}),
        )
        .await;
    let (_, k2) = api
        .post(
            &eng(&format!("/messages{opt}")),
            json!({"text": "h", "thread": {"threadKey": "deploy-42"}}),
        )
        .await;
    assert_eq!(k1["thread"]["name"], k2["thread"]["name"]);
    assert_eq!(k2["threadReply"], true);
    let (_, k3) = api
        .post(
            &eng("/messages?threadKey=deploy-42"),
            json!({"text": "legacy"}),
        )
        .await;
    assert_eq!(k3["thread"]["name"], k1["thread"]["name"]);
}

#[tokio::test]
async fn mentions_and_client_ids() {
    let h = start().await;
    let api = Api::new(&h).await;
    let text = format!("<users/{}> can you look? cc <users/all>", data::PRIYA);
    let (s, m) = api
        .post(
            &eng("/messages?messageId=client-deploy-check"),
            json!({"text": text}),
        )
        .await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["text"], "@Priya Natarajan can you look? cc @all");
    assert_eq!(m["formattedText"], text.as_str());
    assert_eq!(m["clientAssignedMessageId"], "client-deploy-check");
    let ann = &m["annotations"][0];
    assert_eq!(
        (ann["startIndex"].as_u64(), ann["length"].as_u64()),
        (Some(0), Some(16))
    );
    assert_eq!(
        ann["userMention"]["user"]["name"],
        format!("users/{}", data::PRIYA)
    );
    assert_eq!(
        m["annotations"][1]["userMention"]["user"]["name"],
        "users/all"
    );
    let (s, by_client) = api.get(&eng("/messages/client-deploy-check")).await;
    assert_eq!((s, &by_client["name"]), (200, &m["name"]));
    assert_eq!(
        api.post(
            &eng("/messages?messageId=client-deploy-check"),
            json!({"text": "x"})
        )
        .await
        .0,
        409
    );
    assert_eq!(
        api.post(&eng("/messages?messageId=Deploy"), json!({"text": "x"}))
            .await
            .0,
        400
    );
}

#[tokio::test]
async fn edit_and_delete() {
    let h = start().await;
    let api = Api::new(&h).await;
    let (_, m) = api.post(&eng("/messages"), json!({"text": "tpyo"})).await;
    let path = format!("/v1/{}", m["name"].as_str().unwrap());
    assert_eq!(
        api.patch(&path, json!({"text": "typo"})).await.0,
        400,
        "updateMask is required"
    );
    let (s, e) = api
        .patch(&format!("{path}?updateMask=text"), json!({"text": "typo"}))
        .await;
    assert_eq!(s, 200, "{e}");
    assert_eq!(e["text"], "typo");
    assert!(e["lastUpdateTime"].is_string());
    let (s, e) = api
        .call(
            reqwest::Method::PUT,
            &format!("{path}?updateMask=text"),
            Some(json!({"text": "typo!"})),
        )
        .await;
    assert_eq!((s, e["text"].as_str()), (200, Some("typo!")));
    // Someone else's message.
    let (all, _) = api
        .list_all(&eng("/messages?pageSize=1000"), "messages")
        .await;
    let other = all
        .iter()
        .find(|m| m["sender"]["name"] != format!("users/{}", data::PRIMARY_USER))
        .unwrap();
    let other_path = format!("/v1/{}", other["name"].as_str().unwrap());
    assert_eq!(
        api.patch(
            &format!("{other_path}?updateMask=text"),
            json!({"text": "mine now"})
        )
        .await
        .0,
        403
    );
    let (s, b) = api.delete(&path).await;
    assert_eq!((s, b), (200, json!({})));
    assert_eq!(api.get(&path).await.0, 404);
    assert_eq!(api.delete(&path).await.0, 404);
    let (shown, _) = api
        .list_all(&eng("/messages?pageSize=1000&showDeleted=true"), "messages")
        .await;
    let gone = shown
        .iter()
        .find(|x| x["name"] == m["name"])
        .expect("showDeleted lists it");
    assert_eq!(gone["deletionMetadata"]["deletionType"], "CREATOR");
    assert!(gone.get("text").is_none());
}
