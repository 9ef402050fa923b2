//! Generates six weeks of chat history relative to the emulator's start time.
//!
//! A fixed-seed SplitMix64 drives every choice, so two emulators started the same day hold the
//! same conversation. Older days follow the calendar (office hours, quiet weekends); the last
//! two days are laid out back from the start time, every space with at least one thread in
//! each, so "the last day or two" holds a conversation whatever the date and hour.
//! Spaces get threads (a starter plus replies sharing `thread.name`); direct messages and the
//! group chat are unthreaded, one thread per message, as Chat stores them.

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc, Weekday};

use super::corpus::{self, EMOJI, SERVICES};
use super::data::{self, PRIMARY_USER, SeedSpace, Topic};
use super::state::{
    Attachment, ChatState, Media, Member, Mention, Message, Reaction, Space, SpaceKind, find_user,
};

/// How far back the history goes.
pub const HISTORY_DAYS: i64 = 42;
/// The most recent days, laid out back from now rather than on the calendar.
pub const RECENT_DAYS: i64 = 2;

/// A tiny deterministic generator (SplitMix64); `rand`'s `StdRng` may change across versions.
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

    /// An id of `len` characters from Chat's alphabet.
    pub fn id(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
        (0..len)
            .map(|_| ALPHABET[self.below(ALPHABET.len() as u64) as usize] as char)
            .collect()
    }
}

/// Expands a template's placeholders for a seeded space: `{me}` mentions the primary user
/// (when they are a member and not the sender), `{m}` another member, `{all}` @all.
pub fn expand(
    template: &str,
    rng: &mut Prng,
    space: &SeedSpace,
    sender: &str,
    time: DateTime<Utc>,
) -> (String, Vec<Mention>) {
    let others: Vec<&str> = space
        .members
        .iter()
        .map(|(u, _)| *u)
        .filter(|u| *u != sender)
        .collect();
    let primary_is_member = space.members.iter().any(|(u, _)| *u == PRIMARY_USER);
    expand_with(template, rng, time, |key, rng| match key {
        "me" if sender != PRIMARY_USER && primary_is_member => Some(PRIMARY_USER.to_string()),
        "me" | "m" => Some(rng.pick(&others).to_string()),
        "all" => Some("all".to_string()),
        _ => None,
    })
}

/// Expands a template's placeholders; returns the text and its mention annotations.
/// `mention` says whom a placeholder mentions (`Some(user id)`, or `"all"`), or `None` when
/// the placeholder is not a mention; the other placeholders (`{svc}`, `{n}`, …) are filled here.
pub fn expand_with(
    template: &str,
    rng: &mut Prng,
    time: DateTime<Utc>,
    mut mention: impl FnMut(&str, &mut Prng) -> Option<String>,
) -> (String, Vec<Mention>) {
    let mut text = String::new();
    let mut mentions = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        text.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            text.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let key = &rest[open + 1..open + close];
        rest = &rest[open + close + 1..];
        if let Some(user) = mention(key, rng) {
            let label = if user == "all" {
                "@all".to_string()
            } else {
                format!(
                    "@{}",
                    find_user(&user)
                        .map(|u| u.display_name())
                        .unwrap_or_default()
                )
            };
            mentions.push(Mention {
                start: text.chars().count(),
                length: label.chars().count(),
                user,
            });
            text.push_str(&label);
            continue;
        }
        match key {
            "svc" => {
                let svc: &&str = rng.pick(SERVICES);
                text.push_str(svc);
            }
            "n" => text.push_str(&(2 + rng.below(97)).to_string()),
            "pr" => text.push_str(&(1000 + rng.below(4000)).to_string()),
            "ver" => text.push_str(&format!("2.{}.{}", 10 + rng.below(8), rng.below(6))),
            "ts" => text.push_str(&time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
            other => {
                text.push('{');
                text.push_str(other);
                text.push('}');
            }
        }
    }
    text.push_str(rest);
    (text, mentions)
}

/// A minimal valid PNG (1×1, transparent), the seeded design mock-up.
pub const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

/// Builds the whole seeded chat world relative to `now`.
pub fn seed(now: DateTime<Utc>) -> ChatState {
    let mut rng = Prng::new(0x00C4_A7E7_0001);
    let mut chat = ChatState::default();
    let origin = now - Duration::days(90);
    for (i, s) in data::SPACES.iter().enumerate() {
        let created = origin + Duration::hours(i as i64 * 5);
        chat.spaces.push(Space {
            id: s.id.to_string(),
            kind: s.kind,
            display_name: s.display_name.map(str::to_string),
            description: s.description.map(str::to_string),
            create_time: created,
            last_active: created,
        });
        for (j, (user, role)) in s.members.iter().enumerate() {
            chat.members.push(Member {
                space: s.id.to_string(),
                user: user.to_string(),
                role: *role,
                create_time: created + Duration::minutes(j as i64 * 7),
            });
        }
        let messages = history(&mut rng, s, now, &mut chat);
        chat.messages.insert(s.id.to_string(), messages);
    }
    for s in data::SPACES {
        let list = &chat.messages[s.id];
        let latest = list.last().map(|m| m.create_time);
        if let (Some(latest), Some(space)) = (latest, chat.spaces.iter_mut().find(|x| x.id == s.id))
        {
            space.last_active = latest;
        }
        for (user, _) in s.members {
            let read = if *user == PRIMARY_USER && s.unread_for_primary > 0 {
                list.len()
                    .checked_sub(s.unread_for_primary + 1)
                    .map(|i| list[i].create_time)
            } else {
                latest
            };
            if let Some(t) = read {
                chat.read_states
                    .insert((user.to_string(), s.id.to_string()), t);
            }
        }
    }
    chat
}

/// One space's messages (sorted), plus its reactions and media into `chat`.
fn history(
    rng: &mut Prng,
    s: &SeedSpace,
    now: DateTime<Utc>,
    chat: &mut ChatState,
) -> Vec<Message> {
    let mut out = Vec::new();
    let threaded = s.kind == SpaceKind::Space;
    let cutoff = now - Duration::minutes(2);
    let mut starters = 0u32;
    for day in (0..HISTORY_DAYS).rev() {
        let recent = day < RECENT_DAYS;
        let date = (now - Duration::days(day)).date_naive();
        let weekend = !recent && matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        let count = if weekend {
            u32::from(rng.chance(25))
        } else {
            // A seeded Monday morning must not look like a dead weekend: at least one thread.
            (s.threads_per_day.saturating_sub(1) + rng.below(3) as u32).max(u32::from(recent))
        };
        for _ in 0..count {
            let start = if recent {
                // The ten hours before this time of day, `day` days ago (not before the
                // cutoff, so none is skipped).
                now - Duration::days(day)
                    - Duration::minutes(5 + rng.below(10 * 60) as i64)
                    - Duration::microseconds(rng.below(1_000_000) as i64)
            } else {
                let hour = if rng.chance(50) {
                    8 + rng.below(4)
                } else {
                    13 + rng.below(5)
                };
                Utc.from_utc_datetime(&date.and_hms_opt(hour as u32, 0, 0).unwrap_or_default())
                    + Duration::seconds(rng.below(3600) as i64)
                    + Duration::microseconds(rng.below(1_000_000) as i64)
            };
            if start > cutoff {
                continue;
            }
            starters += 1;
            let thread = rng.id(11);
            let sender = rng.pick(s.members).0;
            let template = rng.pick(corpus::starters(s.topic));
            let (text, mentions) = expand(template, rng, s, sender, start);
            let mut msg = message(s.id, &thread, &thread, sender, start, text, mentions, false);
            attach_seed_media(rng, s, starters, &mut msg, chat);
            out.push(msg);
            let replies = match rng.below(10) {
                0..=3 => 0,
                4..=6 => 1,
                7 | 8 => 2,
                _ => 3 + rng.below(2),
            };
            let mut t = start;
            let mut last_sender = sender;
            for _ in 0..replies {
                t += Duration::seconds(90 + rng.below(40 * 60) as i64)
                    + Duration::microseconds(rng.below(1_000_000) as i64);
                if t > cutoff {
                    break;
                }
                let others: Vec<&str> = s
                    .members
                    .iter()
                    .map(|(u, _)| *u)
                    .filter(|u| *u != last_sender)
                    .collect();
                let replier = *rng.pick(&others);
                let template = if threaded || s.topic != Topic::Direct {
                    rng.pick(corpus::replies(s.topic))
                } else {
                    rng.pick(corpus::starters(s.topic))
                };
                let (text, mentions) = expand(template, rng, s, replier, t);
                let msg = if threaded {
                    let id = rng.id(11);
                    message(s.id, &id, &thread, replier, t, text, mentions, true)
                } else {
                    let own = rng.id(11);
                    message(s.id, &own, &own, replier, t, text, mentions, false)
                };
                out.push(msg);
                last_sender = replier;
            }
        }
    }
    out.sort_by_key(|m| m.create_time);
    for m in &out {
        if rng.chance(18) {
            let n = 1 + rng.below(3);
            for _ in 0..n {
                let user = rng.pick(s.members).0;
                let emoji = *rng.pick(EMOJI);
                let dup = chat.reactions.iter().any(|r| {
                    r.message == m.id && r.space == m.space && r.user == user && r.emoji == emoji
                });
                if user != m.sender && !dup {
                    chat.reactions.push(Reaction {
                        id: rng.id(11),
                        space: s.id.to_string(),
                        message: m.id.clone(),
                        user: user.to_string(),
                        emoji: emoji.to_string(),
                    });
                }
            }
        }
    }
    out
}

/// Gives some incident and design threads a file, stored as media so download works.
fn attach_seed_media(
    rng: &mut Prng,
    s: &SeedSpace,
    n: u32,
    msg: &mut Message,
    chat: &mut ChatState,
) {
    let (filename, content_type, bytes) = match s.topic {
        Topic::Incidents if n.is_multiple_of(6) => {
            let stamp = msg.create_time.format("%Y%m%d-%H%M");
            let body = format!(
                "{} ERROR upstream connect error or disconnect/reset before headers\n{} WARN retry budget exhausted\n",
                msg.create_time.format("%Y-%m-%dT%H:%M:%SZ"),
                msg.create_time.format("%Y-%m-%dT%H:%M:%SZ"),
            );
            (
                format!("incident-{stamp}.log"),
                "text/plain",
                body.into_bytes(),
            )
        }
        Topic::Design if n.is_multiple_of(5) => {
            (format!("mockup-v{n}.png"), "image/png", PNG_1X1.to_vec())
        }
        _ => return,
    };
    let media = format!("{}{}", rng.id(24), rng.id(24));
    chat.media.insert(
        media.clone(),
        Media {
            space: s.id.to_string(),
            filename: filename.clone(),
            content_type: content_type.to_string(),
            bytes,
        },
    );
    msg.attachments.push(Attachment {
        id: rng.id(22),
        media,
        filename,
        content_type: content_type.to_string(),
    });
}

#[allow(clippy::too_many_arguments)]
fn message(
    space: &str,
    own: &str,
    thread: &str,
    sender: &str,
    time: DateTime<Utc>,
    text: String,
    mentions: Vec<Mention>,
    reply: bool,
) -> Message {
    Message {
        space: space.to_string(),
        id: format!("{own}.{thread}"),
        thread: thread.to_string(),
        sender: sender.to_string(),
        create_time: time,
        update_time: None,
        text,
        mentions,
        reply,
        client_id: None,
        deleted: None,
        attachments: Vec::new(),
        request_id: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_is_rich_and_recent() {
        let now = Utc::now();
        let chat = seed(now);
        let total: usize = chat.messages.values().map(Vec::len).sum();
        assert!(total > 300, "only {total} messages");
        let week_ago = now - Duration::days(7);
        for s in data::SPACES.iter().filter(|s| s.threads_per_day >= 2) {
            let recent = chat.messages[s.id]
                .iter()
                .filter(|m| m.create_time > week_ago)
                .count();
            assert!(recent > 0, "{} has nothing this week", s.id);
        }
        let all: Vec<&Message> = chat.messages.values().flatten().collect();
        assert!(all.iter().any(|m| m.reply));
        assert!(
            all.iter()
                .any(|m| m.mentions.iter().any(|x| x.user == "all"))
        );
        assert!(
            all.iter()
                .any(|m| m.mentions.iter().any(|x| x.user == PRIMARY_USER))
        );
        assert!(all.iter().any(|m| m.text.contains("```")));
        assert!(all.iter().any(|m| !m.attachments.is_empty()));
        assert!(all.iter().all(|m| m.create_time <= now));
        for m in &all {
            for x in &m.mentions {
                let label: String = m.text.chars().skip(x.start).take(x.length).collect();
                assert!(label.starts_with('@'), "{label}");
            }
        }
    }

    #[test]
    fn every_space_has_messages_in_the_last_day_at_any_date_and_hour() {
        // A Monday before office hours, a Sunday night, a Saturday at 3, a Wednesday noon,
        // and every hour of one week.
        let fixed = [
            "2026-11-23T06:30:00Z",
            "2026-11-22T23:00:00Z",
            "2026-11-21T03:00:00Z",
            "2026-11-25T12:00:00Z",
        ]
        .map(|t| t.parse::<DateTime<Utc>>().unwrap());
        let start = fixed[0];
        let hourly = (0..7 * 24).map(|h| start + Duration::hours(h));
        for now in fixed.into_iter().chain(hourly) {
            let chat = seed(now);
            let cutoff = now - Duration::minutes(2);
            for s in data::SPACES {
                for day in 0..RECENT_DAYS {
                    let (from, to) = (now - Duration::days(day + 1), now - Duration::days(day));
                    let n = chat.messages[s.id]
                        .iter()
                        .filter(|m| m.create_time > from && m.create_time <= to)
                        .count();
                    assert!(n > 0, "{} has nothing {day} day(s) before {now}", s.id);
                }
                assert!(chat.messages[s.id].iter().all(|m| m.create_time <= cutoff));
            }
        }
    }

    #[test]
    fn deterministic() {
        let now = Utc::now();
        let a = seed(now);
        let b = seed(now);
        assert_eq!(
            a.messages[data::ENGINEERING].len(),
            b.messages[data::ENGINEERING].len()
        );
        assert_eq!(
            a.messages[data::ENGINEERING][3].text,
            b.messages[data::ENGINEERING][3].text
        );
    }
}
