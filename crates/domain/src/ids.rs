//! The ids of the domain's things, each its own type: an event's id cannot be passed
//! where an order's is meant, and a typed path (`web::Path<EventId>`) reads one from a
//! URL. Each is the row's `i64` inside; `get()` gives it to the queries.

use serde::Deserialize;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            #[inline]
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }
    };
}

id_type!(
    /// An event (`events.id`).
    EventId
);
id_type!(
    /// An order (`orders.id`).
    OrderId
);
id_type!(
    /// A ticket (`tickets.id`).
    TicketId
);
id_type!(
    /// A scanning device (`devices.id`).
    DeviceId
);
id_type!(
    /// A gate of an event (`gates.id`).
    GateId
);
id_type!(
    /// An organisation, the tenant (`organizations.id`).
    OrganizationId
);
id_type!(
    /// A user of the console (`users.id`).
    UserId
);
id_type!(
    /// A bulk job over orders (`bulk_jobs.id`).
    BulkJobId
);
id_type!(
    /// A gate alert (`gate_alerts.id`).
    AlertId
);
id_type!(
    /// A kiosk link (`kiosk_links.id`).
    KioskLinkId
);
id_type!(
    /// A webhook endpoint (`webhook_endpoints.id`).
    WebhookId
);
id_type!(
    /// A zone of an event (`zones.id`).
    ZoneId
);
