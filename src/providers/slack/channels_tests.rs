//! Channel resolution against a recording stand-in for conversations.list and users.info.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};

use super::*;
use crate::providers::slack::test_support::{FakeSlack, Recorded, Reply};
use crate::tools::ToolErrorKind;

fn workspace() -> Vec<Value> {
    vec![
        json!({"id": "C1", "name": "eng", "is_channel": true, "is_member": true}),
        json!({"id": "C2", "name": "eng-ops", "is_channel": true}),
        json!({"id": "G1", "name": "leads", "is_group": true, "is_private": true}),
        json!({"id": "C3", "name": "alex", "is_channel": true}),
        json!({"id": "D1", "is_im": true, "user": "U1"}),
        json!({"id": "D2", "is_im": true, "user": "U2"}),
        json!({"id": "D3", "is_im": true, "user": "U3"}),
        json!({"id": "G2", "name": "mpdm-alex--sam--pat-1", "is_mpim": true, "is_private": true}),
    ]
}

/// Serves `conversations` two to a page (the cursor is the offset) and users.info for U1
/// (Alex Doe, @alex) and U2 (Sam).
fn serve(conversations: Vec<Value>) -> impl Fn(&Recorded) -> Reply + Send + Sync + 'static {
    move |r| match r.method.as_str() {
        "conversations.list" => {
            let from: usize = r.arg("cursor").map_or(0, |c| c.parse().unwrap());
            let page: Vec<_> = conversations.iter().skip(from).take(2).cloned().collect();
            let next = if from + 2 < conversations.len() {
                (from + 2).to_string()
            } else {
                String::new()
            };
            Reply::ok(json!({"channels": page, "response_metadata": {"next_cursor": next}}))
        }
        "users.info" => match r.arg("user").unwrap().as_str() {
            "U1" => Reply::ok(
                json!({"user": {"id": "U1", "name": "alex", "profile": {"display_name": "Alex Doe"}}}),
            ),
            "U2" => Reply::ok(json!({"user": {"id": "U2", "name": "sam", "real_name": "Sam"}})),
            "U3" => Reply::ok(
                json!({"user": {"id": "U3", "name": "elo", "profile": {"display_name": "Élodie Ünal"}}}),
            ),
            _ => Reply::error("user_not_found"),
        },
        other => panic!("unexpected {other}"),
    }
}

async fn resolve(
    slack: &FakeSlack,
    dir: &ChannelDirectory,
    users: &UsersCache,
    input: &str,
) -> Result<ChannelRef, ToolError> {
    dir.resolve(&slack.client(), users, input).await
}

#[tokio::test]
async fn names_resolve_case_insensitively_from_one_cached_listing() {
    let slack = FakeSlack::start(serve(workspace())).await;
    let (dir, users) = (ChannelDirectory::default(), UsersCache::default());
    for input in ["#eng", "eng", "ENG", " #Eng "] {
        let found = resolve(&slack, &dir, &users, input).await.unwrap();
        assert_eq!(
            (found.id.as_str(), found.kind),
            ("C1", Kind::Channel),
            "{input}"
        );
        assert_eq!(found.label(), "#eng (C1)");
    }
    let leads = resolve(&slack, &dir, &users, "leads").await.unwrap();
    assert_eq!(
        (leads.id.as_str(), leads.kind),
        ("G1", Kind::PrivateChannel)
    );
    let lists = slack.calls_to("conversations.list");
    assert_eq!(lists.len(), 4, "one listing of four pages, then the cache");
    let first = &lists[0];
    assert_eq!(first.arg("types").as_deref(), Some(LIST_TYPES));
    assert_eq!(first.arg("limit").as_deref(), Some("1000"));
    assert_eq!(first.arg("exclude_archived").as_deref(), Some("false"));
    assert!(
        slack.calls_to("users.info").is_empty(),
        "no DM lookups for channel names"
    );
}

#[tokio::test]
async fn ids_need_no_request() {
    let slack = FakeSlack::start(serve(workspace())).await;
    let (dir, users) = (ChannelDirectory::default(), UsersCache::default());
    let found = resolve(&slack, &dir, &users, "C999").await.unwrap();
    assert_eq!(
        found,
        ChannelRef {
            id: "C999".into(),
            name: None,
            kind: Kind::Unknown
        }
    );
    assert_eq!(found.label(), "C999");
    assert!(slack.requests().is_empty());
    // Once listed, ids are named too.
    dir.conversations(&slack.client(), false).await.unwrap();
    let eng = resolve(&slack, &dir, &users, "C1").await.unwrap();
    assert_eq!(eng.name.as_deref(), Some("eng"));
}

#[tokio::test]
async fn dms_are_named_after_the_other_person() {
    let slack = FakeSlack::start(serve(workspace())).await;
    let (dir, users) = (ChannelDirectory::default(), UsersCache::default());
    let sam = resolve(&slack, &dir, &users, "@sam").await.unwrap();
    assert_eq!((sam.id.as_str(), sam.kind), ("D2", Kind::DirectMessage));
    assert_eq!(sam.label(), "DM with Sam (D2)");
    let alex = resolve(&slack, &dir, &users, "@Alex Doe").await.unwrap();
    assert_eq!(alex.id, "D1");
    let elodie = resolve(&slack, &dir, &users, "@ÉLODIE ünal").await.unwrap();
    assert_eq!(elodie.id, "D3");
    let group = resolve(&slack, &dir, &users, "alex, sam, pat")
        .await
        .unwrap();
    assert_eq!(
        (group.id.as_str(), group.kind),
        ("G2", Kind::GroupDirectMessage)
    );
    assert_eq!(group.label(), "group DM with alex, sam, pat (G2)");
}

#[tokio::test]
async fn a_name_of_a_channel_and_a_person_prefers_the_channel_unless_asked_for_a_dm() {
    let slack = FakeSlack::start(serve(workspace())).await;
    let (dir, users) = (ChannelDirectory::default(), UsersCache::default());
    assert_eq!(
        resolve(&slack, &dir, &users, "alex").await.unwrap().id,
        "C3"
    );
    assert_eq!(
        resolve(&slack, &dir, &users, "#alex").await.unwrap().id,
        "C3"
    );
    assert_eq!(
        resolve(&slack, &dir, &users, "@alex").await.unwrap().id,
        "D1"
    );
}

#[tokio::test]
async fn several_matches_are_listed_with_their_ids() {
    let mut convs = workspace();
    convs.push(json!({"id": "C9", "name": "eng", "is_channel": true, "is_ext_shared": true}));
    let slack = FakeSlack::start(serve(convs)).await;
    let (dir, users) = (ChannelDirectory::default(), UsersCache::default());
    let err = resolve(&slack, &dir, &users, "#eng").await.unwrap_err();
    assert_eq!(err.kind, ToolErrorKind::InvalidArgument);
    assert!(
        err.message.contains("#eng (C1)") && err.message.contains("#eng (C9)"),
        "{}",
        err.message
    );
    assert!(err.message.contains("pass the id"), "{}", err.message);
}

#[tokio::test]
async fn a_new_channel_is_found_after_one_refresh() {
    let created = Arc::new(AtomicBool::new(false));
    let flag = created.clone();
    let slack = FakeSlack::start(move |r| {
        let mut convs = workspace();
        if flag.load(Ordering::SeqCst) {
            convs.push(json!({"id": "C7", "name": "launch", "is_channel": true}));
        }
        serve(convs)(r)
    })
    .await;
    let (dir, users) = (ChannelDirectory::default(), UsersCache::default());
    resolve(&slack, &dir, &users, "#eng").await.unwrap();
    created.store(true, Ordering::SeqCst);
    let before = slack.calls_to("conversations.list").len();
    let launch = resolve(&slack, &dir, &users, "#launch").await.unwrap();
    assert_eq!(launch.id, "C7");
    // One refresh: nine conversations, two to a page.
    assert_eq!(slack.calls_to("conversations.list").len(), before + 5);
}

#[tokio::test]
async fn an_unknown_name_fails_with_close_names_after_one_listing() {
    let slack = FakeSlack::start(serve(workspace())).await;
    let (dir, users) = (ChannelDirectory::default(), UsersCache::default());
    let err = resolve(&slack, &dir, &users, "#engg").await.unwrap_err();
    assert_eq!(err.kind, ToolErrorKind::NotFound);
    assert!(err.message.contains("`#engg`"), "{}", err.message);
    assert!(
        err.message.contains("did you mean #eng (C1)"),
        "{}",
        err.message
    );
    assert!(err.message.contains("#eng-ops (C2)"), "{}", err.message);
    assert!(!err.message.contains("leads"), "{}", err.message);
    assert_eq!(
        slack.calls_to("conversations.list").len(),
        4,
        "a listing made by this call is not refreshed again"
    );
    let err = resolve(&slack, &dir, &users, "#zzzz").await.unwrap_err();
    assert!(!err.message.contains("did you mean"), "{}", err.message);
    assert_eq!(
        slack.calls_to("conversations.list").len(),
        8,
        "a cached listing is refreshed once"
    );
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let slack = FakeSlack::start(serve(workspace())).await;
    let (dir, users) = (ChannelDirectory::default(), UsersCache::default());
    for bad in ["", "#", "@", "  ", "a\u{7}b"] {
        let err = resolve(&slack, &dir, &users, bad).await.unwrap_err();
        assert_eq!(err.kind, ToolErrorKind::InvalidArgument, "{bad:?}");
    }
    assert!(slack.requests().is_empty());
}

#[tokio::test]
async fn concurrent_first_lookups_share_one_listing() {
    let slack = FakeSlack::start(serve(workspace())).await;
    let dir = Arc::new(ChannelDirectory::default());
    let users = UsersCache::default();
    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let (dir, users, client) = (dir.clone(), users.clone(), slack.client());
            tokio::spawn(async move { dir.resolve(&client, &users, "#eng").await.unwrap().id })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), "C1");
    }
    assert_eq!(slack.calls_to("conversations.list").len(), 4);
}

#[test]
fn ids_and_group_dm_names_are_read() {
    for id in ["C1", "G0ABC", "D012ABCDEF"] {
        assert!(is_conversation_id(id), "{id}");
    }
    for id in ["", "C", "c1", "U1", "C1-2", "eng"] {
        assert!(!is_conversation_id(id), "{id}");
    }
    assert_eq!(
        group_dm_members("mpdm-a--b--c-1").as_deref(),
        Some("a, b, c")
    );
    assert_eq!(group_dm_members("eng"), None);
}
