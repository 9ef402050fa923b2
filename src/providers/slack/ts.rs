//! Slack's message timestamps (`ts`, `thread_ts`, `last_read`): seconds and microseconds since
//! the epoch as text, `1700000000.000100`, which is also a message's id within its channel.
//! Tools take them from assistants, so they are checked before any request, and turned into
//! times and back for date windows (`oldest`/`latest`).

use chrono::{DateTime, Utc};

use crate::tools::ToolError;

/// Checks a `ts` an assistant passed (parameter `param`) and returns it as Slack writes it.
pub fn parse(param: &str, ts: &str) -> Result<String, ToolError> {
    let ts = ts.trim();
    let valid = ts.split_once('.').is_some_and(|(secs, micros)| {
        (1..=12).contains(&secs.len())
            && micros.len() == 6
            && secs
                .bytes()
                .chain(micros.bytes())
                .all(|b| b.is_ascii_digit())
    });
    if valid {
        Ok(ts.to_owned())
    } else {
        Err(ToolError::invalid_argument(format!(
            "`{param}` `{ts}` is not a Slack message timestamp: pass the `ts` of a message as slack_list_messages shows it, like `1700000000.000100`"
        )))
    }
}

/// The time a `ts` stands for; `None` for text that is not one.
pub fn to_time(ts: &str) -> Option<DateTime<Utc>> {
    let (secs, micros) = ts.split_once('.').unwrap_or((ts, "0"));
    let secs: i64 = secs.parse().ok()?;
    let micros: u32 = format!("{micros:0<6}").get(..6)?.parse().ok()?;
    DateTime::from_timestamp(secs, micros * 1000)
}

/// A time as Slack's `oldest`/`latest` take it.
pub fn from_time(time: DateTime<Utc>) -> String {
    format!("{}.{:06}", time.timestamp(), time.timestamp_subsec_micros())
}

/// Orders two timestamps by time (as text they compare wrongly when the seconds differ in
/// length, which they will not before the year 2286, but numbers say what is meant).
pub fn cmp(a: &str, b: &str) -> std::cmp::Ordering {
    match (to_time(a), to_time(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_slack_timestamps_only() {
        assert_eq!(
            parse("ts", " 1700000000.000100 ").unwrap(),
            "1700000000.000100"
        );
        for bad in [
            "",
            "1700000000",
            "1700000000.1",
            "abc.000100",
            "1.0001000",
            "-1.000000",
            "1700000000.000100/x",
        ] {
            let e = parse("thread_ts", bad).unwrap_err();
            assert!(e.message.contains("`thread_ts`"), "{}", e.message);
        }
    }

    #[test]
    fn converts_to_times_and_back() {
        let t = to_time("1700000000.000100").unwrap();
        assert_eq!(t.to_rfc3339(), "2023-11-14T22:13:20.000100+00:00");
        assert_eq!(from_time(t), "1700000000.000100");
        assert_eq!(to_time("1700000000").unwrap().timestamp(), 1_700_000_000);
        assert_eq!(to_time("x"), None);
        assert_eq!(
            cmp("999999999.000000", "1000000000.000000"),
            std::cmp::Ordering::Less
        );
    }
}
