//! Declarations: every block a module declares, by name, and the duplicates Terraform rejects.

use crate::load::ModuleDir;
use crate::source::{Loc, SourceFile};
use crate::value::Names;
use hcl_edit::structure::{Attribute, Block};
use hcl_edit::Span;
use indexmap::map::Entry;
use std::sync::Arc;

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
        for file in &module.files {
            let Ok(body) = &file.body else { continue };
            for block in body.blocks() {
                match block.ident.as_str() {
                    "resource" => resources += 1,
                    "data" => data += 1,
                    _ => {}
                }
            }
        }
        decls.resources.reserve(resources);
        decls.data.reserve(data);
        for file in &module.files {
            let Ok(body) = &file.body else { continue };
            for block in body.blocks() {
                let decl = Decl {
                    file: &file.source,
                    block,
                };
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
                        for inner in block.body.get_blocks("data") {
                            if let [kind, name] = inner.labels.as_slice() {
                                let decl = Decl {
                                    file: &file.source,
                                    block: inner,
                                };
                                let key = [kind.as_str(), ".", name.as_str()].concat();
                                declare(&mut decls.data, "data.", key, decl, &mut decls.duplicates);
                            }
                        }
                    }
                    ("locals", _, _) => {
                        for attr in block.body.attributes() {
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
        decls
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
