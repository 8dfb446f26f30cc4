//! What the tests share, so no test module imports another: the app and its fixture
//! (`app`), servers as separate processes (`processes`), throw-away PostgreSQL databases
//! (`postgres`), a PgBouncer in front of them (`pgbouncer`), what the scale-out tests
//! check (`scaled`), live-stream reading (`sse`), a real browser (`browser`), a test SMTP
//! server (`smtp`), orders (`orders`), bulk jobs (`bulk`), kiosk links (`kiosk`), scans
//! through the device API (`scans`), webhooks and an endpoint to receive them
//! (`webhooks`, `webhook_listener`), the demo process (`demo`), proptest strategies
//! (`properties`), the route table as the source writes it (`route_table`) and
//! two-factor sign-in's codes (`two_factor`); and `on_both_backends!`, which runs one
//! conformance function on SQLite and on PostgreSQL.
#![allow(dead_code)]

pub mod app;
pub mod browser;
pub mod bulk;
pub mod demo;
pub mod kiosk;
pub mod orders;
pub mod pgbouncer;
pub mod postgres;
pub mod processes;
pub mod properties;
pub mod route_table;
pub mod scaled;
pub mod scans;
pub mod smtp;
pub mod sse;
pub mod two_factor;
pub mod webhook_listener;
pub mod webhooks;

pub use app::*;
pub use processes::*;

/// Runs each `$name(app)` on SQLite and on PostgreSQL (databases named `$prefix` + name):
/// a conformance test, one function, both backends, as `$name::on_sqlite` and
/// `$name::on_postgres`. With `$name: sqlite_app, postgres_app`, the two apps are the
/// test's own (its settings, its database name), both in scope where the macro is used.
macro_rules! on_both_backends {
    ($name:ident: $sqlite:expr, $postgres:expr $(,)?) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn on_sqlite() {
                super::$name($sqlite.await).await
            }

            #[tokio::test]
            async fn on_postgres() {
                super::$name($postgres.await).await
            }
        }
    };
    ($prefix:literal; $($name:ident),* $(,)?) => {
        $(mod $name {
            #[tokio::test]
            async fn on_sqlite() {
                super::$name(crate::helpers::spawn_app().await).await
            }

            #[tokio::test]
            async fn on_postgres() {
                let app = crate::helpers::postgres::spawn_postgres_app(concat!($prefix, stringify!($name))).await;
                super::$name(app).await
            }
        })*
    };
}
pub(crate) use on_both_backends;
