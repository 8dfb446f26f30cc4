//! The device API's contract as OpenAPI 3.1 schemas (`utoipa`): the answers' shapes and
//! the words a field may hold, described beside the bodies they document so the
//! document (`GET /api/v1/openapi.json`) cannot drift from the code. The console puts
//! the paths together (`src/openapi.rs`).

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

/// Which way a person passes the gate.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum DirectionWord {
    In,
    Out,
}

/// A decision as a scanner decided it offline.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum DecisionWord {
    Valid,
    Duplicate,
    Invalid,
}

/// One scan's answer: a decision, or `conflict` for a scan id already used for another
/// ticket (its `status` is then 409).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum AnswerWord {
    Valid,
    Duplicate,
    Invalid,
    Conflict,
}

/// A ticket's state in a scanner's offline copy: inside, not inside, refunded,
/// cancelled, or of a type this gate does not admit.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum TicketStateWord {
    In,
    Out,
    Refunded,
    Cancelled,
    Type,
}

#[derive(Serialize, ToSchema)]
pub struct HeartbeatAnswer {
    pub ok: bool,
}

/// The device a token belongs to.
#[derive(Serialize, ToSchema)]
pub struct DeviceAnswer {
    pub device_id: i64,
    pub gate_id: i64,
    pub event_id: i64,
}

/// The device's event's tickets: the first 16 hex digits of each code's SHA-256, and
/// its state at the device's gate.
#[derive(ToSchema)]
pub struct OfflineTickets {
    #[allow(dead_code)]
    pub tickets: BTreeMap<String, TicketStateWord>,
}

/// Every refusal: what was wrong, in words. Nothing was recorded.
#[derive(Serialize, ToSchema)]
pub struct ErrorAnswer {
    pub error: String,
}
