//! What every feature stands on: start-up, faults and shutdown, metrics, migrations,
//! the shipped deploy files, scale-out over Redis, PgBouncer, query plans, the demo seed,
//! HTTP details (keep-alive, security headers, htmx errors).

mod assets;
mod deploy;
mod faults;
mod fresh_database;
mod htmx_errors;
mod keep_alive;
mod metrics;
mod migrations;
mod panel_faults;
mod pgbouncer;
mod query_plans;
mod scale_out;
mod security;
mod seeding;
mod shutdown;
