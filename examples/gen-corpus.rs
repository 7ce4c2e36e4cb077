//! Writes a realistic Sym monorepo for benchmarks: N roots, each a complete AWS IAM setup
//! (runtime and IAM connectors, a permission_context integration, K IAM groups with an
//! inline policy document and a managed policy attachment, K targets, a strategy, a flow
//! with prompt fields, its impl.py) in seven files, with defects seeded at a known rate.
//! With the default K = 8, 1,000 roots are 7,000 files and about 9 MB.
//!
//! usage: cargo run --release --example gen-corpus -- OUT --roots N --targets K
//!            [--defect-rate R] [--seed S]
//!
//! `OUT/expected.json` lists the seeded defects as `{"rule", "file", "line"}`: exactly the
//! findings `symguard check OUT` must report.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

/// What to write.
pub struct Corpus {
    pub roots: usize,
    pub targets: usize,
    /// The share of roots that get one seeded defect (0 to 1).
    pub defect_rate: f64,
    pub seed: u64,
}

/// A defect the generator planted, and where symguard must report it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Seeded {
    pub rule: &'static str,
    pub file: String,
    pub line: usize,
}

/// xorshift64*: deterministic for a seed, and enough to spread defects.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn chance(&mut self, rate: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= rate
    }
}

/// Each root's `main.tf` and `impl.py` are the shipped example's (a clean configuration),
/// with the root's own environment name; its `terraform` block goes in `versions.tf`.
const MAIN_TF: &str = include_str!("aws-iam/main.tf");
const IMPL_PY: &str = include_str!("aws-iam/impl.py");

/// The defects a root can get; each makes exactly one finding.
const DEFECTS: [&str; 3] = ["prompt-field-type", "deescalation", "connector-scope"];

/// Writes the corpus and returns what was seeded, sorted by file and line.
pub fn generate(out: &Path, corpus: &Corpus) -> std::io::Result<Vec<Seeded>> {
    let mut random = Random(corpus.seed.max(1));
    let mut seeded = Vec::new();
    let split = MAIN_TF.find("provider \"aws\"").unwrap_or(0);
    let (versions_tf, main_tf) = MAIN_TF.split_at(split);
    for root in 0..corpus.roots {
        let name = format!("team-{root:05}");
        let dir = out.join(&name);
        fs::create_dir_all(&dir)?;
        let main_tf = main_tf.replace(
            "environment_name = \"main\"",
            &format!("environment_name = \"{name}\""),
        );
        let defective = corpus.defect_rate > 0.0 && random.chance(corpus.defect_rate);
        let defect = defective.then(|| DEFECTS[(random.next() % DEFECTS.len() as u64) as usize]);
        // Seven files, as a root is commonly laid out; each seeded defect is in one of them.
        let files = [
            ("versions.tf", (versions_tf.to_string(), None)),
            ("main.tf", (main_tf, None)),
            ("connectors.tf", (CONNECTORS_TF.to_string(), None)),
            ("groups.tf", (groups_tf(corpus.targets, defect), None)),
            ("targets.tf", targets_tf(corpus.targets, defect)),
            ("flow.tf", flow_tf(corpus.targets, defect)),
            ("impl.py", (IMPL_PY.to_string(), None)),
        ];
        for (file_name, (text, line)) in files {
            let file = dir.join(file_name);
            fs::write(&file, text)?;
            if let (Some(rule), Some(line)) = (defect, line) {
                seeded.push(Seeded {
                    rule,
                    file: file.display().to_string(),
                    line,
                });
            }
        }
    }
    seeded.sort();
    let manifest: Vec<String> = seeded
        .iter()
        .map(|s| {
            format!(
                "  {{\"rule\": \"{}\", \"file\": \"{}\", \"line\": {}}}",
                s.rule, s.file, s.line
            )
        })
        .collect();
    fs::write(
        out.join("expected.json"),
        format!("[\n{}\n]\n", manifest.join(",\n")),
    )?;
    Ok(seeded)
}

/// The line the next text appended to `tf` starts on.
fn next_line(tf: &str) -> usize {
    tf.lines().count() + 1
}

const CONNECTORS_TF: &str = r#"module "iam_connector" {
  source  = "symopsio/iam-connector/aws"
  version = ">= 2.0.0"

  environment       = local.environment_name
  runtime_role_arns = [module.runtime_connector.sym_runtime_connector_role.arn]
}

resource "sym_integration" "iam_context" {
  type        = "permission_context"
  name        = "${local.environment_name}-iam"
  external_id = module.iam_connector.settings.account_id
  settings    = module.iam_connector.settings
}
"#;

/// K IAM groups, each with an inline policy document and a managed policy attachment. The
/// `connector-scope` defect puts the first outside the connector's `/sym/` path.
fn groups_tf(targets: usize, defect: Option<&str>) -> String {
    let mut tf = String::new();
    for t in 0..targets {
        let path = if t == 0 && defect == Some("connector-scope") {
            "/other/"
        } else {
            "/sym/"
        };
        let _ = write!(
            tf,
            r#"resource "aws_iam_group" "g{t}" {{
  name = "group-{t}"
  path = "{path}"
}}

resource "aws_iam_group_policy" "g{t}" {{
  name  = "group-{t}-read"
  group = aws_iam_group.g{t}.name
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:ListBucket"]
      Resource = ["arn:aws:s3:::bucket-{t}", "arn:aws:s3:::bucket-{t}/*"]
    }}]
  }})
}}

resource "aws_iam_group_policy_attachment" "g{t}" {{
  group      = aws_iam_group.g{t}.name
  policy_arn = "arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"
}}

"#
        );
    }
    tf
}

/// K targets, one per group; `connector-scope` is reported where the first names its group.
fn targets_tf(targets: usize, defect: Option<&str>) -> (String, Option<usize>) {
    let mut tf = String::new();
    let mut defect_line = None;
    for t in 0..targets {
        let _ = write!(
            tf,
            r#"resource "sym_target" "t{t}" {{
  type  = "aws_iam_group"
  name  = "group-{t}"
  label = "Group {t}"

  settings = {{
"#
        );
        if t == 0 && defect == Some("connector-scope") {
            defect_line = Some(next_line(&tf));
        }
        let _ = write!(
            tf,
            r#"    iam_group = aws_iam_group.g{t}.name
  }}
}}

"#
        );
    }
    (tf, defect_line)
}

/// The strategy over the targets and the flow, with its prompt fields.
fn flow_tf(targets: usize, defect: Option<&str>) -> (String, Option<usize>) {
    let listed: Vec<String> = (0..targets)
        .map(|t| format!("sym_target.t{t}.id"))
        .collect();
    let mut defect_line = None;
    let mut tf = format!(
        r#"resource "sym_strategy" "aws_iam" {{
  type           = "aws_iam"
  name           = "${{local.environment_name}}-aws-iam"
  integration_id = sym_integration.iam_context.id
  targets        = [{}]
}}

resource "sym_flow" "this" {{
  name           = "${{local.environment_name}}_access"
  label          = "IAM Group Access"
  implementation = file("${{path.module}}/impl.py")
  environment_id = sym_environment.this.id

  params {{
    strategy_id = sym_strategy.aws_iam.id
"#,
        listed.join(", ")
    );
    if defect == Some("deescalation") {
        defect_line = Some(next_line(&tf));
        tf += "    schedule_deescalation = false\n";
    }
    tf += r#"
    prompt_field {
      name     = "reason"
      label    = "Why do you need access?"
"#;
    if defect == Some("prompt-field-type") {
        defect_line = Some(next_line(&tf));
        tf += "      type     = \"text\"\n";
    } else {
        tf += "      type     = \"string\"\n";
    }
    tf += r#"      required = true
    }

    prompt_field {
      name           = "duration"
      type           = "duration"
      allowed_values = ["30m", "1h"]
      default        = "1h"
      required       = true
    }
  }
}
"#;
    (tf, defect_line)
}

#[allow(dead_code)] // the tests include this file for `generate` alone
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: gen-corpus OUT --roots N --targets K [--defect-rate R] [--seed S]";
    let Some(out) = args.first() else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let value = |flag: &str, default: &str| -> String {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .unwrap_or_else(|| default.to_string())
    };
    let parse = |flag: &str, default: &str| -> f64 {
        value(flag, default).parse().unwrap_or_else(|_| {
            eprintln!("{flag}: not a number\n{usage}");
            std::process::exit(2);
        })
    };
    let corpus = Corpus {
        roots: parse("--roots", "100") as usize,
        targets: parse("--targets", "8") as usize,
        defect_rate: parse("--defect-rate", "0"),
        seed: parse("--seed", "1") as u64,
    };
    match generate(Path::new(out), &corpus) {
        Ok(seeded) => eprintln!(
            "wrote {} roots with {} targets each to {out}; {} seeded defects in {out}/expected.json",
            corpus.roots,
            corpus.targets,
            seeded.len()
        ),
        Err(e) => {
            eprintln!("{out}: {e}");
            std::process::exit(2);
        }
    }
}
