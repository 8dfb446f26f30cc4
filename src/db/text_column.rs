//! Domain enums stored as their name in a `Text` column, on SQLite, PostgreSQL and the
//! multi-connection backend alike: `text_column!(Direction)` for a type with
//! `as_str()` and `FromStr`, after `#[derive(AsExpression, FromSqlRow)]` and
//! `#[diesel(sql_type = Text)]`. A name the type does not know fails the load with its
//! parse error: a row never turns silently into another state.

/// Implements `ToSql`/`FromSql` on `Text` for both backends and `db::MultiBackend`.
#[macro_export]
macro_rules! text_column {
    ($ty:ty) => {
        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::sqlite::Sqlite> for $ty {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::sqlite::Sqlite>,
            ) -> diesel::serialize::Result {
                out.set_value(self.as_str());
                Ok(diesel::serialize::IsNull::No)
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $ty {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                std::io::Write::write_all(out, self.as_str().as_bytes())?;
                Ok(diesel::serialize::IsNull::No)
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, $crate::db::MultiBackend> for $ty {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, $crate::db::MultiBackend>,
            ) -> diesel::serialize::Result {
                out.set_value((diesel::sql_types::Text, self));
                Ok(diesel::serialize::IsNull::No)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::sqlite::Sqlite> for $ty {
            fn from_sql(value: diesel::sqlite::SqliteValue<'_, '_, '_>) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::sqlite::Sqlite>>::from_sql(value)?;
                Ok(text.parse::<$ty>()?)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $ty {
            fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg>>::from_sql(value)?;
                Ok(text.parse::<$ty>()?)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, $crate::db::MultiBackend> for $ty {
            fn from_sql(value: $crate::db::MultiRawValue<'_>) -> diesel::deserialize::Result<Self> {
                value.from_sql::<$ty, diesel::sql_types::Text>()
            }
        }
    };
}

/// A stored name no variant of the type has.
#[derive(Debug, thiserror::Error)]
#[error("unknown {kind} '{name}' in the database")]
pub struct UnknownName {
    pub kind: &'static str,
    pub name: String,
}

impl UnknownName {
    pub fn new(kind: &'static str, name: &str) -> Self {
        Self {
            kind,
            name: name.to_owned(),
        }
    }
}
