use std::collections::BTreeSet;

use super::{library_files, library_path, may_import, module_of, part_of, Part};

/// The paths a piece of code names after `crate::`, as their first two segments,
/// groups (`crate::{a, b::{c, d}}`) spelled out.
pub(super) fn crate_paths(code: &str) -> Vec<(String, Option<String>)> {
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
pub(super) fn top_level_items(group: &str) -> Vec<&str> {
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
    library_path(module)
        .is_some_and(|dir| dir.is_dir() && (dir.join(format!("{name}.rs")).exists() || dir.join(name).is_dir()))
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
