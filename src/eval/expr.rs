//! Expressions and templates: literals, operators, conditionals, function calls, `for`
//! expressions, string templates with their directives, and block bodies (with `dynamic`
//! blocks), each evaluated in a scope; unknowns propagate through all of them.

use super::Cx;
use super::{functions, Attr, Body, Decl, Eval, NestedBlock, Scope};
use crate::provider;
use crate::source::Loc;
use crate::value::{by_key, Kind, Names, Source, Value};
use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::structure::{Attribute, Block, Body as SyntaxBody};
use hcl_edit::template::{Directive, Element, Template};
use hcl_edit::Span;
use std::sync::Arc;

impl Scope<'_> {
    /// Evaluates a block body; `resource` names the resource type (or `module`) so that
    /// meta-arguments are left out.
    pub(super) fn eval_body(
        &self,
        body: &SyntaxBody,
        cx: &Cx,
        resource: Option<(&str, bool)>,
    ) -> Body {
        let attrs = crate::hcl::attributes(body).map(|attr| (cx, attr));
        let blocks = crate::hcl::blocks(body).map(|block| (cx, block));
        self.eval_parts(
            attrs,
            crate::hcl::attributes(body).count(),
            blocks,
            resource,
        )
    }

    /// A declaration's body with its overrides merged in (`Decl::merged`), each attribute
    /// and nested block evaluated in the file it is written in.
    pub(super) fn eval_decl(&self, decl: &Decl, cx: &Cx, resource: Option<(&str, bool)>) -> Body {
        if decl.overrides.is_empty() {
            return self.eval_body(&decl.block.body, cx, resource);
        }
        let merged = decl.merged();
        let attrs: Vec<(Cx, &Attribute)> = merged
            .attrs
            .iter()
            .map(|&(f, a)| (cx.in_file(f), a))
            .collect();
        let blocks: Vec<(Cx, &Block)> = merged
            .blocks
            .iter()
            .map(|&(f, b)| (cx.in_file(f), b))
            .collect();
        self.eval_parts(
            attrs.iter().map(|(cx, attr)| (cx, *attr)),
            attrs.len(),
            blocks.iter().map(|(cx, block)| (cx, *block)),
            resource,
        )
    }

    fn eval_parts<'b>(
        &self,
        attrs: impl Iterator<Item = (&'b Cx<'b>, &'b Attribute)>,
        attr_count: usize,
        blocks: impl Iterator<Item = (&'b Cx<'b>, &'b Block)>,
        resource: Option<(&str, bool)>,
    ) -> Body {
        let mut out = Body {
            attrs: Names::with_capacity_and_hasher(attr_count, Default::default()),
            ..Body::default()
        };
        for (cx, attr) in attrs {
            let key = attr.key.as_str();
            if resource.is_some() && provider::is_meta_argument(key) {
                continue;
            }
            let value = self
                .eval(&attr.value, cx)
                .unwrap_or_else(|message| Value::unknown(Source::Invalid(message)));
            let span = attr.value.span();
            out.attrs.insert(
                key.to_string(),
                Attr {
                    value: cx.at(value, span.clone()),
                    loc: Loc::of(cx.file, attr.span()),
                    expr_loc: Loc::of(cx.file, span),
                },
            );
        }
        for (cx, block) in blocks {
            let kind = block.ident.as_str();
            if resource.is_some() && matches!(kind, "lifecycle" | "provisioner" | "connection") {
                continue;
            }
            if kind == "dynamic" {
                self.expand_dynamic(block, cx, &mut out);
                continue;
            }
            out.blocks.push(NestedBlock {
                kind: kind.to_string(),
                loc: Loc::of(cx.file, block.ident.span()),
                body: self.eval_body(&block.body, cx, None),
            });
        }
        out
    }

    /// `dynamic "name" { for_each = ...  content { ... } }`
    fn expand_dynamic(&self, block: &Block, cx: &Cx, out: &mut Body) {
        let Some(label) = block.labels.first().map(|l| l.as_str().to_string()) else {
            return;
        };
        let iterator = block
            .body
            .get_attribute("iterator")
            .and_then(|a| a.value.as_variable().map(|v| v.as_str().to_string()))
            .unwrap_or_else(|| label.clone());
        let collection = block
            .body
            .get_attribute("for_each")
            .and_then(|a| self.eval(&a.value, cx).ok());
        let (Some(entries), Some(content)) = (
            collection.as_ref().and_then(for_each_entries_any),
            crate::hcl::blocks_named(&block.body, "content").next(),
        ) else {
            out.partial = true;
            return;
        };
        for (key, value) in entries {
            let item = Value::new(
                Kind::Object(
                    Names::from_iter([("key".to_string(), key), ("value".to_string(), value)])
                        .into(),
                ),
                None,
            );
            out.blocks.push(NestedBlock {
                kind: label.clone(),
                loc: Loc::of(cx.file, block.ident.span()),
                body: self.eval_body(&content.body, &cx.bind(&iterator, item), None),
            });
        }
    }

    pub(super) fn eval(&self, expr: &Expression, cx: &Cx) -> Eval {
        if self.over_budget(|| Loc::of(cx.file, expr.span())) {
            return Err("symguard's evaluation budget for this root is spent".into());
        }
        // Made where it is used: references, parentheses and conditionals take their
        // value's own origin.
        let origin = || cx.loc(expr.span());
        let kind = match expr {
            Expression::Null(_) => Kind::Null,
            Expression::Bool(b) => Kind::Bool(*b.value()),
            Expression::Number(n) => Kind::Number(n.value().as_f64().unwrap_or(f64::NAN)),
            Expression::String(s) => Kind::String(s.value().clone()),
            Expression::Array(items) => Kind::List(
                crate::hcl::items(items)
                    .map(|e| Ok(cx.at(self.eval(e, cx)?, e.span())))
                    .collect::<Result<_, String>>()?,
            ),
            Expression::Object(object) => {
                let mut map = Names::with_capacity_and_hasher(object.len(), Default::default());
                for (key, value) in object.iter() {
                    let key = match key {
                        ObjectKey::Ident(ident) => ident.as_str().to_string(),
                        ObjectKey::Expression(Expression::Variable(v)) => v.as_str().to_string(),
                        ObjectKey::Expression(e) => {
                            let key = self.eval(e, cx)?;
                            if key.is_unknown() {
                                return Ok(key);
                            }
                            key.to_template_string()
                                .ok_or("an object key must be a string")?
                        }
                    };
                    let expr = value.expr();
                    map.insert(key, cx.at(self.eval(expr, cx)?, expr.span()));
                }
                Kind::Object(map.into())
            }
            Expression::StringTemplate(t) => return self.template(t, cx, origin(), (false, false)),
            Expression::HeredocTemplate(h) => {
                return self.template(&h.template, cx, origin(), (false, false))
            }
            Expression::Parenthesis(p) => return self.eval(p.inner(), cx),
            Expression::Variable(v) => return self.variable(v.as_str(), cx),
            Expression::Conditional(c) => {
                let cond = self.eval(&c.cond_expr, cx)?;
                if cond.is_unknown() {
                    return Ok(cond);
                }
                let branch = match cond.as_bool() {
                    Some(true) => &c.true_expr,
                    Some(false) => &c.false_expr,
                    None => return Err("a condition must be true or false".into()),
                };
                return Ok(cx.at(self.eval(branch, cx)?, branch.span()));
            }
            Expression::FuncCall(call) => {
                let name = call.name.name.as_str();
                if matches!(name, "try" | "can") {
                    return Ok(self.try_or_can(name, call.args.iter(), cx, origin()));
                }
                let mut args = Vec::with_capacity(call.args.len());
                for (i, arg) in call.args.iter().enumerate() {
                    let value = cx.at(self.eval(arg, cx)?, arg.span());
                    if i + 1 == call.args.len() && call.args.expand_final() {
                        match &value.kind {
                            Kind::List(items) => args.extend(items.iter().cloned()),
                            _ => return Ok(Value::unknown(Source::Function(name.to_string()))),
                        }
                    } else {
                        args.push(value);
                    }
                }
                if name == "templatefile" {
                    return self.templatefile(&args, cx, origin());
                }
                return functions::call(name, args, self.root, origin());
            }
            Expression::Traversal(t) => return self.traversal(&t.expr, &t.operators, cx),
            Expression::UnaryOp(op) => {
                let value = self.eval(&op.expr, cx)?;
                if value.is_unknown() {
                    return Ok(value);
                }
                match op.operator.value() {
                    UnaryOperator::Neg => {
                        Kind::Number(-value.as_number().ok_or("`-` needs a number")?)
                    }
                    UnaryOperator::Not => Kind::Bool(!value.as_bool().ok_or("`!` needs a bool")?),
                }
            }
            Expression::BinaryOp(op) => {
                let lhs = self.eval(&op.lhs_expr, cx)?;
                let rhs = self.eval(&op.rhs_expr, cx)?;
                return binary(*op.operator.value(), lhs, rhs).map(|v| cx.at(v, expr.span()));
            }
            Expression::ForExpr(f) => return self.for_expr(f, cx),
        };
        Ok(Value::new(kind, origin()))
    }

    /// `templatefile(path, vars)`: the file (relative to the root module, as `file()`)
    /// rendered as a template that sees only `vars`, as Terraform renders it; a template
    /// that is one interpolation gives that value itself.
    fn templatefile(&self, args: &[Value], cx: &Cx, origin: Option<Loc>) -> Eval {
        let [path, vars] = args else {
            return Err("templatefile takes a path and a map of variables".into());
        };
        if cx.template {
            return Err(
                "cannot recursively call templatefile from inside another template function".into(),
            );
        }
        if let Some(unknown) = [path, vars].into_iter().find(|v| v.is_unknown()) {
            return Ok(unknown.clone());
        }
        let path = path
            .as_str()
            .ok_or("templatefile: the path must be a string")?;
        let vars = vars
            .as_map()
            .ok_or("templatefile: invalid vars value: must be a map")?;
        if let Some(name) = vars.keys().find(|name| !is_identifier(name)) {
            return Err(format!("templatefile: invalid template variable name {name:?}: must start with a letter, followed by zero or more letters, digits, and underscores"));
        }
        let file = functions::read_file(self.root, path)?;
        let Some(source) = file.origin.as_ref().map(|loc| Arc::clone(&loc.file)) else {
            return Ok(file); // too large to read: unknown
        };
        let template = hcl_edit::parser::parse_template(&source.text)
            .map_err(|e| format!("templatefile({path:?}): {}", e.message()))?;
        let bindings = vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let cx = Cx::template(&source, bindings);
        self.template(&template, &cx, origin, (false, false))
    }

    /// `try` returns its first argument that evaluates without error; `can` tells whether
    /// its argument does. An unknown argument makes the result unknown, as in Terraform.
    fn try_or_can<'e>(
        &self,
        name: &str,
        args: impl Iterator<Item = &'e Expression>,
        cx: &Cx,
        origin: Option<Loc>,
    ) -> Value {
        for arg in args {
            match self.eval(arg, cx) {
                Ok(v) if v.contains_unknown() => return v,
                Ok(v) if name == "try" => return v,
                Ok(_) => return Value::new(Kind::Bool(true), origin),
                Err(_) if name == "can" => return Value::new(Kind::Bool(false), origin),
                Err(_) => {}
            }
        }
        Value::unknown(Source::Function(name.to_string()))
    }

    /// A template's text. `~` beside a marker strips the white space of the literal next to
    /// it: `edges` says whether the markers around this template (a directive's body)
    /// strip its first literal's start and its last literal's end.
    fn template(
        &self,
        template: &Template,
        cx: &Cx,
        origin: Option<Loc>,
        edges: (bool, bool),
    ) -> Eval {
        let mut out = String::new();
        let mut previous: Option<&Element> = None;
        let mut elements = crate::hcl::elements(template).peekable();
        while let Some(element) = elements.next() {
            match element {
                Element::Literal(s) => {
                    let mut text = s.value().as_str();
                    if previous.map_or(edges.0, strips_after) {
                        text = text.trim_start();
                    }
                    if elements.peek().map_or(edges.1, |next| strips_before(next)) {
                        text = text.trim_end();
                    }
                    out.push_str(text);
                }
                Element::Interpolation(i) => {
                    let value = self.eval(&i.expr, cx)?;
                    if value.is_unknown() {
                        return Ok(value);
                    }
                    // A template made of one interpolation yields the value itself.
                    if template.len() == 1 {
                        return Ok(value);
                    }
                    out.push_str(
                        &value
                            .to_template_string()
                            .ok_or_else(|| format!("cannot interpolate a {}", value.type_name()))?,
                    );
                }
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(d) => {
                        let cond = self.eval(&d.if_expr.cond_expr, cx)?;
                        if cond.is_unknown() {
                            return Ok(cond);
                        }
                        let end = d.endif_expr.strip.strip_start();
                        let chosen = if cond.as_bool().ok_or("an if directive needs a bool")? {
                            let else_start = d.else_expr.as_ref().map(|e| e.strip.strip_start());
                            let edges = (d.if_expr.strip.strip_end(), else_start.unwrap_or(end));
                            Some((&d.if_expr.template, edges))
                        } else {
                            d.else_expr
                                .as_ref()
                                .map(|e| (&e.template, (e.strip.strip_end(), end)))
                        };
                        if let Some((t, edges)) = chosen {
                            let part = self.template(t, cx, None, edges)?;
                            if part.is_unknown() {
                                return Ok(part);
                            }
                            out.push_str(&part.to_template_string().unwrap_or_default());
                        }
                    }
                    Directive::For(d) => {
                        let f = &d.for_expr;
                        let collection = self.eval(&f.collection_expr, cx)?;
                        let Some(entries) = for_each_entries_any(&collection) else {
                            return Ok(collection.first_unknown().cloned().unwrap_or(collection));
                        };
                        for (key, value) in entries {
                            let mut inner = cx.bind(f.value_var.as_str(), value);
                            if let Some(k) = &f.key_var {
                                inner = inner.bind(k.as_str(), key);
                            }
                            let edges = (f.strip.strip_end(), d.endfor_expr.strip.strip_start());
                            let part = self.template(&f.template, &inner, None, edges)?;
                            if part.is_unknown() {
                                return Ok(part);
                            }
                            out.push_str(&part.to_template_string().unwrap_or_default());
                        }
                    }
                },
            }
            previous = Some(element);
        }
        Ok(Value::string(out, origin))
    }

    fn for_expr(&self, f: &hcl_edit::expr::ForExpr, cx: &Cx) -> Eval {
        let collection = self.eval(&f.intro.collection_expr, cx)?;
        let Some(entries) = for_each_entries_any(&collection) else {
            if collection.is_unknown() {
                return Ok(collection);
            }
            return Err(format!("cannot iterate over a {}", collection.type_name()));
        };
        let mut list = Vec::new();
        let mut map: Names<Value> = Names::default();
        let mut key_origins = foldhash::HashMap::default();
        for (key, value) in entries {
            let mut inner = cx.bind(f.intro.value_var.as_str(), value);
            if let Some(k) = &f.intro.key_var {
                inner = inner.bind(k.as_str(), key);
            }
            if let Some(cond) = &f.cond {
                let keep = self.eval(&cond.expr, &inner)?;
                if keep.is_unknown() {
                    return Ok(keep);
                }
                if !keep
                    .as_bool()
                    .ok_or("a for condition must be true or false")?
                {
                    continue;
                }
            }
            let value = self.eval(&f.value_expr, &inner)?;
            match &f.key_expr {
                None => list.push(value),
                Some(key_expr) => {
                    let key = self.eval(key_expr, &inner)?;
                    if key.is_unknown() {
                        return Ok(key);
                    }
                    let written = key.from.clone().or_else(|| key.origin.clone());
                    let key = key
                        .to_template_string()
                        .ok_or("a for key must be a string")?;
                    if let Some(written) = written {
                        key_origins.insert(key.clone(), written);
                    }
                    if f.grouping {
                        let entry = map
                            .entry(key)
                            .or_insert_with(|| Value::new(Kind::List(Vec::new()), None));
                        if let Kind::List(items) = &mut entry.kind {
                            items.push(value);
                        }
                    } else if map.insert(key.clone(), value).is_some() {
                        return Err(format!("duplicate key `{key}` in a for expression"));
                    }
                }
            }
        }
        let origin = cx.loc(f.span());
        Ok(match f.key_expr {
            None => Value::new(Kind::List(list), origin),
            Some(_) => Value {
                key_origins: Some(std::sync::Arc::new(key_origins)),
                ..Value::new(Kind::Object(map.into()), origin)
            },
        })
    }

    /// `apply_operators` on a value that stays where it is (a local's, a variable's or a
    /// module output's): its leading attributes and indexes are followed in place, and only
    /// what they select is copied. `local.users[each.key].groups` in a `for_each` of 800 instances copied the
    /// whole map for each, quadratic in time and past the root's value budget.
    pub(super) fn select(
        &self,
        base: &Value,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        cx: &Cx,
    ) -> Eval {
        let mut value = base;
        for (i, op) in ops.iter().enumerate() {
            let key = match op.value() {
                TraversalOperator::GetAttr(ident) => {
                    match value.as_map().and_then(|map| map.get(ident.as_str())) {
                        Some(entry) => {
                            value = entry;
                            continue;
                        }
                        None => return self.apply_operators(value.clone(), &ops[i..], cx),
                    }
                }
                TraversalOperator::Index(expr) => self.eval(expr, cx)?,
                TraversalOperator::LegacyIndex(n) => {
                    Value::new(Kind::Number(*n.value() as f64), None)
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    return self.apply_operators(value.clone(), &ops[i..], cx);
                }
            };
            match value.entry(&key) {
                Some(entry) => value = entry,
                None => return self.apply_operators(value.index(&key)?, &ops[i + 1..], cx),
            }
        }
        Ok(value.clone())
    }

    pub(super) fn apply_operators(
        &self,
        mut value: Value,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        cx: &Cx,
    ) -> Eval {
        for (i, op) in ops.iter().enumerate() {
            value = match op.value() {
                TraversalOperator::GetAttr(ident) => value.get_attr(ident.as_str())?,
                TraversalOperator::Index(expr) => value.index(&self.eval(expr, cx)?)?,
                TraversalOperator::LegacyIndex(n) => {
                    value.index(&Value::new(Kind::Number(*n.value() as f64), None))?
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let rest = &ops[i + 1..];
                    let items = match &value.kind {
                        Kind::Unknown(_) => return Ok(value),
                        Kind::Null => Vec::new(),
                        Kind::List(items) => items.clone(),
                        _ => vec![value.clone()],
                    };
                    let mapped = items
                        .into_iter()
                        .map(|item| self.apply_operators(item, rest, cx))
                        .collect::<Result<_, _>>()?;
                    return Ok(Value::new(Kind::List(mapped), value.origin));
                }
            };
        }
        Ok(value)
    }
}

/// A name HCL accepts as a variable: a letter or `_`, then letters, digits, `_` and `-`.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// Entries of any collection, as `for` expressions see them: list index or map key.
/// Whether a template element strips the white space at the end of the literal before it
/// (`${~`, `%{~ if`, `%{~ for`).
fn strips_before(element: &Element) -> bool {
    match element {
        Element::Literal(_) => false,
        Element::Interpolation(i) => i.strip.strip_start(),
        Element::Directive(d) => match d.as_ref() {
            Directive::If(d) => d.if_expr.strip.strip_start(),
            Directive::For(d) => d.for_expr.strip.strip_start(),
        },
    }
}

/// Whether a template element strips the white space at the start of the literal after it
/// (`~}` closing an interpolation, an `endif` or an `endfor`).
fn strips_after(element: &Element) -> bool {
    match element {
        Element::Literal(_) => false,
        Element::Interpolation(i) => i.strip.strip_end(),
        Element::Directive(d) => match d.as_ref() {
            Directive::If(d) => d.endif_expr.strip.strip_end(),
            Directive::For(d) => d.endfor_expr.strip.strip_end(),
        },
    }
}

fn for_each_entries_any(value: &Value) -> Option<Vec<(Value, Value)>> {
    match &value.kind {
        Kind::List(items) => Some(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| (Value::new(Kind::Number(i as f64), None), v.clone()))
                .collect(),
        ),
        Kind::Object(map) | Kind::Resource { attrs: map, .. } => Some(
            by_key(map)
                .into_iter()
                .map(|(k, v)| (Value::string(k.clone(), None), v.clone()))
                .collect(),
        ),
        _ => None,
    }
}

fn binary(op: BinaryOperator, lhs: Value, rhs: Value) -> Eval {
    use BinaryOperator::*;
    // Terraform short-circuits neither `&&` nor `||`, but a known `false &&` or `true ||`
    // decides the result even when the other side is unknown.
    match (op, lhs.as_bool(), rhs.as_bool()) {
        (And, Some(false), _) | (And, _, Some(false)) => {
            return Ok(Value::new(Kind::Bool(false), None))
        }
        (Or, Some(true), _) | (Or, _, Some(true)) => return Ok(Value::new(Kind::Bool(true), None)),
        _ => {}
    }
    if let Some(u) = lhs.first_unknown().or_else(|| rhs.first_unknown()) {
        return Ok(u.clone());
    }
    let number = |v: &Value| {
        v.as_number()
            .ok_or_else(|| format!("`{op:?}` needs numbers"))
    };
    let kind = match op {
        Eq => Kind::Bool(lhs.equals(&rhs) == Some(true)),
        NotEq => Kind::Bool(lhs.equals(&rhs) == Some(false)),
        Less => Kind::Bool(number(&lhs)? < number(&rhs)?),
        LessEq => Kind::Bool(number(&lhs)? <= number(&rhs)?),
        Greater => Kind::Bool(number(&lhs)? > number(&rhs)?),
        GreaterEq => Kind::Bool(number(&lhs)? >= number(&rhs)?),
        Plus => Kind::Number(number(&lhs)? + number(&rhs)?),
        Minus => Kind::Number(number(&lhs)? - number(&rhs)?),
        Mul => Kind::Number(number(&lhs)? * number(&rhs)?),
        Div => {
            let divisor = number(&rhs)?;
            if divisor == 0.0 {
                return Err("division by zero".into());
            }
            Kind::Number(number(&lhs)? / divisor)
        }
        Mod => {
            let divisor = number(&rhs)?;
            if divisor == 0.0 {
                return Err("division by zero".into());
            }
            Kind::Number(number(&lhs)? % divisor)
        }
        And | Or => {
            let (Some(l), Some(r)) = (lhs.as_bool(), rhs.as_bool()) else {
                return Err(format!("`{op:?}` needs bools"));
            };
            Kind::Bool(if matches!(op, And) { l && r } else { l || r })
        }
    };
    Ok(Value::new(kind, None))
}
