//! Bulk data for benchmarks: many public channels full of messages from many people.
//!
//! The seeded workspace is small so tests can name everything in it; a benchmark needs thirty
//! channels of a thousand messages from forty people. `add` builds that on top of the seed:
//! channels `bulk-000`, `bulk-001`, … with the signed-in user as a member, messages spread
//! over the last `BULK_DAYS` days from a fixed pool of generated people (in users.list and
//! users.info like everyone else), with threads, mentions of the signed-in user, links and
//! reactions, from the same templates as the seed.

use chrono::{Duration, Utc};

use super::corpus;
use super::data::{PRIMARY_USER, TEAM, Topic};
use super::seed::{Prng, expand};
use super::state::{ConvKind, Conversation, Message, Reaction, Ts, User, Workspace};

/// People in the generated pool (the most distinct senders bulk channels have).
pub const POOL: usize = 40;
pub const BULK_DAYS: i64 = 30;
const MAX_CHANNELS: usize = 500;
const MAX_MESSAGES: usize = 20_000;

const GIVEN: &[&str] = &[
    "Amara", "Bjorn", "Chiara", "Dmitri", "Elena", "Farid", "Grace", "Hiroshi", "Ines", "Jonas",
];
const FAMILY: &[&str] = &[
    "Abara", "Bauer", "Costa", "Dubois", "Eriksen", "Fischer", "Gupta", "Haddad",
];
const TOPICS: &[Topic] = &[
    Topic::Engineering,
    Topic::Incidents,
    Topic::Design,
    Topic::Random,
    Topic::Planning,
];

fn pool_user(i: usize) -> User {
    let first = GIVEN[i % GIVEN.len()];
    let last = FAMILY[(i / GIVEN.len() + i) % FAMILY.len()];
    let handle = format!("{}.{}{}", first.to_lowercase(), last.to_lowercase(), i);
    User {
        id: format!("U1B{i:07}"),
        name: handle.clone(),
        real_name: format!("{first} {last}"),
        display_name: first.to_lowercase(),
        first_name: first.into(),
        last_name: last.into(),
        email: format!("{handle}@{}", TEAM.email_domain),
        title: "Engineer".into(),
        tz: "Europe/Berlin",
        tz_label: "Central European Time",
        tz_offset: 3600,
        color: "3c989f",
        is_admin: false,
        is_owner: false,
        is_bot: false,
        deleted: false,
        status_text: String::new(),
        status_emoji: String::new(),
    }
}

/// Adds `channels` channels of `messages` messages each; returns their ids.
pub fn add(ws: &mut Workspace, channels: usize, messages: usize) -> Result<Vec<String>, String> {
    if channels == 0 || channels > MAX_CHANNELS {
        return Err(format!("channels must be between 1 and {MAX_CHANNELS}"));
    }
    if messages > MAX_MESSAGES {
        return Err(format!(
            "messages must be at most {MAX_MESSAGES} per channel"
        ));
    }
    for i in 0..POOL {
        let u = pool_user(i);
        if ws.user(&u.id).is_none() {
            ws.users.push(u);
        }
    }
    let existing = ws
        .convs
        .iter()
        .filter(|c| c.name.starts_with("bulk-"))
        .count();
    let now = Utc::now();
    let span = Duration::days(BULK_DAYS).num_microseconds().unwrap_or(1);
    let mut ids = Vec::new();
    for n in existing..existing + channels {
        let id = format!("C1B{n:07}");
        let mut rng = Prng::new(0xB011_0000 + n as u64);
        let mut members: Vec<String> = vec![PRIMARY_USER.to_string()];
        for k in 0..12 {
            members.push(pool_user((n * 7 + k * 3) % POOL).id);
        }
        members.dedup();
        ws.convs.push(Conversation {
            id: id.clone(),
            kind: ConvKind::Public,
            name: format!("bulk-{n:03}"),
            created: (now - Duration::days(BULK_DAYS + 1)).timestamp(),
            creator: members[1].clone(),
            is_archived: false,
            is_general: false,
            topic: String::new(),
            purpose: "Benchmark data".into(),
            members: members.clone(),
        });
        let topic = TOPICS[n % TOPICS.len()];
        let mut list: Vec<Message> = Vec::with_capacity(messages);
        let start = Ts::from_datetime(now - Duration::days(BULK_DAYS));
        let step = span / messages.max(1) as i64;
        let mut last_parent: Option<Ts> = None;
        for i in 0..messages {
            let ts = Ts(start.0 + step * i as i64 + rng.below(step.max(1) as u64) as i64);
            let sender = rng.pick(&members[1..]).clone();
            let reply_to = last_parent.filter(|_| rng.chance(25));
            let template = if reply_to.is_some() {
                rng.pick(corpus::replies(topic))
            } else {
                rng.pick(corpus::starters(topic))
            };
            let mut m = Message {
                ts,
                user: sender.clone(),
                text: expand(template, &mut rng, &members, &sender),
                thread_ts: reply_to,
                broadcast: false,
                tombstone: false,
                edited: None,
                reactions: Vec::new(),
                files: Vec::new(),
                client_msg_id: Some(rng.uuid()),
            };
            if rng.chance(10) {
                m.reactions.push(Reaction {
                    name: rng.pick(corpus::REACTIONS).to_string(),
                    users: vec![rng.pick(&members).clone()],
                });
            }
            match reply_to {
                Some(parent) => {
                    if let Some(p) = list.iter_mut().rev().find(|p| p.ts == parent) {
                        p.thread_ts = Some(parent);
                    }
                }
                None => last_parent = Some(ts),
            }
            list.push(m);
        }
        list.sort_by_key(|m| m.ts);
        list.dedup_by_key(|m| m.ts);
        ws.last_read.insert(
            (PRIMARY_USER.to_string(), id.clone()),
            list.iter().rev().nth(5).map(|m| m.ts).unwrap_or(Ts(0)),
        );
        ws.messages.insert(id.clone(), list);
        ids.push(id);
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_channels_hold_what_was_asked() {
        let mut ws = Workspace::default();
        let ids = add(&mut ws, 3, 500).unwrap();
        assert_eq!(ids.len(), 3);
        for id in &ids {
            let list = &ws.messages[id];
            assert!(list.len() >= 495, "{}", list.len());
            assert!(list.windows(2).all(|w| w[0].ts < w[1].ts));
            assert!(list.iter().any(|m| m.is_reply()));
        }
        let more = add(&mut ws, 1, 10).unwrap();
        assert_eq!(more, ["C1B0000003"]);
        assert_eq!(ws.users.len(), POOL);
        assert!(add(&mut ws, 0, 1).is_err());
    }
}
