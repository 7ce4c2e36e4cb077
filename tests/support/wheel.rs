//! symguard's Python wheel, built from this checkout by maturin as the release builds it,
//! but with the test profile: its compiled dependencies are the ones the tests were built
//! with (target/debug), so only symguard itself is linked again, not its dependencies.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// maturin from PyPI, installed by scripts/test into .venv/ beside moto.
pub fn maturin() -> PathBuf {
    let maturin = std::env::var_os("SYMGUARD_MATURIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(ROOT).join(".venv/bin/maturin"));
    assert!(
        maturin.exists(),
        "maturin not found at {}: run scripts/test, which installs it into .venv",
        maturin.display()
    );
    maturin
}

/// Builds the wheel into `out` (`maturin build --profile dev`) and returns its path.
pub fn build(out: &Path) -> PathBuf {
    let mut command = Command::new(maturin());
    command
        .args(["build", "--profile", "dev", "--locked", "--out"])
        .arg(out)
        .current_dir(ROOT);
    // What cargo sets for a test about the test's own package. Dependencies' build scripts
    // (ring's, for one) rerun when such a variable differs from the build that compiled them,
    // and everything above them compiles again: without these, cargo sees the environment
    // the test build had.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if [
            "CARGO_PKG_",
            "CARGO_MANIFEST_",
            "CARGO_CRATE_",
            "CARGO_BIN_",
        ]
        .iter()
        .any(|prefix| name.starts_with(prefix))
            || ["CARGO_PRIMARY_PACKAGE", "CARGO_TARGET_TMPDIR", "OUT_DIR"].contains(&&*name)
        {
            command.env_remove(&*name);
        }
    }
    let built = command.output().unwrap();
    let log = String::from_utf8_lossy(&built.stderr);
    assert!(built.status.success(), "maturin build failed: {log}");
    let wheels: Vec<PathBuf> = fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "whl"))
        .collect();
    assert_eq!(wheels.len(), 1, "{wheels:?}: {log}");
    wheels.into_iter().next().unwrap()
}
