//! Members of a space: who is in it (`google_chat_list_members`) and adding or removing
//! people (`google_chat_manage_members`).
//!
//! Chat returns members as bare `users/{id}`; names come from one batched People lookup per
//! call through the shared name cache, never one request per member.

use std::collections::HashMap;
use std::sync::Arc;

use reqwest::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::client::{ChatClient, to_value};
use super::super::models_members::{ListMembershipsResponse, Membership, NewMember, NewMembership};
use super::super::names;
use super::super::people::Sender;
use super::people::{UserRef, get_membership, parse_user, require_any_scope};
use crate::providers::google_chat::Context;
use crate::tools::{Hints, ToolError, ToolErrorKind, ToolSpec};

use super::GOOGLE_CHAT as P;

/// Google's largest `pageSize` for `spaces.members.list` and `spaces.messages.list`.
pub(crate) const MAX_PAGE: u32 = 1000;
const MAX_MEMBERS: u32 = 10_000;
/// Users per `manage_members` call: each costs a paced write, one per second per space.
const MAX_USERS: usize = 50;
pub(crate) const READ_SCOPES: &[&str] = &["chat.memberships", "chat.memberships.readonly"];

pub fn tools() -> Vec<ToolSpec<Context>> {
    vec![
        ToolSpec::new(
            "google_chat_list_members",
            "List a space's members",
            "List the members of a Google Chat space with their names, emails, role (manager or member), state \
             (joined or invited) and join time; all pages up to `limit` (default 500, max 10000). \
             Set `include_groups` to also list Google Groups that are members. To see who actually posted recently, \
             use google_chat_get_conversation_participants.",
            P,
            Hints::READ,
            list_members,
        ),
        ToolSpec::new(
            "google_chat_manage_members",
            "Add or remove space members",
            "Add people to, or remove people from, a Google Chat space (not a direct message). `action` is `add` or \
             `remove`; `users` lists up to 50 emails or Chat user names (`users/123…`). Returns one outcome per user \
             (added, already_member, removed, not_a_member, failed with the reason); removing others needs the \
             space manager role. Removing yourself leaves the space.",
            P,
            Hints {
                read_only: false,
                destructive: true,
                idempotent: true,
                open_world: true,
            },
            manage_members,
        ),
    ]
}

/// One page of `spaces.members.list`.
pub async fn list_memberships(
    client: &ChatClient,
    space: &str,
    page_size: u32,
    page_token: Option<&str>,
    show_groups: bool,
) -> Result<ListMembershipsResponse, ToolError> {
    let mut query = vec![("pageSize", page_size.to_string())];
    if show_groups {
        query.push(("showGroups", "true".to_owned()));
    }
    if let Some(token) = page_token {
        query.push(("pageToken", token.to_owned()));
    }
    client
        .get(client.endpoints().chat_collection(space, "members"), &query)
        .await
}

/// Members up to `limit`, following pages; the token continues after the last one returned.
/// Each page asks only for what is still wanted, so Google's token lines up with `limit`.
pub(crate) async fn collect_memberships(
    client: &ChatClient,
    space: &str,
    limit: u32,
    mut page_token: Option<String>,
    show_groups: bool,
) -> Result<(Vec<Membership>, Option<String>), ToolError> {
    let mut all = Vec::new();
    loop {
        let want = (limit as usize - all.len()).min(MAX_PAGE as usize) as u32;
        let page =
            list_memberships(client, space, want, page_token.as_deref(), show_groups).await?;
        all.extend(page.memberships);
        page_token = page.next_page_token.filter(|t| !t.is_empty());
        if page_token.is_none() || all.len() >= limit as usize {
            all.truncate(limit as usize);
            return Ok((all, page_token));
        }
    }
}

/// Human user names in `memberships`, for one batched lookup.
pub(crate) fn human_users(memberships: &[Membership]) -> impl Iterator<Item = &str> {
    memberships
        .iter()
        .filter_map(|m| m.member.as_ref())
        .filter(|u| u.kind.as_deref() != Some("BOT") && u.name.starts_with("users/"))
        .map(|u| u.name.as_str())
}

pub(crate) fn named(user: &str, names: &HashMap<String, Sender>) -> Sender {
    names.get(user).cloned().unwrap_or_else(|| Sender {
        user: user.to_owned(),
        display_name: None,
        email: None,
    })
}

fn lower_suffix(value: Option<&str>, prefix: &str) -> Option<String> {
    value.map(|v| v.strip_prefix(prefix).unwrap_or(v).to_lowercase())
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListMembersArgs {
    /// The space: `spaces/AAA` or just `AAA`.
    pub space: String,
    /// Maximum members to return (1–10000, default 500).
    pub limit: Option<u32>,
    /// `next_page_token` from a previous call with the same space, to continue.
    pub page_token: Option<String>,
    /// Also list Google Groups that are members (default false).
    pub include_groups: Option<bool>,
    /// Email of the Google account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MemberView {
    /// `users/{id}` for a person or ctx.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// `groups/{id}` for a Google Group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `human`, `bot` or `group`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `member` or `manager`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// `joined` or `invited`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub join_time: Option<String>,
    /// `spaces/…/members/…`.
    pub membership: String,
}

fn member_view(m: Membership, names: &HashMap<String, Sender>) -> MemberView {
    let (user, group, kind, person) = match (&m.member, &m.group_member) {
        (Some(u), _) => {
            let kind = if u.kind.as_deref() == Some("BOT") {
                "bot"
            } else {
                "human"
            };
            let mut person = named(&u.name, names);
            person.display_name = person.display_name.or_else(|| u.display_name.clone());
            (Some(u.name.clone()), None, kind, Some(person))
        }
        (None, Some(g)) => (None, Some(g.name.clone()), "group", None),
        (None, None) => (None, None, "unknown", None),
    };
    MemberView {
        user,
        group,
        display_name: person.as_ref().and_then(|p| p.display_name.clone()),
        email: person.and_then(|p| p.email),
        kind: kind.to_owned(),
        role: lower_suffix(m.role.as_deref(), "ROLE_"),
        state: lower_suffix(m.state.as_deref(), ""),
        join_time: m.create_time,
        membership: m.name,
    }
}

#[derive(Debug, Serialize)]
pub struct MembersResult {
    pub space: String,
    pub count: usize,
    pub members: Vec<MemberView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
}

pub async fn list_members(
    ctx: Arc<Context>,
    args: ListMembersArgs,
) -> Result<MembersResult, ToolError> {
    let space = names::space(&args.space)?;
    let limit = args.limit.unwrap_or(500);
    if !(1..=MAX_MEMBERS).contains(&limit) {
        return Err(ToolError::invalid_argument(format!(
            "invalid argument `limit`: use 1 to {MAX_MEMBERS}"
        )));
    }
    let page_token = args.page_token.filter(|t| !t.trim().is_empty());
    let client = ctx.client(args.account.as_deref())?;
    require_any_scope(&client, READ_SCOPES)?;
    let (memberships, next) = collect_memberships(
        &client,
        &space,
        limit,
        page_token,
        args.include_groups.unwrap_or(false),
    )
    .await?;
    let names = ctx.names.resolve(&client, human_users(&memberships)).await;
    let members: Vec<MemberView> = memberships
        .into_iter()
        .map(|m| member_view(m, &names))
        .collect();
    Ok(MembersResult {
        space,
        count: members.len(),
        members,
        next_page_token: next,
    })
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MemberAction {
    Add,
    Remove,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManageMembersArgs {
    /// The space: `spaces/AAA` or just `AAA` (not a direct message).
    pub space: String,
    /// `add` or `remove`.
    pub action: MemberAction,
    /// 1 to 50 people: emails (`name@example.com`) or Chat user names (`users/123…`).
    pub users: Vec<String>,
    /// Email of the Google account to use when several are signed in.
    pub account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MemberOutcome {
    /// The person as asked for (`users/{id}` or `users/{email}`).
    pub user: String,
    /// `added`, `already_member`, `removed`, `not_a_member` or `failed`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub membership: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ManageMembersResult {
    pub space: String,
    pub action: MemberAction,
    pub succeeded: usize,
    pub failed: usize,
    pub results: Vec<MemberOutcome>,
}

pub async fn manage_members(
    ctx: Arc<Context>,
    args: ManageMembersArgs,
) -> Result<ManageMembersResult, ToolError> {
    let space = names::space(&args.space)?;
    if args.users.is_empty() || args.users.len() > MAX_USERS {
        return Err(ToolError::invalid_argument(format!(
            "invalid argument `users`: give 1 to {MAX_USERS} people (emails or `users/…` names)"
        )));
    }
    let mut users: Vec<UserRef> = Vec::new();
    for (i, input) in args.users.iter().enumerate() {
        let user = parse_user(&format!("users[{i}]"), input)?;
        if !users.contains(&user) {
            users.push(user);
        }
    }
    let client = ctx.client(args.account.as_deref())?;
    client.require_scope("chat.memberships")?;
    // One read up front turns "no such space" and "not a member" into one clear error
    // instead of the same failure once per user, and refuses DMs before any write.
    let target = client.get_space(&space).await?;
    if target.space_type.as_deref() == Some("DIRECT_MESSAGE") {
        return Err(ToolError::invalid_argument(format!(
            "invalid argument `space`: `{space}` is a direct message, whose members cannot change; create a space or group chat instead"
        )));
    }
    let mut results = Vec::with_capacity(users.len());
    let mut errors: Vec<ToolError> = Vec::new();
    for user in &users {
        let outcome = match args.action {
            MemberAction::Add => add_one(&client, &space, user).await,
            MemberAction::Remove => remove_one(&client, &space, user).await,
        };
        results.push(match outcome {
            Ok((status, membership)) => MemberOutcome {
                user: user.chat_name(),
                status,
                display_name: None,
                membership,
                error: None,
            },
            Err(e) => {
                let message = e.message.clone();
                errors.push(e);
                MemberOutcome {
                    user: user.chat_name(),
                    status: "failed",
                    display_name: None,
                    membership: None,
                    error: Some(message),
                }
            }
        });
    }
    // Nothing changed and there is one reason (a missing scope, a refusal, one unknown
    // user): that is the call failing, and the assistant should see it as an error.
    if errors.len() == results.len() && errors.windows(2).all(|w| w[0] == w[1]) {
        return Err(errors.swap_remove(0));
    }
    name_outcomes(&ctx, &client, &mut results).await;
    let failed = results.iter().filter(|r| r.status == "failed").count();
    Ok(ManageMembersResult {
        space,
        action: args.action,
        succeeded: results.len() - failed,
        failed,
        results,
    })
}

async fn add_one(
    client: &ChatClient,
    space: &str,
    user: &UserRef,
) -> Result<(&'static str, Option<String>), ToolError> {
    if let Some(existing) = get_membership(client, space, user).await? {
        return Ok(("already_member", Some(existing.name)));
    }
    let body = to_value(&NewMembership {
        member: NewMember {
            name: user.chat_name(),
            kind: "HUMAN",
        },
    })?;
    let created: Membership = client
        .call(
            Method::POST,
            client.endpoints().chat_collection(space, "members"),
            &[],
            Some(&body),
            false,
        )
        .await?;
    Ok(("added", Some(created.name)))
}

async fn remove_one(
    client: &ChatClient,
    space: &str,
    user: &UserRef,
) -> Result<(&'static str, Option<String>), ToolError> {
    let Some(existing) = get_membership(client, space, user).await? else {
        return Ok(("not_a_member", None));
    };
    let removed: Result<serde_json::Value, ToolError> = client
        .call(
            Method::DELETE,
            client.endpoints().chat_resource(&existing.name),
            &[],
            None,
            true,
        )
        .await;
    match removed {
        Ok(_) => Ok(("removed", Some(existing.name))),
        // The membership was readable, so this 403 is about the role (a scope problem
        // already names `chatkey login`): say which role it takes.
        Err(e)
            if e.kind == ToolErrorKind::PermissionDenied
                && !e.message.contains("chatkey login") =>
        {
            Err(ToolError::new(
                ToolErrorKind::PermissionDenied,
                format!(
                    "only a manager of {space} can remove other people; ask one of its managers (role `manager` in google_chat_list_members)"
                ),
            ))
        }
        Err(e) => Err(e),
    }
}

/// Fills display names from the membership names (`spaces/X/members/{id}`), in one lookup.
async fn name_outcomes(ctx: &Context, client: &ChatClient, results: &mut [MemberOutcome]) {
    let user_of = |r: &MemberOutcome| {
        r.membership
            .as_deref()
            .and_then(|m| m.rsplit_once("/members/"))
            .map(|(_, id)| format!("users/{id}"))
    };
    let users: Vec<String> = results.iter().filter_map(user_of).collect();
    let names = ctx
        .names
        .resolve(client, users.iter().map(String::as_str))
        .await;
    for r in results.iter_mut() {
        if let Some(user) = user_of(r) {
            r.display_name = names.get(&user).and_then(|s| s.display_name.clone());
        }
    }
}
