//! People: who the signed-in person is (`google_chat_whoami`) and who someone else is
//! (`google_chat_get_user_info`), plus the user-argument parsing every people and member
//! tool shares.
//!
//! Chat names a person `users/{id}`, People names the same person `people/{id}`, and
//! assistants mostly know an email. Google has no "person by email" lookup for ordinary
//! users, so an email is resolved through Chat itself: the direct message with that person,
//! then the spaces the two share (`spaces/X/members/{email}` is an alias Google accepts).

use std::sync::Arc;

use reqwest::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::DEFAULT_SCOPES;
use super::super::client::ChatClient;
use super::super::models::Space;
use super::super::models_members::{Membership, PersonFull};
use super::super::not_found::{Kind, Resource};
use crate::providers::google_chat::Context;
use crate::tools::{Hints, ToolError, ToolErrorKind, ToolSpec};

use super::GOOGLE_CHAT as P;

/// How many shared spaces an email lookup asks before giving up: each is one request.
const MAX_SPACES_SCANNED: usize = 25;
const SCOPE_PREFIX: &str = "https://www.googleapis.com/auth/";

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![
        ToolSpec::new(
            "google_chat_whoami",
            "Who am I signed in as",
            "Show the Google account the Google Chat tools act as: email, display name, Chat user name (`users/…`, \
             the id that appears as a message sender), profile photo, and the permissions (scopes) the sign-in granted, \
             with any that chatkey's tools need but were not granted. Use it to tell the person's own messages apart \
             from others', or to pick `account` when several are signed in.",
            P,
            Hints::READ,
            whoami,
        ),
        ToolSpec::new(
            "google_chat_get_user_info",
            "Look up a person",
            "Look up one person by Chat user name (`users/123…`, e.g. a message sender), People name (`people/123…`) \
             or email: display name, email, Chat user name and photo. An email is resolved through the direct message \
             or spaces you share with that person; if you share none it cannot be resolved and the error says so. \
             To name every member of a space at once use google_chat_list_members instead.",
            P,
            Hints::READ,
            get_user_info,
        ),
    ]
}

/// A person as an assistant named them, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserRef {
    /// The account id shared by Chat (`users/{id}`) and People (`people/{id}`).
    Id(String),
    /// An email address, lower-cased.
    Email(String),
}

impl UserRef {
    /// `users/{id}` or `users/{email}`: Chat accepts the email alias in user-authenticated calls.
    pub fn chat_name(&self) -> String {
        match self {
            UserRef::Id(id) => format!("users/{id}"),
            UserRef::Email(email) => format!("users/{email}"),
        }
    }

    /// The id or email, as it goes into a `spaces/X/members/{member}` path.
    pub fn key(&self) -> &str {
        match self {
            UserRef::Id(key) | UserRef::Email(key) => key,
        }
    }
}

fn is_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id != "."
        && id != ".."
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    s.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'/' | b'?' | b'#' | b'%' | b'\\' | b'"'))
}

/// Parses `users/{id}`, `people/{id}`, a bare numeric id, an email, or `users/{email}`.
/// `param` names the argument in the error.
pub fn parse_user(param: &str, input: &str) -> Result<UserRef, ToolError> {
    let input = input.trim();
    let rest = input
        .strip_prefix("users/")
        .or_else(|| input.strip_prefix("people/"))
        .unwrap_or(input);
    if is_email(rest) {
        return Ok(UserRef::Email(rest.to_ascii_lowercase()));
    }
    let prefixed = rest.len() != input.len();
    if is_id(rest) && (prefixed || rest.bytes().all(|b| b.is_ascii_digit())) {
        return Ok(UserRef::Id(rest.to_owned()));
    }
    Err(ToolError::invalid_argument(format!(
        "invalid argument `{param}`: `{input}` is not a person; use an email like name@example.com or a user name like `users/123…` from a message sender or google_chat_list_members"
    )))
}

/// Accepts either of several scopes (a read-only one or the full one): when none was
/// granted, the error names the first.
pub fn require_any_scope(client: &ChatClient, scopes: &[&str]) -> Result<(), ToolError> {
    let granted = &client.account().record().scopes;
    let has = |s: &&str| {
        let full = format!("{SCOPE_PREFIX}{s}");
        granted.iter().any(|g| g == *s || *g == full)
    };
    if granted.is_empty() || scopes.iter().any(has) {
        return Ok(());
    }
    client.require_scope(scopes[0])
}

/// `people.get` with names, emails and photos; `None` when People does not know the id.
pub async fn get_person(client: &ChatClient, id: &str) -> Result<Option<PersonFull>, ToolError> {
    let query = [("personFields", "names,emailAddresses,photos".to_owned())];
    match client.get(client.endpoints().person(id), &query).await {
        Ok(person) => Ok(Some(person)),
        Err(e) if e.kind == ToolErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// `spaces.members.get`; `None` when the user is not a member of that space.
pub async fn get_membership(
    client: &ChatClient,
    space: &str,
    user: &UserRef,
) -> Result<Option<Membership>, ToolError> {
    let name = format!("{space}/members/{}", user.key());
    match client
        .call(
            Method::GET,
            client.endpoints().chat_resource(&name),
            &[],
            None,
            true,
        )
        .await
    {
        Ok(m) => Ok(Some(m)),
        Err(e) if e.kind == ToolErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// `spaces.findDirectMessage`; `None` when there is no direct message with that person yet.
pub async fn find_dm(client: &ChatClient, user: &UserRef) -> Result<Option<Space>, ToolError> {
    let query = [("name", user.chat_name())];
    match client
        .get(client.endpoints().find_direct_message(), &query)
        .await
    {
        Ok(space) => Ok(Some(space)),
        Err(e) if e.kind == ToolErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The numeric id behind an email, found through a space shared with that person.
async fn id_for_email(client: &ChatClient, email: &str) -> Result<String, ToolError> {
    let record = client.account().record();
    if record.email.eq_ignore_ascii_case(email)
        && let Some(id) = record
            .user_id
            .as_deref()
            .and_then(|u| u.strip_prefix("users/"))
    {
        return Ok(id.to_owned());
    }
    let user = UserRef::Email(email.to_owned());
    let member_id = |m: Membership| {
        m.member
            .and_then(|u| u.name.strip_prefix("users/").map(str::to_owned))
            .filter(|id| !id.contains('@'))
    };
    if let Some(dm) = find_dm(client, &user).await?
        && let Some(id) = get_membership(client, &dm.name, &user)
            .await?
            .and_then(member_id)
    {
        return Ok(id);
    }
    let mut spaces = client.list_all_spaces(None).await?;
    // Recently active spaces first: that is where the people one asks about usually are.
    spaces.sort_by(|a, b| b.last_active_time.cmp(&a.last_active_time));
    let scanned = spaces.len().min(MAX_SPACES_SCANNED);
    for space in spaces.iter().take(MAX_SPACES_SCANNED) {
        match get_membership(client, &space.name, &user).await {
            Ok(Some(m)) => {
                if let Some(id) = member_id(m) {
                    return Ok(id);
                }
            }
            Ok(None) => {}
            // One space we may not read must not hide the person in the next one.
            Err(e) if e.kind == ToolErrorKind::PermissionDenied => {}
            Err(e) => return Err(e),
        }
    }
    Err(Resource::new(Kind::Person, email).not_found_because(&format!(
        "you share no direct message and none of the {scanned} most recently active spaces with them; ask for their `users/…` id or take it from a message sender in google_chat_list_messages"
    )))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WhoamiArgs {
    /// Email of the Google account to describe when several are signed in (default: the only one).
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct WhoamiResult {
    pub email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `users/{id}`: how this person appears as a message sender.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub photo_url: Option<String>,
    pub signed_in_at: String,
    /// Granted scopes, short form (`chat.messages`, `openid`, …).
    pub scopes: Vec<String>,
    /// Scopes chatkey's tools use that this sign-in lacks; run `chatkey login google-chat` to grant them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_scopes: Vec<String>,
}

fn short_scope(scope: &str) -> String {
    scope.strip_prefix(SCOPE_PREFIX).unwrap_or(scope).to_owned()
}

pub async fn whoami(ctx: Arc<Context>, args: WhoamiArgs) -> Result<WhoamiResult, ToolError> {
    let client = ctx.client(args.account.as_deref())?;
    let record = client.account().record().clone();
    let scopes: Vec<String> = record.scopes.iter().map(|s| short_scope(s)).collect();
    let missing_scopes = if scopes.is_empty() {
        // An older record without scopes: unknown, so claim nothing is missing.
        Vec::new()
    } else {
        DEFAULT_SCOPES
            .iter()
            .map(|s| short_scope(s))
            .filter(|s| !scopes.contains(s))
            .collect()
    };
    // The profile may have changed since sign-in; the record is the fallback when People is
    // unreachable, so whoami answers even then.
    let person = match get_person(&client, "me").await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "people/me unavailable; answering from the account record");
            None
        }
    };
    let user = record.user_id.clone().or_else(|| {
        person
            .as_ref()
            .and_then(|p| p.resource_name.as_deref())
            .and_then(|r| r.strip_prefix("people/"))
            .map(|id| format!("users/{id}"))
    });
    Ok(WhoamiResult {
        display_name: person
            .as_ref()
            .and_then(PersonFull::display_name)
            .or(record.display_name),
        photo_url: person.as_ref().and_then(PersonFull::photo_url),
        email: record.email,
        user,
        signed_in_at: record.signed_in_at.to_rfc3339(),
        scopes,
        missing_scopes,
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetUserInfoArgs {
    /// The person: an email (`name@example.com`), a Chat user name (`users/123…`) or a People name (`people/123…`).
    pub user: String,
    /// Email of the Google account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct UserInfoResult {
    /// `users/{id}`: how this person appears as a sender or member in Chat.
    pub user: String,
    /// `people/{id}`: the same person in the People API.
    pub person: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub photo_url: Option<String>,
    /// True when this is the signed-in person.
    pub is_me: bool,
}

pub async fn get_user_info(
    ctx: Arc<Context>,
    args: GetUserInfoArgs,
) -> Result<UserInfoResult, ToolError> {
    let user = parse_user("user", &args.user)?;
    let client = ctx.client(args.account.as_deref())?;
    let id = match &user {
        UserRef::Id(id) => id.clone(),
        UserRef::Email(email) => id_for_email(&client, email).await?,
    };
    let person = get_person(&client, &id)
        .await?
        .ok_or_else(|| Resource::new(Kind::Person, format!("users/{id}")).not_found())?;
    let me = client.account().record().user_id.clone();
    let chat_name = format!("users/{id}");
    Ok(UserInfoResult {
        is_me: me.as_deref() == Some(chat_name.as_str()),
        person: format!("people/{id}"),
        display_name: person.display_name(),
        // Without a directory scope People hides other people's email; the one we were
        // given is still the right answer.
        email: person.email().or(match user {
            UserRef::Email(email) => Some(email),
            UserRef::Id(_) => None,
        }),
        photo_url: person.photo_url(),
        user: chat_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_in_every_accepted_form() {
        assert_eq!(
            parse_user("user", "users/123").unwrap(),
            UserRef::Id("123".into())
        );
        assert_eq!(
            parse_user("user", "people/123").unwrap(),
            UserRef::Id("123".into())
        );
        assert_eq!(
            parse_user("user", " 123 ").unwrap(),
            UserRef::Id("123".into())
        );
        assert_eq!(
            parse_user("user", "Priya@Example.com").unwrap(),
            UserRef::Email("priya@example.com".into())
        );
        assert_eq!(
            parse_user("user", "users/a@b.io").unwrap(),
            UserRef::Email("a@b.io".into())
        );
    }

    #[test]
    fn bad_users_name_the_parameter() {
        for bad in [
            "",
            "priya",
            "users/",
            "users/..",
            "users/a/b",
            "a@b",
            "a b@c.d",
            "x@y.z/../w",
            "@b.c",
        ] {
            let e = parse_user("users[0]", bad).unwrap_err();
            assert!(e.message.contains("`users[0]`"), "{bad}: {}", e.message);
        }
    }
}
