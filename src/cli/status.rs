//! `chatkey status`: the live view from the running daemon, or, when none runs, what the
//! config, the account records and the keyring say. It is where a person looks when
//! something is wrong, so problems come first, each with its fix, and a problem makes the
//! exit status non-zero.

use std::process::ExitCode;

use chrono::{DateTime, Local, Utc};
use serde_json::{Value, json};

use crate::config::Config;
use crate::exit_code;
use crate::paths::Paths;
use crate::protocol::ControlRequest;
use crate::providers::{self, ProviderId};
use crate::tokens::{AccountId, Accounts};

pub async fn print(paths: &Paths, as_json: bool) -> anyhow::Result<ExitCode> {
    let report = match crate::daemon::control(paths, ControlRequest::Status).await {
        Ok(reply) => json!({"daemon": {"running": true}, "status": reply["status"]}),
        Err(e) if e.daemon_is_running() => {
            // Running but not answering (at its session limit, or stuck): say so, and show
            // what the keyring and config say meanwhile.
            let mut daemon = json!({"running": true, "busy": true, "detail": e.to_string()});
            if let Some(info) = crate::daemon::read_lock_info(paths) {
                daemon["pid"] = json!(info.pid);
                daemon["version"] = json!(info.version);
            }
            json!({"daemon": daemon, "status": offline(paths).await?})
        }
        Err(_) => json!({"daemon": {"running": false}, "status": offline(paths).await?}),
    };
    if as_json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_human(&report);
    }
    let troubled =
        report["status"]["problem"].is_string() || report["status"]["keyring_problem"].is_string();
    Ok(if troubled {
        ExitCode::from(exit_code::FAILURE)
    } else {
        ExitCode::SUCCESS
    })
}

async fn offline(paths: &Paths) -> anyhow::Result<Value> {
    // A config that does not parse is reported (file, line, key), not fatal: the rest of
    // the picture still helps.
    let (config, problem) = match Config::load(&paths.config_file()) {
        Ok(config) => (config, None),
        Err(e) => (
            Config::default(),
            Some(format!("{e}; fix it, then run `chatkey status` again")),
        ),
    };
    let configured: Vec<ProviderId> = providers::all()
        .filter(|p| p.is_configured(&config))
        .map(|p| p.id())
        .collect();
    let accounts = Accounts::load(&paths.accounts_file())?;
    let store = crate::signin::open_store(paths).await;
    let keyring_problem = store.as_ref().err().map(|e| format!("{e:#}"));
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
    let mut status = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "profile": paths.profile(),
        "accounts": list,
        "configured_providers": configured,
    });
    if let Some(problem) = problem {
        status["problem"] = json!(problem);
    }
    if let Some(problem) = keyring_problem {
        status["keyring_problem"] = json!(problem);
    }
    Ok(status)
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
        if report["daemon"]["busy"] == true {
            format!(
                "daemon running ({}) but busy: {} (accounts below are read from the keyring)",
                match report["daemon"]["pid"].as_u64() {
                    Some(pid) => format!("pid {pid}"),
                    None => "pid unknown".to_owned(),
                },
                report["daemon"]["detail"].as_str().unwrap_or("")
            )
        } else if running {
            format!("daemon running (pid {})", status["pid"])
        } else {
            "daemon not running (it starts when an assistant connects)".to_owned()
        }
    );
    if let Some(problem) = status["keyring_problem"].as_str() {
        println!("problem: the keyring: {problem}");
    }
    if let Some(problem) = status["problem"].as_str() {
        println!("problem: {problem}");
    }
    let configured: Vec<ProviderId> =
        serde_json::from_value(status["configured_providers"].clone()).unwrap_or_default();
    let accounts = status["accounts"].as_array().cloned().unwrap_or_default();
    if accounts.is_empty() {
        println!("{}", no_accounts_hint(&configured));
        return;
    }
    let config_readable = status["problem"].is_null();
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
        let provider: Option<ProviderId> = serde_json::from_value(a["provider"].clone()).ok();
        if let Some(provider) = provider
            && config_readable
            && !configured.contains(&provider)
            && let Some(p) = providers::get(provider)
        {
            details.push(format!(
                "[providers.{provider}] is missing from config.toml, so this sign-in cannot be used: {}",
                p.setup_hint()
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

/// What to do when nothing is signed in: sign in to what is set up, or set something up.
fn no_accounts_hint(configured: &[ProviderId]) -> String {
    if configured.is_empty() {
        let mut text = String::from("No chat service is set up yet. To start:");
        for p in providers::all() {
            text.push_str(&format!(
                "\n  {}: {}",
                p.id().display_name(),
                p.setup_hint()
            ));
        }
        text.push_str("\nthen run `chatkey login <service>`. Try it with no account: chatkey demo");
        text
    } else {
        format!(
            "No account is signed in. Run: {}",
            configured
                .iter()
                .map(|p| format!("chatkey login {p}"))
                .collect::<Vec<_>>()
                .join(" or ")
        )
    }
}
