//! "Start at login": the XDG autostart entry in `~/.config/autostart/` (Linux desktops).
//!
//! Enabled means a personal entry exists and is not `Hidden=true`. Turning it off removes the
//! personal entry, except when a package installed a system-wide one: then a personal entry
//! with `Hidden=true` is written, which is how the XDG Autostart spec lets a person turn off
//! a system entry without root. Other OSes return `None` and the menu hides the toggle
//! (their packages register a LaunchAgent or a Run key instead).

use std::path::Path;

use anyhow::Context;

use crate::paths::Paths;

/// Whether chatkey starts at login; `None` where this OS has no entry chatkey manages.
pub fn enabled(paths: &Paths) -> Option<bool> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let personal = paths.autostart_file()?;
    Some(match std::fs::read_to_string(&personal) {
        Ok(text) => !is_hidden(&text),
        Err(_) => paths.system_autostart_file().exists(),
    })
}

/// Flips the setting; returns whether it is now on.
pub fn toggle(paths: &Paths) -> anyhow::Result<bool> {
    let personal = paths
        .autostart_file()
        .context("no home directory to keep the autostart entry in")?;
    let on = !enabled(paths).unwrap_or(false);
    let system = paths.system_autostart_file();
    if on {
        write(&personal, &entry(paths, false)?)?;
    } else if system.exists() {
        write(&personal, &entry(paths, true)?)?;
    } else {
        match std::fs::remove_file(&personal) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e).with_context(|| format!("cannot remove {}", personal.display()));
            }
        }
    }
    Ok(on)
}

fn is_hidden(text: &str) -> bool {
    text.lines()
        .any(|l| l.trim().eq_ignore_ascii_case("Hidden=true"))
}

/// The `.desktop` text; a non-default profile starts with `CHATKEY_PROFILE` set, so each
/// profile's entry starts that profile's daemon.
fn entry(paths: &Paths, hidden: bool) -> anyhow::Result<String> {
    let exe = std::env::current_exe().context("cannot tell where the chatkey binary is")?;
    let exe = exe.display().to_string();
    let exec = if paths.profile() == crate::paths::DEFAULT_PROFILE {
        quote(&exe)
    } else {
        format!("env CHATKEY_PROFILE={} {}", paths.profile(), quote(&exe))
    };
    Ok(format!(
        "[Desktop Entry]\nType=Application\nName=chatkey\nComment=Team chat for your AI assistants (tray)\nExec={exec}\nIcon=chatkey\nTerminal=false\nX-GNOME-Autostart-enabled=true\n{}",
        if hidden { "Hidden=true\n" } else { "" }
    ))
}

/// Quotes an Exec argument as the Desktop Entry spec asks when it has reserved characters.
fn quote(arg: &str) -> String {
    if arg
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/-_.+".contains(c))
    {
        arg.to_owned()
    } else {
        let escaped: String = arg
            .chars()
            .flat_map(|c| match c {
                '"' | '`' | '$' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        format!("\"{escaped}\"")
    }
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    crate::atomic_write::write_atomic(path, text.as_bytes(), 0o644)
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_entries_and_quoting() {
        assert!(is_hidden("[Desktop Entry]\nHidden=true\n"));
        assert!(!is_hidden("[Desktop Entry]\nExec=chatkey\n"));
        assert_eq!(quote("/usr/bin/chatkey"), "/usr/bin/chatkey");
        assert_eq!(
            quote("/opt/my apps/chat$key"),
            "\"/opt/my apps/chat\\$key\""
        );
    }
}
