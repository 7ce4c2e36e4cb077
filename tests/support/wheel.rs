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
    let built = Command::new(maturin())
        .args(["build", "--profile", "dev", "--locked", "--out"])
        .arg(out)
        .current_dir(ROOT)
        .output()
        .unwrap();
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
