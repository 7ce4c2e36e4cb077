//! The floor for `symguard check`: finds the Terraform files under DIR with the same walk,
//! then reads and parses every one of them with the same parser, in parallel on the same
//! allocator, frees each tree (check frees them as it goes too), and does nothing else.
//! Prints how many files it parsed.
//!
//! usage: parse-only DIR

use rayon::prelude::*;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: parse-only DIR");
        std::process::exit(2);
    };
    let fail = |e: symguard::load::LoadError| -> ! {
        eprintln!("parse-only: {e}");
        std::process::exit(2);
    };
    // A file that cannot be read is an error here, not a smaller count.
    let discovered = symguard::load::discover(&[dir.into()]).unwrap_or_else(|e| fail(e));
    if let Some(e) = discovered.unreadable.into_iter().next() {
        fail(e);
    }
    let files: Vec<_> = discovered.dirs.into_values().flatten().collect();
    let parsed: usize = files
        .par_iter()
        .map(|path| symguard::load::parse_file(path).map(|_| 1))
        .sum::<Result<usize, _>>()
        .unwrap_or_else(|e| fail(e));
    println!("{parsed}");
}
