//! The crate's modules import each other one way only: no cycle between the top-level
//! modules of `src/` (`check`, `drift`, `rules`, `live`, ...), and no lower module calls up
//! into the crate root. A module's own submodules are its parts and may refer to it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// The top-level modules each top-level module uses (`crate::NAME`), from its files' code
/// outside `#[cfg(test)]` modules and comments.
fn uses() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = vec![Path::new("src").to_path_buf()];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let relative = path
            .strip_prefix("src")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let module = relative.split('/').next().unwrap().trim_end_matches(".rs");
        // The binary's front end and the crate root sit above every module; test harnesses
        // (`testing.rs`, compiled for tests only) may use anything.
        if ["main", "lib", "cli"].contains(&module)
            || relative.ends_with("testing.rs")
            || !relative.ends_with(".rs")
        {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        let code = text.split("#[cfg(test)]\nmod ").next().unwrap();
        let code: String = code
            .lines()
            .map(|l| l.split("//").next().unwrap())
            .collect::<Vec<_>>()
            .join("\n");
        let used = graph.entry(module.to_string()).or_default();
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + "crate::".len()..];
            let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                group.split(',').map(|n| n.trim()).collect()
            } else {
                vec![rest]
            };
            for name in names {
                let name: String = name
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != module {
                    used.insert(name);
                }
            }
        }
    }
    graph
}

#[test]
fn no_module_cycle() {
    let graph = uses();
    assert!(graph.len() > 20, "only {} modules found", graph.len());
    // Depth-first search for a path back to where it started.
    fn back_to<'g>(
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        start: &str,
        at: &'g str,
        path: &mut Vec<&'g str>,
        seen: &mut BTreeSet<&'g str>,
    ) -> bool {
        for next in graph.get(at).into_iter().flatten() {
            if next == start {
                path.push(next);
                return true;
            }
            if seen.insert(next) {
                path.push(next);
                if back_to(graph, start, next, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    for module in graph.keys() {
        let mut path = vec![module.as_str()];
        if back_to(&graph, module, module, &mut path, &mut BTreeSet::new()) {
            panic!("import cycle: {}", path.join(" -> "));
        }
    }
}

#[test]
fn nothing_below_the_commands_uses_the_crate_root() {
    let graph = uses();
    for (module, used) in &graph {
        for name in used {
            assert!(
                graph.contains_key(name),
                "`{module}` uses `crate::{name}`, which is the crate root's, not a module's"
            );
        }
    }
}

#[test]
fn the_cycle_check_sees_uses() {
    let graph = uses();
    assert!(graph["check"].contains("rules"), "{:?}", graph["check"]);
    assert!(graph["drift"].contains("check"), "{:?}", graph["drift"]);
    assert!(!graph["rules"].contains("check"), "{:?}", graph["rules"]);
}
