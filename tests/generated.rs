//! What `symguard` generates from its command line: shell completions, loaded into a real
//! shell, and the man page, rendered by man when it is installed.

use assert_cmd::Command;
use std::process::Stdio;

fn generated(args: &[&str]) -> String {
    let out = Command::cargo_bin("symguard")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The words bash would offer for `symguard WORDS...` with the cursor after the last one.
fn bash_completes(script: &str, words: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("symguard.bash");
    std::fs::write(&path, script).unwrap();
    let words: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    // As bash calls a completion function: COMP_WORDS and COMP_CWORD set, then
    // `_symguard COMMAND WORD PREVIOUS`.
    let program = format!(
        "source '{}'\nCOMP_WORDS=(symguard {})\nCOMP_CWORD={}\nCOMP_LINE=\"${{COMP_WORDS[*]}}\"\nCOMP_POINT=${{#COMP_LINE}}\n_symguard symguard \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        path.display(),
        words.join(" "),
        words.len()
    );
    let out = std::process::Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_subcommands_and_their_flags() {
    let script = generated(&["completions", "bash"]);
    let syntax = std::process::Command::new("bash")
        .args(["-n", "-c", &script])
        .output()
        .unwrap();
    assert!(syntax.status.success(), "{syntax:?}");

    assert_eq!(bash_completes(&script, &["ch"]), ["check"]);
    assert_eq!(bash_completes(&script, &["re"]), ["remediate"]);
    let flags = bash_completes(&script, &["check", "--fail-"]);
    assert_eq!(flags, ["--fail-on"]);
}

#[test]
fn every_shell_gets_a_script_that_names_the_commands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = generated(&["completions", shell]);
        for command in ["check", "drift", "remediate", "snapshot", "explain"] {
            assert!(script.contains(command), "{shell}: no {command}");
        }
    }
    let out = Command::cargo_bin("symguard")
        .unwrap()
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_man_page_renders_and_names_every_subcommand() {
    let page = generated(&["man"]);
    assert!(
        page.starts_with(".ie \\n(.g .ds Aq \\(aq"),
        "{}",
        &page[..80]
    );
    assert!(page.contains(".TH symguard 1"), "{page}");
    let rendered = if std::process::Command::new("man")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("symguard.1");
        std::fs::write(&path, &page).unwrap();
        let out = std::process::Command::new("man")
            .arg("-l")
            .arg(&path)
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .env("MANWIDTH", "100")
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    } else {
        eprintln!("man is not installed: checking the roff itself");
        page
    };
    for heading in ["NAME", "SYNOPSIS", "SUBCOMMANDS"] {
        assert!(rendered.contains(heading), "{heading}: {rendered}");
    }
    for command in [
        "check",
        "drift",
        "remediate",
        "snapshot",
        "model",
        "policy",
        "rules",
        "explain",
        "completions",
    ] {
        assert!(
            rendered.contains(&format!("symguard-{command}(1)")),
            "{command}: {rendered}"
        );
    }
    // The version in the footer, the one `--version` prints.
    assert!(
        rendered.contains(&format!("symguard {}", env!("CARGO_PKG_VERSION"))),
        "{rendered}"
    );
}

#[test]
fn the_version_names_the_commit_it_was_built_from() {
    let version = generated(&["--version"]);
    let head = std::process::Command::new("git")
        .args(["log", "-1", "--date=short", "--format=%h %cd"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8(o.stdout).unwrap().trim().to_string());
    let expected = match head {
        // build.rs asks cargo to run it again when HEAD moves, so this is HEAD's commit.
        Some(commit) => format!("symguard {} ({commit})\n", env!("CARGO_PKG_VERSION")),
        None => format!("symguard {}\n", env!("CARGO_PKG_VERSION")),
    };
    assert_eq!(version, expected);
}
