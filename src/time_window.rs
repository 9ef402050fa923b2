//! Time windows as assistants give them to every provider's tools: `days_window`/`offset`
//! or `since`/`until`, checked before any request.
//!
//! chrono reads RFC 3339 for any year from -262143 to 262142, and a year outside 0000–9999
//! prints as `-0001-…` or `+10000-…`, which the services reject with an error that names
//! nothing the assistant typed. Every bound is read here, turned to UTC, and held to
//! 1970–9999, so a bad one is refused naming its parameter and no request is made.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};

use crate::tools::ToolError;

/// The earliest and latest years a bound may fall in (after conversion to UTC).
pub const FIRST_YEAR: i32 = 1970;
pub const LAST_YEAR: i32 = 9999;

/// `value` of parameter `param`: RFC 3339 (`2026-11-20T09:00:00Z`) or a date (`2026-11-20`,
/// midnight UTC), within 1970–9999.
pub fn parse_bound(param: &str, value: &str) -> Result<DateTime<Utc>, ToolError> {
    let trimmed = value.trim();
    let parsed = DateTime::parse_from_rfc3339(trimmed)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(trimmed, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
        });
    let Some(time) = parsed else {
        return Err(ToolError::invalid_argument(format!(
            "invalid argument `{param}`: `{value}` is not a date; use RFC 3339 like 2026-11-20T09:00:00Z or 2026-11-20"
        )));
    };
    check_bound(param, time)?;
    Ok(time)
}

/// Refuses a time outside 1970–9999 (UTC), naming `param`.
pub fn check_bound(param: &str, time: DateTime<Utc>) -> Result<(), ToolError> {
    if (FIRST_YEAR..=LAST_YEAR).contains(&time.year()) {
        return Ok(());
    }
    Err(ToolError::invalid_argument(format!(
        "invalid argument `{param}`: {} is outside the years {FIRST_YEAR} to {LAST_YEAR} (UTC); give a time in that range",
        time.format("%Y-%m-%dT%H:%M:%SZ")
    )))
}

/// The Unix epoch, the floor for a window derived from a bound (`until` minus three days).
pub fn earliest() -> DateTime<Utc> {
    DateTime::UNIX_EPOCH
}

/// The half-open window `[since, until)` that `days_window`/`offset` (the last
/// `days_window` days, default 3, ending `offset` days before `now`) or `since`/`until`
/// (`since` defaults to three days before `until`, `until` to `now`) describe.
pub fn window(
    now: DateTime<Utc>,
    days_window: Option<u32>,
    offset: Option<u32>,
    since: Option<&str>,
    until: Option<&str>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), ToolError> {
    if (since.is_some() || until.is_some()) && (days_window.is_some() || offset.is_some()) {
        return Err(ToolError::invalid_argument(
            "invalid arguments: give either `days_window`/`offset` or `since`/`until`, not both",
        ));
    }
    if since.is_some() || until.is_some() {
        let until = match until {
            Some(u) => parse_bound("until", u)?,
            None => now,
        };
        let since = match since {
            Some(s) => parse_bound("since", s)?,
            None => (until - TimeDelta::days(3)).max(earliest()),
        };
        if since >= until {
            return Err(ToolError::invalid_argument(
                "invalid argument `since`: it must be before `until`",
            ));
        }
        return Ok((since, until));
    }
    let days = days_window.unwrap_or(3);
    if !(1..=365).contains(&days) {
        return Err(ToolError::invalid_argument(
            "invalid argument `days_window`: use 1 to 365 days",
        ));
    }
    let offset = offset.unwrap_or(0);
    if offset > 3650 {
        return Err(ToolError::invalid_argument(
            "invalid argument `offset`: use 0 to 3650 days",
        ));
    }
    let until = now - TimeDelta::days(offset.into());
    Ok((until - TimeDelta::days(days.into()), until))
}

/// The last `days` days up to now (`default` when not given), with `days` held to
/// 1–`max`: the window of the tools that scan many conversations.
pub fn last_days(
    days: Option<u32>,
    default: u32,
    max: u32,
) -> Result<(DateTime<Utc>, DateTime<Utc>), ToolError> {
    let days = days.unwrap_or(default);
    if !(1..=max).contains(&days) {
        return Err(ToolError::invalid_argument(format!(
            "invalid argument `days_window`: use 1 to {max} days"
        )));
    }
    let until = Utc::now();
    Ok((until - TimeDelta::days(days.into()), until))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_exact_and_do_not_overlap() {
        let now = Utc::now();
        let (a0, b0) = window(now, Some(7), None, None, None).unwrap();
        let (a1, b1) = window(now, Some(7), Some(7), None, None).unwrap();
        assert_eq!(b0, now);
        assert_eq!(b0 - a0, TimeDelta::days(7));
        assert_eq!(b1, a0);
        assert_eq!(b1 - a1, TimeDelta::days(7));
    }

    #[test]
    fn window_arguments_are_checked() {
        let now = Utc::now();
        assert!(window(now, Some(0), None, None, None).is_err());
        assert!(window(now, Some(366), None, None, None).is_err());
        assert!(window(now, None, Some(4000), None, None).is_err());
        assert!(window(now, Some(3), None, Some("2026-01-01"), None).is_err());
        let e = window(now, None, None, Some("yesterday"), None).unwrap_err();
        assert!(e.message.contains("`since`"), "{}", e.message);
        let e = window(now, None, None, Some("2026-02-01"), Some("2026-01-01")).unwrap_err();
        assert!(e.message.contains("before `until`"), "{}", e.message);
        let (s, u) = window(now, None, None, Some("2026-01-01"), Some("2026-01-02")).unwrap();
        assert_eq!(u - s, TimeDelta::days(1));
        // `until` alone near the epoch: `since` is floored, never before 1970.
        let (s, _) = window(now, None, None, None, Some("1970-01-02")).unwrap();
        assert_eq!(s, earliest());
    }

    #[test]
    fn last_days_is_held_to_its_range() {
        assert!(last_days(Some(0), 7, 90).is_err());
        let e = last_days(Some(91), 7, 90).unwrap_err();
        assert!(e.message.contains("1 to 90"), "{}", e.message);
        let (s, u) = last_days(None, 7, 365).unwrap();
        assert_eq!(u - s, TimeDelta::days(7));
    }

    #[test]
    fn reads_rfc3339_and_dates_within_1970_to_9999() {
        assert_eq!(
            parse_bound("since", "2026-11-20T10:00:00+01:00")
                .unwrap()
                .to_rfc3339(),
            "2026-11-20T09:00:00+00:00"
        );
        assert_eq!(
            parse_bound("until", " 2026-11-20 ").unwrap().to_rfc3339(),
            "2026-11-20T00:00:00+00:00"
        );
        assert!(parse_bound("since", "1970-01-01T00:00:00Z").is_ok());
        assert!(parse_bound("since", "9999-12-31T23:59:59Z").is_ok());
    }

    #[test]
    fn refuses_other_years_and_non_dates_naming_the_parameter() {
        for (param, value) in [
            ("since", "0000-01-01T00:00:00Z"),
            ("since", "0000-01-01"),
            ("until", "1969-12-31T23:59:59Z"),
            // 9999 in its own zone, 10000 in UTC.
            ("until", "9999-12-31T23:00:00-05:00"),
            ("since", "1970-01-01T00:30:00+01:00"),
        ] {
            let e = parse_bound(param, value).unwrap_err();
            assert_eq!(e.kind, crate::tools::ToolErrorKind::InvalidArgument);
            assert!(
                e.message
                    .starts_with(&format!("invalid argument `{param}`"))
                    && e.message.contains("1970 to 9999"),
                "{value}: {}",
                e.message
            );
        }
        let e = parse_bound("until", "yesterday").unwrap_err();
        assert!(e.message.contains("`until`") && e.message.contains("not a date"));
    }
}
