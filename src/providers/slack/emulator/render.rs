//! Slack's JSON for the workspace objects: conversations, messages, users, files.
//!
//! One function per shape, each emitting only fields Slack's own response types hold (the spec
//! test walks every answer through @slack/web-api's types). Shapes depend on who asks: a DM is
//! named after the other person, `is_member` and `last_read` are the caller's, an email is
//! shown only with `users:read.email`.

use serde_json::{Map, Value, json};
use unicode_normalization::UnicodeNormalization;

use super::data::TEAM;
use super::state::{ConvKind, Conversation, File, Message, Ts, User, Workspace};

/// `Tomás García` → `Tomas Garcia` (Slack's `*_normalized` fields).
pub fn normalize(text: &str) -> String {
    text.nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect()
}

fn topic(value: &str, creator: &str, set: i64) -> Value {
    json!({ "value": value, "creator": if value.is_empty() { "" } else { creator }, "last_set": if value.is_empty() { 0 } else { set } })
}

/// Which list a conversation object appears in (each has its own field set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvView {
    /// conversations.list
    List,
    /// users.conversations
    UserList,
    /// conversations.info
    Info,
}

/// A conversation as `caller` sees it.
pub fn conversation(
    ws: &Workspace,
    c: &Conversation,
    caller: &str,
    view: ConvView,
) -> Map<String, Value> {
    let mut m = Map::new();
    let updated = (c.created + 86_400) * 1000;
    m.insert("id".into(), json!(c.id));
    m.insert("created".into(), json!(c.created));
    m.insert("is_archived".into(), json!(c.is_archived));
    m.insert("is_org_shared".into(), json!(false));
    m.insert("context_team_id".into(), json!(TEAM.id));
    m.insert("updated".into(), json!(updated));
    if c.kind == ConvKind::Im {
        m.insert("is_im".into(), json!(true));
        let peer = c.im_peer(caller).unwrap_or("");
        m.insert("user".into(), json!(peer));
        if view != ConvView::Info {
            let deleted = ws.user(peer).is_some_and(|u| u.deleted);
            m.insert("is_user_deleted".into(), json!(deleted));
            m.insert("priority".into(), json!(0));
        }
        if view != ConvView::List {
            m.insert("is_open".into(), json!(true));
        }
        if view != ConvView::List {
            add_read_state(ws, c, caller, &mut m, view);
        }
        return m;
    }
    let legacy_group = c.kind == ConvKind::Private && c.id.starts_with('G');
    m.insert("name".into(), json!(c.name));
    m.insert(
        "is_channel".into(),
        json!(matches!(c.kind, ConvKind::Public) || (c.kind == ConvKind::Private && !legacy_group)),
    );
    m.insert("is_group".into(), json!(legacy_group));
    m.insert("is_im".into(), json!(false));
    m.insert("is_mpim".into(), json!(c.kind == ConvKind::Mpim));
    m.insert("is_private".into(), json!(c.kind != ConvKind::Public));
    m.insert("is_general".into(), json!(c.is_general));
    m.insert("unlinked".into(), json!(0));
    m.insert("name_normalized".into(), json!(c.name));
    m.insert("is_shared".into(), json!(false));
    m.insert("is_ext_shared".into(), json!(false));
    m.insert("is_pending_ext_shared".into(), json!(false));
    m.insert("pending_shared".into(), json!([]));
    m.insert("pending_connected_team_ids".into(), json!([]));
    m.insert("shared_team_ids".into(), json!([TEAM.id]));
    m.insert("creator".into(), json!(c.creator));
    // users.conversations lists only the caller's own: no `is_member` (nor `num_members`).
    if view != ConvView::UserList {
        m.insert("is_member".into(), json!(c.is_member(caller)));
    }
    m.insert(
        "topic".into(),
        topic(&c.topic, &c.creator, c.created + 3600),
    );
    m.insert("purpose".into(), topic(&c.purpose, &c.creator, c.created));
    m.insert("previous_names".into(), json!([]));
    if view == ConvView::List {
        m.insert("num_members".into(), json!(c.members.len()));
    }
    if view != ConvView::List {
        add_read_state(ws, c, caller, &mut m, view);
    }
    m
}

/// `last_read` (and for DMs the unread counts) of a member.
fn add_read_state(
    ws: &Workspace,
    c: &Conversation,
    caller: &str,
    m: &mut Map<String, Value>,
    view: ConvView,
) {
    if !c.is_member(caller) {
        return;
    }
    let read = ws
        .last_read
        .get(&(caller.to_string(), c.id.clone()))
        .copied()
        .unwrap_or(Ts(0));
    m.insert("last_read".into(), json!(read.to_string()));
    if view == ConvView::Info && matches!(c.kind, ConvKind::Im | ConvKind::Mpim) {
        let unread = ws
            .messages
            .get(&c.id)
            .into_iter()
            .flatten()
            .filter(|msg| msg.in_history() && msg.ts > read && msg.user != caller)
            .count();
        m.insert("unread_count".into(), json!(unread));
        m.insert("unread_count_display".into(), json!(unread));
    }
}

/// Where a message is shown (replies carry `parent_user_id`, history parents the thread
/// summary, chat.update's echo has no ts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgView {
    History,
    Replies,
    Posted,
    Updated,
}

/// A message as `caller` sees it; `base` is where file URLs point.
pub fn message(
    ws: &Workspace,
    conv: &str,
    msg: &Message,
    caller: &str,
    base: &str,
    view: MsgView,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("type".into(), json!("message"));
    if msg.tombstone {
        // conversations.replies' type has no `subtype`/`hidden`; the text and author say it.
        if view != MsgView::Replies {
            m.insert("subtype".into(), json!("tombstone"));
            m.insert("hidden".into(), json!(true));
        }
        m.insert("text".into(), json!("This message was deleted."));
        m.insert("user".into(), json!("USLACKBOT"));
    } else {
        m.insert("user".into(), json!(msg.user));
        m.insert("text".into(), json!(msg.text));
        // conversations.replies' and chat.update's message types have no `subtype`.
        if msg.broadcast && view != MsgView::Replies && view != MsgView::Updated {
            m.insert("subtype".into(), json!("thread_broadcast"));
        }
    }
    if view != MsgView::Updated {
        m.insert("ts".into(), json!(msg.ts.to_string()));
    }
    m.insert("team".into(), json!(TEAM.id));
    if view == MsgView::Posted {
        if let Some(t) = msg.thread_ts.filter(|t| *t != msg.ts) {
            m.insert("thread_ts".into(), json!(t.to_string()));
            let parent = ws
                .message(conv, t)
                .map(|p| p.user.clone())
                .unwrap_or_default();
            m.insert("parent_user_id".into(), json!(parent));
        }
        return m;
    }
    if let Some(id) = &msg.client_msg_id
        && view == MsgView::History
    {
        m.insert("client_msg_id".into(), json!(id));
    }
    if let Some((user, ts)) = &msg.edited {
        m.insert(
            "edited".into(),
            json!({ "user": user, "ts": ts.to_string() }),
        );
    }
    if !msg.files.is_empty() {
        let files: Vec<Value> = msg
            .files
            .iter()
            .filter_map(|id| ws.files.get(id))
            .map(|f| Value::Object(file(f, base, false)))
            .collect();
        m.insert("files".into(), json!(files));
        m.insert("upload".into(), json!(false));
    }
    if view == MsgView::Updated {
        return m;
    }
    if !msg.reactions.is_empty() {
        m.insert("reactions".into(), reactions(msg, true));
    }
    if let Some(thread) = msg.thread_ts {
        m.insert("thread_ts".into(), json!(thread.to_string()));
        if msg.is_reply() {
            if view == MsgView::Replies {
                let parent = ws
                    .message(conv, thread)
                    .map(|p| p.user.clone())
                    .unwrap_or_default();
                m.insert("parent_user_id".into(), json!(parent));
            } else if let Some(parent) = ws.message(conv, thread) {
                let mut root = thread_summary(ws, conv, parent, caller);
                root.insert("type".into(), json!("message"));
                root.insert("text".into(), json!(parent.text));
                root.insert("ts".into(), json!(parent.ts.to_string()));
                root.insert("thread_ts".into(), json!(parent.ts.to_string()));
                m.insert("root".into(), Value::Object(root));
            }
        } else {
            m.extend(thread_summary(ws, conv, msg, caller));
            m.insert("is_locked".into(), json!(false));
        }
    }
    m
}

/// `reply_count`, `reply_users`, `latest_reply`, `subscribed` of a thread parent.
fn thread_summary(
    ws: &Workspace,
    conv: &str,
    parent: &Message,
    caller: &str,
) -> Map<String, Value> {
    let replies: Vec<&Message> = ws.replies(conv, parent.ts).collect();
    let mut users: Vec<&str> = Vec::new();
    for r in &replies {
        if !users.contains(&r.user.as_str()) {
            users.push(&r.user);
        }
    }
    let mut m = Map::new();
    m.insert("reply_count".into(), json!(replies.len()));
    m.insert("reply_users_count".into(), json!(users.len()));
    if let Some(last) = replies.last() {
        m.insert("latest_reply".into(), json!(last.ts.to_string()));
    }
    m.insert("reply_users".into(), json!(users));
    let subscribed = parent.user == caller || users.contains(&caller);
    m.insert("subscribed".into(), json!(subscribed));
    m
}

/// `[{name, users, count}]`; without `full`, at most ten users per reaction are listed.
pub fn reactions(msg: &Message, full: bool) -> Value {
    let list: Vec<Value> = msg
        .reactions
        .iter()
        .map(|r| {
            let users: Vec<&String> = if full {
                r.users.iter().collect()
            } else {
                r.users.iter().take(10).collect()
            };
            json!({ "name": r.name, "users": users, "count": r.users.len() })
        })
        .collect();
    json!(list)
}

/// `https://acme.slack.com/archives/C…/p1712345678000100` (replies add the thread).
pub fn permalink(conv: &str, msg: &Message) -> String {
    let base = format!(
        "https://{}.slack.com/archives/{conv}/{}",
        TEAM.domain,
        msg.ts.permalink_id()
    );
    match msg.thread_ts.filter(|t| *t != msg.ts) {
        Some(t) => format!("{base}?thread_ts={t}&cid={conv}"),
        None => base,
    }
}

fn enc(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// A file object; `detail` adds where it was shared (files.info, files.completeUploadExternal).
pub fn file(f: &File, base: &str, detail: bool) -> Map<String, Value> {
    let private = format!("{base}/files-pri/{}-{}/{}", TEAM.id, f.id, enc(&f.name));
    let download = format!(
        "{base}/files-pri/{}-{}/download/{}",
        TEAM.id,
        f.id,
        enc(&f.name)
    );
    let mut m = Map::new();
    m.insert("id".into(), json!(f.id));
    m.insert("created".into(), json!(f.created));
    m.insert("timestamp".into(), json!(f.created));
    m.insert("name".into(), json!(f.name));
    m.insert("title".into(), json!(f.title));
    m.insert("mimetype".into(), json!(f.mimetype));
    m.insert("filetype".into(), json!(f.filetype));
    m.insert("pretty_type".into(), json!(f.pretty_type));
    m.insert("user".into(), json!(f.user));
    m.insert("user_team".into(), json!(TEAM.id));
    m.insert("editable".into(), json!(false));
    m.insert("size".into(), json!(f.bytes.len()));
    m.insert("mode".into(), json!("hosted"));
    m.insert("is_external".into(), json!(false));
    m.insert("external_type".into(), json!(""));
    m.insert(
        "is_public".into(),
        json!(f.shares.iter().any(|(c, _)| c.starts_with('C'))),
    );
    m.insert("public_url_shared".into(), json!(false));
    m.insert("display_as_bot".into(), json!(false));
    m.insert("username".into(), json!(""));
    m.insert("url_private".into(), json!(private));
    m.insert("url_private_download".into(), json!(download));
    m.insert(
        "permalink".into(),
        json!(format!(
            "https://{}.slack.com/files/{}/{}/{}",
            TEAM.domain,
            f.user,
            f.id,
            enc(&f.name)
        )),
    );
    m.insert(
        "permalink_public".into(),
        json!(format!(
            "https://slack-files.com/{}-{}-{}",
            TEAM.id,
            f.id,
            &f.id[1..]
        )),
    );
    m.insert("has_rich_preview".into(), json!(false));
    m.insert("file_access".into(), json!("visible"));
    if let Some(alt) = &f.alt_txt {
        m.insert("alt_txt".into(), json!(alt));
    }
    if detail {
        let ids = |pred: fn(&str) -> bool| -> Vec<&str> {
            f.shares
                .iter()
                .map(|(c, _)| c.as_str())
                .filter(|c| pred(c))
                .collect()
        };
        m.insert("channels".into(), json!(ids(|c| c.starts_with('C'))));
        m.insert("groups".into(), json!(ids(|c| c.starts_with('G'))));
        m.insert("ims".into(), json!(ids(|c| c.starts_with('D'))));
        m.insert("comments_count".into(), json!(0));
        let mut public = Map::new();
        let mut private = Map::new();
        for (conv, ts) in &f.shares {
            let entry = json!([{ "ts": ts.to_string(), "reply_users": [], "reply_users_count": 0, "reply_count": 0, "share_user_id": f.user, "team_id": TEAM.id }]);
            if conv.starts_with('C') {
                public.insert(conv.clone(), entry);
            } else {
                private.insert(conv.clone(), entry);
            }
        }
        let mut shares = Map::new();
        if !public.is_empty() {
            shares.insert("public".into(), Value::Object(public));
        }
        if !private.is_empty() {
            shares.insert("private".into(), Value::Object(private));
        }
        m.insert("shares".into(), Value::Object(shares));
    }
    m
}

fn avatar(user: &User, size: u32) -> String {
    format!(
        "https://avatars.slack-edge.com/emulator/{}_{size}.png",
        user.id
    )
}

/// A profile; `email` only when the caller has `users:read.email`; `team` outside
/// users.profile.get.
pub fn profile(u: &User, email: bool, with_team: bool) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("title".into(), json!(u.title));
    p.insert("phone".into(), json!(""));
    p.insert("skype".into(), json!(""));
    p.insert("real_name".into(), json!(u.real_name));
    p.insert(
        "real_name_normalized".into(),
        json!(normalize(&u.real_name)),
    );
    p.insert("display_name".into(), json!(u.display_name));
    p.insert(
        "display_name_normalized".into(),
        json!(normalize(&u.display_name)),
    );
    p.insert("status_text".into(), json!(u.status_text));
    p.insert("status_emoji".into(), json!(u.status_emoji));
    p.insert("status_expiration".into(), json!(0));
    p.insert("avatar_hash".into(), json!(format!("g{}", &u.id[1..])));
    if email && !u.email.is_empty() {
        p.insert("email".into(), json!(u.email));
    }
    p.insert("first_name".into(), json!(u.first_name));
    p.insert("last_name".into(), json!(u.last_name));
    for size in [24, 32, 48, 72, 192, 512] {
        p.insert(format!("image_{size}"), json!(avatar(u, size)));
    }
    if with_team {
        p.insert("team".into(), json!(TEAM.id));
    }
    p
}

/// A user object (users.info, users.list, users.lookupByEmail).
pub fn user(u: &User, email: bool) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), json!(u.id));
    m.insert("team_id".into(), json!(TEAM.id));
    m.insert("name".into(), json!(u.name));
    m.insert("deleted".into(), json!(u.deleted));
    m.insert("profile".into(), Value::Object(profile(u, email, true)));
    m.insert("is_bot".into(), json!(u.is_bot));
    m.insert("is_app_user".into(), json!(false));
    m.insert("updated".into(), json!(1_700_000_000 + u.id.len() as i64));
    if u.deleted {
        return m;
    }
    m.insert("color".into(), json!(u.color));
    m.insert("real_name".into(), json!(u.real_name));
    m.insert("tz".into(), json!(u.tz));
    m.insert("tz_label".into(), json!(u.tz_label));
    m.insert("tz_offset".into(), json!(u.tz_offset));
    m.insert("is_admin".into(), json!(u.is_admin));
    m.insert("is_owner".into(), json!(u.is_owner));
    m.insert("is_primary_owner".into(), json!(u.is_owner));
    m.insert("is_restricted".into(), json!(false));
    m.insert("is_ultra_restricted".into(), json!(false));
    m.insert("is_email_confirmed".into(), json!(!u.email.is_empty()));
    m.insert("who_can_share_contact_card".into(), json!("EVERYONE"));
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_links() {
        assert_eq!(normalize("Tomás García"), "Tomas Garcia");
        let mut msg = Message {
            ts: Ts::parse("1712345678.000100").unwrap(),
            user: "U1".into(),
            text: String::new(),
            thread_ts: None,
            broadcast: false,
            tombstone: false,
            edited: None,
            reactions: Vec::new(),
            files: Vec::new(),
            client_msg_id: None,
        };
        assert_eq!(
            permalink("C1", &msg),
            "https://acme.slack.com/archives/C1/p1712345678000100"
        );
        msg.thread_ts = Ts::parse("1712345000.000001");
        assert_eq!(
            permalink("C1", &msg),
            "https://acme.slack.com/archives/C1/p1712345678000100?thread_ts=1712345000.000001&cid=C1"
        );
        assert_eq!(enc("my file.txt"), "my%20file.txt");
    }
}
