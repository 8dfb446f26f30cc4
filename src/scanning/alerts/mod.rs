//! Gate anomaly alerts: what counts as one (`rules.rs`, thresholds as named consts),
//! the detector that evaluates live events off the scan path, the queries, and the
//! views the scan monitor and the kiosk share. An alert's opening, acknowledgement and
//! closing are published as `UpdateKind::AlertChanged` on `Channel::alerts`.

pub mod model;
pub mod queries;

pub use model::{AlertKind, OpenAlert};
pub use queries::open_alerts;
