//! One provider's part of the demo, driven by its [`DemoTour`]: list the conversations, read
//! the recent messages of one that has some, post a hello there.

use anyhow::Context;
use serde_json::{Value, json};

use super::Steps;
use super::session::McpSession;
use crate::providers::DemoTour;

/// The window of "recent messages" the demo reads, in days.
const RECENT_DAYS: u32 = 2;

fn text<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// One listed message as the demo prints it: time, sender, the first 70 characters.
fn message_line(tour: &DemoTour, m: &Value) -> String {
    let body: String = text(m, "/text").unwrap_or("").chars().take(70).collect();
    format!(
        "{} {}: {}",
        text(m, tour.time).and_then(|t| t.get(..16)).unwrap_or(""),
        text(m, tour.sender).unwrap_or("?"),
        body.replace('\n', " ")
    )
}

pub async fn run(
    session: &mut McpSession,
    provider: &str,
    tour: &DemoTour,
    steps: &mut Steps,
) -> anyhow::Result<()> {
    steps.next(&format!("{provider}: {}", tour.list_tool));
    let answer = session.call_tool(tour.list_tool, json!({})).await?;
    let list = answer
        .pointer(tour.list)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for c in &list {
        let label = text(c, tour.label).unwrap_or("(direct message)");
        let label = if label.chars().count() > 28 {
            format!("{}…", label.chars().take(27).collect::<String>())
        } else {
            label.to_owned()
        };
        println!(
            "   {label:<28} {:<16} {}",
            text(c, tour.kind).unwrap_or(""),
            text(c, tour.id).unwrap_or("")
        );
    }
    // The first preferred conversation with messages in the window, so the next step shows
    // real content; every one is asked, since any of them may be quiet on a given day.
    let preferred =
        |c: &&Value| text(c, tour.kind).is_some_and(|k| tour.preferred_kinds.contains(&k));
    let mut candidates: Vec<&Value> = list.iter().filter(preferred).collect();
    candidates.extend(list.iter().filter(|c| !preferred(c)));
    let first = candidates
        .first()
        .and_then(|c| text(c, tour.id))
        .with_context(|| format!("the {provider} emulator listed no conversations"))?
        .to_owned();
    let mut chosen: Option<(String, Value)> = None;
    for candidate in &candidates {
        let Some(id) = text(candidate, tour.id) else {
            continue;
        };
        let mut args = json!({"days_window": RECENT_DAYS, "limit": 5});
        args[tour.conversation_param] = json!(id);
        let messages = session.call_tool(tour.messages_tool, args).await?;
        let found = messages
            .pointer(tour.messages)
            .and_then(Value::as_array)
            .is_some_and(|m| !m.is_empty());
        if found {
            chosen = Some((id.to_owned(), messages));
            break;
        }
    }
    let conversation = chosen.as_ref().map_or(first, |(id, _)| id.clone());

    steps.next(&format!(
        "{provider}: {} {{{}: {conversation}, days_window: {RECENT_DAYS}, limit: 5}}",
        tour.messages_tool, tour.conversation_param
    ));
    match &chosen {
        Some((_, messages)) => {
            let shown = messages.pointer(tour.messages).and_then(Value::as_array);
            for m in shown.into_iter().flatten() {
                println!("   {}", message_line(tour, m));
            }
        }
        None => println!(
            "   no conversation has messages from the last {RECENT_DAYS} days, so there is nothing to show here (the tool answered with an empty list, which is not an error)"
        ),
    }

    steps.next(&format!("{provider}: {}", tour.send_tool));
    let mut args = json!({"text": "Hello from the chatkey demo 👋"});
    args[tour.conversation_param] = json!(conversation);
    let sent = session.call_tool(tour.send_tool, args).await?;
    println!(
        "   posted {} in {conversation}",
        text(&sent, tour.sent_id).unwrap_or("?")
    );
    Ok(())
}
