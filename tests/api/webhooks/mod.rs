//! Signed webhooks (`src/webhooks`), against a real HTTP endpoint the test starts.

mod deliveries;
