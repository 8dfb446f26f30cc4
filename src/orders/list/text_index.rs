//! The order search's text-index queries: a buyer's name and e-mail through SQLite FTS5
//! (trigram, accents removed) or PostgreSQL pg_trgm, plus the order-code prefix and
//! the exact ticket code, merged newest first. Each part reads only the organisation's
//! matches and stops after a page, so the cost follows the page, not the match count.
//!
//! Newest first here is the search key: `created_at * 2^21 + (id & (2^21 - 1))`, the
//! rowid of SQLite's index; it orders as `(created_at, id)` except between orders made
//! in the same millisecond more than two million ids apart.

use std::collections::HashSet;

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};

use super::filter::{Cursor, OrderFilter, SearchText, INDEXED_WORD_CHARS};
use super::search::{scoped, OrderSummary};
use super::words::{corrections, fold};
use crate::db::schema::{orders, tickets};
use crate::db::{DbConnection, Tenant};

/// Orders one millisecond apart are this far apart in the search key.
pub const KEY_STEP: i64 = 1 << 21;
const ID_MASK: i64 = KEY_STEP - 1;

/// Where an order sits in the search's newest-first order.
pub fn search_key(created_at: i64, id: i64) -> i64 {
    created_at.saturating_mul(KEY_STEP).saturating_add(id & ID_MASK)
}

impl OrderSummary {
    fn search_key(&self) -> i64 {
        search_key(self.created_at, self.id)
    }
}

/// A word of the query and the buyer words it may stand for (itself, typos corrected).
struct Term {
    spellings: Vec<String>,
}

/// The query's words: those the index serves (with their corrections) and the short
/// ones, checked on each match.
struct Terms {
    indexed: Vec<Term>,
    short: Vec<String>,
}

fn terms(conn: &mut DbConnection, tenant: &Tenant, text: &SearchText) -> QueryResult<Terms> {
    let mut terms = Terms {
        indexed: Vec::new(),
        short: Vec::new(),
    };
    for word in text.words.iter().map(|w| fold(w)) {
        if word.chars().count() < INDEXED_WORD_CHARS {
            terms.short.push(word);
        } else {
            let mut spellings = corrections(conn, tenant, &word)?;
            spellings.insert(0, word);
            terms.indexed.push(Term { spellings });
        }
    }
    Ok(terms)
}

/// Up to `limit` orders matching the text after `after`, newest first (search key).
pub fn text_page(
    conn: &mut DbConnection,
    tenant: &Tenant,
    filter: &OrderFilter,
    text: &SearchText,
    after: Option<Cursor>,
    limit: i64,
) -> QueryResult<Vec<OrderSummary>> {
    let terms = terms(conn, tenant, text)?;
    let before = after.map(|c| search_key(c.created_at, c.id));
    let mut rows = buyer_page(conn, tenant, filter, &terms, before, limit)?;
    if let Some(code) = &text.code {
        let end = SearchText::range_end(code);
        let by_code = scoped(tenant, filter, true).filter(orders::code.ge(code.clone()).and(orders::code.lt(end)));
        rows.extend(keyed_page(conn, by_code, before, limit)?);
    }
    if let Some(ticket) = &text.ticket_code {
        let holders = tickets::table
            .filter(tickets::organization_id.eq(tenant.organization_id()))
            .filter(tickets::code.eq(ticket.clone()))
            .select(tickets::order_id);
        let by_ticket = scoped(tenant, filter, true).filter(orders::id.eq_any(holders));
        rows.extend(keyed_page(conn, by_ticket, before, limit)?);
    }
    rows.sort_by_key(|row| std::cmp::Reverse(row.search_key()));
    rows.dedup_by_key(|row| row.id);
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(rows)
}

/// Which of `candidates` (the organisation's orders, already filtered) match the text:
/// the live list's check of new orders.
pub fn matching(
    conn: &mut DbConnection,
    tenant: &Tenant,
    text: &SearchText,
    candidates: Vec<OrderSummary>,
) -> QueryResult<Vec<OrderSummary>> {
    if candidates.is_empty() {
        return Ok(candidates);
    }
    let terms = terms(conn, tenant, text)?;
    let mut hits = buyer_hits(conn, tenant, &terms, &candidates)?;
    if let Some(code) = &text.code {
        hits.extend(
            candidates
                .iter()
                .filter(|o| o.code.starts_with(code.as_str()))
                .map(|o| o.id),
        );
    }
    if let Some(ticket) = &text.ticket_code {
        let ids: Vec<i64> = candidates.iter().map(|o| o.id).collect();
        let holders: Vec<i64> = tickets::table
            .filter(tickets::organization_id.eq(tenant.organization_id()))
            .filter(tickets::code.eq(ticket))
            .filter(tickets::order_id.eq_any(ids))
            .select(tickets::order_id)
            .load(conn)?;
        hits.extend(holders);
    }
    Ok(candidates.into_iter().filter(|o| hits.contains(&o.id)).collect())
}

/// A page of `query` in search-key order, below `before`.
fn keyed_page(
    conn: &mut DbConnection,
    mut query: orders::BoxedQuery<'static, crate::db::MultiBackend>,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<OrderSummary>> {
    if let Some(before) = before {
        let (at, low) = (before.div_euclid(KEY_STEP), before.rem_euclid(KEY_STEP));
        query = query.filter(
            sql::<Bool>("(orders.created_at < ")
                .bind::<BigInt, _>(at)
                .sql(" OR (orders.created_at = ")
                .bind::<BigInt, _>(at)
                .sql(" AND (orders.id & 2097151) < ")
                .bind::<BigInt, _>(low)
                .sql("))"),
        );
    }
    query
        .order(sql::<BigInt>("orders.created_at DESC, (orders.id & 2097151) DESC"))
        .limit(limit)
        .select(OrderSummary::as_select())
        .load(conn)
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
}

const SQLITE_COLUMNS: &str = "SELECT o.id, o.event_id, o.code, o.buyer_name, o.buyer_email, o.status, o.gross, \
     o.created_at FROM order_search s CROSS JOIN orders o";
const PG_COLUMNS: &str = "SELECT id, event_id, code, buyer_name, buyer_email, status, gross, created_at FROM orders";

/// The orders whose buyer matches the terms, a page in search-key order below `before`.
fn buyer_page(
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
            s.push(" AND s.rowid < ").bind(Bind::Int(upper));
        }
        if let Some(lower) = lower {
            s.push(" AND s.rowid >= ").bind(Bind::Int(lower));
        }
        s.push(" AND o.organization_id = ").bind(Bind::Int(org));
        s.push(" AND o.created_at = (s.rowid >> 21) AND (o.id & 2097151) = (s.rowid & 2097151)");
        push_sqlite_short_words(&mut s, terms);
        push_filters(&mut s, filter, "o.");
        s.push(" ORDER BY s.rowid DESC LIMIT ").bind(Bind::Int(limit));
    }
    s.load(conn)
}

/// Ids of `candidates` whose buyer matches the terms.
fn buyer_hits(
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
        s.push(&format!(" AND s.rowid IN ({})", keys.join(", ")));
        s.push(&format!(" AND o.id IN ({})", ids.join(", ")));
        s.push(" AND o.created_at = (s.rowid >> 21) AND (o.id & 2097151) = (s.rowid & 2097151)");
        push_sqlite_short_words(&mut s, terms);
    }
    Ok(s.load::<OrderSummary>(conn)?.into_iter().map(|o| o.id).collect())
}

/// SQLite: the words too short for the index, found in the buyer's lower-cased text.
fn push_sqlite_short_words(s: &mut Statement, terms: &Terms) {
    for word in &terms.short {
        s.push(" AND instr(lower(o.buyer_name || ' ' || o.buyer_email), ")
            .bind(Bind::Text(word.clone()))
            .push(") > 0");
    }
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
