//! Declarations: every block a module declares, by name, and the duplicates Terraform rejects.

use crate::load::ModuleDir;
use crate::source::{Loc, SourceFile};
use crate::value::Names;
use hcl_edit::structure::{Attribute, Block};
use hcl_edit::Span;
use indexmap::map::Entry;
use std::sync::Arc;

/// A block with its file, as declared, and the blocks of override files merged into it.
#[derive(Clone)]
pub struct Decl<'m> {
    pub file: &'m Arc<SourceFile>,
    pub block: &'m Block,
    /// The blocks with the same address in override files (`override.tf`,
    /// `*_override.tf`), in the order Terraform merges them: by file name. Almost always
    /// none.
    pub overrides: Vec<(&'m Arc<SourceFile>, &'m Block)>,
}

/// A block's content once its overrides are merged in, each part with its file.
pub struct Merged<'m> {
    pub attrs: Vec<(&'m Arc<SourceFile>, &'m Attribute)>,
    pub blocks: Vec<(&'m Arc<SourceFile>, &'m Block)>,
}

impl<'m> Decl<'m> {
    pub fn new(file: &'m Arc<SourceFile>, block: &'m Block) -> Decl<'m> {
        Decl {
            file,
            block,
            overrides: Vec::new(),
        }
    }

    /// The attribute `name` as Terraform reads it, with the file it is written in: from
    /// the last override that sets it, otherwise from the block.
    pub fn attribute(&self, name: &str) -> Option<(&'m Arc<SourceFile>, &'m Attribute)> {
        let overridden = self
            .overrides
            .iter()
            .rev()
            .find_map(|&(file, block)| block.body.get_attribute(name).map(|attr| (file, attr)));
        overridden.or_else(|| self.block.body.get_attribute(name).map(|a| (self.file, a)))
    }

    /// The content Terraform evaluates, merging each override into what the ones before it
    /// left: an attribute it sets replaces the one of that name; a kind of nested block it
    /// has (a `dynamic "x"` being an `x`) replaces every block of that kind.
    pub fn merged(&self) -> Merged<'m> {
        let mut merged = Merged {
            attrs: crate::hcl::attributes(&self.block.body)
                .map(|a| (self.file, a))
                .collect(),
            blocks: crate::hcl::blocks(&self.block.body)
                .map(|b| (self.file, b))
                .collect(),
        };
        for &(file, block) in &self.overrides {
            for attr in crate::hcl::attributes(&block.body) {
                let key = attr.key.as_str();
                match merged.attrs.iter_mut().find(|(_, a)| a.key.as_str() == key) {
                    Some(slot) => *slot = (file, attr),
                    None => merged.attrs.push((file, attr)),
                }
            }
            let replaced: Vec<&str> = crate::hcl::blocks(&block.body).map(nested_kind).collect();
            merged
                .blocks
                .retain(|(_, b)| !replaced.contains(&nested_kind(b)));
            merged
                .blocks
                .extend(crate::hcl::blocks(&block.body).map(|b| (file, b)));
        }
        merged
    }

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

/// What a nested block counts as when an override replaces blocks: its kind, or the kind
/// a `dynamic` block makes.
fn nested_kind(block: &Block) -> &str {
    match block.ident.as_str() {
        "dynamic" => block.labels.first().map_or("dynamic", |l| l.as_str()),
        kind => kind,
    }
}

/// Everything a module declares, by name. The first declaration wins; Terraform rejects
/// the configuration, and the `duplicate-declaration` rule reports the others. The blocks
/// of override files are merged into the declarations they name (`Decl::overrides`).
#[derive(Default)]
pub struct Decls<'m> {
    /// Declarations of a name already declared: (address, where, where first).
    pub duplicates: Vec<(String, Loc, Loc)>,
    /// Blocks of override files that name nothing the other files declare, which
    /// Terraform refuses: (address, where).
    pub orphan_overrides: Vec<(String, Loc)>,
    /// Some declaration has overrides: only then is `declared_by` worth asking.
    pub overridden: bool,
    pub variables: Names<Decl<'m>>,
    pub locals: Names<(&'m Arc<SourceFile>, &'m Attribute)>,
    /// `type.name`
    pub resources: Names<Decl<'m>>,
    /// `type.name` (without the `data.` prefix)
    pub data: Names<Decl<'m>>,
    /// Ephemeral resources (Terraform 1.10), `type.name` without the `ephemeral.` prefix:
    /// opened for a run and never stored, so their values are never known.
    pub ephemeral: Names<Decl<'m>>,
    pub modules: Names<Decl<'m>>,
    pub outputs: Names<Decl<'m>>,
}

impl<'m> Decls<'m> {
    pub fn collect(module: &'m ModuleDir) -> Decls<'m> {
        let mut decls = Decls::default();
        // Sized before they fill: a root declares dozens of resources.
        let (mut resources, mut data) = (0, 0);
        for file in module.primary_files() {
            let Ok(body) = &file.body else { continue };
            for block in crate::hcl::blocks(body) {
                match block.ident.as_str() {
                    "resource" => resources += 1,
                    "data" => data += 1,
                    _ => {}
                }
            }
        }
        decls.resources.reserve(resources);
        decls.data.reserve(data);
        for file in module.primary_files() {
            let Ok(body) = &file.body else { continue };
            for block in crate::hcl::blocks(body) {
                let decl = Decl::new(&file.source, block);
                let label = |i: usize| block.labels.get(i).map(|l| l.as_str());
                match (block.ident.as_str(), label(0), label(1)) {
                    ("variable", Some(name), _) => {
                        declare(
                            &mut decls.variables,
                            "var.",
                            name.to_string(),
                            decl,
                            &mut decls.duplicates,
                        );
                    }
                    ("resource", Some(kind), Some(name)) => {
                        let key = [kind, ".", name].concat();
                        declare(&mut decls.resources, "", key, decl, &mut decls.duplicates);
                    }
                    ("data", Some(kind), Some(name)) => {
                        let key = [kind, ".", name].concat();
                        declare(&mut decls.data, "data.", key, decl, &mut decls.duplicates);
                    }
                    ("ephemeral", Some(kind), Some(name)) => {
                        let key = [kind, ".", name].concat();
                        let duplicates = &mut decls.duplicates;
                        declare(&mut decls.ephemeral, "ephemeral.", key, decl, duplicates);
                    }
                    ("module", Some(name), _) => {
                        declare(
                            &mut decls.modules,
                            "module.",
                            name.to_string(),
                            decl,
                            &mut decls.duplicates,
                        );
                    }
                    ("output", Some(name), _) => {
                        declare(
                            &mut decls.outputs,
                            "output.",
                            name.to_string(),
                            decl,
                            &mut decls.duplicates,
                        );
                    }
                    // A `check` block may declare a data source scoped to its assertions.
                    ("check", _, _) => {
                        for inner in crate::hcl::blocks_named(&block.body, "data") {
                            if let [kind, name] = inner.labels.as_slice() {
                                let decl = Decl::new(&file.source, inner);
                                let key = [kind.as_str(), ".", name.as_str()].concat();
                                declare(&mut decls.data, "data.", key, decl, &mut decls.duplicates);
                            }
                        }
                    }
                    ("locals", _, _) => {
                        for attr in crate::hcl::attributes(&block.body) {
                            let name = attr.key.as_str();
                            match decls.locals.entry(name.to_string()) {
                                Entry::Occupied(first) => {
                                    let (first_file, first) = first.get();
                                    decls.duplicates.push((
                                        format!("local.{name}"),
                                        Loc::of(&file.source, attr.key.span()),
                                        Loc::of(first_file, first.key.span()),
                                    ))
                                }
                                Entry::Vacant(slot) => {
                                    slot.insert((&file.source, attr));
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        for file in module.override_files() {
            let Ok(body) = &file.body else { continue };
            for block in crate::hcl::blocks(body) {
                decls.merge_override(&file.source, block);
            }
        }
        decls
    }

    /// Merges a block of an override file into the declaration it names, as Terraform
    /// does; one that names nothing declared is an orphan, which Terraform refuses. A
    /// `locals` block replaces the expressions of the locals it sets. Provider blocks are
    /// merged where they are read (`Model`); other blocks cannot be overridden.
    fn merge_override(&mut self, file: &'m Arc<SourceFile>, block: &'m Block) {
        let label = |i: usize| block.labels.get(i).map(|l| l.as_str());
        let (map, prefix, key) = match (block.ident.as_str(), label(0), label(1)) {
            ("variable", Some(name), _) => (&mut self.variables, "var.", name.to_string()),
            ("resource", Some(kind), Some(name)) => {
                (&mut self.resources, "", [kind, ".", name].concat())
            }
            ("data", Some(kind), Some(name)) => {
                (&mut self.data, "data.", [kind, ".", name].concat())
            }
            ("ephemeral", Some(kind), Some(name)) => (
                &mut self.ephemeral,
                "ephemeral.",
                [kind, ".", name].concat(),
            ),
            ("module", Some(name), _) => (&mut self.modules, "module.", name.to_string()),
            ("output", Some(name), _) => (&mut self.outputs, "output.", name.to_string()),
            ("locals", _, _) => {
                for attr in crate::hcl::attributes(&block.body) {
                    let name = attr.key.as_str();
                    match self.locals.get_mut(name) {
                        Some(local) => *local = (file, attr),
                        None => self
                            .orphan_overrides
                            .push((format!("local.{name}"), Loc::of(file, attr.key.span()))),
                    }
                }
                return;
            }
            _ => return,
        };
        match map.get_mut(&key) {
            Some(decl) => {
                decl.overrides.push((file, block));
                self.overridden = true;
            }
            None => {
                let loc = Decl::new(file, block).header_loc();
                self.orphan_overrides.push(([prefix, &key].concat(), loc));
            }
        }
    }

    /// The declaration `block` (of a file that is not an override) makes, if it is the one
    /// that counts for its name.
    pub fn declared_by(&self, block: &Block) -> Option<&Decl<'m>> {
        let label = |i: usize| block.labels.get(i).map(|l| l.as_str());
        let decl = match (block.ident.as_str(), label(0), label(1)) {
            ("variable", Some(name), _) => self.variables.get(name),
            ("resource", Some(kind), Some(name)) => self.resources.get(&[kind, ".", name].concat()),
            ("data", Some(kind), Some(name)) => self.data.get(&[kind, ".", name].concat()),
            ("ephemeral", Some(kind), Some(name)) => {
                self.ephemeral.get(&[kind, ".", name].concat())
            }
            ("module", Some(name), _) => self.modules.get(name),
            ("output", Some(name), _) => self.outputs.get(name),
            _ => None,
        };
        decl.filter(|d| std::ptr::eq(d.block, block))
    }
}

/// Records `decl` under `key` unless the name is taken, in which case it is a duplicate,
/// reported by the address `{prefix}{key}`.
fn declare<'m>(
    map: &mut Names<Decl<'m>>,
    prefix: &str,
    key: String,
    decl: Decl<'m>,
    duplicates: &mut Vec<(String, Loc, Loc)>,
) {
    match map.entry(key) {
        Entry::Occupied(first) => duplicates.push((
            [prefix, first.key()].concat(),
            decl.header_loc(),
            first.get().header_loc(),
        )),
        Entry::Vacant(slot) => {
            slot.insert(decl);
        }
    }
}
