//! Chat reads: visibility, filters, pagination, clamping, ordering and the seeded history.

use chatkey::providers::google_chat::emulator::data;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::support::*;

fn names(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect()
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v["createTime"].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

#[tokio::test]
async fn spaces_list_shows_only_the_callers_spaces() {
    let h = start().await;
    let api = Api::new(&h).await;
    let (s, body) = api.get("/v1/spaces").await;
    assert_eq!(s, 200);
    assert!(body.get("nextPageToken").is_none());
    let spaces = body["spaces"].as_array().unwrap();
    let got = names(spaces);
    assert_eq!(got.len(), 7, "{got:?}");
    assert!(got.contains(&format!("spaces/{}", data::ENGINEERING)));
    assert!(!got.contains(&format!("spaces/{}", data::SALES_LEADERSHIP)));
    assert!(!got.contains(&format!("spaces/{}", data::DM_PRIYA_SOFIA)));
    let dm = spaces
        .iter()
        .find(|s| s["name"] == format!("spaces/{}", data::DM_ALEX_PRIYA))
        .unwrap();
    assert_eq!(dm["spaceType"], "DIRECT_MESSAGE");
    assert_eq!(dm["type"], "DM");
    assert_eq!(dm["singleUserBotDm"], false);
    assert!(dm.get("displayName").is_none());
    let eng = spaces
        .iter()
        .find(|s| s["displayName"] == "Engineering")
        .unwrap();
    assert_eq!(eng["spaceType"], "SPACE");
    assert_eq!(eng["spaceThreadingState"], "THREADED_MESSAGES");
    assert_eq!(eng["membershipCount"]["joinedDirectHumanUserCount"], 8);
    assert!(eng["createTime"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn spaces_filter_by_type() {
    let h = start().await;
    let api = Api::new(&h).await;
    let q = |f: &str| format!("/v1/spaces?filter={}", urlencode(f));
    let (_, b) = api.get(&q("spaceType = \"SPACE\"")).await;
    assert_eq!(b["spaces"].as_array().unwrap().len(), 4);
    let (_, b) = api
        .get(&q("spaceType = \"SPACE\" OR spaceType = \"GROUP_CHAT\""))
        .await;
    assert_eq!(b["spaces"].as_array().unwrap().len(), 5);
    let (_, b) = api.get(&q("space_type = \"DIRECT_MESSAGE\"")).await;
    assert_eq!(b["spaces"].as_array().unwrap().len(), 2);
    for bad in [
        "spaceType = \"SPACE\" AND spaceType = \"GROUP_CHAT\"",
        "displayName = \"x\"",
        "spaceType = \"ROOM\"",
        "spaceType =",
    ] {
        let (s, b) = api.get(&q(bad)).await;
        assert_eq!(
            (s, b["error"]["status"].as_str()),
            (400, Some("INVALID_ARGUMENT")),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn spaces_pagination_and_clamping() {
    let h = start().await;
    let api = Api::new(&h).await;
    let (all, pages) = api.list_all("/v1/spaces?pageSize=2", "spaces").await;
    assert_eq!((all.len(), pages), (7, 4));
    let (_, one) = api.get("/v1/spaces").await;
    assert_eq!(names(&all), names(one["spaces"].as_array().unwrap()));
    let (s, b) = api.get("/v1/spaces?pageSize=5000").await;
    assert_eq!((s, b["spaces"].as_array().unwrap().len()), (200, 7));
    assert_eq!(api.get("/v1/spaces?pageSize=-1").await.0, 400);
    assert_eq!(api.get("/v1/spaces?pageToken=bogus").await.0, 400);
    // A token from one filter cannot be replayed against another.
    let (_, first) = api.get("/v1/spaces?pageSize=1").await;
    let token = urlencode(first["nextPageToken"].as_str().unwrap());
    let other = format!(
        "/v1/spaces?pageSize=1&pageToken={token}&filter={}",
        urlencode("spaceType = \"SPACE\"")
    );
    assert_eq!(api.get(&other).await.0, 400);
}

#[tokio::test]
async fn space_get_visibility() {
    let h = start().await;
    let api = Api::new(&h).await;
    let (s, b) = api.get(&format!("/v1/spaces/{}", data::INCIDENTS)).await;
    assert_eq!((s, b["displayName"].as_str()), (200, Some("Incidents")));
    let (s, b) = api
        .get(&format!("/v1/spaces/{}", data::SALES_LEADERSHIP))
        .await;
    assert_eq!(
        (s, b["error"]["status"].as_str()),
        (403, Some("PERMISSION_DENIED"))
    );
    let (s, b) = api.get("/v1/spaces/AAAAnotthere").await;
    assert_eq!((s, b["error"]["status"].as_str()), (404, Some("NOT_FOUND")));
    let (s, _) = api.get(&format!("/v1/messages/{}", data::INCIDENTS)).await;
    assert_eq!(s, 404);
    assert_eq!(
        api.get(&format!("/v1/spaces/{}/messages", data::SALES_LEADERSHIP))
            .await
            .0,
        403
    );
}

#[tokio::test]
async fn messages_paginate_and_order() {
    let h = start().await;
    let api = Api::new(&h).await;
    let path = format!("/v1/spaces/{}/messages", data::ENGINEERING);
    let (_, first) = api.get(&path).await;
    assert_eq!(
        first["messages"].as_array().unwrap().len(),
        25,
        "default page size"
    );
    assert!(first["nextPageToken"].is_string());
    let (all, pages) = api
        .list_all(&format!("{path}?pageSize=100"), "messages")
        .await;
    assert!(all.len() > 150, "{}", all.len());
    assert_eq!(pages, all.len().div_ceil(100));
    assert!(
        all.windows(2).all(|w| time(&w[0]) <= time(&w[1])),
        "ascending by default"
    );
    let (_, big) = api.get(&format!("{path}?pageSize=100000")).await;
    let big = big["messages"].as_array().unwrap();
    assert_eq!(big.len(), all.len().min(1000));
    let (desc, _) = api
        .list_all(
            &format!(
                "{path}?pageSize=100&orderBy={}",
                urlencode("createTime desc")
            ),
            "messages",
        )
        .await;
    let mut reversed = names(&all);
    reversed.reverse();
    assert_eq!(names(&desc), reversed);
    assert_eq!(api.get(&format!("{path}?orderBy=text")).await.0, 400);
    // Shapes: user-auth senders carry no display name; times have microseconds.
    let m = &all[0];
    assert_eq!(m["sender"]["type"], "HUMAN");
    assert!(m["sender"].get("displayName").is_none());
    assert_eq!(
        m["space"],
        json!({ "name": format!("spaces/{}", data::ENGINEERING) })
    );
    assert_eq!(
        m["createTime"].as_str().unwrap().len(),
        "2026-11-20T09:14:03.123456Z".len()
    );
    assert_eq!(m["argumentText"], m["text"]);
}

#[tokio::test]
async fn messages_filter_by_time_and_thread() {
    let h = start().await;
    let api = Api::new(&h).await;
    let path = format!("/v1/spaces/{}/messages", data::ENGINEERING);
    let (all, _) = api
        .list_all(&format!("{path}?pageSize=1000"), "messages")
        .await;
    let week_ago = Utc::now() - Duration::days(7);
    let since = week_ago.to_rfc3339_opts(SecondsFormat::Secs, false);
    let f = format!("createTime > \"{since}\"");
    let (recent, _) = api
        .list_all(
            &format!("{path}?pageSize=1000&filter={}", urlencode(&f)),
            "messages",
        )
        .await;
    assert!(!recent.is_empty(), "the last week always has messages");
    let since_t = DateTime::parse_from_rfc3339(&since)
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(
        recent.len(),
        all.iter().filter(|m| time(m) > since_t).count()
    );
    // Bounds are exact: >= includes a message's own timestamp, > excludes it; offsets work.
    let pivot = &all[all.len() / 2];
    let at = pivot["createTime"].as_str().unwrap();
    let shifted = time(pivot)
        .with_timezone(&chrono::FixedOffset::west_opt(4 * 3600).unwrap())
        .to_rfc3339_opts(SecondsFormat::Micros, false);
    for (filter, includes) in [
        (format!("createTime >= \"{at}\""), true),
        (format!("createTime > \"{at}\""), false),
        (format!("createTime <= \"{shifted}\""), true),
        (
            format!("createTime > \"2000-01-01T00:00:00Z\" AND createTime < \"{at}\""),
            false,
        ),
    ] {
        let (list, _) = api
            .list_all(
                &format!("{path}?pageSize=1000&filter={}", urlencode(&filter)),
                "messages",
            )
            .await;
        assert_eq!(
            names(&list).contains(&pivot["name"].as_str().unwrap().to_string()),
            includes,
            "{filter}"
        );
    }
    // A thread with replies.
    let reply = all
        .iter()
        .find(|m| m["threadReply"] == true)
        .expect("seeded replies");
    let thread = reply["thread"]["name"].as_str().unwrap();
    let f = format!("thread.name = {thread}");
    let (list, _) = api
        .list_all(&format!("{path}?filter={}", urlencode(&f)), "messages")
        .await;
    assert!(list.len() >= 2);
    assert!(list.iter().all(|m| m["thread"]["name"] == thread));
    assert!(
        list[0].get("threadReply").is_none(),
        "the starter is not a reply"
    );
    // The empty result is `{}`.
    let f = "createTime > \"2999-01-01T00:00:00Z\"";
    let (s, b) = api.get(&format!("{path}?filter={}", urlencode(f))).await;
    assert_eq!((s, b), (200, json!({})));
    for bad in [
        "createTime > \"last week\"",
        "sender.name = users/1",
        "createTime > \"2023-01-01T00:00:00Z\" OR createTime < \"2024-01-01T00:00:00Z\"",
    ] {
        let (s, b) = api.get(&format!("{path}?filter={}", urlencode(bad))).await;
        assert_eq!(
            (s, b["error"]["status"].as_str()),
            (400, Some("INVALID_ARGUMENT")),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn seeded_history_has_mentions_code_and_attachments() {
    let h = start().await;
    let api = Api::new(&h).await;
    let mut everything = Vec::new();
    for space in [
        data::ENGINEERING,
        data::INCIDENTS,
        data::DESIGN_REVIEWS,
        data::RANDOM,
        data::LAUNCH_GROUP_CHAT,
        data::DM_ALEX_PRIYA,
    ] {
        let (list, _) = api
            .list_all(
                &format!("/v1/spaces/{space}/messages?pageSize=1000"),
                "messages",
            )
            .await;
        everything.extend(list);
    }
    assert!(everything.len() > 300, "{}", everything.len());
    let me = format!("users/{}", data::PRIMARY_USER);
    let mention = everything
        .iter()
        .flat_map(|m| {
            m["annotations"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |a| (m.clone(), a))
        })
        .find(|(_, a)| a["userMention"]["user"]["name"] == me)
        .expect("someone mentions the primary user");
    let (m, a) = mention;
    assert_eq!(a["type"], "USER_MENTION");
    assert_eq!(a["userMention"]["type"], "MENTION");
    let start = a["startIndex"].as_u64().unwrap() as usize;
    let len = a["length"].as_u64().unwrap() as usize;
    let label: String = m["text"]
        .as_str()
        .unwrap()
        .chars()
        .skip(start)
        .take(len)
        .collect();
    assert_eq!(label, "@Alex Rivera");
    assert!(
        m["formattedText"]
            .as_str()
            .unwrap()
            .contains(&format!("<{me}>"))
    );
    assert!(
        everything
            .iter()
            .any(|m| m["text"].as_str().unwrap().contains("@all"))
    );
    assert!(
        everything
            .iter()
            .any(|m| m["text"].as_str().unwrap().contains("```"))
    );
    assert!(
        everything
            .iter()
            .any(|m| m["text"].as_str().unwrap().contains("ERROR"))
    );
    assert!(
        everything
            .iter()
            .any(|m| m["emojiReactionSummaries"].is_array())
    );
    assert!(
        everything
            .iter()
            .any(|m| m["attachment"][0]["attachmentDataRef"]["resourceName"].is_string())
    );
    let (s, got) = api
        .get(&format!("/v1/{}", everything[5]["name"].as_str().unwrap()))
        .await;
    assert_eq!((s, &got), (200, &everything[5]));
    let (s, _) = api
        .get(&format!(
            "/v1/spaces/{}/messages/nope.nope",
            data::ENGINEERING
        ))
        .await;
    assert_eq!(s, 404);
}
