//! What a webhook can be about (`EventKind`), the set an endpoint receives, and the
//! rules of a delivery's body.

use serde_json::{json, Value};

/// An event an endpoint can receive, named as in its `type` field and the form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventKind {
    OrderPaid,
    OrderRefunded,
    OrderCancelled,
    ScanRecorded,
    CapacityAlert,
    /// The "send test" button's delivery; no endpoint subscribes to it.
    Test,
}

impl EventKind {
    /// The events an endpoint may subscribe to.
    pub const SUBSCRIBABLE: [EventKind; 5] = [
        Self::OrderPaid,
        Self::OrderRefunded,
        Self::OrderCancelled,
        Self::ScanRecorded,
        Self::CapacityAlert,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::OrderPaid => "order.paid",
            Self::OrderRefunded => "order.refunded",
            Self::OrderCancelled => "order.cancelled",
            Self::ScanRecorded => "scan.recorded",
            Self::CapacityAlert => "capacity.alert",
            Self::Test => "webhook.test",
        }
    }

    /// A subscribable event by its name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::SUBSCRIBABLE.into_iter().find(|e| e.as_str() == raw)
    }

    pub fn label(&self) -> &'static str {
        match self {
            Self::OrderPaid => "An order is paid",
            Self::OrderRefunded => "An order is refunded (wholly or partly)",
            Self::OrderCancelled => "An order's tickets are cancelled without a refund",
            Self::ScanRecorded => "Gate scans (batched, at most one delivery a second)",
            Self::CapacityAlert => "A capacity alert begins",
            Self::Test => "Test delivery",
        }
    }
}

/// The events an endpoint receives: at least one, each once, stored comma-separated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventSet(Vec<EventKind>);

impl EventSet {
    /// From names as a form or the command line gives them; an unknown name is refused
    /// by name.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut kinds = Vec::new();
        for name in names.into_iter().map(str::trim).filter(|n| !n.is_empty()) {
            let kind = EventKind::parse(name).ok_or_else(|| {
                let known: Vec<&str> = EventKind::SUBSCRIBABLE.iter().map(EventKind::as_str).collect();
                format!("unknown event {name:?}: choose from {}", known.join(", "))
            })?;
            kinds.push(kind);
        }
        kinds.sort_unstable();
        kinds.dedup();
        if kinds.is_empty() {
            return Err("choose at least one event".into());
        }
        Ok(Self(kinds))
    }

    /// As stored: `order.paid,scan.recorded`. A name no longer known is skipped.
    pub fn from_stored(raw: &str) -> Self {
        Self(raw.split(',').filter_map(EventKind::parse).collect())
    }

    pub fn to_stored(&self) -> String {
        self.0.iter().map(EventKind::as_str).collect::<Vec<_>>().join(",")
    }

    pub fn contains(&self, kind: EventKind) -> bool {
        self.0.contains(&kind)
    }

    pub fn kinds(&self) -> &[EventKind] {
        &self.0
    }
}

/// A delivery's body: `{"id", "type", "created_at", "organization_id", "data"}`. The id
/// is the delivery's own (also in the `Voelgoed-Delivery` header), so a receiver can
/// drop a retried delivery it already processed.
pub fn delivery_body(
    delivery_key: &str,
    kind: EventKind,
    organization_id: i64,
    created_at_ms: i64,
    data: &Value,
) -> String {
    let created_at = chrono::DateTime::from_timestamp_millis(created_at_ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default();
    json!({
        "id": delivery_key,
        "type": kind.as_str(),
        "created_at": created_at,
        "organization_id": organization_id,
        "data": data,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_set_is_parsed_sorted_once_each_and_unknown_names_are_refused() {
        let set = EventSet::parse(["scan.recorded", "order.paid", "order.paid"]).unwrap();
        assert_eq!(set.to_stored(), "order.paid,scan.recorded");
        assert_eq!(EventSet::from_stored(&set.to_stored()), set);
        assert!(EventSet::parse(["order.shipped"])
            .unwrap_err()
            .contains("order.shipped"));
        assert!(EventSet::parse(Vec::<&str>::new()).is_err());
        assert!(EventSet::parse(["webhook.test"]).is_err());
    }
}
