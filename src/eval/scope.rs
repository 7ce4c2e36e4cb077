//! Scope and references: one module instance being evaluated, its variables (defaults,
//! tfvars, `TF_VAR_*`, `--var`), locals and resources, memoized, and what `var.`, `local.`,
//! `module.`, `data.` and resource references resolve to; cycles and the limits on depth,
//! instances and values.

use super::instances::collect_instances;
use super::types::{convert, Type};
use super::{
    instances::{self, CallInProgress},
    Cx, Cycle, Decls, Eval, EvaluatedResource, Expansion, Inputs, Instance, ModuleInstances, Slot,
    VarArg, MAX_INSTANCES, MAX_REFERENCE_DEPTH,
};
use crate::load::{ModuleDir, Workspace};
use crate::provider;
use crate::source::{Loc, SourceFile};
use crate::value::{Kind, Source, Value};
use foldhash::HashMap;
use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::Span;
use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

/// What every module instance of one root's evaluation shares.
#[derive(Default)]
pub(super) struct RootShared<'w> {
    /// References being resolved, nested: bounded by `MAX_REFERENCE_DEPTH`.
    depth: RefCell<usize>,
    /// Instances made by `count` and `for_each` so far: bounded by `MAX_INSTANCES`.
    instances: std::cell::Cell<usize>,
    /// An expansion would have passed `MAX_INSTANCES`: nothing more is expanded.
    expansion_stopped: std::cell::Cell<bool>,
    /// The values made passed `value::VALUE_BUDGET`, and where that was recorded.
    budget_recorded: std::cell::Cell<bool>,
    /// Each module's declarations, by workspace index, collected once for the root.
    decls: RefCell<HashMap<usize, Arc<Decls<'w>>>>,
    /// The directory each local call names, by the caller's workspace index and the
    /// call's source (see `Scope::called_module`).
    pub(super) called: RefCell<HashMap<usize, HashMap<String, Option<usize>>>>,
}

/// One module instance being evaluated: a root module, or a module call's instance.
pub struct Scope<'w> {
    pub(super) workspace: &'w Workspace,
    pub module: &'w ModuleDir,
    /// The root module: `file()` paths are relative to it, as Terraform's working directory.
    pub(super) root: &'w ModuleDir,
    /// Shared by every instance of the module and with the rules (`Model::decls`): a
    /// module's declarations are collected once per root.
    pub decls: Arc<Decls<'w>>,
    /// Address prefix of this instance: empty for a root, `module.flow.` for a child.
    pub prefix: String,
    pub(super) variables: HashMap<String, Value>,
    /// `path.module` as Terraform gives it: relative to the root module, `.` for the root.
    pub(super) path_module: String,
    /// Workspace indexes of the modules from the root to here, to catch recursion.
    pub(super) stack: Vec<usize>,
    /// Evaluated locals, by their index in `decls.locals`: no name hashed or copied.
    locals: RefCell<Vec<Option<Slot<Rc<Value>>>>>,
    /// Evaluated resources by their index in `decls.resources`, then data sources by
    /// theirs after them.
    resources: RefCell<Vec<Option<Slot<EvaluatedResource>>>>,
    /// Evaluated outputs, by their index in `decls.outputs` (see `Scope::output`).
    outputs: RefCell<Vec<Option<Rc<Value>>>>,
    pub(super) children: RefCell<HashMap<String, Slot<Rc<ModuleInstances<'w>>>>>,
    pub(super) shared: Rc<RootShared<'w>>,
    pub cycles: RefCell<Vec<Cycle>>,
    /// The module calls whose inputs are being evaluated here, innermost last (see
    /// `module_instances`).
    pub(super) calls_in_progress: RefCell<Vec<CallInProgress>>,
    /// The locals and resources being evaluated, each with how many calls were in progress
    /// when it began.
    values_in_progress: RefCell<Vec<(InProgress, usize)>>,
    /// What a probe of a module output records (see `Scope::output_needs`); `None` outside
    /// a probe.
    pub(super) probe: Option<Probe>,
    /// Text values (`--var`, `TF_VAR_`) that do not convert to their variable's declared
    /// type: errors that stop Terraform before it plans.
    pub input_errors: Vec<String>,
}

impl<'w> Scope<'w> {
    /// A root module with its variables bound from defaults, then `inputs` in Terraform's
    /// precedence; a variable with no value is unknown.
    pub fn root(workspace: &'w Workspace, index: usize, inputs: &Inputs) -> Scope<'w> {
        crate::value::start_budget();
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
            let value = scope.raw_variable(name, raw, &format!("TF_VAR_{name}"));
            scope.given_text(&mut given, name, value);
        }
        for file in &module.tfvars {
            given.extend(scope.tfvars_values(file));
        }
        for arg in &inputs.args {
            match arg {
                VarArg::File(file) => given.extend(scope.tfvars_values(file)),
                VarArg::Assign(name, raw) => {
                    let value = scope.raw_variable(name, raw, &format!("--var {name}"));
                    scope.given_text(&mut given, name, value);
                }
            }
        }
        for (name, value) in given {
            scope.give(name, value);
        }
        scope
    }

    /// Gives the variable `name` a value from outside the module (tfvars, `TF_VAR_*`,
    /// `--var`, a module call's argument), converted to its type. A variable the module
    /// does not declare takes nothing (tfvars may serve other roots), and one declared
    /// `nullable = false` keeps its default when given null, as in Terraform.
    pub(super) fn give(&mut self, name: String, value: Value) {
        let Some(decl) = self.decls.variables.get(&name) else {
            return;
        };
        let not_nullable = decl
            .attribute("nullable")
            .is_some_and(|(_, a)| matches!(a.value, Expression::Bool(ref b) if !*b.value()));
        if value.is_null() && not_nullable {
            return;
        }
        let value = self.typed(&name, value);
        self.variables.insert(name, value);
    }

    pub(super) fn new(
        workspace: &'w Workspace,
        index: usize,
        root: &'w ModuleDir,
        prefix: String,
        path_module: String,
        stack: Vec<usize>,
        shared: Rc<RootShared<'w>>,
    ) -> Scope<'w> {
        let module = &workspace.modules[index];
        let decls = Arc::clone(
            shared
                .decls
                .borrow_mut()
                .entry(index)
                .or_insert_with(|| Arc::new(Decls::collect(module))),
        );
        let resources = decls.resources.len() + decls.data.len();
        let locals = decls.locals.len();
        let outputs = decls.outputs.len();
        let mut scope = Scope {
            workspace,
            module,
            root,
            decls,
            prefix,
            variables: HashMap::default(),
            path_module,
            stack,
            locals: RefCell::new(std::iter::repeat_with(|| None).take(locals).collect()),
            resources: RefCell::new(std::iter::repeat_with(|| None).take(resources).collect()),
            outputs: RefCell::new(vec![None; outputs]),
            children: RefCell::default(),
            shared,
            cycles: RefCell::default(),
            calls_in_progress: RefCell::default(),
            values_in_progress: RefCell::default(),
            probe: None,
            input_errors: Vec::new(),
        };
        let defaults: Vec<(String, Value)> = scope
            .decls
            .variables
            .iter()
            .map(|(name, decl)| {
                let value = match decl.attribute("default") {
                    Some((file, attr)) => scope.typed(name, scope.eval_root(&attr.value, file)),
                    None => Value::unknown(Source::Variable(format!("{}var.{name}", scope.prefix))),
                };
                (name.clone(), value)
            })
            .collect();
        scope.variables.extend(defaults);
        scope
    }

    /// `value` given to the variable `name`, converted to the variable's declared type as
    /// Terraform converts it (see `types`). A value that does not convert is unknown: it
    /// stops Terraform, so nothing can be said of what depends on it.
    pub(super) fn typed(&self, name: &str, value: Value) -> Value {
        match self.decls.variables.get(name) {
            Some(decl) => self.converted(decl, &format!("var.{name}"), value),
            None => value,
        }
    }

    /// `value` converted to the `type` the block declares (a variable's, or since Terraform
    /// 1.15 an output's, which its callers see converted); unknown when it does not convert.
    pub(super) fn converted(&self, decl: &super::Decl, shown_as: &str, value: Value) -> Value {
        let Some((file, declared)) = decl.attribute("type") else {
            return value;
        };
        let eval = |expr: &Expression| self.eval_root(expr, file);
        let Some(type_) = Type::parse(&declared.value, &eval) else {
            return value;
        };
        convert(value, &type_).unwrap_or_else(|message| {
            // The type as written, on one line: a message is no place for its layout.
            let written = declared.value.span().map_or("", |s| &file.text[s]);
            let written = written.split_whitespace().collect::<Vec<_>>().join(" ");
            Value::unknown(Source::Invalid(format!(
                "{shown_as} of type {written}: {message}"
            )))
        })
    }

    fn tfvars_values(&self, file: &crate::load::ParsedFile) -> Vec<(String, Value)> {
        let Ok(body) = &file.body else {
            return Vec::new();
        };
        if !file.json_vars.is_empty() {
            return file.json_vars.clone();
        }
        crate::hcl::attributes(body)
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
    /// A text value given for a variable, or the error that it does not convert.
    fn given_text(
        &mut self,
        given: &mut Vec<(String, Value)>,
        name: &str,
        value: Result<Value, String>,
    ) {
        match value {
            Ok(value) => given.push((name.to_string(), value)),
            Err(message) => self.input_errors.push(message),
        }
    }

    /// A `--var` or `TF_VAR_` text: converted to the variable's declared primitive type as
    /// Terraform converts it (`"true"`/`"1"` to a bool, a decimal to a number), parsed as an
    /// expression for a complex type, kept as text otherwise.
    fn raw_variable(&self, name: &str, raw: &str, shown_as: &str) -> Result<Value, String> {
        let source = SourceFile::new(
            shown_as.to_string(),
            PathBuf::from(shown_as),
            raw.to_string(),
        );
        let type_ = self
            .decls
            .variables
            .get(name)
            .and_then(|d| d.attribute("type").map(|(_, attr)| attr));
        let primitive = type_.is_none_or(|t| {
            matches!(
                t.value.as_variable().map(|v| v.as_str()),
                Some("string" | "number" | "bool")
            )
        });
        if !primitive {
            if let Ok(expr) = hcl_edit::parser::parse_expr(raw) {
                return Ok(self.eval_root(&expr, &source));
            }
        }
        let loc = Some(Loc::new(&source, 0..raw.len()));
        let declared = type_.and_then(|t| t.value.as_variable().map(|v| v.as_str()));
        let kind = match declared {
            Some("bool") => match raw {
                "true" | "1" => Kind::Bool(true),
                "false" | "0" => Kind::Bool(false),
                _ => return Err(self.unsuitable(name, raw, shown_as, "a bool is required")),
            },
            Some("number") => match raw.parse::<f64>() {
                Ok(n) if n.is_finite() => Kind::Number(n),
                _ => return Err(self.unsuitable(name, raw, shown_as, "a number is required")),
            },
            _ => Kind::String(raw.to_string()),
        };
        Ok(Value::new(kind, loc))
    }

    /// Terraform's "Invalid value for input variable", naming where the variable is declared.
    fn unsuitable(&self, name: &str, raw: &str, shown_as: &str, required: &str) -> String {
        let declared = self.decls.variables.get(name).map(|d| {
            let loc = d.header_loc();
            format!(" declared at {}:{}", loc.file.display, loc.start().0)
        });
        format!(
            "{shown_as}={raw}: invalid value for input variable `{name}`{}: {required}",
            declared.unwrap_or_default()
        )
    }

    /// Evaluates an expression outside any iteration; errors become unknown values.
    pub fn eval_root(&self, expr: &Expression, file: &Arc<SourceFile>) -> Value {
        let cx = Cx::new(file);
        let value = self
            .eval(expr, &cx)
            .unwrap_or_else(|message| Value::unknown(Source::Invalid(message)));
        cx.at(value, expr.span())
    }

    /// Evaluates a resource (or data source, with `data.` prefix) into its instances.
    pub fn resource(&self, address: &str) -> Option<EvaluatedResource> {
        let (index, decl, is_data) = match address.strip_prefix("data.") {
            Some(rest) => {
                let (i, _, decl) = self.decls.data.get_full(rest)?;
                (self.decls.resources.len() + i, decl, true)
            }
            None => {
                let (i, _, decl) = self.decls.resources.get_full(address)?;
                (i, decl, false)
            }
        };
        match &self.resources.borrow()[index] {
            Some(Slot::Done(r)) => {
                self.read_again(Memo::Resource(index));
                return Some(r.clone());
            }
            // Terraform's graph has a node per resource: a resource met again while it is
            // being evaluated depends on itself.
            Some(Slot::InProgress) => {
                if !self.defer_to_call(InProgress::Resource(index)) {
                    self.record_cycle(decl.header_loc(), format!("`{address}` depends on itself"));
                }
                return None;
            }
            None => {}
        }
        if !self.enter() {
            self.record_too_deep(decl.header_loc(), address);
            return None;
        }
        self.resources.borrow_mut()[index] = Some(Slot::InProgress);
        self.begin(InProgress::Resource(index));
        let kind = decl.block.labels[0].as_str();
        let full_address = [self.prefix.as_str(), address].concat();
        let mark = self.reads_so_far();
        let (expansion, instances) = self.expand(&full_address, decl, |address, cx| Instance {
            body: self.eval_decl(decl, cx, Some((kind, is_data))),
            address,
        });
        self.remember_reads(Memo::Resource(index), mark);
        let by_key = matches!(expansion, Expansion::ForEach).then(|| {
            let addresses = instances.iter().map(|i| i.address.as_str());
            Arc::new(instances::positions_by_key(addresses))
        });
        let evaluated = EvaluatedResource {
            expansion,
            instances: instances.into(),
            by_key,
        };
        self.values_in_progress.borrow_mut().pop();
        self.resources.borrow_mut()[index] = Some(Slot::Done(evaluated.clone()));
        self.leave();
        Some(evaluated)
    }

    /// What a reference to the resource yields, and how many of the operators `after` it
    /// that took: for `aws_iam_group.x.name` of a resource with one instance, that
    /// attribute alone, without building the whole instance; for `aws_iam_group.g[k]` (and
    /// `.name` after it) of a `count` or `for_each`, that instance alone, not the list or
    /// map of all of them, which a `for_each` of 600 targets each naming its group built
    /// 600 times, past the root's value budget; otherwise the whole value.
    fn resource_reference(
        &self,
        address: &str,
        after: &[hcl_edit::Decorated<TraversalOperator>],
        cx: &Cx,
    ) -> Result<(Value, usize), String> {
        let Some(resource) = self.resource(address) else {
            return Ok((
                Value::unknown(Source::Cycle([self.prefix.as_str(), address].concat())),
                0,
            ));
        };
        let kind = address
            .strip_prefix("data.")
            .unwrap_or(address)
            .split('.')
            .next()
            .unwrap_or("");
        let attr = |i: usize| match after.get(i).map(|o| o.value()) {
            Some(TraversalOperator::GetAttr(ident)) => Some(ident.as_str()),
            _ => None,
        };
        let key = match (&resource.expansion, after.first().map(|o| o.value())) {
            (Expansion::Single, _) => {
                if let (Some(instance), Some(name)) = (resource.instances.first(), attr(0)) {
                    return Ok((instance_attribute(kind, instance, name), 1));
                }
                None
            }
            (Expansion::Count | Expansion::ForEach, Some(TraversalOperator::Index(expr))) => {
                Some(self.eval(expr, cx)?)
            }
            (Expansion::Count | Expansion::ForEach, Some(TraversalOperator::LegacyIndex(n))) => {
                Some(Value::new(Kind::Number(*n.value() as f64), None))
            }
            _ => None,
        };
        let Some(key) = key else {
            return Ok((self.resource_value(kind, &resource, address), 0));
        };
        // The instance the whole value's index would give, found the same way.
        let instance = instances::pick(
            &resource.expansion,
            resource.by_key.as_deref(),
            &resource.instances,
            &key,
        );
        Ok(match (instance, attr(1)) {
            (Some(instance), Some(name)) => (instance_attribute(kind, instance, name), 2),
            (Some(instance), None) => (instance_value(kind, instance), 1),
            (None, _) => (
                self.resource_value(kind, &resource, address).index(&key)?,
                1,
            ),
        })
    }

    /// The value a reference to the resource yields: an instance, a list or a map of them.
    fn resource_value(&self, kind: &str, resource: &EvaluatedResource, address: &str) -> Value {
        collect_instances(
            &resource.expansion,
            resource
                .instances
                .iter()
                .map(|i| (i.address.as_str(), instance_value(kind, i))),
            || {
                Value::unknown(Source::Resource(Arc::from(format!(
                    "{}{address}",
                    self.prefix
                ))))
            },
        )
    }

    pub(super) fn record_too_deep(&self, loc: Loc, what: &str) {
        self.record(Cycle {
            loc,
            message: format!("`{what}` is reached through more than {MAX_REFERENCE_DEPTH} references in a row; symguard stops following the chain there, so what depends on it is unknown"),
            limit: true,
        });
    }

    pub(super) fn record_cycle(&self, loc: Loc, message: String) {
        self.record(Cycle {
            loc,
            message,
            limit: false,
        });
    }

    fn record(&self, cycle: Cycle) {
        let mut cycles = self.cycles.borrow_mut();
        if !cycles.iter().any(|c| c.message == cycle.message) {
            cycles.push(cycle);
        }
    }

    /// Whether the root's values passed `value::VALUE_BUDGET`: then nothing more is
    /// evaluated, and the first expression refused (at `loc`) is recorded.
    pub(super) fn over_budget(&self, loc: impl FnOnce() -> Loc) -> bool {
        if !crate::value::over_budget() {
            return false;
        }
        if !self.shared.budget_recorded.replace(true) {
            self.record(Cycle {
                loc: loc(),
                message: format!("evaluating this root made more than {} MiB of values: symguard evaluates nothing more in it, so what depends on this expression and on the rest is unknown", crate::value::VALUE_BUDGET >> 20),
                limit: true,
            });
        }
        true
    }

    /// Counts `n` more instances of `address` (declared at `loc`) against the root's
    /// `MAX_INSTANCES`. The first expansion that would pass it is recorded, and from then
    /// on nothing in the root is expanded, so one finding tells where evaluation stopped.
    pub(super) fn make_instances(&self, n: usize, address: &str, loc: Loc) -> bool {
        let shared = &self.shared;
        if shared.expansion_stopped.get() {
            return false;
        }
        let made = shared.instances.get().saturating_add(n);
        if made <= MAX_INSTANCES {
            shared.instances.set(made);
            return true;
        }
        shared.expansion_stopped.set(true);
        self.record(Cycle {
            loc,
            message: format!("`{address}` would make {n} more instances, which takes the root past {MAX_INSTANCES}: symguard expands nothing more in this root, so those instances and what depends on them are unknown"),
            limit: true,
        });
        false
    }

    pub(super) fn enter(&self) -> bool {
        let mut depth = self.shared.depth.borrow_mut();
        *depth += 1;
        if *depth > MAX_REFERENCE_DEPTH {
            *depth -= 1;
            return false;
        }
        true
    }

    pub(super) fn leave(&self) {
        *self.shared.depth.borrow_mut() -= 1;
    }

    /// Evaluates every local, referenced or not, as Terraform does: a cycle among unused
    /// locals still stops `terraform plan`.
    pub fn evaluate_locals(&self) {
        for name in self.decls.locals.keys() {
            self.local(name);
        }
    }

    pub(super) fn local(&self, name: &str) -> Value {
        Value::clone(&self.local_shared(name))
    }

    /// `local.NAME` as evaluated once for this module instance, shared rather than copied,
    /// so that a reference can take a part of it (see `Scope::select`).
    pub(super) fn local_shared(&self, name: &str) -> Rc<Value> {
        let Some((index, _, (file, attr))) = self.decls.locals.get_full(name) else {
            return Rc::new(Value::unknown(Source::Undeclared(format!("local.{name}"))));
        };
        let in_progress = match &self.locals.borrow()[index] {
            Some(Slot::Done(v)) => {
                self.read_again(Memo::Local(index));
                return Rc::clone(v);
            }
            Some(Slot::InProgress) => true,
            None => false,
        };
        let cycle = || Rc::new(Value::unknown(Source::Cycle(format!("local.{name}"))));
        if in_progress && self.defer_to_call(InProgress::Local(index)) {
            return cycle();
        }
        if in_progress {
            self.record_cycle(
                Loc::of(file, attr.span()),
                format!("`local.{name}` depends on itself"),
            );
            return cycle();
        }
        if !self.enter() {
            self.record_too_deep(Loc::of(file, attr.span()), &format!("local.{name}"));
            return cycle();
        }
        self.locals.borrow_mut()[index] = Some(Slot::InProgress);
        self.begin(InProgress::Local(index));
        let mark = self.reads_so_far();
        let value = Rc::new(self.eval_root(&attr.value, file));
        self.remember_reads(Memo::Local(index), mark);
        self.values_in_progress.borrow_mut().pop();
        self.locals.borrow_mut()[index] = Some(Slot::Done(Rc::clone(&value)));
        self.leave();
        value
    }

    /// The value of the output at `index` of `decls.outputs`, converted to its type,
    /// evaluated once per module instance: each reference to `module.NAME.OUTPUT` asks for
    /// the module's outputs, and evaluating them all again for every reference took 2.7 s
    /// for one directory of cloud-gov/cg-provision, whose outputs pass on other modules'.
    /// `None` for an output without a `value`.
    pub(super) fn output(&self, index: usize) -> Option<Rc<Value>> {
        if let Some(value) = &self.outputs.borrow()[index] {
            self.read_again(Memo::Output(index));
            return Some(Rc::clone(value));
        }
        let (name, decl) = self.decls.outputs.get_index(index)?;
        let (file, attr) = decl.attribute("value")?;
        let mark = self.reads_so_far();
        let value = self.eval_root(&attr.value, file);
        let value = Rc::new(self.converted(decl, &format!("{}output.{name}", self.prefix), value));
        self.remember_reads(Memo::Output(index), mark);
        self.outputs.borrow_mut()[index] = Some(Rc::clone(&value));
        Some(value)
    }

    /// Notes that `value` begins to be evaluated, and how many calls are in progress.
    fn begin(&self, value: InProgress) {
        let calls = self.calls_in_progress.borrow().len();
        self.values_in_progress.borrow_mut().push((value, calls));
    }

    /// Whether `value`, met again while it is being evaluated, began before a module call
    /// now in progress: then the way back to it leads through an input of that call, which
    /// needs it, and the output whose reference made the call. Terraform evaluates that
    /// output alone, so this is a cycle only if the output needs the input:
    /// `module_instances` probes it once the module is made (`CallInProgress`).
    fn defer_to_call(&self, value: InProgress) -> bool {
        let began = self
            .values_in_progress
            .borrow()
            .iter()
            .find(|(v, _)| *v == value)
            .map(|(_, calls)| *calls);
        let mut calls = self.calls_in_progress.borrow_mut();
        match began.filter(|&began| began < calls.len()) {
            Some(began) => instances::needs_requested_output(&mut calls, began),
            None => false,
        }
    }

    /// A bare name: a `for` or iterator binding; anything else is not a value on its own.
    pub(super) fn variable(&self, name: &str, cx: &Cx) -> Eval {
        if let Some(v) = cx.lookup(name) {
            return Ok(v.clone());
        }
        if cx.template {
            return Err(not_in_vars(name));
        }
        Ok(Value::unknown(Source::Undeclared(name.to_string())))
    }

    pub(super) fn traversal(
        &self,
        root: &Expression,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        cx: &Cx,
    ) -> Eval {
        let attr = |i: usize| match ops.get(i).map(|o| o.value()) {
            Some(TraversalOperator::GetAttr(ident)) => Some(ident.as_str()),
            _ => None,
        };
        // A managed resource `kind.name` whose name is operator `at` (after the root): its
        // value, and how many operators it took.
        let managed = |kind: &str, name: &str, at: usize| {
            let address = [kind, ".", name].concat();
            if !self.decls.resources.contains_key(&address) {
                return Ok::<_, String>((Value::unknown(Source::Undeclared(address)), at + 1));
            }
            let (value, taken) = self.resource_reference(&address, &ops[at + 1..], cx)?;
            Ok((value, at + 1 + taken))
        };
        let (base, consumed) = match root {
            Expression::Variable(v) if cx.template && cx.lookup(v.as_str()).is_none() => {
                return Err(not_in_vars(v.as_str()));
            }
            Expression::Variable(v) if cx.lookup(v.as_str()).is_none() => {
                match (v.as_str(), attr(0), attr(1)) {
                    ("var", Some(name), _) => {
                        self.read_variable(name);
                        match self.variables.get(name) {
                            Some(value) => return self.select(value, &ops[1..], cx),
                            None => (Value::unknown(Source::Undeclared(format!("var.{name}"))), 1),
                        }
                    }
                    ("local", Some(name), _) => {
                        return self.select(&self.local_shared(name), &ops[1..], cx)
                    }
                    ("path", Some("module" | "root"), _) => {
                        (Value::string(self.path_module.clone(), None), 1)
                    }
                    ("path", Some("cwd"), _) => (Value::string(".", None), 1),
                    ("module", Some(name), _) => {
                        if self.decls.modules.contains_key(name) {
                            return self.module_value(name, &ops[1..], cx);
                        } else {
                            (
                                Value::unknown(Source::Undeclared(format!("module.{name}"))),
                                1,
                            )
                        }
                    }
                    ("data", Some(kind), Some(name)) => {
                        let address = ["data.", kind, ".", name].concat();
                        if self.decls.data.contains_key(&address["data.".len()..]) {
                            let (value, taken) =
                                self.resource_reference(&address, &ops[2..], cx)?;
                            (value, 2 + taken)
                        } else {
                            (Value::unknown(Source::Undeclared(address)), 2)
                        }
                    }
                    ("ephemeral", Some(kind), Some(name)) => {
                        let address = ["ephemeral.", kind, ".", name].concat();
                        let source = match self
                            .decls
                            .ephemeral
                            .contains_key(&address["ephemeral.".len()..])
                        {
                            true => Source::Runtime(address),
                            false => Source::Undeclared(address),
                        };
                        (Value::unknown(source), 2)
                    }
                    // `resource.TYPE.NAME` is Terraform's long form of `TYPE.NAME`.
                    ("resource", Some(kind), Some(name)) => managed(kind, name, 1)?,
                    (kind @ ("terraform" | "self" | "count" | "each"), _, _) => {
                        (Value::unknown(Source::Runtime(kind.to_string())), 0)
                    }
                    (kind, Some(name), _) => managed(kind, name, 0)?,
                    (name, None, _) => (Value::unknown(Source::Undeclared(name.to_string())), 0),
                }
            }
            other => (self.eval(other, cx)?, 0),
        };
        self.apply_operators(base, &ops[consumed..], cx)
    }
}

/// A local (by index in `decls.locals`) or a resource (by index in `Scope::resources`)
/// being evaluated.
#[derive(Clone, Copy, PartialEq)]
enum InProgress {
    Local(usize),
    Resource(usize),
}

/// What a probe of a module output records: the variables of the probed module that
/// evaluating the output reads, through every module made on the way.
#[derive(Default)]
pub(super) struct Probe {
    /// The probed module's variables read so far, shared by the modules made in the probe.
    read: Rc<RefCell<Vec<String>>>,
    /// In a module made in the probe: for each of its variables, the probed module's
    /// variables its input read; `None` in the probed module itself.
    through: Option<HashMap<String, Vec<String>>>,
    /// What each memoized value read when it was evaluated, so that a use of the memo
    /// reads it again: each input of a call made in the probe counts only what it reads.
    memo: RefCell<HashMap<Memo, Vec<String>>>,
}

#[derive(PartialEq, Eq, Hash)]
pub(super) enum Memo {
    Local(usize),
    Resource(usize),
    Output(usize),
    Call(String),
}

impl Probe {
    /// The probe of a module made in this one, whose inputs read `through`.
    pub(super) fn through(&self, through: HashMap<String, Vec<String>>) -> Probe {
        Probe {
            read: Rc::clone(&self.read),
            through: Some(through),
            memo: RefCell::default(),
        }
    }

    pub(super) fn has_read(&self, variable: &str) -> bool {
        self.read.borrow().iter().any(|read| read == variable)
    }
}

impl Scope<'_> {
    /// In a probe: notes that `var.name` is read.
    fn read_variable(&self, name: &str) {
        let Some(probe) = &self.probe else { return };
        let mut read = probe.read.borrow_mut();
        match &probe.through {
            Some(through) => read.extend(through.get(name).into_iter().flatten().cloned()),
            None => read.push(name.to_string()),
        }
    }

    /// In a probe: a mark of the reads so far, for `remember_reads` or `reads_since`.
    pub(super) fn reads_so_far(&self) -> usize {
        self.probe
            .as_ref()
            .map_or(0, |probe| probe.read.borrow().len())
    }

    /// In a probe: takes back the reads since `mark` (what one input of a call read).
    pub(super) fn reads_since(&self, mark: usize) -> Vec<String> {
        self.probe.as_ref().map_or_else(Vec::new, |probe| {
            let mut read = probe.read.borrow_mut();
            let mark = mark.min(read.len());
            read.split_off(mark)
        })
    }

    /// In a probe: remembers what `value` read since `mark`.
    pub(super) fn remember_reads(&self, value: Memo, mark: usize) {
        if let Some(probe) = &self.probe {
            let read = probe.read.borrow();
            let since = read[mark.min(read.len())..].to_vec();
            probe.memo.borrow_mut().insert(value, since);
        }
    }

    /// In a probe: a memoized value used again reads again what it read.
    pub(super) fn read_again(&self, value: Memo) {
        if let Some(probe) = &self.probe {
            if let Some(again) = probe.memo.borrow().get(&value) {
                probe.read.borrow_mut().extend(again.iter().cloned());
            }
        }
    }
}

/// Terraform's refusal of a name a `templatefile` template uses but its `vars` do not give.
fn not_in_vars(name: &str) -> String {
    format!("templatefile: vars map does not contain key `{name}`")
}

/// An instance's whole value: its attributes, with those its provider derives.
fn instance_value(kind: &str, instance: &Instance) -> Value {
    let mut attrs = instance.body.to_value();
    provider::add_known_attributes(kind, &mut attrs);
    Value::new(
        Kind::Resource {
            address: Arc::from(instance.address.as_str()),
            attrs: attrs.into(),
        },
        None,
    )
}

/// `instance.name` as the instance's whole value would give it (`Value::get_attr` of a
/// `Kind::Resource`): declared, derived by the provider, or computed at apply time.
fn instance_attribute(kind: &str, instance: &Instance, name: &str) -> Value {
    instance
        .body
        .value_of(name)
        .or_else(|| {
            provider::known_attribute(kind, name, |declared| instance.body.value_of(declared))
        })
        .unwrap_or_else(|| Value::computed(Arc::from(instance.address.as_str()), name))
}
