//! Zones: the areas of an event with a capacity of their own (the arena, the VIP deck,
//! backstage), the gates as passages between them, and supervisors' headcounts that
//! correct a zone's count. The gate engine (`scanning::admission::zone_rules`) moves
//! people between zones; this feature sets zones up (`setup.rs`), takes headcounts
//! (`headcount.rs`), and draws the gauges every live screen shows (`gauges.rs`).

pub mod directory;
pub mod gauges;
pub mod handlers;
pub mod headcount;
pub mod model;
pub mod queries;
pub mod setup;
mod views;

pub use directory::{board as read_board, ZoneDirectory};
pub use gauges::{board_of, pushed_gauges, zone_gauges, zones_section, ZoneBoard};
pub use model::EventZones;
pub use setup::{create_zone_command, gate_passage_command};
