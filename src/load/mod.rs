//! Load: walk the paths, read every Terraform file and parse it, grouped by directory
//! (each directory is one Terraform module).

mod json_vars;
mod parse;

use crate::source::{Loc, SourceFile};
use hcl_edit::structure::Body;
use rayon::prelude::*;
use std::collections::{btree_map, BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One directory of Terraform files.
pub struct ModuleDir {
    pub dir: PathBuf,
    /// The directory with symlinks and `..` resolved: how calls find it.
    pub canonical: PathBuf,
    /// The git work tree the directory is in, if any: local module calls stay inside it.
    /// Found at load for a directory whose `module` blocks name local directories; any
    /// other looks it up if it is ever asked. Most directories call no local module, and
    /// 1,000 roots spent about 4 ms of CPU on `.git` lookups they never used.
    repository: std::sync::OnceLock<Option<PathBuf>>,
    /// Under a PATH argument, rather than reached only through a module call.
    pub scanned: bool,
    /// The directory as reached from the argument, `.` for the current one.
    pub display: String,
    /// `*.tf` files, sorted by name, the override files (`override.tf`, `*_override.tf`)
    /// last, from `first_override` on: Terraform merges them into what the others declare.
    pub files: Vec<ParsedFile>,
    /// Where the override files start in `files`.
    pub first_override: usize,
    /// `terraform.tfvars` then `*.auto.tfvars` in lexical order: Terraform's precedence.
    pub tfvars: Vec<ParsedFile>,
    /// A file of the directory could not be read (see `Workspace::unreadable`).
    pub unreadable: bool,
    /// Files in Terraform's JSON syntax, which symguard does not read: the directory's
    /// declarations may be in them, so it is never complete (the `json-syntax` rule).
    pub json_files: Vec<PathBuf>,
    /// Files encrypted with git-crypt, which symguard cannot read: the directory is never
    /// complete either (the `encrypted-file` rule).
    pub encrypted_files: Vec<PathBuf>,
    /// Module calls whose `source` is computed (Terraform 1.15), by name, with where, that
    /// evaluation could not resolve: symguard does not follow them, so the directory is
    /// never complete either (the `computed-module-source` rule).
    pub computed_sources: Vec<(String, Loc)>,
    /// Computed sources resolved by evaluating them (`Workspace::follow_computed`), by
    /// call name: followed like literal ones.
    pub resolved_sources: Vec<(String, String)>,
    /// The local directories its module calls name, literal sources and resolved ones
    /// (see `local_calls`), found once at load.
    local_sources: Vec<String>,
    /// Names of the `sensitive = true` variables the directory declares.
    pub sensitive_variables: std::collections::BTreeSet<String>,
    /// Literal secret values in the directory's files (see `secrets`), whose source text
    /// is masked.
    pub secret_values: Vec<String>,
    /// The `symguard:ignore` comments of its files, read while their trees are at hand.
    pub suppressions: Vec<crate::suppress::Suppression>,
    /// The paths of `files` and `tfvars` once the directory is released (see `release`).
    pub released: Vec<PathBuf>,
}

impl ModuleDir {
    /// A pull request must not make symguard read files elsewhere on the machine, so a
    /// module in a git work tree calls only directories inside that work tree. Outside any
    /// work tree there is no boundary to keep.
    pub fn may_call(&self, canonical: &Path) -> bool {
        self.repository
            .get_or_init(|| Repositories::default().of(&self.canonical))
            .as_ref()
            .is_none_or(|root| canonical.starts_with(root))
    }

    /// The `*.tf` files that are not override files.
    pub fn primary_files(&self) -> &[ParsedFile] {
        &self.files[..self.first_override.min(self.files.len())]
    }

    /// The override files, in the order Terraform merges them.
    pub fn override_files(&self) -> &[ParsedFile] {
        &self.files[self.first_override.min(self.files.len())..]
    }

    pub fn all_files(&self) -> impl Iterator<Item = &ParsedFile> {
        self.files.iter().chain(&self.tfvars)
    }

    /// True when every file was read and parsed, so a missing declaration is really missing.
    pub fn is_complete(&self) -> bool {
        !self.unreadable && self.first_not_read().is_none()
    }

    /// The first file found but not read, said in a sentence: one that does not parse
    /// (where, and why), or one in Terraform's JSON syntax.
    pub fn first_not_read(&self) -> Option<String> {
        if let Some(error) = self.all_files().find_map(|f| f.body.as_ref().err()) {
            let (line, column) = error.loc.start();
            let file = &error.loc.file.display;
            return Some(format!(
                "{file}:{line}:{column}: this file does not parse ({})",
                error.message
            ));
        }
        if let Some(json) = self.json_files.first() {
            return Some(format!(
                "{}: Terraform's JSON syntax, which symguard does not read",
                display_path(json)
            ));
        }
        if let Some(encrypted) = self.encrypted_files.first() {
            return Some(format!(
                "{}: encrypted with git-crypt, which symguard cannot read",
                display_path(encrypted)
            ));
        }
        let (name, loc) = self.computed_sources.first()?;
        let (line, column) = loc.start();
        Some(format!(
            "{}:{line}:{column}: the computed source of `module.{name}` does not resolve, so symguard does not follow it",
            loc.file.display
        ))
    }

    /// The Terraform and tfvars files read, released or not.
    pub fn file_count(&self) -> usize {
        self.files.len() + self.tfvars.len() + self.released.len()
    }

    /// Frees the files of a directory that has been checked, trees and sources: the trees
    /// are 25 times the size of the source, and a large check that kept every source grew
    /// by the size of the repository. A source a finding, a syntax error or a suppression
    /// points at stays alive through its `Loc`; the paths stay, so a released directory is
    /// `Workspace::reload`ed before it is evaluated again.
    pub fn release(&mut self) {
        let paths: Vec<PathBuf> = self.all_files().map(|f| f.source.path.clone()).collect();
        self.released.extend(paths);
        self.files = Vec::new();
        self.tfvars = Vec::new();
    }
}

pub struct ParsedFile {
    pub source: Arc<SourceFile>,
    /// Empty for a variable file in JSON syntax, whose variables are `json_vars`, and for an
    /// encrypted file.
    pub body: Result<Body, SyntaxError>,
    /// A variable file in JSON syntax (`*.tfvars.json`): the variables it gives, read.
    pub json_vars: Vec<(String, crate::value::Value)>,
    /// Encrypted with git-crypt (it starts with git-crypt's header): nothing of it is read,
    /// and its text is left empty.
    pub encrypted: bool,
}

/// What a file encrypted by git-crypt starts with.
const GIT_CRYPT_HEADER: &[u8] = b"\0GITCRYPT\0";

/// Whether `path` names an override file (`override.tf`, `*_override.tf`): Terraform reads
/// a directory's other files first, then merges each block of these into the block it
/// names, file by file in name order (see `eval::Decl::merged`).
pub fn is_override(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|name| is_override_name(&name.to_string_lossy()))
}

fn is_override_name(name: &str) -> bool {
    name.strip_suffix(".tf")
        .is_some_and(|stem| stem == "override" || stem.ends_with("_override"))
}

#[derive(Clone, Debug)]
pub struct SyntaxError {
    pub loc: Loc,
    pub message: String,
}

/// A problem that stops the run (exit code 2).
#[derive(Debug)]
pub enum LoadError {
    MissingPath(PathBuf),
    NoTerraform(PathBuf),
    Io { path: PathBuf, error: String },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::MissingPath(p) => write!(f, "{}: no such file or directory", p.display()),
            LoadError::NoTerraform(p) => write!(
                f,
                "{}: no Terraform files (*.tf) found; pass the directory that holds your Sym configuration",
                p.display()
            ),
            LoadError::Io { path, error } => write!(f, "{}: cannot read: {error}", path.display()),
        }
    }
}

impl std::error::Error for LoadError {}

fn is_terraform(name: &str) -> bool {
    name.ends_with(".tf") || is_tfvars(name) || is_json_syntax(name)
}

/// Terraform files in JSON syntax (`*.tf.json`): found, so that a directory holding one is
/// known to be incomplete, but not read. Variable files in JSON syntax are read (`is_tfvars`).
fn is_json_syntax(name: &str) -> bool {
    name.ends_with(".tf.json")
}

/// The variable files Terraform loads by itself, in HCL or JSON syntax.
fn is_tfvars(name: &str) -> bool {
    let name = name.strip_suffix(".json").unwrap_or(name);
    name == "terraform.tfvars" || name.ends_with(".auto.tfvars")
}

/// `./envs/a.tf` and `envs/a.tf` are the same path for a reader, and so are
/// `envs/prod/../../modules/x` and `modules/x`.
pub fn display_path(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for part in path.components() {
        use std::path::Component;
        match part {
            Component::CurDir => {}
            Component::ParentDir if parts.last().is_some_and(|p| p != "..") => {
                parts.pop();
            }
            Component::RootDir => parts.push(String::new()),
            other => parts.push(other.as_os_str().to_string_lossy().into_owned()),
        }
    }
    match parts.as_slice() {
        [] => ".".to_string(),
        [root] if root.is_empty() => "/".to_string(),
        _ => parts.join("/"),
    }
}

/// The Terraform files found under the path arguments, by directory, and what could not
/// be read on the way.
pub struct Discovered {
    pub dirs: BTreeMap<PathBuf, Vec<PathBuf>>,
    /// Each of `dirs` with symlinks and `..` resolved, known from the walk without a
    /// `canonicalize` (about ten system calls) per directory.
    pub canonical: HashMap<PathBuf, PathBuf>,
    pub unreadable: Vec<LoadError>,
    /// The directories with a Terraform file among `unreadable`: incomplete modules.
    pub incomplete: HashSet<PathBuf>,
}

/// Finds the Terraform files under `paths`. A file argument stands for its whole directory,
/// because references resolve across all files of a module.
///
/// Symlinked directories are not followed, so neither a link loop nor a link to `/` can make
/// the walk leave the tree. A symlinked file is read when it resolves inside the tree's
/// repository (its git work tree, or the path argument outside one); a link that leads
/// elsewhere, or nowhere, is a file that cannot be read, so that a pull request cannot make
/// symguard print another file of the machine it runs on.
pub fn discover(paths: &[PathBuf]) -> Result<Discovered, LoadError> {
    let mut dirs: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    let mut canonical = HashMap::new();
    let mut unreadable = Vec::new();
    let mut incomplete = HashSet::new();
    let mut seen = HashSet::new();
    for arg in paths {
        let meta = std::fs::metadata(arg).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => LoadError::MissingPath(arg.clone()),
            _ => LoadError::Io {
                path: arg.clone(),
                error: e.to_string(),
            },
        })?;
        let (root, depth) = if meta.is_file() {
            let parent = arg.parent().filter(|p| !p.as_os_str().is_empty());
            (parent.unwrap_or(Path::new(".")).to_path_buf(), Some(1))
        } else {
            (arg.clone(), None)
        };
        let canonical_root = std::fs::canonicalize(&root).map_err(|e| LoadError::Io {
            path: root.clone(),
            error: e.to_string(),
        })?;
        let boundary = Repositories::default()
            .of(&canonical_root)
            .unwrap_or(canonical_root.clone());
        let walker = ignore::WalkBuilder::new(&root)
            .max_depth(depth)
            .require_git(false)
            .filter_entry(|e| e.file_name() != ".terraform")
            .build();
        for entry in walker {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    unreadable.push(walk_error(&root, e));
                    continue;
                }
            };
            let name = entry.file_name().to_string_lossy();
            let Some(file_type) = entry.file_type() else {
                continue;
            };
            if !is_terraform(&name) || !(file_type.is_file() || file_type.is_symlink()) {
                continue;
            }
            let path = entry.path().to_path_buf();
            if file_type.is_symlink() {
                match readable_link(&path, &boundary) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(e) => {
                        incomplete.insert(path.parent().unwrap_or(Path::new("")).to_path_buf());
                        unreadable.push(e);
                        continue;
                    }
                }
            }
            // Overlapping arguments reach a file twice. The walk follows no directory link,
            // so below the canonical root an entry's path is already canonical: one
            // canonicalize per argument instead of one per file. A symbolic link is its own
            // entry, not its target: Terraform reads `locals.tf -> ../locals.tf` as part of
            // this directory, and the target as part of its own.
            let key = match path.strip_prefix(&root) {
                Ok(relative) => canonical_root.join(relative),
                Err(_) => std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone()),
            };
            if seen.insert(key) {
                let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
                match dirs.entry(dir) {
                    btree_map::Entry::Occupied(mut files) => files.get_mut().push(path),
                    btree_map::Entry::Vacant(slot) => {
                        // The walk follows no directory link, so below the canonical root
                        // a directory's path is canonical too.
                        if let Ok(relative) = slot.key().strip_prefix(&root) {
                            let resolved = match relative.as_os_str().is_empty() {
                                true => canonical_root.clone(),
                                false => canonical_root.join(relative),
                            };
                            canonical.insert(slot.key().clone(), resolved);
                        }
                        slot.insert(vec![path]);
                    }
                }
            }
        }
        let found_tf = dirs.values().flatten().any(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            p.starts_with(&root) && (name.ends_with(".tf") || name.ends_with(".tf.json"))
        });
        if !found_tf && meta.is_file() {
            // A tfvars file outside any module (pre-commit passes changed files one by
            // one): nothing to check there, and the other arguments still are.
            eprintln!(
                "note: {}: no .tf file beside it, so it belongs to no module; skipped",
                arg.display()
            );
            dirs.remove(&root);
            continue;
        }
        if !found_tf && unreadable.is_empty() {
            return Err(LoadError::NoTerraform(arg.clone()));
        }
    }
    match paths.first() {
        Some(first) if dirs.is_empty() && unreadable.is_empty() => {
            Err(LoadError::NoTerraform(first.clone()))
        }
        _ => Ok(Discovered {
            dirs,
            canonical,
            unreadable,
            incomplete,
        }),
    }
}

/// The git work tree of each directory seen in one load: a monorepo's thousands of
/// directories share a few ancestors, each looked up once.
#[derive(Default)]
struct Repositories(std::sync::Mutex<foldhash::HashMap<PathBuf, Option<PathBuf>>>);

impl Repositories {
    /// The git work tree `dir` (canonical) is in.
    fn of(&self, dir: &Path) -> Option<PathBuf> {
        let known = |dir: &Path| {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(dir)
                .cloned()
        };
        if let Some(repository) = known(dir) {
            return repository;
        }
        let repository = match dir.join(".git").exists() {
            true => Some(dir.to_path_buf()),
            false => dir.parent().and_then(|parent| self.of(parent)),
        };
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(dir.to_path_buf(), repository.clone());
        repository
    }
}

/// A symbolic link named like a Terraform file: read when it leads to a file inside
/// `boundary` (`Ok(true)`), passed over when it leads to a directory (`Ok(false)`), and
/// otherwise a file that cannot be read.
fn readable_link(path: &Path, boundary: &Path) -> Result<bool, LoadError> {
    match std::fs::canonicalize(path) {
        Ok(target) if target.starts_with(boundary) && target.is_file() => Ok(true),
        Ok(target) if target.is_dir() => Ok(false),
        Ok(target) => Err(LoadError::Io {
            path: path.to_path_buf(),
            error: format!(
                "a symbolic link to {}, outside {}; not read",
                target.display(),
                boundary.display()
            ),
        }),
        Err(e) => Err(LoadError::Io {
            path: path.to_path_buf(),
            error: format!("a symbolic link that leads nowhere readable: {e}"),
        }),
    }
}

/// What the walker could not read, by path.
fn walk_error(root: &Path, error: ignore::Error) -> LoadError {
    fn path_of(error: &ignore::Error) -> Option<&Path> {
        match error {
            ignore::Error::WithPath { path, .. } => Some(path),
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                path_of(err)
            }
            _ => None,
        }
    }
    let path = path_of(&error).unwrap_or(root).to_path_buf();
    let error = error
        .io_error()
        .map_or_else(|| error.to_string(), |e| e.to_string());
    LoadError::Io { path, error }
}

/// Reads and parses one file. Invalid UTF-8 is a syntax error at the first bad byte,
/// like Terraform reports it; the file is kept (lossily decoded) so the report can show it.
pub fn parse_file(path: &Path) -> Result<ParsedFile, LoadError> {
    let bytes = std::fs::read(path).map_err(|e| LoadError::Io {
        path: path.to_path_buf(),
        error: e.to_string(),
    })?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let display = display_path(path);
    if bytes.starts_with(GIT_CRYPT_HEADER) {
        return Ok(ParsedFile {
            source: SourceFile::new(display, path.to_path_buf(), String::new()),
            body: Ok(Body::new()),
            json_vars: Vec::new(),
            encrypted: true,
        });
    }
    let (text, utf8_error) = match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), None),
        Err(e) => (
            String::from_utf8_lossy(bytes).into_owned(),
            Some(e.valid_up_to()),
        ),
    };
    let source = SourceFile::new(display, path.to_path_buf(), text);
    // Terraform reads a variable file (and only those come here) ending in `.json` as JSON.
    if utf8_error.is_none() && path.extension().is_some_and(|e| e == "json") {
        let (body, json_vars) = match json_vars::parse(&source) {
            Ok(vars) => (Ok(Body::new()), vars),
            Err(error) => (Err(error), Vec::new()),
        };
        return Ok(ParsedFile {
            source,
            body,
            json_vars,
            encrypted: false,
        });
    }
    let body = match utf8_error {
        Some(offset) => Err(SyntaxError {
            loc: Loc::new(&source, offset..offset + 1),
            message: "the file is not valid UTF-8 text".to_string(),
        }),
        None => parse::parse_body(&source.text).map_err(|e| {
            let offset = e.location().offset();
            SyntaxError {
                loc: Loc::new(&source, offset..(offset + 1).min(source.text.len())),
                message: e.message().to_string(),
            }
        }),
    };
    Ok(ParsedFile {
        source,
        body,
        json_vars: Vec::new(),
        encrypted: false,
    })
}

/// Every module directory of a run: those under the PATH arguments, then those reached
/// only through local module calls.
pub struct Workspace {
    pub modules: Vec<ModuleDir>,
    /// Files and directories that could not be read. Their modules count as incomplete, so
    /// nothing is reported missing for want of them; `check` reports the rest, then ends
    /// with exit code 2.
    pub unreadable: Vec<LoadError>,
}

impl Workspace {
    /// For the commands that act on the whole declared set (drift, remediate, snapshot,
    /// model): a file that could not be read stops them before they start.
    pub fn complete(mut self) -> Result<Workspace, LoadError> {
        match self.unreadable.is_empty() {
            true => Ok(self),
            false => Err(self.unreadable.swap_remove(0)),
        }
    }

    /// Reads a released directory again, for a module found to be called after all: its
    /// caller's evaluation needs the trees.
    pub fn reload(&mut self, index: usize) {
        let old = &self.modules[index];
        let paths = old
            .all_files()
            .map(|f| f.source.path.clone())
            .chain(old.released.iter().cloned())
            .chain(old.json_files.iter().cloned())
            .chain(old.encrypted_files.iter().cloned())
            .collect();
        let (mut module, errors) = load_dir(
            old.dir.clone(),
            old.canonical.clone(),
            paths,
            old.scanned,
            &Repositories::default(),
        );
        module.unreadable |= old.unreadable;
        for (name, source) in &old.resolved_sources {
            module.computed_sources.retain(|(call, _)| call != name);
            module.local_sources.push(source.clone());
        }
        module.resolved_sources = old.resolved_sources.clone();
        self.unreadable.extend(errors);
        self.modules[index] = module;
    }

    /// Follows the computed `source` of the call `name` in module `index`, which evaluation
    /// resolved to `source` (Terraform 1.15 evaluates it at `init` from const variables):
    /// a local directory is read like one a literal source names, with what it calls; a
    /// registry or remote source is no longer a gap, as symguard reads none of those.
    pub fn follow_computed(&mut self, index: usize, name: &str, source: &str) {
        let module = &mut self.modules[index];
        module.computed_sources.retain(|(call, _)| call != name);
        if local_source(source).is_some() {
            module
                .resolved_sources
                .push((name.to_string(), source.to_string()));
            module.local_sources.push(source.to_string());
            follow_local_calls(
                &mut self.modules,
                &mut self.unreadable,
                &Repositories::default(),
            );
        }
    }

    /// The directory a local module call (`source = "./..."` or `"../..."`) names.
    pub fn called_module(&self, caller: &ModuleDir, source: &str) -> Option<usize> {
        let dir = local_source(source)?;
        let canonical = std::fs::canonicalize(caller.dir.join(dir)).ok()?;
        if !caller.may_call(&canonical) {
            return None;
        }
        self.modules.iter().position(|m| m.canonical == canonical)
    }

    /// The modules each module calls, by index.
    fn calls(&self) -> Vec<Vec<usize>> {
        self.modules
            .iter()
            .map(|m| {
                local_calls(m)
                    .iter()
                    .filter_map(|source| self.called_module(m, source))
                    .collect()
            })
            .collect()
    }

    /// Every module some module calls.
    pub fn called_modules(&self) -> std::collections::BTreeSet<usize> {
        self.calls().into_iter().flatten().collect()
    }

    /// The modules to check as roots: every scanned directory that no other module calls.
    /// A module called from a root is checked through that call, with the caller's inputs.
    /// Directories that call each other with no root above them are roots too, so that
    /// nothing scanned goes unchecked.
    pub fn roots(&self) -> Vec<usize> {
        let calls = self.calls();
        let mut called = vec![false; self.modules.len()];
        for (caller, callees) in calls.iter().enumerate() {
            for &callee in callees.iter().filter(|&&callee| callee != caller) {
                called[callee] = true;
            }
        }
        let mut roots: Vec<usize> = (0..self.modules.len())
            .filter(|&i| self.modules[i].scanned && !called[i])
            .collect();
        loop {
            let mut reached = vec![false; self.modules.len()];
            let mut stack = roots.clone();
            while let Some(i) = stack.pop() {
                if !std::mem::replace(&mut reached[i], true) {
                    stack.extend(&calls[i]);
                }
            }
            match (0..self.modules.len()).find(|&i| self.modules[i].scanned && !reached[i]) {
                Some(unreached) => roots.push(unreached),
                None => return roots,
            }
        }
    }
}

/// A module source that is a local directory: Terraform recognises them by `./` or `../`.
pub fn local_source(source: &str) -> Option<&str> {
    (source.starts_with("./") || source.starts_with("../")).then_some(source)
}

/// Reads and parses the files of one directory (`canonical` is the directory resolved);
/// those that cannot be read are returned beside it.
fn load_dir(
    dir: PathBuf,
    canonical: PathBuf,
    mut files: Vec<PathBuf>,
    scanned: bool,
    repositories: &Repositories,
) -> (ModuleDir, Vec<LoadError>) {
    files.sort_by_cached_key(|p| read_order(p));
    let (json_files, files): (Vec<PathBuf>, Vec<PathBuf>) = files
        .into_iter()
        .partition(|p| is_json_syntax(&p.file_name().unwrap_or_default().to_string_lossy()));
    // Directories are read in parallel already: splitting one of a few files into jobs
    // only woke the other worker to find nothing left to do (1,000 roots: 1,000 futex
    // waits and 10,000 sched_yield calls), so only a large directory is split.
    let (parsed, unreadable): (Vec<_>, Vec<_>) = files
        .par_iter()
        .with_min_len(16)
        .map(|p| parse_file(p))
        .partition(Result::is_ok);
    let (encrypted, mut parsed): (Vec<ParsedFile>, Vec<ParsedFile>) =
        parsed.into_iter().flatten().partition(|f| f.encrypted);
    let encrypted_files = encrypted
        .into_iter()
        .map(|f| f.source.path.clone())
        .collect();
    let unreadable: Vec<LoadError> = unreadable.into_iter().filter_map(Result::err).collect();
    let sensitive_variables: std::collections::BTreeSet<String> = parsed
        .iter()
        .filter_map(|f| f.body.as_ref().ok())
        .flat_map(crate::secrets::sensitive_variables)
        .collect();
    let mut secret_values = Vec::new();
    for file in &mut parsed {
        let spans = match &file.body {
            Ok(body) => {
                let (spans, values) = match file.json_vars.is_empty() {
                    true => crate::secrets::find(body, &sensitive_variables),
                    false => {
                        crate::secrets::find_in_json_vars(&file.json_vars, &sensitive_variables)
                    }
                };
                secret_values.extend(values);
                spans
            }
            Err(_) => crate::secrets::lines_with_secrets(&file.source.text),
        };
        if !spans.is_empty() {
            let source = &file.source;
            let masked = crate::secrets::mask(&source.text, &spans);
            file.source = SourceFile::new(source.display.clone(), source.path.clone(), masked);
            json_vars::relocate(&mut file.json_vars, &file.source);
            if let Err(error) = &mut file.body {
                error.loc = Loc::new(&file.source, error.loc.span.clone());
            }
        }
    }
    let suppressions = parsed
        .iter()
        .flat_map(|file| crate::suppress::collect(&file.source, file.body.as_ref().ok()))
        .collect();
    let (tfvars, files): (Vec<ParsedFile>, Vec<ParsedFile>) = parsed.into_iter().partition(|f| {
        is_tfvars(
            &f.source
                .path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy(),
        )
    });
    let first_override = files.partition_point(|f| !is_override(&f.source.path));
    let mut module = ModuleDir {
        display: display_path(&dir),
        repository: std::sync::OnceLock::new(),
        canonical,
        scanned,
        dir,
        files,
        first_override,
        tfvars,
        unreadable: !unreadable.is_empty(),
        json_files,
        encrypted_files,
        computed_sources: Vec::new(),
        resolved_sources: Vec::new(),
        local_sources: Vec::new(),
        sensitive_variables,
        secret_values,
        suppressions,
        released: Vec::new(),
    };
    (module.local_sources, module.computed_sources) = calls_of(&module);
    if !local_calls(&module).is_empty() {
        module
            .repository
            .get_or_init(|| repositories.of(&module.canonical));
    }
    (module, unreadable)
}

/// The Terraform files of a called module's directory, symbolic links included as
/// `discover` takes them (inside `boundary`), with the links that cannot be read.
fn list_dir(dir: &Path, boundary: &Path) -> Result<(Vec<PathBuf>, Vec<LoadError>), LoadError> {
    let io = |e: std::io::Error| LoadError::Io {
        path: dir.to_path_buf(),
        error: e.to_string(),
    };
    let (mut files, mut unreadable) = (Vec::new(), Vec::new());
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(name.ends_with(".tf") || name.ends_with(".tf.json")) {
            continue;
        }
        let file_type = entry.file_type().map_err(io)?;
        let read = match file_type.is_symlink() {
            true => readable_link(&entry.path(), boundary).unwrap_or_else(|e| {
                unreadable.push(e);
                false
            }),
            false => file_type.is_file(),
        };
        if read {
            files.push(entry.path());
        }
    }
    Ok((files, unreadable))
}

/// The local directories the module's calls name: their literal sources, and the computed
/// ones (Terraform 1.15) that evaluation resolved (`Workspace::follow_computed`).
pub fn local_calls(module: &ModuleDir) -> &[String] {
    &module.local_sources
}

/// The local directories of the module calls with a literal source, and those whose
/// source is an expression (as Terraform 1.15 allows with const variables), by name, with
/// where the expression is: evaluation may resolve those (`Workspace::follow_computed`).
fn calls_of(module: &ModuleDir) -> (Vec<String>, Vec<(String, Loc)>) {
    let (mut local, mut computed) = (Vec::new(), Vec::new());
    for (name, source) in module_sources(module) {
        let Some((file, expr)) = source else { continue };
        match expr {
            hcl_edit::expr::Expression::String(s) => local.extend(local_source(s.value())),
            _ => computed.push((name.to_string(), Loc::of(file, hcl_edit::Span::span(expr)))),
        }
    }
    (local.into_iter().map(str::to_string).collect(), computed)
}

/// An expression with the file it is written in.
type SourceExpr<'m> = (&'m Arc<SourceFile>, &'m hcl_edit::expr::Expression);

/// Each `module` block's name and its `source` expression as Terraform reads it: an
/// override file's `source` replaces the one of the call it overrides; of a call declared
/// twice, the first counts.
fn module_sources(module: &ModuleDir) -> Vec<(&str, Option<SourceExpr<'_>>)> {
    let mut calls: Vec<(&str, Option<SourceExpr>)> = Vec::new();
    let primary = module.primary_files().iter().map(|file| (file, false));
    for (file, is_override) in primary.chain(module.override_files().iter().map(|f| (f, true))) {
        let Ok(body) = &file.body else { continue };
        for block in crate::hcl::blocks_named(body, "module") {
            let Some(name) = block.labels.first().map(|l| l.as_str()) else {
                continue;
            };
            let source = block
                .body
                .get_attribute("source")
                .map(|a| (&file.source, &a.value));
            match calls.iter_mut().find(|(called, _)| *called == name) {
                Some(call) if is_override => call.1 = source.or(call.1),
                // Declared twice (`duplicate-declaration`), or an override of nothing
                // (`unresolved-reference`).
                Some(_) => {}
                None if is_override => {}
                None => calls.push((name, source)),
            }
        }
    }
    calls
}

/// Walks `paths`, parses every Terraform file in parallel, then loads the directories
/// that local module calls reach outside the paths.
pub fn load(paths: &[PathBuf]) -> Result<Workspace, LoadError> {
    let (workspace, _) = load_visiting(discover(paths)?, |module| (module, None::<()>));
    Ok(workspace)
}

/// Loads the discovered directories like `load`, and hands each directory under the paths
/// that calls no local module (nor has a computed source) to `visit` as soon as it is
/// parsed, in parallel: `check`
/// checks it there as a root and releases its trees. What `visit` returns is given back by
/// module index (`None` for the modules it did not see).
pub fn load_visiting<T: Send>(
    discovered: Discovered,
    visit: impl Fn(ModuleDir) -> (ModuleDir, Option<T>) + Sync,
) -> (Workspace, Vec<Option<T>>) {
    let Discovered {
        dirs,
        mut canonical,
        mut unreadable,
        incomplete,
    } = discovered;
    let dirs: Vec<(PathBuf, Option<PathBuf>, Vec<PathBuf>)> = dirs
        .into_iter()
        .map(|(dir, files)| {
            let resolved = canonical.remove(&dir);
            (dir, resolved, files)
        })
        .collect();
    let repositories = Repositories::default();
    let mut modules = Vec::new();
    let mut visited = Vec::new();
    for (module, errors, seen) in dirs
        .into_par_iter()
        .map(|(dir, canonical, files)| {
            let canonical = canonical
                .unwrap_or_else(|| std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone()));
            let incomplete = incomplete.contains(&dir);
            let (mut module, errors) = load_dir(dir, canonical, files, true, &repositories);
            module.unreadable |= incomplete;
            // One that calls a local module, or may (a computed source), is checked
            // once everything is loaded.
            let alone = local_calls(&module).is_empty() && module.computed_sources.is_empty();
            let (module, seen) = match alone {
                true => visit(module),
                false => (module, None),
            };
            (module, errors, seen)
        })
        .collect::<Vec<_>>()
    {
        modules.push(module);
        visited.push(seen);
        unreadable.extend(errors);
    }
    follow_local_calls(&mut modules, &mut unreadable, &repositories);
    visited.resize_with(modules.len(), || None);
    let workspace = Workspace {
        modules,
        unreadable,
    };
    (workspace, visited)
}

/// Loads the directories the local calls of `modules` name, and theirs in turn, that are
/// not loaded yet.
fn follow_local_calls(
    modules: &mut Vec<ModuleDir>,
    unreadable: &mut Vec<LoadError>,
    repositories: &Repositories,
) {
    let mut next = 0;
    while next < modules.len() {
        for source in modules[next].local_sources.clone() {
            let dir = modules[next].dir.join(&source);
            // A call to a directory that does not exist is reported by the rules.
            let Ok(canonical) = std::fs::canonicalize(&dir) else {
                continue;
            };
            if canonical.is_dir()
                && modules[next].may_call(&canonical)
                && !modules.iter().any(|m| m.canonical == canonical)
            {
                // As in `discover`, with the module's own directory as the tree when it is
                // in no repository.
                let boundary = repositories.of(&canonical).unwrap_or(canonical.clone());
                let (files, unlinked) = match list_dir(&dir, &boundary) {
                    Ok(listed) => listed,
                    Err(e) => {
                        // Unlisted, the module counts as not there: its caller is incomplete.
                        modules[next].unreadable = true;
                        unreadable.push(e);
                        continue;
                    }
                };
                let (mut module, errors) = load_dir(dir, canonical, files, false, repositories);
                module.unreadable |= !unlinked.is_empty();
                modules.push(module);
                unreadable.extend(unlinked);
                unreadable.extend(errors);
            }
        }
        next += 1;
    }
}

/// The order a directory's files are read in: `terraform.tfvars`, `terraform.tfvars.json`,
/// then `*.auto.tfvars` and `*.auto.tfvars.json` (Terraform's precedence), override files
/// after the others, otherwise by file name.
fn read_order(path: &Path) -> (u8, bool, String) {
    let name = path
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .to_string();
    let rank = match name.as_str() {
        "terraform.tfvars" => 0,
        "terraform.tfvars.json" => 1,
        _ => 2,
    };
    (rank, is_override_name(&name), name)
}
