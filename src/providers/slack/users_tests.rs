//! The users cache against a recording stand-in: one lookup per person, shared by concurrent
//! callers, bounded in concurrency and size.

use std::time::Duration;

use serde_json::json;

use super::*;
use crate::providers::slack::test_support::{FakeSlack, Recorded, Reply};

/// users.info for `U…` ids: a person named after the id; `U404` is unknown to Slack.
fn directory(r: &Recorded) -> Reply {
    let id = r.arg("user").unwrap();
    if id == "U404" {
        return Reply::error("user_not_found");
    }
    Reply::ok(json!({"user": {
        "id": id, "name": format!("h.{id}"), "real_name": format!("Real {id}"), "tz": "UTC",
        "profile": {"display_name": format!("Name {id}"), "email": format!("{id}@example.com"), "title": "Eng"}
    }}))
    .after(Duration::from_millis(40))
}

fn looked_up(slack: &FakeSlack) -> Vec<String> {
    let mut ids: Vec<_> = slack
        .calls_to("users.info")
        .iter()
        .map(|r| r.arg("user").unwrap())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn looks_up_each_unknown_person_once_and_then_serves_the_cache() {
    let slack = FakeSlack::start(directory).await;
    let cache = UsersCache::default();
    let client = slack.client();
    let people = cache
        .resolve(&client, ["U1", "U2", "U1", "B0BOT", "not-an-id", ""])
        .await;
    assert_eq!(looked_up(&slack), ["U1", "U2"]);
    let u1 = &people["U1"];
    assert_eq!(u1.shown(), "Name U1");
    assert_eq!(u1.real_name.as_deref(), Some("Real U1"));
    assert_eq!(u1.handle.as_deref(), Some("h.U1"));
    assert_eq!(u1.email.as_deref(), Some("U1@example.com"));
    assert!(u1.known);
    assert_eq!(people.len(), 2);

    let again = cache.resolve(&client, ["U2", "U1"]).await;
    assert_eq!(again, people);
    assert_eq!(slack.calls_to("users.info").len(), 2, "no second lookup");
    assert_eq!(cache.cached(&client.account_key(), "U1").as_ref(), Some(u1));
    assert_eq!(cache.cached("another account", "U1"), None);
}

#[tokio::test]
async fn concurrent_callers_share_one_lookup_per_person() {
    let slack = FakeSlack::start(directory).await;
    let cache = UsersCache::default();
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let cache = cache.clone();
            let client = slack.client();
            tokio::spawn(async move { cache.resolve(&client, ["U1", "U2", "U3"]).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().len(), 3);
    }
    assert_eq!(looked_up(&slack), ["U1", "U2", "U3"]);
}

#[tokio::test]
async fn lookups_run_concurrently_but_bounded() {
    let slack = FakeSlack::start(directory).await;
    let cache = UsersCache::default();
    let ids: Vec<String> = (0..20).map(|i| format!("U{i}")).collect();
    let people = cache
        .resolve(&slack.client(), ids.iter().map(String::as_str))
        .await;
    assert_eq!(people.len(), 20);
    let most = slack.max_in_flight();
    assert!(most > 1 && most <= CONCURRENCY, "{most} at once");
}

#[tokio::test]
async fn people_slack_does_not_know_are_remembered() {
    let slack = FakeSlack::start(directory).await;
    let cache = UsersCache::default();
    let people = cache.resolve(&slack.client(), ["U404"]).await;
    assert!(!people["U404"].known);
    assert_eq!(people["U404"].shown(), "U404");
    cache.resolve(&slack.client(), ["U404"]).await;
    assert_eq!(slack.calls_to("users.info").len(), 1);
}

#[tokio::test]
async fn failures_are_left_out_and_asked_again_next_time() {
    let failing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let flag = failing.clone();
    let slack = FakeSlack::start(move |r| {
        if flag.load(std::sync::atomic::Ordering::SeqCst) {
            Reply::error("fatal_error")
        } else {
            directory(r)
        }
    })
    .await;
    let cache = UsersCache::default();
    assert!(cache.resolve(&slack.client(), ["U1"]).await.is_empty());
    let err = cache.person(&slack.client(), "U1").await.unwrap_err();
    assert_eq!(err.code(), Some("fatal_error"));
    failing.store(false, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        cache.resolve(&slack.client(), ["U1"]).await["U1"].shown(),
        "Name U1"
    );
}

#[test]
fn the_cache_is_bounded_and_keeps_the_recently_used() {
    let cache = UsersCache::with_capacity(10);
    let user = |i: usize| User {
        id: format!("U{i}"),
        ..User::default()
    };
    cache.remember("a", &(0..10).map(user).collect::<Vec<_>>());
    assert!(cache.cached("a", "U0").is_some(), "touch U0");
    cache.remember("a", &[user(10)]);
    assert!(cache.cached("a", "U0").is_some(), "recently used survives");
    assert!(
        cache.cached("a", "U1").is_none(),
        "least recently used goes"
    );
    assert!(cache.cached("a", "U10").is_some());
    cache.remember("a", &(100..150).map(user).collect::<Vec<_>>());
    assert!(cache.inner.entries.lock().unwrap().map.len() <= 10);
}

#[test]
fn only_user_ids_are_looked_up() {
    for id in ["U1", "W0ABC", "U012ABCDEF"] {
        assert!(is_user_id(id), "{id}");
    }
    for id in ["", "U", "u123", "B123", "C123", "U12-3", "USLACKBOT?"] {
        assert!(!is_user_id(id), "{id}");
    }
}
