//! users.info, users.list, users.lookupByEmail, users.profile.get and team.info.
//!
//! Emails appear only for a token with `users:read.email` (lookupByEmail requires it);
//! deactivated people keep a short record with `deleted: true`. users.list without `limit`
//! tries to return everyone at once, as Slack does; with `limit` it pages by cursor.

use serde_json::{Map, Value, json};

use super::data::TEAM;
use super::errors::{ApiResult, SlackError};
use super::paging;
use super::render;
use super::server::Call;
use super::state::User;

fn can_see_email(call: &Call) -> bool {
    call.scopes().iter().any(|s| s == "users:read.email")
}

fn with_locale(mut m: Map<String, Value>, locale: bool) -> Value {
    if locale {
        m.insert("locale".into(), json!("en-US"));
    }
    Value::Object(m)
}

pub fn info(call: &mut Call) -> ApiResult {
    let id = call.args.required("user")?;
    let user = call
        .st
        .ws
        .user(&id)
        .cloned()
        .ok_or_else(|| SlackError::new("user_not_found"))?;
    let mut out = Map::new();
    out.insert(
        "user".into(),
        with_locale(
            render::user(&user, can_see_email(call)),
            call.args.flag("include_locale"),
        ),
    );
    Ok(out)
}

pub fn list(call: &mut Call) -> ApiResult {
    let email = can_see_email(call);
    let locale = call.args.flag("include_locale");
    let everyone: Vec<User> = call.st.ws.users.clone();
    let limit = match call.args.int("limit")? {
        None | Some(0) => everyone.len().max(1),
        Some(n) if n < 0 => return Err(SlackError::new("invalid_limit")),
        Some(n) => (n as usize).min(1000),
    };
    let (page, next) = paging::by_offset(
        &call.st.settings,
        "users.list",
        call.args.str("cursor").as_deref(),
        &everyone,
        limit,
    )?;
    let members: Vec<Value> = page
        .iter()
        .map(|u| with_locale(render::user(u, email), locale))
        .collect();
    let mut out = Map::new();
    out.insert("members".into(), json!(members));
    out.insert("cache_ts".into(), json!(super::state::Ts::now().secs()));
    out.insert("response_metadata".into(), json!({ "next_cursor": next }));
    Ok(out)
}

pub fn lookup_by_email(call: &mut Call) -> ApiResult {
    let email = call.args.required("email")?;
    let user = call
        .st
        .ws
        .users
        .iter()
        .find(|u| !u.email.is_empty() && u.email.eq_ignore_ascii_case(email.trim()))
        .cloned()
        .ok_or_else(|| SlackError::new("users_not_found"))?;
    let mut out = Map::new();
    out.insert("user".into(), Value::Object(render::user(&user, true)));
    Ok(out)
}

pub fn profile_get(call: &mut Call) -> ApiResult {
    let id = call
        .args
        .text("user")
        .unwrap_or_else(|| call.user().to_string());
    let _ = call.args.flag("include_labels");
    let user = call
        .st
        .ws
        .user(&id)
        .cloned()
        .ok_or_else(|| SlackError::new("user_not_found"))?;
    let own = user.id == call.user();
    let mut out = Map::new();
    out.insert(
        "profile".into(),
        Value::Object(render::profile(&user, own || can_see_email(call), false)),
    );
    Ok(out)
}

pub fn team_info(call: &mut Call) -> ApiResult {
    if call.args.text("team").is_some_and(|t| t != TEAM.id) {
        return Err(SlackError::new("team_not_found"));
    }
    if call.args.text("domain").is_some_and(|d| d != TEAM.domain) {
        return Err(SlackError::new("team_not_found"));
    }
    let icon = |size: u32| format!("https://a.slack-edge.com/emulator/acme_{size}.png");
    let mut out = Map::new();
    out.insert(
        "team".into(),
        json!({
            "id": TEAM.id,
            "name": TEAM.name,
            "url": format!("https://{}.slack.com/", TEAM.domain),
            "domain": TEAM.domain,
            "email_domain": TEAM.email_domain,
            "icon": {
                "image_34": icon(34), "image_44": icon(44), "image_68": icon(68),
                "image_88": icon(88), "image_102": icon(102), "image_132": icon(132),
                "image_230": icon(230), "image_default": false,
            },
            "avatar_base_url": "https://ca.slack-edge.com/",
            "is_verified": false,
            "lob_sales_home_enabled": false,
        }),
    );
    Ok(out)
}
