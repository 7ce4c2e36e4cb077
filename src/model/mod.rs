//! Model: the Sym AWS IAM setup one Terraform module declares, built from evaluated
//! resources. Rules ask questions of it ("which connector serves this integration?") rather
//! than walking syntax.

pub mod flow_params;
pub mod iam;
#[cfg(test)]
mod tests;

use crate::duration;
use crate::eval::{
    Attr, Body, Cycle, Decl, EvaluatedResource, Expansion, Inputs, Instance, Scope, Source, Value,
};
use crate::load::{local_source, ModuleDir, Workspace};
use crate::provider;
use crate::source::Loc;
use hcl_edit::Span;

pub struct Resource {
    pub kind: String,
    pub name: String,
    /// `sym_target.x`, or `data.aws_iam_policy_document.x` for data sources.
    pub address: String,
    /// The block header.
    pub loc: Loc,
    pub expansion: Expansion,
    pub instances: std::sync::Arc<[Instance]>,
}

/// A `module` block.
pub struct ModuleCall {
    pub name: String,
    /// `module.flow`, or `module.flow.module.connector` inside a called module.
    pub address: String,
    pub loc: Loc,
    pub args: Body,
    /// A local `source` that names no directory.
    pub missing_dir: bool,
    /// A local `source` that leaves the git work tree the caller is in (not read).
    pub outside_repository: bool,
}

impl ModuleCall {
    pub fn source(&self) -> Option<&str> {
        self.args.attr("source").and_then(|a| a.value.as_str())
    }

    pub fn is_connector(&self) -> bool {
        self.source().is_some_and(provider::is_connector_source)
    }

    /// The connector's `group_config` as (path, name) wildcard patterns with where each was
    /// written; `None` when it is not statically known.
    pub fn group_config(&self) -> Option<Vec<GroupPattern>> {
        let Some(attr) = self.args.attr("group_config") else {
            let (path, name) = provider::DEFAULT_GROUP_CONFIG;
            return Some(vec![GroupPattern {
                path: path.to_string(),
                name: name.to_string(),
            }]);
        };
        let items = attr.value.as_list()?;
        items
            .iter()
            .map(|item| {
                let path = item
                    .as_map()?
                    .get("path")
                    .map_or(Some("/"), Value::as_str)?;
                let name = item.as_map()?.get("name")?.as_str()?;
                Some(GroupPattern {
                    path: path.to_string(),
                    name: name.to_string(),
                })
            })
            .collect()
    }
}

/// A `provider "sym"` block: the provider's own settings (`org`, `jwt_env_var`).
pub struct SymProvider {
    /// `provider.sym`, `provider.sym.<alias>`, with the module prefix in a called module.
    pub address: String,
    pub args: Body,
}

/// One entry of a connector's `group_config`.
pub struct GroupPattern {
    pub path: String,
    pub name: String,
}

impl GroupPattern {
    /// Whether a group at `path` (when known) named `name` is within this entry. IAM
    /// wildcards apply to the ARN suffix `path + name`.
    pub fn matches(&self, path: Option<&str>, name: &str) -> bool {
        match path {
            // Joined without `format!`, whose machinery cost more than the match.
            Some(path) => iam::wildcard_match(
                &[self.path.as_str(), &self.name].concat(),
                &[path, name].concat(),
            ),
            // With the path unknown, only the name part can rule a group out.
            None => iam::wildcard_match(&self.name, name) || self.name.contains('/'),
        }
    }
}

/// Resolves the computed module sources of the roots (Terraform 1.15 evaluates them at
/// `init`, from const variables and locals) by evaluating them with the roots' inputs, and
/// has the workspace follow the ones that resolve, as it follows literal sources. What
/// does not resolve stays a gap (`computed-module-source`).
pub fn follow_computed_sources(workspace: &mut Workspace, inputs: &Inputs) {
    // Almost always none: then not even the roots are worth working out.
    while workspace
        .modules
        .iter()
        .any(|m| !m.computed_sources.is_empty())
    {
        let mut resolved = Vec::new();
        for root in workspace.roots() {
            let module = &workspace.modules[root];
            if module.computed_sources.is_empty() {
                continue;
            }
            let scope = Scope::root(workspace, root, inputs);
            for (name, _) in &module.computed_sources {
                let decl = scope.decls.modules.get(name);
                let source = decl.and_then(|decl| scope.module_source(decl));
                resolved.extend(source.map(|source| (root, name.clone(), source.into_owned())));
            }
        }
        if resolved.is_empty() {
            return;
        }
        for (root, name, source) in resolved {
            workspace.follow_computed(root, &name, &source);
        }
    }
}

/// One root module with every module it calls, flattened: resources carry their full
/// address (`module.flow.sym_target.groups["ops"]`).
#[derive(Default)]
pub struct Model<'w> {
    /// The root's directory and every local module directory its calls reach, evaluated
    /// or not: Terraform validates a module behind `count = 0` too.
    pub dirs: Vec<&'w ModuleDir>,
    /// The declarations of each of `dirs`, in the same order: collected once, for the
    /// evaluator and the rules alike.
    pub decls: Vec<std::sync::Arc<crate::eval::Decls<'w>>>,
    /// Managed resources in declaration order.
    pub resources: Vec<Resource>,
    pub data: Vec<Resource>,
    pub calls: Vec<ModuleCall>,
    pub sym_providers: Vec<SymProvider>,
    pub cycles: Vec<Cycle>,
    /// `--var`/`TF_VAR_` values the root's variables cannot take (see `Scope::input_errors`).
    pub input_errors: Vec<String>,
    /// Instances by address, as (data source, resource index, instance index): built on
    /// the first lookup, once the model is complete. A strategy's 1,000 targets made the
    /// linear search quadratic.
    instance_index: std::sync::OnceLock<foldhash::HashMap<String, (bool, usize, usize)>>,
    /// The instances whose `policy` each IAM group gets, by group name (see
    /// `iam::group_policies`): built on the first lookup, once the model is complete. A
    /// search over every policy for each of a strategy's targets was quadratic.
    group_policy_index: std::sync::OnceLock<iam::GroupPolicyIndex>,
}

impl<'w> Model<'w> {
    /// Evaluates a root module and the modules it calls, and builds its model.
    pub fn build(workspace: &'w Workspace, root: usize, inputs: &Inputs) -> Model<'w> {
        let scope = Scope::root(workspace, root, inputs);
        let mut model = Model {
            input_errors: scope.input_errors.clone(),
            ..Model::default()
        };
        model.collect(workspace, &scope);
        // Then the directories no evaluated call reached (`count = 0`, unknown `for_each`).
        let mut next = 0;
        while let Some(dir) = model.dirs.get(next).copied() {
            for source in crate::load::local_calls(dir) {
                if let Some(called) = workspace.called_module(dir, source) {
                    let called = &workspace.modules[called];
                    if !model.dirs.iter().any(|d| std::ptr::eq(*d, called)) {
                        model.dirs.push(called);
                        let decls = crate::eval::Decls::collect(called);
                        model.decls.push(std::sync::Arc::new(decls));
                    }
                }
            }
            next += 1;
        }
        model
    }

    fn collect(&mut self, workspace: &'w Workspace, scope: &Scope<'w>) {
        if !self.dirs.iter().any(|d| std::ptr::eq(*d, scope.module)) {
            self.dirs.push(scope.module);
            self.decls.push(std::sync::Arc::clone(&scope.decls));
        }
        let decls = &scope.decls;
        use std::borrow::Cow;
        let resources = decls.resources.iter();
        let data = decls.data.iter();
        let declared = resources
            .map(|(key, decl)| (Cow::Borrowed(key.as_str()), decl, false))
            .chain(data.map(|(key, decl)| (Cow::Owned(["data.", key].concat()), decl, true)));
        for (key, decl, is_data) in declared {
            let EvaluatedResource {
                expansion,
                instances,
                ..
            } = scope.resource(&key).unwrap_or(EvaluatedResource {
                expansion: Expansion::Unknown,
                instances: std::sync::Arc::from([]),
                by_key: None,
            });
            // A declaration's key is its two labels, `kind.name`.
            let label = |i: usize| decl.block.labels.get(i).map_or("", |l| l.as_str());
            let (kind, name) = (label(0), label(1));
            let instances = if kind == "sym_flow" && !is_data {
                flows_read_for_rules(&instances)
            } else {
                instances
            };
            let resource = Resource {
                kind: kind.to_string(),
                name: name.to_string(),
                address: [scope.prefix.as_str(), &key].concat(),
                loc: decl.header_loc(),
                expansion,
                instances,
            };
            if is_data {
                self.data.push(resource);
            } else {
                self.resources.push(resource);
            }
        }
        for (name, decl) in &decls.modules {
            let args = scope.module_args(decl);
            // A computed source is not followed (`computed-module-source`), so not judged.
            let computed = scope.module.computed_sources.iter().any(|(n, _)| n == name);
            let local_dir = args
                .attr("source")
                .filter(|_| !computed)
                .and_then(|a| a.value.as_str())
                .and_then(local_source)
                .filter(|source| workspace.called_module(scope.module, source).is_none())
                .map(|source| std::fs::canonicalize(scope.module.dir.join(source)));
            let (missing_dir, outside_repository) = match local_dir {
                Some(Ok(dir)) if !scope.module.may_call(&dir) => (false, true),
                Some(_) => (true, false),
                None => (false, false),
            };
            self.calls.push(ModuleCall {
                name: name.clone(),
                address: format!("{}module.{name}", scope.prefix),
                loc: decl.header_loc(),
                args,
                missing_dir,
                outside_repository,
            });
            if let Some(instances) = scope.module_instances(name) {
                for child in &instances.instances {
                    self.collect(workspace, child);
                }
            }
        }
        self.collect_sym_providers(scope);
        scope.evaluate_locals();
        self.cycles.extend(scope.cycles.borrow().iter().cloned());
    }

    /// The provider's schema has attributes only, so each is evaluated on its own. An
    /// override file's `provider "sym"` block merges into the one with its alias; without
    /// one to merge into, a default (unaliased) block stands alone, as Terraform reads an
    /// absent configuration as an empty one, and an aliased one is refused by Terraform.
    fn collect_sym_providers(&mut self, scope: &Scope<'w>) {
        fn alias(block: &hcl_edit::structure::Block) -> Option<&str> {
            block.body.get_attribute("alias")?.value.as_str()
        }
        let mut providers: Vec<Decl> = Vec::new();
        let module = scope.module;
        for (in_overrides, files) in [
            (false, module.primary_files()),
            (true, module.override_files()),
        ] {
            for file in files {
                let Ok(body) = &file.body else { continue };
                let blocks = crate::hcl::blocks(body).filter(|b| {
                    b.ident.as_str() == "provider"
                        && b.labels.first().map(|l| l.as_str()) == Some("sym")
                });
                for block in blocks {
                    if !in_overrides {
                        providers.push(Decl::new(&file.source, block));
                        continue;
                    }
                    match providers
                        .iter_mut()
                        .find(|p| alias(p.block) == alias(block))
                    {
                        Some(base) => base.overrides.push((&file.source, block)),
                        None if alias(block).is_some() => {}
                        None => providers.push(Decl::new(&file.source, block)),
                    }
                }
            }
        }
        for provider in providers {
            let mut args = Body::default();
            for (file, attr) in provider.merged().attrs {
                args.attrs.insert(
                    attr.key.as_str().to_string(),
                    Attr {
                        value: scope.eval_root(&attr.value, file),
                        loc: Loc::of(file, attr.span()),
                        expr_loc: Loc::of(file, attr.value.span()),
                    },
                );
            }
            let alias = args
                .attr("alias")
                .and_then(|a| a.value.as_str())
                .map_or(String::new(), |alias| format!(".{alias}"));
            self.sym_providers.push(SymProvider {
                address: format!("{}provider.sym{alias}", scope.prefix),
                args,
            });
        }
    }

    /// True when every file of every module parsed: only then is a missing declaration
    /// missing.
    pub fn is_complete(&self) -> bool {
        self.dirs.iter().all(|d| d.is_complete())
    }

    pub fn instances<'a>(
        &'a self,
        kind: &'a str,
    ) -> impl Iterator<Item = (&'a Resource, &'a Instance)> + 'a {
        self.resources
            .iter()
            .filter(move |r| r.kind == kind)
            .flat_map(|r| r.instances.iter().map(move |i| (r, i)))
    }

    /// Sym resources of a kind whose `type` is `type_` (e.g. `sym_target` of `aws_iam_group`).
    pub fn sym<'a>(
        &'a self,
        kind: &'a str,
        type_: &'a str,
    ) -> impl Iterator<Item = (&'a Resource, &'a Instance)> + 'a {
        self.instances(kind)
            .filter(move |(_, i)| i.body.attr("type").and_then(|a| a.value.as_str()) == Some(type_))
    }

    /// Whether a resource kind may have instances we could not expand (unknown `count`).
    pub fn has_unexpanded(&self, kind: &str) -> bool {
        self.resources
            .iter()
            .any(|r| r.kind == kind && matches!(r.expansion, Expansion::Unknown))
    }

    /// The resource instance a value refers to, such as `sym_integration.x.id`.
    pub fn referenced(&self, value: &Value) -> Option<(&Resource, &Instance)> {
        let (address, _) = value.as_unknown()?.resource_reference()?;
        self.instance(address)
    }

    pub fn instance(&self, address: &str) -> Option<(&Resource, &Instance)> {
        Some(self.instance_at(self.instance_position(address)?))
    }

    /// The instance at a position `instance_position` gave.
    fn instance_at(&self, (is_data, r, i): (bool, usize, usize)) -> (&Resource, &Instance) {
        let resource = if is_data {
            &self.data[r]
        } else {
            &self.resources[r]
        };
        (resource, &resource.instances[i])
    }

    /// Where the instance at `address` is: (data source, resource index, instance index).
    fn instance_position(&self, address: &str) -> Option<(bool, usize, usize)> {
        let index = self.instance_index.get_or_init(|| {
            let instances = self.resources.iter().chain(&self.data);
            let mut index = foldhash::HashMap::with_capacity_and_hasher(
                instances.map(|r| r.instances.len()).sum(),
                Default::default(),
            );
            for (is_data, resources) in [(false, &self.resources), (true, &self.data)] {
                for (r, resource) in resources.iter().enumerate() {
                    for (i, instance) in resource.instances.iter().enumerate() {
                        // The first declaration wins, as everywhere else.
                        index
                            .entry(instance.address.clone())
                            .or_insert((is_data, r, i));
                    }
                }
            }
            index
        });
        index.get(address).copied()
    }

    /// The `aws_iam_group` instances declared with this name.
    pub fn iam_group(&self, name: &str) -> Option<(&Resource, &Instance)> {
        self.instances("aws_iam_group")
            .find(|(_, i)| i.body.attr("name").and_then(|a| a.value.as_str()) == Some(name))
    }

    /// The connector module whose `settings` output a `permission_context` integration uses.
    pub fn connector_of(&self, integration: &Instance) -> Option<&ModuleCall> {
        let settings = &integration.body.attr("settings")?.value;
        let unknown = settings.as_unknown()?;
        match &*unknown.source {
            Source::ModuleOutput(address) if unknown.path == ["settings"] => self
                .calls
                .iter()
                .find(|c| &c.address == address && c.is_connector()),
            _ => None,
        }
    }

    /// The strategies' target lists: for each `aws_iam` strategy, the targets it lists.
    pub fn strategy_targets<'a>(&'a self, strategy: &'a Instance) -> Vec<TargetRef<'a>> {
        let Some(attr) = strategy.body.attr("targets") else {
            return Vec::new();
        };
        // A plan can give a one-target list as the single reference it holds.
        let items = attr
            .value
            .as_list()
            .unwrap_or(std::slice::from_ref(&attr.value));
        items
            .iter()
            .map(|item| match self.referenced(item) {
                Some((r, i)) => TargetRef::Resource(r, i, item),
                None => TargetRef::Other(item),
            })
            .collect()
    }

    /// The file a flow's `implementation` names, read: providers 1 and 2 take a path
    /// (`"${path.module}/impl.py"`) and read it from Terraform's working directory, the root
    /// module, as `file()` does; provider 3 takes the code itself, which is no file's name.
    /// `None` when the value is not the path of a file that can be read.
    pub fn implementation_file(&self, implementation: &Value) -> Option<Value> {
        let path = implementation.as_str().filter(|p| !p.contains('\n'))?;
        let root = self.dirs.first()?;
        if !root.dir.join(path).is_file() {
            return None;
        }
        crate::eval::functions::read_file(root, path).ok()
    }

    /// The `aws_iam` strategy a flow's `params.strategy_id` names.
    pub fn flow_strategy(&self, flow: &Instance) -> Option<(&Resource, &Instance)> {
        let params = flow.body.blocks("params").next()?;
        self.referenced(&params.body.attr("strategy_id")?.value)
            .filter(|(r, _)| r.kind == "sym_strategy")
    }
}

/// Flows with provider 1's `params` map also given the block it means.
fn flows_read_for_rules(flows: &std::sync::Arc<[Instance]>) -> std::sync::Arc<[Instance]> {
    if !flows.iter().any(flow_params::is_provider_v1) {
        return std::sync::Arc::clone(flows);
    }
    flows
        .iter()
        .map(|flow| {
            let mut flow = flow.clone();
            flow_params::read_v1_params(&mut flow.body);
            flow
        })
        .collect()
}

pub enum TargetRef<'a> {
    Resource(&'a Resource, &'a Instance, &'a Value),
    /// A literal id, a variable, anything not a resource of this module.
    Other(&'a Value),
}

/// A prompt field of a flow.
pub struct PromptField<'a> {
    pub block: &'a crate::eval::NestedBlock,
}

impl<'a> PromptField<'a> {
    pub fn of_flow(flow: &'a Instance) -> impl Iterator<Item = PromptField<'a>> + 'a {
        flow.body
            .blocks("params")
            .flat_map(|p| p.body.blocks("prompt_field"))
            .map(|block| PromptField { block })
    }

    pub fn attr(&self, name: &str) -> Option<&'a Attr> {
        self.block.body.attr(name)
    }

    pub fn field_type(&self) -> Option<&'a str> {
        self.attr("type")?.value.as_str()
    }

    pub fn is_required(&self) -> bool {
        self.attr("required").and_then(|a| a.value.as_bool()) == Some(true)
    }
}

/// The durations a flow lets a requester choose.
pub enum FlowDurations<'a> {
    /// Longest allowed duration in seconds, and the value that allows it.
    Bounded(u64, &'a Value, &'a Attr),
    /// A duration field without `allowed_values`: any duration may be requested.
    Unbounded(PromptField<'a>),
    /// Nothing known: no duration field, or values that are unknown or invalid.
    Unknown,
}

impl<'a> FlowDurations<'a> {
    pub fn of(flow: &'a Instance) -> FlowDurations<'a> {
        if flow.body.blocks("params").any(|p| p.body.partial) {
            return FlowDurations::Unknown;
        }
        let mut longest: Option<(u64, &Value, &Attr)> = None;
        for field in PromptField::of_flow(flow).filter(|f| f.field_type() == Some("duration")) {
            let Some(allowed) = field.attr("allowed_values") else {
                return FlowDurations::Unbounded(field);
            };
            let Some(items) = allowed.value.as_list() else {
                return FlowDurations::Unknown;
            };
            for item in items {
                let Some(seconds) = item.as_str().and_then(|s| duration::parse(s).ok()) else {
                    return FlowDurations::Unknown;
                };
                if longest.is_none_or(|(l, _, _)| seconds > l) {
                    longest = Some((seconds, item, allowed));
                }
            }
        }
        match longest {
            Some((s, v, a)) => FlowDurations::Bounded(s, v, a),
            None => FlowDurations::Unknown,
        }
    }
}

/// The location that best shows a value inside an attribute: the value itself when it is
/// written inside the attribute, else the attribute's expression.
pub fn value_loc(attr: &Attr, value: &Value) -> Loc {
    match &value.origin {
        Some(origin) if attr.expr_loc.contains(origin) => origin.clone(),
        _ => attr.expr_loc.clone(),
    }
}

/// Where a value came from, when that is outside the attribute (a variable default, a
/// tfvars entry, a module call's argument): worth a related label.
pub fn value_origin_elsewhere(attr: &Attr, value: &Value) -> Option<Loc> {
    value
        .from
        .clone()
        .or_else(|| value.origin.clone())
        .filter(|o| !attr.expr_loc.contains(o))
}
