//! Broken input never breaks symguard: every fixture, truncated, with bytes flipped, or with
//! a piece of another fixture spliced in, goes through load, evaluate, rules and every output
//! format without a panic, and every format stays well-formed. The inputs the fuzzer found
//! crashing (`fixtures/fuzz-regressions/`) run the same way.

use crate::support::pipeline;
use proptest::prelude::*;

/// Every fixture directory's files, joined the way the fuzz target splits them.
fn fixture_inputs() -> &'static [Vec<u8>] {
    static INPUTS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    INPUTS.get_or_init(read_fixture_inputs)
}

fn read_fixture_inputs() -> Vec<Vec<u8>> {
    let mut inputs = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from("fixtures")];
    while let Some(dir) = dirs.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        let tf: Vec<Vec<u8>> = entries
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "tf"))
            .map(|p| std::fs::read(p).unwrap())
            .collect();
        if !tf.is_empty() {
            let config = std::fs::read(dir.join("symguard.toml")).unwrap_or_default();
            inputs.push(pipeline::join(&[
                tf[0].clone(),
                tf[1..].concat(),
                Vec::new(),
                Vec::new(),
                config,
            ]));
        }
        dirs.extend(entries.into_iter().filter(|p| p.is_dir()));
    }
    assert!(inputs.len() > 20, "the fixtures are where the test expects");
    inputs
}

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(prop::sample::Index),
    Flip(prop::sample::Index, u8),
    Splice {
        at: prop::sample::Index,
        donor: prop::sample::Index,
        start: prop::sample::Index,
        len: usize,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<prop::sample::Index>().prop_map(Mutation::Truncate),
        (any::<prop::sample::Index>(), 1..=255u8).prop_map(|(i, x)| Mutation::Flip(i, x)),
        (
            any::<prop::sample::Index>(),
            any::<prop::sample::Index>(),
            any::<prop::sample::Index>(),
            1..400usize
        )
            .prop_map(|(at, donor, start, len)| Mutation::Splice {
                at,
                donor,
                start,
                len
            }),
    ]
}

fn apply(input: &mut Vec<u8>, mutation: &Mutation, inputs: &[Vec<u8>]) {
    if input.is_empty() {
        return;
    }
    match mutation {
        Mutation::Truncate(at) => input.truncate(at.index(input.len())),
        Mutation::Flip(at, x) => {
            let i = at.index(input.len());
            input[i] ^= x;
        }
        Mutation::Splice {
            at,
            donor,
            start,
            len,
        } => {
            let donor = donor.get(inputs);
            let start = start.index(donor.len());
            let piece = &donor[start..(start + len).min(donor.len())];
            let at = at.index(input.len());
            input.splice(at..at, piece.iter().copied());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn mutated_fixtures_never_panic_and_render_well_formed(
        which in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let inputs = fixture_inputs();
        let mut input = which.get(inputs).clone();
        for m in &mutations {
            apply(&mut input, m, inputs);
        }
        let dir = tempfile::tempdir().unwrap();
        pipeline::write_tree(dir.path(), &input);
        pipeline::check_every_format(dir.path());
    }
}

#[test]
fn inputs_the_fuzzer_found_run_clean() {
    let dir = std::path::Path::new("fixtures/fuzz-regressions");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let input = std::fs::read(entry.unwrap().path()).unwrap();
        let tree = tempfile::tempdir().unwrap();
        pipeline::write_tree(tree.path(), &input);
        pipeline::check_every_format(tree.path());
        count += 1;
    }
    assert!(count > 0, "{} holds the fuzzer's finds", dir.display());
}
