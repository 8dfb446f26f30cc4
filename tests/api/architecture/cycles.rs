use std::collections::BTreeSet;

use super::imports::{crate_paths, top_level_items};
use super::{library_files, library_path, module_of, part_of, Part};

/// A file's module path below the crate: `orders/list/mod.rs` is `orders::list`.
fn module_path(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file.trim_end_matches(".rs").split('/').map(str::to_owned).collect();
    if parts.last().is_some_and(|last| last == "mod" || last == "lib") {
        parts.pop();
    }
    parts
}

/// The file that defines the longest existing module on `path`, if any.
fn module_file(path: &[String]) -> Option<(String, usize)> {
    (1..=path.len()).rev().find_map(|len| {
        let dir = path[..len].join("/");
        [format!("{dir}.rs"), format!("{dir}/mod.rs")]
            .into_iter()
            .find(|candidate| library_path(candidate).is_some())
            .map(|file| (file, len))
    })
}

/// The file that defines what `path` names: its module's file, or, for an item a
/// `mod.rs` only re-exports (`pub use counters::Occupancy;`), the file it comes from.
fn file_of(path: &[String]) -> Option<String> {
    let (file, len) = module_file(path)?;
    let Some(item) = path.get(len) else { return Some(file) };
    if !file.ends_with("mod.rs") {
        return Some(file);
    }
    let code = std::fs::read_to_string(library_path(&file)?).ok()?;
    let module = module_path(&file);
    let reexported = named_paths(&file, &code)
        .into_iter()
        .filter(|p| p.last() == Some(item) && p.len() > module.len() + 1 && p.starts_with(&module))
        .find_map(|p| module_file(&p).map(|(from, _)| from));
    Some(reexported.unwrap_or(file))
}

/// Every path a file names (`crate::…`, `super::…`, and in `use` lines its own child
/// modules), groups spelled out, made absolute.
fn named_paths(file: &str, code: &str) -> Vec<Vec<String>> {
    let module = module_path(file);
    let code: String = code
        .lines()
        .map(|l| l.split("//").next().unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        read_path(&code[at + "crate::".len()..], Vec::new(), &mut found);
    }
    let parent: Vec<String> = match file.ends_with("mod.rs") {
        true => module[..module.len().saturating_sub(1)].to_vec(),
        false => module[..module.len().saturating_sub(1)].to_vec(),
    };
    for (at, _) in code
        .match_indices("super::")
        .filter(|(at, _)| !code[..*at].ends_with("::"))
    {
        let mut relative = Vec::new();
        read_path(&code[at..], Vec::new(), &mut relative);
        for path in relative {
            let ups = path.iter().take_while(|s| *s == "super").count();
            let mut absolute = parent[..parent.len().saturating_sub(ups - 1)].to_vec();
            absolute.extend(path.into_iter().skip(ups));
            found.push(absolute);
        }
    }
    for line in code.lines().map(str::trim) {
        let Some(rest) = line.strip_prefix("pub use ").or_else(|| line.strip_prefix("use ")) else {
            continue;
        };
        let mut relative = Vec::new();
        read_path(rest, module.clone(), &mut relative);
        found.extend(
            relative
                .into_iter()
                .filter(|p| p.len() > module.len() && module_file(&p[..=module.len()]).is_some()),
        );
    }
    found
}

/// Reads one path (or group) at the start of `code` onto `prefix`.
fn read_path(code: &str, prefix: Vec<String>, found: &mut Vec<Vec<String>>) {
    let code = code.trim_start();
    if let Some(group) = code.strip_prefix('{') {
        for item in top_level_items(group) {
            read_path(item, prefix.clone(), found);
        }
        return;
    }
    let segment: String = code.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    if segment.is_empty() || segment == "self" {
        found.push(prefix);
        return;
    }
    let mut path = prefix;
    path.push(segment.clone());
    match code[segment.len()..].strip_prefix("::") {
        Some(next) => read_path(next, path, found),
        None => found.push(path),
    }
}

/// File → the files it imports from, leaving out the file itself, the `mod.rs` of the
/// folders it sits in and, for a `mod.rs`, its own folder's files: a folder's `mod.rs`
/// holds and re-exports its children, it is not their peer.
fn file_imports() -> std::collections::BTreeMap<String, BTreeSet<String>> {
    library_files()
        .iter()
        .map(|(file, code)| {
            let module = module_path(file);
            let targets = named_paths(file, code)
                .iter()
                .filter_map(|path| file_of(path))
                .filter(|target| {
                    let target_module = module_path(target);
                    let contains = file.ends_with("mod.rs") && target_module.starts_with(&module);
                    target != file && !module.starts_with(&target_module) && !contains
                })
                .collect();
            (file.clone(), targets)
        })
        .collect()
}

/// One cycle of the graph, as the files on it, if there is any.
fn a_cycle(graph: &std::collections::BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        file: &str,
        graph: &std::collections::BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|f| f == file) {
            return Some(path[at..].to_vec());
        }
        if !done.insert(file.to_owned()) {
            return None;
        }
        path.push(file.to_owned());
        for next in graph.get(file).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, done, path) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|file| visit(file, graph, &mut done, &mut Vec::new()))
}

#[test]
fn no_two_files_import_each_other_even_through_others() {
    let graph = file_imports();
    assert!(graph
        .get("startup/layers.rs")
        .is_some_and(|targets| targets.contains("routes.rs")));
    if let Some(cycle) = a_cycle(&graph) {
        panic!("an import cycle among src/ files: {}", cycle.join(" -> "));
    }
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    let graph = [("a.rs", "b.rs"), ("b.rs", "c.rs"), ("c.rs", "a.rs")]
        .into_iter()
        .map(|(from, to)| (from.to_owned(), BTreeSet::from([to.to_owned()])))
        .collect();
    assert_eq!(a_cycle(&graph).map(|c| c.len()), Some(3));
}

/// The plumbing modules import one another one way only: no loop among them (a loop,
/// such as `db` and `config` needing each other, leaves no order to read or change them in).
#[test]
fn the_plumbing_modules_import_one_another_without_a_loop() {
    let mut edges: BTreeSet<(String, String)> = BTreeSet::new();
    for (file, code) in library_files() {
        let from = module_of(&file).to_owned();
        if part_of(&from) != Some(Part::Plumbing) {
            continue;
        }
        for (to, _) in crate_paths(&code) {
            if to != from && part_of(&to) == Some(Part::Plumbing) {
                edges.insert((from.clone(), to));
            }
        }
    }
    assert!(edges.len() >= 5, "the plumbing's imports are read: {edges:?}");
    let loops: Vec<String> = edges
        .iter()
        .filter(|(from, to)| reaches(&edges, to, from, &mut BTreeSet::new()))
        .map(|(from, to)| format!("{from} -> {to}"))
        .collect();
    assert!(
        loops.is_empty(),
        "plumbing imports that close a loop:\n{}",
        loops.join("\n")
    );
}

/// Whether `from` reaches `to` along `edges`.
fn reaches(edges: &BTreeSet<(String, String)>, from: &str, to: &str, seen: &mut BTreeSet<String>) -> bool {
    if from == to {
        return true;
    }
    if !seen.insert(from.to_owned()) {
        return false;
    }
    edges
        .iter()
        .filter(|(a, _)| a == from)
        .any(|(_, b)| reaches(edges, b, to, seen))
}
