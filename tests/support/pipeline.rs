//! One input through the whole `check` pipeline, shared by the property test
//! (`tests/mutations.rs`) and the fuzz target (`fuzz/fuzz_targets/check.rs`): the input is
//! split into the files of a small Sym tree, checked, and rendered in every format, each of
//! which must be well-formed. A panic anywhere is the failure both of them look for.

use std::path::Path;

/// Where the parts of an input go: a root module, its variables, a local module it can call
/// and the configuration, so one input reaches the loader, evaluator, rules and config.
pub const FILES: [&str; 5] = [
    "main.tf",
    "variables.tf",
    "terraform.tfvars",
    "modules/local/main.tf",
    "symguard.toml",
];

/// Separates the parts of an input. The seed corpus joins a fixture's files with it.
pub const SEPARATOR: &[u8] = b"\n#~~file~~\n";

/// Writes `input` as the tree under `dir`, replacing what an earlier input left there.
pub fn write_tree(dir: &Path, input: &[u8]) {
    let mut parts: Vec<&[u8]> = Vec::new();
    let mut rest = input;
    while let Some(at) = find(rest, SEPARATOR) {
        parts.push(&rest[..at]);
        rest = &rest[at + SEPARATOR.len()..];
    }
    parts.push(rest);
    for (i, name) in FILES.iter().enumerate() {
        let path = dir.join(name);
        match parts.get(i) {
            Some(part) => {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, part).unwrap();
            }
            None => {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
}

/// Joins files into one input, the inverse of `write_tree`.
pub fn join(files: &[Vec<u8>]) -> Vec<u8> {
    files.join(SEPARATOR)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Checks the tree under `dir` and renders every format, asserting each is well-formed.
/// An error that stops the run must say something; a report must render completely.
pub fn check_every_format(dir: &Path) {
    let options = symguard::CheckOptions::new(vec![dir.to_path_buf()]);
    let report = match symguard::check(&options) {
        Ok(report) => report,
        Err(error) => {
            assert!(
                !error.to_string().trim().is_empty(),
                "an error without words"
            );
            return;
        }
    };
    use symguard::report::*;
    let findings = &report.findings;
    assert!(!human::summary(findings, report.files, report.resources).is_empty());
    human::render(findings, false);
    let json: serde_json::Value =
        serde_json::from_str(&json::render(findings, report.files, report.resources))
            .expect("json output parses");
    assert_eq!(
        json["findings"].as_array().map(Vec::len),
        Some(findings.len()),
        "json lists every finding"
    );
    let sarif: serde_json::Value =
        serde_json::from_str(&sarif::render(findings)).expect("sarif output parses");
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(findings.len()),
        "sarif lists every finding"
    );
    let annotations = github::render(findings);
    assert_eq!(
        annotations.lines().filter(|l| l.starts_with("::")).count(),
        findings.len(),
        "one annotation line per finding: {annotations}"
    );
    markdown::render(findings, report.files, report.resources);
    let rules: Vec<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
    well_formed_xml(&junit::render(findings, &rules));
}

fn well_formed_xml(text: &str) {
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => return,
            Ok(_) => {}
            Err(e) => panic!("junit output is not well-formed XML: {e}\n{text}"),
        }
    }
}
