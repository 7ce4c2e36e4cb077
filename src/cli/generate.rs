//! What is generated from the command line's own definitions, so it never falls behind
//! them: shell completion scripts and the man page. Printed by the binary rather than built
//! into files, as ripgrep and ruff do, so every way of installing symguard (a wheel, an
//! archive, `cargo install`) has them.

use super::output::{fail, print};
use std::process::ExitCode;

/// `symguard completions SHELL`: the completion script, for the user to source or install.
pub fn completions(mut command: clap::Command, shell: clap_complete::Shell) -> ExitCode {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "symguard", &mut script);
    emit(script)
}

/// `symguard man`: the man page (roff), every subcommand in one page.
pub fn man(command: clap::Command) -> ExitCode {
    let mut page = Vec::new();
    if let Err(e) = clap_mangen::Man::new(command).render(&mut page) {
        return fail(&format!("cannot render the man page: {e}"));
    }
    emit(page)
}

fn emit(bytes: Vec<u8>) -> ExitCode {
    match String::from_utf8(bytes) {
        Ok(text) => match print(&text) {
            Ok(()) => ExitCode::SUCCESS,
            Err(code) => code,
        },
        Err(e) => fail(&format!("the generated text is not UTF-8: {e}")),
    }
}
