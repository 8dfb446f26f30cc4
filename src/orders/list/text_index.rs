//! The order search's text-index queries: a buyer's name and e-mail through SQLite FTS5
//! (trigram, accents removed) or PostgreSQL pg_trgm, plus the order-code prefix and
//! the exact ticket code, merged newest first. Each part reads only the organisation's
//! matches and stops after a page, so the cost follows the page, not the match count.
//!
//! Newest first here is the search key: `created_at * 2^21 + (id & (2^21 - 1))`, the
//! rowid of SQLite's index; it orders as `(created_at, id)` except between orders made
//! in the same millisecond more than two million ids apart.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};

use super::buyer_match::{buyer_hits, buyer_page, Term, Terms};
use super::filter::{Cursor, OrderFilter, SearchText, INDEXED_WORD_CHARS};
use super::summary::{scoped, search_key, OrderSummary, KEY_STEP};
use super::words::{corrections, fold};
use crate::db::schema::{orders, tickets};
use crate::db::{DbConnection, Tenant};

fn terms(conn: &mut DbConnection, tenant: &Tenant, text: &SearchText) -> QueryResult<Terms> {
    let mut terms = Terms {
        indexed: Vec::new(),
        short: Vec::new(),
        whole_address: text.whole_addresses_only.then(|| text.lower.trim().to_owned()),
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

/// SQLite: stops indexing inserted orders until `rebuild_text_index`, for bulk loads
/// whose orders come in random time order (FTS5 flushes on every step back in rowid).
/// PostgreSQL's expression index needs nothing.
pub fn pause_text_index(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Sqlite(c) = conn {
        diesel::sql_query("INSERT OR IGNORE INTO order_search_paused (paused) VALUES (1)").execute(c)?;
    }
    Ok(())
}

/// SQLite: rebuilds the text index from every order in key order (one pass, no step
/// back) and lets the insert trigger index new orders again.
pub fn rebuild_text_index(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Sqlite(c) = conn {
        c.transaction::<_, diesel::result::Error, _>(|c| {
            diesel::sql_query("INSERT INTO order_search (order_search) VALUES ('delete-all')").execute(c)?;
            diesel::sql_query(
                "INSERT INTO order_search (rowid, org, doc) SELECT created_at * 2097152 + (id & 2097151), \
                 '#' || organization_id || '#', buyer_name || ' ' || buyer_email FROM orders ORDER BY 1",
            )
            .execute(c)?;
            diesel::sql_query("DELETE FROM order_search_paused").execute(c)?;
            Ok(())
        })?;
    }
    Ok(())
}

/// SQLite: a bulk load that stopped before its end left the index paused: rebuild it
/// (at start-up).
pub fn resume_text_index(conn: &mut DbConnection) -> QueryResult<()> {
    #[derive(QueryableByName)]
    struct Paused {
        #[diesel(sql_type = BigInt)]
        paused: i64,
    }
    if let DbConnection::Sqlite(c) = conn {
        let paused: Vec<Paused> = diesel::sql_query("SELECT paused FROM order_search_paused").load(c)?;
        if paused.iter().any(|row| row.paused != 0) {
            tracing::info!("rebuilding the order search's text index after an unfinished bulk load");
            rebuild_text_index(conn)?;
        }
    }
    Ok(())
}
