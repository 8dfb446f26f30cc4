//! The gates (`crates/engine`, the gate engine): the device API, admission and entry rules, durability,
//! and the screens that read them: the scan monitor, the door lookup, gate alerts and
//! arrivals. `gate_isolation` measures latency and runs on its own (`scripts/test.sh`).

mod alerts;
mod arrivals;
mod device_hardening;
mod door;
mod durability;
mod entry_rules;
mod gate_isolation;
mod monitor;
mod monitor_log_messages;
mod offline_copy;
mod pairing;
mod scan_api;
mod scan_id_conflicts;
