//! `symguard --version`: the crate's version, and the git commit when built from a checkout
//! of symguard, e.g. `symguard 0.1.0 (1a2b3c4d5 2026-12-02)`, so a report can be traced to
//! the exact source. Outside a checkout (crates.io, an sdist, a release archive's build)
//! git finds nothing of ours and the version is the plain one; a failing or missing git is
//! never an error.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let version = env!("CARGO_PKG_VERSION");
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let full = match commit(&manifest_dir) {
        Some(commit) => format!("{version} ({commit})"),
        None => version.to_string(),
    };
    println!("cargo:rustc-env=SYMGUARD_VERSION={full}");
    println!("cargo:rerun-if-changed=build.rs");
}

/// `git` in `dir`, its output trimmed, or None when it fails.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8(out.stdout).ok()?.trim().to_string())
}

/// The abbreviated hash and date of HEAD, when `dir` is the top of a git checkout (a crate
/// unpacked somewhere inside another repository must not take that repository's commit).
/// Asks cargo to run this again when HEAD moves, and only then: HEAD itself (a checkout of
/// another branch) and the file of the branch it names (a commit).
fn commit(dir: &Path) -> Option<String> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    if Path::new(&top).canonicalize().ok()? != dir.canonicalize().ok()? {
        return None;
    }
    let head = git(dir, &["rev-parse", "--git-path", "HEAD"])?;
    println!("cargo:rerun-if-changed={}", dir.join(head).display());
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        // A branch packed by `git gc` has no file of its own until its next commit.
        for file in [branch.as_str(), "packed-refs"] {
            let path = dir.join(git(dir, &["rev-parse", "--git-path", file])?);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    git(dir, &["log", "-1", "--date=short", "--format=%h %cd"]).filter(|c| !c.is_empty())
}
