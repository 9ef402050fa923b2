//! Who is behind a user id: a cache of people shared by every call and session of the
//! daemon, per account, so sender names cost one users.info per person, not one per message.
//!
//! Slack has no batch lookup by id, so unknown ids are looked up with users.info
//! concurrently (a few at a time, paced by the method's tier), and each id at most once even
//! when several tool calls ask for it at the same moment (single-flight: later callers wait
//! for the lookup already running). People Slack does not know are remembered too, so they
//! are not asked for on every page. The cache is bounded; the least recently used people go
//! first.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::client::SlackClient;
use super::errors::SlackError;
use super::models::{User, UserInfo};

/// Names change rarely; an hour keeps a long session fresh enough.
pub const TTL: Duration = Duration::from_secs(3600);
/// People kept, over all accounts.
pub const CAPACITY: usize = 20_000;
/// users.info requests in flight at once, over all accounts.
pub const CONCURRENCY: usize = 8;

/// A person as tools show them.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Person {
    pub id: String,
    /// What Slack shows (display name, else real name, else handle).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub real_name: Option<String>,
    /// The `@handle`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    /// Present when the sign-in has `users:read.email`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tz: Option<String>,
    pub is_bot: bool,
    pub deleted: bool,
    /// Slack knows this id (false: `user_not_found`).
    pub known: bool,
}

impl Person {
    pub fn from_user(user: &User) -> Person {
        let nonempty = |s: Option<&str>| s.filter(|s| !s.trim().is_empty()).map(str::to_owned);
        Person {
            id: user.id.clone(),
            name: user.shown_name().map(str::to_owned),
            real_name: user.real_name().map(str::to_owned),
            handle: nonempty(user.name.as_deref()),
            email: nonempty(user.profile.email.as_deref()),
            title: nonempty(user.profile.title.as_deref()),
            tz: nonempty(user.tz.as_deref()),
            is_bot: user.is_bot,
            deleted: user.deleted,
            known: true,
        }
    }

    fn unknown(id: &str) -> Person {
        Person {
            id: id.to_owned(),
            ..Person::default()
        }
    }

    /// The name to show, or the id when there is none.
    pub fn shown(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
}

/// `U…` or `W…` (Enterprise Grid): what users.info takes.
pub fn is_user_id(id: &str) -> bool {
    id.len() >= 2
        && id.len() <= 32
        && matches!(id.as_bytes()[0], b'U' | b'W')
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

type Key = (String, String);
type Lookup = Shared<BoxFuture<'static, Result<Person, SlackError>>>;

struct Entry {
    person: Person,
    fetched: Instant,
    used: u64,
}

struct Inner {
    entries: Mutex<Entries>,
    in_flight: Mutex<HashMap<Key, Lookup>>,
    permits: Semaphore,
    capacity: usize,
}

#[derive(Default)]
struct Entries {
    map: HashMap<Key, Entry>,
    clock: u64,
}

/// The daemon's people, per account. Cloning shares the cache.
#[derive(Clone)]
pub struct UsersCache {
    inner: Arc<Inner>,
}

impl Default for UsersCache {
    fn default() -> Self {
        Self::with_capacity(CAPACITY)
    }
}

impl UsersCache {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                entries: Mutex::default(),
                in_flight: Mutex::default(),
                permits: Semaphore::new(CONCURRENCY),
                capacity: capacity.max(1),
            }),
        }
    }

    /// The cached person, if fresh; never asks Slack.
    pub fn cached(&self, account: &str, id: &str) -> Option<Person> {
        let mut entries = self.inner.entries.lock().unwrap();
        entries.clock += 1;
        let clock = entries.clock;
        let entry = entries.map.get_mut(&(account.to_owned(), id.to_owned()))?;
        if entry.fetched.elapsed() >= TTL {
            return None;
        }
        entry.used = clock;
        Some(entry.person.clone())
    }

    /// Remembers people another call returned anyway (users.list, a search's users).
    pub fn remember(&self, account: &str, users: &[User]) {
        for user in users.iter().filter(|u| is_user_id(&u.id)) {
            self.inner.store(account, Person::from_user(user));
        }
    }

    /// People for `ids` (other ids are skipped), asking Slack only for those not cached.
    /// A lookup that fails is left out (the message is still worth showing with its id);
    /// the first error is logged.
    pub async fn resolve<'a>(
        &self,
        client: &SlackClient,
        ids: impl IntoIterator<Item = &'a str>,
    ) -> HashMap<String, Person> {
        let account = client.account_key();
        let mut found = HashMap::new();
        let mut lookups = Vec::new();
        let mut seen = HashSet::new();
        for id in ids {
            if !is_user_id(id) || !seen.insert(id) {
                continue;
            }
            match self.cached(&account, id) {
                Some(person) => {
                    found.insert(id.to_owned(), person);
                }
                None => lookups.push(self.lookup(client, &account, id)),
            }
        }
        for result in futures::future::join_all(lookups).await {
            match result {
                Ok(person) => {
                    found.insert(person.id.clone(), person);
                }
                Err(e) => tracing::warn!(error = %e, "a Slack user could not be looked up"),
            }
        }
        found
    }

    /// One person, looked up if needed; errors are returned, for tools about that person.
    pub async fn person(&self, client: &SlackClient, id: &str) -> Result<Person, SlackError> {
        let account = client.account_key();
        match self.cached(&account, id) {
            Some(person) => Ok(person),
            None => self.lookup(client, &account, id).await,
        }
    }

    /// The lookup of `id`: the one already running, or a new one.
    fn lookup(&self, client: &SlackClient, account: &str, id: &str) -> Lookup {
        let key = (account.to_owned(), id.to_owned());
        let mut in_flight = self.inner.in_flight.lock().unwrap();
        if let Some(running) = in_flight.get(&key) {
            return running.clone();
        }
        // A lookup that finished since the caller's cache check stored its answer before
        // leaving `in_flight`: use it rather than ask again.
        if let Some(person) = self.cached(account, id) {
            return futures::future::ready(Ok(person)).boxed().shared();
        }
        let inner = self.inner.clone();
        let client = client.clone();
        let running_key = key.clone();
        let lookup = async move {
            let result = fetch(&inner, &client, &running_key.1).await;
            if let Ok(person) = &result {
                inner.store(&running_key.0, person.clone());
            }
            inner.in_flight.lock().unwrap().remove(&running_key);
            result
        }
        .boxed()
        .shared();
        in_flight.insert(key, lookup.clone());
        lookup
    }
}

async fn fetch(inner: &Inner, client: &SlackClient, id: &str) -> Result<Person, SlackError> {
    let _permit = inner
        .permits
        .acquire()
        .await
        .expect("the semaphore is never closed");
    match client
        .call::<UserInfo>("users.info", &serde_json::json!({ "user": id }))
        .await
    {
        Ok(info) => Ok(Person {
            id: id.to_owned(),
            ..Person::from_user(&info.user)
        }),
        Err(e) if matches!(e.code(), Some("user_not_found" | "users_not_found")) => {
            Ok(Person::unknown(id))
        }
        Err(e) => Err(e),
    }
}

impl Inner {
    fn store(&self, account: &str, person: Person) {
        let mut entries = self.entries.lock().unwrap();
        entries.clock += 1;
        let used = entries.clock;
        if entries.map.len() >= self.capacity {
            evict(&mut entries.map, self.capacity);
        }
        entries.map.insert(
            (account.to_owned(), person.id.clone()),
            Entry {
                person,
                fetched: Instant::now(),
                used,
            },
        );
    }
}

/// Drops the least recently used tenth (at least one), so eviction is rare and cheap overall.
fn evict(map: &mut HashMap<Key, Entry>, capacity: usize) {
    let drop_count = (capacity / 10).max(1).min(map.len());
    let mut by_use: Vec<(u64, Key)> = map.iter().map(|(k, e)| (e.used, k.clone())).collect();
    by_use.select_nth_unstable_by_key(drop_count - 1, |(used, _)| *used);
    for (_, key) in by_use.into_iter().take(drop_count) {
        map.remove(&key);
    }
}

#[cfg(test)]
#[path = "users_tests.rs"]
mod tests;
