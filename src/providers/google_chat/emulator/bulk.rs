//! Bulk data for benchmarks and load tests: many spaces full of realistic messages, sent by
//! a pool of people who exist in the People directory.
//!
//! The seeded organisation (`data`) is small on purpose so tests can name everything in it.
//! A benchmark needs the opposite: thirty spaces of a thousand messages from forty people.
//! `Knobs::add_bulk_spaces` builds that on top of the seeded world. Its people come from a
//! fixed, generated directory (`directory()`, consulted by `state::find_user` after the seeded
//! users), so People answers for them exactly as for seeded users and sender names can be
//! resolved; its messages reuse the seeded corpus's templates, with threads, mentions of the
//! signed-in user, @all, code blocks and a few reactions, spread over the last `BULK_DAYS` days.

use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};

use super::corpus::{self, EMOJI};
use super::data::{PRIMARY_USER, SeedUser, Topic};
use super::knobs::Knobs;
use super::seed::{self, Prng};
use super::state::{self, ChatState, Member, Mention, Message, Reaction, Role, Space, SpaceKind};

/// How many generated people the directory holds (the most senders a bulk call can ask for).
pub const DIRECTORY_SIZE: usize = 200;
/// Bulk messages are spread evenly (with jitter) over this many days before now.
pub const BULK_DAYS: i64 = 30;
/// Upper bounds that keep one call within a few hundred MB of emulator memory.
const MAX_SPACES: usize = 500;
const MAX_MESSAGES_PER_SPACE: usize = 20_000;

const GIVEN: &[&str] = &[
    "Amara", "Bjorn", "Chiara", "Dmitri", "Elena", "Farid", "Grace", "Hiroshi", "Ines", "Jonas",
    "Kofi", "Leila", "Mateo", "Nadia", "Oskar", "Paloma", "Quentin", "Rosa", "Samir", "Talia",
];
const FAMILY: &[&str] = &[
    "Abara", "Bauer", "Costa", "Dubois", "Eriksen", "Fischer", "Gupta", "Haddad", "Ivanova",
    "Jensen", "Kowalski", "Larsen", "Moreau", "Novak", "Ortega", "Petrov", "Quinn", "Rossi",
    "Sato", "Varga",
];
const AREAS: &[&str] = &[
    "Payments",
    "Search",
    "Platform",
    "Mobile",
    "Billing",
    "Growth",
    "Data",
    "Security",
    "Identity",
    "Observability",
];
const KINDS: &[&str] = &["Team", "Guild", "Launch", "On-call", "Roadmap"];
/// Topics whose templates suit a team space (no DM small talk).
const TOPICS: &[Topic] = &[
    Topic::Engineering,
    Topic::Incidents,
    Topic::Design,
    Topic::Planning,
    Topic::Random,
    Topic::Sales,
];

/// The generated directory: `DIRECTORY_SIZE` people with Google-shaped numeric ids, distinct
/// names and `given.family@example.com` addresses. Built once, deterministically, so the
/// same person has the same id in every emulator.
pub fn directory() -> &'static [SeedUser] {
    static DIRECTORY: OnceLock<Vec<SeedUser>> = OnceLock::new();
    DIRECTORY.get_or_init(|| {
        // Strings are leaked once (a few kilobytes) because `SeedUser` holds `&'static str`,
        // like the seeded users it stands beside.
        let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
        (0..DIRECTORY_SIZE)
            .map(|i| {
                let given = GIVEN[i % GIVEN.len()];
                // Shifting the family name by the row keeps every (given, family) pair unique.
                let family = FAMILY[(i / GIVEN.len() + i % GIVEN.len()) % FAMILY.len()];
                let mut rng = Prng::new(0xB01C_0000 + i as u64);
                let digits: String = (0..20)
                    .map(|_| char::from(b'0' + rng.below(10) as u8))
                    .collect();
                SeedUser {
                    id: leak(format!("1{digits}")),
                    given,
                    family,
                    email: leak(format!(
                        "{}.{}@example.com",
                        given.to_ascii_lowercase(),
                        family.to_ascii_lowercase()
                    )),
                }
            })
            .collect()
    })
}

/// A directory person by numeric id or email (the forms `find_user` passes on).
pub fn find(key: &str) -> Option<&'static SeedUser> {
    directory()
        .iter()
        .find(|u| u.id == key || u.email.eq_ignore_ascii_case(key))
}

impl Knobs {
    /// Adds `spaces` named spaces, each with the signed-in (primary) user and the first
    /// `senders` directory people as members, and `messages_per_space` messages from those
    /// people spread over the last `BULK_DAYS` days (threads, mentions, a few reactions).
    /// The primary user has read everything. Returns the new spaces' names (`spaces/…`).
    pub fn add_bulk_spaces(
        &self,
        spaces: usize,
        messages_per_space: usize,
        senders: usize,
    ) -> Result<Vec<String>, String> {
        if !(1..=MAX_SPACES).contains(&spaces) {
            return Err(format!("spaces must be 1 to {MAX_SPACES}"));
        }
        if messages_per_space > MAX_MESSAGES_PER_SPACE {
            return Err(format!(
                "messages_per_space must be at most {MAX_MESSAGES_PER_SPACE}"
            ));
        }
        if !(1..=DIRECTORY_SIZE).contains(&senders) {
            return Err(format!("senders must be 1 to {DIRECTORY_SIZE}"));
        }
        let pool: Vec<&str> = directory()[..senders].iter().map(|u| u.id).collect();
        let now = state::now();
        let mut st = self.emu.lock();
        let chat = &mut st.chat;
        // A different stream per call, so a second call adds different spaces and ids.
        let mut rng = Prng::new(0xB01C_5EED ^ (chat.spaces.len() as u64).wrapping_mul(0x9E37));
        let mut names = Vec::with_capacity(spaces);
        for _ in 0..spaces {
            let n = chat.spaces.len();
            let id = loop {
                let id = format!("AAAA{}", alphanumeric(&mut rng, 7));
                if chat.space(&id).is_none() {
                    break id;
                }
            };
            let topic = TOPICS[n % TOPICS.len()];
            let created = now - Duration::days(BULK_DAYS + 30);
            chat.spaces.push(Space {
                id: id.clone(),
                kind: SpaceKind::Space,
                display_name: Some(format!(
                    "{} {} {}",
                    AREAS[n % AREAS.len()],
                    KINDS[(n / AREAS.len()) % KINDS.len()],
                    n + 1
                )),
                description: Some(format!(
                    "Generated space with {messages_per_space} messages from {senders} people"
                )),
                create_time: created,
                last_active: created,
            });
            let members = std::iter::once(PRIMARY_USER).chain(pool.iter().copied());
            for (j, user) in members.enumerate() {
                chat.members.push(Member {
                    space: id.clone(),
                    user: user.to_string(),
                    role: if j == 1 { Role::Manager } else { Role::Member },
                    create_time: created + Duration::minutes(j as i64),
                });
            }
            let messages = history(&mut rng, &id, topic, &pool, messages_per_space, now, chat);
            if let Some(last) = messages.last().map(|m| m.create_time) {
                if let Some(space) = chat.spaces.iter_mut().find(|s| s.id == id) {
                    space.last_active = last;
                }
                chat.read_states
                    .insert((PRIMARY_USER.to_string(), id.clone()), last);
            }
            chat.messages.insert(id.clone(), messages);
            names.push(format!("spaces/{id}"));
        }
        Ok(names)
    }
}

/// `count` messages in `space`, ascending, evenly spread over `BULK_DAYS` days before `now`
/// with jitter; about a third are thread replies. Reactions go straight into `chat`.
fn history(
    rng: &mut Prng,
    space: &str,
    topic: Topic,
    pool: &[&str],
    count: usize,
    now: DateTime<Utc>,
    chat: &mut ChatState,
) -> Vec<Message> {
    let span = Duration::days(BULK_DAYS) - Duration::minutes(5);
    let step_us = span.num_microseconds().unwrap_or(0) / count.max(1) as i64;
    let start = now - Duration::days(BULK_DAYS);
    let mut out: Vec<Message> = Vec::with_capacity(count);
    let mut open_thread: Option<String> = None;
    for i in 0..count {
        let jitter = rng.below(step_us.max(1) as u64) as i64;
        let time = start + Duration::microseconds(step_us * i as i64 + jitter);
        let sender = pool[rng.below(pool.len() as u64) as usize];
        let reply_to = open_thread.clone().filter(|_| rng.chance(35));
        let templates = if reply_to.is_some() {
            corpus::replies(topic)
        } else {
            corpus::starters(topic)
        };
        let template = *rng.pick(templates);
        let (text, mentions) = expand(template, rng, pool, sender, time);
        let own = rng.id(11);
        let thread = reply_to.clone().unwrap_or_else(|| own.clone());
        if reply_to.is_none() {
            open_thread = Some(thread.clone());
        }
        let message = Message {
            space: space.to_string(),
            id: format!("{own}.{thread}"),
            thread,
            sender: sender.to_string(),
            create_time: time,
            update_time: None,
            text,
            mentions,
            reply: reply_to.is_some(),
            client_id: None,
            deleted: None,
            attachments: Vec::new(),
            request_id: None,
        };
        // Rare on purpose: every rendered message scans the reaction list.
        if rng.chance(2) {
            let user = pool[rng.below(pool.len() as u64) as usize];
            if user != sender {
                chat.reactions.push(Reaction {
                    id: rng.id(11),
                    space: space.to_string(),
                    message: message.id.clone(),
                    user: user.to_string(),
                    emoji: rng.pick::<&str>(EMOJI).to_string(),
                });
            }
        }
        out.push(message);
    }
    out.sort_by_key(|m| m.create_time);
    out
}

/// Expands a corpus template (see `corpus`) for a bulk space: `{m}` mentions someone from
/// the pool, `{me}` the primary user (who is a member of every bulk space), `{all}` @all.
fn expand(
    template: &str,
    rng: &mut Prng,
    pool: &[&str],
    sender: &str,
    time: DateTime<Utc>,
) -> (String, Vec<Mention>) {
    seed::expand_with(template, rng, time, |key, rng| match key {
        "me" => Some(PRIMARY_USER.to_string()),
        "m" => {
            let other = pool[rng.below(pool.len() as u64) as usize];
            Some(if other == sender { PRIMARY_USER } else { other }.to_string())
        }
        "all" => Some("all".to_string()),
        _ => None,
    })
}

fn alphanumeric(rng: &mut Prng, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..len)
        .map(|_| ALPHABET[rng.below(ALPHABET.len() as u64) as usize] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::data;
    use super::*;

    #[test]
    fn directory_is_unique_google_shaped_and_apart_from_the_seeded_users() {
        let dir = directory();
        assert_eq!(dir.len(), DIRECTORY_SIZE);
        let mut ids: Vec<&str> = dir.iter().map(|u| u.id).collect();
        let mut emails: Vec<&str> = dir.iter().map(|u| u.email).collect();
        ids.sort();
        ids.dedup();
        emails.sort();
        emails.dedup();
        assert_eq!(ids.len(), DIRECTORY_SIZE);
        assert_eq!(emails.len(), DIRECTORY_SIZE);
        for u in dir {
            assert_eq!(u.id.len(), 21);
            assert!(u.id.starts_with('1') && u.id.bytes().all(|b| b.is_ascii_digit()));
            assert!(
                data::USERS
                    .iter()
                    .all(|s| s.id != u.id && s.email != u.email)
            );
            assert_eq!(state::find_user(&format!("people/{}", u.id)), Some(u));
        }
    }

    #[test]
    fn history_is_spread_sorted_and_threaded() {
        let now = state::now();
        let pool: Vec<&str> = directory()[..40].iter().map(|u| u.id).collect();
        let mut chat = ChatState::default();
        let mut rng = Prng::new(7);
        let list = history(
            &mut rng,
            "AAAAbulk001",
            Topic::Engineering,
            &pool,
            1000,
            now,
            &mut chat,
        );
        assert_eq!(list.len(), 1000);
        assert!(
            list.windows(2)
                .all(|w| w[0].create_time <= w[1].create_time)
        );
        assert!(list[0].create_time >= now - Duration::days(BULK_DAYS));
        assert!(list[999].create_time <= now);
        let senders: std::collections::HashSet<&str> =
            list.iter().map(|m| m.sender.as_str()).collect();
        assert_eq!(
            senders.len(),
            40,
            "every pool member posts in 1,000 messages"
        );
        assert!(list.iter().any(|m| m.reply));
        assert!(
            list.iter()
                .any(|m| m.mentions.iter().any(|x| x.user == PRIMARY_USER))
        );
        for m in &list {
            for x in &m.mentions {
                let label: String = m.text.chars().skip(x.start).take(x.length).collect();
                assert!(label.starts_with('@') && label.len() > 2, "{label}");
            }
        }
    }
}
