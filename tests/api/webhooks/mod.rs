//! Signed webhooks (`src/webhooks`), against a real HTTP endpoint the test starts.

mod deliveries;
mod endpoints;
mod scan_batches;
