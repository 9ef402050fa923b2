//! The window of a conversation that several tools read: its messages since a time with thread replies fetched, who
//! posted them, and the conversation's view.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::super::channels::{ChannelRef, Kind};
use super::super::client::SlackClient;
use super::super::models::{ConversationInfo, Message};
use super::super::paging::{self, Paging};
use super::super::ts;
use super::super::users::Person;
use super::views::ChannelView;
use crate::providers::slack::Context;
use crate::tools::ToolError;

/// `#eng`, or the DM partner's name, for a resolved conversation.
pub fn channel_name(c: &ChannelRef) -> String {
    match (&c.name, c.kind) {
        (Some(n), Kind::Channel) | (Some(n), Kind::PrivateChannel) => format!("#{n}"),
        (Some(n), _) => n.clone(),
        (None, _) => c.id.clone(),
    }
}

/// The top-level messages (and thread broadcasts) in `channel` since `oldest`, newest
/// first, up to `cap`: one paged conversations.history, no thread replies; `true` when the
/// cap cut it short.
pub async fn history_messages(
    client: &SlackClient,
    channel: &str,
    oldest: &str,
    cap: usize,
) -> Result<(Vec<Message>, bool), ToolError> {
    let mut query = Map::new();
    query.insert("channel".into(), Value::from(channel));
    query.insert("oldest".into(), Value::from(oldest));
    let page = paging::collect::<Message>(
        client,
        "conversations.history",
        &query,
        "messages",
        Paging::up_to(cap),
    )
    .await?;
    Ok((page.items, page.next_cursor.is_some()))
}

/// Every message in `channel` since `oldest` (newest first), thread replies included
/// (one conversations.replies per thread that had replies), up to `cap`; `true` when
/// the cap cut it short.
pub async fn window_messages(
    client: &SlackClient,
    channel: &str,
    oldest: &str,
    cap: usize,
) -> Result<(Vec<Message>, bool), ToolError> {
    let mut query = Map::new();
    query.insert("channel".into(), Value::from(channel));
    query.insert("oldest".into(), Value::from(oldest));
    let page = paging::collect::<Message>(
        client,
        "conversations.history",
        &query,
        "messages",
        Paging::up_to(cap),
    )
    .await?;
    let mut truncated = page.next_cursor.is_some();
    let mut all = Vec::new();
    for parent in page.items {
        let has_replies = parent.reply_count.unwrap_or(0) > 0
            && parent
                .latest_reply
                .as_deref()
                .is_none_or(|r| ts::cmp(r, oldest).is_gt());
        let thread_ts = parent.ts.clone();
        all.push(parent);
        if !has_replies || all.len() >= cap {
            continue;
        }
        let mut q = Map::new();
        q.insert("channel".into(), Value::from(channel));
        q.insert("ts".into(), Value::from(thread_ts.clone()));
        q.insert("oldest".into(), Value::from(oldest));
        let replies = paging::collect::<Message>(
            client,
            "conversations.replies",
            &q,
            "messages",
            Paging::up_to(cap),
        )
        .await?;
        truncated |= replies.next_cursor.is_some();
        // The parent comes back first, and broadcasts are in history already.
        all.extend(
            replies
                .items
                .into_iter()
                .filter(|m| m.ts != thread_ts && !m.is_broadcast()),
        );
    }
    if all.len() > cap {
        all.truncate(cap);
        truncated = true;
    }
    all.sort_by(|a, b| ts::cmp(&b.ts, &a.ts));
    Ok((all, truncated))
}

#[derive(Debug, Serialize)]
pub struct Participant {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub messages: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_message_time: Option<String>,
}

/// Posters of `messages` (any order), most active first.
pub fn count_posters(messages: &[Message], people: &HashMap<String, Person>) -> Vec<Participant> {
    let mut by_id: HashMap<&str, (usize, &str)> = HashMap::new();
    for m in messages {
        let Some(user) = m.user.as_deref() else {
            continue;
        };
        let entry = by_id.entry(user).or_insert((0, m.ts.as_str()));
        entry.0 += 1;
        if ts::cmp(&m.ts, entry.1).is_gt() {
            entry.1 = &m.ts;
        }
    }
    let mut out: Vec<Participant> = by_id
        .into_iter()
        .map(|(id, (n, last))| {
            let person = people.get(id);
            Participant {
                id: id.to_owned(),
                name: person.map_or(id, |p| p.shown()).to_owned(),
                email: person.and_then(|p| p.email.clone()),
                messages: n,
                last_message_time: ts::to_time(last)
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            }
        })
        .collect();
    out.sort_by(|a, b| b.messages.cmp(&a.messages).then(a.id.cmp(&b.id)));
    out
}

/// The conversation's view, named as the tools name it.
pub async fn channel_view(
    ctx: &Context,
    client: &SlackClient,
    channel: &ChannelRef,
) -> Result<ChannelView, ToolError> {
    let info: ConversationInfo = client
        .call("conversations.info", &json!({ "channel": channel.id }))
        .await?;
    let names = ctx
        .state
        .names_for(
            client,
            info.channel
                .topic
                .iter()
                .chain(info.channel.purpose.iter())
                .filter_map(|t| t.value.as_deref()),
            std::iter::empty(),
        )
        .await;
    let name = channel.name.clone().unwrap_or_else(|| channel.id.clone());
    Ok(ChannelView::new(&info.channel, name, &names))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_posters_most_active_first() {
        let m = |ts: &str, user: &str| Message {
            ts: ts.into(),
            user: Some(user.into()),
            ..Message::default()
        };
        let msgs = vec![
            m("1700000003.000000", "U2"),
            m("1700000002.000000", "U1"),
            m("1700000001.000000", "U2"),
        ];
        let posters = count_posters(&msgs, &HashMap::new());
        assert_eq!(posters[0].id, "U2");
        assert_eq!(posters[0].messages, 2);
        assert_eq!(
            posters[0].last_message_time.as_deref(),
            Some("2023-11-14T22:13:23Z")
        );
        assert_eq!(posters[1].id, "U1");
    }
}
