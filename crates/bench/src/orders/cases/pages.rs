//! Pages after the first: by the cursor the first page hands out, and deep pages by a
//! random cursor, alone, filtered and under a search.

use rand::seq::IndexedRandom;

use voelgoed::orders::list::OrderFilter;

use super::{prefix, status, text, Case};

pub(super) const CASES: &[Case] = &[
    ("next page (cursor after page 1)", |s, _| {
        (OrderFilter::default(), s.cursors.first().copied())
    }),
    ("deep page (random cursor)", |s, rng| {
        (OrderFilter::default(), s.cursors.choose(rng).copied())
    }),
    ("deep page + status", |s, rng| {
        (
            OrderFilter {
                status: status(rng),
                ..OrderFilter::default()
            },
            s.cursors.choose(rng).copied(),
        )
    }),
    ("next page of a name search", |s, rng| {
        let name = s.names.choose(rng).map_or(String::new(), |n| prefix(n, 3));
        let filter = OrderFilter {
            text: text(&name),
            ..OrderFilter::default()
        };
        (filter, s.cursors.choose(rng).copied())
    }),
];
