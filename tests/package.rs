//! What the published crate holds, and what it is built with.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn cargo(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(ROOT)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn files_under(dir: &Path, into: &mut Vec<String>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, into);
        } else {
            let relative = path.strip_prefix(ROOT).unwrap();
            into.push(relative.to_str().unwrap().replace('\\', "/"));
        }
    }
}

/// `cargo package --list` (what crates.io, `cargo install symguard` and maturin's sdist get)
/// holds every file the build reads: the sources, every file they include_str!, build.rs,
/// the manifest and the lock file; and none of the test-only files.
#[test]
fn the_package_holds_every_file_the_build_reads_and_no_test_files() {
    let listed: BTreeSet<String> = cargo(&["package", "--list", "--allow-dirty", "--locked"])
        .lines()
        .map(str::to_string)
        .collect();

    let mut needed = vec![
        "Cargo.toml".to_string(),
        "Cargo.lock".to_string(),
        "build.rs".to_string(),
        "README.md".to_string(),
    ];
    let mut sources = Vec::new();
    files_under(&Path::new(ROOT).join("src"), &mut sources);
    // Beside the sources, src/ holds the rules' insta snapshots, which only the tests read.
    sources.retain(|f| f.ends_with(".rs"));
    for source in &sources {
        let text = fs::read_to_string(Path::new(ROOT).join(source)).unwrap();
        let dir = Path::new(source).parent().unwrap();
        for (at, _) in text.match_indices("include_str!(\"") {
            let rest = &text[at + "include_str!(\"".len()..];
            let included = &rest[..rest.find('"').unwrap()];
            let path = fs::canonicalize(Path::new(ROOT).join(dir).join(included))
                .unwrap_or_else(|e| panic!("{source}: {included}: {e}"));
            let relative = path.strip_prefix(fs::canonicalize(ROOT).unwrap()).unwrap();
            needed.push(relative.to_str().unwrap().replace('\\', "/"));
        }
    }
    needed.extend(sources);
    let rule_docs = needed.iter().filter(|f| f.starts_with("rules/")).count();
    assert!(rule_docs >= 30, "only {rule_docs} rule docs found included");
    for file in &needed {
        assert!(listed.contains(file), "{file} is not in the package");
    }
    for file in &listed {
        for test_only in [
            "tests/",
            "fixtures/",
            "benches/",
            "fuzz/",
            "examples/",
            ".github/",
            ".ci/",
            "scripts/",
        ] {
            assert!(!file.starts_with(test_only), "{file} is in the package");
        }
    }
}

/// The features each dependency is compiled with, for the binary alone or with the tests.
fn features(edges: &str) -> BTreeMap<String, String> {
    cargo(&[
        "tree", "--locked", "-e", edges, "--prefix", "none", "-f", "{p}|{f}",
    ])
    .lines()
    .filter_map(|line| {
        let (package, features) = line.trim_end_matches(" (*)").split_once('|')?;
        let name = package.split(" (").next().unwrap().to_string();
        Some((name, features.to_string()))
    })
    .collect()
}

/// The shipped binary is built with the features the tests ran with, and `maturin build
/// --profile dev` (tests/wheel.rs) reuses the test build's dependencies instead of
/// compiling them again. A dev-dependency that turns on another feature of a shared crate
/// breaks both: turn that feature on in Cargo.toml's [dependencies] too.
#[test]
fn the_binary_and_the_tests_build_dependencies_with_the_same_features() {
    let binary = features("normal,no-proc-macro");
    let tests = features("normal,dev,no-proc-macro");
    let differ: Vec<String> = binary
        .iter()
        .filter(|(name, f)| tests.get(*name).is_some_and(|t| t != *f))
        .map(|(name, f)| format!("{name}: binary [{f}], tests [{}]", tests[name]))
        .collect();
    assert!(differ.is_empty(), "{differ:#?}");
    assert!(binary.len() > 100, "{}", binary.len());
}

/// The Rust version the README, the docs and the action ask for is the package's
/// `rust-version`, which must be what the locked dependencies need: regorus's parking_lot
/// 0.13 needs 1.95, and a build on an older toolchain fails in a dependency's compile
/// errors instead of cargo's one line.
#[test]
fn the_rust_version_asked_for_is_the_one_the_locked_dependencies_need() {
    let metadata: serde_json::Value =
        serde_json::from_str(&cargo(&["metadata", "--format-version", "1", "--locked"])).unwrap();
    let version = |v: &str| -> Vec<u64> { v.split('.').map(|n| n.parse().unwrap()).collect() };
    let packages = metadata["packages"].as_array().unwrap();
    let ours = packages.iter().find(|p| p["name"] == "symguard").unwrap();
    let declared = ours["rust_version"].as_str().unwrap();
    let used = cargo(&[
        "tree",
        "--locked",
        "-e",
        "normal,build",
        "--prefix",
        "none",
        "--format",
        "{p}",
    ]);
    let needed = packages
        .iter()
        .filter(|p| {
            let id = format!(
                "{} v{}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap()
            );
            used.lines().any(|line| line.starts_with(&id))
        })
        .filter_map(|p| p["rust_version"].as_str())
        .max_by_key(|v| version(v))
        .unwrap();
    assert!(
        version(needed) <= version(declared),
        "a locked dependency needs Rust {needed}; Cargo.toml declares {declared}"
    );
    for file in ["README.md", "docs/install.md", "docs/ci.md", "action.yml"] {
        let text = std::fs::read_to_string(file).unwrap();
        for (at, _) in text.match_indices("Rust 1.") {
            let asked: String = text[at + 5..]
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let asked = asked.trim_end_matches('.');
            assert_eq!(asked, declared, "{file} asks for Rust {asked}");
        }
    }
}
