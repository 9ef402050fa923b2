//! The file confinement (`chatkey::files`) and the `[files]` config section directly: the
//! default home-without-hidden-directories rule, a file swapped between check and open, and
//! strict parsing with `~` expansion.

use std::path::{Path, PathBuf};

use chatkey::config::{Config, FilesConfig};
use chatkey::files::Confinement;

fn conf(allowed: Option<Vec<PathBuf>>, home: &Path) -> Confinement {
    Confinement::new(
        &FilesConfig {
            allowed_dirs: allowed,
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
        },
        Some(h),
        Path::new("c.toml"),
    )
    .unwrap_err();
    assert!(err.message.contains("turned off"), "{}", err.message);
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
