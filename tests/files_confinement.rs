//! The file confinement (`chatkey::files`) and the `[files]` config section directly: hidden
//! directories and files refused inside every allowed directory unless `allow_hidden`, a file
//! swapped between check and open, and strict parsing with `~` expansion.

use std::path::{Path, PathBuf};

use chatkey::config::{Config, FilesConfig};
use chatkey::files::Confinement;

fn conf(allowed: Option<Vec<PathBuf>>, home: &Path) -> Confinement {
    conf_hidden(allowed, false, home)
}

fn conf_hidden(allowed: Option<Vec<PathBuf>>, allow_hidden: bool, home: &Path) -> Confinement {
    Confinement::new(
        &FilesConfig {
            allowed_dirs: allowed,
            allow_hidden,
        },
        Some(home),
        Path::new("/cfg/config.toml"),
    )
    .unwrap()
}

#[test]
fn default_confinement_is_home_without_hidden_directories() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    std::fs::create_dir_all(h.join(".ssh")).unwrap();
    std::fs::create_dir_all(h.join("docs")).unwrap();
    std::fs::write(h.join(".ssh/id_ed25519"), "PRIVATE KEY").unwrap();
    std::fs::write(h.join(".netrc"), "machine x password y").unwrap();
    std::fs::write(h.join("docs/notes.txt"), "fine").unwrap();
    std::os::unix::fs::symlink(h.join(".ssh/id_ed25519"), h.join("docs/key")).unwrap();
    let c = conf(None, h);
    assert!(c.describe().contains("hidden"));
    let ok = c
        .open_read("path", "~/docs/notes.txt", 100, "tests")
        .unwrap();
    assert_eq!(ok.read_all(100, "tests").unwrap(), b"fine");
    for bad in [
        "~/.ssh/id_ed25519",
        "~/.netrc",
        "~/docs/key",
        "~/docs/../.ssh/id_ed25519",
    ] {
        let err = c.open_read("path", bad, 100, "tests").unwrap_err();
        assert!(err.message.contains("hidden"), "{bad}: {}", err.message);
        assert!(err.message.contains("/cfg/config.toml"), "{}", err.message);
    }
    let err = c
        .prepare_write("save_to", "~/.ssh/authorized_keys", true)
        .unwrap_err();
    assert!(err.message.contains("hidden"), "{}", err.message);
    assert!(c.prepare_write("save_to", "~/docs/new.txt", false).is_ok());

    // Explicit directories are exactly what is allowed; an empty list turns files off.
    let only_docs = conf(Some(vec![h.join("docs")]), h);
    let err = only_docs
        .open_read("path", "~/other.txt", 100, "tests")
        .unwrap_err();
    assert!(err.message.contains("outside"), "{}", err.message);
    let err = Confinement::new(
        &FilesConfig {
            allowed_dirs: Some(vec![]),
            allow_hidden: false,
        },
        Some(h),
        Path::new("c.toml"),
    )
    .unwrap_err();
    assert!(err.message.contains("turned off"), "{}", err.message);
}

#[test]
fn hidden_entries_stay_refused_in_explicit_directories_unless_allow_hidden() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    std::fs::create_dir_all(h.join(".ssh")).unwrap();
    std::fs::create_dir_all(h.join("src/app/.git")).unwrap();
    std::fs::create_dir_all(h.join(".config/shared")).unwrap();
    std::fs::write(h.join(".ssh/id_ed25519"), "PRIVATE KEY").unwrap();
    std::fs::write(h.join("src/app/.env"), "TOKEN=x").unwrap();
    std::fs::write(h.join("src/app/.git/config"), "[core]").unwrap();
    std::fs::write(h.join("src/app/main.rs"), "fn main() {}").unwrap();
    std::fs::write(h.join(".config/shared/notes.txt"), "listed on purpose").unwrap();

    // `["~"]` written out by hand is the default, not a wider policy.
    for allowed in [vec![h.to_owned()], vec![h.join("src")]] {
        let c = conf(Some(allowed.clone()), h);
        assert!(c.describe().contains("hidden"), "{}", c.describe());
        for bad in [
            "~/.ssh/id_ed25519",
            "~/src/app/.env",
            "~/src/app/.git/config",
        ] {
            let err = c.open_read("path", bad, 100, "tests").unwrap_err();
            assert!(
                err.message.contains("hidden") || err.message.contains("outside"),
                "{allowed:?} {bad}: {}",
                err.message
            );
        }
        let err = c
            .open_read("path", "~/src/app/.env", 100, "tests")
            .unwrap_err();
        assert!(
            err.message.contains("hidden") && err.message.contains("allow_hidden = true"),
            "{}",
            err.message
        );
        let err = c
            .prepare_write("save_to", "~/src/app/.bashrc", true)
            .unwrap_err();
        assert!(err.message.contains("hidden"), "{}", err.message);
        assert!(
            c.open_read("path", "~/src/app/main.rs", 100, "tests")
                .is_ok()
        );
    }

    // A hidden directory listed itself is allowed as listed, even beside `~`.
    let c = conf(Some(vec![h.to_owned(), h.join(".config/shared")]), h);
    let opened = c
        .open_read("path", "~/.config/shared/notes.txt", 100, "tests")
        .unwrap();
    assert_eq!(opened.read_all(100, "tests").unwrap(), b"listed on purpose");
    assert!(
        c.open_read("path", "~/.ssh/id_ed25519", 100, "tests")
            .is_err()
    );

    // `allow_hidden = true` opens them up.
    let c = conf_hidden(Some(vec![h.join("src")]), true, h);
    assert!(!c.describe().contains("hidden"), "{}", c.describe());
    let opened = c.open_read("path", "~/src/app/.env", 100, "tests").unwrap();
    assert_eq!(opened.read_all(100, "tests").unwrap(), b"TOKEN=x");
    let config = Config::parse(
        Path::new("c.toml"),
        "[files]\nallowed_dirs = [\"~\"]\nallow_hidden = true\n",
    )
    .unwrap();
    assert!(config.files.allow_hidden);
    assert!(
        !Config::parse(Path::new("c.toml"), "[files]\nallowed_dirs = [\"~\"]\n")
            .unwrap()
            .files
            .allow_hidden
    );
    let err = Config::parse(Path::new("c.toml"), "[files]\nallow_hidden = \"yes\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("allow_hidden"), "{err}");
}

#[test]
fn a_file_swapped_after_the_check_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(dir.path().join("secret"), "outside").unwrap();
    let file = root.join("report.txt");
    std::fs::write(&file, "inside").unwrap();
    let c = conf(Some(vec![root.clone()]), dir.path());
    let input = file.display().to_string();

    // Swapped for a symlink to a file outside between the check and the open.
    let (canonical, checked) = c.resolve_read("path", &input).unwrap();
    let link = root.join("tmp-link");
    std::os::unix::fs::symlink(dir.path().join("secret"), &link).unwrap();
    std::fs::rename(&link, &file).unwrap();
    let err = c
        .open_resolved("path", &input, &canonical, checked, 100, "tests")
        .unwrap_err();
    assert!(err.message.contains("changed while"), "{}", err.message);

    // Swapped for another regular file (say a hard link to something else).
    std::fs::remove_file(&file).unwrap();
    std::fs::write(&file, "inside").unwrap();
    let (canonical, checked) = c.resolve_read("path", &input).unwrap();
    let other = root.join("other");
    std::fs::write(&other, "different").unwrap();
    std::fs::rename(&other, &file).unwrap();
    let err = c
        .open_resolved("path", &input, &canonical, checked, 100, "tests")
        .unwrap_err();
    assert!(err.message.contains("changed while"), "{}", err.message);
}

#[test]
fn files_config_expands_home_and_is_strict() {
    let home = directories::BaseDirs::new().unwrap().home_dir().to_owned();
    let c = Config::parse(
        Path::new("c.toml"),
        "[files]\nallowed_dirs = [\"~/Documents\", \"/srv/share\"]\n",
    )
    .unwrap();
    assert_eq!(
        c.files.allowed_dirs.unwrap(),
        vec![home.join("Documents"), PathBuf::from("/srv/share")]
    );
    assert!(
        Config::parse(Path::new("c.toml"), "")
            .unwrap()
            .files
            .allowed_dirs
            .is_none()
    );
    let err = Config::parse(Path::new("c.toml"), "[files]\nallowed_dirs = [\"docs\"]\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("absolute"), "{err}");
    let err = Config::parse(Path::new("c.toml"), "[files]\nallowed_dir = [\"/x\"]\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("c.toml:2:") && err.contains("allowed_dir"),
        "{err}"
    );
}
