use super::{Context, Rule};
use crate::eval::Decls;
use crate::finding::{Finding, Severity};
use crate::source::{Loc, SourceFile};
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::structure::Body;
use hcl_edit::template::{Directive, Element, Template};
use hcl_edit::Span;
use std::sync::Arc;

pub const RULE: Rule = Rule {
    name: "unresolved-reference",
    severity: Severity::Error,
    summary: "a reference to a resource, module, local or variable not declared in its module",
    doc: include_str!("../../rules/unresolved-reference.md"),
    check,
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    // A declaration may be in the file that failed to parse.
    if !cx.model.is_complete() {
        return;
    }
    for call in &cx.model.calls {
        let Some(source) = call.args.attr("source") else {
            continue;
        };
        if call.outside_repository {
            out.push(
                cx.finding(
                    &RULE,
                    source.expr_loc.clone(),
                    format!(
                        "the source of `{}` is outside the repository; symguard does not read it",
                        call.address
                    ),
                )
                .label("outside the repository")
                .resource(&call.address)
                .help("keep local modules inside the repository, or publish the module and use a registry source"),
            );
        }
        if !call.missing_dir {
            continue;
        }
        out.push(
            cx.finding(
                &RULE,
                source.expr_loc.clone(),
                format!("the source of `{}` is not a directory", call.address),
            )
            .label("no such directory")
            .resource(&call.address)
            .help("point `source` at the module's directory, relative to this one"),
        );
    }
    for (dir, decls) in cx.model.dirs.iter().zip(&cx.model.decls) {
        walk_dir(cx, dir, decls, out);
    }
}

fn walk_dir(cx: &Context, dir: &crate::load::ModuleDir, decls: &Decls, out: &mut Vec<Finding>) {
    for file in &dir.files {
        let Ok(body) = &file.body else { continue };
        let mut walker = Walker {
            decls,
            file: &file.source,
            bound: Vec::new(),
            address: String::new(),
            found: Vec::new(),
        };
        for block in body.blocks() {
            match block.ident.as_str() {
                // `moved`, `removed` and `import` name addresses that need not exist;
                // `terraform` admits no references (`configuration_aliases` name providers).
                "moved" | "removed" | "import" | "terraform" => continue,
                _ => {}
            }
            walker.bound.clear();
            if block.body.has_attribute("count") {
                walker.bound.push("count");
            }
            if block.body.has_attribute("for_each") {
                walker.bound.push("each");
            }
            if block.ident.as_str() == "variable" {
                // `type` is a type constraint (`map(string)`), not an expression.
                for attr in block.body.attributes().filter(|a| a.key.as_str() != "type") {
                    walker.expr(&attr.value);
                }
                for inner in block.body.blocks() {
                    walker.body(&inner.body);
                }
                continue;
            }
            // Provider references (`aws.west`) name provider configurations, not objects.
            let provider_meta = match block.ident.as_str() {
                "resource" | "data" | "ephemeral" => "provider",
                "module" => "providers",
                _ => "",
            };
            // An output's `type` (Terraform 1.15) is a type constraint, as a variable's is.
            let type_constraint = match block.ident.as_str() {
                "output" => "type",
                _ => "",
            };
            for attr in block.body.attributes() {
                let key = attr.key.as_str();
                if key != provider_meta && key != type_constraint {
                    walker.expr(&attr.value);
                }
            }
            walker.blocks(&block.body);
        }
        for (loc, reference) in walker.found {
            let (message, help) = match suggestion(decls, &reference) {
                Some(near) => (
                    format!("`{reference}` is not declared in this module; did you mean `{near}`?"),
                    format!(
                        "did you mean `{near}`? Otherwise declare `{reference}` in this directory"
                    ),
                ),
                None => (
                    format!("`{reference}` is not declared in this module"),
                    format!("declare `{reference}` in this directory, or fix the name"),
                ),
            };
            out.push(
                cx.finding(&RULE, loc, message)
                    .label("not declared")
                    .help(help),
            );
        }
    }
}

/// The declared address of the same kind (`var.`, `local.`, `module.`, a data source's or a
/// resource's type) closest to an undeclared one, within Terraform's distance for "did you
/// mean": fewer than three edits to the name. The first declared wins a tie.
fn suggestion(decls: &Decls, reference: &str) -> Option<String> {
    let (kind, name) = reference.rsplit_once('.')?;
    let declared = decls
        .variables
        .keys()
        .map(|k| format!("var.{k}"))
        .chain(decls.locals.keys().map(|k| format!("local.{k}")))
        .chain(decls.modules.keys().map(|k| format!("module.{k}")))
        .chain(decls.data.keys().map(|k| format!("data.{k}")))
        .chain(decls.ephemeral.keys().map(|k| format!("ephemeral.{k}")))
        .chain(decls.resources.keys().cloned());
    declared
        .filter_map(|address| {
            let (declared_kind, declared_name) = address.rsplit_once('.')?;
            let distance = strsim::levenshtein(name, declared_name);
            (declared_kind == kind && distance < 3).then_some((distance, address))
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, address)| address)
}

struct Walker<'a> {
    decls: &'a Decls<'a>,
    file: &'a Arc<SourceFile>,
    /// Names bound here: `count`, `each`, `for` variables and `dynamic` iterators.
    bound: Vec<&'a str>,
    /// `kind.name` of the resource reference being looked up, written in place.
    address: String,
    found: Vec<(Loc, String)>,
}

impl<'a> Walker<'a> {
    fn body(&mut self, body: &'a Body) {
        for attr in body.attributes() {
            self.expr(&attr.value);
        }
        self.blocks(body);
    }

    fn blocks(&mut self, body: &'a Body) {
        for block in body.blocks() {
            match block.ident.as_str() {
                // `ignore_changes` lists attribute names, not references.
                "lifecycle" => {
                    for attr in block
                        .body
                        .attributes()
                        .filter(|a| a.key.as_str() != "ignore_changes")
                    {
                        self.expr(&attr.value);
                    }
                }
                "provisioner" | "connection" => {
                    self.bound.push("self");
                    self.body(&block.body);
                    self.bound.pop();
                }
                "dynamic" => {
                    let iterator = block
                        .body
                        .get_attribute("iterator")
                        .and_then(|a| a.value.as_variable().map(|v| v.as_str()))
                        .or_else(|| block.labels.first().map(|l| l.as_str()));
                    if let Some(for_each) = block.body.get_attribute("for_each") {
                        self.expr(&for_each.value);
                    }
                    self.bound.extend(iterator);
                    for content in block.body.blocks() {
                        self.body(&content.body);
                    }
                    if iterator.is_some() {
                        self.bound.pop();
                    }
                }
                _ => self.body(&block.body),
            }
        }
    }

    fn template(&mut self, template: &'a Template) {
        for element in template.iter() {
            match element {
                Element::Literal(_) => {}
                Element::Interpolation(i) => self.expr(&i.expr),
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(d) => {
                        self.expr(&d.if_expr.cond_expr);
                        self.template(&d.if_expr.template);
                        if let Some(e) = &d.else_expr {
                            self.template(&e.template);
                        }
                    }
                    Directive::For(d) => {
                        let f = &d.for_expr;
                        self.expr(&f.collection_expr);
                        let before = self.bound.len();
                        self.bound.push(f.value_var.as_str());
                        self.bound.extend(f.key_var.as_ref().map(|k| k.as_str()));
                        self.template(&f.template);
                        self.bound.truncate(before);
                    }
                },
            }
        }
    }

    fn expr(&mut self, expr: &'a Expression) {
        match expr {
            Expression::Array(items) => items.iter().for_each(|e| self.expr(e)),
            Expression::Object(object) => {
                for (key, value) in object.iter() {
                    // `{ name = ... }` keys are names; only parenthesised keys are expressions.
                    if let ObjectKey::Expression(e) = key {
                        if !matches!(e, Expression::Variable(_)) {
                            self.expr(e);
                        }
                    }
                    self.expr(value.expr());
                }
            }
            Expression::StringTemplate(t) => self.template(t),
            Expression::HeredocTemplate(h) => self.template(&h.template),
            Expression::Parenthesis(p) => self.expr(p.inner()),
            Expression::Variable(v) => self.name(v.as_str(), [None, None], expr.span()),
            Expression::Conditional(c) => {
                self.expr(&c.cond_expr);
                self.expr(&c.true_expr);
                self.expr(&c.false_expr);
            }
            Expression::FuncCall(call) => call.args.iter().for_each(|e| self.expr(e)),
            Expression::Traversal(t) => {
                let mut names = t.operators.iter().map_while(|op| match op.value() {
                    TraversalOperator::GetAttr(ident) => Some(ident.as_str()),
                    _ => None,
                });
                let attrs = [names.next(), names.next()];
                match &t.expr {
                    Expression::Variable(v) => self.name(v.as_str(), attrs, t.span()),
                    other => self.expr(other),
                }
                for op in &t.operators {
                    if let TraversalOperator::Index(e) = op.value() {
                        self.expr(e);
                    }
                }
            }
            Expression::UnaryOp(op) => self.expr(&op.expr),
            Expression::BinaryOp(op) => {
                self.expr(&op.lhs_expr);
                self.expr(&op.rhs_expr);
            }
            Expression::ForExpr(f) => {
                self.expr(&f.intro.collection_expr);
                let before = self.bound.len();
                self.bound.push(f.intro.value_var.as_str());
                self.bound
                    .extend(f.intro.key_var.as_ref().map(|k| k.as_str()));
                if let Some(k) = &f.key_expr {
                    self.expr(k);
                }
                self.expr(&f.value_expr);
                if let Some(c) = &f.cond {
                    self.expr(&c.expr);
                }
                self.bound.truncate(before);
            }
            Expression::Null(_)
            | Expression::Bool(_)
            | Expression::Number(_)
            | Expression::String(_) => {}
        }
    }

    /// `attrs`: the first two attribute names after the root, as far as there are any.
    fn name(&mut self, root: &str, attrs: [Option<&str>; 2], span: Option<std::ops::Range<usize>>) {
        if self.bound.contains(&root) {
            return;
        }
        let d = self.decls;
        let missing = match (root, attrs) {
            ("var", [Some(name), _]) => {
                (!d.variables.contains_key(name)).then(|| format!("var.{name}"))
            }
            ("local", [Some(name), _]) => {
                (!d.locals.contains_key(name)).then(|| format!("local.{name}"))
            }
            ("module", [Some(name), _]) => {
                (!d.modules.contains_key(name)).then(|| format!("module.{name}"))
            }
            ("data", [Some(kind), Some(name)]) => {
                let address = self.address_of(kind, name);
                (!d.data.contains_key(address)).then(|| format!("data.{address}"))
            }
            ("ephemeral", [Some(kind), Some(name)]) => {
                let address = self.address_of(kind, name);
                (!d.ephemeral.contains_key(address)).then(|| format!("ephemeral.{address}"))
            }
            ("path" | "terraform" | "count" | "each" | "self", _) => None,
            (kind, [Some(name), _]) => {
                let address = self.address_of(kind, name);
                (!d.resources.contains_key(address)).then(|| address.to_string())
            }
            (name, [None, _]) => Some(name.to_string()),
        };
        if let Some(reference) = missing {
            self.found.push((Loc::of(self.file, span), reference));
        }
    }

    /// `kind.name`, written into the walker's buffer rather than into a new string each time.
    fn address_of(&mut self, kind: &str, name: &str) -> &str {
        self.address.clear();
        self.address.push_str(kind);
        self.address.push('.');
        self.address.push_str(name);
        &self.address
    }
}

fixture_test!();
