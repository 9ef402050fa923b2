//! Where a Teams message lives: a chat (`{chat}`, an id like `19:…@thread.v2`) or a channel
//! of a team (`{team, channel}`, ids or display names, matched case-insensitively when only
//! one fits). Everything is checked before a request is made, and ids only ever travel as
//! single URL path segments.

use super::client::GraphClient;
use super::models::{Channel, Team};
use crate::tools::ToolError;

/// The conversation parameters every message tool takes (each tool's arguments carry them
/// as their own fields: serde cannot both flatten and refuse unknown fields).
#[derive(Debug, Clone, Default)]
pub struct Where {
    pub chat: Option<String>,
    pub team: Option<String>,
    pub channel: Option<String>,
}

/// A resolved conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conversation {
    Chat {
        id: String,
    },
    Channel {
        team: String,
        team_name: Option<String>,
        channel: String,
        channel_name: Option<String>,
    },
}

impl Conversation {
    /// The Graph path of this conversation's messages: `chats/{id}/messages` or
    /// `teams/{t}/channels/{c}/messages`.
    pub fn messages_path(&self) -> Vec<&str> {
        match self {
            Self::Chat { id } => vec!["chats", id, "messages"],
            Self::Channel { team, channel, .. } => {
                vec!["teams", team, "channels", channel, "messages"]
            }
        }
    }

    /// A message's Graph path: `…/messages/{id}`, or `…/messages/{parent}/replies/{id}`.
    pub fn message_path<'a>(&'a self, id: &'a str, parent: Option<&'a str>) -> Vec<&'a str> {
        let mut path = self.messages_path();
        match parent {
            Some(p) => path.extend([p, "replies", id]),
            None => path.push(id),
        }
        path
    }

    /// A stable key, so a cursor is only used with the conversation it came from.
    pub fn key(&self) -> String {
        match self {
            Self::Chat { id } => id.clone(),
            Self::Channel { team, channel, .. } => format!("{team}/{channel}"),
        }
    }

    pub fn is_channel(&self) -> bool {
        matches!(self, Self::Channel { .. })
    }

    /// `chat` or `channel`, for results.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Chat { .. } => "chat",
            Self::Channel { .. } => "channel",
        }
    }
}

/// Refuses an empty, overlong or control-character value for `param`.
pub fn check_id(param: &str, value: &str) -> Result<(), ToolError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ToolError::invalid_argument(format!(
            "invalid argument `{param}`: it is empty; give an id or a name"
        )));
    }
    if v.chars().count() > 300 || v.chars().any(char::is_control) {
        return Err(ToolError::invalid_argument(format!(
            "invalid argument `{param}`: that is not an id or a name (too long, or it holds control characters)"
        )));
    }
    Ok(())
}

/// Checks `w` names exactly one conversation, before any request.
pub fn check(w: &Where) -> Result<(), ToolError> {
    match (&w.chat, &w.team, &w.channel) {
        (Some(chat), None, None) => {
            check_id("chat", chat)?;
            if !chat.trim().starts_with("19:") {
                return Err(ToolError::invalid_argument(format!(
                    "invalid argument `chat`: `{chat}` is not a chat id (they start with `19:`); take one from teams_list_chats"
                )));
            }
            Ok(())
        }
        (None, Some(team), Some(channel)) => {
            check_id("team", team)?;
            check_id("channel", channel)
        }
        (None, Some(_), None) => Err(ToolError::invalid_argument(
            "invalid arguments: `team` needs `channel` too (teams_list_channels lists them)",
        )),
        (None, None, Some(_)) => Err(ToolError::invalid_argument(
            "invalid arguments: `channel` needs its `team` too (teams_list_teams lists them)",
        )),
        (None, None, None) => Err(ToolError::invalid_argument(
            "invalid arguments: give `chat` (from teams_list_chats), or `team` and `channel`",
        )),
        (Some(_), _, _) => Err(ToolError::invalid_argument(
            "invalid arguments: give either `chat`, or `team` and `channel`, not both",
        )),
    }
}

fn looks_like_team_id(v: &str) -> bool {
    super::config::is_client_id(v)
}

fn looks_like_channel_id(v: &str) -> bool {
    v.starts_with("19:") && v.contains("@thread.")
}

/// The conversation `w` names; display names are looked up (joined teams, then the team's
/// channels) and must match exactly one.
pub async fn resolve(client: &GraphClient, w: &Where) -> Result<Conversation, ToolError> {
    check(w)?;
    if let Some(chat) = &w.chat {
        return Ok(Conversation::Chat {
            id: chat.trim().to_owned(),
        });
    }
    let (team_arg, channel_arg) = (
        w.team.as_deref().unwrap_or_default().trim(),
        w.channel.as_deref().unwrap_or_default().trim(),
    );
    let (team, team_name) = resolve_team(client, team_arg).await?;
    let (channel, channel_name) = if looks_like_channel_id(channel_arg) {
        (channel_arg.to_owned(), None)
    } else {
        let channels = team_channels(client, &team).await?;
        let c = unique(
            "channel",
            channel_arg,
            channels
                .iter()
                .map(|c| (c.id.as_str(), c.display_name.as_deref())),
            "teams_list_channels",
        )?;
        (c.0, c.1)
    };
    Ok(Conversation::Channel {
        team,
        team_name,
        channel,
        channel_name,
    })
}

/// A team's id and (when looked up) name, from its id or display name.
pub async fn resolve_team(
    client: &GraphClient,
    team: &str,
) -> Result<(String, Option<String>), ToolError> {
    let team = team.trim();
    if looks_like_team_id(team) {
        return Ok((team.to_owned(), None));
    }
    let teams = joined_teams(client).await?;
    unique(
        "team",
        team,
        teams
            .iter()
            .map(|t| (t.id.as_str(), t.display_name.as_deref())),
        "teams_list_teams",
    )
}

/// The one item whose id is `wanted` or whose name matches it case-insensitively.
fn unique<'a>(
    param: &str,
    wanted: &str,
    items: impl Iterator<Item = (&'a str, Option<&'a str>)>,
    lister: &str,
) -> Result<(String, Option<String>), ToolError> {
    let wanted_name = wanted.trim_start_matches('#');
    let items: Vec<(&str, Option<&str>)> = items.collect();
    if let Some((id, name)) = items.iter().find(|(id, _)| *id == wanted) {
        return Ok((id.to_string(), name.map(str::to_owned)));
    }
    let matches: Vec<&(&str, Option<&str>)> = items
        .iter()
        .filter(|(_, name)| name.is_some_and(|n| n.to_lowercase() == wanted_name.to_lowercase()))
        .collect();
    match matches.as_slice() {
        [(id, name)] => Ok((id.to_string(), name.map(str::to_owned))),
        [] => Err(ToolError::not_found(format!(
            "no {param} named `{wanted}` is visible to you; {lister} lists them"
        ))),
        many => Err(ToolError::invalid_argument(format!(
            "invalid argument `{param}`: {} {param}s are named `{wanted}`; give the id instead ({})",
            many.len(),
            many.iter()
                .map(|(id, _)| *id)
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

pub async fn joined_teams(client: &GraphClient) -> Result<Vec<Team>, ToolError> {
    let url = client.url(&["me", "joinedTeams"], &[]);
    Ok(client.collect(url, 1000, |_| false).await?.0)
}

pub async fn team_channels(client: &GraphClient, team: &str) -> Result<Vec<Channel>, ToolError> {
    let url = client.url(&["teams", team, "channels"], &[]);
    Ok(client.collect(url, 1000, |_| false).await?.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(chat: Option<&str>, team: Option<&str>, channel: Option<&str>) -> Where {
        Where {
            chat: chat.map(Into::into),
            team: team.map(Into::into),
            channel: channel.map(Into::into),
        }
    }

    #[test]
    fn one_conversation_exactly() {
        assert!(check(&w(Some("19:abc@thread.v2"), None, None)).is_ok());
        assert!(check(&w(None, Some("Eng"), Some("General"))).is_ok());
        for bad in [
            w(None, None, None),
            w(Some("19:a@thread.v2"), Some("Eng"), Some("General")),
            w(None, Some("Eng"), None),
            w(None, None, Some("General")),
            w(Some("abc"), None, None),
            w(None, Some(""), Some("x")),
            w(None, Some("a\nb"), Some("x")),
        ] {
            assert!(check(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_must_be_unique() {
        let items = [
            ("1", Some("General")),
            ("2", Some("general")),
            ("3", Some("Eng")),
        ];
        let got = unique("channel", "eng", items.iter().copied(), "x").unwrap();
        assert_eq!(got.0, "3");
        assert!(unique("channel", "General", items.iter().copied(), "x").is_err());
        assert!(unique("channel", "nope", items.iter().copied(), "x").is_err());
        assert_eq!(
            unique("channel", "2", items.iter().copied(), "x")
                .unwrap()
                .0,
            "2"
        );
    }
}
