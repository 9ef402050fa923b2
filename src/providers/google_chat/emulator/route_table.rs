//! The route table: every served method with its discovery id, parameters and scopes.
//!
//! Query parameters and scopes are copied from the discovery documents (the discovery test
//! compares them), so the front end refuses an unknown parameter or an under-scoped token the
//! way Google does. One line per route keeps the table reviewable, hence `rustfmt::skip`.

use super::routes::{Op, Route, Service};

const SPACES_READ: &[&str] = &["chat.bot", "chat.spaces", "chat.spaces.readonly"];
const SPACES_GET: &[&str] = &[
    "chat.admin.spaces",
    "chat.admin.spaces.readonly",
    "chat.app.spaces",
    "chat.bot",
    "chat.spaces",
    "chat.spaces.readonly",
];
const MSG_LIST: &[&str] = &[
    "chat.app.messages.readonly",
    "chat.import",
    "chat.messages",
    "chat.messages.readonly",
];
const MSG_GET: &[&str] = &[
    "chat.app.messages.readonly",
    "chat.bot",
    "chat.messages",
    "chat.messages.readonly",
];
const MSG_CREATE: &[&str] = &[
    "chat.bot",
    "chat.import",
    "chat.messages",
    "chat.messages.create",
];
const MSG_WRITE: &[&str] = &["chat.bot", "chat.import", "chat.messages"];
const MEMBERS_LIST: &[&str] = &[
    "chat.admin.memberships",
    "chat.admin.memberships.readonly",
    "chat.app.memberships",
    "chat.bot",
    "chat.import",
    "chat.memberships",
    "chat.memberships.readonly",
];
const MEMBERS_GET: &[&str] = &[
    "chat.admin.memberships",
    "chat.admin.memberships.readonly",
    "chat.app.memberships",
    "chat.bot",
    "chat.memberships",
    "chat.memberships.readonly",
];
const MEMBERS_WRITE: &[&str] = &[
    "chat.admin.memberships",
    "chat.app.memberships",
    "chat.import",
    "chat.memberships",
    "chat.memberships.app",
];
const REACT_CREATE: &[&str] = &[
    "chat.bot",
    "chat.import",
    "chat.messages",
    "chat.messages.reactions",
    "chat.messages.reactions.create",
];
const REACT_LIST: &[&str] = &[
    "chat.app.messages.readonly",
    "chat.bot",
    "chat.messages",
    "chat.messages.reactions",
    "chat.messages.reactions.readonly",
    "chat.messages.readonly",
];
const REACT_DELETE: &[&str] = &[
    "chat.bot",
    "chat.import",
    "chat.messages",
    "chat.messages.reactions",
];
const UPLOAD: &[&str] = &[
    "chat.bot",
    "chat.import",
    "chat.messages",
    "chat.messages.create",
];
const DOWNLOAD: &[&str] = &["chat.bot", "chat.messages", "chat.messages.readonly"];
const READSTATE_GET: &[&str] = &["chat.users.readstate", "chat.users.readstate.readonly"];
const READSTATE_UPDATE: &[&str] = &["chat.users.readstate"];
const PEOPLE: &[&str] = &[
    "contacts",
    "contacts.other.readonly",
    "contacts.readonly",
    "directory.readonly",
    "user.addresses.read",
    "user.birthday.read",
    "user.emails.read",
    "user.gender.read",
    "user.organization.read",
    "user.phonenumbers.read",
    "userinfo.email",
    "userinfo.profile",
];
const USERINFO: &[&str] = &["openid", "userinfo.email", "userinfo.profile"];

/// Google's documented authorization-request parameters (the server checks the ones it uses;
/// the discovery test uses this list to vet logged sign-in URLs).
const AUTHORIZE_PARAMS: &[&str] = &[
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "access_type",
    "prompt",
    "login_hint",
    "include_granted_scopes",
    "enable_granular_consent",
    "nonce",
    "hd",
];

const MSG_LIST_PARAMS: &[&str] = &[
    "filter",
    "markupSyntax",
    "orderBy",
    "pageSize",
    "pageToken",
    "showDeleted",
];
const MSG_CREATE_PARAMS: &[&str] = &[
    "createMessageNotificationOptions.notificationType",
    "messageId",
    "messageReplyOption",
    "requestId",
    "threadKey",
];
const MEMBERS_LIST_PARAMS: &[&str] = &[
    "filter",
    "pageSize",
    "pageToken",
    "showGroups",
    "showInvited",
    "useAdminAccess",
];
const PEOPLE_BATCH_PARAMS: &[&str] = &[
    "personFields",
    "requestMask.includeField",
    "resourceNames",
    "sources",
];
const PEOPLE_GET_PARAMS: &[&str] = &["personFields", "requestMask.includeField", "sources"];

macro_rules! route {
    ($op:ident, $m:literal, $t:literal, $svc:ident, $id:expr, $rpc:literal, $params:expr, $scopes:expr) => {
        Route {
            op: Op::$op,
            method: $m,
            template: $t,
            service: Service::$svc,
            discovery_id: $id,
            rpc: $rpc,
            params: $params,
            scopes: $scopes,
        }
    };
}

/// Every route the emulator serves.
#[rustfmt::skip]
pub static ROUTES: &[Route] = &[
    route!(Authorize, "GET", "/o/oauth2/v2/auth", OAuth, None, "Authorize", AUTHORIZE_PARAMS, &[]),
    route!(ConsentDecision, "POST", "/signin/oauth/consent", OAuth, None, "Consent", &[], &[]),
    route!(Token, "POST", "/token", OAuth, None, "Token", &[], &[]),
    route!(Revoke, "POST", "/revoke", OAuth, None, "Revoke", &["token"], &[]),
    route!(OidcUserinfo, "GET", "/v1/userinfo", OAuth, None, "Userinfo", &[], USERINFO),
    route!(Oauth2Userinfo, "GET", "/oauth2/v2/userinfo", Oauth2, Some("oauth2.userinfo.get"), "GetUserinfo", &[], USERINFO),
    route!(SpacesList, "GET", "/v1/spaces", Chat, Some("chat.spaces.list"), "ListSpaces", &["filter", "pageSize", "pageToken"], SPACES_READ),
    route!(FindDirectMessage, "GET", "/v1/spaces:findDirectMessage", Chat, Some("chat.spaces.findDirectMessage"), "FindDirectMessage", &["name"], SPACES_READ),
    route!(SpacesGet, "GET", "/v1/spaces/{spacesId}", Chat, Some("chat.spaces.get"), "GetSpace", &["useAdminAccess"], SPACES_GET),
    route!(MessagesList, "GET", "/v1/spaces/{spacesId}/messages", Chat, Some("chat.spaces.messages.list"), "ListMessages", MSG_LIST_PARAMS, MSG_LIST),
    route!(MessagesCreate, "POST", "/v1/spaces/{spacesId}/messages", Chat, Some("chat.spaces.messages.create"), "CreateMessage", MSG_CREATE_PARAMS, MSG_CREATE),
    route!(MessagesGet, "GET", "/v1/spaces/{spacesId}/messages/{messagesId}", Chat, Some("chat.spaces.messages.get"), "GetMessage", &["markupSyntax"], MSG_GET),
    route!(MessagesPatch, "PATCH", "/v1/spaces/{spacesId}/messages/{messagesId}", Chat, Some("chat.spaces.messages.patch"), "UpdateMessage", &["allowMissing", "updateMask"], MSG_WRITE),
    route!(MessagesUpdate, "PUT", "/v1/spaces/{spacesId}/messages/{messagesId}", Chat, Some("chat.spaces.messages.update"), "UpdateMessage", &["allowMissing", "updateMask"], MSG_WRITE),
    route!(MessagesDelete, "DELETE", "/v1/spaces/{spacesId}/messages/{messagesId}", Chat, Some("chat.spaces.messages.delete"), "DeleteMessage", &["force"], MSG_WRITE),
    route!(MembersList, "GET", "/v1/spaces/{spacesId}/members", Chat, Some("chat.spaces.members.list"), "ListMemberships", MEMBERS_LIST_PARAMS, MEMBERS_LIST),
    route!(MembersCreate, "POST", "/v1/spaces/{spacesId}/members", Chat, Some("chat.spaces.members.create"), "CreateMembership", &["useAdminAccess"], MEMBERS_WRITE),
    route!(MembersGet, "GET", "/v1/spaces/{spacesId}/members/{membersId}", Chat, Some("chat.spaces.members.get"), "GetMembership", &["useAdminAccess"], MEMBERS_GET),
    route!(MembersDelete, "DELETE", "/v1/spaces/{spacesId}/members/{membersId}", Chat, Some("chat.spaces.members.delete"), "DeleteMembership", &["useAdminAccess"], MEMBERS_WRITE),
    route!(ReactionsCreate, "POST", "/v1/spaces/{spacesId}/messages/{messagesId}/reactions", Chat, Some("chat.spaces.messages.reactions.create"), "CreateReaction", &[], REACT_CREATE),
    route!(ReactionsList, "GET", "/v1/spaces/{spacesId}/messages/{messagesId}/reactions", Chat, Some("chat.spaces.messages.reactions.list"), "ListReactions", &["filter", "pageSize", "pageToken"], REACT_LIST),
    route!(ReactionsDelete, "DELETE", "/v1/spaces/{spacesId}/messages/{messagesId}/reactions/{reactionsId}", Chat, Some("chat.spaces.messages.reactions.delete"), "DeleteReaction", &[], REACT_DELETE),
    route!(AttachmentsGet, "GET", "/v1/spaces/{spacesId}/messages/{messagesId}/attachments/{attachmentsId}", Chat, Some("chat.spaces.messages.attachments.get"), "GetAttachment", &[], &["chat.bot"]),
    route!(MediaUpload, "POST", "/upload/v1/spaces/{spacesId}/attachments:upload", Chat, Some("chat.media.upload"), "UploadAttachment", &[], UPLOAD),
    route!(MediaDownload, "GET", "/v1/media/{+resourceName}", Chat, Some("chat.media.download"), "DownloadMedia", &[], DOWNLOAD),
    route!(GetSpaceReadState, "GET", "/v1/users/{usersId}/spaces/{spacesId}/spaceReadState", Chat, Some("chat.users.spaces.getSpaceReadState"), "GetSpaceReadState", &[], READSTATE_GET),
    route!(UpdateSpaceReadState, "PATCH", "/v1/users/{usersId}/spaces/{spacesId}/spaceReadState", Chat, Some("chat.users.spaces.updateSpaceReadState"), "UpdateSpaceReadState", &["updateMask"], READSTATE_UPDATE),
    route!(PeopleBatchGet, "GET", "/v1/people:batchGet", People, Some("people.people.getBatchGet"), "GetPeople", PEOPLE_BATCH_PARAMS, PEOPLE),
    route!(PeopleGet, "GET", "/v1/people/{peopleId}", People, Some("people.people.get"), "GetPerson", PEOPLE_GET_PARAMS, PEOPLE),
];
