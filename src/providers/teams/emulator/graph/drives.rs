//! Files: `/shares/u!…/driveItem/content` (a redirect to a pre-authenticated download), the
//! caller's drive, items by id or path (`root:/A/b.txt:`, `{folder-id}:/b.txt:`), a file's
//! content PUT, `invite`; and a channel files folder's item id.

use base64::Engine as _;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::super::render;
use super::super::state::{Org, State as EmuState};
use super::*;

pub(super) fn route(st: &mut EmuState, r: &Req, segs: &[&str]) -> Result<Answer, Answer> {
    let get = *r.method == Method::GET;
    let post = *r.method == Method::POST;
    match segs {
        ["shares", share, "driveItem", "content"] if get => {
            require(
                r.grant,
                &[
                    "Files.Read",
                    "Files.Read.All",
                    "Files.ReadWrite",
                    "Files.ReadWrite.All",
                    "Sites.Read.All",
                ],
            )?;
            let url = share
                .strip_prefix("u!")
                .and_then(|b| {
                    base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .decode(b)
                        .ok()
                })
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    graph_error(
                        StatusCode::BAD_REQUEST,
                        "invalidRequest",
                        "The sharing token is invalid.",
                    )
                })?;
            let f = st
                .org
                .files
                .iter()
                .find(|f| f.url == url)
                .ok_or_else(|| not_found("Item"))?;
            Err((
                StatusCode::FOUND,
                json!({"location": format!("{}/teams-files/{}", r.base, f.download_token)}),
            ))
        }
        ["me", "drive"] if get => {
            require(r.grant, FILES)?;
            Ok((StatusCode::OK, render::drive(&format!("b!{}", r.me), r.me)))
        }
        ["drives", drive, "items", item] if get => {
            require(r.grant, FILES)?;
            let found = drive_item(&st.org, drive, item).ok_or_else(item_not_found)?;
            Ok((StatusCode::OK, render::drive_item(found)))
        }
        ["drives", drive, "items", item, "content"] if *r.method == Method::PUT => {
            require(
                r.grant,
                &[
                    "Files.ReadWrite",
                    "Files.ReadWrite.All",
                    "Sites.ReadWrite.All",
                ],
            )?;
            let (folder, name) = path_based(item).ok_or_else(|| {
                graph_error(
                    StatusCode::BAD_REQUEST,
                    "invalidRequest",
                    "Use path-based addressing: items/{parent-id}:/{file-name}:/content.",
                )
            })?;
            if name.is_empty() || name.contains(['/', '\\', ':', '*', '?', '"', '<', '>', '|']) {
                return Err(graph_error(
                    StatusCode::BAD_REQUEST,
                    "invalidRequest",
                    "The file name is not valid.",
                ));
            }
            let existing = st
                .org
                .items
                .iter()
                .position(|i| i.drive == *drive && i.folder == folder && i.name == name);
            let guid = super::super::oauth::uuid_like().to_uppercase();
            let web_url = format!(
                "https://contoso-my.sharepoint.com/{}/{}/{}",
                drive,
                url_path(&folder),
                url_path(&name)
            );
            let item = super::super::state::DriveItem {
                drive: drive.to_string(),
                id: format!("01{}", guid.replace('-', "")),
                folder,
                name,
                web_url: web_url.clone(),
                guid,
                shared_with: Vec::new(),
            };
            let status = if existing.is_some() {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            if let Some(i) = existing {
                st.org.items.remove(i);
            }
            st.org.files.retain(|f| f.url != web_url);
            st.org.files.push(super::super::state::StoredFile {
                url: web_url,
                content_type: "application/octet-stream".into(),
                bytes: r.raw.to_vec(),
                download_token: super::super::oauth::token(),
            });
            let out = render::drive_item(&item);
            st.org.items.push(item);
            Ok((status, out))
        }
        ["drives", drive, "items", item, "invite"] if post => {
            require(
                r.grant,
                &[
                    "Files.ReadWrite",
                    "Files.ReadWrite.All",
                    "Sites.ReadWrite.All",
                ],
            )?;
            let emails: Vec<String> = r
                .body
                .get("recipients")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.get("email").and_then(Value::as_str).map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if emails.is_empty()
                || r.body
                    .get("roles")
                    .and_then(Value::as_array)
                    .is_none_or(|a| a.is_empty())
            {
                return Err(graph_error(
                    StatusCode::BAD_REQUEST,
                    "invalidRequest",
                    "recipients and roles are required.",
                ));
            }
            let found = st
                .org
                .items
                .iter_mut()
                .find(|i| i.drive == *drive && i.id == *item)
                .ok_or_else(item_not_found)?;
            found.shared_with.extend(emails.iter().cloned());
            let value: Vec<Value> = emails
                .iter()
                .map(|e| json!({"id": super::super::oauth::uuid_like(), "roles": ["read"], "grantedTo": {"user": {"email": e}}}))
                .collect();
            Ok((StatusCode::OK, json!({"value": value})))
        }
        _ => Err(unrouted(r)),
    }
}

fn item_not_found() -> Answer {
    graph_error(
        StatusCode::NOT_FOUND,
        "itemNotFound",
        "The resource could not be found.",
    )
}

fn url_path(s: &str) -> String {
    s.split('/')
        .map(|p| {
            url::form_urlencoded::byte_serialize(p.as_bytes())
                .collect::<String>()
                .replace('+', "%20")
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A channel files folder's item id in a team's drive.
pub fn folder_id(channel_name: &str) -> String {
    format!("01FOLDER{}", channel_name.to_uppercase().replace(' ', ""))
}

/// `root:/A/B:` or `{folder-id}:/name:`: the folder path and the file name it addresses.
fn path_based(item: &str) -> Option<(String, String)> {
    let (base, rest) = item.split_once(':')?;
    let rest = rest.strip_prefix('/')?.strip_suffix(':')?;
    let (dir, name) = match rest.rsplit_once('/') {
        Some((d, n)) => (d.to_owned(), n.to_owned()),
        None => (String::new(), rest.to_owned()),
    };
    let folder = if base == "root" {
        dir
    } else {
        // A folder item: a channel's files folder (team drives) by its id.
        let channel = base.strip_prefix("01FOLDER")?;
        if dir.is_empty() {
            channel.to_owned()
        } else {
            format!("{channel}/{dir}")
        }
    };
    Some((folder, name))
}

fn drive_item<'a>(
    org: &'a Org,
    drive: &str,
    item: &str,
) -> Option<&'a super::super::state::DriveItem> {
    match path_based(item) {
        Some((folder, name)) => org
            .items
            .iter()
            .find(|i| i.drive == drive && i.folder == folder && i.name == name),
        None => org.items.iter().find(|i| i.drive == drive && i.id == item),
    }
}
