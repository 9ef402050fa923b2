//! Generates two weeks of workspace history relative to the emulator's start.
//!
//! A fixed-seed SplitMix64 drives every choice, so two emulators started the same minute hold
//! the same conversation and "the last 7 days" always has data. Channels get threads (some
//! with a reply broadcast to the channel), reactions, edits and mrkdwn (user and channel
//! mentions, links, `<!here>`, escaped `&amp;`); a few fixed messages give tests something to
//! name: the release thread in #eng, a shared file, an unread mention of the signed-in user.
//! The signed-in user's `last_read` leaves each conversation's `unread` newest messages unread.

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc, Weekday};
use serde::Serialize;

use super::corpus::{self, REACTIONS, SERVICES};
use super::data::{self, OLIVER, PRIMARY_USER, SeedConv};
use super::state::{ConvKind, Conversation, File, Message, Reaction, Ts, Workspace};

/// How far back the history goes.
pub const HISTORY_DAYS: i64 = 14;

/// Messages tests can find by id (the ts are relative to the start, so they are reported).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SeedRefs {
    /// `#eng`: "Release 2.14 go/no-go" by Priya, four replies, one broadcast to the channel.
    pub release_thread_ts: String,
    /// `#eng`: the message sharing `deploy-checklist.md`.
    pub file_message_ts: String,
    pub file_id: String,
    /// `#eng`: an unread message from Yuki mentioning the signed-in user.
    pub unread_mention_ts: String,
}

/// A tiny deterministic generator (SplitMix64); `rand`'s generators may change across versions.
pub struct Prng(u64);

impl Prng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A client_msg_id (a UUID, as Slack's clients send).
    pub fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            b >> 52,
            b & 0xffff_ffff_ffff
        )
    }
}

/// Expands a template's placeholders (see `corpus`). `members` are the conversation's
/// members; mentions pick among them, never the sender.
pub fn expand(template: &str, rng: &mut Prng, members: &[String], sender: &str) -> String {
    let others: Vec<&str> = members
        .iter()
        .map(String::as_str)
        .filter(|u| *u != sender && *u != OLIVER)
        .collect();
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let key = &rest[open + 1..open + close];
        rest = &rest[open + close + 1..];
        let mention = |u: &str| format!("<@{u}>");
        match key {
            "me" if sender != PRIMARY_USER && members.iter().any(|m| m == PRIMARY_USER) => {
                out.push_str(&mention(PRIMARY_USER))
            }
            "me" | "m" if !others.is_empty() => out.push_str(&mention(rng.pick::<&str>(&others))),
            "me" | "m" => out.push_str("everyone"),
            "here" => out.push_str("<!here>"),
            "channel" => out.push_str("<!channel>"),
            "#eng" => out.push_str(&format!("<#{}|eng>", data::ENG)),
            "#incidents" => out.push_str(&format!("<#{}|incidents>", data::INCIDENTS)),
            "#random" => out.push_str(&format!("<#{}|random>", data::RANDOM)),
            "svc" => out.push_str(rng.pick::<&str>(SERVICES)),
            "n" => out.push_str(&(2 + rng.below(97)).to_string()),
            "pr" => out.push_str(&(1000 + rng.below(4000)).to_string()),
            "ver" => out.push_str(&format!("2.{}.{}", 10 + rng.below(6), rng.below(6))),
            other => {
                out.push('{');
                out.push_str(other);
                out.push('}');
            }
        }
    }
    out.push_str(rest);
    out
}

fn message(ts: Ts, user: &str, text: String, rng: &mut Prng) -> Message {
    Message {
        ts,
        user: user.to_string(),
        text,
        thread_ts: None,
        broadcast: false,
        tombstone: false,
        edited: None,
        reactions: Vec::new(),
        files: Vec::new(),
        client_msg_id: Some(rng.uuid()),
    }
}

fn add_reactions(m: &mut Message, members: &[String], rng: &mut Prng) {
    for _ in 0..1 + rng.below(2) {
        let name = rng.pick(REACTIONS).to_string();
        if m.reactions.iter().any(|r| r.name == name) {
            continue;
        }
        let mut users: Vec<String> = Vec::new();
        for _ in 0..1 + rng.below(3) {
            let u = rng.pick(members).clone();
            if u != OLIVER && !users.contains(&u) {
                users.push(u);
            }
        }
        if !users.is_empty() {
            m.reactions.push(Reaction { name, users });
        }
    }
}

/// One conversation's generated history, ascending by ts.
fn history(
    conv: &SeedConv,
    members: &[String],
    now: DateTime<Utc>,
    rng: &mut Prng,
) -> Vec<Message> {
    let mut out: Vec<Message> = Vec::new();
    let direct = matches!(conv.kind, ConvKind::Im | ConvKind::Mpim);
    let today = Utc
        .with_ymd_and_hms(now.year(), now.month(), now.day(), 0, 0, 0)
        .single()
        .unwrap_or(now);
    for day in (0..HISTORY_DAYS).rev() {
        let date = today - Duration::days(day);
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        let count = if weekend {
            conv.per_day / 3
        } else {
            conv.per_day
        };
        for _ in 0..count {
            let at = date
                + Duration::minutes(8 * 60 + rng.below(10 * 60) as i64)
                + Duration::microseconds(rng.below(1_000_000) as i64);
            if at > now - Duration::minutes(20) {
                continue;
            }
            let senders: Vec<String> = members
                .iter()
                .filter(|u| *u != OLIVER || day > 7 || conv.archived)
                .cloned()
                .collect();
            let sender = rng.pick(&senders).clone();
            let text = expand(
                rng.pick::<&str>(corpus::starters(conv.topic)),
                rng,
                members,
                &sender,
            );
            let ts = Ts::from_datetime(at);
            let mut m = message(ts, &sender, text, rng);
            if rng.chance(30) {
                add_reactions(&mut m, &senders, rng);
            }
            if rng.chance(5) {
                m.edited = Some((sender.clone(), Ts(ts.0 + 90_000_000)));
            }
            let replies = if rng.chance(if direct { 8 } else { 35 }) {
                1 + rng.below(4)
            } else {
                0
            };
            let mut at_reply = at;
            for r in 0..replies {
                at_reply += Duration::minutes(2 + rng.below(90) as i64);
                if at_reply > now - Duration::minutes(20) {
                    break;
                }
                let who = rng.pick(&senders).clone();
                let text = expand(
                    rng.pick::<&str>(corpus::replies(conv.topic)),
                    rng,
                    members,
                    &who,
                );
                let mut reply = message(Ts::from_datetime(at_reply), &who, text, rng);
                reply.thread_ts = Some(ts);
                reply.broadcast = !direct && r == 0 && rng.chance(15);
                if rng.chance(15) {
                    add_reactions(&mut reply, &senders, rng);
                }
                m.thread_ts = Some(ts);
                out.push(reply);
            }
            out.push(m);
        }
    }
    out.sort_by_key(|m| m.ts);
    out.dedup_by_key(|m| m.ts);
    out
}

fn ts_at(now: DateTime<Utc>, ago: Duration) -> Ts {
    Ts::from_datetime(now - ago)
}

/// The fixed messages in #eng that tests name through `SeedRefs`.
fn fixed_eng(ws: &mut Workspace, now: DateTime<Utc>, rng: &mut Prng) -> SeedRefs {
    use data::{ALEX, ENG, MARCUS, PRIYA, YUKI};
    let parent_ts = ts_at(now, Duration::hours(26));
    let mut parent = message(
        parent_ts,
        PRIYA,
        format!(
            "Release 2.14 go/no-go :thread: {} please reply with your area's status. Checklist: \
             <https://docs.example.com/d/release-2-14|release doc>",
            "<!here>"
        ),
        rng,
    );
    parent.thread_ts = Some(parent_ts);
    parent.reactions.push(Reaction {
        name: "eyes".into(),
        users: vec![MARCUS.into(), YUKI.into()],
    });
    let replies: [(&str, i64, &str, bool); 4] = [
        (
            MARCUS,
            25,
            "Infra is go. Dashboards are green &amp; alerts are quiet.",
            false,
        ),
        (
            YUKI,
            24,
            "Backend go, the migration for payments-api already ran in staging.",
            false,
        ),
        (
            ALEX,
            23,
            "Auth gateway go. <@U02PRIYANT> I updated the runbook.",
            false,
        ),
        (
            MARCUS,
            2,
            "Go for 2.14 :rocket: rolling out at 15:00 UTC, watch {#incidents}.",
            true,
        ),
    ];
    ws.insert_message(ENG, parent);
    for (user, hours, text, broadcast) in replies {
        let mut r = message(
            ts_at(now, Duration::hours(hours)),
            user,
            text.replace("{#incidents}", &format!("<#{}|incidents>", data::INCIDENTS)),
            rng,
        );
        r.thread_ts = Some(parent_ts);
        r.broadcast = broadcast;
        ws.insert_message(ENG, r);
    }
    let file_ts = ts_at(now, Duration::hours(50));
    let file_id = "F0DEPLOYCK1".to_string();
    let body = "# Deploy checklist\n\n- [ ] freeze merges\n- [ ] run migrations\n- [ ] canary 5%\n- [ ] full rollout\n";
    ws.files.insert(
        file_id.clone(),
        File {
            id: file_id.clone(),
            name: "deploy-checklist.md".into(),
            title: "deploy-checklist.md".into(),
            mimetype: "text/markdown".into(),
            filetype: "markdown".into(),
            pretty_type: "Markdown (raw)".into(),
            user: PRIYA.into(),
            created: file_ts.secs(),
            bytes: body.as_bytes().to_vec(),
            alt_txt: None,
            shares: vec![(ENG.to_string(), file_ts)],
        },
    );
    let mut file_msg = message(
        file_ts,
        PRIYA,
        "Here's the deploy checklist for 2.14".into(),
        rng,
    );
    file_msg.files.push(file_id.clone());
    ws.insert_message(ENG, file_msg);
    let mention_ts = ts_at(now, Duration::minutes(35));
    ws.insert_message(
        ENG,
        message(
            mention_ts,
            YUKI,
            format!(
                "<@{ALEX}> can you approve the rollout for auth-gateway? &gt; 2 reviewers needed"
            ),
            rng,
        ),
    );
    SeedRefs {
        release_thread_ts: parent_ts.to_string(),
        file_message_ts: file_ts.to_string(),
        file_id,
        unread_mention_ts: mention_ts.to_string(),
    }
}

/// The seeded workspace as of `now`.
pub fn seed(now: DateTime<Utc>) -> (Workspace, SeedRefs) {
    let mut rng = Prng::new(0x51AC_C0DE_2026);
    let mut ws = Workspace {
        users: data::users(),
        ..Workspace::default()
    };
    let created = (now - Duration::days(400)).timestamp();
    for c in data::CONVERSATIONS {
        let members: Vec<String> = c.members.iter().map(|m| m.to_string()).collect();
        ws.convs.push(Conversation {
            id: c.id.to_string(),
            kind: c.kind,
            name: c.name.to_string(),
            created: created + c.id.len() as i64 * 86_400,
            creator: c.members[0].to_string(),
            is_archived: c.archived,
            is_general: c.general,
            topic: c.topic_line.to_string(),
            purpose: c.purpose.to_string(),
            members: members.clone(),
        });
        let list = history(c, &members, now, &mut rng);
        ws.messages.insert(c.id.to_string(), list);
    }
    let refs = fixed_eng(&mut ws, now, &mut rng);
    for c in data::CONVERSATIONS {
        if !c.members.contains(&PRIMARY_USER) {
            continue;
        }
        // Unread counts what others wrote after the cursor (the user's own posts never are).
        let listed: Vec<&Message> = ws.messages[c.id]
            .iter()
            .filter(|m| m.in_history())
            .collect();
        let mut from_others = 0;
        let mut read = listed.last().map(|m| m.ts).unwrap_or(Ts(0));
        for m in listed.iter().rev() {
            if from_others == c.unread {
                break;
            }
            read = Ts(m.ts.0 - 1);
            if m.user != PRIMARY_USER {
                from_others += 1;
            }
        }
        ws.last_read
            .insert((PRIMARY_USER.to_string(), c.id.to_string()), read);
    }
    (ws, refs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_is_recent_ordered_and_deterministic() {
        let now = Utc::now();
        let (a, refs_a) = seed(now);
        let (b, refs_b) = seed(now);
        assert_eq!(refs_a, refs_b);
        for (id, list) in &a.messages {
            assert!(!list.is_empty(), "{id} has messages");
            assert!(
                list.windows(2).all(|w| w[0].ts < w[1].ts),
                "{id} ascending, unique"
            );
            let oldest = Ts::from_datetime(now - Duration::days(HISTORY_DAYS + 1));
            assert!(
                list.iter()
                    .all(|m| m.ts > oldest && m.ts < Ts::from_datetime(now))
            );
            assert_eq!(list.len(), b.messages[id].len());
            for m in list.iter().filter(|m| m.is_reply()) {
                let parent = a.message(id, m.thread_ts.unwrap()).expect("parent exists");
                assert_eq!(parent.thread_ts, Some(parent.ts));
            }
        }
        let eng = &a.messages[data::ENG];
        assert!(eng.iter().any(|m| m.broadcast));
        assert!(eng.iter().any(|m| m.text.contains("<@U01ALEXRIV>")));
        assert!(eng.iter().any(|m| m.text.contains("&amp;")));
        assert!(
            a.messages
                .values()
                .flatten()
                .any(|m| !m.reactions.is_empty())
        );
    }

    #[test]
    fn primary_user_has_the_configured_unread_counts() {
        let (ws, _) = seed(Utc::now());
        for c in data::CONVERSATIONS
            .iter()
            .filter(|c| c.members.contains(&PRIMARY_USER))
        {
            let read = ws.last_read[&(PRIMARY_USER.to_string(), c.id.to_string())];
            let others = ws.messages[c.id]
                .iter()
                .filter(|m| m.in_history() && m.user != PRIMARY_USER);
            let unread = others.clone().filter(|m| m.ts > read).count();
            assert_eq!(unread, c.unread.min(others.count()), "{}", c.id);
        }
    }

    #[test]
    fn expand_mentions_members_but_never_the_sender() {
        let members: Vec<String> = vec![data::ALEX.into(), data::PRIYA.into()];
        let mut rng = Prng::new(1);
        let t = expand(
            "{me} and {m} in {#eng} {here}",
            &mut rng,
            &members,
            data::PRIYA,
        );
        assert_eq!(
            t,
            format!(
                "<@{}> and <@{}> in <#{}|eng> <!here>",
                data::ALEX,
                data::ALEX,
                data::ENG
            )
        );
        let t = expand("{me}", &mut rng, &members, data::ALEX);
        assert_eq!(t, format!("<@{}>", data::PRIYA));
    }
}
