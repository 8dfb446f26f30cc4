//! Real-browser scenarios (Chromium through chromedriver, `helpers/browser.rs`):
//! the screens as people use them, accessibility, phones.

mod accessibility;
mod content_security;
mod gate_alerts;
mod live_screens;
mod order_list;
mod phone_first;
mod scan_log_rows;
mod scanner;
mod scroll_regions;
mod two_factor;
