//! Real-browser scenarios (Chromium through chromedriver, `helpers/browser.rs`):
//! the screens as people use them, accessibility, phones.

mod accessibility;
mod gate_alerts;
mod phone_first;
mod scenarios;
mod scroll_regions;
mod two_factor;
