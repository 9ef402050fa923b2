//! The emulator against Google's discovery documents (`$CHATKEY_SPECS_DIR`; `make specs`).
//!
//! Every served route must be a discovery method with the same query parameters and scopes;
//! every body the emulator answers must fit the method's response schema (errors: AIP-193);
//! and, when the suite ran with `CHATKEY_EMULATOR_REQUEST_LOG`, every request the client sent
//! must be a discovery method with known parameters.

use std::collections::{BTreeSet, HashMap};

use chatkey::providers::google_chat::emulator::discovery::{self, DiscoveryDocs};
use chatkey::providers::google_chat::emulator::routes::{ROUTES, full_scope};
use chatkey::providers::google_chat::emulator::{
    REQUEST_LOG_ENV, data, enforced_field_lists, scopes,
};
use reqwest::Method;
use serde_json::{Value, json};

use super::support::*;

fn docs() -> DiscoveryDocs {
    DiscoveryDocs::from_env().unwrap_or_else(|e| panic!("{e}"))
}

/// A concrete path for a template (`{x}` → `x1`, `{+x}` → `a/b`).
fn instantiate(template: &str) -> String {
    template
        .split('/')
        .map(|seg| match (seg.find('{'), seg.find('}')) {
            (Some(o), Some(c)) if seg[o..].starts_with("{+") => {
                format!("{}a/b{}", &seg[..o], &seg[c + 1..])
            }
            (Some(o), Some(c)) => format!("{}{}1{}", &seg[..o], &seg[o + 1..c], &seg[c + 1..]),
            _ => seg.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[test]
fn discovery_every_route_is_a_discovery_method() {
    let docs = docs();
    for r in ROUTES {
        let path = instantiate(r.template);
        let Some(id) = r.discovery_id else {
            assert!(
                discovery::check_request(&docs, r.method, &path, &[]).is_err(),
                "{} {} is in a discovery document",
                r.method,
                r.template
            );
            continue;
        };
        let got = discovery::check_request(&docs, r.method, &path, r.params)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got, id, "{} {}", r.method, r.template);
        let m = docs.method(id).unwrap();
        let ours: BTreeSet<String> = r.params.iter().map(|s| s.to_string()).collect();
        assert_eq!(ours, m.query_params, "query parameters of {id}");
        let scopes: BTreeSet<String> = r.scopes.iter().map(|s| full_scope(s)).collect();
        let theirs: BTreeSet<String> = m.scopes.iter().cloned().collect();
        assert_eq!(scopes, theirs, "scopes of {id}");
    }
    for (short, description) in scopes::SCOPES {
        assert_eq!(
            docs.scope_description(&full_scope(short)),
            Some(*description),
            "scope {short}"
        );
    }
    for (schema, fields) in enforced_field_lists() {
        let props: BTreeSet<&str> = docs.schema(schema).unwrap()["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            fields.iter().copied().collect::<BTreeSet<_>>(),
            props,
            "fields of {schema}"
        );
    }
}

/// Sends requests and keeps `(route id, status, body)` for validation.
struct Recorder {
    api: Api,
    seen: Vec<(String, u16, Value)>,
}

impl Recorder {
    async fn call(&mut self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, value) = self.api.call(method.clone(), path, body).await;
        let bare = path.split('?').next().unwrap();
        let id = ROUTES
            .iter()
            .find(|r| {
                r.method == method.as_str()
                    && chatkey::providers::google_chat::emulator::routes::match_template(
                        r.template, bare,
                    )
                    .is_some()
            })
            .and_then(|r| r.discovery_id)
            .unwrap_or_else(|| panic!("{method} {path} is not a discovery route"));
        self.seen.push((id.to_string(), status, value.clone()));
        value
    }
    async fn get(&mut self, path: &str) -> Value {
        self.call(Method::GET, path, None).await
    }
}

#[tokio::test]
async fn discovery_every_response_fits_its_schema() {
    let docs = docs();
    let h = start().await;
    let mut r = Recorder {
        api: Api::new(&h).await,
        seen: Vec::new(),
    };
    let eng = format!("spaces/{}", data::ENGINEERING);
    let (alex, priya) = (data::ALEX, data::PRIYA);
    r.get("/oauth2/v2/userinfo").await;
    r.get("/v1/spaces?pageSize=3").await;
    r.get(&format!(
        "/v1/spaces?filter={}",
        urlencode("spaceType = \"DIRECT_MESSAGE\"")
    ))
    .await;
    r.get("/v1/spaces?filter=nonsense").await;
    for s in data::SPACES {
        r.get(&format!("/v1/spaces/{}", s.id)).await;
        r.get(&format!(
            "/v1/spaces/{}/messages?pageSize=1000&showDeleted=true",
            s.id
        ))
        .await;
        r.get(&format!("/v1/spaces/{}/members", s.id)).await;
        r.get(&format!("/v1/users/me/spaces/{}/spaceReadState", s.id))
            .await;
    }
    r.get(&format!(
        "/v1/{eng}/messages?filter={}",
        urlencode("createTime > \"2999-01-01T00:00:00Z\"")
    ))
    .await;
    r.get(&format!("/v1/spaces:findDirectMessage?name=users/{priya}"))
        .await;
    r.get("/v1/spaces:findDirectMessage?name=users/nobody@example.com")
        .await;
    let posted = r
        .call(
            Method::POST,
            &format!("/v1/{eng}/messages?requestId=d1"),
            Some(json!({"text": format!("hi <users/{priya}> <users/all>")})),
        )
        .await;
    let name = posted["name"].as_str().unwrap().to_string();
    r.call(
        Method::POST,
        &format!("/v1/{eng}/messages?messageReplyOption=REPLY_MESSAGE_OR_FAIL"),
        Some(json!({"text": "x", "thread": {"name": format!("{eng}/threads/zzz")}})),
    )
    .await;
    r.get(&format!("/v1/{name}")).await;
    r.call(
        Method::PATCH,
        &format!("/v1/{name}?updateMask=text"),
        Some(json!({"text": "edited"})),
    )
    .await;
    r.call(
        Method::PUT,
        &format!("/v1/{name}?updateMask=text"),
        Some(json!({"text": "edited again"})),
    )
    .await;
    let reaction = r
        .call(
            Method::POST,
            &format!("/v1/{name}/reactions"),
            Some(json!({"emoji": {"unicode": "👍"}})),
        )
        .await;
    r.get(&format!("/v1/{name}/reactions")).await;
    r.get(&format!("/v1/{name}")).await;
    r.call(
        Method::DELETE,
        &format!("/v1/{}", reaction["name"].as_str().unwrap()),
        None,
    )
    .await;
    r.call(
        Method::POST,
        &format!("/v1/{eng}/members"),
        Some(json!({"member": {"name": "users/nobody"}})),
    )
    .await;
    r.get(&format!("/v1/{eng}/members/{alex}")).await;
    let inc = format!("spaces/{}", data::INCIDENTS);
    r.call(
        Method::POST,
        &format!("/v1/{inc}/members"),
        Some(json!({"member": {"name": format!("users/{}", data::SOFIA), "type": "HUMAN"}})),
    )
    .await;
    r.call(
        Method::DELETE,
        &format!("/v1/{eng}/members/{}", data::SOFIA),
        None,
    )
    .await;
    r.call(
        Method::PATCH,
        &format!(
            "/v1/users/me/spaces/{}/spaceReadState?updateMask=lastReadTime",
            data::ENGINEERING
        ),
        Some(json!({"lastReadTime": "2999-01-01T00:00:00Z"})),
    )
    .await;
    r.call(Method::DELETE, &format!("/v1/{name}"), None).await;
    let messages = r
        .get(&format!(
            "/v1/{}/messages?pageSize=1000",
            format_args!("spaces/{}", data::INCIDENTS)
        ))
        .await;
    let attachment = messages["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|m| m["attachment"].get(0).cloned())
        .expect("seeded attachment");
    r.get(&format!("/v1/{}", attachment["name"].as_str().unwrap()))
        .await;
    let media = attachment["attachmentDataRef"]["resourceName"]
        .as_str()
        .unwrap();
    r.get(&format!("/v1/media/{media}")).await;
    r.get(&format!(
        "/v1/people/{priya}?personFields=names,emailAddresses,photos,metadata"
    ))
    .await;
    r.get(&format!("/v1/people:batchGet?resourceNames=people/{priya}&resourceNames=people/1&personFields=names,emailAddresses")).await;
    r.get("/v1/people/me").await;
    // The upload goes through a raw request (multipart body).
    let (ct, body) = multipart("a.txt", "text/plain", b"hello");
    let resp = http()
        .post(url(
            &h,
            &format!("/upload/v1/{eng}/attachments:upload?uploadType=multipart"),
        ))
        .bearer_auth(&r.api.token)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    r.seen.push((
        "chat.media.upload".into(),
        resp.status().as_u16(),
        resp.json().await.unwrap(),
    ));
    let mut successes: HashMap<String, usize> = HashMap::new();
    for (id, status, body) in &r.seen {
        if (200..300).contains(status) {
            *successes.entry(id.clone()).or_default() += 1;
            discovery::check_response(&docs, id, body).unwrap_or_else(|e| panic!("{e}\n{body:#}"));
        } else {
            discovery::check_error_body(body)
                .unwrap_or_else(|e| panic!("{id} {status}: {e}\n{body:#}"));
        }
    }
    // attachments.get needs the app-only chat.bot scope, so a user only ever sees its 403.
    for route in ROUTES
        .iter()
        .filter_map(|r| r.discovery_id)
        .filter(|id| *id != "chat.spaces.messages.attachments.get")
    {
        assert!(
            successes.contains_key(route),
            "no successful response checked for {route}"
        );
    }
}

#[test]
fn discovery_request_log() {
    let docs = docs();
    let Some(path) = std::env::var_os(REQUEST_LOG_ENV).filter(|p| !p.is_empty()) else {
        eprintln!("{REQUEST_LOG_ENV} is not set: no suite-wide request log to check");
        return;
    };
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!(
            "{} does not exist yet: nothing to check",
            path.to_string_lossy()
        );
        return;
    };
    let mut problems = Vec::new();
    // A line still being written by a concurrent test has no newline yet: leave it out.
    let complete = text.split_inclusive('\n').filter(|l| l.ends_with('\n'));
    for (i, line) in complete.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let value: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!("line {}: not JSON: {e}", i + 1));
                continue;
            }
        };
        if let Err(e) = discovery::check_log_line(&docs, &value) {
            problems.push(format!("line {}: {e}", i + 1));
        }
    }
    assert!(
        problems.is_empty(),
        "requests outside Google's published surface:\n{}",
        problems.join("\n")
    );
}
