//! Reading Slack's answers, unknown fields and all.

use super::*;

#[test]
fn reads_a_history_page_ignoring_what_it_does_not_know() {
    let page: MessageList = serde_json::from_str(
        r#"{"ok":true,"messages":[
            {"type":"message","user":"U1","text":"hi <@U2>","ts":"1700000000.000100",
             "thread_ts":"1700000000.000100","reply_count":2,"latest_reply":"1700000100.000200",
             "reactions":[{"name":"+1::skin-tone-2","count":2,"users":["U2","U3"]}],
             "blocks":[{"type":"rich_text","elements":[]}],"client_msg_id":"x","brand_new":{"a":1}},
            {"type":"message","subtype":"thread_broadcast","user":"U2","text":"also",
             "ts":"1700000050.000000","thread_ts":"1700000000.000100",
             "files":[{"id":"F1","name":"a.pdf","url_private":"https://files.slack.com/a.pdf","size":3}],
             "edited":{"user":"U2","ts":"1700000060.000000"}}],
          "has_more":true,"pin_count":0,
          "response_metadata":{"next_cursor":"bmV4dA=="}}"#,
    )
    .unwrap();
    assert_eq!(page.messages.len(), 2);
    assert!(page.has_more);
    assert_eq!(page.response_metadata.next(), Some("bmV4dA=="));
    let parent = &page.messages[0];
    assert!(!parent.is_reply());
    assert_eq!(parent.reactions[0].users, ["U2", "U3"]);
    let broadcast = &page.messages[1];
    assert!(broadcast.is_reply() && broadcast.is_broadcast());
    assert_eq!(broadcast.files[0].size, Some(3));
    assert_eq!(
        broadcast.edited.as_ref().unwrap().user.as_deref(),
        Some("U2")
    );
}

#[test]
fn an_empty_cursor_is_the_last_page() {
    let page: ConversationList =
        serde_json::from_str(r#"{"ok":true,"channels":[],"response_metadata":{"next_cursor":""}}"#)
            .unwrap();
    assert_eq!(page.response_metadata.next(), None);
    let page: ConversationList = serde_json::from_str(r#"{"ok":true}"#).unwrap();
    assert_eq!(page.response_metadata.next(), None);
}

#[test]
fn reads_conversations_of_every_kind() {
    let list: ConversationList = serde_json::from_str(
        r#"{"channels":[
            {"id":"C1","name":"eng","is_channel":true,"is_member":true,"num_members":4,
             "topic":{"value":"ship it","creator":"U1","last_set":1},"purpose":{"value":""}},
            {"id":"D1","is_im":true,"user":"U9","is_user_deleted":false,"priority":0},
            {"id":"G1","name":"mpdm-a--b--c-1","is_mpim":true,"is_private":true}]}"#,
    )
    .unwrap();
    assert_eq!(
        list.channels[0].topic.as_ref().unwrap().value.as_deref(),
        Some("ship it")
    );
    assert_eq!(list.channels[1].user.as_deref(), Some("U9"));
    assert!(list.channels[2].is_mpim && list.channels[2].is_private);
}

#[test]
fn shows_the_name_slack_shows() {
    let user: UserInfo = serde_json::from_str(
        r#"{"user":{"id":"U1","name":"alex","real_name":"Alex Doe",
            "profile":{"display_name":"","real_name":"Alex Doe","email":"alex@example.com","title":"Eng"},
            "tz":"Europe/Berlin"}}"#,
    )
    .unwrap();
    assert_eq!(user.user.shown_name(), Some("Alex Doe"));
    let user: UserInfo = serde_json::from_str(
        r#"{"user":{"id":"U1","name":"alex","profile":{"display_name":"Al"}}}"#,
    )
    .unwrap();
    assert_eq!(user.user.shown_name(), Some("Al"));
    let user: UserInfo = serde_json::from_str(r#"{"user":{"id":"U1","name":"alex"}}"#).unwrap();
    assert_eq!(user.user.shown_name(), Some("alex"));
    assert_eq!(user.user.real_name(), None);
}

#[test]
fn reads_search_matches_and_their_paging() {
    let result: SearchResult = serde_json::from_str(
        r#"{"ok":true,"query":"deploy","messages":{"total":3,
            "matches":[{"iid":"i1","ts":"1.2","text":"deploy now","user":"U1","username":"alex",
              "channel":{"id":"C1","name":"eng","is_channel":true},"permalink":"https://x.slack.com/archives/C1/p12","score":1.5}],
            "paging":{"count":1,"total":3,"page":1,"pages":3},
            "pagination":{"total_count":3,"page":1,"per_page":1,"page_count":3,"first":1,"last":1}}}"#,
    )
    .unwrap();
    assert_eq!(
        result.messages.matches[0].channel.name.as_deref(),
        Some("eng")
    );
    assert_eq!(result.next_page(), Some(2));
    let last: SearchResult =
        serde_json::from_str(r#"{"messages":{"paging":{"page":3,"pages":3}}}"#).unwrap();
    assert_eq!(last.next_page(), None);
}

#[test]
fn reads_who_signed_in() {
    let me: AuthTest = serde_json::from_str(
        r#"{"ok":true,"url":"https://acme.slack.com/","team":"Acme","user":"alex",
            "team_id":"T1","user_id":"U1","is_enterprise_install":false}"#,
    )
    .unwrap();
    assert_eq!(me.user_id.as_deref(), Some("U1"));
    assert_eq!(me.team_id.as_deref(), Some("T1"));
}
