//! Time bounds as assistants type them (`since`, `until`), checked before any request.
//!
//! chrono reads RFC 3339 for any year from -262143 to 262142, and a year outside 0000–9999
//! prints as `-0001-…` or `+10000-…`, which Google rejects with an error that names nothing
//! the assistant typed. Every bound is read here, turned to UTC, and held to 1970–9999, so a
//! bad one is refused naming its parameter and no request is made.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

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

#[cfg(test)]
mod tests {
    use super::*;

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
