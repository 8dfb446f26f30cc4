//! Hand-written batch statements whose text does not grow with the batch: the rows
//! travel as one JSON array bound once, read back as a table (`jsonb_each` on SQLite,
//! `jsonb_array_elements` on PostgreSQL). A batch of 500 scans written with one bind per
//! value made SQLite parse thousands of placeholders for every batch, and its code
//! generator compares every constant of a long `CASE` with every other (quadratic):
//! most of the scan writer's time before this.

use super::DbConnection;

/// Batches at least this long travel as JSON rows; shorter ones bind each value (for a
/// handful of scans, `jsonb_each` costs more than the placeholders it saves: single
/// scans were ~25 % slower through it).
pub const JSON_ROWS_FROM: usize = 16;

/// Bind placeholders for hand-written SQL: `$1, $2…` on PostgreSQL, `?` on SQLite (or,
/// for a `PreparedSql`, a mark where diesel writes them).
pub struct Placeholders {
    postgres: bool,
    count: usize,
    prepared: bool,
}

impl Placeholders {
    pub fn for_connection(conn: &DbConnection) -> Self {
        Self {
            postgres: matches!(conn, DbConnection::Postgresql(_)),
            count: 0,
            prepared: false,
        }
    }

    /// For a statement run as a `PreparedSql` (its binds in the order they appear).
    pub fn for_prepared(conn: &DbConnection) -> Self {
        Self {
            prepared: true,
            ..Self::for_connection(conn)
        }
    }

    /// The next placeholder, in bind order.
    pub fn placeholder(&mut self) -> String {
        self.count += 1;
        if self.prepared {
            super::prepared_sql::BIND.to_owned()
        } else if self.postgres {
            format!("${}", self.count)
        } else {
            "?".to_owned()
        }
    }

    /// `count` placeholders, comma-separated (for `IN (…)`).
    pub fn list(&mut self, count: usize) -> String {
        (0..count).map(|_| self.placeholder()).collect::<Vec<_>>().join(", ")
    }

    /// The rows of the JSON array bound at the next placeholder, as the table `alias`
    /// whose column `value` is each element.
    pub fn json_rows(&mut self, alias: &str) -> String {
        let at = self.placeholder();
        if self.postgres {
            // `jsonb`: parsed once; with `json` every `->>` parses its row again (13
            // fields of a scan row: 9.5 µs a row against 0.8).
            format!("jsonb_array_elements({at}::jsonb) AS {alias}(value)")
        } else {
            // `jsonb_each`: each element stays binary, so reading its fields does not
            // parse it again (with `json_each`, reading fields was most of the work).
            format!("jsonb_each({at}) AS {alias}")
        }
    }

    /// Element `index` of each JSON row of `alias` (an array), as `column_type`.
    pub fn field(&self, alias: &str, index: usize, column_type: ColumnType) -> String {
        match (self.postgres, column_type) {
            (true, ColumnType::BigInt) => format!("({alias}.value ->> {index})::bigint"),
            _ => format!("{alias}.value ->> {index}"),
        }
    }

    /// Each element of the JSON array of numbers bound at the next placeholder, as a
    /// subquery for `id IN (…)`.
    pub fn json_ids(&mut self) -> String {
        let rows = self.json_rows("ids");
        format!("SELECT {} FROM {rows}", self.whole(ColumnType::BigInt))
    }

    fn whole(&self, column_type: ColumnType) -> &'static str {
        match (self.postgres, column_type) {
            (true, ColumnType::BigInt) => "(ids.value #>> '{}')::bigint",
            (true, ColumnType::Text) => "ids.value #>> '{}'",
            (false, _) => "ids.value",
        }
    }
}

/// The SQL type a JSON field is read as (PostgreSQL reads every field as text first).
#[derive(Clone, Copy)]
pub enum ColumnType {
    BigInt,
    Text,
}
