//! Route types and the path matcher; the table itself (`ROUTES`) is in `route_table`.
//!
//! One table drives dispatch, authentication (scopes per method, copied from the discovery
//! documents), unknown-parameter rejection and the discovery test, so a route cannot be served
//! without also being checked against Google's published surface. Templates use discovery's
//! `flatPath` form with a leading slash: `{x}` is one path segment, `{+x}` one or more.

/// What a route does; the dispatcher matches on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Authorize,
    ConsentDecision,
    Token,
    Revoke,
    OidcUserinfo,
    Oauth2Userinfo,
    SpacesList,
    SpacesGet,
    FindDirectMessage,
    MessagesList,
    MessagesGet,
    MessagesCreate,
    MessagesPatch,
    MessagesUpdate,
    MessagesDelete,
    MembersList,
    MembersGet,
    MembersCreate,
    MembersDelete,
    ReactionsCreate,
    ReactionsList,
    ReactionsDelete,
    MediaUpload,
    MediaDownload,
    AttachmentsGet,
    GetSpaceReadState,
    UpdateSpaceReadState,
    PeopleGet,
    PeopleBatchGet,
}

/// Which Google service a route belongs to (error metadata, standard parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// accounts.google.com / oauth2.googleapis.com / openidconnect: in no discovery document.
    OAuth,
    Chat,
    People,
    Oauth2,
}

impl Service {
    pub fn host(self) -> &'static str {
        match self {
            Service::OAuth => "oauth2.googleapis.com",
            Service::Chat => "chat.googleapis.com",
            Service::People => "people.googleapis.com",
            Service::Oauth2 => "oauth2.googleapis.com",
        }
    }

    /// The gRPC service name used in `ErrorInfo.metadata.method`.
    pub fn rpc_prefix(self) -> &'static str {
        match self {
            Service::OAuth | Service::Oauth2 => "google.identity.oauth2.v2.Oauth2Service",
            Service::Chat => "google.chat.v1.ChatService",
            Service::People => "google.people.v1.PeopleService",
        }
    }

    /// The system parameters every method of the service accepts (discovery `parameters`).
    pub fn standard_params(self) -> &'static [&'static str] {
        match self {
            Service::OAuth => &[],
            Service::Chat | Service::People => &[
                "$.xgafv",
                "access_token",
                "alt",
                "callback",
                "fields",
                "key",
                "oauth_token",
                "prettyPrint",
                "quotaUser",
                "uploadType",
                "upload_protocol",
            ],
            Service::Oauth2 => &[
                "alt",
                "fields",
                "key",
                "oauth_token",
                "prettyPrint",
                "quotaUser",
                "userIp",
            ],
        }
    }
}

/// One served route.
#[derive(Debug)]
pub struct Route {
    pub op: Op,
    pub method: &'static str,
    pub template: &'static str,
    pub service: Service,
    /// The discovery method id, `None` for the OAuth endpoints no discovery document covers.
    pub discovery_id: Option<&'static str>,
    /// The RPC name for error metadata (`ListSpaces`).
    pub rpc: &'static str,
    /// Method-specific query parameters (discovery `location: query`).
    pub params: &'static [&'static str],
    /// Scopes any one of which authorizes the call (discovery `scopes`), short form: the part
    /// after `https://www.googleapis.com/auth/`, or `openid`. Empty: no bearer token needed.
    pub scopes: &'static [&'static str],
}

impl Route {
    pub fn rpc_method(&self) -> String {
        format!("{}.{}", self.service.rpc_prefix(), self.rpc)
    }

    /// Is `name` a query parameter this route accepts?
    pub fn accepts_param(&self, name: &str) -> bool {
        self.params.contains(&name) || self.service.standard_params().contains(&name)
    }
}

/// The full URL form of a short scope name.
pub fn full_scope(short: &str) -> String {
    if short == "openid" {
        short.to_string()
    } else {
        format!("https://www.googleapis.com/auth/{short}")
    }
}

/// Every route the emulator serves.
pub use super::route_table::ROUTES;

/// Path parameters captured by a match, percent-decoded, in template order.
pub type Captures = Vec<(&'static str, String)>;

/// Matches `path` (raw, percent-encoded) against one template.
pub fn match_template<'t>(template: &'t str, path: &str) -> Option<Vec<(&'t str, String)>> {
    let tpl: Vec<&'t str> = template.trim_start_matches('/').split('/').collect();
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut caps = Vec::new();
    match_segments(&tpl, &segs, &mut caps).then_some(caps)
}

fn match_segments<'t>(tpl: &[&'t str], segs: &[&str], caps: &mut Vec<(&'t str, String)>) -> bool {
    let Some((&t, rest_t)) = tpl.split_first() else {
        return segs.is_empty();
    };
    if let Some(name) = t.strip_prefix("{+").and_then(|n| n.strip_suffix('}')) {
        // Greedy-but-backtracking: a `{+x}` may span several segments before a static tail.
        for take in (1..=segs.len()).rev() {
            let joined: Vec<String> = segs[..take].iter().map(|s| decode(s)).collect();
            let mark = caps.len();
            caps.push((name, joined.join("/")));
            if match_segments(rest_t, &segs[take..], caps) {
                return true;
            }
            caps.truncate(mark);
        }
        return false;
    }
    let Some((&s, rest_s)) = segs.split_first() else {
        return false;
    };
    if let (Some(open), Some(close)) = (t.find('{'), t.find('}')) {
        // `{x}` possibly with a literal prefix or a `:verb` suffix inside the same segment.
        let (prefix, suffix) = (&t[..open], &t[close + 1..]);
        let name = &t[open + 1..close];
        let decoded = decode(s);
        if decoded.len() < prefix.len() + suffix.len()
            || !decoded.starts_with(prefix)
            || !decoded.ends_with(suffix)
        {
            return false;
        }
        let value = &decoded[prefix.len()..decoded.len() - suffix.len()];
        if value.is_empty() || value.contains('/') {
            return false;
        }
        caps.push((name, value.to_string()));
        return match_segments(rest_t, rest_s, caps);
    }
    decode(s) == t && match_segments(rest_t, rest_s, caps)
}

/// Percent-decodes one path segment (lossy on invalid UTF-8, which no valid id contains).
pub fn decode(segment: &str) -> String {
    percent_decode(segment, false)
}

/// Percent-decodes `text`; with `plus_as_space`, `+` means a space (form encoding).
pub fn percent_decode(text: &str, plus_as_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' if plus_as_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Finds the route for a request. `Err(true)` means the path exists under another method.
pub fn find(method: &str, path: &str) -> Result<(&'static Route, Captures), bool> {
    let mut path_known = false;
    for route in ROUTES {
        if let Some(caps) = match_template(route.template, path) {
            if route.method == method {
                return Ok((route, caps));
            }
            path_known = true;
        }
    }
    Err(path_known)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_segments_and_verbs() {
        let (r, caps) = find("GET", "/v1/spaces/AAAA1/messages/x.y").unwrap();
        assert_eq!(r.op, Op::MessagesGet);
        assert_eq!(
            caps,
            vec![("spacesId", "AAAA1".into()), ("messagesId", "x.y".into())]
        );
        let (r, _) = find("GET", "/v1/spaces:findDirectMessage").unwrap();
        assert_eq!(r.op, Op::FindDirectMessage);
        let (r, caps) = find("POST", "/upload/v1/spaces/AB/attachments:upload").unwrap();
        assert_eq!(r.op, Op::MediaUpload);
        assert_eq!(caps[0].1, "AB");
        let (r, caps) = find("GET", "/v1/media/a/b%2Fc").unwrap();
        assert_eq!(r.op, Op::MediaDownload);
        assert_eq!(caps[0].1, "a/b/c");
        assert!(find("PUT", "/v1/spaces").unwrap_err());
        assert!(!find("GET", "/v1/nothing").unwrap_err());
        let (r, _) = find("GET", "/v1/people:batchGet").unwrap();
        assert_eq!(r.op, Op::PeopleBatchGet);
    }

    #[test]
    fn decodes_percent_and_plus() {
        assert_eq!(percent_decode("a%40b+c", true), "a@b c");
        assert_eq!(percent_decode("a%4", false), "a%4");
        assert_eq!(percent_decode("100%", false), "100%");
    }
}
