//! `PreparedSql` on a real (in-memory) SQLite connection.

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::*;

#[derive(QueryableByName, Debug, PartialEq)]
struct Sum {
    #[diesel(sql_type = BigInt)]
    total: i64,
}

fn sum_of(conn: &mut SqliteConnection, first: i64, rows: &str) -> QueryResult<Vec<Sum>> {
    let sql = format!("SELECT {BIND} + COALESCE(SUM(value), 0) AS total FROM jsonb_each({BIND})");
    PreparedSql::new(&sql, vec![SqlValue::BigInt(first), SqlValue::Text(rows.into())])?.load(conn)
}

#[test]
fn binds_land_where_the_marks_are_and_the_statement_runs_again_with_new_values() {
    let mut conn = SqliteConnection::establish(":memory:").expect("sqlite");
    assert_eq!(sum_of(&mut conn, 1, "[2, 3]").expect("first run"), [Sum { total: 6 }]);
    assert_eq!(
        sum_of(&mut conn, 10, "[5]").expect("second run, same text"),
        [Sum { total: 15 }]
    );
}

#[test]
fn too_few_or_too_many_values_are_an_error_not_a_panic() {
    let sql = format!("SELECT {BIND} AS total");
    assert!(PreparedSql::new(&sql, vec![]).is_err());
    let two = vec![SqlValue::BigInt(1), SqlValue::BigInt(2)];
    assert!(PreparedSql::new(&sql, two).is_err());
}
