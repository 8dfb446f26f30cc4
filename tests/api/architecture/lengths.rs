use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{library_files, repository};

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
    let root = repository();
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
    let routes = std::fs::read_to_string(repository().join("src/routes.rs")).unwrap();
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
