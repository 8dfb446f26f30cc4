//! The architecture's rules, read from `src/` (ARCHITECTURE.md explains them): which
//! part may import which, features reached only through their `mod.rs`, no import
//! cycle among files, files short enough to read (the tools' too: `src/bin/`,
//! `crates/bench/`), handlers thin, and benchmarks that write through the library. A
//! change that breaks one fails here, naming it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What a top-level module of `src/` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    /// Imports nothing of the crate but other leaves.
    Leaf,
    /// The domain's ids and stored statuses: below the plumbing and every feature.
    Domain,
    Plumbing,
    /// The web layer's error types.
    WebError,
    /// A feature at its level: it may use features of lower levels only.
    Feature(u8),
    /// Assembly: the only parts that know every feature.
    Top,
}

fn part_of(module: &str) -> Option<Part> {
    Some(match module {
        "paths" | "ui" => Part::Leaf,
        "db" | "lease_queue" | "live" | "auth" | "config" | "client" | "forms" | "quota" | "redis_link"
        | "telemetry" | "security_headers" | "http_error" | "htmx" => Part::Plumbing,
        "domain" => Part::Domain,
        // A page's panels load within the web layer's error and budget.
        "error" | "panels" => Part::WebError,
        "events" => Part::Feature(0),
        "audit" => Part::Feature(1),
        "webhooks" => Part::Feature(2),
        "orders" | "signin" => Part::Feature(3),
        // The gate engine: no screen.
        "scanning" => Part::Feature(4),
        // What the gates' screens share: arrivals and gate alerts.
        "arrivals" | "gate_alerts" | "health" | "static_files" | "provisioning" | "team" | "account" => {
            Part::Feature(5)
        }
        // The screens.
        "monitor" | "door" | "dashboard" | "kiosk" | "overview" => Part::Feature(6),
        "startup" | "app" | "routes" | "lib" => Part::Top,
        _ => return None,
    })
}

fn may_import(from: Part, to: Part) -> bool {
    match (from, to) {
        (Part::Top, _) => true,
        (_, Part::Top) => false,
        (Part::Leaf, to) => to == Part::Leaf,
        (Part::Domain, to) => to <= Part::Domain,
        (Part::Plumbing, to) => to <= Part::Plumbing,
        (Part::WebError, to) => to <= Part::WebError,
        (Part::Feature(level), Part::Feature(other)) => other < level,
        (Part::Feature(_), _) => true,
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every library source file (the binary's tools under `src/bin/` are users of the
/// library, not part of it), as (path below src/, text).
fn library_files() -> Vec<(String, String)> {
    fn walk(dir: &Path, into: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() && !path.ends_with("bin") {
                walk(&path, into);
            } else if path.extension().is_some_and(|e| e == "rs") {
                into.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(&src(), &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p.strip_prefix(src()).unwrap().to_string_lossy().into_owned(), text)
        })
        .collect()
}

fn module_of(file: &str) -> &str {
    file.split(['/', '.']).next().unwrap()
}

/// The paths a piece of code names after `crate::`, as their first two segments,
/// groups (`crate::{a, b::{c, d}}`) spelled out.
fn crate_paths(code: &str) -> Vec<(String, Option<String>)> {
    let code: String = code
        .lines()
        .map(|l| l.split("//").next().unwrap())
        .collect::<Vec<_>>()
        .join(" ");
    let mut found = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        expand(rest, None, &mut found);
    }
    found
}

/// Reads one path (or group) at the start of `code`; `first` is its module when the
/// path is already inside one.
fn expand(code: &str, first: Option<&str>, found: &mut Vec<(String, Option<String>)>) {
    let code = code.trim_start();
    if let Some(group) = code.strip_prefix('{') {
        for item in top_level_items(group) {
            expand(item, first, found);
        }
        return;
    }
    let segment: String = code.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    if segment.is_empty() {
        return;
    }
    let after = &code[segment.len()..];
    match (first, after.strip_prefix("::")) {
        (None, Some(next)) if next.trim_start().starts_with('{') => expand(next, Some(&segment), found),
        (None, Some(next)) => {
            let second: String = next.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            found.push((segment, Some(second).filter(|s| !s.is_empty())));
        }
        (None, None) => found.push((segment, None)),
        (Some(first), _) => found.push((first.to_owned(), Some(segment))),
    }
}

/// The comma-separated items of a `{…}` group up to its closing brace.
fn top_level_items(group: &str) -> Vec<&str> {
    let (mut depth, mut start, mut items) = (0, 0, Vec::new());
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&group[start..i]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items
}

/// Whether `module::name` is a submodule of a feature (a file or folder of its own)
/// rather than something its `mod.rs` re-exports.
fn is_submodule(module: &str, name: &str) -> bool {
    let dir = src().join(module);
    dir.is_dir() && (dir.join(format!("{name}.rs")).exists() || dir.join(name).is_dir())
}

fn import_violations(file: &str, code: &str) -> Vec<String> {
    let module = module_of(file);
    let Some(from) = part_of(module) else {
        return vec![format!("{file}: module `{module}` has no place in the architecture")];
    };
    let mut violations = BTreeSet::new();
    for (target, second) in crate_paths(code) {
        if target == module {
            continue;
        }
        let Some(to) = part_of(&target) else { continue };
        if !may_import(from, to) {
            violations.insert(format!("{file}: {from:?} `{module}` must not import {to:?} `{target}`"));
        }
        let reaches_in = matches!((from, to), (Part::Feature(_), Part::Feature(_)))
            && second.as_deref().is_some_and(|name| is_submodule(&target, name));
        if reaches_in {
            let name = second.unwrap_or_default();
            violations.insert(format!(
                "{file}: reaches into `{target}::{name}`; use what `{target}/mod.rs` re-exports"
            ));
        }
    }
    violations.into_iter().collect()
}

#[test]
fn imports_run_one_way_and_features_meet_only_through_their_mod_rs() {
    let violations: Vec<String> = library_files()
        .iter()
        .flat_map(|(file, code)| import_violations(file, code))
        .collect();
    assert!(
        violations.is_empty(),
        "{} wrong-way imports:\n{}",
        violations.len(),
        violations.join("\n")
    );
}

#[test]
fn the_rule_catches_a_wrong_way_import_and_a_reach_into_a_feature() {
    let plumbing = import_violations("db/pool.rs", "use crate::error::AppError;");
    assert_eq!(plumbing.len(), 1, "{plumbing:?}");
    let upward = import_violations("orders/x.rs", "use crate::{db, dashboard::MetricsCache};");
    assert_eq!(upward.len(), 1, "{upward:?}");
    let reach = import_violations("dashboard/x.rs", "let n = crate::scanning::writer::X;");
    assert!(
        reach.iter().any(|v| v.contains("reaches into `scanning::writer`")),
        "{reach:?}"
    );
    assert!(import_violations("dashboard/x.rs", "use crate::scanning::ScanCounters;").is_empty());
    assert!(import_violations("ui/x.rs", "use crate::paths;").is_empty());
}

/// Longest a file may be before it is split (the generated schema aside).
const MAX_FILE_LINES: usize = 300;
/// Longest a handler may be: parse, authorise, call the feature, render.
const MAX_HANDLER_LINES: usize = 25;

/// Fails naming every file over `MAX_FILE_LINES`.
fn assert_short(files: impl Iterator<Item = (String, String)>) {
    let long: Vec<String> = files
        .filter(|(_, code)| code.lines().count() > MAX_FILE_LINES)
        .map(|(file, code)| format!("{file}: {} lines", code.lines().count()))
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_FILE_LINES} lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn every_file_is_short_enough_to_read_at_once() {
    assert_short(library_files().into_iter().filter(|(file, _)| file != "db/schema.rs"));
}

/// The tools' sources, users of the library and so outside its import rules: the
/// server binary's commands (`src/bin/`) and the benchmarks' crate (`crates/bench/src/`),
/// as (path below the repository, text).
fn tool_files() -> Vec<(String, String)> {
    fn walk(dir: &Path, into: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, into);
            } else if path.extension().is_some_and(|e| e == "rs") {
                into.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    for dir in ["src/bin", "crates/bench/src"] {
        walk(&root.join(dir), &mut paths);
    }
    paths.sort();
    assert!(
        paths.iter().any(|p| p.starts_with(root.join("crates/bench"))),
        "the benchmarks' crate has moved: update tool_files"
    );
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p.strip_prefix(root).unwrap().to_string_lossy().into_owned(), text)
        })
        .collect()
}

#[test]
fn the_tools_files_are_short_enough_to_read_at_once_too() {
    assert_short(tool_files().into_iter());
}

/// A benchmark's data are written by the library (`provisioning`, `orders::sell`, the
/// scan writer …), so a fixture is what the app itself would write; it may read rows to
/// check them.
#[test]
fn the_benchmarks_write_through_the_library_not_raw_rows() {
    let writes = [
        "insert_into(",
        "diesel::update(",
        "diesel::delete(",
        "INSERT INTO",
        "UPDATE ",
        "DELETE FROM",
    ];
    let raw: Vec<String> = tool_files()
        .iter()
        .filter(|(file, _)| file.starts_with("crates/bench/"))
        .flat_map(|(file, code)| {
            code.lines()
                .enumerate()
                .filter(|(_, line)| writes.iter().any(|w| line.contains(w)))
                .map(move |(n, line)| format!("{file}:{}: {}", n + 1, line.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(raw.is_empty(), "raw writes in the benchmarks:\n{}", raw.join("\n"));
}

/// Each `pub async fn` of a file, with its length in lines.
fn handler_lengths(code: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = code.lines().collect();
    let mut found = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let Some(rest) = line.strip_prefix("pub async fn ") else {
            continue;
        };
        let name = rest.split(['(', '<']).next().unwrap_or_default().to_owned();
        let end = (start..lines.len()).find(|&i| lines[i] == "}").unwrap_or(lines.len());
        found.push((name, end - start + 1));
    }
    found
}

/// The handlers the route table names (`.to(feature::handler)`), by their names.
fn routed_handlers() -> BTreeSet<String> {
    let routes = std::fs::read_to_string(src().join("routes.rs")).unwrap();
    routes
        .split(".to(")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .filter_map(|path| path.rsplit("::").next())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .collect()
}

/// Every handler the route table names is measured, wherever it is defined (not only
/// in files called `handlers.rs`).
#[test]
fn no_handler_is_longer_than_it_takes_to_parse_authorise_call_and_render() {
    let routed = routed_handlers();
    assert!(routed.len() >= 40, "the route table's handlers are read: {routed:?}");
    let mut measured = BTreeSet::new();
    let long: Vec<String> = library_files()
        .iter()
        .flat_map(|(file, code)| {
            handler_lengths(code)
                .into_iter()
                .filter(|(name, _)| routed.contains(name))
                .inspect(|(name, _)| {
                    measured.insert(name.clone());
                })
                .filter(|(_, lines)| *lines > MAX_HANDLER_LINES)
                .map(move |(name, lines)| format!("{file}: {name} is {lines} lines"))
                .collect::<Vec<_>>()
        })
        .collect();
    let unmeasured: Vec<&String> = routed.difference(&measured).collect();
    assert!(
        unmeasured.is_empty(),
        "routed handlers not found as `pub async fn`: {unmeasured:?}"
    );
    assert!(
        long.is_empty(),
        "handlers over {MAX_HANDLER_LINES} lines:\n{}",
        long.join("\n")
    );
}

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
            .find(|candidate| src().join(candidate).exists())
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
    let code = std::fs::read_to_string(src().join(&file)).ok()?;
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
