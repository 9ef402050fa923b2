//! People API: `people.get` and `people.getBatchGet` for the seeded directory.
//!
//! Chat's `users/{id}` is People's `people/{id}`; this is how a client turns message senders
//! into names. `personFields` is required and checked against People's field list. Email
//! addresses follow the token's scopes: your own needs an email scope, other people's a
//! directory or contacts scope; names are public profile data.

use serde_json::{Map, Value, json};

use super::crypto;
use super::data::SeedUser;
use super::errors::ApiError;
use super::server::{ApiResult, Call, Reply};
use super::state::find_user;

const DOCS: &str =
    "Valid paths are documented at https://developers.google.com/people/api/rest/v1/people/get.";

/// Every `personFields` path People accepts.
const PERSON_FIELDS: &[&str] = &[
    "addresses",
    "ageRanges",
    "biographies",
    "birthdays",
    "calendarUrls",
    "clientData",
    "coverPhotos",
    "emailAddresses",
    "events",
    "externalIds",
    "genders",
    "imClients",
    "interests",
    "locales",
    "locations",
    "memberships",
    "metadata",
    "miscKeywords",
    "names",
    "nicknames",
    "occupations",
    "organizations",
    "phoneNumbers",
    "photos",
    "relations",
    "sipAddresses",
    "skills",
    "urls",
    "userDefined",
];

const MAX_BATCH: usize = 200;

/// The requested field list from `personFields` (or the deprecated `requestMask.includeField`).
fn person_fields(call: &Call) -> Result<Vec<String>, ApiError> {
    let raw = call
        .q("personFields")
        .or_else(|| call.q("requestMask.includeField"))
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "personFields mask is required. Please specify one or more valid paths. {DOCS}"
            ))
        })?;
    raw.split(',')
        .map(|f| f.trim().trim_start_matches("person.").to_string())
        .map(|f| {
            if PERSON_FIELDS.contains(&f.as_str()) {
                Ok(f)
            } else {
                Err(ApiError::invalid(format!(
                    "Invalid personFields mask path: \"{f}\". {DOCS}"
                )))
            }
        })
        .collect()
}

fn check_sources(call: &Call) -> Result<(), ApiError> {
    const SOURCES: &[&str] = &[
        "READ_SOURCE_TYPE_UNSPECIFIED",
        "READ_SOURCE_TYPE_PROFILE",
        "READ_SOURCE_TYPE_CONTACT",
        "READ_SOURCE_TYPE_DOMAIN_CONTACT",
        "READ_SOURCE_TYPE_OTHER_CONTACT",
    ];
    match call
        .q_all("sources")
        .into_iter()
        .find(|s| !SOURCES.contains(s))
    {
        Some(bad) => Err(ApiError::invalid(format!(
            "Invalid value at 'sources' (type.googleapis.com/google.people.v1.ReadSourceType), \"{bad}\""
        ))),
        None => Ok(()),
    }
}

fn may_see_email(call: &Call, user: &SeedUser) -> bool {
    let own = ["userinfo.email", "user.emails.read"];
    let others = [
        "directory.readonly",
        "contacts",
        "contacts.readonly",
        "contacts.other.readonly",
    ];
    call.caller.has_any(&others) || (user.id == call.user() && call.caller.has_any(&own))
}

fn person_json(call: &Call, user: &SeedUser, fields: &[String]) -> Value {
    let etag = format!(
        "%Eg{}",
        crypto::base64url(&crypto::sha256(user.id.as_bytes())[..12])
    );
    let field_meta = json!({ "primary": true, "source": { "type": "PROFILE", "id": user.id } });
    let mut p = Map::new();
    p.insert("resourceName".into(), json!(format!("people/{}", user.id)));
    p.insert("etag".into(), json!(etag));
    let want = |f: &str| fields.iter().any(|x| x == f);
    if want("metadata") {
        p.insert(
            "metadata".into(),
            json!({
                "sources": [{ "type": "PROFILE", "id": user.id, "etag": etag }],
                "objectType": "PERSON"
            }),
        );
    }
    if want("names") {
        p.insert(
            "names".into(),
            json!([{
                "metadata": field_meta,
                "displayName": user.display_name(),
                "familyName": user.family,
                "givenName": user.given,
                "displayNameLastFirst": format!("{}, {}", user.family, user.given),
                "unstructuredName": user.display_name(),
            }]),
        );
    }
    if want("emailAddresses") && may_see_email(call, user) {
        let mut meta = field_meta.clone();
        meta["verified"] = json!(true);
        p.insert(
            "emailAddresses".into(),
            json!([{ "metadata": meta, "value": user.email }]),
        );
    }
    if want("photos") {
        p.insert(
            "photos".into(),
            json!([{ "metadata": field_meta, "url": user.picture(), "default": true }]),
        );
    }
    Value::Object(p)
}

/// `people/me` or `people/{id}` → the seeded user; `Err` for a malformed name.
fn resolve(call: &Call, name: &str) -> Result<Option<&'static SeedUser>, ApiError> {
    let id = name
        .strip_prefix("people/")
        .filter(|id| !id.is_empty() && !id.contains('/'))
        .ok_or_else(|| ApiError::invalid(format!("Resource name \"{name}\" is not valid. It must be people/me or people/{{person_id}}.")))?;
    let id = if id == "me" { call.user() } else { id };
    Ok(find_user(id).filter(|u| u.id == id))
}

pub fn get(call: &Call) -> ApiResult {
    let fields = person_fields(call)?;
    check_sources(call)?;
    let name = format!("people/{}", call.cap("peopleId"));
    let user = resolve(call, &name)?.ok_or_else(ApiError::not_found)?;
    Ok(Reply::Json(person_json(call, user, &fields)))
}

pub fn batch_get(call: &Call) -> ApiResult {
    let names = call.q_all("resourceNames");
    if names.is_empty() {
        return Err(ApiError::invalid(
            "resourceNames must contain at least one resource name.",
        ));
    }
    if names.len() > MAX_BATCH {
        return Err(ApiError::invalid(format!(
            "Too many resource names: {} were requested, the maximum is {MAX_BATCH}.",
            names.len()
        )));
    }
    let fields = person_fields(call)?;
    check_sources(call)?;
    let mut responses = Vec::new();
    for name in names {
        let entry = match resolve(call, name)? {
            Some(user) => json!({
                "requestedResourceName": name,
                "httpStatusCode": 200,
                "person": person_json(call, user, &fields),
                "status": {},
            }),
            None => json!({
                "requestedResourceName": name,
                "httpStatusCode": 404,
                "status": { "code": 5, "message": "Requested entity was not found." },
            }),
        };
        responses.push(entry);
    }
    Ok(Reply::Json(json!({ "responses": responses })))
}
