use super::{Context, Rule};
use crate::eval::{Decl, Decls};
use crate::finding::{Finding, Severity};
use crate::source::{Loc, SourceFile};
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::structure::{Attribute, Block, Body};
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
    let primary = dir.primary_files().iter().map(|file| (file, false));
    for (file, is_override) in primary.chain(dir.override_files().iter().map(|f| (f, true))) {
        let Ok(body) = &file.body else { continue };
        let mut walker = Walker {
            decls,
            file: &file.source,
            bound: Vec::new(),
            address: String::new(),
            found: Vec::new(),
        };
        for block in crate::hcl::blocks(body) {
            match block.ident.as_str() {
                // `moved`, `removed` and `import` name addresses that need not exist;
                // `terraform` admits no references (`configuration_aliases` name providers).
                "moved" | "removed" | "import" | "terraform" => continue,
                // Only the expressions Terraform evaluates: one an override file replaced
                // is not, nor one that overrides nothing (reported below).
                "locals" => {
                    walker.bound.clear();
                    walker.file = &file.source;
                    for attr in crate::hcl::attributes(&block.body) {
                        let evaluated = match decls.locals.get(attr.key.as_str()) {
                            Some((_, local)) if std::ptr::eq(*local, attr) => true,
                            Some((local_file, _)) => {
                                !is_override && !crate::load::is_override(&local_file.path)
                            }
                            None => false,
                        };
                        if evaluated {
                            walker.expr(&attr.value);
                        }
                    }
                }
                // An override file's block is walked merged into the one it overrides.
                "provider" => walker.declaration(block, &file.source, None),
                _ if is_override => {}
                _ => {
                    let decl = match decls.overridden {
                        true => decls.declared_by(block).filter(|d| !d.overrides.is_empty()),
                        false => None,
                    };
                    walker.declaration(block, &file.source, decl);
                }
            }
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
    for (address, loc) in &decls.orphan_overrides {
        let near = suggestion(decls, address)
            .map(|near| format!("; did you mean `{near}`?"))
            .unwrap_or_default();
        out.push(
            cx.finding(
                &RULE,
                loc.clone(),
                format!("this file overrides `{address}`, which no other file of the module declares{near}"),
            )
            .label("nothing to override")
            .help(format!("Terraform refuses an override of nothing: declare `{address}` in a file that is not an override file (`override.tf`, `*_override.tf`), or fix the name")),
        );
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
    /// A top-level block of `file`, or with `decl`, the declaration it makes with its
    /// overrides merged in: what Terraform evaluates.
    fn declaration(
        &mut self,
        block: &'a Block,
        file: &'a Arc<SourceFile>,
        decl: Option<&Decl<'a>>,
    ) {
        let kind = block.ident.as_str();
        let has = |name: &str| match decl {
            Some(decl) => decl.attribute(name).is_some(),
            None => block.body.has_attribute(name),
        };
        self.bound.clear();
        if has("count") {
            self.bound.push("count");
        }
        if has("for_each") {
            self.bound.push("each");
        }
        // A variable's or (Terraform 1.15) an output's `type` is a type constraint
        // (`map(string)`); provider references (`aws.west`) name provider configurations.
        let not_expression = match kind {
            "variable" | "output" => "type",
            "resource" | "data" | "ephemeral" => "provider",
            "module" => "providers",
            _ => "",
        };
        match decl {
            Some(decl) => {
                let merged = decl.merged();
                let (attrs, blocks) = (merged.attrs.iter().copied(), merged.blocks.iter().copied());
                self.parts(kind, not_expression, attrs, blocks);
            }
            None => {
                let attrs = crate::hcl::attributes(&block.body).map(|attr| (file, attr));
                let blocks = crate::hcl::blocks(&block.body).map(|nested| (file, nested));
                self.parts(kind, not_expression, attrs, blocks);
            }
        }
    }

    fn parts(
        &mut self,
        kind: &str,
        not_expression: &str,
        attrs: impl Iterator<Item = (&'a Arc<SourceFile>, &'a Attribute)>,
        blocks: impl Iterator<Item = (&'a Arc<SourceFile>, &'a Block)>,
    ) {
        for (file, attr) in attrs {
            if attr.key.as_str() != not_expression {
                self.file = file;
                self.expr(&attr.value);
            }
        }
        for (file, block) in blocks {
            self.file = file;
            match kind {
                "variable" => self.body(&block.body),
                _ => self.nested(block),
            }
        }
    }

    fn body(&mut self, body: &'a Body) {
        for attr in crate::hcl::attributes(body) {
            self.expr(&attr.value);
        }
        self.blocks(body);
    }

    fn blocks(&mut self, body: &'a Body) {
        for block in crate::hcl::blocks(body) {
            self.nested(block);
        }
    }

    fn nested(&mut self, block: &'a Block) {
        match block.ident.as_str() {
            // `ignore_changes` lists attribute names, not references.
            "lifecycle" => {
                for attr in crate::hcl::attributes(&block.body)
                    .filter(|a| a.key.as_str() != "ignore_changes")
                {
                    self.expr(&attr.value);
                }
            }
            "provisioner" | "connection" => {
                self.bound.push("self");
                // `when = destroy` and `on_failure = continue` are keywords, not references.
                for attr in crate::hcl::attributes(&block.body) {
                    let keyword = matches!(attr.key.as_str(), "when" | "on_failure")
                        && matches!(attr.value, Expression::Variable(_));
                    if !keyword {
                        self.expr(&attr.value);
                    }
                }
                self.blocks(&block.body);
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
                for content in crate::hcl::blocks(&block.body) {
                    self.body(&content.body);
                }
                if iterator.is_some() {
                    self.bound.pop();
                }
            }
            _ => self.body(&block.body),
        }
    }

    fn template(&mut self, template: &'a Template) {
        for element in crate::hcl::elements(template) {
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
            Expression::Array(items) => crate::hcl::items(items).for_each(|e| self.expr(e)),
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
            // `resource.TYPE.NAME` is Terraform's long form of `TYPE.NAME`.
            ("resource", [Some(kind), Some(name)]) => {
                let address = self.address_of(kind, name);
                (!d.resources.contains_key(address)).then(|| address.to_string())
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
