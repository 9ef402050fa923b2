//! Slack's cursor paging: pass `cursor`, read `response_metadata.next_cursor`, stop when it is
//! empty. Slack may return fewer items than `limit` (even none) while more follow, so a list
//! is complete only when the cursor says so; `collect` keeps asking until the caller's limit
//! is met, the cursor runs out, or a hard cap on pages is reached, and hands back the cursor
//! to resume from.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::client::SlackClient;
use super::errors::SlackError;
use super::models::ResponseMetadata;
use crate::tools::ToolError;

/// Slack recommends asking for no more than 200 items a page.
pub const PAGE_SIZE: usize = 200;
/// More pages than this in one tool call would take minutes at Slack's rates; the caller
/// gets the cursor and can go on.
pub const MAX_PAGES: usize = 50;

/// How much to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paging {
    /// Items wanted in all.
    pub limit: usize,
    /// Items asked for per request (fewer on the last one, so the limit is never passed).
    pub page_size: usize,
    pub max_pages: usize,
    /// Where to start; `None` for the first page.
    pub cursor: Option<String>,
}

impl Paging {
    /// Up to `limit` items from the start.
    pub fn up_to(limit: usize) -> Self {
        Self {
            limit,
            page_size: PAGE_SIZE,
            max_pages: MAX_PAGES,
            cursor: None,
        }
    }
    /// Every item (still capped at `MAX_PAGES` pages).
    pub fn all() -> Self {
        Self::up_to(usize::MAX)
    }
    pub fn from_cursor(mut self, cursor: Option<String>) -> Self {
        self.cursor = cursor.filter(|c| !c.is_empty());
        self
    }
}

/// What `collect` fetched.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Where the next call should start; `None` when the list is complete.
    pub next_cursor: Option<String>,
    /// Requests made.
    pub pages: usize,
}

/// Calls `method` with `args` page after page, collecting the array `field` of each answer
/// (`channels` of conversations.list, `messages` of conversations.history, …).
pub async fn collect<T: DeserializeOwned>(
    client: &SlackClient,
    method: &str,
    args: &Map<String, Value>,
    field: &str,
    paging: Paging,
) -> Result<Page<T>, SlackError> {
    let mut items = Vec::new();
    let mut cursor = paging.cursor.clone();
    let mut pages = 0;
    while items.len() < paging.limit && pages < paging.max_pages {
        let mut page_args = args.clone();
        let want = (paging.limit - items.len()).min(paging.page_size).max(1);
        page_args.insert("limit".into(), want.into());
        if let Some(cursor) = &cursor {
            page_args.insert("cursor".into(), cursor.clone().into());
        }
        let mut answer: Map<String, Value> = client.call(method, &page_args).await?;
        pages += 1;
        let page: Vec<T> = match answer.remove(field) {
            None | Some(Value::Null) => Vec::new(),
            Some(value) => serde_json::from_value(value).map_err(|e| {
                SlackError::Other(ToolError::internal(format!(
                    "Slack sent a {method} page that chatkey cannot read ({e})"
                )))
            })?,
        };
        items.extend(page);
        let metadata: ResponseMetadata = answer
            .remove("response_metadata")
            .and_then(|m| serde_json::from_value(m).ok())
            .unwrap_or_default();
        cursor = metadata.next().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    Ok(Page {
        items,
        next_cursor: cursor,
        pages,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::providers::slack::models::Message;
    use crate::providers::slack::test_support::{FakeSlack, Recorded, Reply};

    /// 10 messages, `m0`…`m9`, served at most 3 to a page whatever `limit` says, with an
    /// empty page (that still has a cursor) after the first, as Slack may do.
    fn short_pages(r: &Recorded) -> Reply {
        let cursor = r.arg("cursor").unwrap_or_default();
        if let Some(at) = cursor.strip_prefix("empty:") {
            return Reply::ok(
                json!({"messages": [], "response_metadata": {"next_cursor": format!("at:{at}")}}),
            );
        }
        let start: usize = cursor.strip_prefix("at:").map_or(0, |n| n.parse().unwrap());
        let limit: usize = r.arg("limit").unwrap().parse().unwrap();
        let end = (start + limit.min(3)).min(10);
        let messages: Vec<_> = (start..end)
            .map(|i| json!({"ts": format!("{i}.0"), "text": format!("m{i}")}))
            .collect();
        let next = match end {
            10 => String::new(),
            3 if start == 0 => "empty:3".to_owned(),
            _ => format!("at:{end}"),
        };
        Reply::ok(json!({"messages": messages, "response_metadata": {"next_cursor": next}}))
    }

    fn texts(page: &Page<Message>) -> Vec<String> {
        page.items.iter().map(|m| m.text.clone().unwrap()).collect()
    }

    fn args() -> Map<String, Value> {
        json!({"channel": "C1"}).as_object().unwrap().clone()
    }

    #[tokio::test]
    async fn follows_short_and_empty_pages_until_the_limit() {
        let slack = FakeSlack::start(short_pages).await;
        let page: Page<Message> = collect(
            &slack.client(),
            "conversations.history",
            &args(),
            "messages",
            Paging::up_to(5),
        )
        .await
        .unwrap();
        // Three, then an empty page, then the two the limit still wants.
        assert_eq!(texts(&page), ["m0", "m1", "m2", "m3", "m4"]);
        assert_eq!(page.next_cursor.as_deref(), Some("at:5"));
        assert_eq!(page.pages, 3);
        let limits: Vec<_> = slack
            .requests()
            .iter()
            .map(|r| r.arg("limit").unwrap())
            .collect();
        assert_eq!(limits, ["5", "2", "2"], "never asks past the limit");
        assert!(
            slack
                .requests()
                .iter()
                .all(|r| r.arg("channel").as_deref() == Some("C1"))
        );

        // Resuming from the cursor goes on where it stopped, to the end.
        let rest: Page<Message> = collect(
            &slack.client(),
            "conversations.history",
            &args(),
            "messages",
            Paging::all().from_cursor(page.next_cursor),
        )
        .await
        .unwrap();
        assert_eq!(texts(&rest), ["m5", "m6", "m7", "m8", "m9"]);
        assert_eq!(rest.next_cursor, None);
    }

    #[tokio::test]
    async fn stops_at_the_page_cap_and_says_where_to_go_on() {
        let slack = FakeSlack::start(short_pages).await;
        let page: Page<Message> = collect(
            &slack.client(),
            "conversations.history",
            &args(),
            "messages",
            Paging {
                max_pages: 2,
                ..Paging::all()
            },
        )
        .await
        .unwrap();
        assert_eq!(texts(&page), ["m0", "m1", "m2"]);
        assert_eq!(page.pages, 2);
        assert_eq!(page.next_cursor.as_deref(), Some("at:3"));
    }

    #[tokio::test]
    async fn an_answer_without_the_field_is_an_empty_last_page() {
        let slack = FakeSlack::start(|_| Reply::ok(json!({}))).await;
        let page: Page<Message> = collect(
            &slack.client(),
            "conversations.history",
            &args(),
            "messages",
            Paging::all(),
        )
        .await
        .unwrap();
        assert!(page.items.is_empty());
        assert_eq!((page.pages, page.next_cursor), (1, None));
    }

    #[tokio::test]
    async fn errors_on_a_later_page_are_returned() {
        let slack = FakeSlack::start(|r| match r.arg("cursor") {
            None => Reply::ok(
                json!({"messages": [{"ts": "1.0"}], "response_metadata": {"next_cursor": "x"}}),
            ),
            Some(_) => Reply::error("invalid_cursor"),
        })
        .await;
        let err = collect::<Message>(
            &slack.client(),
            "conversations.history",
            &args(),
            "messages",
            Paging::all(),
        )
        .await
        .unwrap_err();
        assert_eq!(err.code(), Some("invalid_cursor"));
    }
}
