//! Sender names. Google Chat returns only `users/123` for human senders; their names come
//! from the People API. Names are fetched for a whole page at once (`people:batchGet`, up to
//! 200 per request) and cached across calls, so reading 1,000 messages from 40 people costs
//! at most one People request per page and none once the names are known.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::client::ChatClient;

/// Google's per-request limit for `people:batchGet`.
const BATCH_LIMIT: usize = 200;
/// Names change rarely; an hour keeps a long session fresh enough.
const TTL: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Sender {
    /// `users/123…`
    pub user: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// `users/{numeric id}`: a person the People API can look up as `people/{id}`.
fn is_person(user: &str) -> bool {
    user.strip_prefix("users/")
        .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

#[derive(Default)]
pub struct NameCache {
    entries: Mutex<HashMap<String, (Sender, Instant)>>,
}

impl NameCache {
    fn cached(&self, user: &str) -> Option<Sender> {
        let entries = self.entries.lock().unwrap();
        entries
            .get(user)
            .filter(|(_, at)| at.elapsed() < TTL)
            .map(|(s, _)| s.clone())
    }

    /// Names for `users`, fetching the unknown ones in as few People requests as possible.
    /// A failed lookup is not an error: the message is still worth showing with its user id.
    pub async fn resolve<'a>(
        &self,
        client: &ChatClient,
        users: impl IntoIterator<Item = &'a str>,
    ) -> HashMap<String, Sender> {
        let mut found = HashMap::new();
        let mut missing = Vec::new();
        let mut seen = HashSet::new();
        for user in users {
            // Only real people go to the People API: `users/all` (an @all mention) or an
            // email-form name would make Google reject the whole batch.
            if !is_person(user) || !seen.insert(user.to_owned()) {
                continue;
            }
            match self.cached(user) {
                Some(sender) => {
                    found.insert(user.to_owned(), sender);
                }
                None => missing.push(user.to_owned()),
            }
        }
        for chunk in missing.chunks(BATCH_LIMIT) {
            let people: Vec<String> = chunk
                .iter()
                .filter_map(|u| u.strip_prefix("users/"))
                .map(|id| format!("people/{id}"))
                .collect();
            if people.is_empty() {
                continue;
            }
            let response = match client.batch_get_people(&people).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(error = %e, "sender names unavailable");
                    continue;
                }
            };
            let now = Instant::now();
            let mut entries = self.entries.lock().unwrap();
            for answer in response.responses {
                let Some(person) = answer.person else {
                    continue;
                };
                let Some(resource) = person.resource_name.or(answer.requested_resource_name) else {
                    continue;
                };
                let Some(id) = resource.strip_prefix("people/") else {
                    continue;
                };
                let sender = Sender {
                    user: format!("users/{id}"),
                    display_name: person.names.into_iter().find_map(|n| n.display_name),
                    email: person.email_addresses.into_iter().find_map(|e| e.value),
                };
                entries.insert(sender.user.clone(), (sender.clone(), now));
                found.insert(sender.user.clone(), sender);
            }
            // People the directory does not know (deleted or external accounts) are
            // remembered too, or every page would ask for them again.
            for user in chunk {
                if !found.contains_key(user) {
                    let unknown = Sender {
                        user: user.clone(),
                        display_name: None,
                        email: None,
                    };
                    entries.insert(user.clone(), (unknown, now));
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::is_person;

    #[test]
    fn only_numeric_user_ids_go_to_people() {
        assert!(is_person("users/114503258279116830001"));
        assert!(!is_person("users/all"));
        assert!(!is_person("users/alex@example.com"));
        assert!(!is_person("users/"));
        assert!(!is_person("spaces/AAA"));
    }
}
