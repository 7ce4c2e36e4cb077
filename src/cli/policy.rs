//! `policy test`'s front end: runs the policies' tests and prints PASS/FAIL.

use crate::cli::output::{fail, print, EXIT_FINDINGS};
use std::path::PathBuf;
use std::process::ExitCode;

/// `symguard policy test`: PASS/FAIL per test, then the totals; exit 1 when one fails.
pub fn policy_test(dirs: &[PathBuf]) -> ExitCode {
    let dirs = if dirs.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        dirs.to_vec()
    };
    let policies = match symguard::policy::Policies::load(&dirs) {
        Ok(policies) => policies,
        Err(e) => return fail(&e),
    };
    let results = policies.test();
    if results.is_empty() {
        return fail("no test_* rules found in the policies");
    }
    let mut out = String::new();
    let mut failed = 0;
    for result in &results {
        match &result.failure {
            None => out += &format!("{}: {}: PASS\n", result.file, result.rule),
            Some(why) => {
                failed += 1;
                out += &format!("{}: {}: FAIL ({why})\n", result.file, result.rule);
            }
        }
    }
    out += &format!(
        "{}: {}/{} passed\n",
        if failed == 0 { "PASS" } else { "FAIL" },
        results.len() - failed,
        results.len()
    );
    if let Err(code) = print(&out) {
        return code;
    }
    ExitCode::from(if failed == 0 { 0 } else { EXIT_FINDINGS })
}
