//! The benchmark corpus generator: a seeded corpus yields exactly the seeded findings, and
//! a corpus without defects is clean.

#[path = "../examples/gen-corpus.rs"]
mod gen_corpus;

use gen_corpus::{generate, Corpus};
use serde_json::Value;

fn findings(dir: &std::path::Path) -> Vec<(String, String, usize)> {
    let out = assert_cmd::Command::cargo_bin("symguard")
        .unwrap()
        .args(["check", dir.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let mut found: Vec<(String, String, usize)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap() as usize,
            )
        })
        .collect();
    found.sort();
    found
}

#[test]
fn a_seeded_corpus_yields_exactly_the_seeded_findings() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = Corpus {
        roots: 40,
        targets: 3,
        defect_rate: 0.5,
        seed: 7,
    };
    let seeded = generate(dir.path(), &corpus).unwrap();
    let kinds: std::collections::BTreeSet<&str> = seeded.iter().map(|s| s.rule).collect();
    assert_eq!(kinds.len(), 3, "every kind of defect is seeded: {kinds:?}");
    assert!(
        (10..=30).contains(&seeded.len()),
        "{} defects",
        seeded.len()
    );
    let expected: Vec<(String, String, usize)> = seeded
        .iter()
        .map(|s| (s.rule.to_string(), s.file.clone(), s.line))
        .collect();
    assert_eq!(findings(dir.path()), expected);
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("expected.json")).unwrap())
            .unwrap();
    assert_eq!(manifest.as_array().unwrap().len(), seeded.len());
}

#[test]
fn a_corpus_without_defects_is_clean() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = Corpus {
        roots: 5,
        targets: 4,
        defect_rate: 0.0,
        seed: 1,
    };
    assert!(generate(dir.path(), &corpus).unwrap().is_empty());
    assert_eq!(findings(dir.path()), vec![]);
}
