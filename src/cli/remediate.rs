//! `remediate`'s front end once the plan is known: the dry run, the confirmation prompt, and
//! carrying the plan out.

use crate::cli::args::ReportArgs;
use crate::cli::output::{exit_for, fail, EXIT_FINDINGS};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use symguard::live::aws::Connection;
use symguard::remediate;
use symguard::report::{human, json};

/// `remediate`, once the plan is known.
pub struct Remediate {
    pub remediation: symguard::Remediation,
    pub limit: usize,
    pub connection: Connection,
    pub audit_log: Option<PathBuf>,
    pub yes: bool,
}

impl Remediate {
    /// Prints the plan and the findings behind it; exits as `drift` would on them.
    pub fn dry_run(self, args: &ReportArgs) -> ExitCode {
        let Remediate {
            remediation, limit, ..
        } = self;
        let symguard::Remediation { report, plan, .. } = remediation;
        let human = || {
            let mut out = human::plan(&plan);
            if let Err(refusal) = plan.check_limit(limit) {
                out += &format!("--apply would be refused: {refusal}\n");
            }
            out + "dry run: nothing was changed; run again with --apply to carry the plan out\n"
        };
        let json = || {
            json::render_remediation(
                &report.findings,
                report.files,
                report.resources,
                report.drift.as_ref(),
                &plan,
                None,
            )
        };
        let text = args.render(&report, symguard::REMEDIATE_RULES, human, json);
        if let Err(code) = args.emit(&text, &report) {
            return code;
        }
        exit_for(&report.findings, args)
    }

    /// Carries the plan out, after the limit and the confirmation.
    pub fn apply(self, args: &ReportArgs) -> ExitCode {
        let plan = &self.remediation.plan;
        if let Err(refusal) = plan.check_limit(self.limit) {
            eprintln!("refused: {refusal}");
            return ExitCode::from(EXIT_FINDINGS);
        }
        let r = &self.remediation.report;
        if plan.removals.is_empty() {
            let human = || "symguard remediate: nothing to remove\n".to_string();
            let json = || {
                json::render_remediation(
                    &r.findings,
                    r.files,
                    r.resources,
                    r.drift.as_ref(),
                    plan,
                    Some(&[]),
                )
            };
            let text = args.render(r, symguard::REMEDIATE_RULES, human, json);
            return match args.emit(&text, r) {
                Ok(()) => ExitCode::SUCCESS,
                Err(code) => code,
            };
        }
        if !self.yes {
            match confirm(plan) {
                Ok(true) => {}
                Ok(false) => {
                    eprintln!("nothing was removed");
                    return ExitCode::from(EXIT_FINDINGS);
                }
                Err(message) => return fail(&message),
            }
        }
        let mut audit = match remediate::apply::AuditLog::open(self.audit_log.as_deref()) {
            Ok(audit) => audit,
            Err(e) => return fail(&e),
        };
        let applied = match symguard::apply_plan(&self.remediation, &self.connection, &mut audit) {
            Ok(applied) => applied,
            Err(symguard::ApplyError::Refused(refusal)) => {
                eprintln!("refused: {refusal}");
                return ExitCode::from(EXIT_FINDINGS);
            }
            Err(symguard::ApplyError::Run(e)) => return fail(&e.to_string()),
        };
        let human = || human::plan(plan) + &human::applied(&applied);
        let json = || {
            json::render_remediation(
                &r.findings,
                r.files,
                r.resources,
                r.drift.as_ref(),
                plan,
                Some(&applied),
            )
        };
        let text = args.render(r, symguard::REMEDIATE_RULES, human, json);
        if let Err(code) = args.emit(&text, r) {
            return code;
        }
        let failed = applied
            .iter()
            .any(|a| matches!(a.outcome, remediate::apply::Outcome::Failed(_)));
        ExitCode::from(if failed { EXIT_FINDINGS } else { 0 })
    }
}

/// Asks on the terminal before removing anyone; without a terminal, `--yes` is required.
fn confirm(plan: &symguard::remediate::Plan) -> Result<bool, String> {
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err("--apply without a terminal needs --yes; nobody was removed".into());
    }
    eprint!(
        "Remove {} from IAM groups in account {}? Type `yes` to continue: ",
        if plan.removals.len() == 1 {
            "1 member".to_string()
        } else {
            format!("{} members", plan.removals.len())
        },
        plan.account
    );
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| format!("cannot read the answer: {e}"))?;
    Ok(answer.trim() == "yes")
}
