//! Capturing the statements the library runs (diesel instrumentation) and explaining
//! them on each backend: the plan's lines, checked against what each query must use.

use std::sync::{Arc, Mutex};

use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::prelude::*;
use diesel::sql_types::Text;
use voelgoed::db::DbConnection;

use super::*;

/// Records the SQL of every statement a connection runs.
#[derive(Clone, Default)]
pub(super) struct Recorder(Arc<Mutex<Vec<String>>>);

impl Instrumentation for Recorder {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            // "SQL -- binds: [values]": the values are what PostgreSQL's plan is made for.
            self.0.lock().unwrap().push(query.to_string().trim().to_owned());
        }
    }
}

/// The reads and updates `work` runs on `conn` (not transaction control or inserts).
pub(super) fn capture(conn: &mut DbConnection, work: impl FnOnce(&mut DbConnection)) -> Vec<String> {
    let recorder = Recorder::default();
    conn.set_instrumentation(recorder.clone());
    work(conn);
    conn.set_instrumentation(Recorder::default());
    let statements = recorder.0.lock().unwrap().clone();
    statements
        .into_iter()
        .filter(|sql| sql.starts_with("SELECT") || sql.starts_with("UPDATE"))
        .collect()
}

/// SQL without identifier quotes and parentheses, to find a statement by what it says.
pub(super) fn unquoted(sql: &str) -> String {
    sql.replace(['`', '"', '(', ')'], "")
}

/// Every failure of `statements` against `expected`, each with its plan.
pub(super) fn check(conn: &mut DbConnection, what: &str, statements: &[String], expected: &[Expected]) -> Vec<String> {
    let postgres = matches!(conn, DbConnection::Postgresql(_));
    let mut failures = Vec::new();
    for expectation in expected {
        if !statements.iter().any(|sql| unquoted(sql).contains(expectation.marker)) {
            failures.push(format!(
                "{what}: no statement for \"{}\" (marker {:?}) among:\n{}",
                expectation.what,
                expectation.marker,
                statements.join("\n")
            ));
        }
    }
    for sql in statements {
        // The plan for these very values (on PostgreSQL: what a fresh connection's
        // first runs get).
        let plan = plan_of(conn, sql, Plan::Custom);
        let shown = || format!("{sql}\nplan:\n    {}", plan.join("\n    "));
        println!("{what}: {}", shown());
        for table in BIG_TABLES {
            if plan.iter().any(|line| full_scan(line, table, postgres)) {
                failures.push(format!("{what}: a full scan of {table}:\n{}", shown()));
            }
        }
        if postgres {
            // The plan that serves any values, which a statement may settle on later.
            let generic = plan_of(conn, sql, Plan::Generic);
            for table in BIG_TABLES {
                if generic.iter().any(|line| full_scan(line, table, postgres)) {
                    let plan = generic.join("\n    ");
                    failures.push(format!(
                        "{what}: a full scan of {table} in the generic plan:\n{sql}\nplan:\n    {plan}"
                    ));
                }
            }
        }
        for expectation in expected.iter().filter(|e| unquoted(sql).contains(e.marker)) {
            let mut from = 0;
            for wanted in expectation.uses {
                let index = if postgres { wanted.postgres } else { wanted.sqlite };
                match plan
                    .iter()
                    .skip(from)
                    .position(|line| uses_index(line, wanted.table, index, postgres))
                {
                    Some(at) => from += at,
                    None => failures.push(format!(
                        "{what}, {}: expected {} through {index}{}:\n{}",
                        expectation.what,
                        wanted.table,
                        if expectation.uses.len() > 1 {
                            " (in this join order)"
                        } else {
                            ""
                        },
                        shown()
                    )),
                }
            }
        }
    }
    failures
}

pub(super) fn full_scan(line: &str, table: &str, postgres: bool) -> bool {
    match postgres {
        true => line.contains(&format!("Seq Scan on {table} ")) || line.ends_with(&format!("Seq Scan on {table}")),
        false => {
            line.starts_with(&format!("SCAN {table}"))
                && (line.len() == 5 + table.len() || line[5 + table.len()..].starts_with(' '))
        }
    }
}

pub(super) fn uses_index(line: &str, table: &str, index: &str, postgres: bool) -> bool {
    if index == ELSEWHERE {
        true
    } else if let Some((one, other)) = index.split_once('|') {
        uses_index(line, table, one, postgres) || uses_index(line, table, other, postgres)
    } else if index == ANY {
        let on_table = if postgres {
            format!(" on {table}")
        } else {
            format!(" {table}")
        };
        line.contains(&format!("{on_table} ")) || line.ends_with(&on_table)
    } else if postgres {
        line.contains(&format!(" using {index} on {table}")) || line.contains(&format!("Bitmap Index Scan on {index}"))
    } else if index == PK {
        line.starts_with(&format!("SEARCH {table} USING INTEGER PRIMARY KEY"))
    } else {
        line.starts_with(&format!("SEARCH {table} USING "))
            && (line.contains(&format!("INDEX {index} (")) || line.ends_with(&format!("INDEX {index}")))
    }
}

#[derive(QueryableByName)]
pub(super) struct SqlitePlanLine {
    #[diesel(sql_type = Text)]
    detail: String,
}

#[derive(QueryableByName)]
pub(super) struct PostgresPlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

/// Which of PostgreSQL's plans of a prepared statement to explain.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Plan {
    /// The one that serves any values: what a statement settles on after five runs.
    Generic,
    /// The one made for the values the app bound.
    Custom,
}

/// The plan of a captured statement ("SQL -- binds: [values]"), one line per step:
/// SQLite's for the statement; PostgreSQL's generic plan or its custom plan for the
/// bound values.
pub(super) fn plan_of(conn: &mut DbConnection, captured: &str, which: Plan) -> Vec<String> {
    let (sql, binds) = captured.split_once(" -- binds: ").unwrap_or((captured, "[]"));
    let sql = sql.trim();
    match conn {
        DbConnection::Sqlite(sqlite) => diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
            .load::<SqlitePlanLine>(sqlite)
            .unwrap_or_else(|e| panic!("EXPLAIN QUERY PLAN {sql}: {e}"))
            .into_iter()
            .map(|l| l.detail)
            .collect(),
        DbConnection::Postgresql(pg) => {
            let values = match which {
                Plan::Custom => sql_literals(binds),
                Plan::Generic => vec!["NULL".to_owned(); sql_literals(binds).len()],
            };
            let mode = match which {
                Plan::Custom => "force_custom_plan",
                Plan::Generic => "force_generic_plan",
            };
            diesel::sql_query(format!("SET plan_cache_mode = {mode}"))
                .execute(pg)
                .unwrap();
            if diesel::sql_query(format!("PREPARE plan_guard AS {sql}"))
                .execute(pg)
                .is_err()
            {
                // Parameters PostgreSQL cannot type from their place (CASE … THEN $2)
                // are all BIGINT in the app's raw statements.
                let types = vec!["BIGINT"; values.len()].join(", ");
                diesel::sql_query(format!("PREPARE plan_guard ({types}) AS {sql}"))
                    .execute(pg)
                    .unwrap_or_else(|e| panic!("PREPARE {sql}: {e}"));
            }
            let args = match values.is_empty() {
                true => String::new(),
                false => format!("({})", values.join(", ")),
            };
            let plan = diesel::sql_query(format!("EXPLAIN EXECUTE plan_guard{args}"))
                .load::<PostgresPlanLine>(pg)
                .unwrap_or_else(|e| panic!("EXPLAIN EXECUTE {sql} {args}: {e}"));
            diesel::sql_query("DEALLOCATE plan_guard").execute(pg).unwrap();
            plan.into_iter().map(|l| l.line.trim().to_owned()).collect()
        }
    }
}

/// diesel's debug list of bound values (`[1, "a", Some(2), None, Valid, [3, 4]]`) as
/// SQL literals. Enum values print as their Rust names: stored as snake_case text.
pub(super) fn sql_literals(binds: &str) -> Vec<String> {
    let inner = binds
        .trim()
        .strip_prefix('[')
        .and_then(|b| b.strip_suffix(']'))
        .unwrap_or("");
    top_level_items(inner).iter().map(|item| sql_literal(item)).collect()
}

/// The comma-separated items of a debug list, nested brackets and strings kept whole.
pub(super) fn top_level_items(list: &str) -> Vec<String> {
    let (mut items, mut current, mut depth, mut in_string, mut escaped) = (Vec::new(), String::new(), 0, false, false);
    for c in list.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '[' | '(' if !in_string => depth += 1,
            ']' | ')' if !in_string => depth -= 1,
            ',' if !in_string && depth == 0 => {
                items.push(std::mem::take(&mut current).trim().to_owned());
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        items.push(current.trim().to_owned());
    }
    items
}

pub(super) fn sql_literal(value: &str) -> String {
    if value == "None" {
        "NULL".into()
    } else if let Some(inner) = value.strip_prefix("Some(").and_then(|v| v.strip_suffix(')')) {
        sql_literal(inner)
    } else if let Some(text) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        quoted(&unescaped(text))
    } else if let Some(list) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
        let items: Vec<String> = top_level_items(list).iter().map(|item| sql_literal(item)).collect();
        match items.is_empty() {
            true => "'{}'".into(),
            false => format!("ARRAY[{}]", items.join(", ")),
        }
    } else if value == "true" || value == "false" || value.parse::<f64>().is_ok() {
        value.to_owned()
    } else {
        quoted(&snake_case(value))
    }
}

pub(super) fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A Rust debug string's text: `\"`, `\\`, `\n`, `\t`, `\r`, `\'` and `\u{…}` undone.
pub(super) fn unescaped(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('u') => {
                let code: String = chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                out.extend(u32::from_str_radix(&code, 16).ok().and_then(char::from_u32));
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// `PartiallyRefunded` → `partially_refunded`.
pub(super) fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out
}
