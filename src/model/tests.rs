//! The model built from Terraform as Terraform reads it.

use super::Model;
use crate::eval::{Inputs, Value};
use crate::load;

fn render(value: &Value) -> String {
    value
        .to_json()
        .map_or("<partly unknown>".into(), |j| j.to_string())
}

/// Override files (`override.tf`, `*_override.tf`) merge into the blocks they name, in file
/// name order: an attribute replaces the attribute, a kind of nested block replaces every
/// block of that kind, and each part is evaluated in the file it is written in.
#[test]
fn override_files_merge_into_the_blocks_they_name() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "main.tf",
        r#"
variable "region" { default = "us-east-1" }
locals { env = "prod" }
provider "sym" { org = "healthy-health" }
module "flow" { source = "./a" }
resource "sym_flow" "this" {
  name  = "${local.env}-access"
  label = "Access"
  params {
    strategy_id = "s-1"
    prompt_field {
      name = "reason"
      type = "string"
    }
  }
}
resource "aws_iam_group" "g" {
  count = 1
  name  = "g-${count.index}"
}
resource "sym_integration" "i" {
  name        = var.region
  external_id = module.flow.dir
}
"#,
    );
    write("a/main.tf", "output \"dir\" { value = \"a\" }\n");
    write("b/main.tf", "output \"dir\" { value = \"b\" }\n");
    write(
        "override.tf",
        r#"
locals { env = "staging" }
provider "sym" { org = "other-org" }
module "flow" { source = "./b" }
resource "sym_flow" "this" {
  label = "Overridden"
  params {
    strategy_id = "s-2"
  }
}
"#,
    );
    write(
        "z_override.tf",
        r#"
variable "region" { default = "eu-west-1" }
resource "sym_flow" "this" { label = "Last" }
resource "aws_iam_group" "g" { count = 2 }
"#,
    );
    let workspace = load::load(&[dir.path().to_path_buf()]).unwrap();
    let model = Model::build(&workspace, 0, &Inputs::default());
    let decls = &model.decls[0];
    assert!(decls.duplicates.is_empty() && decls.orphan_overrides.is_empty());

    let (_, flow) = model.instance("sym_flow.this").unwrap();
    let attr = |name: &str| flow.body.attr(name).unwrap();
    assert_eq!(render(&attr("name").value), r#""staging-access""#);
    assert_eq!(render(&attr("label").value), r#""Last""#);
    assert!(attr("label").loc.file.display.ends_with("z_override.tf"));
    let params: Vec<_> = flow.body.blocks("params").collect();
    assert_eq!(params.len(), 1);
    assert!(params[0].loc.file.display.ends_with("/override.tf"));
    assert_eq!(
        render(&params[0].body.attr("strategy_id").unwrap().value),
        r#""s-2""#
    );
    assert_eq!(params[0].body.blocks("prompt_field").count(), 0);

    let groups = model.instances("aws_iam_group").count();
    assert_eq!(groups, 2);
    let (_, integration) = model.instance("sym_integration.i").unwrap();
    let attr = |name: &str| render(&integration.body.attr(name).unwrap().value);
    assert_eq!(attr("name"), r#""eu-west-1""#);
    assert_eq!(attr("external_id"), r#""b""#);
    let org = &model.sym_providers[0].args.attr("org").unwrap().value;
    assert_eq!(
        (model.sym_providers.len(), render(org)),
        (1, r#""other-org""#.into())
    );
}
