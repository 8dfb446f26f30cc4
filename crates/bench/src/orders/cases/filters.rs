//! Filters alone: status, event, a week of creation dates, and their combinations.

use rand::seq::IndexedRandom;

use voelgoed::orders::list::OrderFilter;
use voelgoed::orders::OrderStatus;

use super::{status, week, Case};

pub(super) const CASES: &[Case] = &[
    ("no filter", |_, _| (OrderFilter::default(), None)),
    ("status (any of 5)", |_, rng| {
        (
            OrderFilter {
                status: status(rng),
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("status = pending (1 %)", |_, _| {
        (
            OrderFilter {
                status: Some(OrderStatus::Pending),
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("event", |s, rng| {
        (
            OrderFilter {
                event_id: s.events.choose(rng).copied(),
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("event + status", |s, rng| {
        let filter = OrderFilter {
            event_id: s.events.choose(rng).copied(),
            status: status(rng),
            ..OrderFilter::default()
        };
        (filter, None)
    }),
    ("7-day range", |s, rng| {
        let (created_from, created_before) = week(s, rng);
        (
            OrderFilter {
                created_from,
                created_before,
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("status + 7-day range", |s, rng| {
        let (created_from, created_before) = week(s, rng);
        (
            OrderFilter {
                status: status(rng),
                created_from,
                created_before,
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("event + status + 7-day range", |s, rng| {
        let (created_from, created_before) = week(s, rng);
        let filter = OrderFilter {
            event_id: s.events.choose(rng).copied(),
            status: status(rng),
            created_from,
            created_before,
            ..OrderFilter::default()
        };
        (filter, None)
    }),
];
