//! The integration suite: one binary, each test its own app on a random port with a
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]
//! fresh database, driven over real HTTP (and a real browser in `browser`).

mod architecture;
mod arrivals;
mod audit;
mod auth;
mod bad_input;
mod browser;
mod bulk_jobs;
mod capacity;
mod dashboard;
mod deploy;
mod door;
mod durability;
mod entry_rules;
mod faults;
mod gate_isolation;
mod helpers;
mod hostile_input;
mod htmx_errors;
mod keep_alive;
mod kiosk;
mod live_rows;
mod metrics;
mod migrations;
mod order_emails;
mod order_refunds;
mod order_search;
mod order_voids;
mod orders;
mod orders_bad_input;
mod overview;
mod query_plans;
mod roles;
mod scale_out;
mod scan_api;
mod scan_monitor;
mod security;
mod seeding;
mod sessions;
mod shutdown;
mod sign_in_throttle;
mod slow_readers;
mod sse;
mod tenancy;
mod webhooks;
