//! The documentation stays true to the code: the rule tables are generated from the rule
//! catalogue, the README's fresh-machine commands are the ones CI and the example use, and
//! every relative link in README.md and docs/ leads to a file and heading that exist.

use assert_cmd::Command;
use std::collections::HashMap;
use std::fs;
use std::path::{Component, Path, PathBuf};

/// Set to 1 to rewrite stale generated tables instead of failing, as insta does.
const UPDATE: &str = "SYMGUARD_UPDATE_DOCS";

fn read(path: &str) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// A rules table for a page in docs/: each rule linked to its page, its default severity and
/// what it reports, in catalogue order.
fn rules_table(keep: impl Fn(&str) -> bool) -> String {
    let mut table = String::from("| rule | severity | reports |\n|---|---|---|\n");
    for rule in symguard::catalogue().iter().filter(|rule| keep(rule.name)) {
        table += &format!(
            "| [{name}](../rules/{name}.md) | {severity} | {summary} |\n",
            name = rule.name,
            severity = rule.severity.as_str(),
            summary = rule.summary.replace('|', "\\|"),
        );
    }
    table
}

/// Fails when the text between `<!-- MARKER:start -->` and `<!-- MARKER:end -->` in `file`
/// is not `table`; with SYMGUARD_UPDATE_DOCS=1 it rewrites it instead.
fn assert_generated(file: &str, marker: &str, table: &str) {
    let text = read(file);
    let start = format!("<!-- {marker}:start -->\n");
    let end = format!("<!-- {marker}:end -->");
    let (Some(start_at), Some(end_at)) = (text.find(&start), text.find(&end)) else {
        panic!("{file} has lost its `{start}` ... `{end}` markers: put them back around the table");
    };
    let body = start_at + start.len();
    assert!(body <= end_at, "{file}: `{end}` comes before `{start}`");
    if text[body..end_at] == *table {
        return;
    }
    if std::env::var(UPDATE).is_ok_and(|value| value == "1") {
        // Through a rename, so the link check running beside this never reads half a page.
        let rewritten = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{marker}.md"));
        fs::write(
            &rewritten,
            format!("{}{table}{}", &text[..body], &text[end_at..]),
        )
        .unwrap();
        fs::rename(&rewritten, file).unwrap();
        eprintln!("rewrote the `{marker}` table in {file}");
        return;
    }
    panic!(
        "the `{marker}` table in {file} does not match the rule catalogue; regenerate it with\n\n    \
         {UPDATE}=1 cargo nextest run --test integration docs::\n\nand commit the result. Expected:\n{table}"
    );
}

#[test]
fn rules_table_is_generated_from_the_catalogue() {
    assert_generated("docs/rules.md", "rules-table", &rules_table(|_| true));
}

#[test]
fn drift_rules_table_is_generated_from_the_catalogue() {
    let table = rules_table(|name| name.starts_with("drift-"));
    assert_generated("docs/drift.md", "drift-rules-table", &table);
}

/// The commands of the README's "On a fresh machine" block, without their comments.
fn fresh_machine_commands() -> Vec<String> {
    let readme = read("README.md");
    let section = readme
        .split("\n## On a fresh machine\n")
        .nth(1)
        .expect("README.md has no `## On a fresh machine` section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the fresh-machine section has no ```sh block");
    block
        .lines()
        .map(|line| line.split(" #").next().unwrap().trim().to_string())
        .filter(|command| !command.is_empty())
        .collect()
}

#[test]
fn readme_commands_are_the_ones_ci_and_the_example_use() {
    let commands = fresh_machine_commands();
    let [check, test] = commands.as_slice() else {
        panic!("README.md's fresh-machine block should hold two commands, has {commands:?}");
    };

    // CI runs the test command: .ci/run's one command execs it.
    let ci = read(".ci/run");
    let ci_commands: Vec<&str> = ci
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter(|line| !line.starts_with("set ") && !line.starts_with("cd "))
        .collect();
    assert_eq!(ci_commands, [format!("exec {test}")], "what .ci/run runs");
    assert!(Path::new(test).is_file(), "{test} does not exist");

    // The check command checks the shipped example, which holds Terraform and is clean.
    let args: Vec<&str> = check.split_whitespace().collect();
    let ["cargo", "run", "--", "check", example] = args.as_slice() else {
        panic!("the first command should be `cargo run -- check PATH`, is `{check}`");
    };
    let example = *example;
    let tf_files = fs::read_dir(example)
        .unwrap_or_else(|e| panic!("the README checks {example}, which cannot be read: {e}"))
        .filter(|entry| entry.as_ref().unwrap().path().extension() == Some("tf".as_ref()))
        .count();
    assert!(tf_files > 0, "{example} holds no .tf file");
    let out = Command::cargo_bin("symguard")
        .unwrap()
        .args(["check", example, "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert_eq!(report["summary"]["files"], tf_files, "{report}");
    assert_eq!(report["findings"], serde_json::json!([]), "{report}");
}

/// The pages the link check reads: the README and every Markdown page in docs/.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![PathBuf::from("README.md")];
    for entry in fs::read_dir("docs").unwrap() {
        let path = entry.unwrap().path();
        if path.extension() == Some("md".as_ref()) {
            pages.push(path);
        }
    }
    pages.sort();
    pages
}

/// The lines of a Markdown page outside fenced code blocks, with inline code removed.
fn prose_lines(text: &str) -> Vec<String> {
    let mut in_fence = false;
    let mut lines = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if !in_fence {
            let without_code: String = line.split('`').step_by(2).collect();
            lines.push(without_code);
        }
    }
    lines
}

/// The targets of the inline links `[text](target)` on a page.
fn link_targets(text: &str) -> Vec<String> {
    let mut targets = Vec::new();
    for line in prose_lines(text) {
        for (at, _) in line.match_indices("](") {
            let rest = &line[at + 2..];
            let target = rest.split(')').next().unwrap();
            targets.push(target.to_string());
        }
    }
    targets
}

/// The anchors GitHub gives a page's headings: lowercase, punctuation dropped, spaces to
/// hyphens, `-1`, `-2` ... after repeated headings.
fn heading_anchors(text: &str) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut anchors = Vec::new();
    let mut in_fence = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        }
        let Some(heading) = line.strip_prefix('#').map(|h| h.trim_start_matches('#')) else {
            continue;
        };
        if in_fence || !heading.starts_with(' ') {
            continue;
        }
        let slug: String = heading
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let count = seen.entry(slug.clone()).or_default();
        anchors.push(match *count {
            0 => slug.clone(),
            n => format!("{slug}-{n}"),
        });
        *count += 1;
    }
    anchors
}

/// `base/relative` with `.` and `..` resolved, as a path from the repository root.
fn resolve(base: &Path, relative: &str) -> PathBuf {
    let mut path = PathBuf::new();
    for component in base.join(relative).components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => assert!(path.pop(), "{relative} leaves the repository"),
            other => path.push(other),
        }
    }
    path
}

#[test]
fn every_relative_link_leads_to_a_file_and_heading_that_exist() {
    let mut broken = Vec::new();
    for page in pages() {
        let text = read(page.to_str().unwrap());
        for target in link_targets(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, anchor) = target.split_once('#').unwrap_or((&target, ""));
            let linked = if file.is_empty() {
                page.clone()
            } else {
                resolve(page.parent().unwrap(), file)
            };
            let name = linked.to_str().unwrap().to_string();
            if !linked.exists() {
                broken.push(format!("{}: `{target}`: no file {name}", page.display()));
                continue;
            }
            if !anchor.is_empty() && name.ends_with(".md") {
                let anchors = heading_anchors(&read(&name));
                if !anchors.iter().any(|a| a == anchor) {
                    broken.push(format!(
                        "{}: `{target}`: no heading #{anchor}",
                        page.display()
                    ));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn readme_and_the_docs_index_link_every_page_in_docs() {
    let in_docs: Vec<String> = fs::read_dir("docs")
        .unwrap()
        .map(|entry| entry.unwrap().path().to_str().unwrap().to_string())
        .collect();
    for index in ["README.md", "docs/README.md"] {
        let base = Path::new(index).parent().unwrap();
        let linked: Vec<PathBuf> = link_targets(&read(index))
            .iter()
            .map(|target| resolve(base, target.split('#').next().unwrap()))
            .collect();
        for page in in_docs.iter().filter(|page| page.as_str() != index) {
            assert!(
                linked.iter().any(|link| link == Path::new(page)),
                "{index} does not link {page}"
            );
        }
    }
}
