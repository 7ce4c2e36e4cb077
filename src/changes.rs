//! `--changed-since REV`: the files git says changed, to report only what a pull request
//! touched. Everything is still evaluated, so a change in one file that breaks another
//! declaration is reported wherever the finding or one of its related locations lies.

use crate::finding::Finding;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct ChangedFiles {
    /// Absolute, canonical paths.
    files: HashSet<PathBuf>,
}

impl ChangedFiles {
    /// Files changed between REV and the working tree, committed or not, and untracked
    /// files git does not ignore.
    pub fn since(revision: &str) -> Result<ChangedFiles, String> {
        let root = git(&["rev-parse", "--show-toplevel"])?;
        let root = PathBuf::from(root.trim());
        let mut files = HashSet::new();
        let changed = git(&["diff", "--name-only", "-z", revision, "--"])?;
        let untracked = git(&[
            "ls-files",
            "--others",
            "--exclude-standard",
            "-z",
            "--full-name",
        ])?;
        for name in changed.split('\0').chain(untracked.split('\0')) {
            if !name.is_empty() {
                let path = root.join(name);
                files.insert(path.canonicalize().unwrap_or(path));
            }
        }
        Ok(ChangedFiles { files })
    }

    fn contains(&self, display: &str) -> bool {
        let path = Path::new(display);
        path.canonicalize()
            .is_ok_and(|canonical| self.files.contains(&canonical))
    }

    /// Whether the finding or one of its related locations is in a changed file.
    pub fn touches(&self, finding: &Finding) -> bool {
        self.contains(&finding.loc.file.display)
            || finding
                .related
                .iter()
                .any(|r| self.contains(&r.loc.file.display))
    }
}

fn git(args: &[&str]) -> Result<String, String> {
    let output = Command::new("git")
        .args(args)
        .output()
        .map_err(|e| format!("--changed-since needs git: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "--changed-since: `git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
