//! symguard's integration tests, one module per file beside this one, in one test binary:
//! each binary links the whole crate and the AWS SDK, and 23 of them took 600 MB of disk
//! and 23 links in every CI build (see `autotests` in Cargo.toml). Run one file's tests
//! with `cargo nextest run --test integration drift::`.

mod support;

mod action;
mod cli;
mod connectors;
mod corpus;
mod docs;
mod drift;
mod evaluation;
mod formats;
mod generated;
mod hostile;
mod layers;
mod mutations;
mod package;
mod policies;
mod precommit;
mod provenance;
mod provenance_formats;
mod release;
mod remediate;
mod schema;
mod secrets;
mod suppressions;
mod wheel;

/// A file in tests/ that no `mod` line above names would never compile or run.
#[test]
fn every_test_file_is_a_module_of_this_binary() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let this = std::fs::read_to_string(dir.join("integration.rs")).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(module) = name.strip_suffix(".rs") else {
            continue;
        };
        if module != "integration" {
            assert!(
                this.contains(&format!("\nmod {module};\n")),
                "tests/{name} is not a module of tests/integration.rs: add `mod {module};`"
            );
        }
    }
}
