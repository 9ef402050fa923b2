//! Chat resources around messages: memberships and direct messages, reactions, attachments
//! (upload, post, download) and read state.

use chatkey::providers::google_chat::emulator::data;
use serde_json::{Value, json};

use super::support::*;

fn eng(path: &str) -> String {
    format!("/v1/spaces/{}{path}", data::ENGINEERING)
}

#[tokio::test]
async fn members_and_direct_messages() {
    let h = start().await;
    let api = Api::new(&h).await;
    let (list, pages) = api
        .list_all(&eng("/members?pageSize=3"), "memberships")
        .await;
    assert_eq!((list.len(), pages), (8, 3));
    assert_eq!(
        list[0]["member"],
        json!({"name": format!("users/{}", data::ALEX), "type": "HUMAN"})
    );
    assert_eq!(list[0]["state"], "JOINED");
    let f = urlencode("role = \"ROLE_MANAGER\"");
    let (_, managers) = api.get(&eng(&format!("/members?filter={f}"))).await;
    assert_eq!(managers["memberships"].as_array().unwrap().len(), 2);
    assert_eq!(
        api.get(&eng(&format!(
            "/members?filter={}",
            urlencode("role = \"BOSS\"")
        )))
        .await
        .0,
        400
    );
    let (s, m) = api.get(&eng(&format!("/members/{}", data::YUKI))).await;
    assert_eq!(
        (s, m["name"].as_str()),
        (
            200,
            Some(format!("spaces/{}/members/{}", data::ENGINEERING, data::YUKI).as_str())
        )
    );
    let (s, m) = api.get(&eng("/members/yuki.tanaka@example.com")).await;
    assert_eq!(
        (s, m["member"]["name"].as_str()),
        (200, Some(format!("users/{}", data::YUKI).as_str()))
    );
    // Add and remove Sofia in Incidents (Alex is a plain member there, so only self-removal).
    let inc = format!("/v1/spaces/{}/members", data::INCIDENTS);
    let (s, added) = api
        .post(
            &inc,
            json!({"member": {"name": format!("users/{}", data::SOFIA), "type": "HUMAN"}}),
        )
        .await;
    assert_eq!(
        (s, added["role"].as_str()),
        (200, Some("ROLE_MEMBER")),
        "{added}"
    );
    assert_eq!(
        api.post(
            &inc,
            json!({"member": {"name": format!("users/{}", data::SOFIA), "type": "HUMAN"}})
        )
        .await
        .0,
        409
    );
    assert_eq!(
        api.delete(&format!("{inc}/{}", data::SOFIA)).await.0,
        403,
        "not a manager"
    );
    let (s, removed) = api.delete(&eng(&format!("/members/{}", data::SOFIA))).await;
    assert_eq!(
        (s, removed["member"]["name"].as_str()),
        (200, Some(format!("users/{}", data::SOFIA).as_str()))
    );
    assert_eq!(
        api.get(&eng(&format!("/members/{}", data::SOFIA))).await.0,
        404
    );
    assert_eq!(
        api.post(
            &format!("/v1/spaces/{}/members", data::DM_ALEX_PRIYA),
            json!({"member": {"name": "users/yuki.tanaka@example.com"}})
        )
        .await
        .0,
        400
    );
    let (s, dm) = api
        .get(&format!(
            "/v1/spaces:findDirectMessage?name=users/{}",
            data::PRIYA
        ))
        .await;
    assert_eq!(
        (s, dm["name"].as_str()),
        (
            200,
            Some(format!("spaces/{}", data::DM_ALEX_PRIYA).as_str())
        )
    );
    let (s, dm) = api
        .get("/v1/spaces:findDirectMessage?name=users/marcus.chen@example.com")
        .await;
    assert_eq!(
        (s, dm["name"].as_str()),
        (
            200,
            Some(format!("spaces/{}", data::DM_ALEX_MARCUS).as_str())
        )
    );
    assert_eq!(
        api.get(&format!(
            "/v1/spaces:findDirectMessage?name=users/{}",
            data::YUKI
        ))
        .await
        .0,
        404
    );
    assert_eq!(api.get("/v1/spaces:findDirectMessage").await.0, 400);
}

#[tokio::test]
async fn reactions() {
    let h = start().await;
    let api = Api::new(&h).await;
    let (_, m) = api
        .post(&eng("/messages"), json!({"text": "ship it?"}))
        .await;
    let r_path = format!("/v1/{}/reactions", m["name"].as_str().unwrap());
    let (s, r) = api.post(&r_path, json!({"emoji": {"unicode": "🚀"}})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["user"]["name"], format!("users/{}", data::PRIMARY_USER));
    assert!(
        r["name"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/reactions/", m["name"].as_str().unwrap()))
    );
    assert_eq!(
        api.post(&r_path, json!({"emoji": {"unicode": "🚀"}}))
            .await
            .0,
        409
    );
    api.post(&r_path, json!({"emoji": {"unicode": "👍"}})).await;
    let (_, list) = api.get(&r_path).await;
    assert_eq!(list["reactions"].as_array().unwrap().len(), 2);
    let f = urlencode("emoji.unicode = \"👍\" OR emoji.unicode = \"🎉\"");
    let (_, some) = api.get(&format!("{r_path}?filter={f}")).await;
    assert_eq!(some["reactions"].as_array().unwrap().len(), 1);
    let f = urlencode(&format!("user.name = \"users/{}\"", data::YUKI));
    assert_eq!(api.get(&format!("{r_path}?filter={f}")).await.1, json!({}));
    assert_eq!(
        api.get(&format!("{r_path}?filter={}", urlencode("emoji = \"x\"")))
            .await
            .0,
        400
    );
    let (_, msg) = api
        .get(&format!("/v1/{}", m["name"].as_str().unwrap()))
        .await;
    assert_eq!(msg["emojiReactionSummaries"].as_array().unwrap().len(), 2);
    let (s, b) = api
        .delete(&format!("/v1/{}", r["name"].as_str().unwrap()))
        .await;
    assert_eq!((s, b), (200, json!({})));
    let (_, list) = api.get(&r_path).await;
    assert_eq!(list["reactions"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn attachments_upload_post_download() {
    let h = start().await;
    let api = Api::new(&h).await;
    let data_bytes = b"line one\r\nline two\n\x00\xff binary ok";
    let (ct, body) = multipart("notes.txt", "text/plain", data_bytes);
    let upload = url(
        &h,
        &format!(
            "/upload/v1/spaces/{}/attachments:upload?uploadType=multipart",
            data::ENGINEERING
        ),
    );
    let resp = http()
        .post(upload.clone())
        .bearer_auth(&api.token)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let up: Value = resp.json().await.unwrap();
    let media = up["attachmentDataRef"]["resourceName"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, m) = api.post(&eng("/messages"), json!({"text": "notes attached", "attachment": [{"attachmentDataRef": up["attachmentDataRef"]}]})).await;
    assert_eq!(s, 200, "{m}");
    let a = &m["attachment"][0];
    assert_eq!(
        (
            a["contentName"].as_str(),
            a["contentType"].as_str(),
            a["source"].as_str()
        ),
        (
            Some("notes.txt"),
            Some("text/plain"),
            Some("UPLOADED_CONTENT")
        )
    );
    let resp = http()
        .get(url(&h, &format!("/v1/media/{media}?alt=media")))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/plain");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), data_bytes);
    let (s, meta) = api.get(&format!("/v1/media/{media}")).await;
    assert_eq!((s, meta), (200, json!({"resourceName": media})));
    // attachments.get is app-only (chat.bot) in the discovery document.
    let (s, b) = api
        .get(&format!("/v1/{}", a["name"].as_str().unwrap()))
        .await;
    assert_eq!((s, reason(&b)), (403, "ACCESS_TOKEN_SCOPE_INSUFFICIENT"));
    let resp = http()
        .post(upload.as_str().replace("multipart", "media"))
        .bearer_auth(&api.token)
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(api.get("/v1/media/unknown?alt=media").await.0, 404);
    assert_eq!(
        api.post(
            &eng("/messages"),
            json!({"attachment": [{"attachmentDataRef": {"resourceName": "nope"}}]})
        )
        .await
        .0,
        400
    );
}

#[tokio::test]
async fn read_state() {
    let h = start().await;
    let api = Api::new(&h).await;
    let path = format!("/v1/users/me/spaces/{}/spaceReadState", data::ENGINEERING);
    let (s, rs) = api.get(&path).await;
    assert_eq!(s, 200);
    assert_eq!(
        rs["name"],
        format!(
            "users/{}/spaces/{}/spaceReadState",
            data::PRIMARY_USER,
            data::ENGINEERING
        )
    );
    let (all, _) = api
        .list_all(&eng("/messages?pageSize=1000"), "messages")
        .await;
    let read = rs["lastReadTime"].as_str().unwrap();
    let unread = all
        .iter()
        .filter(|m| m["createTime"].as_str().unwrap() > read)
        .count();
    assert_eq!(unread, 5, "seeded unread messages");
    assert_eq!(
        api.patch(&path, json!({"lastReadTime": "2999-01-01T00:00:00Z"}))
            .await
            .0,
        400,
        "updateMask required"
    );
    let (s, rs) = api
        .patch(
            &format!("{path}?updateMask=lastReadTime"),
            json!({"lastReadTime": "2999-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(s, 200, "{rs}");
    assert_eq!(
        rs["lastReadTime"],
        all.last().unwrap()["createTime"],
        "coerced to the newest message"
    );
    assert_eq!(
        api.get(&format!(
            "/v1/users/{}/spaces/{}/spaceReadState",
            data::PRIYA,
            data::ENGINEERING
        ))
        .await
        .0,
        403
    );
    assert_eq!(
        api.get(&format!(
            "/v1/users/me/spaces/{}/spaceReadState",
            data::SALES_LEADERSHIP
        ))
        .await
        .0,
        403
    );
}
