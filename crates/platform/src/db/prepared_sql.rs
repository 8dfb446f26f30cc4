//! Hand-written statements whose text depends only on their shape (the JSON-row batch
//! statements), prepared once per connection and kept in diesel's statement cache:
//! `sql_query` is parsed and planned again on every run, which on PostgreSQL cost more
//! than running the scan writer's statements (about 1 ms of planning each per group).
//! Behind PgBouncer in transaction pooling the cache is off (`pooler.rs`) and these
//! run unnamed, like any other statement.

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
    pieces: Vec<String>,
    binds: Vec<SqlValue>,
}

impl PreparedSql {
    /// Errors (as a query error, never a panic) when the text's binds and the values differ in number.
    pub fn new(sql: &str, binds: Vec<SqlValue>) -> QueryResult<Self> {
        let pieces: Vec<String> = sql.split(BIND).map(str::to_owned).collect();
        if pieces.len() != binds.len() + 1 {
            let message = format!("{} binds for {} placeholders", binds.len(), pieces.len() - 1);
            return Err(diesel::result::Error::QueryBuilderError(message.into()));
        }
        Ok(Self { pieces, binds })
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
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(&self.pieces[0]);
        for (bind, piece) in self.binds.iter().zip(&self.pieces[1..]) {
            match bind {
                SqlValue::BigInt(value) => out.push_bind_param::<BigInt, _>(value)?,
                SqlValue::Text(value) => out.push_bind_param::<Text, _>(value)?,
                SqlValue::MaybeBigInt(value) => out.push_bind_param::<Nullable<BigInt>, _>(value)?,
            }
            out.push_sql(piece);
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "prepared_sql_tests.rs"]
mod tests;
