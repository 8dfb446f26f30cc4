//! The architecture's rules that the compiler cannot see (ARCHITECTURE.md explains
//! them), read from the library's sources: the console's `src/`, the plumbing's crate
//! `crates/platform/src/` and the gate engine's `crates/engine/src/`. Which part may
//! import which, features reached only through their `mod.rs` (`imports.rs`); no import
//! cycle among files and no loop among the plumbing's modules (`cycles.rs`); files short
//! enough to read, the tools' too, handlers thin, benchmarks that write through the
//! library (`lengths.rs`).
//! What a crate boundary already forbids (the plumbing or the engine importing a feature,
//! a screen or the web error) would not compile; the rules here still name it, so the
//! map stays one table.

mod cycles;
mod imports;
mod lengths;

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
        | "telemetry" | "tokens" | "security_headers" | "http_error" | "htmx" => Part::Plumbing,
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
        // Zones: set up here, moved between by the engine, shown by every screen.
        "arrivals" | "gate_alerts" | "health" | "static_files" | "provisioning" | "team" | "account" | "zones" => {
            Part::Feature(5)
        }
        // The screens.
        // The screens (the steward's scanner: pairing, and the page that speaks the
        // device API).
        "monitor" | "door" | "dashboard" | "kiosk" | "overview" | "scanner" => Part::Feature(6),
        "startup" | "app" | "routes" | "openapi" | "lib" => Part::Top,
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

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The library's crates: the console's `src/`, the plumbing's and the gate engine's.
/// The engine's files are named as the module the console sees them as (`scanning/…`,
/// its `lib.rs` as `scanning/mod.rs`), so one map covers all three.
fn library_roots() -> [(PathBuf, &'static str); 3] {
    [
        (repository().join("src"), ""),
        (repository().join("crates/platform/src"), ""),
        (repository().join("crates/engine/src"), "scanning"),
    ]
}

/// Where a library file or folder (named as above) is, if it exists.
fn library_path(file: &str) -> Option<PathBuf> {
    library_roots().into_iter().find_map(|(root, module)| {
        let below = match module {
            "" => file,
            module if file == module => "",
            module if file == format!("{module}/mod.rs") => "lib.rs",
            module => file.strip_prefix(module)?.strip_prefix('/')?,
        };
        Some(root.join(below)).filter(|path| path.exists())
    })
}

/// The engine's own modules, written `crate::counters` inside it, as the console sees
/// them (`crate::scanning::counters`): the plumbing it names (`crate::db`) stays as is.
fn as_seen_from_the_console(code: &str, module: &str, root: &Path) -> String {
    if module.is_empty() {
        return code.to_owned();
    }
    let own: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter_map(|path| Some(path.file_stem()?.to_string_lossy().into_owned()))
        .filter(|name| name != "lib")
        .collect();
    own.iter().fold(code.to_owned(), |code, name| {
        code.replace(&format!("crate::{name}::"), &format!("crate::{module}::{name}::"))
            .replace(&format!("crate::{name};"), &format!("crate::{module}::{name};"))
            .replace(&format!("crate::{name}}}"), &format!("crate::{module}::{name}}}"))
    })
}

/// Every library source file (the binary's tools under `src/bin/` are users of the
/// library, not part of it), as (its name as above, text).
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
    let mut files = Vec::new();
    for (root, module) in library_roots() {
        let mut paths = Vec::new();
        walk(&root, &mut paths);
        paths.sort();
        files.extend(paths.into_iter().map(|p| {
            let code = std::fs::read_to_string(&p).unwrap();
            let below = p.strip_prefix(&root).unwrap().to_string_lossy().into_owned();
            let name = match (module, below.as_str()) {
                ("", _) => below,
                (module, "lib.rs") => format!("{module}/mod.rs"),
                (module, below) => format!("{module}/{below}"),
            };
            (name, as_seen_from_the_console(&code, module, &root))
        }));
    }
    files
}

fn module_of(file: &str) -> &str {
    file.split(['/', '.']).next().unwrap()
}
