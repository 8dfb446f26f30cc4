//! The buyer part of the order search, per backend: SQLite's FTS5 index (its rowid is
//! the search key, so `ORDER BY rowid DESC LIMIT n` reads one page of the
//! organisation's matches) or PostgreSQL's pg_trgm index on the folded name and e-mail.
//! Raw statements: FTS5 `MATCH` and the folding function have no diesel DSL.

use std::collections::HashSet;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::filter::OrderFilter;
use super::summary::{search_key, OrderSummary, KEY_STEP};
use crate::db::{DbConnection, Tenant};

/// A word of the query and the buyer words it may stand for (itself, typos corrected).
pub(super) struct Term {
    pub spellings: Vec<String>,
}

/// The query's words: those the index serves (with their corrections) and the short
/// ones, checked on each match.
pub(super) struct Terms {
    pub indexed: Vec<Term>,
    pub short: Vec<String>,
    /// For a user who sees addresses masked: the whole text, the only way it may match
    /// an address (otherwise every word must be in the buyer's name).
    pub whole_address: Option<String>,
}

/// A value bound to a raw statement.
enum Bind {
    Int(i64),
    Text(String),
}

/// A raw statement being written, with its parameters in order.
struct Statement {
    sql: String,
    binds: Vec<Bind>,
    postgres: bool,
}

impl Statement {
    fn new(conn: &DbConnection) -> Self {
        Self {
            sql: String::new(),
            binds: Vec::new(),
            postgres: matches!(conn, DbConnection::Postgresql(_)),
        }
    }

    fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    fn bind(&mut self, value: Bind) -> &mut Self {
        self.binds.push(value);
        if self.postgres {
            self.sql.push_str(&format!("${}", self.binds.len()));
        } else {
            self.sql.push('?');
        }
        self
    }

    fn load<T>(self, conn: &mut DbConnection) -> QueryResult<Vec<T>>
    where
        T: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + 'static,
    {
        let Statement { sql, binds, .. } = self;
        crate::with_backend!(conn, |c| {
            let mut query = diesel::sql_query(sql).into_boxed();
            for value in binds {
                query = match value {
                    Bind::Int(v) => query.bind::<BigInt, _>(v),
                    Bind::Text(v) => query.bind::<Text, _>(v),
                };
            }
            query.load::<T>(c)
        })
    }
}

/// The FTS5 query for the terms: the organisation's row, and each word in any spelling.
fn fts_query(tenant: &Tenant, terms: &Terms) -> String {
    let phrase = |text: &str| format!("doc : \"{}\"", text.replace('"', "\"\""));
    let mut parts = vec![format!("org : \"#{}#\"", tenant.organization_id())];
    for term in &terms.indexed {
        let spellings: Vec<String> = term.spellings.iter().map(|s| phrase(s)).collect();
        parts.push(format!("({})", spellings.join(" OR ")));
    }
    parts.join(" AND ")
}

/// PostgreSQL: the folded buyer matches every word in some spelling.
fn push_pg_words(statement: &mut Statement, terms: &Terms) {
    let escape = |word: &str| word.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    let spellings = terms
        .indexed
        .iter()
        .map(|t| t.spellings.clone())
        .chain(terms.short.iter().map(|s| vec![s.clone()]));
    for spellings in spellings {
        statement.push(" AND (false");
        for spelling in spellings {
            statement
                .push(" OR voelgoed_fold(buyer_name || ' ' || buyer_email) LIKE '%' || voelgoed_fold(")
                .bind(Bind::Text(escape(&spelling)))
                .push(") || '%'");
        }
        statement.push(")");
    }
    push_names_or_address(statement, terms, "voelgoed_fold(buyer_name)", "buyer_email", true);
}

/// For masked addresses: the buyer's name holds every word in some spelling, or the
/// text is the buyer's whole address. `name` is the (folded) name expression.
fn push_names_or_address(s: &mut Statement, terms: &Terms, name: &str, email: &str, postgres: bool) {
    let Some(address) = &terms.whole_address else {
        return;
    };
    s.push(&format!(" AND ({email} = ")).bind(Bind::Text(address.clone()));
    s.push(" OR (true");
    let spellings = terms
        .indexed
        .iter()
        .map(|t| t.spellings.clone())
        .chain(terms.short.iter().map(|w| vec![w.clone()]));
    for spellings in spellings {
        s.push(" AND (false");
        for spelling in spellings {
            match postgres {
                true => s.push(&format!(" OR strpos({name}, voelgoed_fold(")),
                false => s.push(&format!(" OR instr({name}, ")),
            };
            s.bind(Bind::Text(spelling)).push(match postgres {
                true => ")) > 0",
                false => ") > 0",
            });
        }
        s.push(")");
    }
    s.push("))");
}

/// SQLite: the index drives (CROSS JOIN keeps it the outer loop), each match is joined
/// to its order by `(organization_id, created_at)` from the key, so another
/// organisation's match finds no row.
const SQLITE_COLUMNS: &str = "SELECT orders.id, orders.event_id, orders.code, orders.buyer_name, orders.buyer_email, \
     orders.status, orders.gross, orders.created_at FROM order_search CROSS JOIN orders";
const SQLITE_JOIN: &str = " AND orders.created_at = (order_search.rowid >> 21) \
     AND (orders.id & 2097151) = (order_search.rowid & 2097151)";
const PG_COLUMNS: &str = "SELECT id, event_id, code, buyer_name, buyer_email, status, gross, created_at FROM orders";

/// The orders whose buyer matches the terms, a page in search-key order below `before`.
pub(super) fn buyer_page(
    conn: &mut DbConnection,
    tenant: &Tenant,
    filter: &OrderFilter,
    terms: &Terms,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<OrderSummary>> {
    let mut s = Statement::new(conn);
    let org = tenant.organization_id();
    let upper = [before, filter.created_before.map(|at| search_key(at, 0))]
        .into_iter()
        .flatten()
        .min();
    let lower = filter.created_from.map(|at| search_key(at, 0));
    if s.postgres {
        s.push(PG_COLUMNS)
            .push(" WHERE organization_id = ")
            .bind(Bind::Int(org));
        push_pg_words(&mut s, terms);
        push_filters(&mut s, filter, "");
        if let Some(before) = before {
            let (at, low) = (before.div_euclid(KEY_STEP), before.rem_euclid(KEY_STEP));
            s.push(" AND created_at <= ").bind(Bind::Int(at));
            s.push(" AND (created_at < ").bind(Bind::Int(at));
            s.push(" OR (id & 2097151) < ").bind(Bind::Int(low)).push(")");
        }
        s.push(" ORDER BY created_at DESC, (id & 2097151) DESC LIMIT ")
            .bind(Bind::Int(limit));
    } else {
        s.push(SQLITE_COLUMNS)
            .push(" WHERE order_search MATCH ")
            .bind(Bind::Text(fts_query(tenant, terms)));
        if let Some(upper) = upper {
            s.push(" AND order_search.rowid < ").bind(Bind::Int(upper));
        }
        if let Some(lower) = lower {
            s.push(" AND order_search.rowid >= ").bind(Bind::Int(lower));
        }
        s.push(" AND orders.organization_id = ").bind(Bind::Int(org));
        s.push(SQLITE_JOIN);
        push_sqlite_short_words(&mut s, terms);
        push_filters(&mut s, filter, "orders.");
        s.push(" ORDER BY order_search.rowid DESC LIMIT ")
            .bind(Bind::Int(limit));
    }
    s.push(" /* order search: buyer */");
    s.load(conn)
}

/// Ids of `candidates` whose buyer matches the terms.
pub(super) fn buyer_hits(
    conn: &mut DbConnection,
    tenant: &Tenant,
    terms: &Terms,
    candidates: &[OrderSummary],
) -> QueryResult<HashSet<i64>> {
    if terms.indexed.is_empty() {
        return Ok(HashSet::new());
    }
    let mut s = Statement::new(conn);
    let keys: Vec<String> = candidates.iter().map(|o| o.search_key().to_string()).collect();
    let ids: Vec<String> = candidates.iter().map(|o| o.id.to_string()).collect();
    if s.postgres {
        s.push(PG_COLUMNS)
            .push(" WHERE organization_id = ")
            .bind(Bind::Int(tenant.organization_id()));
        s.push(&format!(" AND id IN ({})", ids.join(", ")));
        push_pg_words(&mut s, terms);
    } else {
        s.push(SQLITE_COLUMNS)
            .push(" WHERE order_search MATCH ")
            .bind(Bind::Text(fts_query(tenant, terms)));
        s.push(&format!(" AND order_search.rowid IN ({})", keys.join(", ")));
        s.push(&format!(" AND orders.id IN ({})", ids.join(", ")));
        s.push(SQLITE_JOIN);
        push_sqlite_short_words(&mut s, terms);
    }
    Ok(s.load::<OrderSummary>(conn)?.into_iter().map(|o| o.id).collect())
}

/// SQLite: the words too short for the index, found in the buyer's lower-cased text.
fn push_sqlite_short_words(s: &mut Statement, terms: &Terms) {
    for word in &terms.short {
        s.push(" AND instr(lower(orders.buyer_name || ' ' || orders.buyer_email), ")
            .bind(Bind::Text(word.clone()))
            .push(") > 0");
    }
    push_names_or_address(s, terms, "lower(orders.buyer_name)", "orders.buyer_email", false);
}

/// The list's other filters on the joined orders (`prefix` names them).
fn push_filters(s: &mut Statement, filter: &OrderFilter, prefix: &str) {
    if let Some(status) = filter.status {
        s.push(&format!(" AND {prefix}status = "))
            .bind(Bind::Text(status.as_str().to_owned()));
    }
    if let Some(event) = filter.event_id {
        s.push(&format!(" AND {prefix}event_id = ")).bind(Bind::Int(event));
    }
    if let Some(from) = filter.created_from {
        s.push(&format!(" AND {prefix}created_at >= ")).bind(Bind::Int(from));
    }
    if let Some(before) = filter.created_before {
        s.push(&format!(" AND {prefix}created_at < ")).bind(Bind::Int(before));
    }
}
