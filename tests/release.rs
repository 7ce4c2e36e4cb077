//! The release workflow's logic (.github/workflows/release.yml cannot run outside GitHub):
//! its scripts run here as the workflow runs them, on the binary the tests built.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const VERSION: &str = env!("CARGO_PKG_VERSION");

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn script(name: &str, args: &[&str], env: &[(&str, &Path)]) -> Run {
    let mut cmd = Command::new("bash");
    cmd.arg(Path::new(ROOT).join("scripts").join(name))
        .args(args)
        .env_remove("GITHUB_OUTPUT");
    for (name, value) in env {
        cmd.env(name, value);
    }
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn run_in(dir: &Path, program: &str, args: &[&str]) -> Run {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

#[test]
fn the_tag_must_name_the_crates_version() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("output");
    for tag in [format!("v{VERSION}"), format!("refs/tags/v{VERSION}")] {
        let run = script("release-version.sh", &[&tag], &[("GITHUB_OUTPUT", &output)]);
        assert_eq!(run.code, 0, "{tag}: {}{}", run.stdout, run.stderr);
        assert_eq!(run.stdout, format!("{VERSION}\n"));
    }
    assert_eq!(
        fs::read_to_string(&output).unwrap(),
        format!("version={VERSION}\nversion={VERSION}\n")
    );

    // Another version, the version without its v, a branch name: one line, and no output
    // that a later job could read as a version.
    let refused = dir.path().join("refused");
    for tag in ["v99.0.0", VERSION, "main"] {
        let run = script("release-version.sh", &[tag], &[("GITHUB_OUTPUT", &refused)]);
        assert_eq!(run.code, 1, "{tag}");
        assert_eq!(
            run.stdout,
            format!(
                "::error title=release::the tag {tag} does not release Cargo.toml's version \
                 {VERSION}: tag v{VERSION}, or change the version in Cargo.toml first\n"
            )
        );
    }
    assert!(!refused.exists());
}

/// `release-archive.sh VERSION TARGET BINARY OUT`; returns the archive's path.
fn archive(target: &str, binary: &Path, out: &Path) -> PathBuf {
    let run = script(
        "release-archive.sh",
        &[
            VERSION,
            target,
            binary.to_str().unwrap(),
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    PathBuf::from(run.stdout.trim_end())
}

#[test]
fn a_unix_archive_holds_the_binary_that_runs_and_its_sum_checks() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("archives");
    let binary = assert_cmd::cargo::cargo_bin("symguard");
    let path = archive("x86_64-unknown-linux-gnu", &binary, &out);

    let name = format!("symguard-{VERSION}-x86_64-unknown-linux-gnu");
    assert_eq!(path, out.join(format!("{name}.tar.gz")));
    let sum = fs::read_to_string(out.join(format!("{name}.tar.gz.sha256"))).unwrap();
    assert!(
        sum.ends_with(&format!("  {name}.tar.gz\n")) && sum.len() == 64 + 2 + name.len() + 8,
        "{sum}"
    );
    let check = run_in(&out, "sha256sum", &["-c", &format!("{name}.tar.gz.sha256")]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);

    // Unpacked, the directory holds the binary (still executable) and the README.
    let unpacked = dir.path().join("unpacked");
    fs::create_dir(&unpacked).unwrap();
    let tar = run_in(&unpacked, "tar", &["-xzf", path.to_str().unwrap()]);
    assert_eq!(tar.code, 0, "{}", tar.stderr);
    let mut files: Vec<String> = fs::read_dir(unpacked.join(&name))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files, ["README.md", "symguard"]);
    let version = run_in(
        &unpacked,
        unpacked.join(&name).join("symguard").to_str().unwrap(),
        &["--version"],
    );
    assert_eq!(version.code, 0, "{}", version.stderr);
    assert!(
        version.stdout.starts_with(&format!("symguard {VERSION}")),
        "{}",
        version.stdout
    );

    // A sum that no longer matches the archive fails the check.
    fs::write(&path, b"tampered").unwrap();
    let check = run_in(&out, "sha256sum", &["-c", &format!("{name}.tar.gz.sha256")]);
    assert_ne!(check.code, 0);
}

#[test]
fn a_windows_archive_is_a_zip_of_the_exe() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("archives");
    // The Windows build's file name; what it holds does not matter to the archive.
    let exe = dir.path().join("symguard.exe");
    fs::copy(assert_cmd::cargo::cargo_bin("symguard"), &exe).unwrap();
    let path = archive("x86_64-pc-windows-msvc", &exe, &out);

    let name = format!("symguard-{VERSION}-x86_64-pc-windows-msvc");
    assert_eq!(path, out.join(format!("{name}.zip")));
    let list = run_in(
        &out,
        "python3",
        &["-m", "zipfile", "-l", &format!("{name}.zip")],
    );
    assert_eq!(list.code, 0, "{}", list.stderr);
    let entries: Vec<&str> = list
        .stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(
        entries,
        [
            format!("{name}/"),
            format!("{name}/README.md"),
            format!("{name}/symguard.exe")
        ]
    );
    let check = run_in(&out, "sha256sum", &["-c", &format!("{name}.zip.sha256")]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
}

#[test]
fn a_missing_binary_fails_the_archive_step() {
    let dir = tempfile::tempdir().unwrap();
    let run = script(
        "release-archive.sh",
        &[
            VERSION,
            "aarch64-apple-darwin",
            "target/aarch64-apple-darwin/release/symguard-not-built",
            dir.path().to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("no such file"), "{}", run.stderr);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn sha256sums_covers_every_attached_file_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let release = dir.path().join("release");
    let binary = assert_cmd::cargo::cargo_bin("symguard");
    archive("x86_64-unknown-linux-musl", &binary, &release);
    archive("aarch64-apple-darwin", &binary, &release);
    // What the wheel jobs and the sdist job download beside the archives.
    let wheel =
        format!("symguard-{VERSION}-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl");
    let sdist = format!("symguard-{VERSION}.tar.gz");
    fs::write(release.join(&wheel), b"wheel").unwrap();
    fs::write(release.join(&sdist), b"sdist").unwrap();

    let run = script("release-checksums.sh", &[release.to_str().unwrap()], &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let sums = fs::read_to_string(release.join("SHA256SUMS")).unwrap();
    let names: Vec<&str> = sums.lines().map(|l| &l[66..]).collect();
    let mut expected = vec![
        format!("symguard-{VERSION}-aarch64-apple-darwin.tar.gz"),
        format!("symguard-{VERSION}-x86_64-unknown-linux-musl.tar.gz"),
        wheel.clone(),
        sdist,
    ];
    expected.sort();
    assert_eq!(names, expected);
    let check = run_in(&release, "sha256sum", &["-c", "SHA256SUMS"]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);

    fs::write(release.join(&wheel), b"another wheel").unwrap();
    let check = run_in(&release, "sha256sum", &["-c", "SHA256SUMS"]);
    assert_ne!(check.code, 0);
    assert!(
        check.stdout.contains(&format!("{wheel}: FAILED")),
        "{}",
        check.stdout
    );

    let empty = dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let run = script("release-checksums.sh", &[empty.to_str().unwrap()], &[]);
    assert_eq!(run.code, 1);
    assert!(!empty.join("SHA256SUMS").exists());
}

/// The workflow as written: what it runs, on which targets, with actions pinned by commit.
#[test]
fn the_release_workflow_pins_every_action_and_runs_these_scripts() {
    let workflow =
        fs::read_to_string(Path::new(ROOT).join(".github/workflows/release.yml")).unwrap();
    let uses: Vec<&str> = workflow
        .lines()
        .filter_map(|l| {
            l.trim_start()
                .trim_start_matches("- ")
                .strip_prefix("uses: ")
        })
        .collect();
    assert!(uses.len() >= 8, "{uses:?}");
    for action in &uses {
        // owner/name@<40 hex digits> # vX.Y.Z
        let (reference, comment) = action.split_once(" # v").unwrap_or((action, ""));
        let sha = reference.split_once('@').map_or("", |(_, sha)| sha);
        assert!(
            sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()) && !comment.is_empty(),
            "not pinned to a commit with its version beside it: {action}"
        );
    }
    for target in [
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
    ] {
        assert!(workflow.contains(&format!("target: {target},")), "{target}");
    }
    for script in [
        "scripts/release-version.sh",
        "scripts/release-archive.sh",
        "scripts/release-checksums.sh",
    ] {
        assert!(workflow.contains(script), "{script}");
        assert!(Path::new(ROOT).join(script).is_file(), "{script}");
    }
    assert!(workflow.contains("command: sdist"));
    assert!(workflow.contains("id-token: write"));
}
