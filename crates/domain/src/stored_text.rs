//! Domain values stored as text: one macro gives a type with `as_stored`/`from_stored`
//! diesel's `ToSql`/`FromSql` on `Text` for every backend (SQLite, PostgreSQL and the
//! multi-connection over both), so a status or a time zone is parsed once, at load,
//! and a value the type does not know is an error there instead of a silent default.

/// Implements `ToSql<Text, _>` and `FromSql<Text, _>` for `$ty`, which must also derive
/// `diesel::AsExpression` and `diesel::FromSqlRow` with `#[diesel(sql_type = Text)]` and
/// have `fn as_stored(&self) -> &'static str` and
/// `fn from_stored(raw: &str) -> Result<Self, String>`.
#[macro_export]
macro_rules! stored_as_text {
    ($ty:ty) => {
        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $ty
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, DB>) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, DB>>::to_sql(self.as_stored(), out)
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $ty
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let raw = <String as diesel::deserialize::FromSql<diesel::sql_types::Text, DB>>::from_sql(bytes)?;
                Self::from_stored(&raw).map_err(Into::into)
            }
        }
    };
}
