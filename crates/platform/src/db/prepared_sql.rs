//! Hand-written statements whose text depends only on their shape (the JSON-row batch
//! statements), prepared once per connection and kept in diesel's statement cache:
//! `sql_query` is parsed and planned again on every run, which on PostgreSQL cost more
//! than running the scan writer's statements (about 1 ms of planning each per group).
//! Behind PgBouncer in transaction pooling the cache is off (`pooler.rs`) and these
//! run unnamed, like any other statement.

use std::sync::Arc;

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Nullable, Text, Untyped};
use diesel::{QueryResult, RunQueryDsl};

/// Where `Placeholders::for_prepared` puts a bind: diesel writes the backend's own.
pub(super) const BIND: &str = "\u{1}";

/// A value bound to a `PreparedSql`.
pub enum SqlValue {
    BigInt(i64),
    Text(String),
    /// A BIGINT that may be NULL.
    MaybeBigInt(Option<i64>),
    /// A TEXT that may be NULL.
    MaybeText(Option<String>),
}

/// Rows (or a list of keys) as the one JSON array a batch statement binds.
pub fn json_bind(rows: &(impl serde::Serialize + ?Sized)) -> QueryResult<String> {
    serde_json::to_string(rows).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
}

impl SqlValue {
    /// Rows or a list of keys as the one JSON array a batch statement binds.
    pub fn json(rows: &(impl serde::Serialize + ?Sized)) -> QueryResult<Self> {
        json_bind(rows).map(Self::Text)
    }
}

/// A statement written with `Placeholders::for_prepared`, and its binds in order.
pub struct PreparedSql {
    text: SqlText,
    binds: Vec<SqlValue>,
}

/// A statement's text cut at its binds, once for a statement run again and again (a
/// statement with hundreds of binds otherwise spends more cutting than binding).
#[derive(Clone)]
pub struct SqlText {
    pieces: Arc<[String]>,
}

impl SqlText {
    pub fn new(sql: &str) -> Self {
        Self {
            pieces: sql.split(BIND).map(str::to_owned).collect(),
        }
    }
}

impl PreparedSql {
    /// Errors (as a query error, never a panic) when the text's binds and the values differ in number.
    pub fn new(sql: &str, binds: Vec<SqlValue>) -> QueryResult<Self> {
        Self::with_text(&SqlText::new(sql), binds)
    }

    /// `new` for a text cut once.
    pub fn with_text(text: &SqlText, binds: Vec<SqlValue>) -> QueryResult<Self> {
        let placeholders = text.pieces.len() - 1;
        if placeholders != binds.len() {
            let message = format!("{} binds for {placeholders} placeholders", binds.len());
            return Err(diesel::result::Error::QueryBuilderError(message.into()));
        }
        Ok(Self {
            text: text.clone(),
            binds,
        })
    }
}

impl QueryId for PreparedSql {
    type QueryId = ();
    // Cached by its text (diesel's `StatementCacheKey::Sql`).
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for PreparedSql {
    type SqlType = Untyped;
}

impl<Conn> RunQueryDsl<Conn> for PreparedSql {}

impl<DB> QueryFragment<DB> for PreparedSql
where
    DB: Backend + diesel::sql_types::HasSqlType<BigInt> + diesel::sql_types::HasSqlType<Text>,
    i64: diesel::serialize::ToSql<BigInt, DB>,
    Option<i64>: diesel::serialize::ToSql<Nullable<BigInt>, DB>,
    String: diesel::serialize::ToSql<Text, DB>,
    Option<String>: diesel::serialize::ToSql<Nullable<Text>, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let pieces = &self.text.pieces;
        out.push_sql(&pieces[0]);
        for (bind, piece) in self.binds.iter().zip(&pieces[1..]) {
            match bind {
                SqlValue::BigInt(value) => out.push_bind_param::<BigInt, _>(value)?,
                SqlValue::Text(value) => out.push_bind_param::<Text, _>(value)?,
                SqlValue::MaybeBigInt(value) => out.push_bind_param::<Nullable<BigInt>, _>(value)?,
                SqlValue::MaybeText(value) => out.push_bind_param::<Nullable<Text>, _>(value)?,
            }
            out.push_sql(piece);
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "prepared_sql_tests.rs"]
mod tests;
