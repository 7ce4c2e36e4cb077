//! Module instances and expansion: a module call's instances (with their inputs bound), its
//! outputs as a value, and the `count`/`for_each` expansion shared by resources and modules.

use super::Cx;
use super::{Body, Decl, Expansion, ModuleInstances, Scope, Slot};
use crate::source::Loc;
use crate::value::{by_key, Kind, Names, Source, Value};
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
        let decl = self.decls.modules.get(name)?;
        let source = self.module_source(decl)?;
        let source = source.as_ref();
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
                Rc::clone(&self.shared),
            );
            let args = self.eval_decl(decl, cx, Some(("module", false)));
            for (key, attr) in args.attrs {
                child.give(key, attr.value);
            }
            child
        });
        let instances = Rc::new(ModuleInstances {
            expansion,
            instances,
        });
        if let Some(slot) = self.children.borrow_mut().get_mut(name) {
            *slot = Slot::Done(Rc::clone(&instances));
        }
        self.leave();
        Some(instances)
    }

    /// `module.NAME`: the outputs of a local module, or an unknown that names the call.
    pub(super) fn module_value(&self, name: &str) -> Value {
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
                        let (file, attr) = decl.attribute("value")?;
                        let value = child.eval_root(&attr.value, file);
                        let shown_as = format!("{}output.{name}", child.prefix);
                        Some((name.clone(), child.converted(decl, &shown_as, value)))
                    })
                    .collect::<Names<_>>()
                    .into();
                (
                    child.prefix.trim_end_matches('.'),
                    Value::new(Kind::Object(outputs), None),
                )
            }),
            || Value::unknown(Source::ModuleOutput(address.clone())),
        )
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
                    .map(|(address, v)| (instance_key(address), v))
                    .collect::<Names<_>>()
                    .into(),
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
/// The (key, value, where the key was written) of each instance a `for_each` makes.
fn for_each_entries(value: &Value) -> Option<Vec<(String, Value, Option<Loc>)>> {
    if value.contains_unknown() {
        return None;
    }
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
