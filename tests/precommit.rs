//! The pre-commit hooks (.pre-commit-hooks.yaml) for real: pre-commit (from PyPI, installed
//! into .venv/) builds symguard from this checkout as `language: rust` hooks are built, and
//! a throwaway repository using the hook gets a commit with a defect blocked and clean ones
//! through; the `language: system` hook does the same with the symguard on PATH.
//!
//! The rust hook's test is opt-in, because pre-commit builds symguard in release mode, which
//! takes about ten minutes on a 2-core machine:
//! `SYMGUARD_TEST_PRECOMMIT=1 cargo test --test integration precommit::`. Run it before every
//! release (docs/ci.md, "pre-commit").

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// git and pre-commit with no user or system configuration, and pre-commit's cache in `home`.
fn command(program: &Path, dir: &Path, home: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "symguard test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "symguard test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("PRE_COMMIT_HOME", home)
        // pre-commit runs `cargo install`; a target directory that outlives the test makes
        // later runs rebuild only symguard itself, not its dependencies.
        .env(
            "CARGO_TARGET_DIR",
            Path::new(ROOT).join("target/pre-commit"),
        )
        .env_remove("NO_COLOR");
    cmd
}

fn git(dir: &Path, home: &Path, args: &[&str]) -> Output {
    command(Path::new("git"), dir, home)
        .args(args)
        .output()
        .unwrap()
}

fn ok(what: &str, out: Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{what} failed: {text}");
    text
}

/// pre-commit from PyPI in the project's .venv/ (the one scripts/test makes for moto).
fn pre_commit() -> PathBuf {
    let venv = Path::new(ROOT).join(".venv");
    let bin = venv.join("bin/pre-commit");
    if !bin.exists() {
        if !venv.join("bin/pip").exists() {
            ok(
                "python3 -m venv .venv",
                Command::new("python3")
                    .args(["-m", "venv"])
                    .arg(&venv)
                    .output()
                    .unwrap(),
            );
        }
        ok(
            "pip install pre-commit",
            Command::new(venv.join("bin/pip"))
                .args([
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "pre-commit==4.*",
                ])
                .output()
                .unwrap(),
        );
    }
    bin
}

/// A repository holding this checkout's working tree as one commit. pre-commit installs a
/// hook repository at a commit; this one is the code as it is now, uncommitted work
/// included (files git ignores, such as target/, left out).
fn hook_repository(dir: &Path, home: &Path) -> String {
    let files = ok(
        "git ls-files",
        git(
            Path::new(ROOT),
            home,
            &[
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ],
        ),
    );
    for file in files.split('\0').filter(|f| !f.is_empty()) {
        let from = Path::new(ROOT).join(file);
        if !from.is_file() {
            continue; // deleted in the working tree
        }
        let to = dir.join(file);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(&from, &to).unwrap();
    }
    ok("git init", git(dir, home, &["init", "-q"]));
    ok("git add", git(dir, home, &["add", "-A"]));
    ok(
        "git commit",
        git(dir, home, &["commit", "-q", "-m", "symguard"]),
    );
    let rev = ok("git rev-parse", git(dir, home, &["rev-parse", "HEAD"]));
    rev.trim().to_string()
}

fn commit(repo: &Path, home: &Path, message: &str) -> (bool, String) {
    let out = git(repo, home, &["commit", "-m", message]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn commits(repo: &Path, home: &Path) -> String {
    ok(
        "git log",
        git(repo, home, &["log", "--format=%s", "--reverse"]),
    )
}

#[test]
fn the_hook_blocks_a_defective_commit_and_passes_clean_ones() {
    if std::env::var("SYMGUARD_TEST_PRECOMMIT").as_deref() != Ok("1") {
        eprintln!(
            "skipped: the pre-commit hook test builds symguard in release mode (about ten \
             minutes); run it with SYMGUARD_TEST_PRECOMMIT=1"
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("pre-commit-home");
    let hooks = tmp.path().join("symguard");
    let infra = tmp.path().join("infra");
    fs::create_dir_all(&hooks).unwrap();
    fs::create_dir_all(infra.join("iam")).unwrap();
    let pre_commit = pre_commit();
    let rev = hook_repository(&hooks, &home);

    // The repository of a team that uses the hook, with the shipped example as its module.
    ok("git init", git(&infra, &home, &["init", "-q"]));
    fs::write(
        infra.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: symguard\n",
            hooks.display()
        ),
    )
    .unwrap();
    for file in ["main.tf", "iam.tf", "impl.py", "symguard.toml"] {
        fs::copy(
            Path::new(ROOT).join("examples/aws-iam").join(file),
            infra.join("iam").join(file),
        )
        .unwrap();
    }
    ok(
        "pre-commit install",
        command(&pre_commit, &infra, &home)
            .arg("install")
            .output()
            .unwrap(),
    );

    // 1. A clean module: the hook builds symguard (once), checks it, and lets it through.
    ok("git add", git(&infra, &home, &["add", "-A"]));
    let started = Instant::now();
    let (passed, output) = commit(&infra, &home, "clean module");
    eprintln!(
        "first commit, including pre-commit's build of symguard: {:.0?}",
        started.elapsed()
    );
    assert!(passed, "{output}");
    assert!(
        output
            .lines()
            .any(|l| l.starts_with("symguard") && l.ends_with("Passed")),
        "{output}"
    );

    // 2. A defect: main.tf renames the environment that iam.tf still refers to. Only
    // main.tf is staged; the hook checks its whole module, so the broken reference in the
    // unchanged iam.tf blocks the commit.
    let main_tf = infra.join("iam/main.tf");
    let text = fs::read_to_string(&main_tf).unwrap();
    let renamed = text.replace(
        "resource \"sym_environment\" \"this\"",
        "resource \"sym_environment\" \"main\"",
    );
    assert_ne!(renamed, text);
    fs::write(&main_tf, renamed).unwrap();
    ok("git add", git(&infra, &home, &["add", "iam/main.tf"]));
    let (passed, output) = commit(&infra, &home, "rename the environment");
    assert!(!passed, "the defective commit went through: {output}");
    assert!(
        output
            .lines()
            .any(|l| l.starts_with("symguard") && l.ends_with("Failed")),
        "{output}"
    );
    assert!(output.contains("unresolved-reference"), "{output}");
    assert!(output.contains("[iam/iam.tf:72:20]"), "{output}");
    assert!(output.contains("symguard: 1 error, 0 warnings"), "{output}");
    assert_eq!(commits(&infra, &home), "clean module\n");

    // 3. The fix goes through.
    let iam_tf = infra.join("iam/iam.tf");
    let text = fs::read_to_string(&iam_tf).unwrap();
    fs::write(
        &iam_tf,
        text.replace("sym_environment.this.id", "sym_environment.main.id"),
    )
    .unwrap();
    ok("git add", git(&infra, &home, &["add", "-A"]));
    let (passed, output) = commit(&infra, &home, "rename the environment");
    assert!(passed, "{output}");
    assert!(
        output
            .lines()
            .any(|l| l.starts_with("symguard") && l.ends_with("Passed")),
        "{output}"
    );

    // 4. A commit without Terraform does not run symguard at all.
    fs::write(infra.join("README.md"), "# infra\n").unwrap();
    ok("git add", git(&infra, &home, &["add", "README.md"]));
    let (passed, output) = commit(&infra, &home, "readme");
    assert!(passed, "{output}");
    assert!(
        output
            .lines()
            .any(|l| l.starts_with("symguard") && l.contains("Skipped")),
        "{output}"
    );
    assert_eq!(
        commits(&infra, &home),
        "clean module\nrename the environment\nreadme\n"
    );
}

/// The `symguard-system` hook builds nothing: it runs the symguard on PATH (here the one
/// the tests built, standing for a pip, pipx or cargo install), so it runs by default.
#[test]
fn the_system_hook_runs_the_symguard_on_path() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("pre-commit-home");
    let hooks = tmp.path().join("symguard");
    let infra = tmp.path().join("infra");
    fs::create_dir_all(&hooks).unwrap();
    fs::create_dir_all(infra.join("iam")).unwrap();
    let pre_commit = pre_commit();
    let rev = hook_repository(&hooks, &home);

    ok("git init", git(&infra, &home, &["init", "-q"]));
    fs::write(
        infra.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: symguard-system\n",
            hooks.display()
        ),
    )
    .unwrap();
    for file in ["main.tf", "iam.tf", "impl.py", "symguard.toml"] {
        fs::copy(
            Path::new(ROOT).join("examples/aws-iam").join(file),
            infra.join("iam").join(file),
        )
        .unwrap();
    }
    ok(
        "pre-commit install",
        command(&pre_commit, &infra, &home)
            .arg("install")
            .output()
            .unwrap(),
    );
    let installed = assert_cmd::cargo::cargo_bin("symguard");
    let path = std::env::join_paths(
        std::iter::once(installed.parent().unwrap().to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let commit_on_path = |message: &str| {
        let out = command(Path::new("git"), &infra, &home)
            .args(["commit", "-m", message])
            .env("PATH", &path)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    };
    let hook_line = |output: &str, result: &str| {
        output
            .lines()
            .any(|l| l.starts_with("symguard (installed)") && l.ends_with(result))
    };

    ok("git add", git(&infra, &home, &["add", "-A"]));
    let (passed, output) = commit_on_path("clean module");
    assert!(passed, "{output}");
    assert!(hook_line(&output, "Passed"), "{output}");

    // The defect of the rust hook's test: only main.tf is staged, iam.tf breaks.
    let main_tf = infra.join("iam/main.tf");
    let text = fs::read_to_string(&main_tf).unwrap();
    fs::write(
        &main_tf,
        text.replace(
            "resource \"sym_environment\" \"this\"",
            "resource \"sym_environment\" \"main\"",
        ),
    )
    .unwrap();
    ok("git add", git(&infra, &home, &["add", "iam/main.tf"]));
    let (passed, output) = commit_on_path("rename the environment");
    assert!(!passed, "the defective commit went through: {output}");
    assert!(hook_line(&output, "Failed"), "{output}");
    assert!(output.contains("[iam/iam.tf:72:20]"), "{output}");
    assert_eq!(commits(&infra, &home), "clean module\n");
}

/// Both hooks run on every file symguard reads as part of a module, and on no other.
#[test]
fn the_hooks_run_on_the_files_symguard_reads() {
    let hooks = fs::read_to_string(Path::new(ROOT).join(".pre-commit-hooks.yaml")).unwrap();
    let patterns: Vec<regex::Regex> = hooks
        .lines()
        .filter_map(|line| line.trim().strip_prefix("files: "))
        .map(|pattern| regex::Regex::new(pattern).unwrap())
        .collect();
    assert_eq!(patterns.len(), 2, "{hooks}");
    for pattern in &patterns {
        for staged in [
            "iam/main.tf",
            "iam/groups.tf.json",
            "iam/terraform.tfvars",
            "iam/terraform.tfvars.json",
            "iam/prod.auto.tfvars.json",
        ] {
            assert!(pattern.is_match(staged), "{pattern} skips {staged}");
        }
        for other in ["iam/impl.py", "iam/notes.json", "iam/main.tf.bak"] {
            assert!(!pattern.is_match(other), "{pattern} runs on {other}");
        }
    }
}
