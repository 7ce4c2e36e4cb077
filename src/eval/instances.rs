//! Module instances and expansion: a module call's instances (with their inputs bound), its
//! outputs as a value, and the `count`/`for_each` expansion shared by resources and modules.

use super::scope::{Memo, Probe};
use super::Cx;
use super::{Body, Decl, Eval, Expansion, ModuleInstances, Scope, Slot};
use crate::provider;
use crate::source::Loc;
use crate::value::{by_key, Kind, Names, Source, Value};
use hcl_edit::expr::TraversalOperator;
use hcl_edit::Span;
use std::borrow::Cow;
use std::path::Path;
use std::rc::Rc;

impl<'w> Scope<'w> {
    /// Evaluates a `module` block's arguments (`source`, `version` and the inputs). Calls
    /// with `count` or `for_each` are evaluated per instance by `module_instances`.
    pub fn module_args(&self, decl: &Decl) -> Body {
        self.eval_decl(decl, &Cx::new(decl.file), Some(("module", false)))
    }

    /// A module call's `source`: the literal as written, or (Terraform 1.15) the string a
    /// computed one evaluates to; `None` when that is not known. A computed local source
    /// names a loaded directory once the workspace has followed it (`Workspace::follow_computed`).
    pub fn module_source(&self, decl: &Decl<'w>) -> Option<std::borrow::Cow<'w, str>> {
        let (file, source) = decl.attribute("source")?;
        if let Some(literal) = source.value.as_str() {
            return Some(literal.into());
        }
        let value = self.eval_root(&source.value, file);
        value.as_str().map(|s| s.to_string().into())
    }

    /// Expands a block by its `count` or `for_each` into instances made by `make`, each
    /// given its address and the context binding `count` or `each`.
    pub(super) fn expand<T>(
        &self,
        address: &str,
        decl: &Decl,
        make: impl Fn(String, &Cx) -> T,
    ) -> (Expansion, Vec<T>) {
        let cx = Cx::new(decl.file);
        if let Some((file, count)) = decl.attribute("count") {
            let count = self.eval(&count.value, &Cx::new(file)).ok();
            let Some(n) = count.as_ref().and_then(Value::as_number) else {
                return (Expansion::Unknown, Vec::new());
            };
            let n = n.max(0.0) as usize;
            if !self.make_instances(n, address, decl.header_loc()) {
                return (Expansion::Unknown, Vec::new());
            }
            let instances = (0..n)
                .map(|i| {
                    let index = Value::new(Kind::Number(i as f64), None);
                    let count = Value::new(
                        Kind::Object(Names::from_iter([("index".to_string(), index)]).into()),
                        None,
                    );
                    make(format!("{address}[{i}]"), &cx.bind("count", count))
                })
                .collect();
            return (Expansion::Count, instances);
        }
        if let Some((file, for_each)) = decl.attribute("for_each") {
            let collection = self.eval(&for_each.value, &Cx::new(file)).ok();
            let Some(entries) = collection.as_ref().and_then(for_each_entries) else {
                return (Expansion::Unknown, Vec::new());
            };
            if !self.make_instances(entries.len(), address, decl.header_loc()) {
                return (Expansion::Unknown, Vec::new());
            }
            let instances = entries
                .into_iter()
                .map(|(key, value, written)| {
                    let key_value = Value {
                        from: written,
                        ..Value::string(key.clone(), None)
                    };
                    let each = Value::new(
                        Kind::Object(
                            Names::from_iter([
                                ("key".to_string(), key_value),
                                ("value".to_string(), value),
                            ])
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

    /// The instances of a local module call, evaluated once. `None` for a registry module,
    /// a missing directory, or a call that is part of a cycle.
    pub fn module_instances(&self, name: &str) -> Option<Rc<ModuleInstances<'w>>> {
        self.instances_of_call(name, None)
    }

    /// The workspace index of the directory a local call of this module names, resolved
    /// once per root: resolving asks the file system (`canonicalize`, a `readlink` for
    /// each part of the path), and every reference to a module's outputs asks again, as
    /// do the probes of which inputs an output needs. Fourteen calls feeding each other's
    /// outputs made 900,000 `readlink`s and 2.7 s in cloud-gov/cg-provision.
    fn called_module(&self, source: &str) -> Option<usize> {
        let caller = *self.stack.last()?;
        let mut called = self.shared.called.borrow_mut();
        let by_source = called.entry(caller).or_default();
        if let Some(&index) = by_source.get(source) {
            return index;
        }
        let index = self.workspace.called_module(self.module, source);
        by_source.insert(source.to_string(), index);
        index
    }

    /// `module_instances`, made for a reference to the module's output `requested`
    /// (`None`: the whole module, or no reference).
    fn instances_of_call(
        &self,
        name: &str,
        requested: Option<&str>,
    ) -> Option<Rc<ModuleInstances<'w>>> {
        let decl = self.decls.modules.get(name)?;
        let source = self.module_source(decl)?;
        let source = source.as_ref();
        let index = self.called_module(source)?;
        let call_loc = decl.header_loc();
        if self.stack.contains(&index) {
            self.record_cycle(call_loc, format!("module `{name}` calls `{source}`, which is already being evaluated: a module cannot call itself"));
            return None;
        }
        match self.children.borrow().get(name) {
            Some(Slot::Done(instances)) => {
                if self.probe.is_some() {
                    self.read_again(Memo::Call(name.to_string()));
                }
                return Some(Rc::clone(instances));
            }
            // An input's reference to the module's outputs is taken up by `module_value`;
            // what is left is the `count` or `for_each` of the call.
            Some(Slot::InProgress) => {
                self.record_cycle(
                    call_loc,
                    format!(
                        "the `count` or `for_each` of module `{name}` depends on its own outputs"
                    ),
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
        self.calls_in_progress.borrow_mut().push(CallInProgress {
            module: name.to_string(),
            requested: requested.map(str::to_string),
            input: None,
            own_outputs: Vec::new(),
        });
        let address = format!("{}module.{name}", self.prefix);
        let path_module = crate::load::display_path(&Path::new(&self.path_module).join(source));
        let mut stack = self.stack.clone();
        stack.push(index);
        let mark = self.reads_so_far();
        let (expansion, instances) = self.expand(&address, decl, |address, cx| {
            let mut child = Scope::new(
                self.workspace,
                index,
                self.root,
                format!("{address}."),
                path_module.clone(),
                stack.clone(),
                Rc::clone(&self.shared),
            );
            self.give_inputs(&mut child, decl, cx);
            child
        });
        if self.probe.is_some() {
            self.remember_reads(Memo::Call(name.to_string()), mark);
        }
        let call = self.calls_in_progress.borrow_mut().pop();
        for own in call.into_iter().flat_map(|c| c.own_outputs) {
            let through_others = own.through.iter().all(|link| self.call_needs(link));
            let needs_input = instances
                .iter()
                .any(|child| child.output_needs(own.output.as_deref(), &own.input));
            if needs_input && through_others {
                let output = match &own.output {
                    Some(output) => format!("output `{output}`"),
                    None => "outputs".to_string(),
                };
                self.record_cycle(
                    own.loc,
                    format!("the input `{}` of module `{name}` needs the module's {output}, which needs `var.{}`", own.input, own.input),
                );
            }
        }
        let by_key = matches!(expansion, Expansion::ForEach).then(|| {
            positions_by_key(
                instances
                    .iter()
                    .map(|child| child.prefix.trim_end_matches('.')),
            )
        });
        let instances = Rc::new(ModuleInstances {
            expansion,
            instances,
            by_key,
        });
        if let Some(slot) = self.children.borrow_mut().get_mut(name) {
            *slot = Slot::Done(Rc::clone(&instances));
        }
        self.leave();
        Some(instances)
    }

    /// Evaluates a module call's inputs into `child`'s variables, one by one, noting in
    /// `calls_in_progress` which one is at hand. In a probe, each input's reads count only
    /// where the child reads its variable.
    fn give_inputs(&self, child: &mut Scope<'w>, decl: &Decl, cx: &Cx) {
        let mut through = foldhash::HashMap::default();
        for (file, attr) in decl.merged().attrs {
            let key = attr.key.as_str();
            if provider::is_meta_argument(key) {
                continue;
            }
            if let Some(call) = self.calls_in_progress.borrow_mut().last_mut() {
                call.input = Some((key.to_string(), Loc::of(file, attr.span())));
            }
            let cx = cx.in_file(file);
            let mark = self.reads_so_far();
            let value = self
                .eval(&attr.value, &cx)
                .unwrap_or_else(|message| Value::unknown(Source::Invalid(message)));
            if self.probe.is_some() {
                through.insert(key.to_string(), self.reads_since(mark));
            }
            child.give(key.to_string(), cx.at(value, attr.value.span()));
        }
        child.probe = self.probe.as_ref().map(|probe| probe.through(through));
    }

    /// Whether evaluating this module instance's `output` (every output, for `None`) reads
    /// `var.input`: evaluated again in a scope of its own, with the same variables, so
    /// that nothing evaluated before hides a read.
    fn output_needs(&self, output: Option<&str>, input: &str) -> bool {
        let index = *self
            .stack
            .last()
            .expect("a scope's own module is on its stack");
        let mut probe = Scope::new(
            self.workspace,
            index,
            self.root,
            self.prefix.clone(),
            self.path_module.clone(),
            self.stack.clone(),
            Rc::clone(&self.shared),
        );
        probe.variables = self.variables.clone();
        probe.probe = Some(Probe::default());
        for (name, decl) in &self.decls.outputs {
            if output.is_some_and(|output| output != name) {
                continue;
            }
            if let Some((file, attr)) = decl.attribute("value") {
                probe.eval_root(&attr.value, file);
            }
        }
        probe.probe.as_ref().is_some_and(|p| p.has_read(input))
    }

    /// Whether a call made on the way from an input back to its own module needs what led
    /// through it: its output that was asked for needs its input that was at hand (its
    /// `count` or `for_each`, when none was, needs whatever it reads).
    fn call_needs(&self, link: &Link) -> bool {
        let Some(input) = &link.input else {
            return true;
        };
        match self.children.borrow().get(&link.call) {
            Some(Slot::Done(made)) => made
                .instances
                .iter()
                .any(|child| child.output_needs(link.requested.as_deref(), input)),
            _ => true,
        }
    }

    /// `module.NAME` (`.OUTPUT`): the outputs of a local module, or an unknown that names
    /// the call. Referred to from one of the call's own inputs, the module has no outputs
    /// yet: Terraform takes what the output needs, which is a cycle only if that is the
    /// input itself. The reference is unknown here, and `module_instances` probes the
    /// output once the module is made.
    pub(super) fn module_value(
        &self,
        name: &str,
        after: &[hcl_edit::Decorated<TraversalOperator>],
        cx: &Cx,
    ) -> Eval {
        let output = match after.first().map(|o| o.value()) {
            Some(TraversalOperator::GetAttr(ident)) => Some(ident.as_str()),
            _ => None,
        };
        let address = format!("{}module.{name}", self.prefix);
        let own = {
            let mut calls = self.calls_in_progress.borrow_mut();
            let call = calls.iter().rposition(|call| call.module == name);
            call.is_some_and(|at| needs_own_output(&mut calls, at, output.map(str::to_string)))
        };
        if own {
            return self.apply_operators(Value::unknown(Source::ModuleOutput(address)), after, cx);
        }
        let Some(instances) = self.instances_of_call(name, output) else {
            return self.apply_operators(Value::unknown(Source::ModuleOutput(address)), after, cx);
        };
        // `module.NAME.OUTPUT` of a single instance: that output where it is, copied only as
        // far as the operators after it select (a module's 1,000-entry output was copied
        // whole for each reference to one entry, or to a small output beside it).
        if let (Expansion::Single, Some(child), Some(output)) =
            (&instances.expansion, instances.instances.first(), output)
        {
            let value = child
                .decls
                .outputs
                .get_index_of(output)
                .and_then(|i| child.output(i));
            return match value {
                Some(value) => self.select(&value, &after[1..], cx),
                // No such output, or one without a value: what the module's object gives.
                None => {
                    let outputs = Value::new(Kind::Object(Default::default()), None);
                    self.apply_operators(outputs, after, cx)
                }
            };
        }
        // `module.NAME[KEY].OUTPUT` of a `count` or `for_each` call: that instance's output,
        // found by its key and selected where it is, without the map of every instance's
        // outputs that a `for_each` of N such references made N times.
        if let (Some(TraversalOperator::Index(key)), Some(TraversalOperator::GetAttr(wanted))) = (
            after.first().map(|o| o.value()),
            after.get(1).map(|o| o.value()),
        ) {
            let key = self.eval(key, cx)?;
            let child = pick(
                &instances.expansion,
                instances.by_key.as_ref(),
                &instances.instances,
                &key,
            );
            let value = child.and_then(|child| {
                let index = child.decls.outputs.get_index_of(wanted.as_str())?;
                child.output(index)
            });
            if let Some(value) = value {
                return self.select(&value, &after[2..], cx);
            }
        }
        let value = collect_instances(
            &instances.expansion,
            instances.instances.iter().map(|child| {
                let outputs = child
                    .decls
                    .outputs
                    .keys()
                    .enumerate()
                    // A probe reads what the output asked for needs, and no more.
                    .filter(|(_, name)| {
                        self.probe.is_none() || output.is_none_or(|output| output == *name)
                    })
                    .filter_map(|(index, name)| {
                        let value = child.output(index)?;
                        Some((name.clone(), Value::clone(&value)))
                    })
                    .collect::<Names<_>>()
                    .into();
                (
                    child.prefix.trim_end_matches('.'),
                    Value::new(Kind::Object(outputs), None),
                )
            }),
            || Value::unknown(Source::ModuleOutput(address.clone())),
        );
        self.apply_operators(value, after, cx)
    }
}

/// The value of an expanded block: the one instance, a list (`count`) or a map
/// (`for_each`) of them, or `unknown()` when the expansion is not known.
pub(super) fn collect_instances<'a>(
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
                    .map(|(address, v)| (instance_key(address).into_owned(), v))
                    .collect::<Names<_>>()
                    .into(),
            ),
            None,
        ),
        Expansion::Unknown => unknown(),
    }
}

/// Each `for_each` instance's position by its key, from the instances' addresses (the
/// first, if a list gave a key twice).
pub(super) fn positions_by_key<'a>(
    addresses: impl Iterator<Item = &'a str>,
) -> foldhash::HashMap<String, usize> {
    let mut by_key = foldhash::HashMap::default();
    for (position, address) in addresses.enumerate() {
        by_key
            .entry(instance_key(address).into_owned())
            .or_insert(position);
    }
    by_key
}

/// The instance `key` picks, as an index into the block's value would: by key for
/// `for_each`, by position for `count`.
pub(super) fn pick<'i, T>(
    expansion: &Expansion,
    by_key: Option<&foldhash::HashMap<String, usize>>,
    instances: &'i [T],
    key: &Value,
) -> Option<&'i T> {
    match expansion {
        Expansion::ForEach => key
            .to_template_string()
            .and_then(|key| by_key?.get(&key))
            .and_then(|position| instances.get(*position)),
        Expansion::Count => key.list_position().and_then(|n| instances.get(n)),
        _ => None,
    }
}

/// Key of a `for_each` instance address: `x["a"]` gives `a`. The address quotes the key
/// with Rust's escapes (`expand`), undone here, so that a key holding `"`, a backslash or a
/// combining accent reads back as it was written. Inside the quotes every `"` is escaped,
/// so the last `["` of the address opens the key.
pub(super) fn instance_key(address: &str) -> Cow<'_, str> {
    let quoted = address
        .rsplit_once("[\"")
        .map_or("", |(_, k)| k.strip_suffix("\"]").unwrap_or(k));
    if !quoted.contains('\\') {
        return Cow::Borrowed(quoted);
    }
    let mut key = String::with_capacity(quoted.len());
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            key.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => key.push('\n'),
            Some('r') => key.push('\r'),
            Some('t') => key.push('\t'),
            Some('0') => key.push('\0'),
            // `\u{301}`
            Some('u') => {
                let hex: String = chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                key.extend(u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32));
            }
            // `\\`, `\"`, `\'`
            Some(other) => key.push(other),
            None => {}
        }
    }
    Cow::Owned(key)
}

/// `for_each` accepts a map or a set of strings.
/// The (key, value, where the key was written) of each instance a `for_each` makes. As in
/// Terraform, only the keys must be known: a map's values may be unknown until apply
/// (`{ alice = { key = random_id.k.hex, groups = ["ops"] } }` makes `["alice"]`, whose
/// `each.value.groups` is known), while a set's elements are its keys.
fn for_each_entries(value: &Value) -> Option<Vec<(String, Value, Option<Loc>)>> {
    match &value.kind {
        Kind::Object(map) => Some(
            by_key(map)
                .into_iter()
                .map(|(k, v)| {
                    let written = value.key_origins.as_ref().and_then(|o| o.get(k)).cloned();
                    (k.clone(), v.clone(), written)
                })
                .collect(),
        ),
        Kind::List(items) => items
            .iter()
            .map(|v| {
                let written = v.from.clone().or_else(|| v.origin.clone());
                Some((v.to_template_string()?, v.clone(), written))
            })
            .collect(),
        _ => None,
    }
}

/// A module call whose inputs are being evaluated: the output whose reference made it, if
/// one did; the input at hand (none while its `count` or `for_each` is); and the module's
/// own outputs its inputs need.
pub(super) struct CallInProgress {
    module: String,
    requested: Option<String>,
    input: Option<(String, Loc)>,
    own_outputs: Vec<OwnOutput>,
}

/// An input of a call that needs an output of the same module (`None`: the whole module):
/// a cycle if the output needs the input, and every call made on the way needs what led
/// through it.
struct OwnOutput {
    input: String,
    /// Where the input is written.
    loc: Loc,
    output: Option<String>,
    through: Vec<Link>,
}

/// A call made on the way from an input back to its own module: its output that was asked
/// for, and its input at hand.
struct Link {
    call: String,
    requested: Option<String>,
    input: Option<String>,
}

/// Notes that the input at hand of `calls[at]` needs that module's `output`, through the
/// calls made after it, to be probed once the module is made; `false` while it has no
/// input at hand (its `count` or `for_each` needs its own outputs: a cycle).
pub(super) fn needs_own_output(
    calls: &mut [CallInProgress],
    at: usize,
    output: Option<String>,
) -> bool {
    let (call, after) = calls[at..]
        .split_first_mut()
        .expect("`at` is a call in progress");
    let Some((input, loc)) = &call.input else {
        return false;
    };
    let through: Vec<Link> = after
        .iter()
        .map(|c| Link {
            call: c.module.clone(),
            requested: c.requested.clone(),
            input: c.input.as_ref().map(|(input, _)| input.clone()),
        })
        .collect();
    call.own_outputs.push(OwnOutput {
        input: input.clone(),
        loc: loc.clone(),
        output,
        through,
    });
    true
}

/// `needs_own_output` of the output whose reference made `calls[at]`: a local or a
/// resource that was being evaluated when that call began is needed by the input at hand,
/// and itself needs that output.
pub(super) fn needs_requested_output(calls: &mut [CallInProgress], at: usize) -> bool {
    let requested = calls[at].requested.clone();
    needs_own_output(calls, at, requested)
}
