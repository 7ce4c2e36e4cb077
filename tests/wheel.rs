//! `pip install symguard` for real: the wheel maturin builds from this checkout installs
//! into a fresh virtual environment, carries the crate's version, and its symguard runs.

use crate::support;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Instant;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn ok(what: &str, out: Output) -> String {
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{what} failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn the_wheel_installs_into_a_fresh_venv_and_its_symguard_checks_the_example() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let wheel = support::wheel::build(&dir.path().join("dist"));
    let built = started.elapsed();
    let name = wheel.file_name().unwrap().to_str().unwrap();
    // No Python code and no ABI: one wheel per platform serves every Python.
    assert!(
        name.starts_with(&format!("symguard-{VERSION}-py3-none-")),
        "{name}"
    );

    let venv = dir.path().join("venv");
    let started = Instant::now();
    ok(
        "python3 -m venv",
        Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .output()
            .unwrap(),
    );
    ok(
        "pip install",
        Command::new(venv.join("bin/python"))
            .args([
                "-m",
                "pip",
                "install",
                "--no-index",
                "--disable-pip-version-check",
            ])
            .arg(&wheel)
            .output()
            .unwrap(),
    );
    // Measured, not asserted: run with --nocapture (or nextest's --no-capture) to see it.
    eprintln!(
        "wheel built in {built:.1?}, venv made and wheel installed in {:.1?}",
        started.elapsed()
    );

    let shown = ok(
        "pip show",
        Command::new(venv.join("bin/python"))
            .args(["-m", "pip", "show", "symguard"])
            .output()
            .unwrap(),
    );
    assert!(
        shown.contains(&format!("\nVersion: {VERSION}\n")),
        "{shown}"
    );

    let symguard = venv.join("bin/symguard");
    let version = ok(
        "symguard --version",
        Command::new(&symguard).arg("--version").output().unwrap(),
    );
    assert!(
        version.starts_with(&format!("symguard {VERSION}")),
        "{version}"
    );
    let report = ok(
        "symguard check examples/aws-iam",
        Command::new(&symguard)
            .args(["check", "examples/aws-iam"])
            .current_dir(Path::new(ROOT))
            .env("NO_COLOR", "1")
            .output()
            .unwrap(),
    );
    assert!(
        report.starts_with("symguard: 0 errors, 0 warnings, 0 notes in "),
        "{report}"
    );
}
