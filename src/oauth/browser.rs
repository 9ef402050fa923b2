//! Opening the sign-in URL in the person's browser, as a convenience only: the URL is always
//! printed too, so failing to open a browser is never an error.
//!
//! On Linux and the BSDs a browser is opened only in a graphical session. Without one,
//! `xdg-open` falls back to text browsers (lynx, w3m) that would take over the terminal or
//! hang a headless daemon.

/// Why no browser was opened, for a log line or a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrowserOutcome {
    /// A browser launch was started (not that a window appeared).
    Launched,
    Skipped(&'static str),
}

/// Decides whether to try, from the caller's wish and the environment.
pub fn should_open(
    requested: bool,
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> BrowserOutcome {
    if !requested {
        return BrowserOutcome::Skipped("--no-browser was given");
    }
    if env("CHATKEY_NO_BROWSER").is_some_and(|v| v == "1") {
        return BrowserOutcome::Skipped("CHATKEY_NO_BROWSER=1 is set");
    }
    if cfg!(all(unix, not(target_os = "macos")))
        && env("DISPLAY").is_none_or(|v| v.is_empty())
        && env("WAYLAND_DISPLAY").is_none_or(|v| v.is_empty())
    {
        return BrowserOutcome::Skipped("there is no graphical session (DISPLAY is not set)");
    }
    BrowserOutcome::Launched
}

/// Opens `url` in the default browser when `should_open` allows it. The launch runs on a
/// blocking thread and is not awaited: a browser that stays in the foreground (a `$BROWSER`
/// text browser) must not stall the sign-in.
pub fn open(url: &url::Url, requested: bool) -> BrowserOutcome {
    let outcome = should_open(requested, |name| std::env::var_os(name));
    if outcome == BrowserOutcome::Launched {
        let url = url.to_string();
        tokio::task::spawn_blocking(move || {
            if let Err(e) = webbrowser::open(&url) {
                tracing::info!(error = %e, "could not open a browser; open the printed sign-in link by hand");
            }
        });
    } else if let BrowserOutcome::Skipped(why) = &outcome {
        tracing::debug!(reason = why, "not opening a browser");
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |k| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn respects_flag_and_env() {
        let display = [("DISPLAY", ":0")];
        assert_eq!(should_open(true, env(&display)), BrowserOutcome::Launched);
        assert!(matches!(
            should_open(false, env(&display)),
            BrowserOutcome::Skipped(_)
        ));
        let off = [("DISPLAY", ":0"), ("CHATKEY_NO_BROWSER", "1")];
        assert!(matches!(
            should_open(true, env(&off)),
            BrowserOutcome::Skipped(r) if r.contains("CHATKEY_NO_BROWSER")
        ));
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    fn no_graphical_session_means_no_browser() {
        assert!(matches!(
            should_open(true, env(&[])),
            BrowserOutcome::Skipped(_)
        ));
        assert_eq!(
            should_open(true, env(&[("WAYLAND_DISPLAY", "wayland-0")])),
            BrowserOutcome::Launched
        );
    }
}
