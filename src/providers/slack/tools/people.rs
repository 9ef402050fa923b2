//! People: who the signed-in person is (`slack_whoami`), who someone else is
//! (`slack_get_user_info`), who is in a conversation (`slack_list_members`) and who actually
//! talked there lately (`slack_get_conversation_participants`, counted from the messages).
//!
//! Every person comes from the shared users cache, so a member list or a page of posters
//! costs one users.info per person not seen before, never one per message.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::super::client::SlackClient;
use super::super::models::{AuthTest, User, UserInfo};
use super::super::paging::{self, Paging};
use super::super::ts;
use super::super::users::{Person, is_user_id};
use super::channels::check_channel;
use super::views::{ChannelView, PersonView};
use super::window::{Participant, channel_name, channel_view, count_posters, window_messages};
use crate::providers::ProviderId;
use crate::providers::slack::Context;
use crate::time_window::last_days;
use crate::tools::{Hints, ToolError, ToolErrorKind, ToolSpec};

const P: Option<ProviderId> = Some(ProviderId::Slack);

/// Members listed at most by `slack_list_members`.
const MAX_MEMBERS: usize = 1000;
/// Messages read for participants; a busier window is reported as `truncated`.
const MAX_MESSAGES: usize = 2000;

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![
        ToolSpec::new(
            "slack_whoami",
            "Who am I signed in as in Slack",
            "Show the Slack account the Slack tools act as: user id (`U…`, the id that appears as a message sender and in \
             `<@U…>` mentions), name, email, workspace (name and domain, which `account` also accepts) and the permissions \
             (scopes) the sign-in granted. Use it to tell the person's own messages apart from others', or to pick \
             `account` when several workspaces are signed in.",
            P,
            Hints::READ,
            whoami,
        ),
        ToolSpec::new(
            "slack_get_user_info",
            "Look up a Slack person",
            "Look up one person in the workspace by user id (`U…`, e.g. a message sender), email, or `@handle`: name, real \
             name, handle, email, title, time zone, and whether they are a bot or deactivated. To name every member of a \
             channel at once use slack_list_members instead.",
            P,
            Hints::READ,
            get_user_info,
        ),
        ToolSpec::new(
            "slack_list_members",
            "List a conversation's members",
            "List the members of one Slack conversation (channel, private channel, DM or group DM) with names and emails. \
             `channel` is an id (`C…`, `G…`, `D…`) or a name (`#eng` or `eng`). At most `limit` members (1–1000, default \
             200); `next_cursor` continues the list. To see who actually posted lately use \
             slack_get_conversation_participants.",
            P,
            Hints::READ,
            list_members,
        ),
        ToolSpec::new(
            "slack_get_conversation_participants",
            "Who talked in a conversation recently",
            "Who actually posted in a Slack conversation over the last `days_window` days (default 7, max 365), replies in \
             threads included: each poster with name, email, message count and last message time (most active first). \
             `channel` is an id (`C…`, `G…`, `D…`) or a name (`#eng` or `eng`). Use it to find who is involved before \
             mentioning or messaging them; for the plain member list use slack_list_members.",
            P,
            Hints::READ,
            get_conversation_participants,
        ),
    ]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WhoamiArgs {
    /// Email or workspace domain (`acme`) of the Slack account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct WhoamiResult {
    pub user_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub real_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    pub email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// The workspace domain (`acme` of acme.slack.com), also accepted as `account`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub scopes: Vec<String>,
}

pub async fn whoami(ctx: Arc<Context>, args: WhoamiArgs) -> Result<WhoamiResult, ToolError> {
    let client = ctx.client(args.account.as_deref())?;
    let auth: AuthTest = client.call("auth.test", &json!({})).await?;
    let record = client.account().record().clone();
    let user_id = auth
        .user_id
        .clone()
        .or(record.user_id.clone())
        .ok_or_else(|| ToolError::internal("Slack's auth.test named no user; try again"))?;
    let person = ctx.state.users.person(&client, &user_id).await.ok();
    let domain = auth
        .url
        .as_deref()
        .and_then(domain_of)
        .or_else(|| record.aliases.first().cloned());
    Ok(WhoamiResult {
        name: person
            .as_ref()
            .and_then(|p| p.name.clone())
            .or(record.display_name.clone()),
        real_name: person.as_ref().and_then(|p| p.real_name.clone()),
        handle: person.as_ref().and_then(|p| p.handle.clone()),
        email: person
            .as_ref()
            .and_then(|p| p.email.clone())
            .unwrap_or(record.email.clone()),
        user_id,
        team: auth.team,
        team_id: auth.team_id,
        domain,
        url: auth.url,
        scopes: record.scopes,
    })
}

/// `https://acme.slack.com/` → `acme`.
fn domain_of(url: &str) -> Option<String> {
    let host = url::Url::parse(url).ok()?.host_str()?.to_owned();
    host.strip_suffix(".slack.com").map(str::to_owned)
}

/// A person as an assistant named them, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserRef {
    Id(String),
    Email(String),
    /// A handle or display name without the `@`, lower-cased.
    Handle(String),
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
        && s.bytes().all(|b| b.is_ascii_graphic())
}

/// Parses a user id (`U…`/`W…`, or `<@U…>` as it appears in text), an email, or `@handle`.
/// `param` names the argument in the error.
pub fn parse_user(param: &str, input: &str) -> Result<UserRef, ToolError> {
    let input = input.trim();
    let unwrapped = input
        .strip_prefix("<@")
        .and_then(|s| s.strip_suffix('>'))
        .map(|s| s.split('|').next().unwrap_or(s))
        .unwrap_or(input);
    if is_user_id(unwrapped) {
        return Ok(UserRef::Id(unwrapped.to_owned()));
    }
    if is_email(input) {
        return Ok(UserRef::Email(input.to_lowercase()));
    }
    if let Some(handle) = input.strip_prefix('@') {
        let handle = handle.trim();
        if !handle.is_empty() && handle.len() <= 80 && !handle.chars().any(char::is_whitespace) {
            return Ok(UserRef::Handle(handle.to_lowercase()));
        }
    }
    Err(ToolError::invalid_argument(format!(
        "invalid argument `{param}`: `{input}` is not a person; pass a user id like `U0123ABCD` (a message sender), an email like name@example.com, or a handle like `@priya`"
    )))
}

/// The person `user` names, asking Slack only when the cache does not know them.
pub async fn find_person(
    ctx: &Context,
    client: &SlackClient,
    user: &UserRef,
) -> Result<Person, ToolError> {
    let not_found = |what: &str| {
        ToolError::new(
            ToolErrorKind::NotFound,
            format!(
                "no one in this Slack workspace is {what}; check the spelling, or find people with slack_list_members"
            ),
        )
    };
    match user {
        UserRef::Id(id) => {
            let person = ctx.state.users.person(client, id).await?;
            if person.known {
                Ok(person)
            } else {
                Err(not_found(&format!("`{id}`")))
            }
        }
        UserRef::Email(email) => {
            match client
                .call::<UserInfo>("users.lookupByEmail", &json!({ "email": email }))
                .await
            {
                Ok(info) => {
                    ctx.state
                        .users
                        .remember(&client.account_key(), std::slice::from_ref(&info.user));
                    Ok(Person::from_user(&info.user))
                }
                Err(e) if e.code() == Some("users_not_found") => Err(not_found(email)),
                Err(e) => Err(e.into()),
            }
        }
        UserRef::Handle(handle) => {
            let page = paging::collect::<User>(
                client,
                "users.list",
                &Map::new(),
                "members",
                Paging::all(),
            )
            .await?;
            ctx.state.users.remember(&client.account_key(), &page.items);
            let matches = |u: &User| {
                let eq = |s: Option<&str>| s.is_some_and(|s| s.to_lowercase() == *handle);
                eq(u.name.as_deref())
                    || eq(u.profile.display_name.as_deref())
                    || eq(u.profile.display_name_normalized.as_deref())
            };
            // The handle itself wins over a display name someone else may share.
            let by_handle = page.items.iter().find(|u| {
                u.name
                    .as_deref()
                    .is_some_and(|n| n.to_lowercase() == *handle)
            });
            let found: Vec<&User> = match by_handle {
                Some(u) => vec![u],
                None => page.items.iter().filter(|u| matches(u)).collect(),
            };
            match found.as_slice() {
                [one] => Ok(Person::from_user(one)),
                [] => Err(not_found(&format!("`@{handle}`"))),
                several => Err(ToolError::invalid_argument(format!(
                    "invalid argument `user`: `@{handle}` matches several people ({}); pass one of their user ids",
                    several
                        .iter()
                        .map(|u| format!("{} {}", u.id, u.real_name().unwrap_or("")))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))),
            }
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserInfoArgs {
    /// The person: a user id (`U0123ABCD`, as a message sender shows it), an email, or an `@handle`.
    pub user: String,
    /// Email or workspace domain (`acme`) of the Slack account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct UserInfoResult {
    #[serde(flatten)]
    pub person: Person,
}

pub async fn get_user_info(
    ctx: Arc<Context>,
    args: UserInfoArgs,
) -> Result<UserInfoResult, ToolError> {
    let user = parse_user("user", &args.user)?;
    let client = ctx.client(args.account.as_deref())?;
    let person = find_person(&ctx, &client, &user).await?;
    Ok(UserInfoResult { person })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListMembersArgs {
    /// The conversation: an id (`C…`, `G…`, `D…`) or a name (`#eng` or `eng`).
    pub channel: String,
    /// Most members to return (1–1000, default 200).
    pub limit: Option<u32>,
    /// `next_cursor` from an earlier call, to continue the list.
    pub cursor: Option<String>,
    /// Email or workspace domain (`acme`) of the Slack account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MembersResult {
    pub channel: String,
    pub channel_name: String,
    pub count: usize,
    pub members: Vec<PersonView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

pub async fn list_members(
    ctx: Arc<Context>,
    args: ListMembersArgs,
) -> Result<MembersResult, ToolError> {
    check_channel(&args.channel)?;
    let limit = args.limit.unwrap_or(200);
    if !(1..=MAX_MEMBERS as u32).contains(&limit) {
        return Err(ToolError::invalid_argument(
            "invalid argument `limit`: use 1 to 1000",
        ));
    }
    let client = ctx.client(args.account.as_deref())?;
    let channel = ctx
        .state
        .channels
        .resolve(&client, &ctx.state.users, &args.channel)
        .await?;
    let mut query = Map::new();
    query.insert("channel".into(), Value::from(channel.id.clone()));
    let page = paging::collect::<String>(
        &client,
        "conversations.members",
        &query,
        "members",
        Paging::up_to(limit as usize).from_cursor(args.cursor.clone()),
    )
    .await?;
    let people = ctx
        .state
        .users
        .resolve(&client, page.items.iter().map(String::as_str))
        .await;
    let members: Vec<PersonView> = page
        .items
        .iter()
        .map(|id| match people.get(id) {
            Some(p) => PersonView::from(p),
            None => PersonView {
                id: id.clone(),
                name: id.clone(),
                real_name: None,
                email: None,
            },
        })
        .collect();
    Ok(MembersResult {
        channel_name: channel_name(&channel),
        channel: channel.id,
        count: members.len(),
        members,
        next_cursor: page.next_cursor,
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantsArgs {
    /// The conversation: an id (`C…`, `G…`, `D…`) or a name (`#eng` or `eng`).
    pub channel: String,
    /// How many days back to count, ending now (1–365, default 7).
    pub days_window: Option<u32>,
    /// Email or workspace domain (`acme`) of the Slack account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ParticipantsResult {
    pub channel: ChannelView,
    pub days_window: u32,
    pub message_count: usize,
    /// True when the window held more than chatkey reads and the oldest were left out.
    pub truncated: bool,
    pub count: usize,
    pub participants: Vec<Participant>,
}

pub async fn get_conversation_participants(
    ctx: Arc<Context>,
    args: ParticipantsArgs,
) -> Result<ParticipantsResult, ToolError> {
    check_channel(&args.channel)?;
    let (since, _) = last_days(args.days_window, 7, 365)?;
    let client = ctx.client(args.account.as_deref())?;
    let channel = ctx
        .state
        .channels
        .resolve(&client, &ctx.state.users, &args.channel)
        .await?;
    let view = channel_view(&ctx, &client, &channel).await?;
    let (messages, truncated) =
        window_messages(&client, &channel.id, &ts::from_time(since), MAX_MESSAGES).await?;
    let people = ctx
        .state
        .users
        .resolve(&client, messages.iter().filter_map(|m| m.user.as_deref()))
        .await;
    let participants = count_posters(&messages, &people);
    Ok(ParticipantsResult {
        channel: view,
        days_window: args.days_window.unwrap_or(7),
        message_count: messages.len(),
        truncated,
        count: participants.len(),
        participants,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ids_emails_and_handles() {
        assert_eq!(
            parse_user("user", " U02PRIYANT ").unwrap(),
            UserRef::Id("U02PRIYANT".into())
        );
        assert_eq!(
            parse_user("user", "<@U02PRIYANT>").unwrap(),
            UserRef::Id("U02PRIYANT".into())
        );
        assert_eq!(
            parse_user("user", "Priya@Example.com").unwrap(),
            UserRef::Email("priya@example.com".into())
        );
        assert_eq!(
            parse_user("user", "@Priya").unwrap(),
            UserRef::Handle("priya".into())
        );
        for bad in ["", "priya", "@", "@two words", "u02priyant", "x@y"] {
            let e = parse_user("user", bad).unwrap_err();
            assert!(e.message.contains("`user`"), "{bad}: {}", e.message);
        }
    }
}
