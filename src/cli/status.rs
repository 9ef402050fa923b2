//! `chatkey status`: the live view from the running daemon, or, when none runs, what the
//! account records and the keyring say.

use std::process::ExitCode;

use chrono::{DateTime, Local, Utc};
use serde_json::{Value, json};

use crate::paths::Paths;
use crate::protocol::ControlRequest;
use crate::tokens::{AccountId, Accounts};

pub async fn print(paths: &Paths, as_json: bool) -> anyhow::Result<ExitCode> {
    let live = crate::daemon::control(paths, ControlRequest::Status)
        .await
        .ok();
    let report = match live {
        Some(reply) => json!({"daemon": {"running": true}, "status": reply["status"]}),
        None => json!({"daemon": {"running": false}, "status": offline(paths).await?}),
    };
    if as_json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_human(&report);
    }
    Ok(ExitCode::SUCCESS)
}

async fn offline(paths: &Paths) -> anyhow::Result<Value> {
    let accounts = Accounts::load(&paths.accounts_file())?;
    let store = crate::signin::open_store(paths).await;
    let mut list = Vec::new();
    for record in accounts.iter() {
        let state = match &store {
            Err(e) => json!({"state": "refresh_failing", "detail": format!("{e:#}")}),
            Ok(store) => {
                let store = store.clone();
                let id = AccountId {
                    provider: record.provider,
                    email: record.email.clone(),
                };
                match tokio::task::spawn_blocking(move || store.load(&id)).await? {
                    Ok(Some(_)) => json!({"state": "ok"}),
                    Ok(None) => {
                        json!({"state": "needs_sign_in", "reason": "no token in the keyring"})
                    }
                    Err(e) => json!({"state": "refresh_failing", "detail": e.to_string()}),
                }
            }
        };
        let mut entry = json!({
            "provider": record.provider,
            "email": record.email,
            "display_name": record.display_name,
            "signed_in_at": record.signed_in_at,
            "scopes": record.scopes,
        });
        if let (Value::Object(e), Value::Object(s)) = (&mut entry, state) {
            e.extend(s);
        }
        list.push(entry);
    }
    Ok(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "profile": paths.profile(),
        "accounts": list,
    }))
}

fn when(value: &Value) -> Option<DateTime<Utc>> {
    value.as_str()?.parse().ok()
}

fn print_human(report: &Value) {
    let status = &report["status"];
    let running = report["daemon"]["running"].as_bool().unwrap_or(false);
    println!(
        "chatkey {} · profile {} · {}",
        status["version"].as_str().unwrap_or("?"),
        status["profile"].as_str().unwrap_or("?"),
        if running {
            format!("daemon running (pid {})", status["pid"])
        } else {
            "daemon not running (it starts when an assistant connects)".to_owned()
        }
    );
    if let Some(problem) = status["problem"].as_str() {
        println!("problem: {problem}");
    }
    let accounts = status["accounts"].as_array().cloned().unwrap_or_default();
    if accounts.is_empty() {
        println!("No account is signed in. Run: chatkey login google-chat");
        return;
    }
    let now = Utc::now();
    for a in accounts {
        let name = a["display_name"]
            .as_str()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        let state = match a["state"].as_str().unwrap_or("?") {
            "ok" => "ok".to_owned(),
            "needs_sign_in" => format!(
                "NEEDS SIGN-IN: {} — run `chatkey login {}`",
                a["reason"].as_str().unwrap_or(""),
                a["provider"].as_str().unwrap_or("google-chat")
            ),
            "refresh_failing" => format!("refresh failing: {}", a["detail"].as_str().unwrap_or("")),
            other => other.to_owned(),
        };
        let mut details = Vec::new();
        if let Some(expiry) = when(&a["access_token_expires_at"]) {
            let minutes = (expiry - now).num_minutes();
            details.push(if minutes > 0 {
                format!("access token valid for {minutes} min")
            } else {
                "access token expired (refreshed on next use)".to_owned()
            });
        }
        if let Some(last) = when(&a["last_refresh"]) {
            details.push(format!(
                "last refresh {}",
                last.with_timezone(&Local).format("%Y-%m-%d %H:%M")
            ));
        }
        println!(
            "{}  {}{} — {}{}",
            a["provider"].as_str().unwrap_or("?"),
            a["email"].as_str().unwrap_or("?"),
            name,
            state,
            if details.is_empty() {
                String::new()
            } else {
                format!(" · {}", details.join(" · "))
            }
        );
    }
}
