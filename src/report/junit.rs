//! JUnit XML for CI systems that show test reports, written with `quick-junit`: one test
//! suite, one failing test case per finding, and one passing case per rule of the command
//! that found nothing, so the report shows what was checked.

use crate::finding::Finding;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

/// `rules`: the rules the command ran.
pub fn render(findings: &[Finding], rules: &[&str]) -> String {
    let mut suite = TestSuite::new("symguard");
    for f in findings {
        let (line, column) = f.loc.start();
        let location = format!("{}:{line}:{column}", f.loc.file.display);
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status
            .set_message(f.message.clone())
            .set_type(f.severity.as_str())
            .set_description(match &f.help {
                Some(help) => format!("{location}: {}\nhelp: {help}", f.message),
                None => format!("{location}: {}", f.message),
            });
        let mut case = TestCase::new(format!("{} at {location}", f.rule), status);
        case.set_classname(f.rule.clone());
        suite.add_test_case(case);
    }
    for &rule in rules {
        if !findings.iter().any(|f| f.rule == rule) {
            let mut case = TestCase::new(rule, TestCaseStatus::success());
            case.set_classname(rule);
            suite.add_test_case(case);
        }
    }
    let mut report = Report::new("symguard");
    report.add_test_suite(suite);
    report.to_string().unwrap_or_default()
}
