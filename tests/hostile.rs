//! Hostile and broken input: each case sits in `bad/` beside a known-failing fixture in
//! `good/`, and must give a clear finding or error, never a panic or a hang, while the run
//! still checks `good/`.

use crate::support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The finding `good/` always yields: fixtures/self-approval/fail.
const GOOD_RULE: &str = "self-approval";

struct Run {
    code: i32,
    json: Value,
    stderr: String,
}

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        Path::new("fixtures/self-approval/fail"),
        &dir.path().join("good"),
    );
    std::fs::create_dir(dir.path().join("bad")).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

fn check(dir: &Path, extra: &[&str]) -> Run {
    let output = support::symguard("", "")
        .current_dir(dir)
        .args(["check", "--format", "json", "--fail-on", "note", "."])
        .args(extra)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !stderr.contains("panicked") && !stderr.contains("overflow"),
        "symguard crashed: {stderr}"
    );
    let code = output
        .status
        .code()
        .expect("symguard ended by a signal, or timed out");
    let json = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    Run { code, json, stderr }
}

fn rules_in(run: &Run, file_prefix: &str) -> Vec<String> {
    run.json["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no report: {}", run.stderr))
        .iter()
        .filter(|f| f["file"].as_str().unwrap().starts_with(file_prefix))
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

fn messages_in(run: &Run, file_prefix: &str) -> Vec<String> {
    run.json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"].as_str().unwrap().starts_with(file_prefix))
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect()
}

/// Runs check with `bad/` holding `files`, and asserts `good/` was still checked.
fn check_with(files: &[(&str, Vec<u8>)]) -> Run {
    let dir = tree();
    for (name, content) in files {
        let path = dir.path().join("bad").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    let run = check(dir.path(), &[]);
    assert!(
        rules_in(&run, "good/").contains(&GOOD_RULE.to_string()),
        "good/ was not checked: {} {}",
        run.json,
        run.stderr
    );
    run
}

#[test]
fn binary_and_non_utf8_files_are_syntax_findings() {
    let mut binary: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    binary.extend_from_slice(b"\0\0\xff\xfe");
    let latin1 = b"resource \"aws_iam_group\" \"caf\xe9\" {\n  name = \"caf\xe9\"\n}\n".to_vec();
    let run = check_with(&[("binary.tf", binary), ("latin1.tf", latin1)]);
    assert_eq!(run.code, 1);
    let messages = messages_in(&run, "bad/");
    assert_eq!(
        rules_in(&run, "bad/"),
        ["hcl-syntax", "hcl-syntax"],
        "{messages:?}"
    );
    assert!(
        messages.iter().all(|m| m.contains("not valid UTF-8")),
        "{messages:?}"
    );
}

/// The same configuration with a byte order mark, or with Windows line endings, gives the
/// same findings at the same lines and columns.
#[test]
fn byte_order_marks_and_crlf_change_nothing() {
    let positions = |prefix: &str, run: &Run| -> Vec<(String, u64, u64)> {
        run.json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["file"].as_str().unwrap().starts_with(prefix))
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap(),
                    f["column"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let dir = tree();
    for (variant, transform) in [
        (
            "bom",
            (|t: &[u8]| [b"\xEF\xBB\xBF", t].concat()) as fn(&[u8]) -> Vec<u8>,
        ),
        ("crlf", |t: &[u8]| {
            String::from_utf8_lossy(t)
                .replace('\n', "\r\n")
                .into_bytes()
        }),
    ] {
        for entry in std::fs::read_dir("fixtures/self-approval/fail").unwrap() {
            let entry = entry.unwrap();
            let target = dir.path().join(variant).join(entry.file_name());
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::write(target, transform(&std::fs::read(entry.path()).unwrap())).unwrap();
        }
    }
    let run = check(dir.path(), &[]);
    let good = positions("good/", &run);
    assert!(!good.is_empty());
    assert_eq!(positions("bom/", &run), good);
    assert_eq!(positions("crlf/", &run), good);
}

#[test]
fn empty_files_are_empty_modules() {
    let run = check_with(&[
        ("empty.tf", Vec::new()),
        ("only-comments.tf", b"# nothing\n".to_vec()),
    ]);
    assert_eq!(run.code, 1);
    assert!(rules_in(&run, "bad/").is_empty());
}

#[test]
fn a_50_mb_file_is_read_and_checked() {
    let mut huge = String::with_capacity(52 << 20);
    huge += "resource \"sym_target\" \"huge\" {\n  type = \"aws_iam_group\"\n  name = \"huge\"\n  label = \"Huge\"\n  settings = { iam_group = \"missing\" }\n}\n";
    let line =
        "# padding: a generated file carries comments and data like this one, line after line\n";
    while huge.len() < 40 << 20 {
        huge += line;
    }
    huge += "locals {\n  blob = \"";
    huge.extend(std::iter::repeat_n('x', 10 << 20));
    huge += "\"\n}\n";
    let run = check_with(&[("huge.tf", huge.into_bytes())]);
    assert_eq!(run.code, 1);
    let messages = messages_in(&run, "bad/");
    assert!(
        messages
            .iter()
            .any(|m| m.contains("manages the IAM group `missing`")),
        "{messages:?}"
    );
}

#[test]
fn expressions_nested_100000_deep_are_a_syntax_finding_not_a_stack_overflow() {
    let depth = 100_000;
    let brackets = format!(
        "locals {{\n  deep = {}1{}\n}}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let parens = format!(
        "locals {{\n  deep = {}1{}\n}}\n",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    let objects = format!(
        "locals {{\n  deep = {}1{}\n}}\n",
        "{a=".repeat(depth),
        "}".repeat(depth)
    );
    let templates = format!(
        "locals {{\n  deep = {}x{}\n}}\n",
        "\"${".repeat(depth),
        "}\"".repeat(depth)
    );
    let blocks = format!("{}{}", "a {\n".repeat(depth), "}\n".repeat(depth));
    let run = check_with(&[
        ("brackets.tf", brackets.into_bytes()),
        ("parens.tf", parens.into_bytes()),
        ("objects.tf", objects.into_bytes()),
        ("templates.tf", templates.into_bytes()),
        ("blocks.tf", blocks.into_bytes()),
    ]);
    assert_eq!(run.code, 1);
    let messages = messages_in(&run, "bad/");
    assert_eq!(rules_in(&run, "bad/"), ["hcl-syntax"; 5], "{messages:?}");
    assert!(
        messages.iter().all(|m| m.contains("nesting depth")),
        "{messages:?}"
    );
}

/// A chain of 100,000 locals, each naming the next: followed as deep as the evaluator's
/// limit, then reported where it stops, with no stack overflow.
#[test]
fn a_chain_of_100000_locals_is_cut_with_a_finding() {
    let mut text = "locals {\n".to_string();
    for i in 0..100_000 {
        text += &format!("  l{i} = local.l{}\n", i + 1);
    }
    text += "  l100000 = \"missing\"\n}\n\nresource \"sym_target\" \"chained\" {\n  type = \"aws_iam_group\"\n  name = \"chained\"\n  label = \"Chained\"\n  settings = { iam_group = local.l0 }\n}\n";
    let run = check_with(&[("chain.tf", text.into_bytes())]);
    let messages = messages_in(&run, "bad/");
    assert!(
        rules_in(&run, "bad/").contains(&"evaluation-cycle".to_string()),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("is reached through more than 200 references")),
        "{messages:?}"
    );
}

/// `count` is a number: a hundred million instances, or a thousand module instances of a
/// thousand each, would take every byte of memory. Expansion stops at 100,000 instances
/// per root with one finding, and the run goes on.
#[test]
fn counts_past_100000_instances_are_cut_with_a_finding() {
    let run = check_with(&[
        (
            "many/main.tf",
            b"resource \"aws_iam_group\" \"many\" {\n  count = 100000000\n  name  = \"g${count.index}\"\n}\n".to_vec(),
        ),
        (
            "nested/main.tf",
            b"module \"teams\" {\n  source = \"./team\"\n  count  = 1000\n}\n".to_vec(),
        ),
        (
            "nested/team/main.tf",
            b"resource \"aws_iam_group\" \"member\" {\n  count = 1000\n  name  = \"g${count.index}\"\n}\n".to_vec(),
        ),
    ]);
    let limits: Vec<String> = messages_in(&run, "bad/")
        .into_iter()
        .filter(|m| m.contains("takes the root past 100000"))
        .collect();
    // The module's 1,000 instances count too: the 100th instance's groups pass the limit.
    assert_eq!(limits.len(), 2, "{limits:?}");
    assert!(
        limits[0].starts_with("`aws_iam_group.many` would make 100000000 more"),
        "{limits:?}"
    );
    assert!(
        limits[1].starts_with("`module.teams[99].aws_iam_group.member` would make 1000 more"),
        "{limits:?}"
    );
}

/// Expressions can grow exponentially from a few lines: each local joining the one before it
/// twice, a list of two copies of the one before, a list of a 20,000-element list for each
/// of its elements. Each stops at 256 MiB of values per root with one finding.
#[test]
fn values_growing_past_256_mib_are_cut_with_a_finding() {
    let chain = |first: &str, next: &str| {
        let mut text = format!("locals {{\n  v0 = {first}\n");
        for i in 1..45 {
            text += &format!(
                "  v{i} = {}\n",
                next.replace("PREV", &format!("local.v{}", i - 1))
            );
        }
        text + "}\n"
    };
    let big: Vec<String> = (0..20_000).map(|i| i.to_string()).collect();
    let square = format!(
        "locals {{\n  big    = [{}]\n  square = [for a in local.big : [for b in local.big : b]]\n}}\n",
        big.join(", ")
    );
    let run = check_with(&[
        (
            "strings/main.tf",
            chain("\"sixteen-bytes-16\"", "\"${PREV}${PREV}\"").into_bytes(),
        ),
        (
            "lists/main.tf",
            chain("[\"a\", \"b\"]", "[PREV, PREV]").into_bytes(),
        ),
        ("square/main.tf", square.into_bytes()),
    ]);
    let messages = messages_in(&run, "bad/");
    let cut = messages
        .iter()
        .filter(|m| m.starts_with("evaluating this root made more than 256 MiB of values"))
        .count();
    assert_eq!(cut, 3, "{messages:?}");
}

/// Nesting below the limit is ordinary input: parsed, evaluated and checked.
#[test]
fn deep_but_allowed_nesting_is_evaluated() {
    let depth = 30;
    let nested = format!(
        "locals {{\n  deep = {}\"missing\"{}\n}}\n\nresource \"sym_target\" \"deep\" {{\n  type = \"aws_iam_group\"\n  name = \"deep\"\n  label = \"Deep\"\n  settings = {{ iam_group = {}local.deep{}{} }}\n}}\n",
        "[".repeat(depth),
        "]".repeat(depth),
        "(".repeat(depth),
        "[0]".repeat(depth),
        ")".repeat(depth),
    );
    let run = check_with(&[("nested.tf", nested.into_bytes())]);
    let messages = messages_in(&run, "bad/");
    assert!(
        messages
            .iter()
            .any(|m| m.contains("manages the IAM group `missing`")),
        "the value was not evaluated through the nesting: {messages:?}"
    );
}

#[test]
fn a_heredoc_that_never_ends_is_a_syntax_finding() {
    let mut text = "locals {\n  policy = <<EOT\n".to_string();
    for i in 0..100_000 {
        text += &format!("line {i} of a heredoc whose end marker never comes\n");
    }
    let run = check_with(&[("heredoc.tf", text.into_bytes())]);
    assert_eq!(run.code, 1);
    assert_eq!(rules_in(&run, "bad/"), ["hcl-syntax"]);
}

#[test]
fn ten_thousand_resources_in_one_file() {
    let mut text = String::new();
    for i in 0..10_000 {
        text += &format!("resource \"aws_iam_group\" \"g{i}\" {{\n  name = \"group-{i}\"\n  path = \"/sym/\"\n}}\n\n");
    }
    let run = check_with(&[("many.tf", text.into_bytes())]);
    assert_eq!(run.code, 1);
    assert!(rules_in(&run, "bad/").is_empty());
    assert!(run.json["summary"]["resources"].as_u64().unwrap() >= 10_000);
}

#[test]
fn duplicate_blocks_and_attributes_are_findings() {
    let attribute =
        b"resource \"aws_iam_group\" \"ops\" {\n  name = \"ops\"\n  name = \"ops-again\"\n}\n";
    let blocks = b"resource \"aws_iam_group\" \"ops\" {\n  name = \"ops\"\n}\n\nresource \"aws_iam_group\" \"ops\" {\n  name = \"ops\"\n}\n\nlocals {\n  a = 1\n}\n\nlocals {\n  a = 2\n}\n";
    let run = check_with(&[
        ("attribute/main.tf", attribute.to_vec()),
        ("blocks/main.tf", blocks.to_vec()),
    ]);
    assert_eq!(run.code, 1);
    let messages = messages_in(&run, "bad/");
    assert_eq!(
        rules_in(&run, "bad/attribute/"),
        ["hcl-syntax"],
        "{messages:?}"
    );
    assert!(messages[0].contains("redefined attribute"), "{messages:?}");
    assert_eq!(
        rules_in(&run, "bad/blocks/"),
        ["duplicate-declaration", "duplicate-declaration"],
        "{messages:?}"
    );
    for what in ["`aws_iam_group.ops`", "`local.a`"] {
        assert!(
            messages.iter().any(|m| m.contains(what)),
            "{what} not reported: {messages:?}"
        );
    }
}

#[test]
fn reference_cycles_between_locals_and_between_modules_are_findings() {
    let locals = b"locals {\n  a = local.b\n  b = local.c\n  c = local.a\n}\n".to_vec();
    let modules = b"module \"x\" {\n  source = \"./x\"\n  input = module.y.out\n}\n\nmodule \"y\" {\n  source = \"./y\"\n  input = module.x.out\n}\n".to_vec();
    let module = b"variable \"input\" {}\n\noutput \"out\" {\n  value = var.input\n}\n".to_vec();
    let run = check_with(&[
        ("locals/main.tf", locals),
        ("modules/main.tf", modules),
        ("modules/x/main.tf", module.clone()),
        ("modules/y/main.tf", module),
    ]);
    assert_eq!(run.code, 1);
    let rules = rules_in(&run, "bad/");
    assert!(rules.iter().all(|r| r == "evaluation-cycle"), "{rules:?}");
    assert!(!rules_in(&run, "bad/locals/").is_empty());
    assert!(!rules_in(&run, "bad/modules/").is_empty());
}

#[test]
fn a_module_that_calls_itself_is_a_finding() {
    let text = b"module \"me\" {\n  source = \"./\"\n}\n".to_vec();
    let run = check_with(&[("main.tf", text)]);
    assert_eq!(run.code, 1);
    assert_eq!(rules_in(&run, "bad/"), ["evaluation-cycle"]);
}

/// A pull request cannot make symguard read Terraform from outside the repository.
#[test]
fn a_module_source_outside_the_repository_is_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("main.tf"),
        "resource \"sym_target\" \"outside\" {\n  type = \"aws_iam_group\"\n}\n",
    )
    .unwrap();
    let dir = tree();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let up = "../".repeat(dir.path().components().count() + 2);
    let source = format!(
        "{up}{}",
        outside.path().display().to_string().trim_start_matches('/')
    );
    std::fs::write(
        dir.path().join("bad/main.tf"),
        format!("module \"outside\" {{\n  source = \"{source}\"\n}}\n"),
    )
    .unwrap();
    let run = check(dir.path(), &[]);
    assert_eq!(run.code, 1);
    let messages = messages_in(&run, "bad/");
    assert_eq!(
        rules_in(&run, "bad/"),
        ["unresolved-reference"],
        "{messages:?}"
    );
    assert!(
        messages[0].contains("outside the repository"),
        "{messages:?}"
    );
    assert!(!run.json.to_string().contains("outside.tf") && rules_in(&run, "/").is_empty());
}

#[test]
fn symlink_loops_are_not_followed() {
    let dir = tree();
    let bad = dir.path().join("bad");
    std::os::unix::fs::symlink("..", bad.join("up")).unwrap();
    std::os::unix::fs::symlink(".", bad.join("here")).unwrap();
    std::os::unix::fs::symlink("/", bad.join("root")).unwrap();
    std::fs::write(bad.join("main.tf"), "locals {}\n").unwrap();
    let run = check(dir.path(), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.json["summary"]["files"], 4, "good/ has 3 files, bad/ 1");
}

/// A symlinked file inside the tree is read; one that leads outside it (to a credentials
/// file, say) or nowhere is not, and ends the run with 2 after the report.
#[test]
fn symlinked_files_are_read_only_inside_the_tree() {
    let dir = tree();
    let bad = dir.path().join("bad");
    std::os::unix::fs::symlink("../good/inline.tf", bad.join("linked.tf")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", bad.join("escape.tf")).unwrap();
    std::os::unix::fs::symlink("nowhere.tf", bad.join("dangling.tf")).unwrap();
    // What the unread files may declare is not reported missing.
    std::fs::write(
        bad.join("main.tf"),
        "locals {\n  x = local.declared_elsewhere\n}\n",
    )
    .unwrap();
    let run = check(dir.path(), &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(rules_in(&run, "good/").contains(&GOOD_RULE.to_string()));
    assert!(rules_in(&run, "bad/linked.tf").contains(&GOOD_RULE.to_string()));
    assert!(
        !rules_in(&run, "bad/main.tf").contains(&"unresolved-reference".to_string()),
        "{}",
        run.json
    );
    for name in ["bad/escape.tf", "bad/dangling.tf"] {
        assert!(run.stderr.contains(name), "{name}: {}", run.stderr);
    }
    assert!(!run.json.to_string().contains("root:"), "{}", run.json);
    assert!(!run.stderr.contains("root:"), "{}", run.stderr);
}

/// A file linked into a second directory is part of both modules, as Terraform reads it:
/// the link is not taken for the file it leads to and skipped, whichever the walk meets
/// first.
#[test]
fn a_file_linked_into_another_directory_belongs_to_both() {
    let dir = tempfile::tempdir().unwrap();
    for module in ["a_shared", "b_fixture", "z_fixture"] {
        let module = dir.path().join(module);
        std::fs::create_dir(&module).unwrap();
        let main = "resource \"aws_iam_group\" \"g\" {\n  name = var.linked\n}\n";
        std::fs::write(module.join("main.tf"), main).unwrap();
    }
    let variables = "variable \"linked\" {\n  default = \"ops\"\n}\n";
    std::fs::write(dir.path().join("a_shared/variables.tf"), variables).unwrap();
    for fixture in ["b_fixture", "z_fixture"] {
        let link = dir.path().join(fixture).join("variables.tf");
        std::os::unix::fs::symlink("../a_shared/variables.tf", link).unwrap();
    }
    let run = check(dir.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.json);
    assert_eq!(run.json["summary"]["files"], 6, "{}", run.json);
}

/// A called module's files are found as a root's are: a file linked from elsewhere in the
/// repository is read, and a link that leads nowhere is reported, its module incomplete.
#[test]
fn a_called_modules_linked_files_are_read_or_reported() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    std::fs::create_dir(repo.join(".git")).unwrap();
    for (name, text) in [
        ("root/main.tf", "module \"m\" {\n  source = \"../mod\"\n}\n"),
        (
            "mod/main.tf",
            "resource \"aws_iam_group\" \"g\" {\n  name = local.group\n}\n",
        ),
        ("shared/locals.tf", "locals {\n  group = \"ops\"\n}\n"),
    ] {
        std::fs::create_dir_all(repo.join(name).parent().unwrap()).unwrap();
        std::fs::write(repo.join(name), text).unwrap();
    }
    std::os::unix::fs::symlink("../shared/locals.tf", repo.join("mod/locals.tf")).unwrap();
    let run = check(&repo.join("root"), &[]);
    assert_eq!(run.code, 0, "{} {}", run.json, run.stderr);
    assert_eq!(run.json["summary"]["files"], 3, "{}", run.json);

    std::fs::remove_file(repo.join("mod/locals.tf")).unwrap();
    std::os::unix::fs::symlink("../shared/gone.tf", repo.join("mod/locals.tf")).unwrap();
    let run = check(&repo.join("root"), &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("mod/locals.tf"), "{}", run.stderr);
    assert!(rules_in(&run, "../mod/").is_empty(), "{}", run.json);
}

/// Runs `symguard` as an unprivileged user when the tests run as root, since root reads
/// files whatever their mode.
fn check_unprivileged(dir: &Path) -> Run {
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .unwrap()
        .stdout
        == b"0\n";
    if !root {
        return check(dir, &[]);
    }
    let mut path = PathBuf::from(dir);
    while let Some(parent) = path.parent() {
        let _ = std::process::Command::new("chmod")
            .args(["o+rx"])
            .arg(&path)
            .status();
        path = parent.to_path_buf();
    }
    let binary = assert_cmd::cargo::cargo_bin("symguard");
    let output = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(binary)
        .args(["check", "--format", "json", "--fail-on", "note", "."])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    Run {
        code: output.status.code().unwrap(),
        json: serde_json::from_slice(&output.stdout).unwrap_or(Value::Null),
        stderr,
    }
}

/// A file or directory that cannot be read ends the run with 2, naming it, after the rest
/// was checked and reported; nothing in its module is reported missing.
#[test]
fn unreadable_files_and_directories_end_the_run_with_2_after_the_rest() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tree();
    let bad = dir.path().join("bad");
    copy_dir(Path::new("fixtures/orphan-target/pass"), &bad.join("half"));
    let locked_file = bad.join("half/secret.tf");
    std::fs::write(&locked_file, "locals {}\n").unwrap();
    std::fs::create_dir(bad.join("locked")).unwrap();
    std::fs::write(bad.join("locked/main.tf"), "locals {}\n").unwrap();
    std::fs::set_permissions(&locked_file, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::set_permissions(bad.join("locked"), std::fs::Permissions::from_mode(0o000)).unwrap();
    let run = check_unprivileged(dir.path());
    std::fs::set_permissions(bad.join("locked"), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("bad/half/secret.tf"), "{}", run.stderr);
    assert!(run.stderr.contains("bad/locked"), "{}", run.stderr);
    assert!(rules_in(&run, "good/").contains(&GOOD_RULE.to_string()));
    assert!(rules_in(&run, "bad/").is_empty(), "{}", run.json);
}

/// Every key of symguard.toml given a value of the wrong type: each is an error naming the
/// file, the line and the key, with exit code 2.
#[test]
fn every_config_key_of_the_wrong_type_is_named() {
    let cases = [
        ("rules", "rules = 1"),
        ("self-approval", "[rules]\nself-approval = 3"),
        ("self-approval", "[rules]\nself-approval = \"loud\""),
        ("no-such-rule", "[rules]\nno-such-rule = \"off\""),
        ("session", "session = \"long\""),
        ("aws_max_session", "[session]\naws_max_session = true"),
        (
            "aws_max_session",
            "[session]\naws_max_session = \"forever\"",
        ),
        ("policy", "policy = \"strict\""),
        ("require_reason", "[policy]\nrequire_reason = \"yes\""),
        ("max_duration", "[policy]\nmax_duration = \"1h\""),
        (
            "targets",
            "[[policy.max_duration]]\ntargets = 1\nmax = \"1h\"",
        ),
        (
            "max",
            "[[policy.max_duration]]\ntargets = \"*\"\nmax = \"forever\"",
        ),
        ("paths", "[policy]\npaths = \"one\""),
        ("params", "[policy]\nparams = 5"),
        ("allow", "allow = \"all\""),
        (
            "user",
            "[[allow]]\ngroups = [\"ops\"]\nreason = \"r\"\nuser = 7",
        ),
        (
            "groups",
            "[[allow]]\nuser = \"a\"\nreason = \"r\"\ngroups = \"ops\"",
        ),
        (
            "reason",
            "[[allow]]\nuser = \"a\"\ngroups = [\"ops\"]\nreason = false",
        ),
        (
            "expires",
            "[[allow]]\nuser = \"a\"\ngroups = [\"ops\"]\nreason = \"r\"\nexpires = \"someday\"",
        ),
        ("remediate", "remediate = 1"),
        ("max_removals", "[remediate]\nmax_removals = \"many\""),
        ("max_removals", "[remediate]\nmax_removals = -1"),
        ("unknown", "unknown = 1"),
    ];
    for (key, config) in cases {
        let dir = tree();
        std::fs::write(
            dir.path().join("symguard.toml"),
            format!("# config\n{config}\n"),
        )
        .unwrap();
        let run = check(&dir.path().join("good"), &[]);
        assert_eq!(run.code, 2, "{config}: {}", run.stderr);
        assert!(
            run.stderr.contains("symguard.toml"),
            "{config}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(key), "{config}: {}", run.stderr);
        // The line of the bad value, after the comment line.
        let line = 2 + config
            .lines()
            .collect::<Vec<_>>()
            .iter()
            .rposition(|l| l.contains(key))
            .unwrap();
        assert!(
            run.stderr.contains(&format!("symguard.toml:{line}:")),
            "{config}: line {line}: {}",
            run.stderr
        );
    }
}
