//! What the tests share, so no test module imports another: the app and its fixture
//! (`app`), throw-away PostgreSQL databases (`postgres`), a PgBouncer in
//! front of them (`pgbouncer`), what the scale-out tests check (`scaled`), live-stream reading (`sse`), a
//! real browser (`browser`), a test SMTP server (`smtp`), orders (`orders`), a webhook endpoint
//! (`webhook_listener`), kiosk links (`kiosk`), bulk jobs (`bulk`), the demo
//! process (`demo`), the route table as the source writes it (`route_table`) and
//! two-factor sign-in's codes (`two_factor`).
#![allow(dead_code)]

pub mod app;
pub mod browser;
pub mod bulk;
pub mod demo;
pub mod kiosk;
pub mod orders;
pub mod pgbouncer;
pub mod postgres;
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
