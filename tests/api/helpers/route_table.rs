//! The route table as the source writes it: every (method, pattern) of `src/routes.rs`,
//! so a test that must cover every route fails when one is added without it.

/// (method, path) of every route in `src/routes.rs`: `.route("PATH", web::METHOD()`,
/// `web::resource("PATH").route(…get_or_head…)` and the routes inside `web::scope`.
pub fn routes_in_the_route_table() -> Vec<(String, String)> {
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/routes.rs")).unwrap();
    let code: String = with_patterns_written_out(&source)
        .lines()
        .map(|l| l.split("//").next().unwrap())
        .collect::<String>()
        .split_whitespace()
        .collect();
    let body = &code[code.find("pubfndevice_api").unwrap()..code.find("asyncfnapi_not_found").unwrap()];
    let (mut routes, mut prefix, mut rest) = (Vec::new(), String::new(), body);
    loop {
        let next = [".route(\"", "web::resource(\"", "web::scope(\"", ".default_service("]
            .iter()
            .filter_map(|marker| rest.find(marker).map(|at| (at, *marker)))
            .min();
        let Some((at, marker)) = next else { break };
        rest = &rest[at + marker.len()..];
        if marker == ".default_service(" {
            prefix.clear();
            continue;
        }
        let path = &rest[..rest.find('"').unwrap()];
        if marker == "web::scope(\"" {
            prefix = path.to_owned();
            continue;
        }
        let after = &rest[path.len() + 2..];
        let method = ["get", "post", "put", "patch", "delete"]
            .into_iter()
            .find(|m| after.starts_with(&format!("web::{m}()")))
            .map(|m| m.to_uppercase())
            .unwrap_or_else(|| {
                assert!(after.contains("get_or_head"), "unknown method for {path}: {after:.60}");
                "GET".into()
            });
        routes.push((method, format!("{prefix}{path}")));
        if marker == "web::resource(\"" {
            // Its `.route(web::route()…)` is the same resource, already counted.
            rest = &rest[rest.find(".route(web::route()").map_or(0, |at| at + 1)..];
        }
    }
    routes
}

/// The route table names its patterns (`paths::ORDER`): each replaced by its literal
/// from crates/platform/src/paths/mod.rs (`pub const ORDER: Pattern = "/orders/{id}";`), longest name first.
fn with_patterns_written_out(routes: &str) -> String {
    let paths =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/crates/platform/src/paths/mod.rs")).unwrap();
    let mut patterns: Vec<(String, String)> = paths
        .lines()
        .filter_map(|line| line.trim().strip_prefix("pub const "))
        .filter_map(|rest| {
            let (name, value) = rest.split_once(": Pattern = ")?;
            Some((format!("paths::{name}"), value.trim_end_matches(';').to_owned()))
        })
        .collect();
    patterns.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
    patterns.iter().fold(routes.to_owned(), |code, (name, value)| {
        code.replace(name.as_str(), value)
    })
}
