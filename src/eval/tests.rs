//! Evaluation of each construct and function, and how unknowns propagate.

use super::*;
use crate::load;

/// Evaluates `expr` as `local.result` in a module that also declares `var.unknown` (no
/// value) and `var.list`, `var.map`; renders the result as JSON, or `unknown(<source>)`.
fn eval(expr: &str) -> String {
    eval_beside("", expr)
}

/// `eval`, in a module that also declares `declarations`.
fn eval_beside(declarations: &str, expr: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"
{declarations}
variable "unknown" {{}}
variable "list" {{ default = ["a", "b", "c"] }}
variable "map" {{ default = {{ x = 1, y = 2 }} }}
resource "aws_iam_group" "g" {{
  name = "ops"
}}
locals {{
  result = {expr}
}}
"#
    );
    std::fs::write(dir.path().join("main.tf"), text).unwrap();
    std::fs::write(dir.path().join("impl.py"), "print('hi')\n").unwrap();
    let workspace = load::load(&[dir.path().to_path_buf()]).unwrap();
    let scope = Scope::root(&workspace, 0, &Inputs::default());
    render(&scope.local("result"))
}

/// The scope of the root module in `dir`, whose called modules `workspace` holds too.
fn root_of<'w>(workspace: &'w load::Workspace, dir: &std::path::Path) -> Scope<'w> {
    let root = workspace.modules.iter().position(|m| m.dir == dir).unwrap();
    Scope::root(workspace, root, &Inputs::default())
}

/// No cycle and no limit was met: a limit's message says which.
fn assert_no_cycles(scope: &Scope) {
    let messages: Vec<String> = scope
        .cycles
        .borrow()
        .iter()
        .map(|c| c.message.clone())
        .collect();
    assert!(messages.is_empty(), "{messages:?}");
}

/// `module.NAME`: the outputs of every instance of a call in `scope`.
fn module_outputs(scope: &Scope, name: &str) -> Value {
    let cx = Cx::new(&scope.module.files[0].source);
    scope.module_value(name, &[], &cx).unwrap()
}

fn render(value: &Value) -> String {
    match value.as_unknown() {
        Some(u) => format!("unknown({u})"),
        None => value
            .to_json()
            .map_or("<partly unknown>".into(), |j| j.to_string()),
    }
}

#[test]
fn literals_templates_and_operators() {
    for (expr, expected) in [
        (r#""a${1 + 2}b""#, r#""a3b""#),
        ("<<-EOT\n    x\n    EOT", r#""x\n""#),
        (r#""%{if true}yes%{else}no%{endif}""#, r#""yes""#),
        (r#""%{for s in var.list}${s}%{endfor}""#, r#""abc""#),
        (r#""a ${~ "b" ~} c""#, r#""abc""#),
        (
            "<<EOT\n%{ for s in var.list ~}\n${s}\n%{ endfor ~}\nEOT",
            r#""a\nb\nc\n""#,
        ),
        (
            r#""[ %{~ if false ~} yes %{~ else ~} no %{~ endif ~} ]""#,
            r#""[no]""#,
        ),
        (
            r#""[ %{~ if true ~} yes %{ else } no %{ endif ~} ]""#,
            r#""[yes ]""#,
        ),
        ("10 / 4 * 2 - 1", "4"),
        ("7 % 3", "1"),
        ("-(2)", "-2"),
        ("!false && (1 < 2) || false", "true"),
        ("1 == 1.0", "true"),
        (r#""a" != "b""#, "true"),
        ("3 >= 4", "false"),
        ("true ? \"y\" : \"n\"", r#""y""#),
        ("var.list[1]", r#""b""#),
        ("var.map.y", "2"),
        (r#"var.map["x"]"#, "1"),
        (
            "[for s in var.list : upper(s) if s != \"b\"]",
            r#"["A","C"]"#,
        ),
        ("{for k, v in var.map : v => k}", r#"{"1":"x","2":"y"}"#),
        (
            "{for s in [\"a\", \"b\", \"a\"] : s => s...}",
            r#"{"a":["a","a"],"b":["b"]}"#,
        ),
        ("[{ id = 1 }, { id = 2 }][*].id", "[1,2]"),
        ("aws_iam_group.g.name", r#""ops""#),
        ("resource.aws_iam_group.g.name", r#""ops""#),
        ("aws_iam_group.g.path", r#""/""#),
        ("aws_iam_group.g.id", r#""ops""#),
        ("path.module", r#"".""#),
    ] {
        assert_eq!(eval(expr), expected, "{expr}");
    }
}

#[test]
fn functions() {
    for (expr, expected) in [
        ("concat([1], [2, 3])", "[1,2,3]"),
        ("merge({ a = 1 }, { b = 2 }, { a = 3 })", r#"{"a":3,"b":2}"#),
        ("flatten([[1, [2]], 3])", "[1,2,3]"),
        ("distinct([1, 2, 1])", "[1,2]"),
        ("toset([\"a\", \"a\"])", r#"["a"]"#),
        ("tolist([1])", "[1]"),
        ("tomap({ a = 1 })", r#"{"a":1}"#),
        ("keys(var.map)", r#"["x","y"]"#),
        ("values(var.map)", "[1,2]"),
        ("lookup(var.map, \"z\", 0)", "0"),
        ("lookup(var.map, \"x\")", "1"),
        ("element(var.list, 4)", r#""b""#),
        ("length(var.list)", "3"),
        ("length(\"héllo\")", "5"),
        ("contains(var.list, \"c\")", "true"),
        ("zipmap([\"a\", \"b\"], [1, 2])", r#"{"a":1,"b":2}"#),
        ("coalesce(\"\", \"x\")", r#""x""#),
        ("format(\"%s-%d%%\", \"a\", 5)", r#""a-5%""#),
        ("join(\",\", var.list)", r#""a,b,c""#),
        ("split(\",\", \"a,b\")", r#"["a","b"]"#),
        (r#"join("+", split("", "opé"))"#, r#""o+p+é""#),
        (r#"split("", "")"#, "[]"),
        ("lower(\"AB\")", r#""ab""#),
        ("upper(\"ab\")", r#""AB""#),
        ("title(\"ops admin\")", r#""Ops Admin""#),
        (
            "title(\"ops_admin-team o'neil\")",
            r#""Ops_admin-Team O'Neil""#,
        ),
        ("replace(\"a-b\", \"-\", \"_\")", r#""a_b""#),
        ("replace(\"a/b\", \"/\", \"_\")", r#""a_b""#),
        (
            "replace(\"ops-admin-1\", \"/-([a-z]+)/\", \"_$1\")",
            r#""ops_admin-1""#,
        ),
        ("trimprefix(\"prod-ops\", \"prod-\")", r#""ops""#),
        ("trimsuffix(\"ops-admin\", \"-admin\")", r#""ops""#),
        ("startswith(\"prod-ops\", \"prod\")", "true"),
        ("endswith(\"prod-ops\", \"prod\")", "false"),
        ("jsonencode({ a = [1, \"x\"] })", r#""{\"a\":[1,\"x\"]}""#),
        // As Go's encoder: HTML characters and line/paragraph separators escaped.
        (
            "jsonencode({ \"<k>\" = \"a&b\\u2028\" })",
            r#""{\"\\u003ck\\u003e\":\"a\\u0026b\\u2028\"}""#,
        ),
        ("jsondecode(\"{\\\"a\\\": [1]}\")", r#"{"a":[1]}"#),
        ("file(\"impl.py\")", r#""print('hi')\n""#),
        ("try(var.map.nope, \"fallback\")", r#""fallback""#),
        ("can(var.map.nope)", "false"),
        ("can(var.map.x)", "true"),
        ("max(1, 5, 3)", "5"),
        ("one([])", "null"),
        ("one([\"a\"])", r#""a""#),
        ("one([var.unknown])", "unknown(var.unknown)"),
        ("compact([\"a\", \"\", null, \"b\"])", r#"["a","b"]"#),
        ("reverse([1, 2, 3])", "[3,2,1]"),
        ("slice(var.list, 1, 3)", r#"["b","c"]"#),
        ("coalescelist([], [1], [2])", "[1]"),
        ("sort([\"b\", \"a\", 10, 9])", r#"["10","9","a","b"]"#),
        ("trim(\"?!hello?!\", \"!?\")", r#""hello""#),
        ("chomp(\"hello\\n\\r\\n\")", r#""hello""#),
        (
            "regex(\"arn:aws:iam::[0-9]+:group/.*\", \"arn:aws:iam::1:group/sym/ops\")",
            r#""arn:aws:iam::1:group/sym/ops""#,
        ),
        ("regex(\"([a-z]+)-([0-9]+)?\", \"ops-\")", r#"["ops",null]"#),
        (
            "regex(\"(?P<team>[a-z]+)-(?P<n>[0-9]+)\", \"ops-12\")",
            r#"{"n":"12","team":"ops"}"#,
        ),
        ("regexall(\"[0-9]+\", \"a1b22\")", r#"["1","22"]"#),
        ("regexall(\"x\", \"abc\")", "[]"),
        (
            "formatlist(\"%s=%d\", [\"a\", \"b\"], 1)",
            r#"["a=1","b=1"]"#,
        ),
        (
            "formatlist(\"%s-%s\", [\"a\", \"b\"], [\"x\", \"y\"])",
            r#"["a-x","b-y"]"#,
        ),
        ("formatlist(\"%s\", \"a\")", r#"["a"]"#),
        ("basename(\"modules/flow/impl.py\")", r#""impl.py""#),
        ("basename(\"modules/flow/\")", r#""flow""#),
        ("basename(\"\")", r#"".""#),
        ("basename(\"//\")", r#""/""#),
        ("substr(\"hello world\", 1, 4)", r#""ello""#),
        ("substr(\"hello\", -3, -1)", r#""llo""#),
        ("substr(\"hello\", -3, 0)", r#""llo""#),
        ("substr(\"hello\", 2, 0)", r#""""#),
        ("substr(\"hello\", 9, 2)", r#""""#),
        ("substr(\"héllo\", 1, 2)", r#""él""#),
        ("nonsensitive([var.unknown, 1])", "<partly unknown>"),
        ("sensitive(\"x\")", r#""x""#),
        ("index([\"a\", \"b\"], \"b\")", "1"),
        (
            "setunion([\"b\", \"a\"], [\"c\", \"a\"])",
            r#"["a","b","c"]"#,
        ),
        (
            "setintersection([\"b\", \"a\", \"c\"], [\"c\", \"b\"])",
            r#"["b","c"]"#,
        ),
        (
            "setsubtract([\"b\", \"a\", \"c\"], [\"a\"])",
            r#"["b","c"]"#,
        ),
        ("alltrue([])", "true"),
        ("alltrue([true, \"false\"])", "false"),
        ("anytrue([false, true])", "true"),
        ("floor(-1.5)", "-2"),
        ("ceil(1.2)", "2"),
        ("abs(-3)", "3"),
        ("signum(-5)", "-1"),
        ("signum(0)", "0"),
        ("format(\"group-%02d\", 7)", r#""group-07""#),
        ("format(\"%-6s|%.1f\", \"ops\", 2.25)", r#""ops   |2.2""#),
        ("tonumber(\"5\")", "5"),
        ("range(3)", "[0,1,2]"),
        ("range(-2)", "[0,-1]"),
        ("range(4, 1)", "[4,3,2]"),
        ("range(0, 10, 3)", "[0,3,6,9]"),
        ("range(0)", "[]"),
        (
            "[for i in range(2) : format(\"g-%02d\", i)]",
            r#"["g-00","g-01"]"#,
        ),
        // Terraform's one element type: strings with numbers or bools make strings.
        ("tomap({ a = true, b = \"x\" })", r#"{"a":"true","b":"x"}"#),
        ("tolist([1, \"a\", null])", r#"["1","a",null]"#),
        ("coalesce(\"\", 5)", r#""5""#),
        // Go's one-character mappings, not Rust's full ones (`SS`, a final `ς`).
        ("upper(\"straße\")", r#""STRAßE""#),
        ("lower(\"ΟΔΟΣ\")", r#""οδοσ""#),
    ] {
        assert_eq!(eval(expr), expected, "{expr}");
    }
    let invalid = eval("replace(\"x\", \"/(/\", \"y\")");
    assert!(
        invalid.starts_with("unknown(invalid expression (replace: invalid pattern \"(\": "),
        "{invalid}"
    );
    for (expr, error) in [
        ("one([1, 2])", "one: the list has more than one element"),
        ("regex(\"x\", \"abc\")", "regex: the pattern does not match"),
        ("index([\"a\"], \"b\")", "index: item not found"),
        (
            "formatlist(\"%s%s\", [\"a\"], [\"b\", \"c\"])",
            "formatlist: lists of 1 and 2 elements",
        ),
        (
            "slice(var.list, 2, 4)",
            "slice: 2..4 is out of range for a list of 3",
        ),
        // Where Terraform errs, so must the value: not a guess at what it meant.
        (
            "format(\"%d\", 3.5)",
            "format: %d takes a whole number, not 3.5",
        ),
        (
            "format(\"%s\", \"a\", \"b\")",
            "format: too many arguments; the format uses 1 of 2",
        ),
        ("tonumber(\" 5\")", "tonumber: not a number"),
        ("signum(-0.5)", "signum takes a whole number, not -0.5"),
        ("concat()", "concat: at least one argument is required"),
        ("range(0, 1, 0)", "range: the step must not be zero"),
        (
            "range(1, 5, -1)",
            "range: a step of -1 never reaches 5 from 1",
        ),
        ("range(1025)", "range: more than 1,024 numbers"),
        (
            "tolist([1, true])",
            "tolist: numbers and bools have no common type",
        ),
    ] {
        assert_eq!(
            eval(expr),
            format!("unknown(invalid expression ({error}))"),
            "{expr}"
        );
    }
}

/// Terraform keeps object keys and the elements of a set of primitives sorted, so every
/// way of reading them in order goes by key, not by the order they were written in.
#[test]
fn objects_and_sets_are_read_in_terraforms_order() {
    for (expr, expected) in [
        ("keys({ b = 1, a = 2, C = 3 })", r#"["C","a","b"]"#),
        ("values({ b = 1, a = 2 })", "[2,1]"),
        ("[for k, v in { b = 1, a = 2 } : k]", r#"["a","b"]"#),
        ("[for v in { b = 1, a = 2 } : v]", "[2,1]"),
        (
            r#""%{for k, v in { b = 1, a = 2 }}${k}%{endfor}""#,
            r#""ab""#,
        ),
        ("values({ b = 1, a = 2 })[0]", "2"),
        (
            "jsonencode({ b = 1, a = { d = 1, c = 2 } })",
            r#""{\"a\":{\"c\":2,\"d\":1},\"b\":1}""#,
        ),
        (r#"tolist(toset(["b", "a", "b"]))"#, r#"["a","b"]"#),
        ("toset([10, 9, 100, 9])", "[9,10,100]"),
        (r#"toset(["b", 1, "1"])"#, r#"["1","b"]"#),
        ("toset([true, false])", "[false,true]"),
        (r#"distinct(["b", "a", "b"])"#, r#"["b","a"]"#),
    ] {
        assert_eq!(eval(expr), expected, "{expr}");
    }
}

/// A value given to a typed variable is converted to the type before anything reads it.
#[test]
fn variables_take_their_declared_type() {
    let declarations = r#"
variable "groups" {
  type    = set(string)
  default = ["b", "a", "b"]
}
variable "seconds" {
  type    = number
  default = "3600"
}
variable "label" {
  type    = string
  default = 5
}
variable "tags" {
  type    = map(string)
  default = { a = 1, b = true }
}
variable "pair" {
  type    = tuple([string, number])
  default = [1, "2"]
}
variable "targets" {
  type = list(object({
    name  = string
    label = optional(string, "none")
    note  = optional(string)
  }))
  default = [{ name = "ops", extra = 1 }, { name = "dev", label = "Dev" }]
}
variable "missing" {
  type = object({
    name = string
  })
  default = { label = "x" }
}
variable "wrong" {
  type    = number
  default = "soon"
}
variable "loose" {
  type    = any
  default = ["b", "a", "b"]
}
"#;
    for (expr, expected) in [
        ("var.groups", r#"["a","b"]"#),
        ("[for g in var.groups : upper(g)]", r#"["A","B"]"#),
        ("var.seconds + 1", "3601"),
        ("var.label", r#""5""#),
        ("var.tags", r#"{"a":"1","b":"true"}"#),
        ("var.pair", r#"["1",2]"#),
        (
            "var.targets",
            r#"[{"label":"none","name":"ops","note":null},{"label":"Dev","name":"dev","note":null}]"#,
        ),
        (
            "var.missing",
            "unknown(invalid expression (var.missing of type object({ name = string }): attribute `name` is required))",
        ),
        (
            "var.wrong",
            "unknown(invalid expression (var.wrong of type number: a number is required))",
        ),
        ("var.loose", r#"["b","a","b"]"#),
    ] {
        assert_eq!(eval_beside(declarations, expr), expected, "{expr}");
    }
}

/// A module's variables take its call's arguments as Terraform does: converted to their
/// types (a resource given for an object type keeps what its provider computes as unknown,
/// not missing), and null leaving a `nullable = false` variable its default.
#[test]
fn module_arguments_are_given_as_terraform_gives_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        r#"
resource "sym_environment" "this" {
  name = "prod"
}
module "flow" {
  source = "./flow"
  env    = sym_environment.this
  teams  = ["b", "a", "b"]
  label  = null
  note   = null
}
"#,
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("flow")).unwrap();
    std::fs::write(
        dir.path().join("flow/main.tf"),
        r#"
variable "env" {
  type = object({ id = string, name = string })
}
variable "teams" {
  type = set(string)
}
variable "label" {
  default  = "Access"
  nullable = false
}
variable "note" {
  default = "kept"
}
resource "sym_flow" "team" {
  for_each       = var.teams
  name           = "${var.env.name}-${each.key}"
  environment_id = var.env.id
  label          = var.label
  note           = var.note
}
"#,
    )
    .unwrap();
    let workspace = load::load(&[dir.path().to_path_buf()]).unwrap();
    let root = Scope::root(&workspace, 0, &Inputs::default());
    let flow = root.module_instances("flow").unwrap();
    let flows = flow.instances[0].resource("sym_flow.team").unwrap();
    let rendered: Vec<(String, String, String)> = flows
        .instances
        .iter()
        .map(|i| {
            let attr = |name: &str| render(&i.body.attr(name).unwrap().value);
            // Given null: `nullable = false` keeps the default, a nullable variable is null.
            assert_eq!(
                (attr("label"), attr("note")),
                (r#""Access""#.into(), "null".into())
            );
            (i.address.clone(), attr("name"), attr("environment_id"))
        })
        .collect();
    let unknown_id = "unknown(sym_environment.this.id)".to_string();
    assert_eq!(
        rendered,
        vec![
            (
                "module.flow.sym_flow.team[\"a\"]".to_string(),
                r#""prod-a""#.to_string(),
                unknown_id.clone()
            ),
            (
                "module.flow.sym_flow.team[\"b\"]".to_string(),
                r#""prod-b""#.to_string(),
                unknown_id
            ),
        ]
    );
}

/// Terraform 1.15: a module's output with a `type` reaches its caller converted to it, with
/// `optional` defaults filled, or unknown when it does not convert.
#[test]
fn module_outputs_take_their_declared_type() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "module \"flow\" {\n  source = \"./flow\"\n}\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("flow")).unwrap();
    std::fs::write(
        dir.path().join("flow/main.tf"),
        r#"
output "teams" {
  type  = set(string)
  value = ["b", "a", "b"]
}
output "limits" {
  type  = object({ hours = number, reason = optional(bool, true) })
  value = { hours = "4" }
}
output "broken" {
  type  = number
  value = "four"
}
output "untyped" {
  value = ["b", "a", "b"]
}
"#,
    )
    .unwrap();
    let workspace = load::load(&[dir.path().to_path_buf()]).unwrap();
    let root = Scope::root(&workspace, 0, &Inputs::default());
    let outputs = module_outputs(&root, "flow");
    let output = |name: &str| render(&outputs.get_attr(name).unwrap());
    assert_eq!(output("teams"), r#"["a","b"]"#);
    assert_eq!(output("limits"), r#"{"hours":4,"reason":true}"#);
    assert_eq!(
        output("broken"),
        "unknown(invalid expression (module.flow.output.broken of type number: a number is required))"
    );
    assert_eq!(output("untyped"), r#"["b","a","b"]"#);
}

/// An ephemeral resource is opened for each run and never stored: its values are unknown.
#[test]
fn ephemeral_resources_are_never_known() {
    let declarations = r#"
ephemeral "random_password" "db" {
  length = 16
}
"#;
    for (expr, expected) in [
        (
            "ephemeral.random_password.db.result",
            "unknown(ephemeral.random_password.db.result)",
        ),
        (
            "ephemeral.random_password.nope.result",
            "unknown(ephemeral.random_password.nope (not declared).result)",
        ),
    ] {
        assert_eq!(eval_beside(declarations, expr), expected, "{expr}");
    }
}

#[test]
fn unknowns_propagate_and_remember_their_source() {
    for (expr, expected) in [
        ("var.unknown", "unknown(var.unknown)"),
        ("concat([1], var.unknown)", "unknown(var.unknown)"),
        ("[for s in var.unknown : s]", "unknown(var.unknown)"),
        ("var.unknown ? 1 : 2", "unknown(var.unknown)"),
        ("\"prefix-${var.unknown}\"", "unknown(var.unknown)"),
        ("var.unknown.a.b", "unknown(var.unknown.a.b)"),
        ("var.unknown + 1", "unknown(var.unknown)"),
        ("aws_iam_group.g.arn", "unknown(aws_iam_group.g.arn)"),
        ("resource.aws_iam_group.g.arn", "unknown(aws_iam_group.g.arn)"),
        ("module.nope.x", "unknown(module.nope (not declared).x)"),
        ("nosuchfunction(1)", "unknown(nosuchfunction(...))"),
        ("file(\"missing.py\")", "unknown(invalid expression (file(\"missing.py\"): No such file or directory (os error 2)))"),
        ("try(var.unknown, 1)", "unknown(var.unknown)"),
        // A known `false &&` decides the result whatever the other side is.
        ("false && var.unknown", "false"),
        ("true || var.unknown", "true"),
                ("[1, var.unknown]", "<partly unknown>"),
        // Rearranging a collection keeps its unknown elements in place.
        ("concat([var.unknown], [1])", "<partly unknown>"),
        ("length(concat([var.unknown], [1]))", "2"),
        ("keys({ a = var.unknown })", r#"["a"]"#),
        ("join(\",\", [\"a\", var.unknown])", "unknown(var.unknown)"),
        ("contains([var.unknown], \"a\")", "unknown(var.unknown)"),
    ] {
        assert_eq!(eval(expr), expected, "{expr}");
    }
}

#[test]
fn jsonencode_of_unknowns_keeps_the_structure() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "resource \"aws_iam_role\" \"r\" {\n  name = \"r\"\n}\nlocals {\n  doc = jsonencode({ Resource = aws_iam_role.r.arn })\n}\n",
    )
    .unwrap();
    let workspace = load::load(&[dir.path().to_path_buf()]).unwrap();
    let scope = Scope::root(&workspace, 0, &Inputs::default());
    let doc = scope.local("doc");
    let Some(Source::Encoded(inner)) = doc.as_unknown().map(|u| &*u.source) else {
        panic!("expected an encoded unknown, got {doc:?}");
    };
    assert_eq!(
        render(&inner.as_map().unwrap()["Resource"]),
        "unknown(aws_iam_role.r.arn)"
    );
}

#[test]
fn count_and_for_each_expand_and_zero_means_absent() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        r#"
variable "on" { default = false }
resource "sym_target" "set" {
  for_each = toset(["b", "a"])
  name     = "t-${each.key}"
}
resource "sym_target" "map" {
  for_each = { y = "Y", x = "X" }
  name     = each.value
}
resource "sym_target" "counted" {
  count = 2
  name  = "c${count.index}"
}
resource "sym_target" "off" {
  count = var.on ? 1 : 0
  name  = "off"
}
"#,
    )
    .unwrap();
    let workspace = load::load(&[dir.path().to_path_buf()]).unwrap();
    let scope = Scope::root(&workspace, 0, &Inputs::default());
    let names = |address: &str| -> Vec<(String, String)> {
        scope
            .resource(address)
            .unwrap()
            .instances
            .iter()
            .map(|i| {
                (
                    i.address.clone(),
                    i.body
                        .attr("name")
                        .unwrap()
                        .value
                        .as_str()
                        .unwrap()
                        .to_string(),
                )
            })
            .collect()
    };
    let pairs = |v: &[(&str, &str)]| {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names("sym_target.set"),
        pairs(&[
            ("sym_target.set[\"a\"]", "t-a"),
            ("sym_target.set[\"b\"]", "t-b")
        ])
    );
    assert_eq!(
        names("sym_target.map"),
        pairs(&[
            ("sym_target.map[\"x\"]", "X"),
            ("sym_target.map[\"y\"]", "Y")
        ])
    );
    assert_eq!(
        names("sym_target.counted"),
        pairs(&[
            ("sym_target.counted[0]", "c0"),
            ("sym_target.counted[1]", "c1")
        ])
    );
    assert_eq!(names("sym_target.off"), vec![]);
}

/// A module instance's outputs are evaluated once, however many references read them.
/// Evaluated again for each reference, 60 references through two levels of modules with 60
/// outputs each would evaluate the innermost outputs 216,000 times, past the root's value
/// budget: the evaluation stopped with a finding and left the rest unknown.
/// `module.NAME[KEY].OUTPUT` of a `for_each` or `count` call reads that one instance's
/// output, and gives what indexing the map of every instance's outputs gives.
#[test]
fn a_module_instance_is_picked_by_its_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("m")).unwrap();
    std::fs::write(
        dir.path().join("m/main.tf"),
        "variable \"name\" {}\noutput \"name\" { value = { upper = upper(var.name) } }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        r#"
module "keyed" {
  source   = "./m"
  for_each = toset(["a\"q", "b"])
  name     = each.key
}
module "counted" {
  source = "./m"
  count  = 2
  name   = "n${count.index}"
}
locals {
  picked = [module.keyed["a\"q"].name.upper, module.keyed["b"].name, module.counted[1].name.upper]
  whole  = [module.keyed["a\"q"]["name"]["upper"], module.keyed["b"]["name"], module.counted[1]["name"]["upper"]]
  absent = module.keyed["c"].name
}
"#,
    )
    .unwrap();
    let workspace = load::load(&[dir.path().to_path_buf()]).unwrap();
    let scope = root_of(&workspace, dir.path());
    let picked = render(&scope.local("picked"));
    assert_eq!(picked, r#"["A\"Q",{"upper":"B"},"N1"]"#);
    assert_eq!(picked, render(&scope.local("whole")));
    assert!(
        render(&scope.local("absent")).starts_with("unknown(invalid expression"),
        "{}",
        render(&scope.local("absent"))
    );
    assert_no_cycles(&scope);
}

#[test]
fn module_outputs_are_evaluated_once_per_instance() {
    let dir = tempfile::tempdir().unwrap();
    let outputs = |value: &dyn Fn(usize) -> String| -> String {
        (0..60)
            .map(|i| format!("output \"o{i}\" {{ value = {} }}\n", value(i)))
            .collect()
    };
    let inner = outputs(&|i| format!("\"{i}-{}\"", "x".repeat(2048)));
    let middle = outputs(&|i| format!("module.inner.o{i}"));
    let references: Vec<String> = (0..60).map(|i| format!("module.middle.o{i}")).collect();
    let root = format!(
        "module \"middle\" {{ source = \"./middle\" }}\nlocals {{ all = [{}] }}\n",
        references.join(", ")
    );
    std::fs::create_dir_all(dir.path().join("middle/inner")).unwrap();
    std::fs::write(dir.path().join("main.tf"), root).unwrap();
    std::fs::write(
        dir.path().join("middle/main.tf"),
        format!("module \"inner\" {{ source = \"./inner\" }}\n{middle}"),
    )
    .unwrap();
    std::fs::write(dir.path().join("middle/inner/main.tf"), inner).unwrap();
    let workspace = load::load(&[dir.path().to_path_buf()]).unwrap();
    let scope = root_of(&workspace, dir.path());
    let all = scope.local("all");
    assert_no_cycles(&scope);
    let items = all.as_list().expect("a known list");
    assert_eq!(items.len(), 60);
    assert_eq!(items[59].as_str().map(|s| &s[..5]), Some("59-xx"));
}

/// A reference takes the part of a local, a variable, a resource or a module output it
/// names without copying the whole: in a `for_each` of 800 instances,
/// `local.groups[each.key].name`, `aws_iam_group.g[each.key].name` and
/// `module.m.groups[each.key].name` each copied the whole map for every instance, past the
/// root's value budget, so evaluation stopped with a finding and left the rest unknown.
#[test]
fn references_into_a_large_map_copy_only_what_they_select() {
    let dir = tempfile::tempdir().unwrap();
    let groups: String = (0..800)
        .map(|i| format!("    g{i} = {{ name = \"group-{i}\", tags = {{ team = \"t{i}\" }} }}\n"))
        .collect();
    std::fs::write(
        dir.path().join("main.tf"),
        format!(
            r#"
locals {{
  groups = {{
{groups}  }}
}}
variable "groups" {{ default = {{ g799 = {{ name = "from-var" }} }} }}
resource "aws_iam_group" "g" {{
  for_each = local.groups
  name     = local.groups[each.key].name
}}
resource "sym_target" "t" {{
  for_each = local.groups
  name     = aws_iam_group.g[each.key].name
  label    = local.groups[each.key]["tags"].team
  settings = {{ iam_group = var.groups["g799"].name }}
}}
module "m" {{
  source = "./m"
  groups = local.groups
}}
resource "sym_target" "from_module" {{
  for_each = local.groups
  name     = module.m.groups[each.key].name
}}
"#
        ),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("m")).unwrap();
    std::fs::write(
        dir.path().join("m/main.tf"),
        "variable \"groups\" {}\noutput \"groups\" { value = var.groups }\n",
    )
    .unwrap();
    let workspace = load::load(&[dir.path().to_path_buf()]).unwrap();
    let scope = root_of(&workspace, dir.path());
    let from_module = scope.resource("sym_target.from_module").unwrap();
    let last_name = from_module
        .instances
        .iter()
        .find(|i| i.address == "sym_target.from_module[\"g799\"]")
        .map(|i| render(&i.body.attr("name").unwrap().value));
    assert_eq!(last_name.as_deref(), Some(r#""group-799""#));
    let targets = scope.resource("sym_target.t").unwrap();
    assert_no_cycles(&scope);
    assert_eq!(targets.instances.len(), 800);
    let last = targets
        .instances
        .iter()
        .find(|i| i.address == "sym_target.t[\"g799\"]")
        .unwrap();
    let attr = |name: &str| render(&last.body.attr(name).unwrap().value);
    assert_eq!(
        (attr("name"), attr("label"), attr("settings")),
        (
            r#""group-799""#.to_string(),
            r#""t799""#.to_string(),
            r#"{"iam_group":"from-var"}"#.to_string()
        )
    );
}

/// Terraform needs a `for_each`'s keys before apply, not its map's values: a map with an
/// unknown value still makes its instances, while an unknown key, or an unknown element of
/// a set, leaves the instances unknown.
/// A `for_each` key reads back as written, whatever it holds (a quote, a backslash, a
/// combining accent): as the resource's map keys and when a reference picks an instance by
/// it.
#[test]
fn for_each_keys_read_back_as_written() {
    let declarations = r#"
locals {
  keyed = { "a\"b" = "x", "c\\d" = "y", "e\u0301" = "z", plain = "w" }
}
resource "aws_iam_group" "k" {
  for_each = local.keyed
  name     = each.value
}
"#;
    let expr = r#"[keys(aws_iam_group.k), [for k in keys(local.keyed) : aws_iam_group.k[k].name]]"#;
    assert_eq!(
        eval_beside(declarations, expr),
        "[[\"a\\\"b\",\"c\\\\d\",\"e\u{301}\",\"plain\"],[\"x\",\"y\",\"z\",\"w\"]]"
    );
}

#[test]
fn for_each_needs_known_keys_not_known_values() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        r#"
resource "random_id" "k" { byte_length = 4 }
resource "sym_target" "values" {
  for_each = { a = { label = random_id.k.hex, group = "ops" }, b = { label = "B", group = "dev" } }
  name     = "t-${each.key}"
  label    = each.value.label
  settings = { iam_group = each.value.group }
}
resource "sym_target" "key" {
  for_each = { (random_id.k.hex) = "x" }
  name     = each.key
}
resource "sym_target" "element" {
  for_each = toset(["a", random_id.k.hex])
  name     = each.key
}
"#,
    )
    .unwrap();
    let workspace = load::load(&[dir.path().to_path_buf()]).unwrap();
    let scope = Scope::root(&workspace, 0, &Inputs::default());
    let values = scope.resource("sym_target.values").unwrap();
    assert!(matches!(values.expansion, Expansion::ForEach));
    let rendered: Vec<(&str, String, String, String)> = values
        .instances
        .iter()
        .map(|i| {
            let attr = |name: &str| render(&i.body.attr(name).unwrap().value);
            (
                i.address.as_str(),
                attr("name"),
                attr("label"),
                attr("settings"),
            )
        })
        .collect();
    assert_eq!(
        rendered,
        [
            (
                "sym_target.values[\"a\"]",
                r#""t-a""#.to_string(),
                "unknown(random_id.k.hex)".to_string(),
                r#"{"iam_group":"ops"}"#.to_string()
            ),
            (
                "sym_target.values[\"b\"]",
                r#""t-b""#.to_string(),
                r#""B""#.to_string(),
                r#"{"iam_group":"dev"}"#.to_string()
            ),
        ]
    );
    for address in ["sym_target.key", "sym_target.element"] {
        let resource = scope.resource(address).unwrap();
        assert!(
            matches!(resource.expansion, Expansion::Unknown) && resource.instances.is_empty(),
            "{address}"
        );
    }
}

/// `templatefile` renders a file of the root module as a template that sees only its
/// `vars`: a name they do not give is Terraform's error, here an unknown that says why.
#[test]
fn templatefile_renders_with_its_vars_only() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write(
        "main.tf",
        r##"
locals {
  impl    = templatefile("impl.py.tftpl", { allow_self = "False", channels = ["#a", "#b"] })
  value   = templatefile("value.tftpl", { v = [1, 2] })
  leaky   = templatefile("leaky.tftpl", { v = 1 })
  unknown = templatefile("impl.py.tftpl", { allow_self = var.nope, channels = [] })
}
variable "nope" {}
"##,
    );
    write(
        "impl.py.tftpl",
        "allow_self = ${allow_self}\n%{ for c in channels ~}\nnotify(\"${c}\")\n%{ endfor ~}\n",
    );
    write("value.tftpl", "${v}");
    write("leaky.tftpl", "${local.impl}");
    let workspace = load::load(&[dir.path().to_path_buf()]).unwrap();
    let scope = Scope::root(&workspace, 0, &Inputs::default());
    let impl_ = scope.local("impl");
    assert_eq!(
        impl_.as_str(),
        Some("allow_self = False\nnotify(\"#a\")\nnotify(\"#b\")\n")
    );
    assert_eq!(render(&scope.local("value")), "[1,2]");
    assert_eq!(
        render(&scope.local("leaky")),
        "unknown(invalid expression (templatefile: vars map does not contain key `local`))"
    );
    assert_eq!(render(&scope.local("unknown")), "unknown(var.nope)");
}

/// An input that reads an output of its own module that does not need it, directly or
/// through a local evaluated first: Terraform evaluates the output alone, so it is known
/// and no cycle is recorded; the input itself is unknown.
#[test]
fn an_input_may_read_an_output_of_its_own_module_that_does_not_need_it() {
    let workspace =
        load::load(&[std::path::PathBuf::from("fixtures/evaluation-cycle/pass")]).unwrap();
    let root = Scope::root(&workspace, 0, &Inputs::default());
    let mirror = root.resource("aws_s3_bucket.mirror").unwrap();
    let bucket = render(&mirror.instances[0].body.attr("bucket").unwrap().value);
    assert_eq!(bucket, r#""arn:aws:s3:::mirror""#);
    let outputs = module_outputs(&root, "mirror");
    let policy = render(&outputs.get_attr("policy").unwrap());
    assert!(policy.starts_with("unknown"), "{policy}");
    let west = module_outputs(&root, "west").get_attr("arn").unwrap();
    assert_eq!(render(&west), r#""arn:aws:s3:::west""#);
    // Through a module the called one calls with both inputs: the ARN needs the name only.
    let relayed = module_outputs(&root, "relayed").get_attr("arn").unwrap();
    assert_eq!(render(&relayed), r#""arn:aws:s3:::relayed""#);
    assert!(
        root.cycles.borrow().is_empty(),
        "{:?}",
        root.cycles.borrow().len()
    );
}
