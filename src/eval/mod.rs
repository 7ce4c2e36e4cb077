//! Evaluate: Terraform's expression semantics over hcl-edit's syntax tree.
//!
//! hcl-rs ships an evaluator, but it stops at the first undefined variable. Terraform's static
//! view needs *unknown* values that propagate through every operation and remember their
//! source (`sym_target.x.id` is unknown before apply, yet it names the target), so the
//! evaluation is ours; parsing and spans are hcl-edit's.
//!
//! Evaluation is lazy and memoized per module instance: locals and resources are evaluated
//! when first referenced, and a reference back to something being evaluated is a cycle that
//! yields an unknown value instead of a loop.

pub mod functions;
#[cfg(test)]
mod tests;

use crate::load::{ModuleDir, Workspace};
use crate::provider;
use crate::source::{Loc, SourceFile};
pub use crate::value::{Kind, Source, Unknown, Value};
use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::structure::{Attribute, Block, Body as SyntaxBody};
use hcl_edit::template::{Directive, Element, Template};
use hcl_edit::Span;
use indexmap::IndexMap;
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

type Eval = Result<Value, String>;

/// How deep references may chain (local -> local -> resource ...) before evaluation gives up
/// with an unknown value; keeps hostile input from exhausting the stack.
const MAX_REFERENCE_DEPTH: usize = 200;

/// A block with its file, as declared.
#[derive(Clone, Copy)]
pub struct Decl<'m> {
    pub file: &'m Arc<SourceFile>,
    pub block: &'m Block,
}

impl<'m> Decl<'m> {
    /// Location of the block header (`resource "sym_target" "x"`).
    pub fn header_loc(&self) -> Loc {
        let start = self.block.ident.span().map_or(0, |s| s.start);
        let end = self
            .block
            .labels
            .last()
            .and_then(|l| l.span())
            .or_else(|| self.block.ident.span())
            .map_or(start, |s| s.end);
        Loc::new(self.file, start..end)
    }
}

/// Everything a module declares, by name. The first declaration wins; Terraform rejects
/// the configuration, and the `duplicate-declaration` rule reports the others.
#[derive(Default)]
pub struct Decls<'m> {
    /// Declarations of a name already declared: (address, where, where first).
    pub duplicates: Vec<(String, Loc, Loc)>,
    pub variables: IndexMap<String, Decl<'m>>,
    pub locals: IndexMap<String, (&'m Arc<SourceFile>, &'m Attribute)>,
    /// `type.name`
    pub resources: IndexMap<String, Decl<'m>>,
    /// `type.name` (without the `data.` prefix)
    pub data: IndexMap<String, Decl<'m>>,
    pub modules: IndexMap<String, Decl<'m>>,
    pub outputs: IndexMap<String, Decl<'m>>,
}

impl<'m> Decls<'m> {
    pub fn collect(module: &'m ModuleDir) -> Decls<'m> {
        let mut decls = Decls::default();
        for file in &module.files {
            let Ok(body) = &file.body else { continue };
            for block in body.blocks() {
                let decl = Decl {
                    file: &file.source,
                    block,
                };
                let label = |i: usize| block.labels.get(i).map(|l| l.as_str().to_string());
                match (block.ident.as_str(), label(0), label(1)) {
                    ("variable", Some(name), _) => {
                        declare(
                            &mut decls.variables,
                            "var.",
                            name,
                            decl,
                            &mut decls.duplicates,
                        );
                    }
                    ("resource", Some(kind), Some(name)) => {
                        let key = format!("{kind}.{name}");
                        declare(&mut decls.resources, "", key, decl, &mut decls.duplicates);
                    }
                    ("data", Some(kind), Some(name)) => {
                        let key = format!("{kind}.{name}");
                        declare(&mut decls.data, "data.", key, decl, &mut decls.duplicates);
                    }
                    ("module", Some(name), _) => {
                        declare(
                            &mut decls.modules,
                            "module.",
                            name,
                            decl,
                            &mut decls.duplicates,
                        );
                    }
                    ("output", Some(name), _) => {
                        declare(
                            &mut decls.outputs,
                            "output.",
                            name,
                            decl,
                            &mut decls.duplicates,
                        );
                    }
                    // A `check` block may declare a data source scoped to its assertions.
                    ("check", _, _) => {
                        for inner in block.body.get_blocks("data") {
                            if let [kind, name] = inner.labels.as_slice() {
                                let decl = Decl {
                                    file: &file.source,
                                    block: inner,
                                };
                                let key = format!("{}.{}", kind.as_str(), name.as_str());
                                declare(&mut decls.data, "data.", key, decl, &mut decls.duplicates);
                            }
                        }
                    }
                    ("locals", _, _) => {
                        for attr in block.body.attributes() {
                            let name = attr.key.as_str();
                            let loc = Loc::of(&file.source, attr.key.span());
                            match decls.locals.get(name) {
                                Some((first_file, first)) => decls.duplicates.push((
                                    format!("local.{name}"),
                                    loc,
                                    Loc::of(first_file, first.key.span()),
                                )),
                                None => {
                                    decls.locals.insert(name.to_string(), (&file.source, attr));
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        decls
    }
}

/// Records `decl` under `key` unless the name is taken, in which case it is a duplicate,
/// reported by the address `{prefix}{key}`.
fn declare<'m>(
    map: &mut IndexMap<String, Decl<'m>>,
    prefix: &str,
    key: String,
    decl: Decl<'m>,
    duplicates: &mut Vec<(String, Loc, Loc)>,
) {
    match map.get(&key) {
        Some(first) => duplicates.push((
            format!("{prefix}{key}"),
            decl.header_loc(),
            first.header_loc(),
        )),
        None => {
            map.insert(key, decl);
        }
    }
}

/// An evaluated attribute.
#[derive(Clone, Debug)]
pub struct Attr {
    pub value: Value,
    /// `key = expression`
    pub loc: Loc,
    /// the expression alone
    pub expr_loc: Loc,
}

/// An evaluated block body: attributes and nested blocks.
#[derive(Clone, Debug, Default)]
pub struct Body {
    pub attrs: IndexMap<String, Attr>,
    pub blocks: Vec<NestedBlock>,
    /// A `dynamic` block could not be expanded, so nested blocks may be missing.
    pub partial: bool,
}

#[derive(Clone, Debug)]
pub struct NestedBlock {
    pub kind: String,
    pub loc: Loc,
    pub body: Body,
}

impl Body {
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.get(name)
    }

    pub fn blocks<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a NestedBlock> + 'a {
        self.blocks.iter().filter(move |b| b.kind == kind)
    }

    fn to_value(&self) -> IndexMap<String, Value> {
        let mut map: IndexMap<String, Value> = self
            .attrs
            .iter()
            .map(|(k, a)| (k.clone(), a.value.clone()))
            .collect();
        for block in &self.blocks {
            let entry = map
                .entry(block.kind.clone())
                .or_insert_with(|| Value::new(Kind::List(Vec::new()), None));
            if let Kind::List(items) = &mut entry.kind {
                items.push(Value::new(Kind::Object(block.body.to_value()), None));
            }
        }
        map
    }
}

/// One instance of a resource: `sym_target.x`, `sym_target.x[0]` or `sym_target.x["k"]`.
#[derive(Clone, Debug)]
pub struct Instance {
    pub address: String,
    pub body: Body,
}

/// How a resource expands into instances.
#[derive(Clone, Debug)]
pub enum Expansion {
    Single,
    Count,
    ForEach,
    /// `count` or `for_each` is unknown: the instances cannot be known.
    Unknown,
}

#[derive(Clone, Debug)]
pub struct EvaluatedResource {
    pub expansion: Expansion,
    /// Shared: the evaluator's cache and the model hold the same instances.
    pub instances: Arc<[Instance]>,
}

enum Slot<T> {
    InProgress,
    Done(T),
}

/// A reference cycle found while evaluating: locals that depend on themselves, a module
/// that calls itself, a module input that needs the module's own output; or a chain of
/// references too long to follow.
#[derive(Clone, Debug)]
pub struct Cycle {
    pub loc: Loc,
    pub message: String,
}

/// Values for a root module's variables from outside the configuration, in Terraform's
/// precedence: `TF_VAR_*` < `terraform.tfvars` < `*.auto.tfvars` < `-var-file` and `-var`
/// in command-line order.
#[derive(Default)]
pub struct Inputs {
    /// `TF_VAR_name` environment variables, as (name, raw value).
    pub env: Vec<(String, String)>,
    pub args: Vec<VarArg>,
}

pub enum VarArg {
    /// `--var-file FILE`, parsed.
    File(crate::load::ParsedFile),
    /// `--var NAME=VALUE`
    Assign(String, String),
}

/// The instances of one module call.
pub struct ModuleInstances<'w> {
    pub expansion: Expansion,
    pub instances: Vec<Scope<'w>>,
}

/// Per-expression context: the file the expression is in and the names bound around it.
#[derive(Clone)]
struct Cx<'a> {
    file: &'a Arc<SourceFile>,
    bindings: Vec<(String, Value)>,
}

impl<'a> Cx<'a> {
    fn new(file: &'a Arc<SourceFile>) -> Cx<'a> {
        Cx {
            file,
            bindings: Vec::new(),
        }
    }

    fn bind(&self, name: &str, value: Value) -> Cx<'a> {
        let mut cx = self.clone();
        cx.bindings.push((name.to_string(), value));
        cx
    }

    fn lookup(&self, name: &str) -> Option<&Value> {
        self.bindings
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    fn loc(&self, span: Option<std::ops::Range<usize>>) -> Option<Loc> {
        Some(Loc::of(self.file, span))
    }
}

/// One module instance being evaluated: a root module, or a module call's instance.
pub struct Scope<'w> {
    workspace: &'w Workspace,
    pub module: &'w ModuleDir,
    /// The root module: `file()` paths are relative to it, as Terraform's working directory.
    root: &'w ModuleDir,
    pub decls: Decls<'w>,
    /// Address prefix of this instance: empty for a root, `module.flow.` for a child.
    pub prefix: String,
    variables: HashMap<String, Value>,
    /// `path.module` as Terraform gives it: relative to the root module, `.` for the root.
    path_module: String,
    /// Workspace indexes of the modules from the root to here, to catch recursion.
    stack: Vec<usize>,
    locals: RefCell<HashMap<String, Slot<Value>>>,
    resources: RefCell<HashMap<String, Slot<EvaluatedResource>>>,
    children: RefCell<HashMap<String, Slot<Rc<ModuleInstances<'w>>>>>,
    depth: Rc<RefCell<usize>>,
    pub cycles: RefCell<Vec<Cycle>>,
}

impl<'w> Scope<'w> {
    /// A root module with its variables bound from defaults, then `inputs` in Terraform's
    /// precedence; a variable with no value is unknown.
    pub fn root(workspace: &'w Workspace, index: usize, inputs: &Inputs) -> Scope<'w> {
        let module = &workspace.modules[index];
        let mut scope = Scope::new(
            workspace,
            index,
            module,
            String::new(),
            ".".into(),
            vec![index],
            Rc::default(),
        );
        let mut given: Vec<(String, Value)> = Vec::new();
        for (name, raw) in &inputs.env {
            given.push((
                name.clone(),
                scope.raw_variable(name, raw, &format!("TF_VAR_{name}")),
            ));
        }
        for file in &module.tfvars {
            given.extend(scope.tfvars_values(file));
        }
        for arg in &inputs.args {
            match arg {
                VarArg::File(file) => given.extend(scope.tfvars_values(file)),
                VarArg::Assign(name, raw) => given.push((
                    name.clone(),
                    scope.raw_variable(name, raw, &format!("--var {name}")),
                )),
            }
        }
        for (name, value) in given {
            // Values for variables this root does not declare belong to other roots.
            if scope.decls.variables.contains_key(&name) {
                scope.variables.insert(name, value);
            }
        }
        scope
    }

    fn new(
        workspace: &'w Workspace,
        index: usize,
        root: &'w ModuleDir,
        prefix: String,
        path_module: String,
        stack: Vec<usize>,
        depth: Rc<RefCell<usize>>,
    ) -> Scope<'w> {
        let module = &workspace.modules[index];
        let mut scope = Scope {
            workspace,
            module,
            root,
            decls: Decls::collect(module),
            prefix,
            variables: HashMap::new(),
            path_module,
            stack,
            locals: RefCell::default(),
            resources: RefCell::default(),
            children: RefCell::default(),
            depth,
            cycles: RefCell::default(),
        };
        let defaults: Vec<(String, Value)> = scope
            .decls
            .variables
            .iter()
            .map(|(name, decl)| {
                let value = match decl.block.body.get_attribute("default") {
                    Some(attr) => scope.eval_root(&attr.value, decl.file),
                    None => Value::unknown(Source::Variable(format!("{}var.{name}", scope.prefix))),
                };
                (name.clone(), value)
            })
            .collect();
        scope.variables.extend(defaults);
        scope
    }

    fn tfvars_values(&self, file: &crate::load::ParsedFile) -> Vec<(String, Value)> {
        let Ok(body) = &file.body else {
            return Vec::new();
        };
        body.attributes()
            .map(|attr| {
                (
                    attr.key.as_str().to_string(),
                    self.eval_root(&attr.value, &file.source),
                )
            })
            .collect()
    }

    /// A value given as text (`TF_VAR_x`, `--var x=...`): Terraform takes it literally for
    /// a primitive type, and parses it as an expression for a collection type.
    fn raw_variable(&self, name: &str, raw: &str, shown_as: &str) -> Value {
        let source = SourceFile::new(
            shown_as.to_string(),
            PathBuf::from(shown_as),
            raw.to_string(),
        );
        let type_ = self
            .decls
            .variables
            .get(name)
            .and_then(|d| d.block.body.get_attribute("type"));
        let primitive = type_.is_none_or(|t| {
            matches!(
                t.value.as_variable().map(|v| v.as_str()),
                Some("string" | "number" | "bool")
            )
        });
        if !primitive {
            if let Ok(expr) = hcl_edit::parser::parse_expr(raw) {
                return self.eval_root(&expr, &source);
            }
        }
        Value::string(raw, Some(Loc::new(&source, 0..raw.len())))
    }

    /// Evaluates an expression outside any iteration; errors become unknown values.
    pub fn eval_root(&self, expr: &Expression, file: &Arc<SourceFile>) -> Value {
        let cx = Cx::new(file);
        self.eval(expr, &cx)
            .unwrap_or_else(|message| Value::unknown(Source::Invalid(message)))
            .at(cx.loc(expr.span()))
    }

    /// Evaluates a `module` block's arguments (`source`, `version` and the inputs). Calls
    /// with `count` or `for_each` are evaluated per instance by `module_instances`.
    pub fn module_args(&self, decl: &Decl) -> Body {
        self.eval_body(
            &decl.block.body,
            &Cx::new(decl.file),
            Some(("module", false)),
        )
    }

    /// Evaluates a resource (or data source, with `data.` prefix) into its instances.
    pub fn resource(&self, address: &str) -> Option<EvaluatedResource> {
        let (decl, is_data) = match address.strip_prefix("data.") {
            Some(rest) => (*self.decls.data.get(rest)?, true),
            None => (*self.decls.resources.get(address)?, false),
        };
        if let Some(slot) = self.resources.borrow().get(address) {
            return match slot {
                Slot::Done(r) => Some(r.clone()),
                Slot::InProgress => None,
            };
        }
        if !self.enter() {
            self.record_too_deep(decl.header_loc(), address);
            return None;
        }
        self.resources
            .borrow_mut()
            .insert(address.to_string(), Slot::InProgress);
        let kind = decl.block.labels[0].as_str();
        let full_address = format!("{}{address}", self.prefix);
        let (expansion, instances) = self.expand(&full_address, decl, |address, cx| Instance {
            body: self.eval_body(&decl.block.body, cx, Some((kind, is_data))),
            address,
        });
        let evaluated = EvaluatedResource {
            expansion,
            instances: instances.into(),
        };
        self.resources
            .borrow_mut()
            .insert(address.to_string(), Slot::Done(evaluated.clone()));
        self.leave();
        Some(evaluated)
    }

    /// Expands a block by its `count` or `for_each` into instances made by `make`, each
    /// given its address and the context binding `count` or `each`.
    fn expand<T>(
        &self,
        address: &str,
        decl: Decl,
        make: impl Fn(String, &Cx) -> T,
    ) -> (Expansion, Vec<T>) {
        let cx = Cx::new(decl.file);
        let body = &decl.block.body;
        if let Some(count) = body.get_attribute("count") {
            let count = self.eval(&count.value, &cx).ok();
            let Some(n) = count.as_ref().and_then(Value::as_number) else {
                return (Expansion::Unknown, Vec::new());
            };
            let instances = (0..n.max(0.0) as usize)
                .map(|i| {
                    let index = Value::new(Kind::Number(i as f64), None);
                    let count =
                        Value::new(Kind::Object([("index".to_string(), index)].into()), None);
                    make(format!("{address}[{i}]"), &cx.bind("count", count))
                })
                .collect();
            return (Expansion::Count, instances);
        }
        if let Some(for_each) = body.get_attribute("for_each") {
            let collection = self.eval(&for_each.value, &cx).ok();
            let Some(entries) = collection.as_ref().and_then(for_each_entries) else {
                return (Expansion::Unknown, Vec::new());
            };
            let instances = entries
                .into_iter()
                .map(|(key, value)| {
                    let each = Value::new(
                        Kind::Object(
                            [
                                ("key".to_string(), Value::string(key.clone(), None)),
                                ("value".to_string(), value),
                            ]
                            .into(),
                        ),
                        None,
                    );
                    make(format!("{address}[{key:?}]"), &cx.bind("each", each))
                })
                .collect();
            return (Expansion::ForEach, instances);
        }
        (Expansion::Single, vec![make(address.to_string(), &cx)])
    }

    /// The value a reference to the resource yields: an instance, a list or a map of them.
    fn resource_value(&self, address: &str) -> Value {
        let Some(resource) = self.resource(address) else {
            return Value::unknown(Source::Cycle(format!("{}{address}", self.prefix)));
        };
        let kind = address
            .trim_start_matches("data.")
            .split('.')
            .next()
            .unwrap_or("");
        let instance_value = |i: &Instance| {
            let mut attrs = i.body.to_value();
            provider::add_known_attributes(kind, &mut attrs);
            Value::new(
                Kind::Resource {
                    address: Arc::from(i.address.as_str()),
                    attrs,
                },
                None,
            )
        };
        collect_instances(
            &resource.expansion,
            resource
                .instances
                .iter()
                .map(|i| (i.address.as_str(), instance_value(i))),
            || {
                Value::unknown(Source::Resource(Arc::from(format!(
                    "{}{address}",
                    self.prefix
                ))))
            },
        )
    }

    /// The instances of a local module call, evaluated once. `None` for a registry module,
    /// a missing directory, or a call that is part of a cycle.
    pub fn module_instances(&self, name: &str) -> Option<Rc<ModuleInstances<'w>>> {
        let decl = *self.decls.modules.get(name)?;
        let source = decl.block.body.get_attribute("source")?.value.as_str()?;
        let index = self.workspace.called_module(self.module, source)?;
        let call_loc = decl.header_loc();
        if self.stack.contains(&index) {
            self.record_cycle(call_loc, format!("module `{name}` calls `{source}`, which is already being evaluated: a module cannot call itself"));
            return None;
        }
        match self.children.borrow().get(name) {
            Some(Slot::Done(instances)) => return Some(Rc::clone(instances)),
            Some(Slot::InProgress) => {
                self.record_cycle(
                    call_loc,
                    format!("the inputs of module `{name}` depend on its own outputs"),
                );
                return None;
            }
            None => {}
        }
        if !self.enter() {
            self.record_too_deep(call_loc, &format!("module.{name}"));
            return None;
        }
        self.children
            .borrow_mut()
            .insert(name.to_string(), Slot::InProgress);
        let address = format!("{}module.{name}", self.prefix);
        let path_module = crate::load::display_path(&Path::new(&self.path_module).join(source));
        let mut stack = self.stack.clone();
        stack.push(index);
        let (expansion, instances) = self.expand(&address, decl, |address, cx| {
            let mut child = Scope::new(
                self.workspace,
                index,
                self.root,
                format!("{address}."),
                path_module.clone(),
                stack.clone(),
                Rc::clone(&self.depth),
            );
            let args = self.eval_body(&decl.block.body, cx, Some(("module", false)));
            for (key, attr) in args.attrs {
                if child.decls.variables.contains_key(&key) {
                    child.variables.insert(key, attr.value);
                }
            }
            child
        });
        let instances = Rc::new(ModuleInstances {
            expansion,
            instances,
        });
        self.children
            .borrow_mut()
            .insert(name.to_string(), Slot::Done(Rc::clone(&instances)));
        self.leave();
        Some(instances)
    }

    /// `module.NAME`: the outputs of a local module, or an unknown that names the call.
    fn module_value(&self, name: &str) -> Value {
        let address = format!("{}module.{name}", self.prefix);
        let Some(instances) = self.module_instances(name) else {
            return Value::unknown(Source::ModuleOutput(address));
        };
        collect_instances(
            &instances.expansion,
            instances.instances.iter().map(|child| {
                let outputs = child
                    .decls
                    .outputs
                    .iter()
                    .filter_map(|(name, decl)| {
                        let attr = decl.block.body.get_attribute("value")?;
                        Some((name.clone(), child.eval_root(&attr.value, decl.file)))
                    })
                    .collect();
                (
                    child.prefix.trim_end_matches('.'),
                    Value::new(Kind::Object(outputs), None),
                )
            }),
            || Value::unknown(Source::ModuleOutput(address.clone())),
        )
    }

    fn record_too_deep(&self, loc: Loc, what: &str) {
        self.record_cycle(
            loc,
            format!("`{what}` is reached through more than {MAX_REFERENCE_DEPTH} references in a row; symguard stops following the chain there, so what depends on it is unknown"),
        );
    }

    fn record_cycle(&self, loc: Loc, message: String) {
        let mut cycles = self.cycles.borrow_mut();
        if !cycles.iter().any(|c| c.message == message) {
            cycles.push(Cycle { loc, message });
        }
    }

    /// Evaluates a block body; `resource` names the resource type (or `module`) so that
    /// meta-arguments are left out.
    fn eval_body(&self, body: &SyntaxBody, cx: &Cx, resource: Option<(&str, bool)>) -> Body {
        let mut out = Body::default();
        for attr in body.attributes() {
            let key = attr.key.as_str();
            if resource.is_some() && provider::is_meta_argument(key) {
                continue;
            }
            let value = self
                .eval(&attr.value, cx)
                .unwrap_or_else(|message| Value::unknown(Source::Invalid(message)))
                .at(cx.loc(attr.value.span()));
            out.attrs.insert(
                key.to_string(),
                Attr {
                    value,
                    loc: Loc::of(cx.file, attr.span()),
                    expr_loc: Loc::of(cx.file, attr.value.span()),
                },
            );
        }
        for block in body.blocks() {
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
            block.body.get_blocks("content").next(),
        ) else {
            out.partial = true;
            return;
        };
        for (key, value) in entries {
            let item = Value::new(
                Kind::Object([("key".to_string(), key), ("value".to_string(), value)].into()),
                None,
            );
            out.blocks.push(NestedBlock {
                kind: label.clone(),
                loc: Loc::of(cx.file, block.ident.span()),
                body: self.eval_body(&content.body, &cx.bind(&iterator, item), None),
            });
        }
    }

    fn enter(&self) -> bool {
        let mut depth = self.depth.borrow_mut();
        *depth += 1;
        if *depth > MAX_REFERENCE_DEPTH {
            *depth -= 1;
            return false;
        }
        true
    }

    fn leave(&self) {
        *self.depth.borrow_mut() -= 1;
    }

    /// Evaluates every local, referenced or not, as Terraform does: a cycle among unused
    /// locals still stops `terraform plan`.
    pub fn evaluate_locals(&self) {
        for name in self.decls.locals.keys() {
            self.local(name);
        }
    }

    fn local(&self, name: &str) -> Value {
        let Some((file, attr)) = self.decls.locals.get(name) else {
            return Value::unknown(Source::Undeclared(format!("local.{name}")));
        };
        let in_progress = match self.locals.borrow().get(name) {
            Some(Slot::Done(v)) => return v.clone(),
            Some(Slot::InProgress) => true,
            None => false,
        };
        if in_progress {
            self.record_cycle(
                Loc::of(file, attr.span()),
                format!("`local.{name}` depends on itself"),
            );
            return Value::unknown(Source::Cycle(format!("local.{name}")));
        }
        if !self.enter() {
            self.record_too_deep(Loc::of(file, attr.span()), &format!("local.{name}"));
            return Value::unknown(Source::Cycle(format!("local.{name}")));
        }
        self.locals
            .borrow_mut()
            .insert(name.to_string(), Slot::InProgress);
        let value = self.eval_root(&attr.value, file);
        self.locals
            .borrow_mut()
            .insert(name.to_string(), Slot::Done(value.clone()));
        self.leave();
        value
    }

    fn eval(&self, expr: &Expression, cx: &Cx) -> Eval {
        let origin = cx.loc(expr.span());
        let kind = match expr {
            Expression::Null(_) => Kind::Null,
            Expression::Bool(b) => Kind::Bool(*b.value()),
            Expression::Number(n) => Kind::Number(n.value().as_f64().unwrap_or(f64::NAN)),
            Expression::String(s) => Kind::String(s.value().clone()),
            Expression::Array(items) => Kind::List(
                items
                    .iter()
                    .map(|e| Ok(self.eval(e, cx)?.at(cx.loc(e.span()))))
                    .collect::<Result<_, String>>()?,
            ),
            Expression::Object(object) => {
                let mut map = IndexMap::new();
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
                    map.insert(key, self.eval(expr, cx)?.at(cx.loc(expr.span())));
                }
                Kind::Object(map)
            }
            Expression::StringTemplate(t) => return self.template(t, cx, origin),
            Expression::HeredocTemplate(h) => return self.template(&h.template, cx, origin),
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
                return Ok(self.eval(branch, cx)?.at(cx.loc(branch.span())));
            }
            Expression::FuncCall(call) => {
                let name = call.name.name.as_str();
                if matches!(name, "try" | "can") {
                    return Ok(self.try_or_can(name, call.args.iter(), cx, origin));
                }
                let mut args = Vec::with_capacity(call.args.len());
                for (i, arg) in call.args.iter().enumerate() {
                    let value = self.eval(arg, cx)?.at(cx.loc(arg.span()));
                    if i + 1 == call.args.len() && call.args.expand_final() {
                        match &value.kind {
                            Kind::List(items) => args.extend(items.iter().cloned()),
                            _ => return Ok(Value::unknown(Source::Function(name.to_string()))),
                        }
                    } else {
                        args.push(value);
                    }
                }
                return functions::call(name, args, self.root, origin);
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
                return binary(*op.operator.value(), lhs, rhs).map(|v| v.at(origin));
            }
            Expression::ForExpr(f) => return self.for_expr(f, cx),
        };
        Ok(Value::new(kind, origin))
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

    fn template(&self, template: &Template, cx: &Cx, origin: Option<Loc>) -> Eval {
        let mut out = String::new();
        for element in template.iter() {
            match element {
                Element::Literal(s) => out.push_str(s.value()),
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
                        let chosen = if cond.as_bool().ok_or("an if directive needs a bool")? {
                            Some(&d.if_expr.template)
                        } else {
                            d.else_expr.as_ref().map(|e| &e.template)
                        };
                        if let Some(t) = chosen {
                            let part = self.template(t, cx, None)?;
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
                            let part = self.template(&f.template, &inner, None)?;
                            if part.is_unknown() {
                                return Ok(part);
                            }
                            out.push_str(&part.to_template_string().unwrap_or_default());
                        }
                    }
                },
            }
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
        let mut map: IndexMap<String, Value> = IndexMap::new();
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
                    let key = key
                        .to_template_string()
                        .ok_or("a for key must be a string")?;
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
            Some(_) => Value::new(Kind::Object(map), origin),
        })
    }

    /// A bare name: a `for` or iterator binding; anything else is not a value on its own.
    fn variable(&self, name: &str, cx: &Cx) -> Eval {
        if let Some(v) = cx.lookup(name) {
            return Ok(v.clone());
        }
        Ok(Value::unknown(Source::Undeclared(name.to_string())))
    }

    fn traversal(
        &self,
        root: &Expression,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        cx: &Cx,
    ) -> Eval {
        let attr = |i: usize| match ops.get(i).map(|o| o.value()) {
            Some(TraversalOperator::GetAttr(ident)) => Some(ident.as_str()),
            _ => None,
        };
        let (base, consumed) = match root {
            Expression::Variable(v) if cx.lookup(v.as_str()).is_none() => {
                match (v.as_str(), attr(0), attr(1)) {
                    ("var", Some(name), _) => (
                        self.variables.get(name).cloned().unwrap_or_else(|| {
                            Value::unknown(Source::Undeclared(format!("var.{name}")))
                        }),
                        1,
                    ),
                    ("local", Some(name), _) => (self.local(name), 1),
                    ("path", Some("module" | "root"), _) => {
                        (Value::string(self.path_module.clone(), None), 1)
                    }
                    ("path", Some("cwd"), _) => (Value::string(".", None), 1),
                    ("module", Some(name), _) => {
                        if self.decls.modules.contains_key(name) {
                            (self.module_value(name), 1)
                        } else {
                            (
                                Value::unknown(Source::Undeclared(format!("module.{name}"))),
                                1,
                            )
                        }
                    }
                    ("data", Some(kind), Some(name)) => {
                        let address = format!("data.{kind}.{name}");
                        if self.decls.data.contains_key(&format!("{kind}.{name}")) {
                            (self.resource_value(&address), 2)
                        } else {
                            (Value::unknown(Source::Undeclared(address)), 2)
                        }
                    }
                    (kind @ ("terraform" | "self" | "count" | "each"), _, _) => {
                        (Value::unknown(Source::Runtime(kind.to_string())), 0)
                    }
                    (kind, Some(name), _) => {
                        let address = format!("{kind}.{name}");
                        if self.decls.resources.contains_key(&address) {
                            (self.resource_value(&address), 1)
                        } else {
                            (Value::unknown(Source::Undeclared(address)), 1)
                        }
                    }
                    (name, None, _) => (Value::unknown(Source::Undeclared(name.to_string())), 0),
                }
            }
            other => (self.eval(other, cx)?, 0),
        };
        self.apply_operators(base, &ops[consumed..], cx)
    }

    fn apply_operators(
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

/// The value of an expanded block: the one instance, a list (`count`) or a map
/// (`for_each`) of them, or `unknown()` when the expansion is not known.
fn collect_instances<'a>(
    expansion: &Expansion,
    mut instances: impl Iterator<Item = (&'a str, Value)>,
    unknown: impl FnOnce() -> Value,
) -> Value {
    match expansion {
        Expansion::Single => instances.next().map_or_else(unknown, |(_, v)| v),
        Expansion::Count => Value::new(Kind::List(instances.map(|(_, v)| v).collect()), None),
        Expansion::ForEach => Value::new(
            Kind::Object(
                instances
                    .map(|(address, v)| (instance_key(address), v))
                    .collect(),
            ),
            None,
        ),
        Expansion::Unknown => unknown(),
    }
}

/// Key of a `for_each` instance address: `x["a"]` gives `a`.
fn instance_key(address: &str) -> String {
    address
        .rsplit_once("[\"")
        .map(|(_, k)| k.trim_end_matches("\"]").to_string())
        .unwrap_or_default()
}

/// `for_each` accepts a map or a set of strings.
fn for_each_entries(value: &Value) -> Option<Vec<(String, Value)>> {
    if value.contains_unknown() {
        return None;
    }
    match &value.kind {
        Kind::Object(map) => Some(map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        Kind::List(items) => items
            .iter()
            .map(|v| Some((v.to_template_string()?, v.clone())))
            .collect(),
        _ => None,
    }
}

/// Entries of any collection, as `for` expressions see them: list index or map key.
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
            map.iter()
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
