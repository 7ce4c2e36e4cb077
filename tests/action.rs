//! The GitHub Action's shell steps (scripts/action-install.sh, scripts/action-check.sh,
//! scripts/action-cache-key.sh), run the way action.yml runs them, with GitHub's files
//! pointing at temporary files.

use crate::support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A GitHub job in a temporary directory: a workspace holding a copy of fixtures, and the
/// runner's temp directory, output file and step summary.
struct Job {
    dir: tempfile::TempDir,
}

struct Step {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Job {
    /// `modules` maps a directory of the workspace to the fixture copied into it.
    fn new(modules: &[(&str, &str)]) -> Job {
        let dir = tempfile::tempdir().unwrap();
        for (into, fixture) in modules {
            copy_dir(
                &Path::new(ROOT).join(fixture),
                &dir.path().join("ws").join(into),
            );
        }
        fs::create_dir_all(dir.path().join("ws")).unwrap();
        fs::create_dir_all(dir.path().join("runner-temp")).unwrap();
        // An earlier step's summary, which the action must append to, not replace.
        fs::write(dir.path().join("summary.md"), "## earlier step\n").unwrap();
        Job { dir }
    }

    fn workspace(&self) -> PathBuf {
        self.dir.path().join("ws")
    }

    /// Runs the check step with these INPUT_* variables (the action's inputs).
    fn check(&self, inputs: &[(&str, &str)]) -> Step {
        let mut cmd = Command::new("bash");
        cmd.arg(Path::new(ROOT).join("scripts/action-check.sh"))
            .current_dir(self.dir.path())
            .env("SYMGUARD_BIN", assert_cmd::cargo::cargo_bin("symguard"))
            .env("GITHUB_WORKSPACE", self.workspace())
            .env("GITHUB_OUTPUT", self.dir.path().join("output"))
            .env("GITHUB_STEP_SUMMARY", self.dir.path().join("summary.md"))
            .env("RUNNER_TEMP", self.dir.path().join("runner-temp"))
            .env_remove("NO_COLOR");
        for (name, _) in std::env::vars() {
            if name.starts_with("INPUT_") {
                cmd.env_remove(name);
            }
        }
        for (name, value) in inputs {
            cmd.env(format!("INPUT_{name}"), value);
        }
        let out = cmd.output().unwrap();
        Step {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    /// The step's outputs, as GitHub reads them from GITHUB_OUTPUT.
    fn outputs(&self) -> BTreeMap<String, String> {
        let text = fs::read_to_string(self.dir.path().join("output")).unwrap_or_default();
        text.lines()
            .map(|line| {
                let (name, value) = line.split_once('=').unwrap();
                (name.to_string(), value.to_string())
            })
            .collect()
    }

    fn summary(&self) -> String {
        fs::read_to_string(self.dir.path().join("summary.md")).unwrap()
    }

    /// The exit code of `symguard check ARGS` run directly in the workspace.
    fn symguard_exit_code(&self, args: &[&str]) -> i32 {
        Command::new(assert_cmd::cargo::cargo_bin("symguard"))
            .arg("check")
            .args(args)
            .current_dir(self.workspace())
            .output()
            .unwrap()
            .status
            .code()
            .unwrap()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn lines_starting<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.starts_with(prefix)).collect()
}

/// prod: an error and a warning (deescalation); dev: a note (target-name).
fn job_with_findings() -> Job {
    Job::new(&[
        ("envs/prod", "fixtures/deescalation/fail"),
        ("envs/dev", "fixtures/target-name/fail"),
    ])
}

#[test]
fn findings_become_outputs_annotations_a_summary_and_sarif() {
    let job = job_with_findings();
    let step = job.check(&[
        ("PATH", "envs/prod\nenvs/dev"),
        ("SARIF_FILE", "results/symguard.sarif"),
    ]);

    // The step fails as `symguard check` does.
    assert_eq!(step.code, 1, "{}{}", step.stdout, step.stderr);
    assert_eq!(
        step.code,
        job.symguard_exit_code(&["envs/prod", "envs/dev"])
    );

    // Outputs: the counts of the JSON report.
    let report: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(job.dir.path().join("runner-temp/symguard.json")).unwrap(),
    )
    .unwrap();
    let outputs = job.outputs();
    let count = |key: &str| outputs[key].parse::<u64>().unwrap();
    assert_eq!(
        (
            count("findings"),
            count("errors"),
            count("warnings"),
            count("notes")
        ),
        (3, 1, 1, 1)
    );
    assert_eq!(
        count("findings"),
        report["findings"].as_array().unwrap().len() as u64
    );
    assert_eq!(count("errors"), report["summary"]["errors"]);
    assert_eq!(count("warnings"), report["summary"]["warnings"]);
    assert_eq!(count("notes"), report["summary"]["notes"]);

    // Annotations, with paths relative to the workspace so GitHub places them on the files.
    let errors = lines_starting(&step.stdout, "::error ");
    let warnings = lines_starting(&step.stdout, "::warning ");
    let notices = lines_starting(&step.stdout, "::notice ");
    assert_eq!(errors.len(), 1, "{}", step.stdout);
    assert!(
        errors[0].starts_with("::error file=envs/prod/main.tf,line=15,col=5,"),
        "{}",
        errors[0]
    );
    assert!(errors[0].contains("sym_flow.forever"), "{}", errors[0]);
    assert_eq!(warnings.len(), 1, "{}", step.stdout);
    assert!(warnings[0].starts_with("::warning file=envs/prod/main.tf,line=26,"));
    assert_eq!(notices.len(), 1, "{}", step.stdout);
    assert!(notices[0].starts_with("::notice file=envs/dev/main.tf,line=22,"));
    assert!(
        step.stdout
            .contains("symguard: 1 error, 1 warning, 1 note in 3 files (10 resources)"),
        "{}",
        step.stdout
    );

    // The job summary: appended after the earlier step's, one table row per finding.
    let summary = job.summary();
    assert!(summary.starts_with("## earlier step\n"), "{summary}");
    assert!(
        summary.contains("| severity | rule | location | message |"),
        "{summary}"
    );
    for row in [
        "`envs/prod/main.tf:15:5`",
        "`envs/prod/main.tf:26:5`",
        "`envs/dev/main.tf:22:11`",
    ] {
        assert_eq!(summary.matches(row).count(), 1, "{row} in {summary}");
    }

    // SARIF, where the sarif-file output says, with workspace-relative locations.
    let sarif_path = PathBuf::from(&outputs["sarif-file"]);
    assert!(sarif_path.is_absolute(), "{}", sarif_path.display());
    assert_eq!(
        fs::canonicalize(&sarif_path).unwrap(),
        fs::canonicalize(job.workspace().join("results/symguard.sarif")).unwrap()
    );
    let sarif: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&sarif_path).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    let mut uris: Vec<&str> = results
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    uris.sort();
    assert_eq!(
        uris,
        ["envs/dev/main.tf", "envs/prod/main.tf", "envs/prod/main.tf"]
    );
}

#[test]
fn path_defaults_to_the_whole_workspace() {
    let job = job_with_findings();
    let step = job.check(&[]);
    assert_eq!(step.code, 1, "{}{}", step.stdout, step.stderr);
    assert_eq!(job.outputs()["findings"], "3");
    // No SARIF unless asked for.
    assert_eq!(job.outputs()["sarif-file"], "");
    assert!(!job.workspace().join("results").exists());
}

#[test]
fn fail_on_decides_the_exit_code_and_not_the_counts() {
    // dev holds a single note.
    let job = Job::new(&[("envs/dev", "fixtures/target-name/fail")]);
    for (fail_on, code) in [("error", 0), ("warning", 0), ("note", 1), ("never", 0)] {
        let step = job.check(&[("FAIL_ON", fail_on)]);
        assert_eq!(step.code, code, "--fail-on {fail_on}: {}", step.stderr);
        assert_eq!(
            step.code,
            job.symguard_exit_code(&["--fail-on", fail_on]),
            "--fail-on {fail_on}"
        );
        // The annotation is written whether or not the step fails.
        assert_eq!(lines_starting(&step.stdout, "::notice ").len(), 1);
    }
    // GITHUB_OUTPUT is appended to by each step; the last step's values win.
    let text = fs::read_to_string(job.dir.path().join("output")).unwrap();
    assert_eq!(text.matches("notes=1\n").count(), 4, "{text}");
    assert_eq!(job.outputs()["errors"], "0");
}

#[test]
fn a_clean_configuration_passes_with_zero_counts() {
    let job = Job::new(&[("iam", "examples/aws-iam")]);
    let step = job.check(&[("SARIF_FILE", "symguard.sarif")]);
    assert_eq!(step.code, 0, "{}{}", step.stdout, step.stderr);
    let outputs = job.outputs();
    assert_eq!(
        (
            outputs["findings"].as_str(),
            outputs["errors"].as_str(),
            outputs["warnings"].as_str()
        ),
        ("0", "0", "0")
    );
    assert!(!step.stdout.contains("::"), "{}", step.stdout);
    let sarif: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&outputs["sarif-file"]).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 0);
}

#[test]
fn config_and_format_inputs_reach_symguard() {
    let job = job_with_findings();
    fs::write(
        job.workspace().join("strict.toml"),
        "[rules]\ndeescalation = \"off\"\ntarget-name = \"error\"\n",
    )
    .unwrap();
    let step = job.check(&[("CONFIG", "strict.toml"), ("FORMAT", "human")]);
    assert_eq!(step.code, 1, "{}{}", step.stdout, step.stderr);
    let outputs = job.outputs();
    assert_eq!(
        (outputs["findings"].as_str(), outputs["errors"].as_str()),
        ("1", "1")
    );
    // The annotation, and the human report beside it in the log.
    assert_eq!(
        lines_starting(&step.stdout, "::error file=envs/dev/main.tf,line=22,").len(),
        1,
        "{}",
        step.stdout
    );
    assert!(
        step.stdout.contains("[envs/dev/main.tf:22:11]"),
        "{}",
        step.stdout
    );
    assert!(!step.stdout.contains("deescalation"), "{}", step.stdout);
}

#[test]
fn changed_since_reports_only_the_changed_files() {
    let job = job_with_findings();
    let ws = job.workspace();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(&ws)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "base"]);
    let dev = ws.join("envs/dev/main.tf");
    let text = fs::read_to_string(&dev).unwrap();
    fs::write(&dev, text + "\n# reviewed\n").unwrap();

    let step = job.check(&[("CHANGED_SINCE", "HEAD"), ("FAIL_ON", "note")]);
    assert_eq!(step.code, 1, "{}{}", step.stdout, step.stderr);
    let outputs = job.outputs();
    assert_eq!(
        (outputs["findings"].as_str(), outputs["errors"].as_str()),
        ("1", "0")
    );
    assert!(!step.stdout.contains("envs/prod"), "{}", step.stdout);
}

#[test]
fn a_check_that_cannot_run_fails_the_step_with_exit_code_2() {
    let job = job_with_findings();
    let step = job.check(&[("PATH", "no/such/dir"), ("SARIF_FILE", "out.sarif")]);
    assert_eq!(step.code, 2);
    assert!(
        step.stderr
            .contains("no/such/dir: no such file or directory"),
        "{}",
        step.stderr
    );
    assert_eq!(
        lines_starting(&step.stdout, "::error title=symguard::").len(),
        1,
        "{}",
        step.stdout
    );
    // No counts that would read as "0 findings", no summary, no SARIF.
    assert!(job.outputs().is_empty(), "{:?}", job.outputs());
    assert_eq!(job.summary(), "## earlier step\n");
    assert!(!job.workspace().join("out.sarif").exists());
}

/// The cache key step on a copy of the action's source.
fn cache_key(source: &Path, version: &str) -> (i32, String, String) {
    let output = tempfile::NamedTempFile::new().unwrap();
    let out = Command::new("bash")
        .arg(Path::new(ROOT).join("scripts/action-cache-key.sh"))
        .env("GITHUB_ACTION_PATH", source)
        .env("GITHUB_OUTPUT", output.path())
        .env("INPUT_VERSION", version)
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64")
        .env("ImageOS", "ubuntu24")
        .output()
        .unwrap();
    let written = fs::read_to_string(output.path()).unwrap();
    (
        out.status.code().unwrap_or(-1),
        written
            .strip_prefix("key=")
            .unwrap_or(&written)
            .trim_end()
            .to_string(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn the_cache_key_follows_the_source_and_the_version_input_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("action");
    for path in ["src", "rules"] {
        copy_dir(&Path::new(ROOT).join(path), &source.join(path));
    }
    for file in ["Cargo.toml", "Cargo.lock"] {
        fs::copy(Path::new(ROOT).join(file), source.join(file)).unwrap();
    }
    let manifest = fs::read_to_string(source.join("Cargo.toml")).unwrap();
    let version = manifest
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .unwrap()
        .to_string();

    let (code, key, _) = cache_key(&source, "");
    assert_eq!(code, 0);
    assert!(
        key.starts_with(&format!("symguard-Linux-X64-ubuntu24-v{version}-")),
        "{key}"
    );
    // The same source, wherever it is checked out, gives the same key.
    let moved = dir.path().join("elsewhere");
    fs::rename(&source, &moved).unwrap();
    assert_eq!(cache_key(&moved, "").1, key);
    // Any change to what the binary is built from gives another key.
    fs::write(moved.join("src/lib.rs"), "// changed\n").unwrap();
    assert_ne!(cache_key(&moved, "").1, key);

    // The version input: the source's own version (with or without v) passes, another fails.
    assert_eq!(cache_key(&moved, &version).0, 0);
    assert_eq!(cache_key(&moved, &format!("v{version}")).0, 0);
    let (code, key, stdout) = cache_key(&moved, "99.0.0");
    assert_eq!(code, 1);
    assert!(key.is_empty());
    assert!(
        stdout.starts_with(&format!(
            "::error title=symguard::this action builds symguard {version}, not the version input 99.0.0"
        )),
        "{stdout}"
    );
}

/// The install step (scripts/action-install.sh) with pip pointed at `wheels`, a local
/// directory, instead of PyPI: (exit code, stdout, the step's outputs).
fn install(
    version: &str,
    wheels: &Path,
    runner_temp: &Path,
) -> (i32, String, BTreeMap<String, String>) {
    let output = runner_temp.join("github-output");
    let out = Command::new("bash")
        .arg(Path::new(ROOT).join("scripts/action-install.sh"))
        .env("GITHUB_ACTION_PATH", ROOT)
        .env("GITHUB_OUTPUT", &output)
        .env("RUNNER_TEMP", runner_temp)
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64")
        .env("INPUT_VERSION", version)
        .env("PIP_FIND_LINKS", wheels)
        .env("PIP_NO_INDEX", "1")
        .env_remove("PIP_INDEX_URL")
        .output()
        .unwrap();
    let outputs = fs::read_to_string(&output)
        .unwrap_or_default()
        .lines()
        .map(|line| {
            let (name, value) = line.split_once('=').unwrap();
            (name.to_string(), value.to_string())
        })
        .collect();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        outputs,
    )
}

const VERSION: &str = env!("CARGO_PKG_VERSION");

#[test]
fn the_install_step_installs_the_wheel_and_the_check_step_runs_it() {
    let dir = tempfile::tempdir().unwrap();
    let wheels = dir.path().join("wheels");
    support::wheel::build(&wheels);
    let runner_temp = dir.path().join("runner-temp");
    fs::create_dir(&runner_temp).unwrap();

    let (code, stdout, outputs) = install(VERSION, &wheels, &runner_temp);
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(outputs["method"], "wheel", "{stdout}");
    // The private virtual environment, not the job's Python; no source build.
    let bin = PathBuf::from(&outputs["bin"]);
    assert_eq!(bin, runner_temp.join("symguard-venv/bin/symguard"));
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let line = stdout.trim_end();
    assert!(
        line.starts_with(&format!(
            "symguard: installed symguard {VERSION} from a wheel in "
        )) && line.contains(" s (")
            && !line.contains("source"),
        "{line}"
    );

    // The check step with that symguard, as action.yml chains them.
    let job = Job::new(&[("iam", "examples/aws-iam")]);
    let mut check = Command::new("bash");
    check
        .arg(Path::new(ROOT).join("scripts/action-check.sh"))
        .env("SYMGUARD_BIN", &bin)
        .env("GITHUB_WORKSPACE", job.workspace())
        .env("GITHUB_OUTPUT", job.dir.path().join("output"))
        .env("RUNNER_TEMP", job.dir.path().join("runner-temp"));
    let out = check.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(job.outputs()["findings"], "0");

    // A `v` before the version is the tag's spelling and means the same.
    let (code, _, outputs) = install(&format!("v{VERSION}"), &wheels, &runner_temp);
    assert_eq!((code, outputs["method"].as_str()), (0, "wheel"));
}

#[test]
fn without_a_wheel_for_the_runner_the_step_falls_back_to_the_source_build() {
    let dir = tempfile::tempdir().unwrap();
    // Only a wheel for another platform: pip decides by the file name that it does not fit
    // this machine and never opens it.
    let wheels = dir.path().join("wheels");
    fs::create_dir(&wheels).unwrap();
    fs::write(
        wheels.join(format!("symguard-{VERSION}-py3-none-win_arm64.whl")),
        b"not for this runner",
    )
    .unwrap();
    let runner_temp = dir.path().join("runner-temp");
    fs::create_dir(&runner_temp).unwrap();

    let (code, stdout, outputs) = install(VERSION, &wheels, &runner_temp);
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(outputs.get("method").map(String::as_str), Some("source"));
    assert!(!outputs.contains_key("bin"), "{outputs:?}");
    assert!(
        stdout.starts_with(&format!(
            "symguard: no symguard {VERSION} wheel for this runner (Linux X64; pip: ERROR: "
        )) && stdout.trim_end().ends_with(&format!(
            "; building symguard {VERSION} from the action's source instead (cargo install, cached between runs)"
        )),
        "{stdout}"
    );

    // No version input: nothing to install from a wheel, straight to the source build.
    let (code, stdout, outputs) = install("", &wheels, &runner_temp);
    assert_eq!((code, outputs["method"].as_str()), (0, "source"));
    assert!(
        stdout.starts_with("symguard: no version input, so no wheel to install; building"),
        "{stdout}"
    );
}

#[test]
fn a_version_input_that_is_not_the_actions_fails_the_install_step_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, outputs) = install("99.0.0", dir.path(), dir.path());
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        format!(
            "::error title=symguard::this action installs symguard {VERSION}, not the version \
             input 99.0.0: pin the action to the release you want (uses: ...@v99.0.0)\n"
        )
    );
    assert!(outputs.is_empty(), "{outputs:?}");
    assert!(!dir.path().join("symguard-venv").exists());
}
