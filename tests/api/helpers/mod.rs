//! What the tests share, so no test module imports another: the app and its fixture
//! (`app`), throw-away PostgreSQL databases (`postgres`), live-stream reading (`sse`), a
//! real browser (`browser`), a test SMTP server (`smtp`), orders (`orders`) and a webhook endpoint
//! (`webhook_listener`).
#![allow(dead_code)]

pub mod app;
pub mod browser;
pub mod orders;
pub mod postgres;
pub mod smtp;
pub mod sse;
pub mod webhook_listener;

pub use app::*;
