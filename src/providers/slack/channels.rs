//! Which conversation a tool's `channel` means: an id (`C…`, `G…`, `D…`) as it is, or a name
//! (`#eng` or `eng`, case-insensitive; `@Alex` for a DM) looked up in a cached
//! conversations.list of every kind the person can see (public and private channels, DMs,
//! group DMs), all pages followed.
//!
//! DMs are named after the other person (from the users cache, looked up only when a name
//! did not match a channel), group DMs after their members. A name that matches nothing
//! refreshes the list once (the channel may be new) and then fails with the closest names;
//! a name that matches several conversations fails listing them, so the assistant can pass
//! the id.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::json;
use tokio::time::Instant;

use super::client::SlackClient;
use super::errors::SlackError;
use super::models::Conversation;
use super::paging::{self, Paging};
use super::users::{Person, UsersCache};
use crate::tools::ToolError;

/// Channels come and go; five minutes keeps lookups cheap without hiding a new one for long
/// (a miss refreshes anyway).
pub const TTL: Duration = Duration::from_secs(300);
/// Every kind of conversation a user token can list.
pub const LIST_TYPES: &str = "public_channel,private_channel,mpim,im";
/// conversations.list is Tier 2 (20 a minute): the largest page Slack allows keeps a big
/// workspace's listing to a few requests.
pub const LIST_PAGE_SIZE: usize = 1000;

/// What a conversation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Channel,
    PrivateChannel,
    DirectMessage,
    GroupDirectMessage,
    /// An id not (yet) in the listing.
    Unknown,
}

impl Kind {
    pub fn of(c: &Conversation) -> Kind {
        if c.is_im {
            Kind::DirectMessage
        } else if c.is_mpim {
            Kind::GroupDirectMessage
        } else if c.is_private || c.is_group {
            Kind::PrivateChannel
        } else {
            Kind::Channel
        }
    }
}

/// A resolved `channel`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelRef {
    pub id: String,
    /// `eng`; the other person for a DM; the members for a group DM; `None` when unknown.
    pub name: Option<String>,
    pub kind: Kind,
}

impl ChannelRef {
    /// How to name it in a sentence: `#eng (C123)`, `DM with Alex (D1)`, or the id.
    pub fn label(&self) -> String {
        match (&self.name, self.kind) {
            (None, _) | (_, Kind::Unknown) => self.id.clone(),
            (Some(n), Kind::DirectMessage) => format!("DM with {n} ({})", self.id),
            (Some(n), Kind::GroupDirectMessage) => format!("group DM with {n} ({})", self.id),
            (Some(n), _) => format!("#{n} ({})", self.id),
        }
    }
}

/// `C…`, `G…` or `D…` followed by uppercase letters and digits.
pub fn is_conversation_id(s: &str) -> bool {
    s.len() >= 2
        && s.len() <= 32
        && matches!(s.as_bytes()[0], b'C' | b'G' | b'D')
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// `mpdm-alex--sam--pat-1` → `alex, sam, pat`.
pub fn group_dm_members(name: &str) -> Option<String> {
    let inner = name.strip_prefix("mpdm-")?;
    let inner = inner.rsplit_once('-').map_or(inner, |(head, _)| head);
    Some(inner.split("--").collect::<Vec<_>>().join(", "))
}

/// The name of `c` as a person reads it (see `ChannelRef::name`), with DM partners from
/// `people`.
pub fn display_name(c: &Conversation, people: &HashMap<String, Person>) -> Option<String> {
    if c.is_im {
        let user = c.user.as_deref()?;
        if user == "USLACKBOT" {
            return Some("Slackbot".to_owned());
        }
        return Some(people.get(user).map_or(user, Person::shown).to_owned());
    }
    let name = c.name.as_deref()?;
    if c.is_mpim {
        return group_dm_members(name).or_else(|| Some(name.to_owned()));
    }
    Some(name.to_owned())
}

struct Listing {
    conversations: Arc<Vec<Conversation>>,
    fetched: Instant,
}

/// The conversations of every account, shared by all calls.
#[derive(Default)]
pub struct ChannelDirectory {
    listings: Mutex<HashMap<String, Listing>>,
    /// One listing request per account at a time; later callers use its result.
    refreshing: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl ChannelDirectory {
    fn snapshot(&self, account: &str) -> Option<(Arc<Vec<Conversation>>, Instant)> {
        let listings = self.listings.lock().unwrap();
        listings
            .get(account)
            .map(|l| (l.conversations.clone(), l.fetched))
    }

    /// A conversation from the last listing, without asking Slack.
    pub fn cached(&self, account: &str, id: &str) -> Option<Conversation> {
        let (all, _) = self.snapshot(account)?;
        all.iter().find(|c| c.id == id).cloned()
    }

    /// Every conversation the person can see: the cached listing while fresh, else (or when
    /// `refresh`) a new one. Concurrent callers share one listing.
    pub async fn conversations(
        &self,
        client: &SlackClient,
        refresh: bool,
    ) -> Result<Arc<Vec<Conversation>>, SlackError> {
        let account = client.account_key();
        let asked = Instant::now();
        if !refresh
            && let Some((all, fetched)) = self.snapshot(&account)
            && fetched.elapsed() < TTL
        {
            return Ok(all);
        }
        let lock = self
            .refreshing
            .lock()
            .unwrap()
            .entry(account.clone())
            .or_default()
            .clone();
        let _guard = lock.lock().await;
        // Someone else listed while we waited: theirs is as new as ours would be.
        if let Some((all, fetched)) = self.snapshot(&account)
            && fetched >= asked
        {
            return Ok(all);
        }
        let args = json!({"types": LIST_TYPES, "exclude_archived": false});
        let page = paging::collect::<Conversation>(
            client,
            "conversations.list",
            args.as_object().expect("a JSON object"),
            "channels",
            Paging {
                page_size: LIST_PAGE_SIZE,
                ..Paging::all()
            },
        )
        .await?;
        if page.next_cursor.is_some() {
            tracing::warn!(
                pages = page.pages,
                "stopped listing Slack conversations at the page cap; names beyond it resolve only by id"
            );
        }
        let all = Arc::new(page.items);
        self.listings.lock().unwrap().insert(
            account,
            Listing {
                conversations: all.clone(),
                fetched: Instant::now(),
            },
        );
        Ok(all)
    }

    /// The conversation `input` names (see the module comment).
    pub async fn resolve(
        &self,
        client: &SlackClient,
        users: &UsersCache,
        input: &str,
    ) -> Result<ChannelRef, ToolError> {
        let input = input.trim();
        if is_conversation_id(input) {
            return Ok(self.by_id(client, users, input));
        }
        let (want, name) = parse_name(input)?;
        let account = client.account_key();
        let started = Instant::now();
        let mut refreshed = false;
        loop {
            let all = self.conversations(client, refreshed).await?;
            let found = self.matching(client, users, &all, want, name).await;
            // A listing made during this call is as new as a refresh would be.
            let just_listed = self
                .snapshot(&account)
                .is_some_and(|(_, fetched)| fetched >= started);
            match found.as_slice() {
                [one] => return Ok(one.clone()),
                [] if !refreshed && !just_listed => refreshed = true,
                [] => return Err(self.not_found(client, users, &all, input, name)),
                several => return Err(ambiguous(input, several)),
            }
        }
    }

    fn by_id(&self, client: &SlackClient, users: &UsersCache, id: &str) -> ChannelRef {
        let account = client.account_key();
        match self.cached(&account, id) {
            Some(c) => {
                let people = c
                    .user
                    .iter()
                    .filter_map(|u| users.cached(&account, u).map(|p| (u.clone(), p)))
                    .collect();
                ChannelRef {
                    name: display_name(&c, &people),
                    kind: Kind::of(&c),
                    id: c.id,
                }
            }
            None => ChannelRef {
                id: id.to_owned(),
                name: None,
                kind: Kind::Unknown,
            },
        }
    }

    async fn matching(
        &self,
        client: &SlackClient,
        users: &UsersCache,
        all: &[Conversation],
        want: Want,
        name: &str,
    ) -> Vec<ChannelRef> {
        // Unicode case folding: people's names (and some channel names) are not ASCII.
        let wanted = name.to_lowercase();
        let same = |s: &Option<String>| s.as_deref().is_some_and(|s| s.to_lowercase() == wanted);
        let mut found: Vec<ChannelRef> = Vec::new();
        if want != Want::DirectMessages {
            for c in all.iter().filter(|c| !c.is_im) {
                let members = c.name.as_deref().and_then(group_dm_members);
                if same(&c.name) || same(&c.name_normalized) || same(&members) {
                    found.push(to_ref(c, &HashMap::new()));
                }
            }
        }
        // DM partners are looked up only when no channel has the name.
        if found.is_empty() && want != Want::Channels {
            let people = dm_partners(client, users, all).await;
            for c in all.iter().filter(|c| c.is_im) {
                let person = c.user.as_ref().and_then(|u| people.get(u));
                let hit =
                    person.is_some_and(|p| same(&p.name) || same(&p.real_name) || same(&p.handle));
                if hit
                    || c.user
                        .as_deref()
                        .is_some_and(|u| u.eq_ignore_ascii_case(name))
                {
                    found.push(to_ref(c, &people));
                }
            }
        }
        found
    }

    fn not_found(
        &self,
        client: &SlackClient,
        users: &UsersCache,
        all: &[Conversation],
        input: &str,
        name: &str,
    ) -> ToolError {
        let account = client.account_key();
        let lower = name.to_lowercase();
        let mut close: Vec<(f64, String)> = all
            .iter()
            .filter_map(|c| {
                let people: HashMap<_, _> = c
                    .user
                    .iter()
                    .filter_map(|u| users.cached(&account, u).map(|p| (u.clone(), p)))
                    .collect();
                let shown = display_name(c, &people)?;
                let score = strsim::jaro_winkler(&lower, &shown.to_lowercase());
                let contains = shown.to_lowercase().contains(&lower) && lower.len() >= 3;
                (score >= 0.8 || contains).then(|| (score, to_ref(c, &people).label()))
            })
            .collect();
        close.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        close.dedup_by(|a, b| a.1 == b.1);
        let hint = if close.is_empty() {
            String::new()
        } else {
            let names: Vec<_> = close.into_iter().take(5).map(|(_, l)| l).collect();
            format!(" (did you mean {}?)", names.join(", "))
        };
        ToolError::not_found(format!(
            "no Slack conversation named `{input}` that you can see{hint}: pass a channel id or a name from slack_list_channels"
        ))
    }
}

fn to_ref(c: &Conversation, people: &HashMap<String, Person>) -> ChannelRef {
    ChannelRef {
        id: c.id.clone(),
        name: display_name(c, people),
        kind: Kind::of(c),
    }
}

async fn dm_partners(
    client: &SlackClient,
    users: &UsersCache,
    all: &[Conversation],
) -> HashMap<String, Person> {
    let ids = all
        .iter()
        .filter(|c| c.is_im)
        .filter_map(|c| c.user.as_deref());
    users.resolve(client, ids).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Any,
    Channels,
    DirectMessages,
}

fn parse_name(input: &str) -> Result<(Want, &str), ToolError> {
    let (want, name) = if let Some(name) = input.strip_prefix('#') {
        (Want::Channels, name)
    } else if let Some(name) = input.strip_prefix('@') {
        (Want::DirectMessages, name)
    } else {
        (Want::Any, input)
    };
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ToolError::invalid_argument(format!(
            "`channel` `{input}` is neither a Slack conversation id (C…, G…, D…) nor a name: pass an id, a channel name like `#eng`, or `@Name` for a DM"
        )));
    }
    Ok((want, name))
}

fn ambiguous(input: &str, several: &[ChannelRef]) -> ToolError {
    let listed: Vec<_> = several.iter().map(ChannelRef::label).collect();
    ToolError::invalid_argument(format!(
        "`{input}` names several Slack conversations: {}; pass the id of the one you mean",
        listed.join(", ")
    ))
}

#[cfg(test)]
#[path = "channels_tests.rs"]
mod tests;
