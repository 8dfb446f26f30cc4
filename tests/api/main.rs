//! The integration suite: one binary, each test its own app on a random port with a
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]
//! fresh database, driven over real HTTP (and a real browser in `browser`).

mod access;
mod architecture;
mod audit;
mod bad_input;
mod browser;
mod dashboard;
mod gates;
mod helpers;
mod kiosk;
mod live;
mod orders;
mod overview;
mod platform;
mod role_matrix;
mod webhooks;
mod zones;
