//! `scripts/fetch-specs.sh` checks every discovery document against the sums the project
//! keeps (`scripts/specs.sha256`), wherever the clone sits: a copy of `scripts/` in a
//! directory with no `../shared` next to it refuses a document that does not match, and
//! refuses to run without its sums. Nothing here downloads: every document is already in
//! place, so the script only checks.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const DOCS: [&str; 3] = ["chat.v1.json", "people.v1.json", "oauth2.v2.json"];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `scripts/` copied into `root/clone/scripts` (no `root/shared` anywhere).
fn isolated_scripts(root: &Path) -> PathBuf {
    let scripts = root.join("clone/scripts");
    std::fs::create_dir_all(&scripts).unwrap();
    for name in ["fetch-specs.sh", "specs.sha256"] {
        std::fs::copy(repo().join("scripts").join(name), scripts.join(name)).unwrap();
    }
    scripts
}

fn run(scripts: &Path, dest: &Path) -> Output {
    Command::new("bash")
        .arg(scripts.join("fetch-specs.sh"))
        .arg(dest)
        // No python: any attempt to download would fail loudly instead of reaching PyPI.
        .env("PATH", "/usr/bin:/bin")
        .env_remove("CHATKEY_SPECS_SHA256SUMS")
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The real documents, when `make specs` has fetched them.
fn real_specs() -> Option<PathBuf> {
    let dir = std::env::var_os("CHATKEY_SPECS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/specs"));
    DOCS.iter().all(|d| dir.join(d).is_file()).then_some(dir)
}

#[test]
fn every_document_is_checked_against_the_projects_sums() {
    let tmp = tempfile::tempdir().unwrap();
    let scripts = isolated_scripts(tmp.path());
    assert!(!tmp.path().join("shared").exists());
    let sums = std::fs::read_to_string(scripts.join("specs.sha256")).unwrap();
    for doc in DOCS {
        assert!(
            sums.lines()
                .any(|l| l.len() > 66 && l.ends_with(&format!("  {doc}"))),
            "no sum for {doc}"
        );
    }

    // Documents already in place that are not Google's are refused, each named.
    let dest = tmp.path().join("specs");
    std::fs::create_dir_all(&dest).unwrap();
    for doc in DOCS {
        std::fs::write(dest.join(doc), "{\"tampered\": true}\n").unwrap();
    }
    let out = run(&scripts, &dest);
    assert!(!out.status.success(), "tampered documents passed");
    for doc in DOCS {
        assert!(
            stderr(&out).contains(&format!("{doc} does not match")),
            "{doc}: {}",
            stderr(&out)
        );
    }

    // Google's own documents pass, and one changed byte does not.
    match real_specs() {
        Some(real) => {
            for doc in DOCS {
                std::fs::copy(real.join(doc), dest.join(doc)).unwrap();
            }
            let out = run(&scripts, &dest);
            assert!(out.status.success(), "{}", stderr(&out));
            assert!(
                stderr(&out).contains("verified against"),
                "{}",
                stderr(&out)
            );
            let mut bytes = std::fs::read(dest.join("people.v1.json")).unwrap();
            bytes.push(b'\n');
            std::fs::write(dest.join("people.v1.json"), bytes).unwrap();
            let out = run(&scripts, &dest);
            assert!(!out.status.success());
            assert!(
                stderr(&out).contains("people.v1.json does not match")
                    && !stderr(&out).contains("chat.v1.json does not match"),
                "{}",
                stderr(&out)
            );
        }
        None => eprintln!(
            "fetch_specs: the real documents are not fetched (make specs); checked the refusals only"
        ),
    }

    // Without its sums the script refuses to run at all.
    std::fs::remove_file(scripts.join("specs.sha256")).unwrap();
    let out = run(&scripts, &dest);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("specs.sha256"), "{}", stderr(&out));
}
