//! The floor for `symguard check`: walks DIR, reads and parses every Terraform file with the
//! same loader (in parallel), and does nothing else; prints how many files it parsed.
//!
//! usage: parse-only DIR

fn main() {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: parse-only DIR");
        std::process::exit(2);
    };
    // `complete`: a file that cannot be read is an error here, not a smaller count.
    match symguard::load::load(&[dir.into()]).and_then(|w| w.complete()) {
        Ok(workspace) => {
            let files = workspace.modules.iter().map(|m| m.all_files().count());
            println!("{}", files.sum::<usize>());
        }
        Err(e) => {
            eprintln!("parse-only: {e}");
            std::process::exit(2);
        }
    }
}
