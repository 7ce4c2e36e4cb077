//! Any bytes, as a small Sym tree, through load, evaluate, rules and every output format.
//! Run it as docs/reliability.md says; seed it with `fuzz/seed-corpus.sh`.
#![no_main]

#[path = "../../tests/support/pipeline.rs"]
#[allow(dead_code)] // `join` serves the property test
mod pipeline;

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// One directory per fuzzing process, rewritten for every input.
static TREE: OnceLock<tempfile::TempDir> = OnceLock::new();

fuzz_target!(|input: &[u8]| {
    let dir = TREE.get_or_init(|| tempfile::tempdir().expect("a temporary directory"));
    pipeline::write_tree(dir.path(), input);
    pipeline::check_every_format(dir.path());
});
