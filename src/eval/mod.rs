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
//!
//! The evaluator's parts: `decls` (what a module declares, by name), `scope` (a module
//! instance and what its references resolve to), `expr` (expressions, templates and block
//! bodies), `instances` (module calls, and `count`/`for_each` expansion), `functions` and
//! `format` (Terraform's functions and `format`'s syntax), `types` (variables' type
//! constraints).

mod decls;
mod expr;
mod format;
pub mod functions;
mod instances;
mod scope;
#[cfg(test)]
mod tests;
mod types;

use crate::source::{Loc, SourceFile};
use crate::value::Names;
pub use crate::value::{Kind, Source, Unknown, Value};
pub use decls::{Decl, Decls};
pub use scope::Scope;
use std::sync::Arc;

type Eval = Result<Value, String>;

/// How deep references may chain (local -> local -> resource ...) before evaluation gives up
/// with an unknown value; keeps hostile input from exhausting the stack.
const MAX_REFERENCE_DEPTH: usize = 200;

/// How many resource and module instances `count` and `for_each` may make in one root
/// before evaluation gives up on the next expansion with unknown instances. A `count` is a
/// number: without a bound, `count = 100000000` (or a module of 1,000 instances each
/// expanding into 1,000) would take minutes and every byte of the machine's memory, at
/// about 700 bytes an instance. Sym configurations have hundreds.
const MAX_INSTANCES: usize = 100_000;

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
    pub attrs: Names<Attr>,
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

    /// One entry of `to_value`, without building the others: the attribute, with the nested
    /// blocks of that name appended when it is a list; or the blocks alone.
    fn value_of(&self, name: &str) -> Option<Value> {
        let mut blocks = self
            .blocks(name)
            .map(|b| Value::new(Kind::Object(b.body.to_value().into()), None))
            .peekable();
        let mut value = match self.attrs.get(name) {
            Some(attr) => attr.value.clone(),
            None if blocks.peek().is_some() => Value::new(Kind::List(Vec::new()), None),
            None => return None,
        };
        if let Kind::List(items) = &mut value.kind {
            items.extend(blocks);
        }
        Some(value)
    }

    fn to_value(&self) -> Names<Value> {
        let mut map: Names<Value> = self
            .attrs
            .iter()
            .map(|(k, a)| (k.clone(), a.value.clone()))
            .collect();
        for block in &self.blocks {
            let entry = map
                .entry(block.kind.clone())
                .or_insert_with(|| Value::new(Kind::List(Vec::new()), None));
            if let Kind::List(items) = &mut entry.kind {
                items.push(Value::new(Kind::Object(block.body.to_value().into()), None));
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
    /// For `for_each`, each instance's position by its key: a reference by key
    /// (`aws_iam_group.g[each.key]` in another `for_each` of N instances) finds its
    /// instance without reading N addresses. `None` for other expansions, which most
    /// resources are: no map to make and free for each.
    pub by_key: Option<Arc<foldhash::HashMap<String, usize>>>,
}

enum Slot<T> {
    InProgress,
    Done(T),
}

/// A reference cycle found while evaluating: locals that depend on themselves, a module
/// that calls itself, a module input that needs the module's own output; or where one of
/// symguard's limits stopped evaluation: a chain of references too long to follow, an
/// expansion too large to make.
#[derive(Clone, Debug)]
pub struct Cycle {
    pub loc: Loc,
    pub message: String,
    /// One of symguard's limits, not a cycle in the configuration.
    pub limit: bool,
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
    /// For `for_each`, each instance's position by its key (see `EvaluatedResource`).
    pub by_key: Option<foldhash::HashMap<String, usize>>,
}

/// Per-expression context: the file the expression is in and the names bound around it.
#[derive(Clone)]
pub(super) struct Cx<'a> {
    pub(super) file: &'a Arc<SourceFile>,
    bindings: Vec<(String, Value)>,
    /// Inside a `templatefile` template: names resolve only to the bindings (its `vars`
    /// and its own `for` variables), as Terraform allows, never to the module.
    pub(super) template: bool,
}

impl<'a> Cx<'a> {
    pub(super) fn new(file: &'a Arc<SourceFile>) -> Cx<'a> {
        Cx {
            file,
            bindings: Vec::new(),
            template: false,
        }
    }

    /// The context of a `templatefile` template in `file`, given only `vars`.
    pub(super) fn template(file: &'a Arc<SourceFile>, vars: Vec<(String, Value)>) -> Cx<'a> {
        Cx {
            file,
            bindings: vars,
            template: true,
        }
    }

    /// The same bindings, in another file: an override's part of a merged block.
    pub(super) fn in_file<'b>(&self, file: &'b Arc<SourceFile>) -> Cx<'b>
    where
        'a: 'b,
    {
        Cx {
            file,
            bindings: self.bindings.clone(),
            template: self.template,
        }
    }

    pub(super) fn bind(&self, name: &str, value: Value) -> Cx<'a> {
        let mut cx = self.clone();
        cx.bindings.push((name.to_string(), value));
        cx
    }

    pub(super) fn lookup(&self, name: &str) -> Option<&Value> {
        self.bindings
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    pub(super) fn loc(&self, span: Option<std::ops::Range<usize>>) -> Option<Loc> {
        Some(Loc::of(self.file, span))
    }

    /// `value` as used by the expression at `span` of this file (see `Value::at`).
    pub(super) fn at(&self, value: Value, span: Option<std::ops::Range<usize>>) -> Value {
        value.at(self.file, span.unwrap_or(0..0))
    }
}
